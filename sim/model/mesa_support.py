"""What Mesa's own tools need from the model: a Mesa scenario that names our scenario, so Mesa's
visualisation can rebuild the model on Reset, and the DataCollector's reporters (each series'
ensemble mean, the seed and the date per step; each actor's budget and effort by lever).

Mesa 3.5's ``SolaraViz`` resets a model by calling ``type(model)(**parameters,
scenario=type(model.scenario)(...))``: it hands back a fresh instance of the model's Mesa
scenario class, built from that class's defaults. So the class itself carries which of our
scenarios the model runs (``MesaRun.spec``), and ``InfluenceModel`` takes such an instance where
it takes a scenario.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

if TYPE_CHECKING:
    from sim.model.agents import ActorAgent
    from sim.model.model import InfluenceModel
    from sim.scenario.loader import Scenario


class MesaRun(MesaScenario):
    """Mesa's view of an InfluenceModel run; subclasses made by :func:`mesa_run` carry the scenario."""

    spec: Any = "baseline"  # our Scenario (or a file or library name) the model runs

    def __reduce__(self):  # the class is made per model, so a copy or a pickle rebuilds it
        return mesa_run, (self.spec, self.rng)


def mesa_run(spec: Scenario, seed: int | None) -> MesaRun:
    """A Mesa scenario for ``spec``: its class's default ``spec`` is ``spec``, so the fresh instance
    SolaraViz's Reset builds from the class names the same scenario."""
    carrying = type("MesaRun", (MesaRun,), {"__annotations__": {"spec": Any}, "spec": spec,
                                            "__module__": __name__})
    run = carrying(rng=seed)
    # Mesa numbers scenarios per class in a class-level table that would keep every per-model
    # class (and its scenario) alive for the life of the process
    MesaScenario._ids.pop(carrying, None)
    return run


def from_mesa(scenario: object, seed: int | None) -> tuple[object, int | None]:
    """(our scenario, seed) from what ``InfluenceModel`` was given: a Mesa scenario handed back by
    Mesa's visualisation (its ``spec``, and its seed if it has one and none was given) or ours."""
    if not isinstance(scenario, MesaScenario):
        return scenario, seed
    rng = getattr(scenario, "rng", None)
    if seed is None and isinstance(rng, int | np.integer):
        seed = int(rng)
    return getattr(scenario, "spec", "baseline"), seed


def _ensemble_mean(model: InfluenceModel, column: int) -> float:
    """One series' mean over the replicates this month (``month_means`` is filled before collecting)."""
    return float(model.month_means[column])


def _date(model: InfluenceModel) -> str:
    return model.spec.date_of(model.month_index)


def _effort_by_lever(agent: ActorAgent) -> dict[str, float]:
    """The actor's mean effort on each of its levers this month (over replicates)."""
    model = agent.model
    means = model.world.effort[:, agent.levers].mean(axis=0)
    keys = np.asarray(model.structure.keys, dtype=object)[agent.levers]
    return {str(key).split(".", 1)[1]: float(value) for key, value in zip(keys, means, strict=True)}


def data_collector(model: InfluenceModel) -> mesa.DataCollector:
    """Reporters: every series' ensemble mean (named as in ``--outcome``), the seed and the date;
    per agent, its actor, mean budget and mean effort by lever."""
    series = {".".join(k for k in key if k): partial(_ensemble_mean, column=s) for s, key in enumerate(model.layout)}
    return mesa.DataCollector(
        model_reporters={"seed": "seed", "date": _date, **series},
        agent_reporters={"actor": "actor", "budget": lambda agent: float(np.mean(agent.budget)),
                         "effort": _effort_by_lever},
    )
