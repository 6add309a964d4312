"""``sim run``: run a scenario and write its run folder: run, reduce, plot, say what happened."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sim import MODEL_VERSION, __version__
from sim.cli.arguments import add_backend, add_force, positive_int, seed_number
from sim.cli.common import DEFAULT_TRAJECTORY_CAP, EXIT_OK, check_output, check_work, json_document
from sim.engine.executors import Executor, executor_description
from sim.engine.progress import Progress
from sim.errors import InputError, Problem

if TYPE_CHECKING:
    from datetime import datetime

    from sim.engine.summary import Summary
    from sim.scenario.loader import Question, Scenario

HELP = "run a scenario and write a run folder"
JSON_OUTPUT = True
RUNS_ROOT = Path("results/runs")
LEGEND = ("Scale: an influence is a share of one state's whole, 0 to 1 (what the six actors do not hold is "
          "'outside': the rest of the world); an attitude runs from -1 (hostile) to +1 (warm). Medians of the "
          "ensemble; the run folder has every series with its 5-95% band.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
    parser.add_argument("--replicates", type=positive_int, help="ensemble size (default: the scenario's)")
    parser.add_argument("--seed", type=seed_number, help="random seed (default: the scenario's)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="override a scenario value, e.g. levers.morocco.medical_aid=0.8 (repeatable)")
    parser.add_argument("--out", type=Path, help="run folder to create (default: results/runs/<name>-<time>)")
    parser.add_argument("--trajectories", default=str(DEFAULT_TRAJECTORY_CAP), metavar="N|all",
                        help=f"replicates written to trajectories.csv (default {DEFAULT_TRAJECTORY_CAP}); "
                        "summary.csv always uses all")
    parser.add_argument("--chunk-size", type=positive_int, default=None,
                        help="replicates advanced together (memory vs speed; results do not change)")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv", dest="file_format",
                        help="trajectories and summary as CSV (default) or Parquet (pyarrow: exact, several times "
                             "smaller and faster to read)")
    parser.add_argument("--exact", action="store_true",
                        help="CSV numbers that read back to the same float64 (default: 10 significant digits)")
    add_force(parser)
    add_backend(parser)


def command(args: argparse.Namespace) -> int:
    from sim.scenario.loader import load_scenario  # deferred: YAML and the catalogue, not for --help

    scenario = load_scenario(args.scenario, args.overrides)
    if not (args.quiet or args.json):
        for warning in scenario.warnings:  # located; the run goes on (e.g. a date after the run's end)
            print(warning, file=sys.stderr)
    if args.file_format == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise InputError([Problem.about("--format parquet", "needs pyarrow: pip install 'sahel-sim[parquet]'")])
    cap = _trajectory_cap(args.trajectories)
    from sim.engine.runner import DEFAULT_CHUNK_SIZE  # deferred: the numba-compiled model, after the cheap checks
    from sim.engine.workload import ensemble_workload  # deferred: ctypes and the memory probe

    destination = check_output(args.out, RUNS_ROOT)
    n = scenario.replicates if args.replicates is None else args.replicates
    check_work(ensemble_workload(n, scenario.horizon, chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE, kept=cap),
               args, "--replicates", destination)

    outcome = execute_run(scenario, replicates=args.replicates, seed=args.seed, out=args.out,
                          trajectory_cap=cap, chunk_size=args.chunk_size, command=sys.argv,
                          file_format=args.file_format, exact=args.exact, executor=args.executor,
                          overrides=args.overrides)
    if args.json:
        print(json_document({"folder": str(outcome.folder), "headline": outcome.headline,
                             "warnings": [str(w) for w in scenario.warnings], "manifest": outcome.manifest}))
        return EXIT_OK
    print(f"run folder: {outcome.folder}")
    if not args.quiet:
        _say_what_happened(outcome, verbose=args.verbose)
    return EXIT_OK


def _say_what_happened(outcome: RunOutcome, *, verbose: bool) -> None:
    if outcome.trajectories_note:
        print(outcome.trajectories_note)
    for line in outcome.headline:
        print(line)
    print(LEGEND)
    if verbose:
        where, manifest = outcome.manifest.get("executor", {}), outcome.folder / "manifest.json"
        print(f"ran {outcome.manifest['replicates']} replicates in {outcome.manifest.get('run_seconds')} s on "
              f"{where.get('backend')} ({where.get('workers')} worker(s)); manifest: {manifest}")


def _trajectory_cap(text: str) -> int | None:
    """``--trajectories N|all``: how many replicates trajectories.csv keeps (None: all)."""
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise InputError([Problem.about("--trajectories", f"{text!r} is not a number or 'all'")])
    return value


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
    # deferred: the numba-compiled model
    from datetime import UTC, datetime

    from sim.engine.runner import DEFAULT_CHUNK_SIZE, run_ensemble
    from sim.io.run_folders import safe_name, write_run_folder

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
        out = RUNS_ROOT / f"{safe_name(scenario.name)}-{started.strftime('%Y%m%d-%H%M%S-%f')}"
    manifest = _manifest(scenario, summary, n=n, seed=seed, started=started, command=command, executor=executor,
                         overrides=overrides)

    def plot(folder: Path) -> list[str]:
        from sim.report.plots import save_figures, standard_figures  # deferred: matplotlib

        return save_figures(standard_figures(summary, seed), folder)

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


def _manifest(scenario: Scenario, summary: Summary, *, n: int, seed: int, started: datetime,
              command: list[str] | None, executor: Executor | None, overrides: list[str] | None) -> dict:
    """What the run folder says about how it was made (sim.read_run and sim regress read it back)."""
    # deferred: numpy; platform (sim --help imports every command module)
    import platform

    import numpy as np

    return {
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


def headline(summary: Summary, question: Question | None = None) -> list[str]:
    """Lines a strategist can read: the question's own series first (when the scenario asks one),
    then who gains in Mali, Mali's relations, Mauritania."""
    from sim.report.prose import decisions_line  # deferred: the numba-compiled model
    from sim.scenario.catalogue import ACTOR_LABELS, ACTORS  # deferred: YAML, not for --help

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
    decisions = decisions_line(summary)  # each rule taken: its probability by the end and median month
    if decisions:
        lines.append(decisions)
    asked = _question_line(summary, question, span)
    if asked:
        lines.insert(0, asked)
    return [line for line in lines if not line.endswith(": ")]


