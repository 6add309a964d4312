"""Proper scores for the backtest (issue #28, item 3): CRPS for continuous targets, the Brier
score for dated choices, skill against reference forecasters, and a reliability table.

A hit count rewards landing inside a range and ignores how confident the forecast was; a
proper score is optimised in expectation only by reporting one's actual belief, so a sharp
wrong ensemble and a vague right one are both penalised for what they are. A score means
little alone, hence skill against references scored the same way (the prior predictive,
persistence, trend, the base rate of choices).

Pure NumPy on top of scoringrules (0.11), which is imported on first use: its numba kernels
compile when the package is imported (about 5 s), a cost the rest of ``sim`` should not pay.
Lower scores are better everywhere; skills are higher-is-better.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

CRPS_ESTIMATOR = "fair"
BASE_RATE = "base rate"  # name of the reference forecaster brier_table adds


def _finite(values: ArrayLike, what: str) -> np.ndarray:
    """``values`` as a float array, refusing NaN and infinities with the first bad value and where."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what} must be numbers, got {values!r}") from error
    bad = ~np.isfinite(array)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f" at index {int(where[0]) if where.size == 1 else tuple(int(i) for i in where)}" if array.ndim else ""
        raise ValueError(f"{what} must be finite, got {float(array[bad][0])}{at}")
    return array


def _same_shape(a: np.ndarray, b: np.ndarray, what_a: str, what_b: str) -> None:
    if a.shape != b.shape:
        if a.ndim == b.ndim == 1:
            raise ValueError(f"{what_a} has {a.size} values but {what_b} has {b.size}")
        raise ValueError(f"{what_a} has shape {a.shape} but {what_b} has shape {b.shape}")


def _result(values: np.ndarray) -> float | np.ndarray:
    return float(values) if np.ndim(values) == 0 else np.asarray(values, dtype=float)


def crps_ensemble(
    observation: float | ArrayLike, ensemble: float | ArrayLike, *, estimator: str = CRPS_ESTIMATOR
) -> float | np.ndarray:
    """CRPS of an ensemble (or a point) forecast, via ``scoringrules.crps_ensemble(obs, fct, estimator=...)``.

    CRPS = E|X - y| - E|X - X'| / 2. The default estimator is scoringrules' ``"fair"`` one
    (pairs i != j, divisor M(M-1)): it is unbiased for the distribution the members are drawn
    from, so the prior predictive and the posterior score alike even when they were run with
    different numbers of replicates. ``estimator="nrg"`` scores the empirical distribution of
    the members instead (divisor M^2). A point forecast (persistence, trend) is a point mass:
    its CRPS is the absolute error, whatever the estimator.

    Shapes: ``ensemble`` either has the shape of ``observation`` (one point per observation) or
    that shape plus a trailing member axis. A one-member ensemble is a point. Any other shape is
    refused rather than broadcast, since scoring every observation against every point would be
    a silent error. Returns a float for a scalar observation, else an array of its shape.
    """
    obs = _finite(observation, "observation")
    fct = _finite(ensemble, "ensemble")
    if fct.shape == obs.shape:
        return _result(np.abs(fct - obs))
    if fct.ndim != obs.ndim + 1 or fct.shape[:-1] != obs.shape:
        raise ValueError(
            f"ensemble shape {fct.shape} fits neither the observation shape {obs.shape} (points) "
            f"nor {obs.shape} + (members,)"
        )
    if fct.shape[-1] == 0:
        raise ValueError("ensemble has no members")
    if fct.shape[-1] == 1:
        return _result(np.abs(fct[..., 0] - obs))
    import scoringrules

    # Keywords, so a future rename or reordering of (obs, fct) fails loudly instead of swapping.
    score = np.asarray(scoringrules.crps_ensemble(obs=obs, fct=fct, estimator=estimator), dtype=float)
    # The fair estimator is >= 0 in exact arithmetic; rounding can leave -1e-16.
    return _result(np.maximum(score, 0.0))


def _outcomes(outcome: ArrayLike, what: str = "outcome") -> np.ndarray:
    values = _finite(outcome, what)
    bad = (values != 0) & (values != 1)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f" at index {int(where[0])}" if values.ndim == 1 else ""
        raise ValueError(
            f"{what} must be 0 or 1 (the choice happened by the date or not), got {float(values[bad][0])}{at}"
        )
    return values


def _probabilities(probability: ArrayLike, what: str = "probability") -> np.ndarray:
    values = _finite(probability, what)
    bad = (values < 0) | (values > 1)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f" at index {int(where[0])}" if values.ndim == 1 else ""
        raise ValueError(f"{what} must be in [0, 1], got {float(values[bad][0])}{at}")
    return values


