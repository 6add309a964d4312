"""Reduce an ensemble to per-step statistics (mean, 5/50/95 percentiles, share above zero).

Chunks of replicates stream in; memory stays bounded whatever the ensemble size:

* up to ``EXACT_LIMIT`` replicates, every value is kept and the statistics are exact
  (NumPy's mean and default linear quantiles over the replicates in index order);
* beyond it, each (step, series) keeps a fixed-bin histogram over the series' known range
  (``BINS`` bins): quantiles are then accurate to within one bin width (range / BINS, e.g.
  0.0005 for influence), and the mean is an integer fixed-point sum (exact to 1e-12).

Both modes are independent of chunk size and chunk order, so replicate counts, chunking and
worker counts never change the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.compiled import jit, maximum, minimum
from sim.model.trajectories import SeriesLayout
from sim.scenario.paths import metric_range

QUANTILES = (0.05, 0.5, 0.95)
STATISTICS = ("mean", "p05", "p50", "p95")
EXACT_LIMIT = 2_000
BINS = 2_048
_FIXED_POINT = 2.0**40


@dataclass(frozen=True)
class SeriesStats:
    """Per-month statistics of one series, each of shape (T,)."""

    mean: np.ndarray
    p05: np.ndarray
    p50: np.ndarray
    p95: np.ndarray

    def __getitem__(self, statistic: str) -> np.ndarray:
        return getattr(self, statistic)


@dataclass(frozen=True)
class Summary:
    """``stats[t, s, k]``: statistic k (see STATISTICS) of series s at step t."""

    scenario: str
    dates: tuple[str, ...]
    series: SeriesLayout
    stats: np.ndarray
    n_replicates: int
    exact: bool = True
    positive: np.ndarray | None = None  # [t, s]: share of replicates with value > 0

    def __getitem__(self, statistic: str) -> np.ndarray:
        """One statistic of every series by name (``summary["p50"]``): shape (T, S)."""
        return self.stats[:, :, STATISTICS.index(statistic)]

    def get(self, metric: str, source: str, target: str = "") -> SeriesStats:
        """The statistics of one series, by name: ``summary.get("influence", "russia", "mali").p50``."""
        column = self.series.series.index((metric, source, target))
        return SeriesStats(*(self.stats[:, column, k] for k in range(len(STATISTICS))))

    def has(self, metric: str, source: str, target: str = "") -> bool:
        return (metric, source, target) in self.series.series


def series_bounds(series: SeriesLayout, difference: bool = False) -> np.ndarray:
    """Known range of each series, shape (S, 2); differences span twice the width."""
    bounds = np.array([metric_range(metric) for metric, _, _ in series])  # sim.scenario.paths: the one table
    if difference:
        width = bounds[:, 1] - bounds[:, 0]
        bounds = np.stack([-width, width], axis=1)
    return bounds


@dataclass(frozen=True)
class PartialSummary:
    """One chunk's contribution to a summary: its values (exact summaries) or its integer sums
    and histogram counts, sparse: a chunk of R replicates fills at most R of each series'
    bins, so it sends the filled bins' flat indices into (T, S, BINS) and their counts."""

    first: int
    count: int
    positive: np.ndarray
    values: np.ndarray | None = None
    sums: np.ndarray | None = None
    bins: np.ndarray | None = None
    counts: np.ndarray | None = None


