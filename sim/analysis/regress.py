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

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import MODEL_VERSION, __version__
from sim.engine.runner import run
from sim.engine.summary import STATISTICS, summarise
from sim.errors import InputError, Problem
from sim.io.run_folders import atomic_folder, finish_replacements, write_summary
from sim.io.tidy import key_target, table_target
from sim.model.trajectories import Trajectories
from sim.scenario.loader import Scenario, load_scenario

DEFAULT_REPLICATES = 64
DEFAULT_RTOL, DEFAULT_ATOL, DEFAULT_ALPHA = 0.05, 0.02, 0.01
NOISE_Z = 5.0  # standard errors of Monte-Carlo noise allowed on top of atol/rtol
BOOTSTRAP = 40
VALUE_CHECKED = ("mean", "p50")
REFERENCE_FILES = ("summary.csv", "final.csv")


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
            out.append(f"  note: scenarios/{self.name}.yaml was edited since it was blessed; if the change is "
                       f"intended, re-bless with: sim regress --update {self.name}")
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


def outputs_hash(trajectories: Trajectories) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([list(s) for s in trajectories.series]).encode())
    digest.update(np.ascontiguousarray(trajectories.values, dtype="<f8").tobytes())
    return digest.hexdigest()


def _run(scenario: Scenario, replicates: int, seed: int) -> Trajectories:
    return run(scenario, n_replicates=replicates, seed=seed)


def bless(path: Path, root: Path, *, replicates: int = DEFAULT_REPLICATES, seed: int | None = None,
          rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL, alpha: float = DEFAULT_ALPHA) -> Path:
    """Write (or replace) the reference of one scenario file, atomically."""
    scenario = load_scenario(path)
    seed = scenario.seed if seed is None else seed
    trajectories = _run(scenario, replicates, seed)
    summary = summarise(trajectories)
    target = root / path.stem
    with atomic_folder(target, replace=True) as staging:
        write_summary(staging / "summary.csv", summary, exact=True)  # the run folders' writer, full precision
        with open(staging / "final.csv", "w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("metric", "source", "target", *(f"r{r}" for r in trajectories.replicate_ids)))
            for s, (metric, source, target) in enumerate(trajectories.series):
                writer.writerow([metric, source, table_target(target),
                                 *(repr(float(x)) for x in trajectories.values[:, -1, s])])
        meta = {"scenario": path.stem, "scenario_sha256": scenario.content_hash,
                "outputs_sha256": outputs_hash(trajectories),
                "files": {name: _file_record(staging / name) for name in REFERENCE_FILES},
                "package_version": __version__, "model_version": MODEL_VERSION, "seed": seed,
                "replicates": replicates, "tolerances": {"rtol": rtol, "atol": atol, "alpha": alpha}}
        (staging / "reference.json").write_text(json.dumps(meta, indent=2) + "\n")
    return target


def _file_record(path: Path) -> dict:
    """Row count and SHA-256 of a reference file, so a cut-short or edited file is caught."""
    data = path.read_bytes()
    return {"rows": data.count(b"\n") - 1, "sha256": hashlib.sha256(data).hexdigest()}


def _verify_files(folder: Path, meta: dict) -> None:
    """Each reference file must be the one blessed: same row count, same content hash."""
    meta_path = folder / "reference.json"
    records = meta.get("files")
    if not isinstance(records, dict) or set(records) != set(REFERENCE_FILES):
        raise InputError([Problem(str(meta_path), 1, 1, "reference without row counts and content hashes (blessed "
                                  f"by an older version); re-bless it with: sim regress --update {folder.name}")])
    for name in REFERENCE_FILES:
        path = folder / name
        if not path.is_file():
            raise InputError([Problem(str(path), 1, 1, "missing from the reference")])
        now, blessed = _file_record(path), records[name]
        if now != blessed:
            what = (f"{now['rows']} rows where {blessed['rows']} were blessed" if now["rows"] != blessed.get("rows")
                    else "content differs from the blessed file (SHA-256)")
            raise InputError([Problem(str(path), 1, 1, f"reference file changed since it was blessed: {what}; "
                                      f"restore it (git checkout) or re-bless with: sim regress --update "
                                      f"{folder.name}")])


def _meta_type_problem(meta: object) -> str | None:
    """What is wrong with the types in reference.json, or None (an edited file must not crash regress)."""
    import math

    if not isinstance(meta, dict):
        return "expected a JSON object"
    if not isinstance(meta.get("seed"), int) or isinstance(meta.get("seed"), bool) or meta["seed"] < 0:
        return f"seed = {meta.get('seed')!r}, expected a whole number >= 0"
    if not isinstance(meta.get("replicates"), int) or isinstance(meta.get("replicates"), bool) or \
            meta["replicates"] < 1:
        return f"replicates = {meta.get('replicates')!r}, expected a whole number >= 1"
    tolerances = meta.get("tolerances")
    if not isinstance(tolerances, dict) or not all(
            isinstance(tolerances.get(k), int | float) and not isinstance(tolerances.get(k), bool)
            and math.isfinite(tolerances[k]) and tolerances[k] >= 0 for k in ("rtol", "atol", "alpha")):
        return f"tolerances = {tolerances!r}, expected finite rtol, atol and alpha >= 0"
    files = meta.get("files")
    if files is not None and (not isinstance(files, dict) or not all(
            isinstance(r, dict) and isinstance(r.get("rows"), int) and isinstance(r.get("sha256"), str)
            for r in files.values())):
        return "files: expected {name: {rows: N, sha256: hex}}"
    return None


def _read_reference(folder: Path) -> tuple[dict, dict, dict]:
    """reference.json, summary values and final values; InputError if missing, corrupt or altered."""
    if folder.parent.is_dir():
        finish_replacements(folder.parent)  # a re-bless killed half-way is completed, never lost
    meta_path = folder / "reference.json"
    if not meta_path.exists():
        raise InputError([Problem(str(meta_path), 1, 1, f"no reference; bless it with: sim regress --update "
                                                         f"{folder.name}")])
    try:
        meta = json.loads(meta_path.read_text())
        for key in ("outputs_sha256", "scenario_sha256", "seed", "replicates", "tolerances"):
            meta[key]
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(meta_path), exc.lineno, exc.colno, f"corrupt reference: {exc.msg}")]) from None
    except (KeyError, TypeError) as exc:
        raise InputError([Problem(str(meta_path), 1, 1, f"corrupt reference: missing {exc}")]) from None
    wrong = _meta_type_problem(meta)
    if wrong:
        raise InputError([Problem(str(meta_path), 1, 1, f"corrupt reference: {wrong}; re-bless with: "
                                                         f"sim regress --update {folder.name}")])
    _verify_files(folder, meta)
    summary, final = {}, {}
    for name, table in (("summary.csv", summary), ("final.csv", final)):
        path, line = folder / name, 1
        try:
            with open(path, newline="") as handle:
                rows = list(csv.reader(handle))
            for line, row in enumerate(rows[1:], start=2):  # noqa: B007 - `line` locates errors below
                if name == "summary.csv":
                    table[(int(row[0]), row[2], row[3], key_target(row[4]))] = (row[1], [float(x) for x in row[5:9]])
                else:
                    table[(row[0], row[1], key_target(row[2]))] = np.array([float(x) for x in row[3:]])
                if name == "final.csv" and len(row) - 3 != meta["replicates"]:
                    raise ValueError(f"expected {meta['replicates']} replicate values")
        except FileNotFoundError:
            raise InputError([Problem(str(path), 1, 1, "missing from the reference")]) from None
        except (ValueError, IndexError) as exc:
            raise InputError([Problem(str(path), line, 1, f"corrupt reference row: {exc}")]) from None
    return meta, summary, final


