"""Recorded outputs: one (replicates, steps, series) array plus the name of each series.

A series is ``(metric, source, target)``: ``influence morocco mali``, ``relation mali
algeria`` (Mali's attitude towards Algeria), ``effort russia pmc_counterterrorism``,
``institution mali ecowas`` (1 while Mali is a member), ``decision mali mali_leaves_ecowas``
(1 once the decision has been taken), or a context variable of one state such as
``threat mali`` (empty target). Means of the 0/1 series are probabilities.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

import numpy as np

from sim.scenario.catalogue import ACTORS, CONTEXT_METRICS

_PAIRS = [(i, j) for i in range(len(ACTORS)) for j in range(len(ACTORS)) if i != j]

SeriesKey = tuple[str, str, str]  # (metric, source, target)


@dataclass(frozen=True)
class SeriesLayout:
    """Which series are recorded, in column order, and how to gather them from state.

    ``parts`` (set by :func:`series_layout`) says where each run of columns comes from: a state
    array's name and the columns of its (R, -1) view. Layouts made from names alone (a file
    read back, a selection) describe columns but cannot gather.
    """

    series: tuple[SeriesKey, ...]
    parts: tuple[tuple[str, slice | np.ndarray], ...] = field(default=(), compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.series)

    def __iter__(self):
        return iter(self.series)

    def reads(self, name: str) -> bool:
        """Whether gathering needs the state array ``name`` (so the caller can skip computing it)."""
        return any(part == name for part, _ in self.parts)

    def gather(self, **state: np.ndarray) -> np.ndarray:
        """One month's values for every series: shape (R, S). ``state`` holds the arrays named
        in ``parts`` (``influence`` (R, A, A), ``effort`` (R, L), ``threat`` (R, A), ...)."""
        if self.series and not self.parts:
            raise ValueError("this layout names its series but not where they come from (use series_layout)")
        n = next(iter(state.values())).shape[0]
        if not self.parts:
            return np.empty((n, 0))
        return np.concatenate([state[name].reshape(n, -1)[:, columns] for name, columns in self.parts], axis=1)


def series_layout(lever_keys: tuple[str, ...], institution_keys: tuple[str, ...] = (),
                  decision_keys: tuple[str, ...] = (), only: Callable[[SeriesKey], bool] | None = None) -> SeriesLayout:
    """Series in column order; keys are ``actor.lever``, ``holder.institution``, ``actor.decision``.

    ``only`` keeps the series it accepts (all by default), in the same order: a run that needs
    three series records three, not 130.
    """
    a = len(ACTORS)
    sources: list[tuple[SeriesKey, str, int]] = []  # (series, state array, column of its (R, -1) view)
    sources += [(("influence", ACTORS[i], ACTORS[j]), "influence", i * a + j) for i, j in _PAIRS]
    sources += [(("relation", ACTORS[i], ACTORS[j]), "relation", i * a + j) for i, j in _PAIRS]
    sources += [(("effort", *key.split(".", 1)), "effort", k) for k, key in enumerate(lever_keys)]
    sources += [(("institution", *key.split(".", 1)), "institution", k) for k, key in enumerate(institution_keys)]
    sources += [(("decision", *key.split(".", 1)), "decided", k) for k, key in enumerate(decision_keys)]
    sources += [((metric, actor, ""), metric, k) for metric in CONTEXT_METRICS for k, actor in enumerate(ACTORS)]
    if only is not None:
        sources = [source for source in sources if only(source[0])]
    parts = []
    for name, group in groupby(sources, key=lambda source: source[1]):
        columns = [column for _, _, column in group]
        contiguous = columns == list(range(columns[0], columns[0] + len(columns)))
        parts.append((name, slice(columns[0], columns[-1] + 1) if contiguous else np.array(columns)))
    return SeriesLayout(tuple(series for series, _, _ in sources), tuple(parts))


def selects(series: SeriesKey, metrics: tuple[str, ...] = (), actors: tuple[str, ...] = ()) -> bool:
    """Whether a series is of one of ``metrics`` and involves one of ``actors`` (empty: no filter)."""
    metric, source, target = series
    return (not metrics or metric in metrics) and (not actors or source in actors or target in actors)


@dataclass(frozen=True)
class Trajectories:
    """Outputs of one run: ``values[r, t, s]`` for replicate r, step t, series s."""

    scenario: str
    dates: tuple[str, ...]
    replicate_ids: np.ndarray
    series: SeriesLayout
    values: np.ndarray

    def column(self, metric: str, source: str, target: str = "") -> int:
        return self.series.series.index((metric, source, target))

    def get(self, metric: str, source: str, target: str = "") -> np.ndarray:
        """One series for every replicate and step: shape (R, T)."""
        return self.values[:, :, self.column(metric, source, target)]

    def head(self, n: int) -> Trajectories:
        """The first ``n`` replicates (a copy, so the rest of the chunk can be freed)."""
        if n >= self.values.shape[0]:
            return self
        return Trajectories(self.scenario, self.dates, self.replicate_ids[:n].copy(), self.series,
                            self.values[:n].copy())

    def select(self, metrics: tuple[str, ...] = (), actors: tuple[str, ...] = ()) -> Trajectories:
        """Only the series of these metrics that involve these actors (empty: no filter)."""
        keep = [i for i, series in enumerate(self.series) if selects(series, metrics, actors)]
        if len(keep) == len(self.series):
            return self
        return Trajectories(
            scenario=self.scenario,
            dates=self.dates,
            replicate_ids=self.replicate_ids,
            series=SeriesLayout(tuple(self.series.series[i] for i in keep)),
            values=self.values[:, :, keep],
        )
