"""Regression checks against blessed reference outputs (``results/reference/<scenario>/``).

A reference holds ``summary.csv`` (exact summaries at a fixed seed and replicate count),
``final.csv`` (every replicate's value of every series at the last month) and
``reference.json`` (hashes, versions, seed, replicates, tolerances). A check re-runs the
scenario and decides, in order:

1. identical: the SHA-256 of the full-precision outputs matches;
2. otherwise it passes only if every summary value is within
   ``atol + rtol * |reference| + z * sqrt(2) * se`` (se: the value's Monte-Carlo standard
   error, bootstrapped from the current run's replicates, so rare-shock tail quantiles of a
   small ensemble do not cry wolf) AND a two-sample Kolmogorov-Smirnov test per series (last month, Holm-corrected to a
   family-wise false-alarm rate ``alpha``) finds no drift in the ensemble's distribution.
   A change of random-number usage that keeps the model's distribution passes; a change of
   the model fails with a diff, worst first.

Values checked one by one are the mean and the median of every series at every month. The
5% and 95% quantiles of a 64-replicate ensemble hinge on a handful of replicates hit by
rare shocks (a coup in Morocco, say), so they are left to the distribution test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import MODEL_VERSION, __version__
from sim.engine.runner import run
from sim.engine.summary import STATISTICS, summarise
from sim.engine.workload import model_workload, refuse_if_too_big, series_count
from sim.errors import InputError, Problem, did_you_mean
from sim.io.references import outputs_hash, read_reference, write_reference
from sim.model.trajectories import Trajectories
from sim.scenario.loader import Scenario, load_scenario

DEFAULT_REPLICATES = 64
DEFAULT_RTOL, DEFAULT_ATOL, DEFAULT_ALPHA = 0.05, 0.02, 0.01
NOISE_Z = 5.0  # standard errors of Monte-Carlo noise allowed on top of atol/rtol
BOOTSTRAP = 40
VALUE_CHECKED = ("mean", "p50")


@dataclass(frozen=True)
class Deviation:
    metric: str
    source: str
    target: str
    date: str
    statistic: str
    reference: float
    now: float
    tolerance: float

    @property
    def excess(self) -> float:
        return abs(self.now - self.reference) / self.tolerance

    def line(self, scenario: str) -> str:
        relative = (self.now - self.reference) / abs(self.reference) if self.reference else float("inf")
        arrow = f"{self.source} -> {self.target}" if self.target else self.source
        return (f"  {scenario}: {self.metric} {arrow} {self.date} {self.statistic}: reference {self.reference:.4f}, "
                f"now {self.now:.4f} ({relative:+.1%}); broke tolerance {self.tolerance:.4f} by {self.excess:.1f}x")


@dataclass
class Verdict:
    name: str
    status: str  # identical | within tolerance | drift
    edited: bool = False
    deviations: list[Deviation] = field(default_factory=list)
    drifted: list[tuple[str, float]] = field(default_factory=list)  # (series, adjusted p-value)
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.status != "drift"

    def lines(self, show: int = 12) -> list[str]:
        head = {"identical": "identical", "within tolerance": "not identical, within tolerance",
                "drift": "DRIFT"}[self.status]
        out = [f"{self.name}: {head}{'; ' + self.note if self.note else ''}"]
        if self.edited:
            outcome = "its outputs changed, so it fails" if self.status == "drift" else "its outputs did not change"
            out.append(f"  note: scenarios/{self.name}.yaml was edited since it was blessed and {outcome}; if the "
                       f"change is intended, re-bless with: sim regress --update {self.name}")
        worst: dict[tuple[str, str, str], tuple[Deviation, int]] = {}  # per series: worst value, count
        for deviation in self.deviations:
            key = (deviation.metric, deviation.source, deviation.target)
            best, count = worst.get(key, (deviation, 0))
            worst[key] = (deviation if deviation.excess > best.excess else best, count + 1)
        ranked = sorted(worst.values(), key=lambda item: -item[0].excess)
        for deviation, count in ranked[:show]:
            more = f" [{count} values of this series outside tolerance]" if count > 1 else ""
            out.append(deviation.line(self.name) + more)
        if len(ranked) > show:
            out.append(f"  ... and {len(ranked) - show} more series outside tolerance "
                       f"({len(self.deviations)} values in all)")
        for series, p in self.drifted[:show]:
            out.append(f"  {self.name}: distribution of {series} at the last month drifted (Holm-adjusted p = {p:.2g})")
        return out


def _run(scenario: Scenario, replicates: int, seed: int) -> Trajectories:
    return run(scenario, n_replicates=replicates, seed=seed)


def bless(path: Path, root: Path, *, replicates: int = DEFAULT_REPLICATES, seed: int | None = None,
          rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, alpha: float = DEFAULT_ALPHA) -> Path:
    """Write (or replace) the reference of one scenario file, atomically."""
    scenario = load_scenario(path)
    seed = scenario.seed if seed is None else seed
    trajectories = _run(scenario, replicates, seed)
    summary = summarise(trajectories)
    meta = {"scenario": path.stem, "scenario_sha256": scenario.content_hash,
            "outputs_sha256": outputs_hash(trajectories), "package_version": __version__,
            "model_version": MODEL_VERSION, "seed": seed, "replicates": replicates,
            "tolerances": {"rtol": rtol, "atol": atol, "alpha": alpha}}
    target = root / path.stem
    write_reference(target, trajectories, summary, meta)
    return target


def check(path: Path, root: Path, *, rtol: float | None = None, atol: float | None = None,
          alpha: float | None = None) -> Verdict:
    """Re-run one scenario at its reference's seed and replicates and judge the outputs."""
    meta, ref_summary, ref_final = read_reference(root / path.stem)
    scenario = load_scenario(path)
    tol = meta["tolerances"]
    rtol = tol["rtol"] if rtol is None else rtol
    atol = tol["atol"] if atol is None else atol
    alpha = tol["alpha"] if alpha is None else alpha
    # the re-run keeps every trajectory in memory: a count this machine cannot hold is refused up front
    refuse_if_too_big(model_workload(meta["replicates"], scenario.horizon, series_count()), force=False,
                      flag=str(root / path.stem / "reference.json"), can_force=False)
    trajectories = _run(scenario, meta["replicates"], meta["seed"])
    verdict = Verdict(path.stem, "identical", edited=scenario.content_hash != meta["scenario_sha256"])
    if meta.get("model_version") != MODEL_VERSION:
        verdict.note = f"model version {meta.get('model_version')} -> {MODEL_VERSION}"
    if outputs_hash(trajectories) == meta["outputs_sha256"]:
        return verdict
    summary = summarise(trajectories)
    noise = NOISE_Z * np.sqrt(2.0) * _bootstrap_se(trajectories.values, seed=meta["seed"])
    now_keys = set()
    for t, date in enumerate(summary.dates):
        for s, (metric, source, target) in enumerate(summary.series):
            key = (t, metric, source, target)
            now_keys.add(key)
            if key not in ref_summary:
                continue
            _, reference = ref_summary[key]
            for k, stat in enumerate(STATISTICS):
                if stat not in VALUE_CHECKED:
                    continue
                tolerance = atol + rtol * abs(reference[k]) + float(noise[t, s, k])
                now = float(summary[stat][t, s])
                if abs(now - reference[k]) > tolerance:
                    verdict.deviations.append(Deviation(metric, source, target, date, stat, reference[k], now,
                                                        tolerance))
    missing = set(ref_summary) - now_keys
    if missing or len(now_keys) != len(ref_summary):
        verdict.note = (verdict.note + "; " if verdict.note else "") + \
            f"series or dates changed ({len(missing)} reference values have no counterpart)"
    verdict.drifted = _distribution_drift(trajectories, ref_final, alpha)
    # a scenario edited since its blessing whose outputs moved fails: the reference no longer
    # describes it, whatever the tolerances say (re-bless if the edit is intended)
    failed = bool(verdict.deviations or verdict.drifted or missing or verdict.edited)
    verdict.status = "drift" if failed else "within tolerance"
    return verdict


