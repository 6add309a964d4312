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

import numpy as np

from sim.engine.experiments import Factor, evaluate_points
from sim.scenario.catalogue import ACTOR_LABELS, Lever, load_catalogue
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import Outcome, parse_outcome
from sim.scenario.readonly import ReadOnlyMapping

MIN_RESPONSE = 0.02  # what a pull lever should move its owner's influence on its first target by (ODD 7.9)
MAX_ATTITUDE_RESPONSE = 0.5  # no lever 0 -> 1 moves an attitude by more, in any replicate (goodwill saturates)


@dataclass(frozen=True)
class LeverResponse:
    """Paired effect of one lever at 1 rather than 0 on one outcome, at the end of the run."""

    lever: str  # "actor.lever"
    outcome: str  # outcome expression, e.g. "influence.morocco.mali"
    mean: float
    low: float  # 5% quantile over replicates
    high: float  # 95% quantile
    largest: float = 0.0  # the largest absolute paired difference in any replicate


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
    return dataclasses.replace(scenario, actors=ReadOnlyMapping(actors))


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
            out.append(LeverResponse(lever.key, text, float(paired.mean()), float(low), float(high),
                                     float(np.abs(paired).max())))
    return out


def rank_levers(scenario: Scenario, outcome: Outcome, text: str, *, n_replicates: int = 40,
                seed: int | None = None, levers: list[Lever] | None = None) -> list[LeverResponse]:
    """Every lever 0 -> 1 (one unit of effort) on one outcome the user names, paired as above,
    ranked by its mean effect (largest first)."""
    levers = list(levers or load_catalogue().levers)
    factors = [Factor(f"levers.{lever.key}", 0.0, 1.0) for lever in levers]
    points = np.full((2 * len(levers), len(levers)), np.nan)
    for i in range(len(levers)):
        points[2 * i, i], points[2 * i + 1, i] = 0.0, 1.0
    values = evaluate_points(with_budgets_extended(scenario), factors, points, [outcome],
                             replicates_per_point=n_replicates, seed=seed)[:, :, 0]  # (2L, K)
    out = []
    for i, lever in enumerate(levers):
        paired = values[2 * i + 1] - values[2 * i]
        low, high = np.quantile(paired, [0.05, 0.95])
        out.append(LeverResponse(lever.key, text, float(paired.mean()), float(low), float(high),
                                 float(np.abs(paired).max())))
    return sorted(out, key=lambda r: -r.mean)


def ranking_table(ranked: list[LeverResponse]) -> str:
    rows = ["| rank | lever | effect of one unit of effort (0 -> 1) | 90% of replicates |", "| --- | --- | --- | --- |"]
    for n, r in enumerate(ranked, start=1):
        rows.append(f"| {n} | `{r.lever}` ({ACTOR_LABELS[r.lever.split('.')[0]]}) | {r.mean:+.4f} | "
                    f"[{r.low:+.4f}, {r.high:+.4f}] |")
    return "\n".join(rows)


def strongest(responses: list[LeverResponse]) -> dict[str, LeverResponse]:
    """Per lever, the response with the largest absolute mean."""
    best: dict[str, LeverResponse] = {}
    for r in responses:
        if r.lever not in best or abs(r.mean) > abs(best[r.lever].mean):
            best[r.lever] = r
    return best


def first_target(responses: list[LeverResponse]) -> dict[str, tuple[LeverResponse | None, LeverResponse]]:
    """Per lever, its (influence, attitude) responses at its first target (``acted_on``'s order);
    align levers act on attitudes only, so their influence entry is None."""
    out: dict[str, tuple[LeverResponse | None, LeverResponse]] = {}
    for lever in load_catalogue().levers:
        mine = [r for r in responses if r.lever == lever.key]
        if not mine:
            continue
        influence = mine[0] if mine[0].outcome.startswith("influence.") else None
        attitude = next(r for r in mine if r.outcome.startswith("relation."))
        out[lever.key] = (influence, attitude)
    return out


def clears(response: LeverResponse | None, kind: str = "pull") -> bool:
    """An influence response that counts, in the direction the lever's kind says: at least
    MIN_RESPONSE on average with the 5% quantile above 0 (pull, welcome); the mirror image for
    undermining (the rival loses); at least MIN_RESPONSE either way for coercion, which pulls while
    in force but costs goodwill."""
    if response is None:
        return False
    if kind == "undermine":
        return response.mean <= -MIN_RESPONSE and response.high < 0
    if kind == "coerce":
        return abs(response.mean) >= MIN_RESPONSE
    return response.mean >= MIN_RESPONSE and response.low > 0


def response_table(responses: list[LeverResponse]) -> str:
    """Markdown table: each lever's influence and attitude response at its first target, side by
    side, with the largest attitude move in any replicate."""
    rows = ["| lever | influence outcome | mean | 90% of replicates | attitude outcome | mean | 90% of replicates "
            "| largest attitude move | influence clears 0.02 |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    kinds = {lever.key: lever.kind for lever in load_catalogue().levers}
    for key, (influence, attitude) in first_target(responses).items():
        actor = ACTOR_LABELS[key.split(".")[0]]
        if influence is None:
            left = "| (attitudes only) | | "
        else:
            left = f"| `{influence.outcome}` | {influence.mean:+.3f} | [{influence.low:+.3f}, {influence.high:+.3f}] "
        verdict = "-" if influence is None else ("yes" if clears(influence, kinds[key]) else "no")
        rows.append(f"| `{key}` ({actor}) {left}| `{attitude.outcome}` | {attitude.mean:+.3f} | "
                    f"[{attitude.low:+.3f}, {attitude.high:+.3f}] | {attitude.largest:.3f} | {verdict} |")
    return "\n".join(rows)
