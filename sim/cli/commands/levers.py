"""``sim levers``: the lever catalogue with its evidence, or each lever's response."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK


def command(args: argparse.Namespace) -> int:
    import json

    from sim.errors import did_you_mean
    from sim.report.listing import lever_records, levers_text
    from sim.scenario.catalogue import ACTORS, load_catalogue

    if args.actor and args.actor not in ACTORS:
        print(f"--actor: unknown actor '{args.actor}'{did_you_mean(args.actor, ACTORS)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    levers = [lv for lv in load_catalogue().levers if not args.actor or lv.actor == args.actor]
    if args.response:
        return _lever_response(args, levers)
    print(json.dumps(lever_records(levers), indent=2) if args.json else levers_text(levers))
    return EXIT_OK



def _lever_response(args: argparse.Namespace, levers: list) -> int:
    import dataclasses
    import json

    from sim.analysis.response import MIN_RESPONSE, lever_responses, response_table, strongest
    from sim.scenario.loader import resolve_scenario

    if args.replicates < 2:
        print(f"--replicates = {args.replicates}; expected at least 2", file=sys.stderr)
        return EXIT_BAD_INPUT
    scenario = resolve_scenario(args.response)  # a file, or a library name such as baseline
    responses = lever_responses(scenario, n_replicates=args.replicates, levers=levers)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in responses], indent=2))
        return EXIT_OK
    best = strongest(responses)
    cleared = sum(abs(r.mean) >= MIN_RESPONSE for r in best.values())
    print(f"Each lever from 0 to 1 in {scenario.name}, end of run ({scenario.date_of(scenario.horizon)}), "
          f"{args.replicates} paired replicates:\n")
    print(response_table(responses))
    print(f"\n{cleared} of {len(best)} levers move an outcome they act on by at least {MIN_RESPONSE}.")
    return EXIT_OK

