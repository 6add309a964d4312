"""Run a scenario: build the model for a block of replicates, step it, return arrays.

``run_chunk`` is a pure function ``(scenario, seed, replicate ids) -> Trajectories``; the
execution strategy (serial today) sits behind ``run`` alone, so another backend can be
added without touching the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from sim.scenario import Scenario
from sim.trajectories import Trajectories

DEFAULT_CHUNK_SIZE = 5_000


def run_chunk(scenario: Scenario, seed: int, replicate_ids: np.ndarray,
              parameters: Mapping[str, float | np.ndarray] | None = None,
              on_step: Callable[[int], None] | None = None) -> Trajectories:
    """Run the replicates ``replicate_ids`` of ``scenario`` over its whole horizon."""
    from sim.model import InfluenceModel  # Mesa is imported only when a run happens

    model = InfluenceModel(scenario, n_replicates=len(replicate_ids), seed=seed,
                           replicate_ids=replicate_ids, parameters=parameters)
    for _ in range(scenario.horizon):
        model.step()
        if on_step:
            on_step(len(replicate_ids))
    return model.trajectories()


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
    chunks = [
        run_chunk(scenario, seed, np.arange(lo, min(lo + chunk_size, n)), on_step=on_step)
        for lo in range(0, n, chunk_size)
    ]
    first = chunks[0]
    return Trajectories(
        scenario=first.scenario,
        dates=first.dates,
        replicate_ids=np.concatenate([c.replicate_ids for c in chunks]),
        series=first.series,
        values=np.concatenate([c.values for c in chunks], axis=0),
    )