def _question_line(summary: Summary, question: Question | None, span: str) -> str | None:
    """The scenario's own question, its series first and last (None when it asks none the run has)."""
    if not (question and question.outcomes):
        return None
    from sim.analysis.question import series_key  # deferred: numpy
    from sim.report.prose import describe, number  # deferred: the numba-compiled model

    end = len(summary.dates) - 1
    asked = []
    for text in question.outcomes:
        key = series_key(text)
        if summary.has(*key):
            median = summary.get(*key).p50
            asked.append(f"{describe(*key)} {number(median[0])} -> {number(median[end])}")
    return f"Question ({span}, median of {summary.n_replicates}): " + "; ".join(asked) if asked else None


def _resolved_parameters(scenario: Scenario) -> dict[str, float]:
    """Fixed values of every parameter (those drawn per replicate are listed under uncertainties)."""
    from sim.model.parameters import ParameterSet  # deferred: numpy
    from sim.scenario.catalogue import load_catalogue  # deferred: YAML, not for --help

    params = ParameterSet(load_catalogue(), 1, scenario.parameters)
    uncertain = {u.parameter for u in scenario.uncertainties}
    return {name: float(values[0]) for name, values in sorted(params.values.items()) if name not in uncertain}


def _mesa_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # deferred: ~10 ms, not for sim --help

    try:
        return version("mesa")
    except PackageNotFoundError:
        return "unknown"
