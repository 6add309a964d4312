"""``sim schema``: the JSON Schema of scenario files."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_OK, json_document

HELP = "print the JSON Schema of scenario files (for editors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments of its own."""


def command(args: argparse.Namespace) -> int:
    from sim.scenario.schema import scenario_schema  # deferred: YAML and the catalogue, not for --help

    print(json_document(scenario_schema()))
    return EXIT_OK
