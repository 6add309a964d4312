"""``sim sweep`` and ``sim sensitivity`` end to end: parse, run batched, write atomically."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.experiments import Factor, evaluate_points
from sim.outcomes import Outcome
from sim.progress import Progress
from sim.results_io import atomic_folder
from sim.scenario import Scenario

ANALYSIS_ROOT = Path("results/analysis")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")


def execute_sweep(scenario: Scenario, factors: list[Factor], points: np.ndarray, outcomes: list[Outcome], *,
                  replicates: int, seed: int, out: Path | None) -> tuple[Path, np.ndarray]:
    progress = Progress(len(points), "sweep")
    try:
        values = evaluate_points(scenario, factors, points, outcomes, replicates_per_point=replicates, seed=seed,
                                 on_chunk=progress.advance)
    finally:
        progress.close()
    out = out or ANALYSIS_ROOT / f"sweep-{scenario.name}-{_stamp()}"
    from sim.plots import save_figures, sweep_chart

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


def execute_sensitivity(scenario: Scenario, factors: list[Factor], outcomes: list[Outcome], *, method: str, n: int,
                        seed: int, out: Path | None):
    from sim.sensitivity import model_evaluator, run_sensitivity

    progress = Progress(1, "sensitivity")
    try:
        evaluate = model_evaluator(scenario, factors, outcomes, seed)
        result = run_sensitivity(factors, [o.text for o in outcomes], evaluate, method, n, seed)
    finally:
        progress.close()
    out = out or ANALYSIS_ROOT / f"sensitivity-{method}-{scenario.name}-{_stamp()}"
    from sim.plots import save_figures, sensitivity_chart

    rows = result.table()
    with atomic_folder(out) as staging:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()} for row in rows)
        (staging / "indices.csv").write_text(buffer.getvalue())
        save_figures({f"sensitivity_{j}": sensitivity_chart(result, j) for j in range(len(outcomes))},
                     staging / "plots")
        (staging / "summary.md").write_text(summary_markdown(result, scenario, seed))
    return out, result


def summary_markdown(result, scenario: Scenario, seed: int) -> str:
    key = "ST" if result.method == "sobol" else "mu*"
    lines = [f"# Sensitivity ({result.method}) of {scenario.name}", "",
             f"{result.n_runs} model runs of {scenario.horizon} months, {len(result.names)} parameters, seed {seed}, "
             f"{result.seconds:.1f} s. Parameters varied over their catalogue ranges (`sim parameters`).", ""]
    for j, outcome in enumerate(result.outcomes):
        ranking = result.ranking(j)
        total = sum(v for _, v in ranking) or 1.0
        important = [(n, v) for n, v in ranking if v >= 0.05 * max(ranking[0][1], 1e-12)][:8]
        lines += [f"## {outcome}", "", f"Parameters that matter (by {key}, largest first):", ""]
        lines += [f"- `{n}`: {key} = {v:.3f}" for n, v in important]
        negligible = len(ranking) - len(important)
        lines += ["", f"The other {negligible} parameters have {key} below 5% of the largest"
                      f" (together {sum(v for _, v in ranking[len(important):]) / total:.0%} of the total).", ""]
    return "\n".join(lines)
