"""``sim backtest``: fit before each cutoff, forecast after it, score with proper scores."""

from __future__ import annotations

import argparse
import sys

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, check_output, missing_extra


def command(args: argparse.Namespace) -> int:
    problem = missing_extra("validation", "pyabc", "scoringrules")
    if problem:
        print(f"sim backtest: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.analysis.backtest import load_observations
    from sim.analysis.calibration import CALIBRATED, load_targets
    from sim.analysis.sensitivity import default_factors
    from sim.cli.analysis_jobs import ANALYSIS_ROOT, execute_backtest
    from sim.errors import Problem
    from sim.scenario.loader import LIBRARY, load_scenario
    from sim.scenario.months import parse_month

    replay = load_scenario(args.scenario)
    targets = load_targets(args.targets or LIBRARY / "targets" / "history_2012_2022.yaml")
    observations = load_observations(args.observations or LIBRARY / "observations" / "choices_2012_2022.yaml")
    cutoffs = []
    for text in args.cutoffs:
        month = parse_month(text)
        if month is None or not replay.start < month < replay.start + replay.horizon:
            print(Problem.about("--cutoffs", f"cutoff {text!r}: expected a month YYYY-MM inside the replay "
                                             f"({replay.date_of(1)} to {replay.date_of(replay.horizon - 1)})"),
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        cutoffs.append(month)
    factors = default_factors(args.params or list(CALIBRATED), where="--params")
    destination = check_output(args.out, ANALYSIS_ROOT)
    seed = replay.seed if args.seed is None else args.seed
    folder, text = execute_backtest(replay, targets, observations, factors, sorted(cutoffs),
                                    population=args.population, generations=args.generations, budget=args.budget,
                                    replicates=args.replicates, seed=seed, out=args.out, root=destination)
    print(text)
    print(f"backtest folder: {folder}")
    return EXIT_OK

