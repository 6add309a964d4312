"""``sim parameters``: the parameter catalogue."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_OK, json_document

HELP = "the parameter catalogue: defaults, ranges, units"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def command(args: argparse.Namespace) -> int:
    # deferred: YAML and the catalogue, which sim --help must not pay for
    from sim.report.listing import parameter_records, parameters_text
    from sim.scenario.catalogue import load_catalogue

    specs = list(load_catalogue().parameters.values())
    print(json_document(parameter_records(specs)) if args.json else parameters_text(specs))
    return EXIT_OK
