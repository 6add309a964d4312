"""Many parameter points as one batched ensemble: the engine behind sweeps, sensitivity and
calibration (the model wrapped as a function ``points -> outcomes``).

Each point runs ``replicates_per_point`` replicates with ids 0..K-1, so every point sees
the same shocks (common random numbers) and differences between points are the
parameters' doing. Points are packed into chunks of replicates; no Python loop over points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.engine.executors import Executor, SerialExecutor
from sim.engine.runner import run_chunk
from sim.errors import InputError, Problem, did_you_mean
from sim.scenario.catalogue import ACTORS, Catalogue, load_catalogue
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import Outcome
from sim.scenario.paths import BUDGET_RANGE

DEFAULT_CHUNK_REPLICATES = 4_000


@dataclass(frozen=True)
class Factor:
    """Something varied across points: a catalogue parameter or a lever's fixed intensity."""

    name: str  # "influence.adjust_rate", "levers.morocco.investment" or "actors.morocco.budget"
    low: float
    high: float

    @property
    def is_lever(self) -> bool:
        return self.name.startswith("levers.") and self.name.count(".") == 2 and not self.is_lever_start

    @property
    def is_lever_start(self) -> bool:
        """``levers.<actor>.<lever>@start``: the step from which that lever's pin holds."""
        return self.name.startswith("levers.") and self.name.endswith("@start")

    @property
    def is_budget(self) -> bool:
        return self.name.startswith("actors.") and self.name.endswith(".budget") and self.name.count(".") == 2


class SettingNameWarning(DeprecationWarning):
    """An old spelling of a setting (``influence.adjust_rate`` for ``parameters.influence.adjust_rate``,
    ``morocco.investment`` for ``levers.morocco.investment``): still accepted, to be written in full."""


def setting_name(name: str, where: str = "setting", catalogue: Catalogue | None = None) -> str:
    """The one spelling of a setting, as ``--set`` takes it: ``parameters.<name>``,
    ``levers.<actor>.<lever>`` or ``actors.<actor>.budget``; returned as a factor name (a parameter
    without its ``parameters.`` prefix, which is how factors, tables and the catalogue name it).

    An old spelling (a bare parameter name, ``actor.lever``) is accepted with a SettingNameWarning
    naming the new one; anything else is returned unchanged for ``factor_bounds`` to refuse."""
    import warnings

    catalogue = catalogue or load_catalogue()
    if name.startswith("parameters.") and name.removeprefix("parameters.") in catalogue.parameters:
        return name.removeprefix("parameters.")
    if name in catalogue.parameters:
        warnings.warn(f"{where}: '{name}' is the old spelling; write 'parameters.{name}'", SettingNameWarning,
                      stacklevel=3)
        return name
    parts = name.split(".")
    if len(parts) == 2 and parts[0] in ACTORS and catalogue.lever(parts[0], parts[1]):
        warnings.warn(f"{where}: '{name}' is the old spelling; write 'levers.{name}'", SettingNameWarning,
                      stacklevel=3)
        return f"levers.{name}"
    return name


def factor_bounds(name: str, catalogue: Catalogue | None = None, where: str = "factor") -> tuple[float, float]:
    """The plausible range of a factor; raises InputError for unknown names, located at ``where``
    (the caller's name for its input: ``--vary``, ``evaluate: points``)."""
    catalogue = catalogue or load_catalogue()
    name = name.removeprefix("parameters.") if name.removeprefix("parameters.") in catalogue.parameters else name
    if name in catalogue.parameters:
        spec = catalogue.parameters[name]
        return spec.low, spec.high
    parts = name.split(".")
    if len(parts) == 3 and parts[0] == "levers" and catalogue.lever(parts[1], parts[2]):
        return 0.0, 1.0
    if len(parts) == 3 and parts[0] == "actors" and parts[1] in ACTORS and parts[2] == "budget":
        return BUDGET_RANGE
    choices = ([f"parameters.{p}" for p in catalogue.parameters] + [f"levers.{lv.key}" for lv in catalogue.levers]
               + [f"actors.{a}.budget" for a in ACTORS])
    raise InputError([Problem.about(where, f"unknown parameter or lever '{name}'"
                                                       f"{did_you_mean(name, choices)}")])


class BlockTask(NamedTuple):
    """One block of design points for ``evaluate_block``, as sent to a worker."""

    scenario: Scenario
    factors: tuple[Factor, ...]
    block: np.ndarray  # (points, factors)
    outcomes: tuple[Outcome, ...]
    replicates_per_point: int
    seed: int


def evaluate_points(scenario: Scenario, factors: Sequence[Factor], points: np.ndarray,
                    outcomes: Sequence[Outcome], *, replicates_per_point: int = 1, seed: int | None = None,
                    chunk_replicates: int = DEFAULT_CHUNK_REPLICATES,
                    on_chunk: Callable[[int], None] | None = None, executor: Executor | None = None) -> np.ndarray:
    """Outcome values for every point and replicate: shape (P, K, n_outcomes).

    ``points[p, d]`` is the value of ``factors[d]`` at point p. Blocks of points run on
    ``executor`` (default: this process) and are placed by their index, so the values do not
    depend on where they ran; ``on_chunk`` is told how many points each finished block held.
    """
    seed = scenario.seed if seed is None else seed
    executor = executor or SerialExecutor()
    n_points, k = points.shape[0], replicates_per_point
    out = np.empty((n_points, k, len(outcomes)))
    per_chunk = max(1, chunk_replicates // k)
    if executor.workers > 1:  # a few blocks per worker
        per_chunk = max(1, min(per_chunk, -(-n_points // (4 * executor.workers))))
    starts = range(0, n_points, per_chunk)
    tasks = (BlockTask(scenario, tuple(factors), points[first: first + per_chunk], tuple(outcomes), k, seed)
             for first in starts)
    results = executor.map(evaluate_block, tasks, units=lambda task: len(task.block), on_step=on_chunk)
    for first, values in zip(starts, results, strict=True):
        out[first: first + len(values)] = values
    return out


def evaluate_block(scenario: Scenario, factors: tuple[Factor, ...], block: np.ndarray, outcomes: tuple[Outcome, ...],
                   k: int, seed: int, on_step: Callable[[int], None] | None = None) -> np.ndarray:
    """Outcome values of one block of points, shape (points, k, outcomes): a pure function, for any backend."""
    rows = np.repeat(block, k, axis=0)  # point-major: p0r0, p0r1, ..., p1r0, ...
    ids = np.tile(np.arange(k), len(block))
    parameters = {f.name: rows[:, d] for d, f in enumerate(factors)
                  if not (f.is_lever or f.is_budget or f.is_lever_start)}
    pinned = {f.name.removeprefix("levers."): rows[:, d] for d, f in enumerate(factors) if f.is_lever}
    pinned_from = {f.name.removeprefix("levers.").removesuffix("@start"): np.round(rows[:, d])
                   for d, f in enumerate(factors) if f.is_lever_start}
    budgets = {f.name.split(".")[1]: rows[:, d] for d, f in enumerate(factors) if f.is_budget}
    needed = {series for outcome in outcomes for series in outcome.series()}  # record only what is read
    trajectories = run_chunk(scenario, seed, ids, parameters=parameters, pinned_levers=pinned, budgets=budgets,
                             record=needed.__contains__, pinned_from=pinned_from)
    values = np.stack([o.evaluate(trajectories) for o in outcomes], axis=1)
    if on_step:
        on_step(len(block))
    return values.reshape(len(block), k, len(outcomes))
