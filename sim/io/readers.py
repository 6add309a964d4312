"""Reading run folders back: manifest and trajectories (CSV or Parquet), complete or refused.

A missing cell is NaN, never uninitialised memory, and an incomplete file is refused with a
located message, so a cut-short file can never turn into wrong numbers downstream.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from sim.errors import InputError, Problem
from sim.io.tidy import key_target, month_text
from sim.model.trajectories import SeriesLayout, Trajectories


def read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError([Problem(str(path), 1, 1, "not a run folder: manifest.json is missing")]) from None
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(path), exc.lineno, exc.colno, f"corrupt manifest: {exc.msg}")]) from None


def trajectories_file(folder: Path) -> Path:
    parquet = folder / "trajectories.parquet"
    return parquet if parquet.is_file() and not (folder / "trajectories.csv").is_file() else folder / "trajectories.csv"


def read_trajectories(path: Path) -> Trajectories:
    """Read a run folder's trajectories (CSV or Parquet) back into arrays, refusing incomplete files."""
    if not path.is_file():
        raise InputError([Problem(str(path), 1, 1, "file not found")])
    if path.suffix == ".parquet":
        return _read_trajectories_parquet(path)
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        rows = list(reader)
    if not rows:
        raise InputError([Problem(str(path), 1, 1, "no trajectories in this run (was it run with --trajectories 0?)")])
    series, dates, replicates = {}, {}, {}
    for line, row in enumerate(rows, start=2):
        if len(row) != 8:
            raise InputError([Problem(str(path), line, 1, f"row has {len(row)} fields, expected 8 "
                                                         "(scenario,replicate,step,date,metric,source,target,value); "
                                                         "is the file cut short?")])
        try:
            dates.setdefault(int(row[2]), row[3])
            replicates.setdefault(int(row[1]), len(replicates))
        except ValueError:
            raise InputError([Problem(str(path), line, 1, f"unreadable row {row!r}")]) from None
        series.setdefault((row[4], row[5], key_target(row[6])), len(series))
    # NaN, not uninitialised memory: a missing cell must be seen, never read as a number
    values = np.full((len(replicates), len(dates), len(series)), np.nan)
    for line, row in enumerate(rows, start=2):
        try:
            values[replicates[int(row[1])], int(row[2]), series[(row[4], row[5], key_target(row[6]))]] = float(row[7])
        except (ValueError, IndexError):
            raise InputError([Problem(str(path), line, 1, f"unreadable row {row!r}")]) from None
    missing = int(np.isnan(values).sum())
    if missing or sorted(dates) != list(range(len(dates))):
        raise InputError([Problem(str(path), len(rows) + 1, 1, f"incomplete trajectories: {missing} of {values.size} "
                                                              "values missing (the file was cut short or edited)")])
    ids = np.array(sorted(replicates))
    order = [replicates[r] for r in ids]
    return Trajectories(rows[0][0], tuple(dates[t] for t in sorted(dates)), ids, SeriesLayout(tuple(series)),
                        values[order])


def _read_trajectories_parquet(path: Path) -> Trajectories:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path).to_pydict()
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError([Problem(str(path), 1, 1, f"unreadable Parquet file: {exc}")]) from None
    if set(table) < {"scenario", "replicate", "step", "date", "metric", "source", "target", "value"}:
        raise InputError([Problem(str(path), 1, 1, f"unreadable Parquet trajectories: columns {sorted(table)}")])
    if not table.get("value"):
        raise InputError([Problem(str(path), 1, 1, "no trajectories in this run (was it run with --trajectories 0?)")])
    try:
        replicates = {r: i for i, r in enumerate(dict.fromkeys(table["replicate"]))}
        texts = table["date"]
        if texts and not isinstance(texts[0], str):  # date32 (files written since the typed dates)
            texts = month_text(texts)
        dates = dict(zip(table["step"], texts, strict=True))
        keys = list(zip(table["metric"], table["source"], (key_target(t) for t in table["target"]), strict=True))
        series = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        values = np.full((len(replicates), len(dates), len(series)), np.nan)
        values[[replicates[r] for r in table["replicate"]], table["step"], [series[k] for k in keys]] = table["value"]
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise InputError([Problem(str(path), 1, 1, f"unreadable Parquet trajectories: {exc}")]) from None
    missing = int(np.isnan(values).sum())
    if missing or sorted(dates) != list(range(len(dates))):
        raise InputError([Problem(str(path), 1, 1, f"incomplete trajectories: {missing} of {values.size} values "
                                                   "missing (the file was cut short or edited)")])
    ids = np.array(sorted(replicates))
    return Trajectories(str(table["scenario"][0]), tuple(dates[t] for t in sorted(dates)), ids,
                        SeriesLayout(tuple(series)), values[[replicates[r] for r in ids]])

