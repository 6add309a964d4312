"""Strategy search: the mix of one actor's levers that does best on one or several outcomes
(``sim optimize``).

The actor spends the same total effort as in the status quo (the sum of its levers' status-quo
intensities), split among its levers, each at most 1, pinned for the whole run; the other agents
adapt as the model says. Every candidate runs the same replicates (common random numbers, each
replicate its own draw of the scenario's uncertainties), so candidates differ only by the mix.

* **One objective:** SciPy's differential evolution, one population per batched evaluation. The
  score is the mean over the replicates, its 10% quantile (``robust="p10"``: good even in bad
  draws), or the regret (``robust="regret"``): per replicate, how far the mix falls short of the
  best mix found for that draw; the search runs on the mean and the recommendation is the
  evaluated mix with the least mean regret.
* **Several objectives:** pymoo's NSGA-II (extra ``[optimize]``) gives the Pareto set; the
  recommendation is its compromise, the mix with the highest sum of objectives each scaled to
  0..1 over the set.
* **Constraints** (``"mean(relation.mali.morocco) >= 0.3"``) hold on the mean over the replicates;
  a mix that breaks one is never recommended while a feasible one was found (differential
  evolution: a penalty; NSGA-II: its constraint handling).

The recommendation is then run again on fresh replicates against three references a strategist
would try: the status quo, the best single-lever push (one lever at 1, the rest of the effort in
status-quo proportions), and the same effort spread evenly; each comparison is a paired
difference with its 5-95% range on the first objective.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from sim.engine.experiments import Factor, evaluate_points
from sim.errors import InputError, Problem
from sim.model.seeding import library_seed
from sim.scenario.catalogue import ACTORS, load_catalogue
from sim.scenario.format import MAX_SEED
from sim.scenario.loader import Scenario
from sim.scenario.months import format_month
from sim.scenario.outcomes import Outcome, OutcomeError, parse_outcome

ROBUST = ("mean", "p10", "regret")
PENALTY = 1e3  # per unit of constraint violation: far above any score difference on a 0-1 scale
CONSTRAINT = re.compile(r"^(?P<expr>.+?)\s*(?P<op>>=|<=)\s*(?P<bound>[-+0-9.eE]+)\s*$")


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
class Constraint:
    """An outcome expression that must stay on one side of a bound, on its mean over replicates."""

    text: str
    outcome: Outcome
    op: str
    bound: float

    def violation(self, mean: np.ndarray) -> np.ndarray:
        """How far each mean is on the wrong side (0 where the constraint holds)."""
        return np.maximum(self.bound - mean, 0.0) if self.op == ">=" else np.maximum(mean - self.bound, 0.0)


@dataclass(frozen=True)
class Strategy:
    name: str
    mix: np.ndarray  # intensity per lever
    values: np.ndarray  # (replicates, objectives + constraints) on the check replicates
    starts: np.ndarray | None = None  # the step each lever's intensity starts (--search-start), else None

    def constraint_means(self, n_objectives: int) -> np.ndarray:
        return self.values[:, n_objectives:].mean(axis=0)


@dataclass(frozen=True)
class Recommendation:
    actor: str
    objectives: tuple[str, ...]
    constraints: tuple[Constraint, ...]
    robust: str
    levers: tuple[str, ...]
    total: float
    strategies: tuple[Strategy, ...]  # recommended first, then status quo, best single push, even spread
    evaluated_points: int
    pareto: tuple[tuple[np.ndarray, np.ndarray], ...] = ()  # (mix, objective scores) of the Pareto set
    feasible: bool = True  # whether the recommendation met every constraint in the search
    first_month: int | None = None  # the run's first month (absolute), to name the start steps

    @property
    def objective(self) -> str:
        return self.objectives[0]

    def difference(self, other: str, objective: int = 0) -> tuple[float, float, float]:
        """Recommended minus ``other`` on one objective, paired over the check replicates: mean, 5%, 95%."""
        best = self.strategies[0].values[:, objective]
        values = next(s.values for s in self.strategies if s.name == other)[:, objective]
        diff = best - values
        return float(diff.mean()), float(np.quantile(diff, 0.05)), float(np.quantile(diff, 0.95))


def parse_constraint(text: str) -> Constraint:
    """``EXPR >= NUMBER`` or ``EXPR <= NUMBER`` (a mean on the bound holds, so strict forms would mislead)."""
    match = CONSTRAINT.match(text.strip())
    if not match:
        raise InputError([Problem.about("--constraint", f"{text!r}: expected EXPR >= NUMBER or EXPR <= NUMBER, e.g. "
                                  "'mean(relation.mali.morocco) >= 0.3'")])
    try:
        outcome = parse_outcome(match["expr"], load_catalogue().lever_ids())
        bound = float(match["bound"])
    except (OutcomeError, ValueError) as exc:
        raise InputError([Problem.about("--constraint", f"{exc} in {text!r}")]) from None
    return Constraint(text.strip(), outcome, match["op"], bound)


def optimize(scenario: Scenario, actor: str, objectives: str | list[str], *, replicates: int, budget: int,
             seed: int, robust: str = "mean", constraints: list[str] = (), search_start: bool = False,
             check_replicates: int | None = None, executor=None, on_points=None) -> Recommendation:
    """Search ``actor``'s mix for ``objectives`` (module docstring); ``budget`` caps the points evaluated.
    ``search_start`` also searches the month each lever's new intensity starts (before it the
    scenario and the agent set the lever). ``executor`` runs each population's blocks
    (``--workers``); ``on_points`` is told how many points each finished block held (a progress bar)."""
    objectives = [objectives] if isinstance(objectives, str) else list(objectives)
    parsed, limits = _checked(actor, objectives, robust, constraints)
    n_obj = len(parsed)
    catalogue = load_catalogue()
    levers = [lever for lever in catalogue.levers_of(actor) if lever.kind != "coerce"]
    status_quo = np.array([scenario.status_quo.get(actor, {}).get(lv.id, lv.initial_effort) for lv in levers])
    total = float(status_quo.sum())
    dims = len(levers)
    last_step = max(scenario.horizon - 1, 0)
    factors = [Factor(f"levers.{lv.key}", 0.0, 1.0) for lv in levers]
    if search_start:
        factors += [Factor(f"levers.{lv.key}@start", 0.0, float(last_step)) for lv in levers]
    wanted = parsed + [c.outcome for c in limits]
    archive: list[tuple[np.ndarray, np.ndarray]] = []  # every evaluated (plan, values (K, outcomes))

    def plans(u: np.ndarray) -> np.ndarray:
        """Search points in [0, 1] (P, D) -> plans (P, L or 2L): the spread mix, then start steps."""
        mixes = spread(u[:, :dims], total)
        return np.hstack([mixes, np.round(u[:, dims:] * last_step)]) if search_start else mixes

    def from_start(mixes: np.ndarray) -> np.ndarray:
        return np.hstack([mixes, np.zeros_like(mixes)]) if search_start else mixes

    def outcomes(rows: np.ndarray, k: int, first_seed: int, keep: bool = True) -> np.ndarray:
        values = evaluate_points(scenario, factors, rows, wanted, replicates_per_point=k, seed=first_seed,
                                 executor=executor, on_chunk=on_points)
        if keep:
            archive.extend(zip(rows, values, strict=True))
        return values  # (P, K, outcomes)

    def scores(values: np.ndarray) -> np.ndarray:  # (P, K, O) -> (P, objectives): higher is better
        head = values[:, :, :n_obj]
        return np.quantile(head, 0.1, axis=1) if robust == "p10" else head.mean(axis=1)

    def violations(values: np.ndarray) -> np.ndarray:  # (P, constraints)
        means = values[:, :, n_obj:].mean(axis=1)
        return np.stack([c.violation(means[:, j]) for j, c in enumerate(limits)], axis=1) if limits else \
            np.zeros((values.shape[0], 0))

    search_dims = 2 * dims if search_start else dims
    pareto: tuple = ()
    if n_obj == 1:
        best = _differential_evolution(lambda u: outcomes(plans(u.T), replicates, seed), scores, violations,
                                       search_dims, budget, seed)
        recommended = plans(best[None])[0]
        if robust == "regret":
            recommended = _least_regret(archive, violations)
    else:
        front = _nsga2(lambda x: outcomes(plans(x), replicates, seed), scores, violations, search_dims, budget, seed,
                       plans, n_obj, len(limits))
        pareto = tuple(front)
        recommended = _compromise(front)
    feasible = True
    if limits:  # the recommendation's violation on the search replicates
        chosen = min(archive, key=lambda item: float(np.abs(item[0] - recommended).sum()))
        feasible = bool(violations(chosen[1][None]).sum() == 0)
    singles = _single_pushes(status_quo, total)
    single_scores = scores(outcomes(from_start(np.array(singles)), replicates, seed))[:, 0]
    best_single = singles[int(np.argmax(single_scores))]
    even = spread(np.ones(dims), total)
    candidates = np.vstack([recommended[None], from_start(np.array([status_quo, best_single, even]))])
    fresh = (seed + 1) % (MAX_SEED + 1)  # other replicates than the search's
    check = outcomes(candidates, check_replicates or 2 * replicates, fresh, keep=False)
    names = ("recommended", "status quo", f"push {levers[int(np.argmax(single_scores))].id}", "even spread")
    strategies = tuple(Strategy(name, row[:dims], values, row[dims:] if search_start else None)
                       for name, row, values in zip(names, candidates, check, strict=True))
    return Recommendation(actor, tuple(objectives), tuple(limits), robust, tuple(lv.id for lv in levers), total,
                          strategies, len(archive), tuple((row[:dims], score) for row, score in pareto), feasible,
                          scenario.start)


def _checked(actor: str, objectives: list[str], robust: str,
             constraints: list[str]) -> tuple[list[Outcome], list[Constraint]]:
    """The objectives and constraints parsed, or InputError naming the flag at fault."""
    if actor not in ACTORS:
        raise InputError([Problem.about("--actor", f"unknown actor {actor!r}; expected one of {', '.join(ACTORS)}")])
    if robust not in ROBUST:
        raise InputError([Problem.about("--robust", f"{robust!r}; expected one of {', '.join(ROBUST)}")])
    if not objectives:
        raise InputError([Problem.about("--objective", "give at least one objective")])
    if len(objectives) > 1 and robust == "regret":
        raise InputError([Problem.about("--robust regret", "regret ranks one objective; with several objectives use "
                                                         "mean or p10")])
    parsed = []
    for text in objectives:
        try:
            parsed.append(parse_outcome(text, load_catalogue().lever_ids()))
        except OutcomeError as exc:
            raise InputError([Problem.about("--objective", f"{exc} in {text!r}")]) from None
    return parsed, [parse_constraint(text) for text in constraints]


def _single_pushes(status_quo: np.ndarray, total: float) -> list[np.ndarray]:
    """For each lever: it at 1 and the rest of the effort over the others in status-quo proportions."""
    dims, out = len(status_quo), []
    for i in range(dims):
        rest = np.where(np.arange(dims) == i, 0.0, np.maximum(status_quo, 1e-6))
        mix = spread(rest, max(total - 1.0, 0.0))
        mix[i] = min(1.0, total)
        out.append(mix)
    return out


def _differential_evolution(evaluate, scores, violations, dims: int, budget: int, seed: int) -> np.ndarray:
    """SciPy's differential evolution on the first objective, constraints as a penalty; the raw
    (unspread) best point."""
    from scipy.optimize import differential_evolution

    def loss(u: np.ndarray) -> np.ndarray:  # u: (L, S) with vectorized=True
        values = evaluate(u)
        return -scores(values)[:, 0] + PENALTY * violations(values).sum(axis=1)

    popsize = max(2, min(10, budget // (4 * dims) or 2))
    maxiter = max(1, budget // (popsize * dims) - 1)
    result = differential_evolution(loss, [(0.0, 1.0)] * dims, seed=library_seed(seed), maxiter=maxiter,
                                    popsize=popsize,
                                    vectorized=True, updating="deferred", polish=False, tol=1e-8)
    return result.x


def _least_regret(archive, violations) -> np.ndarray:
    """The evaluated mix with the least mean regret: per replicate, the best value any evaluated mix
    reached minus this mix's (first objective; mixes that break a constraint only if none holds)."""
    search = [(mix, values) for mix, values in archive if values.shape == archive[0][1].shape]
    values = np.stack([v[:, 0] for _, v in search])  # (P, K): every mix on the search replicates
    regret = (values.max(axis=0)[None, :] - values).mean(axis=1)
    broken = np.array([violations(v[None]).sum() > 0 for _, v in search])
    if not broken.all():
        regret = np.where(broken, np.inf, regret)
    return search[int(np.argmin(regret))][0]


