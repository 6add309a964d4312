"""Reduce an ensemble to per-step statistics (mean and the 5/50/95 percentiles)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.trajectories import SeriesLayout, Trajectories

QUANTILES = (0.05, 0.5, 0.95)
STATISTICS = ("mean", "p05", "p50", "p95")


@dataclass(frozen=True)
class Summary:
    """``stats[t, s, k]``: statistic k (see STATISTICS) of series s at step t."""

    scenario: str
    dates: tuple[str, ...]
    series: SeriesLayout
    stats: np.ndarray
    n_replicates: int

    def get(self, metric: str, source: str, target: str = "") -> np.ndarray:
        """(T, 4) statistics of one series."""
        return self.stats[:, self.series.series.index((metric, source, target)), :]

    def has(self, metric: str, source: str, target: str = "") -> bool:
        return (metric, source, target) in self.series.series


def summarise(trajectories: Trajectories) -> Summary:
    """Exact mean and quantiles (NumPy's default linear interpolation) over replicates."""
    values = trajectories.values
    mean = values.mean(axis=0)
    quantiles = np.quantile(values, QUANTILES, axis=0)
    stats = np.concatenate([mean[None], quantiles], axis=0).transpose(1, 2, 0)
    return Summary(
        scenario=trajectories.scenario,
        dates=trajectories.dates,
        series=trajectories.series,
        stats=stats,
        n_replicates=values.shape[0],
    )
