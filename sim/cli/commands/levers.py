"""``sim levers``: the lever catalogue with its evidence, or each lever's response."""

from __future__ import annotations

import argparse
import dataclasses

from sim.cli.arguments import add_force
from sim.cli.common import EXIT_OK, json_document, outcome_flags
from sim.errors import InputError, Problem, did_you_mean

HELP = "the lever catalogue with its evidence"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--actor", help="only this actor's levers")
    parser.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")
    parser.add_argument("--response", metavar="SCENARIO", nargs="?", const="baseline",
                        help="run each lever from 0 to 1 in SCENARIO (default: the baseline) and print what it "
                             "moves at the end of the run (paired, budgets extended)")
    parser.add_argument("--replicates", type=int, default=40, help="replicates per variant with --response")
    parser.add_argument("--outcome", metavar="EXPR",
                        help="with --response: rank every lever on this outcome (e.g. "
                             "'mean(influence.morocco.mali)'), per unit of effort, with 90%% intervals")
    add_force(parser)


def command(args: argparse.Namespace) -> int:
    # deferred: YAML and the catalogue (~0.2 s), which sim --help must not pay for
    from sim.report.listing import lever_records, levers_text
    from sim.scenario.catalogue import ACTORS, load_catalogue

    if args.actor and args.actor not in ACTORS:
        raise InputError([Problem.about("--actor", f"unknown actor '{args.actor}'{did_you_mean(args.actor, ACTORS)}")])
    levers = [lv for lv in load_catalogue().levers if not args.actor or lv.actor == args.actor]
    if args.outcome is not None and not args.response:
        raise InputError([Problem.about(f"--outcome {args.outcome}",
                                        "--outcome ranks levers in a lever-response run; add --response")])
    if args.response:
        return _lever_response(args, levers)
    print(json_document(lever_records(levers)) if args.json else levers_text(levers))
    return EXIT_OK


def _lever_response(args: argparse.Namespace, levers: list) -> int:
    # deferred: the numba-compiled model
    from sim.analysis.response import MIN_RESPONSE, acted_on, clears, first_target, lever_responses, response_table
    from sim.scenario.loader import resolve_scenario

    if args.replicates < 2:
        raise InputError([Problem.about(f"--replicates {args.replicates}", "expected at least 2")])
    scenario = resolve_scenario(args.response)  # a file, or a library name such as baseline
    if args.outcome is not None:
        return _ranking(args, scenario, levers)
    texts = {text for lever in levers for text in acted_on(lever)}
    _check_work(args, scenario, levers, outcomes=len(texts))
    responses = lever_responses(scenario, n_replicates=args.replicates, levers=levers)
    if args.json:
        print(json_document([dataclasses.asdict(r) for r in responses]))
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
    from sim.analysis.response import rank_levers, ranking_table  # deferred: the numba-compiled model

    (outcome,) = outcome_flags([args.outcome], [], scenario)
    _check_work(args, scenario, levers, outcomes=1, recorded=len(set(outcome.series())))
    ranked = rank_levers(scenario, outcome, args.outcome, n_replicates=args.replicates, levers=levers)
    if args.json:
        print(json_document([dataclasses.asdict(r) for r in ranked]))
        return EXIT_OK
    print(f"Each lever from 0 to 1 in {scenario.name} (budgets extended), ranked on {args.outcome}, "
          f"{args.replicates} paired replicates:\n")
    print(ranking_table(ranked))
    return EXIT_OK


def _check_work(args: argparse.Namespace, scenario, levers: list, *, outcomes: int,
                recorded: int | None = None) -> None:
    """Refuse, before the work, a lever-response run this machine cannot do (each lever at 0 and at 1,
    ``--replicates`` each), as run and compare do; ``--force`` starts it anyway where the parser has it."""
    from sim.engine.workload import points_workload, refuse_if_too_big  # deferred: ctypes and the memory probe

    work = points_workload(2 * len(levers), args.replicates, scenario.horizon, factors=len(levers),
                           outcomes=outcomes, recorded=outcomes if recorded is None else recorded)
    work = dataclasses.replace(work, what=f"{len(levers)} levers at 0 and at 1 x {args.replicates} replicates x "
                                          f"{scenario.horizon} months")
    refuse_if_too_big(work, force=getattr(args, "force", False), flag="--replicates",
                      can_force=hasattr(args, "force"))
