"""Run a scenario: build the model for a block of replicates, step it, return arrays.

``run`` keeps every replicate in memory (for Python users and small ensembles);
``run_ensemble`` streams chunks into a summary so 100 000 replicates fit in memory.

``run_chunk`` is a pure function ``(scenario, seed, replicate ids) -> Trajectories``; the
execution strategy (serial today) sits behind ``run`` alone, so another backend can be
added without touching the model.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from sim.engine.summary import Summary, SummaryReducer
from sim.model.trajectories import Trajectories
from sim.scenario.loader import Scenario

DEFAULT_CHUNK_SIZE = 2_000


def run_chunk(scenario: Scenario, seed: int, replicate_ids: np.ndarray,
              parameters: Mapping[str, float | np.ndarray] | None = None,
              on_step: Callable[[int], None] | None = None,
              pinned_levers: Mapping[str, float | np.ndarray] | None = None,
              budgets: Mapping[str, float | np.ndarray] | None = None) -> Trajectories:
    """Run the replicates ``replicate_ids`` of ``scenario`` over its whole horizon.

    ``parameters``, ``pinned_levers`` and ``budgets`` values may be arrays aligned with ``replicate_ids``.
    """
    from sim.model.model import InfluenceModel  # Mesa is imported only when a run happens

    model = InfluenceModel(scenario, n_replicates=len(replicate_ids), seed=seed,
                           replicate_ids=replicate_ids, parameters=parameters, pinned_levers=pinned_levers,
                           budgets=budgets, collect=False)
    for _ in range(scenario.horizon):
        model.step()
        if on_step:
            on_step(len(replicate_ids))
    trajectories = model.trajectories()
    model.release()
    del model
    gc.collect()  # Mesa models sit in reference cycles; free this chunk's before the next
    return trajectories


def run_blocks(scenarios: list[Scenario], n_replicates: int, seed: int) -> list[Trajectories]:
    """Run variants of ``scenarios[0]`` side by side as replicate blocks of one batched model.

    Block b's replicate r uses the same random streams as replicate r of a separate run of
    ``scenarios[b]``, so results equal separate runs; one model advances them all.
    """
    from sim.model.model import InfluenceModel

    ids = np.tile(np.arange(n_replicates), len(scenarios))
    model = InfluenceModel(scenarios[0], n_replicates=len(ids), seed=seed, replicate_ids=ids, blocks=scenarios,
                           collect=False)
    for _ in range(scenarios[0].horizon):
        model.step()
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


class SerialExecutor:
    """Runs chunks one after another in this process: the execution seam.

    Another backend (processes, a cluster) implements the same ``map``; because a chunk is
    a pure function of its replicate ids, results do not depend on the backend.
    """

    def map(self, function: Callable[[np.ndarray], Trajectories],
            chunks: Iterable[np.ndarray]) -> Iterator[Trajectories]:
        for ids in chunks:
            yield function(ids)


@dataclass(frozen=True)
class Ensemble:
    """A streamed ensemble: its summary and the first replicates' full trajectories."""

    summary: Summary
    kept: Trajectories | None


def run_ensemble(scenario: Scenario, n_replicates: int | None = None, seed: int | None = None, *,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, keep: int | None = 100,
                 executor: SerialExecutor | None = None,
                 on_step: Callable[[int], None] | None = None) -> Ensemble:
    """Run any number of replicates in bounded memory: chunks are reduced as they stream.

    Args:
        keep: how many of the first replicates to keep whole (None: all; 0: none).
    """
    n = scenario.replicates if n_replicates is None else n_replicates
    seed = scenario.seed if seed is None else seed
    executor = executor or SerialExecutor()
    reducer, kept = None, []
    budget = n if keep is None else keep
    for chunk in executor.map(lambda ids: run_chunk(scenario, seed, ids, on_step=on_step), chunk_bounds(n, chunk_size)):
        chunk = chunk.select(scenario.outputs.metrics, scenario.outputs.actors)
        if reducer is None:
            reducer = SummaryReducer(chunk.scenario, chunk.dates, chunk.series, n)
        reducer.add(int(chunk.replicate_ids[0]), chunk.values)
        taken = sum(c.values.shape[0] for c in kept)
        if taken < budget:
            kept.append(chunk.head(budget - taken))
        del chunk  # free this chunk before the next one is computed
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
        on_step: Callable[[int], None] | None = None) -> Trajectories:
    """Run an ensemble and return every replicate's trajectories.

    Args:
        scenario: a loaded scenario.
        n_replicates: how many replicates (default: the scenario's ``replicates``).
        seed: the run's seed (default: the scenario's ``seed``).
        chunk_size: replicates advanced together; results do not depend on it.
        on_step: called with the number of replicate-steps done, for progress bars.
    """
    n = scenario.replicates if n_replicates is None else n_replicates
    seed = scenario.seed if seed is None else seed
    return _concatenate([run_chunk(scenario, seed, ids, on_step=on_step) for ids in chunk_bounds(n, chunk_size)])
