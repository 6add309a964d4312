"""The Python entry points modellers script against: ``simulate`` and ``evaluate``.

Both take a scenario as a Scenario, a file path or a library name (``"baseline"``), and check
parameters, lever intensities and budgets against the catalogue exactly as ``--set`` does,
with the same messages (an ``InputError``, which is a ``ValueError``). See docs/api.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from sim.engine.executors import checked_executor
from sim.engine.experiments import Factor, evaluate_points, factor_bounds, setting_name
from sim.engine.progress import Progress
from sim.engine.runner import DEFAULT_CHUNK_SIZE, run
from sim.engine.workload import ensemble_workload, refuse_if_too_big
from sim.errors import InputError, Problem
from sim.io.readers import read_manifest, read_trajectories, trajectories_file
from sim.result import SimulationResult
from sim.scenario.format import MAX_SEED
from sim.scenario.loader import Scenario, load_scenario, resolve_scenario, with_settings
from sim.scenario.outcomes import parse_outcomes
from sim.scenario.validation import ArgumentReport, Numbers

ScenarioLike = Scenario | str | os.PathLike


def simulate(scenario: ScenarioLike, *, n_replicates: int | None = None, seed: int | None = None,
             parameters: Mapping[str, float] | None = None, levers: Mapping[str, float | str] | None = None,
             budgets: Mapping[str, float] | None = None, outcomes: Iterable[str] | None = None,
             chunk_size: int | None = None, workers: int = 1, backend: str | None = None,
             scheduler: str | object | None = None, progress: bool = False,
             settings: Mapping[str, object] | None = None) -> SimulationResult:
    """Run an ensemble of ``scenario`` and return its trajectories with access by name.

    Args:
        scenario: a Scenario, a scenario file, or a library name such as ``"baseline"``.
        n_replicates: ensemble size (default: the scenario's ``replicates``).
        seed: the run's seed (default: the scenario's ``seed``); the same seed gives the same numbers
            whatever ``chunk_size``.
        parameters: catalogue parameters by name (``{"influence.adjust_rate": 0.2}``), fixed for
            every replicate (a fixed value replaces the scenario's uncertainty about it).
        levers: intensities in [0, 1] (or ``"adaptive"``) by ``"actor.lever"``, set as ``--set
            levers.<a>.<l>=...`` sets them: the scenario's dated events may still change a lever
            later (the baseline launches the Atlantic Initiative in 2023-11). ``evaluate`` pins a
            lever for the whole run instead.
        budgets: effort budgets by actor.
        settings: any setting by its full path, exactly as ``--set`` takes it
            (``{"parameters.influence.adjust_rate": 0.2, "levers.morocco.investment": "x2",
            "actors.morocco.budget": 5}``); ``parameters`` and ``levers`` also take full paths.
        outcomes: outcome expressions checked before the run and evaluated after it
            (``result.outcomes``); any other can be asked later with ``result.outcome(...)``.
        chunk_size: replicates advanced together (memory vs speed; results do not change).
        workers, backend, scheduler: where the chunks run, as ``--workers``, ``--backend`` and
            ``--scheduler`` (default: this process; ``scheduler`` may also be your own ``distributed.Client``,
            which stays open). The numbers do not change. Scripts that use the
            processes backend need the ``if __name__ == "__main__":`` guard (spawned workers import them).
        progress: a progress bar (``tqdm.auto``: a widget in a notebook, text on stderr otherwise).
    """
    base = resolve_scenario(scenario)
    given: dict[str, object] = {}
    given |= {_prefixed("parameters.", name): value for name, value in (parameters or {}).items()}
    given |= {_prefixed("levers.", name): value for name, value in (levers or {}).items()}
    given |= {f"actors.{actor}.budget": value for actor, value in (budgets or {}).items()}
    given |= dict(settings or {})
    resolved = with_settings(base, given, "simulate:") if given else base
    n = whole_number(n_replicates, "n_replicates", resolved.replicates)
    seed = whole_number(seed, "seed", resolved.seed, minimum=0, maximum=MAX_SEED)
    chunk = whole_number(chunk_size, "chunk_size", DEFAULT_CHUNK_SIZE)
    refuse_if_too_big(ensemble_workload(n, resolved.horizon, chunk_size=chunk, kept=None), force=False,
                      flag="simulate: n_replicates", can_force=False)  # it keeps every replicate: refused up front
    wanted = outcomes_for(outcomes or (), resolved, "simulate: outcomes")
    bar = _progress(progress, n * resolved.horizon, resolved.name)
    try:
        with _executor("simulate", workers, backend, scheduler) as executor:
            trajectories = run(resolved, n_replicates=n, seed=seed, chunk_size=chunk, executor=executor,
                               on_step=bar.advance if bar else None)
    finally:
        if bar:
            bar.close()
    return SimulationResult(resolved, seed, trajectories, tuple(wanted))


def evaluate(scenario: ScenarioLike, points: Mapping[str, Any], outcomes: Iterable[str], *,
             replicates_per_point: int = 1, seed: int | None = None, workers: int = 1, backend: str | None = None,
             scheduler: str | object | None = None) -> np.ndarray:
    """Outcomes at many parameter points in one batched ensemble: shape (points, replicates, outcomes).

    ``points`` maps names to equal-length columns (a dict of arrays, or a pandas DataFrame), named
    as ``--set`` names them: ``parameters.<name>``, ``levers.<actor>.<lever>`` intensities or
    ``actors.<actor>.budget`` (a bare parameter name still works, with a SettingNameWarning).
    Every point runs replicates 0..K-1 (common random numbers), so differences between points
    are the parameters' doing. This is the engine behind sweeps, sensitivity and calibration.
    ``workers``, ``backend`` and ``scheduler`` choose where blocks of points run, as in ``simulate``.
    """
    resolved = resolve_scenario(scenario)
    given = {setting_name(str(name), f"evaluate: points[{str(name)!r}]"): points[name] for name in points}
    points, names = given, list(given)
    if not names:
        raise InputError([Problem.about("evaluate: points", "no columns; expected e.g. "
                                                            "{'parameters.influence.adjust_rate': [0.1, 0.2]}")])
    columns, factors = [], []
    report = ArgumentReport(lambda key: f"evaluate: points[{key[0]!r}]")
    for name in names:
        try:
            low, high = factor_bounds(name, where=f"evaluate: points[{name!r}]")
        except InputError as exc:
            report.problems += exc.problems
            continue
        # NaN fails too; a value a rounding step outside is taken at the bound
        columns.append(Numbers(low, high).read(report, (name,), np.asarray(points[name], dtype=float).reshape(-1)))
        factors.append(Factor(name, low, high))
    if not report.problems and len({len(c) for c in columns}) > 1:
        report.problems.append(Problem.about("evaluate: points", "columns have different lengths: " + ", ".join(
            f"{n} {len(c)}" for n, c in zip(names, columns, strict=True))))
    report.raise_any()
    wanted = outcomes_for(outcomes, resolved, "evaluate: outcomes")
    if not wanted:
        raise InputError([Problem.about("evaluate: outcomes", "no outcomes; expected e.g. "
                                                              "['mean(influence.russia.mali)']")])
    k = whole_number(replicates_per_point, "replicates_per_point", 1)
    seed = whole_number(seed, "seed", resolved.seed, minimum=0, maximum=MAX_SEED)
    with _executor("evaluate", workers, backend, scheduler) as executor:
        return evaluate_points(resolved, factors, np.stack(columns, axis=1), wanted, replicates_per_point=k,
                               seed=seed, executor=executor)


def _prefixed(prefix: str, name: str) -> str:
    """A setting under its group's keyword (``levers={"morocco.investment": 1}``) in its full spelling;
    the full spelling itself (``levers={"levers.morocco.investment": 1}``) is taken as it is."""
    return name if name.startswith(prefix) else f"{prefix}{name}"


def read_run(folder: str | os.PathLike) -> SimulationResult:
    """A run folder (``sim run``'s output, CSV or Parquet) read back as a result like ``simulate``'s.

    It holds the replicates the folder's trajectories file kept (``--trajectories``, 100 by default;
    ``result.manifest["replicates"]`` is how many ran), the seed and the manifest. ``scenario`` is
    the scenario file when it is still there unchanged (same content hash), else None.

    Raises:
        InputError: not a run folder, or a file cut short or edited (located).
    """
    from pathlib import Path

    folder = Path(folder)
    manifest = read_manifest(folder)
    trajectories = read_trajectories(trajectories_file(folder))
    scenario = None
    if manifest.get("scenario_path"):
        try:
            found = load_scenario(manifest["scenario_path"], manifest.get("overrides") or ())
            scenario = found if found.content_hash == manifest.get("scenario_sha256") else None
        except (InputError, OSError):
            scenario = None
    return SimulationResult(scenario, int(manifest.get("seed", 0)), trajectories, manifest=manifest)


def _progress(wanted: bool, total: int, label: str):
    """A tqdm.auto bar (a widget in a notebook) when asked for; scripts stay silent by default."""
    if not wanted:
        return None
    return Progress(total, label, delay=0.0, show=True)


def _executor(caller: str, workers: int, backend: str | None, scheduler: str | object | None):
    """The executor asked for, checked as the command line checks ``--workers`` and ``--backend``."""
    return checked_executor(backend, whole_number(workers, f"{caller}: workers", 1), scheduler,
                            lambda name: f"{caller}: {name}")


def outcomes_for(texts: Iterable[str], scenario: Scenario, where: str) -> list:
    """Outcome expressions checked against the catalogue and ``scenario``'s months (one InputError)."""
    return parse_outcomes([texts] if isinstance(texts, str) else list(texts), scenario.date_of(0),
                          scenario.date_of(scenario.horizon), where)


def whole_number(value: object, name: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number argument (NumPy integers welcome), or the default when None."""
    import numbers

    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum or \
            (maximum is not None and int(value) > maximum):
        expected = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        raise InputError([Problem.about(name, f"{name} = {value!r}; expected a whole number {expected}")])
    return int(value)
