"""``sim optimize``: the mix of one actor's levers that does best on an outcome, against the references."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from sim.cli.common import EXIT_OK, check_output, check_work


def command(args: argparse.Namespace) -> int:
    import numpy as np

    from sim.analysis.optimize import optimize, report
    from sim.cli.analysis_jobs import ANALYSIS_ROOT
    from sim.engine.workload import points_workload
    from sim.io.run_folders import atomic_folder, safe_name
    from sim.scenario.loader import resolve_scenario

    scenario = resolve_scenario(args.scenario)
    destination = check_output(args.out, ANALYSIS_ROOT)
    check_work(points_workload(args.budget + 40, args.replicates, scenario.horizon, factors=10, outcomes=1), args,
               "--budget", destination)
    seed = scenario.seed if args.seed is None else args.seed
    result = optimize(scenario, args.actor, args.objective, replicates=args.replicates, budget=args.budget, seed=seed,
                      robust=args.robust)
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}"
    out = args.out or ANALYSIS_ROOT / f"optimize-{safe_name(scenario.name)}-{args.actor}-{stamp}"
    text = report(result)
    with atomic_folder(out) as staging:
        (staging / "report.md").write_text(text)
        lines = ["strategy," + ",".join(f"{args.actor}.{lever}" for lever in result.levers) + ",score"]
        lines += [f"{s.name}," + ",".join(f"{v:.6g}" for v in s.mix) + f",{np.mean(s.values):.6g}"
                  for s in result.strategies]
        (staging / "mixes.csv").write_text("\n".join(lines) + "\n")
    print(text)
    print(f"optimize folder: {out}")
    return EXIT_OK
