"""Run a scenario: build the model for a block of replicates, step it, return arrays.

``run`` keeps every replicate in memory (for Python users and small ensembles);
``run_ensemble`` streams chunks into a summary so 100 000 replicates fit in memory.

``run_chunk`` is a pure function ``(scenario, seed, replicate ids) -> Trajectories``, so
chunks can run anywhere: ``sim.engine.executors`` runs them serially, in a local process pool
or on Dask, and the results are folded in chunk order, identical whatever the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from sim.engine.executors import Executor, SerialExecutor
from sim.engine.summary import PartialSummary, Summary, SummaryReducer
from sim.model.trajectories import Trajectories, selects
from sim.scenario.loader import Scenario

DEFAULT_CHUNK_SIZE = 2_000


def run_chunk(scenario: Scenario, seed: int, replicate_ids: np.ndarray,
              parameters: Mapping[str, float | np.ndarray] | None = None,
              on_step: Callable[[int], None] | None = None,
              pinned_levers: Mapping[str, float | np.ndarray] | None = None,
              budgets: Mapping[str, float | np.ndarray] | None = None,
              record: Callable[[tuple[str, str, str]], bool] | None = None,
              pinned_from: Mapping[str, int | np.ndarray] | None = None) -> Trajectories:
    """Run the replicates ``replicate_ids`` of ``scenario`` over its whole horizon.

    ``parameters``, ``pinned_levers`` and ``budgets`` values may be arrays aligned with ``replicate_ids``;
    ``record`` keeps only the series it accepts (see ``InfluenceModel``).
    """
    from sim.model.model import InfluenceModel  # deferred: Mesa, imported only when a run happens

    model = InfluenceModel(scenario, n_replicates=len(replicate_ids), seed=seed,
                           replicate_ids=replicate_ids, parameters=parameters, pinned_levers=pinned_levers,
                           budgets=budgets, collect=False, record=record, pinned_from=pinned_from)
    for _ in range(scenario.horizon):
        model.step()
        if on_step:
            on_step(len(replicate_ids))
    trajectories = model.trajectories()
    model.release()  # the model sits in a reference cycle with its agents: free its arrays now
    return trajectories


def run_blocks(scenarios: list[Scenario], n_replicates: int, seed: int,
               replicate_ids: np.ndarray | None = None,
               on_step: Callable[[int], None] | None = None) -> list[Trajectories]:
    """Run variants of ``scenarios[0]`` side by side as replicate blocks of one batched model.

    Block b's replicate r uses the same random streams as replicate r of a separate run of
    ``scenarios[b]``, so results equal separate runs; one model advances them all.
    ``replicate_ids`` (default ``0 .. n_replicates - 1``) picks a chunk of the replicates.
    ``on_step`` is told the replicate-months of every block after each month.
    """
    from sim.model.model import InfluenceModel  # deferred: Mesa, imported only when a run happens

    replicate_ids = np.arange(n_replicates) if replicate_ids is None else replicate_ids
    n_replicates = len(replicate_ids)
    ids = np.tile(replicate_ids, len(scenarios))
    model = InfluenceModel(scenarios[0], n_replicates=len(ids), seed=seed, replicate_ids=ids, blocks=scenarios,
                           collect=False)
    for _ in range(scenarios[0].horizon):
        model.step()
        if on_step:
            on_step(len(ids))
    whole = model.trajectories()
    model.release()
    out = []
    for b, scenario in enumerate(scenarios):
        rows = slice(b * n_replicates, (b + 1) * n_replicates)
        out.append(Trajectories(scenario.name, whole.dates, whole.replicate_ids[rows].copy(), whole.series,
                                whole.values[rows].copy()))
    return out


def chunk_bounds(n_replicates: int, chunk_size: int) -> Iterator[np.ndarray]:
    """Replicate indices of each chunk, in order, made one at a time (a billion replicates cost
    no memory until their chunk comes)."""
    for lo in range(0, n_replicates, chunk_size):
        yield np.arange(lo, min(lo + chunk_size, n_replicates))


class ChunkTask(NamedTuple):
    """One chunk of an ensemble for ``run_chunk``, as sent to a worker."""

    scenario: Scenario
    seed: int
    replicate_ids: np.ndarray


class ReductionTask(NamedTuple):
    """One chunk of a streamed ensemble for ``reduce_chunk``: it also says how many replicates
    the whole run has (for the summary's bins) and how many of this chunk to keep whole."""

    scenario: Scenario
    seed: int
    replicate_ids: np.ndarray
    n_total: int
    keep: int


def chunk_units(scenario: Scenario) -> Callable[[Any], int]:
    """Progress units (replicate-months) of a chunk's task: any task with ``replicate_ids``."""
    return lambda task: len(task.replicate_ids) * scenario.horizon


@dataclass(frozen=True)
class ChunkReduction:
    """What a worker sends back for one chunk of an ensemble: its partial summary and the
    replicates the caller keeps whole."""

    partial: PartialSummary
    kept: Trajectories | None
    layout: tuple  # (scenario name, dates, series) for the reducer


def reduce_chunk(scenario: Scenario, seed: int, ids: np.ndarray, n_total: int, keep: int,
                 on_step: Callable[[int], None] | None = None) -> ChunkReduction:
    """Run one chunk and reduce it where it ran (a pure function, for any backend)."""
    metrics, actors = scenario.outputs.metrics, scenario.outputs.actors
    chunk = run_chunk(scenario, seed, ids, on_step=on_step, record=lambda series: selects(series, metrics, actors))
    reducer = SummaryReducer(chunk.scenario, chunk.dates, chunk.series, n_total)
    kept = chunk.head(keep) if keep > 0 else None
    return ChunkReduction(reducer.partial(int(ids[0]), chunk.values), kept, (chunk.scenario, chunk.dates, chunk.series))


def parallel_chunk_size(n_replicates: int, chunk_size: int, executor: Executor) -> int:
    """A chunk size that gives every worker work (a few chunks each); results do not depend on it."""
    if executor.workers <= 1:
        return chunk_size
    return max(1, min(chunk_size, -(-n_replicates // (2 * executor.workers))))


@dataclass(frozen=True)
class Ensemble:
    """A streamed ensemble: its summary and the first replicates' full trajectories."""

    summary: Summary
    kept: Trajectories | None


def run_ensemble(scenario: Scenario, n_replicates: int | None = None, seed: int | None = None, *,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, keep: int | None = 100,
                 executor: Executor | None = None,
                 on_step: Callable[[int], None] | None = None) -> Ensemble:
    """Run any number of replicates in bounded memory: chunks are reduced where they run and
    folded here in chunk order.

    Args:
        keep: how many of the first replicates to keep whole (None: all; 0: none).
        executor: where chunks run (default: this process); the results do not depend on it.
    """
    n = scenario.replicates if n_replicates is None else n_replicates
    seed = scenario.seed if seed is None else seed
    executor = executor or SerialExecutor()
    budget = n if keep is None else keep
    tasks = (ReductionTask(scenario, seed, ids, n, max(0, min(len(ids), budget - int(ids[0]))))
             for ids in chunk_bounds(n, parallel_chunk_size(n, chunk_size, executor)))
    reducer, kept = None, []
    for result in executor.map(reduce_chunk, tasks, units=chunk_units(scenario), on_step=on_step):
        if reducer is None:
            reducer = SummaryReducer(*result.layout, n)
        reducer.merge(result.partial)
        if result.kept is not None:
            kept.append(result.kept)
        del result  # free this chunk before the next one arrives
    return Ensemble(reducer.result(), _concatenate(kept) if kept else None)


def _concatenate(chunks: list[Trajectories]) -> Trajectories:
    first = chunks[0]
    return Trajectories(
        scenario=first.scenario,
        dates=first.dates,
        replicate_ids=np.concatenate([c.replicate_ids for c in chunks]),
        series=first.series,
        values=np.concatenate([c.values for c in chunks], axis=0),
    )


def run(scenario: Scenario, n_replicates: int | None = None, seed: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        on_step: Callable[[int], None] | None = None, executor: Executor | None = None) -> Trajectories:
    """Run an ensemble and return every replicate's trajectories.

    Args:
        scenario: a loaded scenario.
        n_replicates: how many replicates (default: the scenario's ``replicates``).
        seed: the run's seed (default: the scenario's ``seed``).
        chunk_size: replicates advanced together; results do not depend on it.
        on_step: called with the number of replicate-steps done, for progress bars.
        executor: where chunks run (default: this process); results do not depend on it.
    """
    n = scenario.replicates if n_replicates is None else n_replicates
    seed = scenario.seed if seed is None else seed
    executor = executor or SerialExecutor()
    tasks = (ChunkTask(scenario, seed, ids) for ids in chunk_bounds(n, parallel_chunk_size(n, chunk_size, executor)))
    return _concatenate(list(executor.map(run_chunk, tasks, units=chunk_units(scenario), on_step=on_step)))