def _nsga2(evaluate, scores, violations, dims: int, budget: int, seed: int, plans, n_objectives: int,
           n_constraints: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """pymoo's NSGA-II over the search points, every generation one batched evaluation; the Pareto
    set as (plan, objective scores), each plan what ``plans`` makes of a point."""
    try:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.problem import Problem as PymooProblem
        from pymoo.optimize import minimize
    except ImportError:
        raise InputError([Problem.about("--objective", "several objectives need pymoo: pip install "
                                                       "'sahel-sim[optimize]'")]) from None

    class Mixes(PymooProblem):
        def __init__(self, n_objectives: int, n_constraints: int):
            super().__init__(n_var=dims, n_obj=n_objectives, n_ieq_constr=n_constraints, xl=0.0, xu=1.0)

        def _evaluate(self, x, out, *args, **kwargs):
            values = evaluate(x)
            out["F"] = -scores(values)
            if self.n_ieq_constr:
                out["G"] = violations(values)

    population = max(8, min(40, budget // 5))
    generations = max(2, budget // population)
    result = minimize(Mixes(n_objectives, n_constraints), NSGA2(pop_size=population), ("n_gen", generations),
                      seed=library_seed(seed), verbose=False)
    xs = np.atleast_2d(result.X) if result.X is not None else np.full((1, dims), 0.5)
    fs = np.atleast_2d(result.F) if result.F is not None else -scores(evaluate(xs))
    return [(plan, -f) for plan, f in zip(plans(xs), fs, strict=True)]


def _compromise(front: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The Pareto mix with the highest sum of objectives, each scaled to 0..1 over the set."""
    scores = np.stack([s for _, s in front])
    low, high = scores.min(axis=0), scores.max(axis=0)
    scaled = (scores - low) / np.where(high > low, high - low, 1.0)
    return front[int(np.argmax(scaled.sum(axis=1)))][0]


def _cell(result: Recommendation, strategy: Strategy, lever: int) -> str:
    """A lever's intensity, and from when when the search chose its start (``--search-start``)."""
    if strategy.starts is None or result.first_month is None:
        return f"{strategy.mix[lever]:.2f}"
    return f"{strategy.mix[lever]:.2f} from {format_month(result.first_month + int(strategy.starts[lever]))}"


def report(result: Recommendation) -> str:
    """Markdown: the mixes side by side, the recommendation against each reference, the Pareto set."""
    n_obj = len(result.objectives)
    header = "| lever | " + " | ".join(s.name for s in result.strategies) + " |"
    rows = [header, "| --- | " + " | ".join("---" for _ in result.strategies) + " |"]
    for i, lever in enumerate(result.levers):
        cells = " | ".join(_cell(result, s, i) for s in result.strategies)
        rows.append(f"| `{result.actor}.{lever}` | {cells} |")
    for j, text in enumerate(result.objectives):
        rows.append(f"| **`{text}`** | " + " | ".join(f"{s.values[:, j].mean():.4f}" for s in result.strategies)
                    + " |")
    for j, c in enumerate(result.constraints):
        rows.append(f"| constraint `{c.text}` (mean) | "
                    + " | ".join(f"{s.values[:, n_obj + j].mean():.4f}" for s in result.strategies) + " |")
    search = "NSGA-II (pymoo)" if n_obj > 1 else "differential evolution (SciPy)"
    when = "from the month shown, the scenario setting it before" if result.strategies[0].starts is not None \
        else "for the whole run"
    lines = [f"# Best mix of {result.actor}'s levers for {', '.join(f'`{o}`' for o in result.objectives)} "
             f"({result.robust})", "",
             f"The same total effort as the status quo ({result.total:.2f}), split among the levers (each at most 1, "
             f"pinned {when}); the other actors adapt. {result.evaluated_points} mixes evaluated by "
             f"{search} on common random numbers; the comparisons below run {len(result.strategies[0].values)} "
             "fresh replicates.", ""]
    if result.constraints and not result.feasible:
        lines += ["**No mix found met every constraint**; the recommendation breaks them least.", ""]
    lines += [*rows, "", f"| recommended minus (on `{result.objective}`) | mean | 5% | 95% | 90% range above zero |",
              "| --- | --- | --- | --- | --- |"]
    for s in result.strategies[1:]:
        mean, low, high = result.difference(s.name)
        lines.append(f"| {s.name} | {mean:+.4f} | {low:+.4f} | {high:+.4f} | {'yes' if low > 0 else 'no'} |")
    if result.pareto:
        lines += ["", f"## Pareto set ({len(result.pareto)} mixes; the recommendation is its compromise: the highest "
                  "sum of objectives scaled to 0-1 over the set)", "",
                  "| " + " | ".join(f"`{o}`" for o in result.objectives) + " |",
                  "| " + " | ".join("---" for _ in result.objectives) + " |"]
        for _, score in sorted(result.pareto, key=lambda item: -item[1][0]):
            lines.append("| " + " | ".join(f"{v:.4f}" for v in score) + " |")
    return "\n".join(lines) + "\n"
