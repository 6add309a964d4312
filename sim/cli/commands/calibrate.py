"""``sim calibrate``: fit parameters to documented history; writes a scenario overlay and a fit report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.arguments import add_backend, add_force, add_seed_and_out, positive_int
from sim.cli.common import ANALYSIS_ROOT, EXIT_OK, check_output, check_work, require_extra, timestamp
from sim.engine.executors import Executor
from sim.errors import InputError, Problem

if TYPE_CHECKING:
    import numpy as np

    from sim.analysis.calibration import CalibrationResult, Target
    from sim.engine.experiments import Factor
    from sim.scenario.loader import Scenario

HELP = "fit uncertain parameters to documented history"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file (e.g. scenarios/history_2012_2022.yaml)")
    parser.add_argument("--targets", required=True,
                        help="targets file (e.g. scenarios/targets/history_2012_2022.yaml)")
    parser.add_argument("--method", choices=("de", "abc"), default="de",
                        help="de: SciPy differential evolution (a point); abc: ABC-SMC with pyabc (a posterior "
                             "sample)")
    parser.add_argument("--params", nargs="+", default=[], metavar="GLOB",
                        help="parameters to fit (default: the scenario's uncertainties)")
    parser.add_argument("--budget", type=positive_int, default=400,
                        help="candidate points to evaluate (default 400)")
    parser.add_argument("--replicates", type=positive_int, default=8, help="replicates per point (default 8)")
    add_seed_and_out(parser)
    add_force(parser)
    add_backend(parser)


def command(args: argparse.Namespace) -> int:
    if args.method == "abc":
        require_extra("sim calibrate --method abc", "validation", "pyabc")
    # deferred: the numba-compiled model; YAML and the catalogue
    from sim.analysis.calibration import load_targets
    from sim.analysis.sensitivity import default_factors
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    patterns = args.params or [u.parameter for u in scenario.uncertainties]
    if not patterns:
        raise InputError([Problem.about(args.scenario, "nothing to calibrate: the scenario has no uncertainties; "
                                                       "name parameters with --params")])
    targets = load_targets(args.targets, run=(scenario.date_of(0), scenario.date_of(scenario.horizon)))
    factors = default_factors(patterns, where="--params")
    seed = scenario.seed if args.seed is None else args.seed
    from sim.engine.workload import points_workload  # deferred: ctypes and the memory probe

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


def execute_calibrate(scenario: Scenario, scenario_path: Path, factors: list[Factor], targets: list[Target], *,
                      method: str, budget: int, replicates: int, seed: int, out: Path | None,
                      executor: Executor | None = None) -> tuple[Path, CalibrationResult]:
    """Fit, then write overlay.yaml, fit_report.md and the charts in one atomic folder."""
    # deferred: numpy, the numba-compiled model, matplotlib; YAML
    import numpy as np

    from sim.analysis.calibration import calibrate_abc, calibrate_de, loss_function
    from sim.io.run_folders import atomic_folder, safe_name
    from sim.report.plots import calibration_chart, posterior_chart, save_figures
    from sim.scenario.catalogue import load_catalogue

    loss = loss_function(scenario, factors, targets, replicates=replicates, seed=seed, executor=executor)
    specs = load_catalogue().parameters
    defaults = np.array([scenario.parameters.get(f.name, specs[f.name].default) for f in factors])
    if method == "de":
        result = calibrate_de(loss, factors, budget=budget, seed=seed, defaults=defaults)
    else:
        result = calibrate_abc(loss, factors, budget=budget, seed=seed, defaults=defaults, targets=targets)
    out = out or ANALYSIS_ROOT / f"calibrate-{method}-{safe_name(scenario.name)}-{timestamp()}"
    with atomic_folder(out) as staging:
        (staging / "overlay.yaml").write_text(overlay_yaml(result, scenario, scenario_path))
        (staging / "fit_report.md").write_text(fit_report(result, targets, scenario, defaults))
        figures = {"targets_before_after": calibration_chart(result, targets)}
        if result.posterior is not None:
            figures["posterior"] = posterior_chart(result)
        save_figures(figures, staging / "plots")
    return out, result


def overlay_yaml(result: CalibrationResult, scenario: Scenario, scenario_path: Path) -> str:
    """A scenario overlay that ``extends`` the calibrated file, written by ``yaml.safe_dump``."""
    # deferred: numpy and YAML, not for --help
    import numpy as np
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


def fit_report(result: CalibrationResult, targets: list[Target], scenario: Scenario, defaults: np.ndarray) -> str:
    """fit_report.md: each target and parameter before and after the fit."""
    import numpy as np  # deferred: numpy, not for --help

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
