"""Lever response: what each lever of the catalogue does on its own, from 0 to full intensity.

For every lever the scenario runs twice on the same replicates (common random numbers): with the
lever pinned at 0 and at 1 for the whole run, everything else as the scenario says, and every
actor's budget policy set to ``extend`` so that the owner's other levers keep their allocation.
The response is the paired difference at the end of the run in the outcomes the lever's kind
acts on (ODD 7.9). All 2 x L variants run as one batched ensemble.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from sim.engine.experiments import Factor, evaluate_points
from sim.scenario.catalogue import ACTOR_LABELS, Lever, load_catalogue
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import parse_outcome

MIN_RESPONSE = 0.02  # what every lever should move at least (model v3 acceptance, ODD 7.9)


@dataclass(frozen=True)
class LeverResponse:
    """Paired effect of one lever at 1 rather than 0 on one outcome, at the end of the run."""

    lever: str  # "actor.lever"
    outcome: str  # outcome expression, e.g. "influence.morocco.mali"
    mean: float
    low: float  # 5% quantile over replicates
    high: float  # 95% quantile


def acted_on(lever: Lever) -> list[str]:
    """The outcomes a lever of this kind is meant to move, per target."""
    o = lever.actor
    out = []
    for t in lever.targets:
        if lever.kind in ("pull", "coerce"):
            out += [f"influence.{o}.{t}", f"relation.{t}.{o}"]
        elif lever.kind == "undermine":
            out += [f"influence.{lever.rival}.{t}", f"relation.{t}.{o}"]
        elif lever.kind == "welcome":
            out += [f"influence.{t}.{o}", f"relation.{o}.{t}"]
        else:  # align
            out += [f"relation.{o}.{t}", f"relation.{t}.{o}"]
    return out


def with_budgets_extended(scenario: Scenario) -> Scenario:
    actors = {a: dataclasses.replace(s, budget_policy="extend") for a, s in scenario.actors.items()}
    return dataclasses.replace(scenario, actors=MappingProxyType(actors))


def lever_responses(scenario: Scenario, *, n_replicates: int = 40, seed: int | None = None,
                    levers: list[Lever] | None = None) -> list[LeverResponse]:
    """Every lever's response on every outcome it acts on (see module docstring)."""
    levers = list(levers or load_catalogue().levers)
    factors = [Factor(f"levers.{lever.key}", 0.0, 1.0) for lever in levers]
    points = np.full((2 * len(levers), len(levers)), np.nan)  # NaN: not pinned, as the scenario says
    for i in range(len(levers)):
        points[2 * i, i], points[2 * i + 1, i] = 0.0, 1.0
    texts = sorted({text for lever in levers for text in acted_on(lever)})
    values = evaluate_points(with_budgets_extended(scenario), factors, points, [parse_outcome(t) for t in texts],
                             replicates_per_point=n_replicates, seed=seed)  # (2L, K, outcomes)
    out = []
    for i, lever in enumerate(levers):
        for text in acted_on(lever):
            j = texts.index(text)
            paired = values[2 * i + 1, :, j] - values[2 * i, :, j]
            low, high = np.quantile(paired, [0.05, 0.95])
            out.append(LeverResponse(lever.key, text, float(paired.mean()), float(low), float(high)))
    return out


def strongest(responses: list[LeverResponse]) -> dict[str, LeverResponse]:
    """Per lever, the response with the largest absolute mean."""
    best: dict[str, LeverResponse] = {}
    for r in responses:
        if r.lever not in best or abs(r.mean) > abs(best[r.lever].mean):
            best[r.lever] = r
    return best


def response_table(responses: list[LeverResponse]) -> str:
    """Markdown table: each lever's largest response, and whether it clears MIN_RESPONSE."""
    rows = ["| lever | largest effect (0 -> 1, end of run) | mean | 90% of replicates | clears 0.02 |",
            "| --- | --- | --- | --- | --- |"]
    for key, r in strongest(responses).items():
        actor = ACTOR_LABELS[key.split(".")[0]]
        rows.append(f"| `{key}` ({actor}) | `{r.outcome}` | {r.mean:+.3f} | [{r.low:+.3f}, {r.high:+.3f}] | "
                    f"{'yes' if abs(r.mean) >= MIN_RESPONSE else 'no'} |")
    return "\n".join(rows)
