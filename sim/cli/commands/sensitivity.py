"""``sim sensitivity``: Sobol' or Morris with SALib."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_OK, MIN_SOBOL_N, check_output, check_work, outcome_flags


def command(args: argparse.Namespace) -> int:
    from sim.analysis.sensitivity import default_factors
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    outcomes = outcome_flags(args.outcome, ["influence.russia.mali"], scenario)
    factors = default_factors(args.params, where="--params")
    seed = scenario.seed if args.seed is None else args.seed
    if args.method == "sobol" and args.n < MIN_SOBOL_N and not args.force:
        from sim.errors import InputError, Problem

        raise InputError([Problem.about("--n", f"--n {args.n}: Sobol' indices from fewer than {MIN_SOBOL_N} base "
                                               "samples are noise (total indices above 1 and the like); use --n "
                                               f"{MIN_SOBOL_N} or more (a power of 2), or --force")])
    if args.second_order and (args.method != "sobol" or len(factors) < 2):
        from sim.errors import InputError, Problem

        why = ("second-order indices are Sobol' indices; use --method sobol" if args.method != "sobol"
               else f"second-order indices need at least two factors; --params gives {len(factors)}")
        raise InputError([Problem.about("--second-order", why)])
    from sim.analysis.sensitivity import sample_count
    from sim.cli.analysis_jobs import ANALYSIS_ROOT, execute_sensitivity
    from sim.engine.workload import points_workload

    destination = check_output(args.out, ANALYSIS_ROOT)
    samples = sample_count(args.method, args.n, len(factors), args.second_order)
    work = points_workload(samples, args.replicates_per_sample, scenario.horizon, factors=len(factors),
                           outcomes=len(outcomes))
    check_work(work, args, "--n/--replicates-per-sample", destination)

    folder, result = execute_sensitivity(scenario, factors, outcomes, method=args.method, n=args.n, seed=seed,
                                         out=args.out, replicates_per_sample=args.replicates_per_sample,
                                         executor=args.executor, second_order=args.second_order)
    print(f"sensitivity folder: {folder} ({result.n_runs} samples x {args.replicates_per_sample} replicate(s), "
          f"{result.seconds:.1f} s)")
    for j, outcome in enumerate(result.outcomes):
        top = ", ".join(f"{name} {value:.2f}" for name, value in result.ranking(j)[:5])
        print(f"{outcome}: most influential: {top}")
    return EXIT_OK

