"""Strategy search: the mix of one actor's levers that does best on an outcome (``sim optimize``).

The actor spends the same total effort as in the status quo (the sum of its levers' status-quo
intensities), split among its levers, each at most 1; the other agents adapt as the model says.
Every candidate runs the same replicates (common random numbers, each replicate its own draw of
the scenario's uncertainties), so candidates differ only by the mix. SciPy's differential
evolution searches the split, one population per batched evaluation; the score is the mean of the
outcome over the replicates, or its 10% quantile (``robust="p10"``: good even in bad draws).

The recommendation is then run again on fresh replicates against three references a strategist
would try: the status quo, the best single-lever push (one lever at 1, the rest of the effort in
status-quo proportions), and the same effort spread evenly. Each comparison is a paired
difference with its 5-95% range, so the user sees whether, and by how much, it is better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.experiments import Factor, evaluate_points
from sim.errors import InputError, Problem
from sim.scenario.catalogue import ACTORS, load_catalogue
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import OutcomeError, parse_outcome

ROBUST = ("mean", "p10")


def spread(weights: np.ndarray, total: float) -> np.ndarray:
    """``total`` effort split in proportion to ``weights`` (..., L), no lever above 1: what a capped
    lever cannot take goes to the others, in proportion (water-filling)."""
    weights = np.maximum(np.asarray(weights, dtype=float), 1e-12)
    out = np.zeros_like(weights)
    free = np.ones_like(weights, dtype=bool)
    left = np.full(weights.shape[:-1], float(total))
    for _ in range(weights.shape[-1]):
        share = np.where(free, weights, 0.0)
        x = left[..., None] * share / share.sum(axis=-1, keepdims=True)
        over = free & (x > 1.0)
        if not over.any():
            return np.where(free, x, out)
        out = np.where(over, 1.0, out)
        left = left - over.sum(axis=-1)
        free &= ~over
    return out


@dataclass(frozen=True)
class Strategy:
    name: str
    mix: np.ndarray  # intensity per lever
    values: np.ndarray  # the outcome in each evaluation replicate


@dataclass(frozen=True)
class Recommendation:
    actor: str
    objective: str
    robust: str
    levers: tuple[str, ...]
    total: float
    strategies: tuple[Strategy, ...]  # recommended first, then status quo, best single push, even spread
    evaluated_points: int

    def difference(self, other: str) -> tuple[float, float, float]:
        """Recommended minus ``other``, paired over the evaluation replicates: mean, 5%, 95%."""
        best = self.strategies[0].values
        values = next(s.values for s in self.strategies if s.name == other)
        diff = best - values
        return float(diff.mean()), float(np.quantile(diff, 0.05)), float(np.quantile(diff, 0.95))


def optimize(scenario: Scenario, actor: str, objective: str, *, replicates: int, budget: int, seed: int,
             robust: str = "mean", check_replicates: int | None = None) -> Recommendation:
    """Search ``actor``'s mix for ``objective`` (module docstring); ``budget`` caps the points evaluated."""
    from scipy.optimize import differential_evolution

    if actor not in ACTORS:
        raise InputError([Problem("--actor", 1, 1, f"unknown actor {actor!r}; expected one of {', '.join(ACTORS)}")])
    if robust not in ROBUST:
        raise InputError([Problem("--robust", 1, 1, f"{robust!r}; expected one of {', '.join(ROBUST)}")])
    catalogue = load_catalogue()
    try:
        outcome = parse_outcome(objective, catalogue.lever_ids())
    except OutcomeError as exc:
        raise InputError([Problem("--objective", 1, 1, f"{exc} in {objective!r}")]) from None
    levers = [lever for lever in catalogue.levers_of(actor) if lever.kind != "coerce"]
    status_quo = np.array([scenario.status_quo.get(actor, {}).get(lv.id, lv.initial_effort) for lv in levers])
    total = float(status_quo.sum())
    factors = [Factor(f"levers.{lv.key}", 0.0, 1.0) for lv in levers]
    count = {"points": 0}

    def outcomes(mixes: np.ndarray, k: int, first_seed: int) -> np.ndarray:
        count["points"] += len(mixes)
        return evaluate_points(scenario, factors, mixes, [outcome], replicates_per_point=k, seed=first_seed)[:, :, 0]

    def score(values: np.ndarray) -> np.ndarray:
        return values.mean(axis=1) if robust == "mean" else np.quantile(values, 0.1, axis=1)

    def loss(u: np.ndarray) -> np.ndarray:  # u: (L, S) with vectorized=True
        return -score(outcomes(spread(u.T, total), replicates, seed))

    dims = len(levers)
    popsize = max(2, min(10, budget // (4 * dims) or 2))
    maxiter = max(1, budget // (popsize * dims) - 1)
    result = differential_evolution(loss, [(0.0, 1.0)] * dims, seed=seed, maxiter=maxiter, popsize=popsize,
                                    vectorized=True, updating="deferred", polish=False, tol=1e-8)
    recommended = spread(result.x, total)
    singles = []
    for i in range(dims):
        rest = np.where(np.arange(dims) == i, 0.0, np.maximum(status_quo, 1e-6))
        mix = spread(rest, max(total - 1.0, 0.0))
        mix[i] = min(1.0, total)
        singles.append(mix)
    single_scores = score(outcomes(np.array(singles), replicates, seed))
    best_single = singles[int(np.argmax(single_scores))]
    even = spread(np.ones(dims), total)
    candidates = np.array([recommended, status_quo, best_single, even])
    check = outcomes(candidates, check_replicates or 2 * replicates, seed + 1)  # fresh replicates
    names = ("recommended", "status quo", f"push {levers[int(np.argmax(single_scores))].id}", "even spread")
    strategies = tuple(Strategy(name, mix, values) for name, mix, values in zip(names, candidates, check, strict=True))
    return Recommendation(actor, objective, robust, tuple(lv.id for lv in levers), total, strategies,
                          count["points"])


def report(result: Recommendation) -> str:
    """Markdown: the mixes side by side, and the recommendation against each reference."""
    header = "| lever | " + " | ".join(s.name for s in result.strategies) + " |"
    rows = [header, "| --- | " + " | ".join("---" for _ in result.strategies) + " |"]
    for i, lever in enumerate(result.levers):
        rows.append(f"| `{result.actor}.{lever}` | " + " | ".join(f"{s.mix[i]:.2f}" for s in result.strategies) + " |")
    rows.append("| **score** | " + " | ".join(f"{s.values.mean():.4f}" for s in result.strategies) + " |")
    lines = [f"# Best mix of {result.actor}'s levers for `{result.objective}` ({result.robust})", "",
             f"The same total effort as the status quo ({result.total:.2f}), split among the levers (each at most 1); "
             f"the other actors adapt. {result.evaluated_points} mixes evaluated on common random numbers; the "
             f"comparisons below run {len(result.strategies[0].values)} fresh replicates.", "", *rows, "",
             "| recommended minus | mean | 5% | 95% | 90% range above zero |", "| --- | --- | --- | --- | --- |"]
    for s in result.strategies[1:]:
        mean, low, high = result.difference(s.name)
        lines.append(f"| {s.name} | {mean:+.4f} | {low:+.4f} | {high:+.4f} | {'yes' if low > 0 else 'no'} |")
    return "\n".join(lines) + "\n"
