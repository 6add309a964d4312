"""``sim validate``: check scenario files, every problem at once."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_OK


def command(args: argparse.Namespace) -> int:
    from sim.errors import InputError
    from sim.scenario.loader import load_scenario

    problems = []
    for path in args.scenarios:
        try:
            for warning in load_scenario(path).warnings:  # located, and the scenario stays valid
                if args.strict:  # --strict: a warning is an error
                    problems.append(warning)
                else:
                    print(warning, file=sys.stderr)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)  # printed (capped) by the dispatcher, exit 2
    print(f"{len(args.scenarios)} scenario(s) valid")
    return EXIT_OK

