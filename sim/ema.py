"""The model as an EMA Workbench ``Model`` in one call (optional extra: ``pip install sahel-sim[ema]``).

    from ema_workbench import perform_experiments
    from sim.ema import ema_model

    model = ema_model("baseline", uncertainties=["influence.adjust_rate"], levers=["morocco.investment"],
                      outcomes=["mean(influence.morocco.mali)"])
    experiments, outcomes = perform_experiments(model, scenarios=20, policies=2)

Each experiment is one batched ensemble of ``n_replicates`` (common random numbers across
experiments) through ``sim.evaluate``; an outcome is its mean over the replicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.api import ScenarioLike, evaluate, parse_outcomes
from sim.scenario.loader import resolve_scenario


def ema_model(scenario: ScenarioLike = "baseline", *, uncertainties: Sequence[str] | None = None,
              levers: Sequence[str] = (), outcomes: Sequence[str] = ("mean(influence.russia.mali)",),
              n_replicates: int = 20, seed: int | None = None, name: str | None = None) -> Any:
    """An ``ema_workbench.Model`` whose uncertainties are catalogue parameters (glob patterns
    allowed; default: the scenario's own ``uncertainties:``) over their catalogue ranges, whose
    levers are ``"actor.lever"`` intensities in [0, 1], and whose outcomes are outcome expressions."""
    from ema_workbench import Model, RealParameter, ScalarOutcome

    from sim.analysis.sensitivity import default_factors
    from sim.engine.experiments import factor_bounds

    resolved = resolve_scenario(scenario)
    patterns = list(uncertainties) if uncertainties is not None else [u.parameter for u in resolved.uncertainties]
    factors = default_factors(patterns, where="ema_model: uncertainties") if patterns else []
    lever_names = [f"levers.{lever}" for lever in levers]
    for lever in lever_names:
        factor_bounds(lever, where="ema_model: levers")  # unknown levers are refused here, with a suggestion
    wanted = [o.text for o in parse_outcomes(outcomes, resolved, "ema_model: outcomes")]
    seed = resolved.seed if seed is None else seed

    def function(**experiment: float) -> dict[str, float]:
        points = {key: [value] for key, value in experiment.items() if key in names}
        values = evaluate(resolved, points, wanted, replicates_per_point=n_replicates, seed=seed)
        return {text: float(np.mean(values[0, :, j])) for j, text in enumerate(wanted)}

    names = {f.name for f in factors} | set(lever_names)
    model = Model(name or _identifier(resolved.name), function=function)
    model.uncertainties = [RealParameter(f.name, f.low, f.high) for f in factors]
    model.levers = [RealParameter(lever, 0.0, 1.0) for lever in lever_names]
    model.outcomes = [ScalarOutcome(text) for text in wanted]
    return model


def _identifier(text: str) -> str:
    """EMA model names must be Python identifiers."""
    cleaned = "".join(c if c.isalnum() else "_" for c in text)
    return cleaned if cleaned[:1].isalpha() else f"m_{cleaned}"