class SummaryReducer:
    """Accumulates chunks of shape (R_chunk, T, S) in any order; ``result()`` gives a Summary."""

    def __init__(self, scenario: str, dates: tuple[str, ...], series: SeriesLayout, n_replicates: int,
                 bounds: np.ndarray | None = None, exact_limit: int = EXACT_LIMIT):
        self.scenario, self.dates, self.series = scenario, dates, series
        self.n_replicates = n_replicates
        self.exact = n_replicates <= exact_limit
        self.bounds = series_bounds(series) if bounds is None else bounds
        self.seen = 0
        shape = (len(dates), len(series))
        self.positive = np.zeros(shape, dtype=np.int64)
        if self.exact:
            self.chunks: dict[int, np.ndarray] = {}
        else:
            # Python integers: exact and unbounded (an int64 total overflows past ~8 million replicates)
            self.sums = np.zeros(shape, dtype=object)
            self.counts = np.zeros((*shape, BINS), dtype=np.int32)

    def add(self, first_replicate: int, values: np.ndarray) -> None:
        """Add replicates ``first_replicate ..`` (values shape (R_chunk, T, S))."""
        self.merge(self.partial(first_replicate, values))

    def partial(self, first_replicate: int, values: np.ndarray) -> PartialSummary:
        """The reduction of one chunk, small enough to send from a worker (its values only when the
        summary is exact); ``merge`` folds it in. Sums are integers, so folding is exact."""
        positive = (values > 0).sum(axis=0)
        if self.exact:
            return PartialSummary(first_replicate, values.shape[0], positive, values=values)
        shape = (len(self.dates), len(self.series))
        sums = np.zeros(shape, dtype=object)
        filled, counts = [], []
        per_month = len(self.series) * BINS
        low, high = self.bounds[:, 0], self.bounds[:, 1]
        width = high - low
        scratch = np.zeros(BINS, dtype=np.int64)
        for t in range(len(self.dates)):  # one step at a time keeps temporaries small
            month_sums, nonzero, counted, has_nan = _month_histogram(values[:, t], low, high, width, BINS,
                                                                     _FIXED_POINT, scratch)
            if has_nan:
                raise ValueError(f"NaN in step {t} of replicates {first_replicate}..: cannot be binned")
            sums[t] = month_sums.astype(object)
            filled.append(nonzero + t * per_month)
            counts.append(counted)
        return PartialSummary(first_replicate, values.shape[0], positive, sums=sums,
                              bins=np.concatenate(filled), counts=np.concatenate(counts))

    def merge(self, part: PartialSummary) -> None:
        self.seen += part.count
        self.positive += part.positive
        if self.exact:
            self.chunks[part.first] = part.values
            return
        self.sums += part.sums
        flat = self.counts.reshape(-1)  # a view: the bins of one part are distinct
        flat[part.bins] += part.counts

    def result(self) -> Summary:
        if self.seen != self.n_replicates:
            raise ValueError(f"expected {self.n_replicates} replicates, got {self.seen}")
        if self.exact:
            values = np.concatenate([self.chunks[k] for k in sorted(self.chunks)], axis=0)
            mean = values.mean(axis=0)
            quantiles = np.quantile(values, QUANTILES, axis=0)
        else:
            mean = (self.sums / _FIXED_POINT / self.n_replicates).astype(float)
            cumulative = np.cumsum(self.counts, axis=-1, dtype=np.int32)
            quantiles = np.stack([self._histogram_quantile(q, cumulative) for q in QUANTILES])
        stats = np.concatenate([mean[None], quantiles], axis=0).transpose(1, 2, 0)
        return Summary(self.scenario, self.dates, self.series, stats, self.n_replicates, self.exact,
                       self.positive / self.n_replicates)

    def _histogram_quantile(self, q: float, cumulative: np.ndarray) -> np.ndarray:
        """NumPy's linear quantile, with each order statistic read off the histogram."""
        position = q * (self.n_replicates - 1)
        below, frac = int(np.floor(position)), position - np.floor(position)
        return (1 - frac) * self._order_statistic(below, cumulative) + frac * self._order_statistic(
            min(below + 1, self.n_replicates - 1), cumulative
        )

    def _order_statistic(self, k: int, cumulative: np.ndarray) -> np.ndarray:
        bin_index = (cumulative <= k).sum(axis=-1)  # first bin whose cumulative count exceeds k
        before = np.take_along_axis(cumulative, bin_index[..., None], -1)[..., 0] - np.take_along_axis(
            self.counts, bin_index[..., None], -1
        )[..., 0]
        inside = np.take_along_axis(self.counts, bin_index[..., None], -1)[..., 0]
        within = (k - before + 0.5) / np.maximum(inside, 1)  # spread a bin's values evenly
        low, high = self.bounds[:, 0], self.bounds[:, 1]
        return low + (bin_index + within) / BINS * (high - low)


@jit
def _month_histogram(month, low, high, width, n_bins, fixed_point, scratch):
    """One step of a chunk (R, S): each series' fixed-point sum, and its filled bins (flat index
    series * n_bins + bin, ascending) with their counts, and whether a value was NaN (then
    nothing else is meaningful). ``scratch`` (n_bins,) int64 is zero on entry and on return.
    Rounds as the NumPy expressions it replaced (rint, clip with NumPy's tie rule, then
    (x - low) / width * n_bins truncated), so the bins and sums are the same."""
    n, n_series = month.shape
    sums = np.zeros(n_series, np.int64)
    binned = np.empty((n_series, n), np.int64)  # series by series, so counting stays in one series' bins
    for r in range(n):
        for s in range(n_series):
            value = month[r, s]
            if value != value:
                return sums, np.empty(0, np.int64), np.empty(0, np.int32), True
            sums[s] += np.int64(np.rint(value * fixed_point))
            scaled = minimum(maximum(value, low[s]), high[s])
            scaled -= low[s]
            scaled /= width[s]
            scaled *= n_bins
            binned[s, r] = min(np.int64(scaled), n_bins - 1)
    most = n_series * min(n, n_bins)
    filled, counts = np.empty(most, np.int64), np.empty(most, np.int32)
    i = 0
    for s in range(n_series):
        for r in range(n):
            scratch[binned[s, r]] += 1
        for k in range(n_bins):
            if scratch[k]:
                filled[i], counts[i] = s * n_bins + k, scratch[k]
                scratch[k] = 0
                i += 1
    return sums, filled[:i].copy(), counts[:i].copy(), False


def summarise(trajectories, exact_limit: int = EXACT_LIMIT) -> Summary:
    """Summary of trajectories already in memory."""
    reducer = SummaryReducer(trajectories.scenario, trajectories.dates, trajectories.series,
                             trajectories.values.shape[0], exact_limit=exact_limit)
    reducer.add(0, trajectories.values)
    return reducer.result()