def brier(probability: float | ArrayLike, outcome: float | ArrayLike) -> float | np.ndarray:
    """Brier score (p - o)^2 of the forecast probability that a choice happens by its date,
    via ``scoringrules.brier_score(obs, fct)``.

    ``outcome`` is 1 (it happened) or 0; booleans are fine. Shapes must match exactly.
    """
    p = _probabilities(probability)
    o = _outcomes(outcome)
    _same_shape(p, o, "probability", "outcome")
    import scoringrules

    return _result(np.asarray(scoringrules.brier_score(obs=o, fct=p), dtype=float))


def skill(score: float, reference_score: float) -> float:
    """Skill score 1 - score / reference: 1 is perfect, 0 no better than the reference, < 0 worse.

    A reference score of 0 (a perfect reference) leaves nothing to improve on and the ratio is
    undefined: the skill is then NaN, never +-inf, because -inf would rank a nearly perfect
    forecaster with a useless one. Scores must be finite and non-negative (CRPS and Brier are).
    """
    for value, what in ((score, "score"), (reference_score, "reference score")):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{what} must be finite and >= 0, got {value}")
    if reference_score == 0:
        return math.nan
    return 1.0 - score / reference_score


@dataclass(frozen=True)
class ScoreTable:
    """Per-target scores of several forecasters on the same targets, with skill against references.

    Skill is computed from mean scores, skill(mean score, mean reference score), the usual
    aggregate skill score; a mean of per-target skills is dominated by targets where the
    reference happens to be nearly exact. Mean CRPS adds targets' units: put continuous targets
    on comparable scales (or read ``scores`` per target) before comparing across them. The fair
    CRPS of a small ensemble straddling the observation can be exactly 0 (e.g. [-1, 1] at 0),
    and skill against a zero reference is NaN.
    """

    score: str  # "CRPS" or "Brier"
    targets: tuple[str, ...]
    forecasters: tuple[str, ...]
    scores: np.ndarray  # (forecasters, targets), lower is better
    references: tuple[str, ...]

    def _row(self, forecaster: str) -> int:
        if forecaster not in self.forecasters:
            raise ValueError(f"unknown forecaster {forecaster!r}; have {', '.join(self.forecasters)}")
        return self.forecasters.index(forecaster)

    def mean(self, forecaster: str) -> float:
        """Mean score of one forecaster over the targets."""
        return float(self.scores[self._row(forecaster)].mean())

    @property
    def means(self) -> dict[str, float]:
        return {name: self.mean(name) for name in self.forecasters}

    def skill(self, forecaster: str, reference: str) -> float:
        """Skill of ``forecaster`` against ``reference`` (any forecaster in the table)."""
        return skill(self.mean(forecaster), self.mean(reference))

    @property
    def skills(self) -> np.ndarray:
        """Skill of every forecaster (rows) against every reference (columns)."""
        return np.array([[self.skill(f, r) for r in self.references] for f in self.forecasters])

    def rows(self) -> list[dict[str, str | float]]:
        """One row per forecaster: its mean score and its skill against each reference, for a report."""
        return [
            {"forecaster": f, f"mean {self.score}": self.mean(f)}
            | {f"skill vs {r}": self.skill(f, r) for r in self.references}
            for f in self.forecasters
        ]


