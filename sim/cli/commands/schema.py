"""``sim schema``: the JSON Schema of scenario files."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_OK


def command(args: argparse.Namespace) -> int:
    import json

    from sim.scenario.schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return EXIT_OK

