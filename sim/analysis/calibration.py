"""Calibration against documented history: targets, a loss, differential evolution, ABC-SMC (pyabc).

Targets (``scenarios/targets/*.yaml``) are documented patterns, each an outcome expression
with a range or a direction and the sentence and file it comes from. The loss of a
parameter point is the weighted sum of squared distances of each target's ensemble mean
from its allowed range (zero when every target is hit). Every candidate population (DE)
or prior sample (ABC) runs as one batched ensemble.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.engine.executors import Executor
from sim.engine.experiments import Factor, evaluate_points
from sim.model.seeding import library_seed
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import Outcome, OutcomeError, parse_outcome
from sim.scenario.validation import (
    INVALID,
    Bounds,
    DocumentReport,
    ListOf,
    Number,
    Record,
    Report,
    Spec,
    Text,
)
from sim.scenario.yamlsafe import Key, read_yaml_file

# the parameters the 2012-2022 replay's targets constrain (docs/validation.md); the rest are judgement
CALIBRATED = ("relation.goodwill_scale", "relation.balance_rate", "relation.reversion", "influence.adjust_rate",
              "influence.legacy_floor", "receptivity.security_gain", "influence.western_share", "agent.inertia")


@dataclass(frozen=True)
class Target:
    id: str
    outcome: Outcome
    low: float  # allowed range of the ensemble mean
    high: float
    weight: float
    sentence: str
    source: str

    def distance(self, value: np.ndarray) -> np.ndarray:
        return np.maximum(self.low - value, 0.0) + np.maximum(value - self.high, 0.0)


@dataclass(frozen=True)
class OutcomeText(Spec):
    """An outcome expression (``sim.scenario.outcomes``) on the lever catalogue; read as an Outcome."""

    def read(self, report: Report, key: Key, value: object) -> object:
        try:
            return parse_outcome(str(value), load_catalogue().lever_ids())
        except OutcomeError as exc:
            report.fail(key, f"{exc} in outcome {value!r}", offset=exc.offset)
            return INVALID

    def schema(self) -> dict:
        return self.described({"type": "string"})


def _has_bounds(report: Report, key: Key, raw: dict) -> None:
    if not {"range", "above", "below"} & raw.keys():
        report.fail(key, f"target '{raw.get('id')}' needs 'range', 'above' or 'below'")


TARGET = Record({
    "id": Text(non_empty=True),
    "outcome": OutcomeText(description="e.g. mean(influence.russia.mali@2022-12)"),
    "range": Bounds(description="[low, high] of the ensemble mean"),
    "above": Number(description="the ensemble mean is at least this"),
    "below": Number(description="the ensemble mean is at most this"),
    "weight": Number(0.0, open_low=True, default=1.0),
    "sentence": Text(non_empty=True, description="the documented sentence the target reads"),
    "source": Text(non_empty=True, description="the seed file it comes from"),
}, required=("outcome", "sentence", "source"), checks=(_has_bounds,))
TARGET_KEYS = tuple(TARGET.fields)


def load_targets(path: str | Path, run: tuple[str, str] | None = None) -> list[Target]:
    """Read and check a targets file; every problem located, exit 2 through InputError.

    ``run``: the first and last month of the scenario the targets will score. An outcome dated
    outside it is refused here, at its line, not found by the first model evaluation (where the
    optimiser turned it into a traceback).
    """
    doc = read_yaml_file(path)
    report = DocumentReport(doc)
    entries = Record({"targets": ListOf(TARGET, what="targets", at_least=1, whole=True)},
                     required=("targets",)).read(report, (), doc.data)
    if run is not None and entries is not INVALID:
        for index, entry in enumerate(entries.get("targets") or []):
            outside = entry["outcome"].months_outside(*run) if "outcome" in entry else []
            if outside:
                report.fail(("targets", index, "outcome"), f"{outside[0]} is outside the run {run[0]}..{run[1]} "
                            "of the scenario being calibrated (is it the scenario these targets were written for?)")
    report.raise_any()
    return [_target(i, entry) for i, entry in enumerate(entries["targets"])]


def _target(index: int, entry: dict) -> Target:
    low, high = entry.get("range", (-math.inf, math.inf))
    low, high = max(low, entry.get("above", low)), min(high, entry.get("below", high))
    return Target(entry.get("id", f"target{index}"), entry["outcome"], low, high, entry["weight"], entry["sentence"],
                  entry["source"])


def loss_function(scenario: Scenario, factors: Sequence[Factor], targets: Sequence[Target], *, replicates: int,
                  seed: int, executor: Executor | None = None) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """points (P, D) -> (loss (P,), target means (P, n_targets)), one batched run per call."""
    outcomes = [t.outcome for t in targets]
    weights = np.array([t.weight for t in targets])

    def evaluate(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = evaluate_points(scenario, factors, points, outcomes, replicates_per_point=replicates, seed=seed,
                                 executor=executor)
        means = values.mean(axis=1)
        distance = np.stack([t.distance(means[:, j]) for j, t in enumerate(targets)], axis=1)
        return (weights * distance**2).sum(axis=1), means

    return evaluate


@dataclass(frozen=True)
class CalibrationResult:
    method: str
    factors: list[Factor]
    best: np.ndarray  # (D,)
    best_loss: float
    best_means: np.ndarray  # (n_targets,)
    default_loss: float
    default_means: np.ndarray
    posterior: np.ndarray | None  # (n, D) for ABC
    evaluations: int


def calibrate_de(loss, factors: Sequence[Factor], *, budget: int, seed: int, defaults: np.ndarray) -> CalibrationResult:
    """SciPy's differential evolution; each population is one batched run (vectorized)."""
    from scipy.optimize import differential_evolution

    dims = len(factors)
    popsize = max(5, min(15, budget // (10 * dims) or 5))
    maxiter = max(1, budget // (popsize * dims) - 1)
    count = {"n": 0}

    def objective(x: np.ndarray) -> np.ndarray:  # x: (D, S) with vectorized=True
        count["n"] += x.shape[1]
        return loss(x.T)[0]

    result = differential_evolution(objective, [(f.low, f.high) for f in factors], seed=library_seed(seed),
                                    maxiter=maxiter, popsize=popsize, vectorized=True, updating="deferred",
                                    polish=False, tol=1e-8)
    base_loss, base_means = loss(defaults[None])
    best_loss, best_means = loss(result.x[None])
    return CalibrationResult("de", list(factors), result.x, float(best_loss[0]), best_means[0], float(base_loss[0]),
                             base_means[0], None, count["n"] + 2)


def target_scales(targets: Sequence[Target]) -> np.ndarray:
    """Each target's scale for ABC's distance: the half-width of its range (a one-sided target: 0.1),
    so a miss by a tenth of a range counts alike for every target."""
    return np.array([max((t.high - t.low) / 2, 1e-6) if math.isfinite(t.low) and math.isfinite(t.high) else 0.1
                     for t in targets])


def calibrate_abc(loss, factors: Sequence[Factor], *, budget: int, seed: int, defaults: np.ndarray,
                  targets: Sequence[Target], population: int | None = None,
                  generations: int = 6) -> CalibrationResult:
    """ABC-SMC (pyabc): uniform priors over the factors' ranges, a population of ``population``
    particles refined over at most ``generations`` generations or ``budget`` model evaluations.

    The documents give directions, and the targets' ranges are our bounds on them; inside a range
    every value is as good as any other (the same uniform reading the backtest's CRPS uses). So
    the distance is the weighted root-mean-square of each target's miss outside its range, in
    half-widths of the range (``target_scales``); each generation's tolerance is the median
    distance of the previous one, down to 0: the last generation is the prior restricted to the
    parameters whose ensemble means hit every target. (A distance to the middle of each range,
    tried first, made the posterior chase the midpoints of judgement bounds and collapse onto the
    prior's edges.) Particles run one at a time (pyabc's single-core sampler); pyabc draws from
    NumPy's global generator, which is seeded here and restored afterwards, so a seed gives one
    posterior. The posterior returned is a weighted resample of the last generation.
    """
    import logging
    import tempfile

    import pyabc

    for name in ("ABC", "pyabc", "Epsilon", "Distance", "Sampler", "History", "Acceptor", "Transitions", "Data",
                 "Population", "Redis"):
        logging.getLogger(name).setLevel(logging.WARNING)
    population = population or max(10, min(200, budget // (2 * generations)))
    scale = target_scales(targets)
    weights = np.array([t.weight for t in targets])
    names = [f"p{d}" for d in range(len(factors))]  # pyabc's names: the factors' own contain dots
    count = {"n": 0}

    def model(parameter) -> dict:
        count["n"] += 1
        _, means = loss(np.array([[parameter[name] for name in names]]))
        return {"means": means[0]}

    def distance(simulated: dict, _observed: dict) -> float:
        means = np.asarray(simulated["means"])
        miss = np.array([t.distance(means[j]) for j, t in enumerate(targets)]) / scale
        return float(np.sqrt(np.sum(weights * miss**2) / weights.sum()))

    prior = pyabc.Distribution(**{name: pyabc.RV("uniform", f.low, f.high - f.low)
                                  for name, f in zip(names, factors, strict=True)})
    state = np.random.get_state()
    np.random.seed(library_seed(seed))
    try:
        abc = pyabc.ABCSMC(model, prior, distance, population_size=population,
                           sampler=pyabc.sampler.SingleCoreSampler(), eps=pyabc.epsilon.MedianEpsilon())
        with tempfile.TemporaryDirectory() as folder:
            abc.new(f"sqlite:///{folder}/abc.db", {"means": np.zeros(len(targets))})
            history = abc.run(minimum_epsilon=0.0, max_nr_populations=generations, max_total_nr_simulations=budget)
            frame, w = history.get_distribution(t=history.max_t)
        particles = frame[names].to_numpy()
    finally:
        np.random.set_state(state)
    rng = np.random.default_rng(seed)
    posterior = particles[rng.choice(len(particles), size=population, p=w / w.sum())]
    losses, _ = loss(posterior)
    best = posterior[int(np.argmin(losses))]
    base_loss, base_means = loss(defaults[None])
    best_loss, best_means = loss(best[None])
    return CalibrationResult("abc", list(factors), best, float(best_loss[0]), best_means[0], float(base_loss[0]),
                             base_means[0], posterior, count["n"] + len(posterior) + 2)