def _checked_forecasts(
    targets: tuple[str, ...], forecasts: Mapping[str, Mapping[str, object]], references: Sequence[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not targets:
        raise ValueError("no targets to score")
    if not forecasts:
        raise ValueError("no forecasters to score")
    for name, by_target in forecasts.items():
        missing = [t for t in targets if t not in by_target]
        if missing:
            raise ValueError(f"forecaster {name!r} has no forecast for target {missing[0]!r}")
        unknown = [t for t in by_target if t not in targets]
        if unknown:
            raise ValueError(f"forecaster {name!r} forecasts unknown target {unknown[0]!r}")
    forecasters = tuple(forecasts)
    chosen = forecasters if references is None else tuple(references)
    for reference in chosen:
        if reference not in forecasters:
            raise ValueError(f"reference {reference!r} is not a forecaster; have {', '.join(forecasters)}")
    return forecasters, chosen


def crps_table(
    observed: Mapping[str, float],
    forecasts: Mapping[str, Mapping[str, float | ArrayLike]],
    references: Sequence[str] | None = None,
    *,
    estimator: str = CRPS_ESTIMATOR,
) -> ScoreTable:
    """Score continuous targets: ``observed`` maps target -> value, ``forecasts`` maps forecaster ->
    target -> ensemble (1-D members) or point. References default to every forecaster.

    Every forecaster must forecast every target, so all are scored on the same set.
    """
    targets = tuple(observed)
    forecasters, chosen = _checked_forecasts(targets, forecasts, references)
    scores = np.empty((len(forecasters), len(targets)))
    for j, target in enumerate(targets):
        y = _finite(observed[target], f"observed value of {target!r}")
        if y.ndim:
            raise ValueError(f"observed value of {target!r} must be one number, got shape {y.shape}")
        for i, name in enumerate(forecasters):
            try:
                forecast = _finite(forecasts[name][target], "ensemble")
                if forecast.ndim > 1:
                    raise ValueError(f"must be a point or a 1-D ensemble, got shape {forecast.shape}")
                scores[i, j] = crps_ensemble(float(y), forecast, estimator=estimator)
            except ValueError as error:
                raise ValueError(f"forecast of {name!r} for {target!r}: {error}") from error
    return ScoreTable("CRPS", targets, forecasters, scores, chosen)


def brier_table(
    observed: Mapping[str, bool | int],
    probabilities: Mapping[str, Mapping[str, float]],
    references: Sequence[str] | None = None,
    *,
    base_rate: float | Mapping[str, float] | None = None,
) -> ScoreTable:
    """Score dated choices: ``observed`` maps choice -> happened by its date (1/0), ``probabilities``
    maps forecaster -> choice -> forecast probability.

    A ``"base rate"`` forecaster is added and always used as a reference: ``base_rate`` is one
    probability for every choice or one per choice (ideally how often such choices happened
    before the forecast origin); by default it is the observed frequency over these choices,
    the best constant forecast in hindsight, so skill against it is conservative.
    References default to every forecaster.
    """
    if BASE_RATE in probabilities:
        raise ValueError(f"{BASE_RATE!r} is reserved for the reference brier_table adds")
    targets = tuple(observed)
    if not targets:
        raise ValueError("no targets to score")
    outcomes = {}
    for target in targets:
        outcome = _outcomes(observed[target], f"observed outcome of {target!r}")
        if outcome.ndim:
            raise ValueError(f"observed outcome of {target!r} must be one value, got shape {outcome.shape}")
        outcomes[target] = float(outcome)
    if base_rate is None:
        rates = dict.fromkeys(targets, float(np.mean(list(outcomes.values()))))
    elif isinstance(base_rate, Mapping):
        missing = [t for t in targets if t not in base_rate]
        if missing:
            raise ValueError(f"base_rate has no rate for target {missing[0]!r}")
        rates = {t: float(base_rate[t]) for t in targets}
    else:
        rates = dict.fromkeys(targets, float(base_rate))
    _probabilities(list(rates.values()), "base rate")
    if references is not None and BASE_RATE not in references:
        references = (*references, BASE_RATE)
    everyone = {**probabilities, BASE_RATE: rates}
    forecasters, chosen = _checked_forecasts(targets, everyone, references)
    scores = np.empty((len(forecasters), len(targets)))
    for i, name in enumerate(forecasters):
        for j, target in enumerate(targets):
            p = _probabilities(everyone[name][target], f"probability of {name!r} for {target!r}")
            if p.ndim:
                raise ValueError(f"probability of {name!r} for {target!r} must be one number, got shape {p.shape}")
            scores[i, j] = brier(float(p), outcomes[target])
    return ScoreTable("Brier", targets, forecasters, scores, chosen)


class ReliabilityBin(NamedTuple):
    low: float
    high: float
    n: int
    mean_forecast: float  # NaN when n == 0
    observed_frequency: float  # NaN when n == 0


def reliability_table(
    probabilities: ArrayLike, outcomes: ArrayLike, bins: int | Sequence[float] = 5
) -> list[ReliabilityBin]:
    """Forecast probability against observed frequency, bin by bin: a calibrated forecaster's
    choices happen about as often as it said, which a Brier score alone does not show.

    ``bins`` is a number of equal-width bins on [0, 1] or the edges (from 0 to 1, increasing).
    Bins are [low, high) except the last, [low, 1]. Every bin is reported, empty ones with n=0.
    """
    p = _probabilities(probabilities, "probabilities")
    o = _outcomes(outcomes, "outcomes")
    if p.ndim != 1:
        raise ValueError(f"probabilities must be 1-D, got shape {p.shape}")
    _same_shape(p, o, "probabilities", "outcomes")
    if isinstance(bins, int | np.integer):
        if bins < 1:
            raise ValueError(f"bins must be >= 1, got {bins}")
        edges = np.linspace(0.0, 1.0, int(bins) + 1)
    else:
        edges = _finite(bins, "bin edges")
        if edges.ndim != 1 or edges.size < 2 or edges[0] != 0 or edges[-1] != 1 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bin edges must increase from 0 to 1, got {edges.tolist()}")
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, edges.size - 2)
    rows = []
    for k in range(edges.size - 1):
        members = index == k
        n = int(members.sum())
        mean_p = float(p[members].mean()) if n else math.nan
        freq = float(o[members].mean()) if n else math.nan
        rows.append(ReliabilityBin(float(edges[k]), float(edges[k + 1]), n, mean_p, freq))
    return rows