def _bootstrap_se(values: np.ndarray, seed: int) -> np.ndarray:
    """Standard error of each summary statistic (mean, p05, p50, p95): shape (T, S, 4)."""
    rng = np.random.default_rng(seed)
    n = values.shape[0]
    draws = []
    for _ in range(BOOTSTRAP):
        sample = values[rng.integers(0, n, n)]
        draws.append(np.concatenate([sample.mean(axis=0)[None], np.quantile(sample, (0.05, 0.5, 0.95), axis=0)]))
    return np.std(np.stack(draws), axis=0, ddof=1).transpose(1, 2, 0)


def _distribution_drift(trajectories: Trajectories, reference: dict, alpha: float) -> list[tuple[str, float]]:
    """Two-sample KS test per series at the last month, Holm-corrected across series."""
    from scipy.stats import ks_2samp

    tests = []
    for s, key in enumerate(trajectories.series):
        if key not in reference:
            continue
        now, ref = trajectories.values[:, -1, s], reference[key]
        if np.ptp(now) == 0 and np.ptp(ref) == 0:
            p = 1.0 if now[0] == ref[0] else 0.0
        else:
            p = float(ks_2samp(now, ref).pvalue)
        tests.append((" ".join(k for k in key if k), p))
    tests.sort(key=lambda item: item[1])
    drifted, m = [], len(tests)
    for rank, (name, p) in enumerate(tests):
        adjusted = min(1.0, p * (m - rank))
        if adjusted > alpha:
            break  # Holm: stop at the first hypothesis not rejected
        drifted.append((name, adjusted))
    return drifted


def discover(names: list[str], scenarios_dir: Path) -> list[Path]:
    """Scenario files to check: the named ones (stem or path), or every file in ``scenarios_dir``."""
    if not names:
        return sorted(scenarios_dir.glob("*.yaml"))
    out, problems = [], []
    available = sorted(p.stem for p in scenarios_dir.glob("*.yaml"))
    for name in names:
        path = Path(name)
        if path.suffix != ".yaml":
            path = scenarios_dir / f"{name}.yaml"
        if not path.is_file():
            problems.append(Problem.about(name, f"unknown scenario '{name}'{did_you_mean(Path(name).stem, available)}"))
        out.append(path)
    if problems:
        raise InputError(problems)
    return out


def orphan_references(root: Path, scenarios_dir: Path) -> list[str]:
    """Reference folders whose scenario file is gone: stale, never checked, worth a note."""
    if not root.is_dir():
        return []
    return sorted(f.name for f in root.iterdir()
                  if f.is_dir() and not f.name.startswith(".") and not (scenarios_dir / f"{f.name}.yaml").is_file())
