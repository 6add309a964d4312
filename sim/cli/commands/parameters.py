"""``sim parameters``: the parameter catalogue."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_OK


def command(args: argparse.Namespace) -> int:
    import json

    from sim.report.listing import parameter_records, parameters_text
    from sim.scenario.catalogue import load_catalogue

    specs = list(load_catalogue().parameters.values())
    print(json.dumps(parameter_records(specs), indent=2) if args.json else parameters_text(specs))
    return EXIT_OK

