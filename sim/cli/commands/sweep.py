"""``sim sweep``: a grid or hypercube over parameters and levers, run batched and written atomically."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.arguments import add_backend, add_force, add_seed_and_out, positive_int
from sim.cli.common import ANALYSIS_ROOT, EXIT_OK, check_output, check_work, outcome_flags, timestamp
from sim.engine.executors import Executor
from sim.engine.progress import Progress
from sim.errors import InputError, Problem

if TYPE_CHECKING:
    import numpy as np

    from sim.engine.experiments import Factor
    from sim.scenario.loader import Scenario
    from sim.scenario.outcomes import Outcome

HELP = "vary parameters or lever intensities over a grid or a hypercube"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
    parser.add_argument("--vary", action="append", required=True, metavar="NAME=LOW:HIGH[:N]",
                        help="a setting as --set names it: parameters.<name> (sim parameters), "
                             "levers.<actor>.<lever> or actors.<actor>.budget; repeatable")
    parser.add_argument("--design", choices=("factorial", "lhs"), default="factorial")
    parser.add_argument("--points", type=positive_int, default=20, help="points of an LHS design (default 20)")
    parser.add_argument("--outcome", action="append", default=[], metavar="EXPR",
                        help="outcome expression, e.g. 'mean(influence.russia.mali)' (repeatable; "
                        "default influence.russia.mali and influence.morocco.mali at the end)")
    parser.add_argument("--replicates", type=positive_int, default=20, help="replicates per point (default 20)")
    add_seed_and_out(parser)
    add_force(parser)
    add_backend(parser)


def command(args: argparse.Namespace) -> int:
    # deferred: the numba-compiled model; YAML and the catalogue
    from sim.analysis.sweep import design_points, design_size, parse_vary
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    outcomes = outcome_flags(args.outcome, ["influence.russia.mali", "influence.morocco.mali"], scenario)
    parsed = [parse_vary(text) for text in args.vary]
    factors, counts = [f for f, _ in parsed], [c for _, c in parsed]
    repeated = sorted({f.name for f in factors if [g.name for g in factors].count(f.name) > 1})
    if repeated:
        raise InputError([Problem.about("--vary", f"'{repeated[0]}' is varied twice; give each name once")])
    seed = scenario.seed if args.seed is None else args.seed
    from sim.engine.workload import points_workload  # deferred: ctypes and the memory probe

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


def execute_sweep(scenario: Scenario, factors: list[Factor], points: np.ndarray, outcomes: list[Outcome], *,
                  replicates: int, seed: int, out: Path | None,
                  executor: Executor | None = None) -> tuple[Path, np.ndarray]:
    """Evaluate every point and write sweep.csv and the charts in one atomic folder."""
    # deferred: numpy, the numba-compiled model and matplotlib
    import csv

    import numpy as np

    from sim.engine.experiments import evaluate_points
    from sim.io.run_folders import atomic_folder, safe_name
    from sim.report.plots import save_figures, sweep_chart

    progress = Progress(len(points), "sweep", unit="point")
    try:
        values = evaluate_points(scenario, factors, points, outcomes, replicates_per_point=replicates, seed=seed,
                                 on_chunk=progress.advance, executor=executor)
    finally:
        progress.close()
    out = out or ANALYSIS_ROOT / f"sweep-{safe_name(scenario.name)}-{timestamp()}"
    with atomic_folder(out) as staging:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["point", *(f.name for f in factors), "outcome", "mean", "p05", "p50", "p95"])
        for p, point in enumerate(points):
            for j, outcome in enumerate(outcomes):
                v = values[p, :, j]
                writer.writerow([p, *(repr(float(x)) for x in point), outcome.text, repr(float(v.mean())),
                                 *(repr(float(q)) for q in np.quantile(v, [0.05, 0.5, 0.95]))])
        (staging / "sweep.csv").write_text(buffer.getvalue())
        figures = {f"sweep_{j}_{d}": sweep_chart(values[:, :, j], points, [f.name for f in factors], o.text, d)
                   for j, o in enumerate(outcomes) for d in range(len(factors))}
        save_figures(figures, staging / "plots")
    return out, values
