"""``sim sweep``: a grid or hypercube over parameters and levers."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_OK, check_output, check_work, outcome_flags


def command(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import design_points, parse_vary
    from sim.errors import InputError, Problem
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    outcomes = outcome_flags(args.outcome, ["influence.russia.mali", "influence.morocco.mali"], scenario)
    parsed = [parse_vary(text) for text in args.vary]
    factors, counts = [f for f, _ in parsed], [c for _, c in parsed]
    repeated = sorted({f.name for f in factors if [g.name for g in factors].count(f.name) > 1})
    if repeated:
        raise InputError([Problem.about("--vary", f"'{repeated[0]}' is varied twice; give each name once")])
    seed = scenario.seed if args.seed is None else args.seed
    from sim.analysis.sweep import design_size
    from sim.cli.analysis_jobs import ANALYSIS_ROOT, execute_sweep
    from sim.engine.workload import points_workload

    destination = check_output(args.out, ANALYSIS_ROOT)
    n_points = design_size(counts, args.design, args.points)
    check_work(points_workload(n_points, args.replicates, scenario.horizon, factors=len(factors),
                                outcomes=len(outcomes)), args, "--vary/--points/--replicates", destination)
    points = design_points(factors, counts, args.design, args.points, seed)

    folder, values = execute_sweep(scenario, factors, points, outcomes, replicates=args.replicates, seed=seed,
                                   out=args.out, executor=args.executor)
    print(f"sweep folder: {folder} ({len(points)} points x {args.replicates} replicates, one batched ensemble)")
    for j, outcome in enumerate(outcomes):
        means = values[:, :, j].mean(axis=1)
        print(f"{outcome.text}: {means.min():.3f} .. {means.max():.3f} across points")
    return EXIT_OK

