"""``sim explain``: attribution of outcomes to levers and events by ablation."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, check_output, check_work, outcome_flags


def command(args: argparse.Namespace) -> int:
    from sim.errors import InputError, Problem
    from sim.scenario.catalogue import ACTORS
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    against = load_scenario(args.against) if args.against else None
    parsed = outcome_flags(args.outcome, [f"influence.{a}.mali" for a in ACTORS if a != "mali"], scenario)
    outcomes = []
    for outcome in parsed:
        series = outcome.single_series
        if series is None or series.when != "end":
            print(Problem(f"--outcome {outcome.text}", 1, 11, "explain takes a series at the end of the run, "
                          "e.g. influence.russia.mali"), file=sys.stderr)
            return EXIT_BAD_INPUT
        outcomes.append(series.key)
    if against is not None and (against.start, against.horizon) != (scenario.start, scenario.horizon):
        raise InputError([Problem.about(against.path, "start and horizon must match the scenario's to explain the "
                                  f"difference ({scenario.date_of(0)}+{scenario.horizon} vs "
                                  f"{against.date_of(0)}+{against.horizon}), as sim compare requires")])
    from sim.analysis.explain import components
    from sim.cli.compare_job import COMPARE_ROOT, execute_explain
    from sim.engine.workload import points_workload
    from sim.report.prose import describe

    destination = check_output(args.out, COMPARE_ROOT)
    variants = len(components(scenario, against)) + 2
    check_work(points_workload(variants, args.replicates, scenario.horizon, factors=0, outcomes=len(outcomes)),
                args, "--replicates", destination)

    folder, contributions = execute_explain(scenario, against, replicates=args.replicates, seed=args.seed,
                                            out=args.out, outcomes=outcomes, executor=args.executor)
    print(f"explain folder: {folder}")
    for outcome in outcomes:
        rows = sorted((c for c in contributions if c.outcome == outcome), key=lambda c: -abs(c.mean))
        print(f"{describe(*outcome)}:")
        for c in rows[:8]:
            print(f"  {c.mean:+.3f} ({c.low:+.3f} to {c.high:+.3f})  {c.component}  [{c.evidence}]")
    return EXIT_OK

