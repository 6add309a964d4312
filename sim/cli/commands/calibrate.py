"""``sim calibrate``: fit parameters to documented history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, check_output, check_work, missing_extra


def command(args: argparse.Namespace) -> int:
    problem = missing_extra("validation", "pyabc") if args.method == "abc" else None
    if problem:
        print(f"sim calibrate --method abc: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.analysis.calibration import load_targets
    from sim.analysis.sensitivity import default_factors
    from sim.errors import Problem
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    patterns = args.params or [u.parameter for u in scenario.uncertainties]
    if not patterns:
        print(Problem.about(args.scenario, "nothing to calibrate: the scenario has no uncertainties; name "
                                           "parameters with --params"), file=sys.stderr)
        return EXIT_BAD_INPUT
    factors = default_factors(patterns, where="--params")
    seed = scenario.seed if args.seed is None else args.seed
    from sim.cli.analysis_jobs import ANALYSIS_ROOT, execute_calibrate
    from sim.engine.workload import points_workload

    destination = check_output(args.out, ANALYSIS_ROOT)
    check_work(points_workload(args.budget + 2, args.replicates, scenario.horizon, factors=len(factors),
                                outcomes=len(targets)), args, "--budget", destination)

    folder, result = execute_calibrate(scenario, Path(args.scenario), factors, targets, method=args.method,
                                       budget=args.budget, replicates=args.replicates, seed=seed, out=args.out,
                                       executor=args.executor)
    print(f"calibration folder: {folder}")
    print(f"loss {result.default_loss:.4g} -> {result.best_loss:.4g}; "
          f"{sum(t.distance(result.best_means[j]) == 0 for j, t in enumerate(targets))}/{len(targets)} targets hit")
    for factor, value in zip(result.factors, result.best, strict=True):
        print(f"  {factor.name} = {value:.4g}")
    return EXIT_OK

