"""Tidy tables: one row per replicate, month and series, the one layout of every output table.

A per-state series (``threat.mali``) has no target; tables and files give it ``STATE_TARGET``
rather than an empty cell, which pandas would read as NaN and pivots would drop.
"""

from __future__ import annotations

import numpy as np

from sim.model.trajectories import Trajectories

STATE_TARGET = "-"  # the target of a per-state series (threat.mali) in tables and files: never empty or NaN
TIDY_COLUMNS = ("scenario", "replicate", "step", "date", "metric", "source", "target", "value")


def table_target(target: str) -> str:
    return target or STATE_TARGET


def key_target(target: str) -> str:
    """Inverse of ``table_target`` (files written before the marker used an empty cell)."""
    return "" if target == STATE_TARGET else target


def key_columns(series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """metric, source and target of each series as object arrays, the target as tables write it."""
    return tuple(np.array([table_target(k[i]) if i == 2 else k[i] for k in series], dtype=object) for i in range(3))


def tidy_columns(t: Trajectories) -> dict[str, np.ndarray]:
    """One row per replicate, month and series, as columns (keys as object arrays, no empty target)."""
    n, steps, n_series = t.values.shape
    metric, source, target = key_columns(t.series)
    return {
        "scenario": np.full(n * steps * n_series, t.scenario, dtype=object),
        "replicate": np.repeat(t.replicate_ids.astype(np.int64), steps * n_series),
        "step": np.tile(np.repeat(np.arange(steps, dtype=np.int64), n_series), n),
        "date": np.tile(np.repeat(np.array(t.dates, dtype=object), n_series), n),
        "metric": np.tile(metric, n * steps),
        "source": np.tile(source, n * steps),
        "target": np.tile(target, n * steps),
        "value": t.values.reshape(-1),
    }


def month_values(dates: tuple[str, ...] | list[str]) -> np.ndarray:
    """``YYYY-MM`` dates as typed months (``datetime64[M]``): the first day of each month in pandas,
    polars and Parquet, so a table sorts, filters and joins on real dates."""
    return np.array(list(dates), dtype="datetime64[M]")


def month_text(values) -> list[str]:
    """Typed dates (Parquet ``date32``, ``datetime64``) back to ``YYYY-MM``."""
    return [str(np.datetime64(v, "M")) for v in values]
