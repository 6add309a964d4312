"""Recorded outputs: one (replicates, steps, series) array plus the name of each series.

A series is ``(metric, source, target)``: ``influence morocco mali``, ``relation mali
algeria`` (Mali's attitude towards Algeria), ``effort russia pmc_counterterrorism``,
``institution mali ecowas`` (1 while Mali is a member), ``decision mali mali_leaves_ecowas``
(1 once the decision has been taken), or a context variable of one state such as
``threat mali`` (empty target). Means of the 0/1 series are probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.catalogue import ACTORS, CONTEXT_METRICS, METRICS  # noqa: F401  (re-exported)

_PAIRS = [(i, j) for i in range(len(ACTORS)) for j in range(len(ACTORS)) if i != j]
_PAIR_I = np.array([i for i, _ in _PAIRS])
_PAIR_J = np.array([j for _, j in _PAIRS])


@dataclass(frozen=True)
class SeriesLayout:
    """Which series are recorded, in column order, and how to gather them from state."""

    series: tuple[tuple[str, str, str], ...]

    def __len__(self) -> int:
        return len(self.series)

    def __iter__(self):
        return iter(self.series)

    def gather(self, *, influence: np.ndarray, relation: np.ndarray, effort: np.ndarray, institution: np.ndarray,
               decided: np.ndarray, **context: np.ndarray) -> np.ndarray:
        """One month's values for every series: shape (R, S)."""
        parts = [influence[:, _PAIR_I, _PAIR_J], relation[:, _PAIR_I, _PAIR_J], effort, institution, decided]
        parts += [context[name] for name in CONTEXT_METRICS]
        return np.concatenate(parts, axis=1)


def series_layout(lever_keys: tuple[str, ...], institution_keys: tuple[str, ...] = (),
                  decision_keys: tuple[str, ...] = ()) -> SeriesLayout:
    """Series in column order; keys are ``actor.lever``, ``holder.institution``, ``actor.decision``."""
    pairs = [(ACTORS[i], ACTORS[j]) for i, j in _PAIRS]
    series = [("influence", a, b) for a, b in pairs] + [("relation", a, b) for a, b in pairs]
    series += [("effort", *key.split(".", 1)) for key in lever_keys]
    series += [("institution", *key.split(".", 1)) for key in institution_keys]
    series += [("decision", *key.split(".", 1)) for key in decision_keys]
    series += [(metric, actor, "") for metric in CONTEXT_METRICS for actor in ACTORS]
    return SeriesLayout(tuple(series))


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
        keep = [
            i for i, (metric, source, target) in enumerate(self.series)
            if (not metrics or metric in metrics) and (not actors or source in actors or target in actors)
        ]
        if len(keep) == len(self.series):
            return self
        return Trajectories(
            scenario=self.scenario,
            dates=self.dates,
            replicate_ids=self.replicate_ids,
            series=SeriesLayout(tuple(self.series.series[i] for i in keep)),
            values=self.values[:, :, keep],
        )
