"""``sim run`` end to end: run, reduce, plot, write the folder, say what happened."""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from sim import MODEL_VERSION, __version__
from sim.engine.executors import Executor, executor_description
from sim.engine.progress import Progress
from sim.engine.runner import DEFAULT_CHUNK_SIZE, run_ensemble
from sim.engine.summary import Summary
from sim.model.parameters import ParameterSet
from sim.scenario.catalogue import ACTOR_LABELS, ACTORS, load_catalogue
from sim.scenario.loader import Scenario

RUNS_ROOT = Path("results/runs")


@dataclass(frozen=True)
class RunOutcome:
    folder: Path
    manifest: dict
    summary: Summary
    headline: list[str]
    trajectories_note: str


def execute_run(scenario: Scenario, *, replicates: int | None = None, seed: int | None = None,
                out: Path | None = None, trajectory_cap: int | None = 100,
                chunk_size: int | None = None, command: list[str] | None = None, file_format: str = "csv",
                exact: bool = False, executor: Executor | None = None,
                overrides: list[str] | None = None) -> RunOutcome:
    """Run ``scenario`` and write its run folder; returns where and a short headline."""
    n = scenario.replicates if replicates is None else replicates
    seed = scenario.seed if seed is None else seed
    started = datetime.now(UTC)
    clock = time.perf_counter()
    progress = Progress(total=n * scenario.horizon, label=f"{scenario.name}")
    try:
        ensemble = run_ensemble(scenario, n, seed, chunk_size=chunk_size or DEFAULT_CHUNK_SIZE,
                                keep=trajectory_cap, on_step=progress.advance, executor=executor)
    finally:
        progress.close()
    summary, trajectories = ensemble.summary, ensemble.kept
    if out is None:
        from sim.io.run_folders import safe_name

        out = RUNS_ROOT / f"{safe_name(scenario.name)}-{started.strftime('%Y%m%d-%H%M%S-%f')}"
    manifest = {
        "scenario": scenario.name,
        "scenario_path": scenario.path,
        "scenario_sha256": scenario.content_hash,
        "overrides": list(overrides or ()),  # --set values on top of the file (sim.read_run applies them again)
        "seed": seed,
        "replicates": n,
        "horizon": scenario.horizon,
        "summary_quantiles": "exact" if summary.exact else "histogram (within 1/2048 of each series' range)",
        "start": scenario.date_of(0),
        "end": scenario.date_of(scenario.horizon),
        "parameters": _resolved_parameters(scenario),
        "uncertainties": {u.parameter: {"distribution": u.distribution, **{k: list(v) if isinstance(v, tuple) else v
                                                                           for k, v in u.arguments.items()}}
                          for u in scenario.uncertainties},
        "package_version": __version__,
        "model_version": MODEL_VERSION,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": _mesa_version(),
        "command": command or sys.argv,
        "started_utc": started.isoformat(),
        "executor": executor_description(executor),  # where the chunks ran (the numbers do not depend on it)
    }

    def plot(folder: Path) -> list[str]:
        from sim.report.plots import save_figures, standard_figures

        return save_figures(standard_figures(summary, seed), folder)

    from sim.io.run_folders import write_run_folder

    manifest["run_seconds"] = round(time.perf_counter() - clock, 3)
    manifest["finished_utc"] = datetime.now(UTC).isoformat()
    manifest = write_run_folder(out, manifest=manifest, trajectories=trajectories, summary=summary,
                                max_trajectory_replicates=trajectory_cap, plot=plot, file_format=file_format,
                                exact=exact)
    written = manifest["trajectories_replicates_written"]
    note = "" if written == n else (
        f"trajectories.{file_format} holds no replicates (--trajectories 0); summary.{file_format} uses all"
    ) if written == 0 else (
        f"trajectories.{file_format} holds replicates 0-{written - 1} of {n} (use --trajectories all for every "
        f"one); summary.{file_format} uses all"
    )
    return RunOutcome(out, manifest, summary, headline(summary, scenario.question), note)


def headline(summary: Summary, question=None) -> list[str]:
    """Lines a strategist can read: the question's own series first (when the scenario asks one),
    then who gains in Mali, Mali's relations, Mauritania."""
    end = len(summary.dates) - 1
    span = f"{summary.dates[0]} -> {summary.dates[end]}"

    def moves(metric: str, pairs: list[tuple[str, str]], label_of) -> str:
        changes = []
        for source, target in [pair for pair in pairs if summary.has(metric, *pair)]:
            median = summary.get(metric, source, target).p50
            changes.append((abs(median[end] - median[0]), label_of(source, target), median[0], median[end]))
        changes.sort(reverse=True)
        return ", ".join(f"{label} {a:+.2f} -> {b:+.2f}" if metric == "relation" else f"{label} {a:.2f} -> {b:.2f}"
                         for _, label, a, b in changes[:3])

    def source_label(source: str, _target: str) -> str:
        return ACTOR_LABELS[source]

    def target_label(_source: str, target: str) -> str:
        return ACTOR_LABELS[target]

    lines = [
        f"Influence on Mali ({span}, median of {summary.n_replicates}): "
        + moves("influence", [(a, "mali") for a in ACTORS if a != "mali"], source_label),
        "Mali's attitude towards: " + moves("relation", [("mali", a) for a in ACTORS if a != "mali"], target_label),
        "Influence on Mauritania: "
        + moves("influence", [(a, "mauritania") for a in ACTORS if a != "mauritania"], source_label),
    ]
    from sim.report.prose import decisions_line

    decisions = decisions_line(summary)  # each rule taken: its probability by the end and median month
    if decisions:
        lines.append(decisions)
    if question and question.outcomes:
        from sim.analysis.question import series_key
        from sim.report.prose import describe, number

        asked = []
        for text in question.outcomes:
            key = series_key(text)
            if summary.has(*key):
                median = summary.get(*key).p50
                asked.append(f"{describe(*key)} {number(median[0])} -> {number(median[end])}")
        if asked:
            lines.insert(0, f"Question ({span}, median of {summary.n_replicates}): " + "; ".join(asked))
    return [line for line in lines if not line.endswith(": ")]


def _resolved_parameters(scenario: Scenario) -> dict[str, float]:
    """Fixed values of every parameter (those drawn per replicate are listed under uncertainties)."""
    params = ParameterSet(load_catalogue(), 1, scenario.parameters)
    uncertain = {u.parameter for u in scenario.uncertainties}
    return {name: float(values[0]) for name, values in sorted(params.values.items()) if name not in uncertain}


def _mesa_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mesa")
    except PackageNotFoundError:
        return "unknown"