def check(path: Path, root: Path, *, rtol: float | None = None, atol: float | None = None,
          alpha: float | None = None) -> Verdict:
    """Re-run one scenario at its reference's seed and replicates and judge the outputs."""
    meta, ref_summary, ref_final = _read_reference(root / path.stem)
    scenario = load_scenario(path)
    tol = meta["tolerances"]
    rtol = tol["rtol"] if rtol is None else rtol
    atol = tol["atol"] if atol is None else atol
    alpha = tol["alpha"] if alpha is None else alpha
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
    failed = bool(verdict.deviations or verdict.drifted or missing)
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
            from sim.errors import did_you_mean

            problems.append(Problem(name, 1, 1, f"unknown scenario '{name}'{did_you_mean(Path(name).stem, available)}"))
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


def junit_xml(verdicts: list[Verdict], seconds: float) -> str:
    """JUnit XML for CI dashboards, built with xml.etree (names and diffs escaped by the library)."""
    import xml.etree.ElementTree as ET

    suite = ET.Element("testsuite", name="sim regress", tests=str(len(verdicts)),
                       failures=str(sum(not v.passed for v in verdicts)), time=f"{seconds:.3f}")
    for v in verdicts:
        case = ET.SubElement(suite, "testcase", classname="sim.regress", name=v.name)
        if not v.passed:
            lines = v.lines()
            ET.SubElement(case, "failure", message=lines[0]).text = "\n".join(lines)
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
