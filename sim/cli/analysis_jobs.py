"""``sim sweep`` and ``sim sensitivity`` end to end: parse, run batched, write atomically."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim.engine.executors import Executor
from sim.engine.experiments import Factor, evaluate_points
from sim.engine.progress import Progress
from sim.io.run_folders import atomic_folder, safe_name
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import Outcome

ANALYSIS_ROOT = Path("results/analysis")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")


def execute_sweep(scenario: Scenario, factors: list[Factor], points: np.ndarray, outcomes: list[Outcome], *,
                  replicates: int, seed: int, out: Path | None,
                  executor: Executor | None = None) -> tuple[Path, np.ndarray]:
    progress = Progress(len(points), "sweep", unit="point")
    try:
        values = evaluate_points(scenario, factors, points, outcomes, replicates_per_point=replicates, seed=seed,
                                 on_chunk=progress.advance, executor=executor)
    finally:
        progress.close()
    out = out or ANALYSIS_ROOT / f"sweep-{safe_name(scenario.name)}-{_stamp()}"
    from sim.report.plots import save_figures, sweep_chart

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
                        seed: int, out: Path | None, replicates_per_sample: int = 1,
                        executor: Executor | None = None, second_order: bool = False):
    from sim.analysis.sensitivity import model_evaluator, run_sensitivity, sample_count

    progress = Progress(sample_count(method, n, len(factors), second_order), "sensitivity", unit="sample")
    try:
        evaluate = model_evaluator(scenario, factors, outcomes, seed, on_chunk=progress.advance,
                                   replicates_per_sample=replicates_per_sample, executor=executor)
        result = run_sensitivity(factors, [o.text for o in outcomes], evaluate, method, n, seed,
                                 replicates_per_sample=replicates_per_sample, second_order=second_order,
                                 executor=executor)
    finally:
        progress.close()
    out = out or ANALYSIS_ROOT / f"sensitivity-{method}-{safe_name(scenario.name)}-{_stamp()}"
    from sim.report.plots import save_figures, sensitivity_chart

    rows = result.table()
    with atomic_folder(out) as staging:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()} for row in rows)
        (staging / "indices.csv").write_text(buffer.getvalue())
        if result.second_order:
            pairs = io.StringIO()
            writer = csv.DictWriter(pairs, fieldnames=["outcome", "parameter", "other", "S2", "S2_conf"],
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()}
                             for row in result.pairs())
            (staging / "second_order.csv").write_text(pairs.getvalue())
        save_figures({f"sensitivity_{j}": sensitivity_chart(result, j) for j in range(len(outcomes))},
                     staging / "plots")
        (staging / "summary.md").write_text(summary_markdown(result, scenario, seed))
    return out, result


def summary_markdown(result, scenario: Scenario, seed: int) -> str:
    key = "ST" if result.method == "sobol" else "mu*"
    lines = [f"# Sensitivity ({result.method}) of {scenario.name}", "",
             f"{result.n_runs} samples of {scenario.horizon} months, {len(result.names)} parameters, seed {seed}, "
             f"{result.seconds:.1f} s. Parameters varied over their catalogue ranges (`sim parameters`).", "",
             f"Each sample's outcome is the mean of {result.replicates_per_sample} replicate(s) "
             f"(`--replicates-per-sample`, default 1), with the same random streams for every sample "
             f"(replicates 0..{result.replicates_per_sample - 1}): the indices measure the parameters at those "
             "shocks; raise K to average over more of them.", ""]
    for j, outcome in enumerate(result.outcomes):
        ranking = result.ranking(j)
        conf = result.confidence(j)
        total = sum(v for _, v in ranking) or 1.0
        important = [(n, v) for n, v in ranking if v >= 0.05 * max(ranking[0][1], 1e-12)][:8]
        lines += [f"## {outcome}", "", f"Parameters that matter (by {key}, largest first; ± the 95% confidence "
                                       "half-width from SALib's bootstrap):", ""]
        lines += [f"- `{n}`: {key} = {v:.3f} ± {conf[n]:.3f}" + (" (not distinguishable from 0)" if conf[n] >= v
                                                                 else "") for n, v in important]
        negligible = len(ranking) - len(important)
        lines += ["", f"The other {negligible} parameters have {key} below 5% of the largest"
                      f" (together {sum(v for _, v in ranking[len(important):]) / total:.0%} of the total).", ""]
    return "\n".join(lines)


def execute_calibrate(scenario: Scenario, scenario_path: Path, factors: list[Factor], targets, *, method: str,
                      budget: int, replicates: int, seed: int, out: Path | None,
                      executor: Executor | None = None):
    from sim.analysis.calibration import calibrate_abc, calibrate_de, loss_function
    from sim.scenario.catalogue import load_catalogue

    loss = loss_function(scenario, factors, targets, replicates=replicates, seed=seed, executor=executor)
    specs = load_catalogue().parameters
    defaults = np.array([scenario.parameters.get(f.name, specs[f.name].default) for f in factors])
    if method == "de":
        result = calibrate_de(loss, factors, budget=budget, seed=seed, defaults=defaults)
    else:
        result = calibrate_abc(loss, factors, budget=budget, seed=seed, defaults=defaults, targets=targets)
    out = out or ANALYSIS_ROOT / f"calibrate-{method}-{safe_name(scenario.name)}-{_stamp()}"
    from sim.report.plots import calibration_chart, posterior_chart, save_figures

    with atomic_folder(out) as staging:
        (staging / "overlay.yaml").write_text(overlay_yaml(result, scenario, scenario_path))
        (staging / "fit_report.md").write_text(fit_report(result, targets, scenario, defaults))
        figures = {"targets_before_after": calibration_chart(result, targets)}
        if result.posterior is not None:
            figures["posterior"] = posterior_chart(result)
        save_figures(figures, staging / "plots")
    return out, result


def execute_backtest(replay: Scenario, targets, observations, factors: list[Factor], cutoffs: list[int], *,
                     population: int, generations: int, budget: int, replicates: int, seed: int, out: Path | None,
                     root: Path) -> tuple[Path, str]:
    """Run the rolling-origin backtest and write report.md and scores.csv in one atomic folder."""
    from sim.analysis.backtest import backtest, report, scores_csv

    results = backtest(replay, targets, observations, factors, cutoffs, population=population,
                       generations=generations, budget=budget, replicates=replicates, seed=seed)
    text = report(results)
    out = out or root / f"backtest-{safe_name(replay.name)}-{_stamp()}"
    header = (f"# Backtest of {replay.name}\n\nCutoffs {', '.join(r.cutoff for r in results)}; ABC-SMC population "
              f"{population}, at most {generations} generations and {budget} evaluations per fit, {replicates} "
              f"replicates per point, seed {seed}.\n\n")
    with atomic_folder(out) as staging:
        (staging / "report.md").write_text(header + text)
        (staging / "scores.csv").write_text(scores_csv(results))
    return out, text


def overlay_yaml(result, scenario: Scenario, scenario_path: Path) -> str:
    """A scenario overlay that ``extends`` the calibrated file, written by ``yaml.safe_dump``."""
    import yaml

    header = ["# yaml-language-server: $schema=../docs/scenario.schema.json",
              f"# Calibrated overlay for {scenario.name} ({result.method}, {result.evaluations} candidate points).",
              f"# Copy next to {scenario_path.name} in scenarios/ to use it; scenarios may extend this file."]
    data: dict = {"extends": scenario_path.name, "name": f"{scenario.name}_calibrated"}
    if result.posterior is None:
        data["parameters"] = {f.name: float(v) for f, v in zip(result.factors, result.best, strict=True)}
    else:
        header.append("# uncertainties: the 5-95% range of the ABC-SMC posterior, drawn uniformly per replicate.")
        data["uncertainties"] = {}
        for d, f in enumerate(result.factors):
            low, high = np.quantile(result.posterior[:, d], [0.05, 0.95])
            if high <= low:
                high = min(f.high, low + 1e-6)
            data["uncertainties"][f.name] = {"distribution": "uniform", "low": float(low), "high": float(high)}
    return "\n".join(header) + "\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def fit_report(result, targets, scenario: Scenario, defaults: np.ndarray) -> str:
    method = "differential evolution" if result.method == "de" else "ABC-SMC (pyabc)"
    lines = [f"# Calibration of {scenario.name} ({method})",
             "", f"Loss {result.default_loss:.4g} at the current values, {result.best_loss:.4g} after "
             f"({result.evaluations} points evaluated, each a batched ensemble).", "",
             "| target | allowed | before | after | hit | source |", "| --- | --- | --- | --- | --- | --- |"]
    for j, t in enumerate(targets):
        allowed = f"[{t.low:g}, {t.high:g}]".replace("-inf", "-∞").replace("inf", "∞")
        hit = "yes" if t.distance(np.array(result.best_means[j])) == 0 else "no"
        lines.append(f"| {t.id} | {allowed} | {result.default_means[j]:+.3f} | {result.best_means[j]:+.3f} | {hit} | "
                     f"{t.source} |")
    lines += ["", "| parameter | before | after | range |", "| --- | --- | --- | --- |"]
    for f, before, after in zip(result.factors, defaults, result.best, strict=True):
        lines.append(f"| `{f.name}` | {before:.4g} | {after:.4g} | [{f.low:g}, {f.high:g}] |")
    if result.posterior is not None:
        lines += ["", f"Posterior sample: {len(result.posterior)} accepted points (closest 5% of the prior draws); "
                  "see plots/posterior.png and the `uncertainties:` block of overlay.yaml."]
    return "\n".join(lines) + "\n"
