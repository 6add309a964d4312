"""The answer to a what-if's question: levels, paired difference and threshold probabilities.

A scenario's ``question:`` (sim/scenario/loader.py) names series, a window of months and a threshold.
For each series the answer gives, over the window, the mean level of baseline and what-if
(median and 90% range over replicates) and the paired difference of those means (mean, 90%
interval, share of replicates where the what-if is higher); for the threshold, the share of
replicates in which it holds at the window's last month and in at least one month of it, in
each scenario. Accumulated chunk by chunk, so it works at any replicate count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.trajectories import Trajectories
from sim.scenario.format import threshold_parts
from sim.scenario.loader import Question, Scenario
from sim.scenario.months import format_month

_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


@dataclass(frozen=True)
class Spread:
    mean: float
    low: float  # 5% quantile over replicates
    high: float  # 95%


@dataclass(frozen=True)
class SeriesAnswer:
    series: tuple[str, str, str]
    baseline: Spread  # window mean level per replicate
    whatif: Spread
    difference: Spread  # paired difference of window means
    p_higher: float


@dataclass(frozen=True)
class ThresholdAnswer:
    text: str
    end_date: str
    baseline_at_end: float  # share of replicates where it holds at the window's last month
    whatif_at_end: float
    baseline_ever: float  # ... in at least one month of the window
    whatif_ever: float


@dataclass(frozen=True)
class Answer:
    question: Question
    first: str  # window dates
    last: str
    series: tuple[SeriesAnswer, ...]
    threshold: ThresholdAnswer | None


def series_key(text: str) -> tuple[str, str, str]:
    metric, source, *rest = text.strip().split(".")
    return metric, source, rest[0] if rest else ""


class QuestionAccumulator:
    """Collects, chunk by chunk, the per-replicate numbers the answer needs (a few per replicate)."""

    def __init__(self, question: Question, scenario: Scenario):
        self.question = question
        window = question.window or (scenario.start, scenario.start + scenario.horizon)
        self.steps = (window[0] - scenario.start, window[1] - scenario.start)
        self.first, self.last = format_month(window[0]), format_month(window[1])
        self.means: dict[str, list[np.ndarray]] = {"baseline": [], "whatif": []}
        self.holds: dict[str, list[np.ndarray]] = {"baseline": [], "whatif": []}

    def _window(self, trajectories: Trajectories, text: str) -> np.ndarray:
        a, b = self.steps
        return trajectories.get(*series_key(text))[:, a: b + 1]

    def add(self, baseline: Trajectories, whatif: Trajectories) -> None:
        for name, t in (("baseline", baseline), ("whatif", whatif)):
            if self.question.outcomes:
                self.means[name].append(np.stack([self._window(t, o).mean(axis=1) for o in self.question.outcomes],
                                                 axis=1))
            if self.question.threshold:
                self.holds[name].append(self._threshold(t))

    def merge(self, other: QuestionAccumulator) -> None:
        """Fold in the numbers another accumulator collected from the next chunk."""
        for name in ("baseline", "whatif"):
            self.means[name] += other.means[name]
            self.holds[name] += other.holds[name]

    def _threshold(self, t: Trajectories) -> np.ndarray:
        left, op, right = threshold_parts(self.question.threshold or "")
        sides = [side if isinstance(side, float) else self._window(t, side) for side in (left, right)]
        return _COMPARE[op](*sides)  # (R, window months)

    def result(self) -> Answer:
        answers = []
        if self.question.outcomes:
            base, what = (np.concatenate(self.means[k]) for k in ("baseline", "whatif"))
            for j, text in enumerate(self.question.outcomes):
                diff = what[:, j] - base[:, j]
                answers.append(SeriesAnswer(series_key(text), _spread(base[:, j]), _spread(what[:, j]),
                                            _spread(diff), float((diff > 0).mean())))
        threshold = None
        if self.question.threshold:
            base, what = (np.concatenate(self.holds[k]) for k in ("baseline", "whatif"))
            threshold = ThresholdAnswer(self.question.threshold, self.last, float(base[:, -1].mean()),
                                        float(what[:, -1].mean()), float(base.any(axis=1).mean()),
                                        float(what.any(axis=1).mean()))
        return Answer(self.question, self.first, self.last, tuple(answers), threshold)


def _spread(values: np.ndarray) -> Spread:
    low, high = np.quantile(values, [0.05, 0.95])
    return Spread(float(values.mean()), float(low), float(high))
