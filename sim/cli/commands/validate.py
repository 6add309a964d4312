"""``sim validate``: check scenario files, every problem at once."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, json_document
from sim.errors import InputError

HELP = "check scenario files; exit 2 with one line per problem"
JSON_OUTPUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", nargs="+", help="scenario YAML files or library names")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings (dates after the run, capped settings, source documents not on this "
                             "machine, ...) as errors: exit 2")


def command(args: argparse.Namespace) -> int:
    # deferred: YAML and the catalogue (~0.2 s), which sim --help must not pay for
    from sim.scenario.loader import load_scenario

    problems, files = [], []
    for path in args.scenarios:
        entry = {"file": path, "valid": True, "problems": [], "warnings": []}
        try:
            for warning in load_scenario(path).warnings:  # located, and the scenario stays valid
                entry["warnings"].append(str(warning))
                if args.strict:  # --strict: a warning is an error
                    problems.append(warning)
                    entry["valid"] = False
                elif not (args.quiet or args.json):
                    print(warning, file=sys.stderr)
        except InputError as exc:
            problems.extend(exc.problems)
            entry.update(valid=False, problems=[str(p) for p in exc.problems])
        files.append(entry)
    if args.json:
        print(json_document({"valid": not problems, "files": files}))
        return EXIT_OK if not problems else EXIT_BAD_INPUT
    if problems:
        raise InputError(problems)  # printed (capped) by the dispatcher, exit 2
    if not args.quiet:
        print(f"{len(args.scenarios)} scenario(s) valid")
    return EXIT_OK
