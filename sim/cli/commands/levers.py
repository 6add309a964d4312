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
    if args.outcome is not None and not args.response:
        print(f"--outcome {args.outcome}:1:1: --outcome ranks levers in a lever-response run; add --response",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.response:
        return _lever_response(args, levers)
    print(json.dumps(lever_records(levers), indent=2) if args.json else levers_text(levers))
    return EXIT_OK



def _lever_response(args: argparse.Namespace, levers: list) -> int:
    import dataclasses
    import json

    from sim.analysis.response import MIN_RESPONSE, acted_on, clears, first_target, lever_responses, response_table
    from sim.scenario.loader import resolve_scenario

    if args.replicates < 2:
        print(f"--replicates = {args.replicates}; expected at least 2", file=sys.stderr)
        return EXIT_BAD_INPUT
    scenario = resolve_scenario(args.response)  # a file, or a library name such as baseline
    if args.outcome is not None:
        return _ranking(args, scenario, levers)
    texts = {text for lever in levers for text in acted_on(lever)}
    _check_work(args, scenario, levers, outcomes=len(texts))
    responses = lever_responses(scenario, n_replicates=args.replicates, levers=levers)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in responses], indent=2))
        return EXIT_OK
    pairs = first_target(responses)
    kinds = {lever.key: lever.kind for lever in levers}
    with_influence = [i for i, _ in pairs.values() if i is not None]
    cleared = sum(clears(i, kinds[i.lever]) for i in with_influence)
    print(f"Each lever from 0 to 1 in {scenario.name}, end of run ({scenario.date_of(scenario.horizon)}), "
          f"{args.replicates} paired replicates, at its first target:\n")
    print(response_table(responses))
    print(f"\n{cleared} of {len(with_influence)} levers move the influence they act on by at least {MIN_RESPONSE} "
          f"the way their kind says (5% quantile on that side of 0); the largest attitude move in any replicate is "
          f"{max(a.largest for _, a in pairs.values()):.3f}.")
    return EXIT_OK



def _ranking(args: argparse.Namespace, scenario, levers: list) -> int:
    """``--response --outcome EXPR``: every lever ranked on the outcome the user names."""
    import dataclasses
    import json

    from sim.analysis.response import rank_levers, ranking_table
    from sim.cli.common import outcome_flags

    (outcome,) = outcome_flags([args.outcome], [], scenario)
    _check_work(args, scenario, levers, outcomes=1, recorded=len(set(outcome.series())))
    ranked = rank_levers(scenario, outcome, args.outcome, n_replicates=args.replicates, levers=levers)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in ranked], indent=2))
        return EXIT_OK
    print(f"Each lever from 0 to 1 in {scenario.name} (budgets extended), ranked on {args.outcome}, "
          f"{args.replicates} paired replicates:\n")
    print(ranking_table(ranked))
    return EXIT_OK



def _check_work(args: argparse.Namespace, scenario, levers: list, *, outcomes: int,
                recorded: int | None = None) -> None:
    """Refuse, before the work, a lever-response run this machine cannot do (each lever at 0 and at 1,
    ``--replicates`` each), as run and compare do; ``--force`` starts it anyway where the parser has it."""
    import dataclasses

    from sim.engine.workload import points_workload, refuse_if_too_big

    work = points_workload(2 * len(levers), args.replicates, scenario.horizon, factors=len(levers),
                           outcomes=outcomes, recorded=outcomes if recorded is None else recorded)
    work = dataclasses.replace(work, what=f"{len(levers)} levers at 0 and at 1 x {args.replicates} replicates x "
                                          f"{scenario.horizon} months")
    refuse_if_too_big(work, force=getattr(args, "force", False), flag="--replicates",
                      can_force=hasattr(args, "force"))
