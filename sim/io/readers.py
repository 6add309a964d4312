"""Reading run folders back: manifest and trajectories (CSV or Parquet), complete or refused.

Every file goes through ``sim.io.guarded``: a regular file only, of bounded size, strict UTF-8.
A missing cell is NaN, never uninitialised memory, and an incomplete file is refused with a
located message, so a cut-short file can never turn into wrong numbers downstream; a value that
is not finite or outside its metric's range, or a repeated row, is refused with its line (its
row in Parquet) and value rather than summarised.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sim.errors import InputError, Problem
from sim.io.guarded import (
    MAX_PROBLEMS,
    MAX_TABLE_BYTES,
    MAX_TABLE_ROWS,
    csv_rows,
    duplicate_rows,
    implausible_rows,
    key_location,
    name_problem,
    open_regular,
    parse_json,
    read_text,
    series_bounds,
    series_text,
    shown,
    value_problem,
)
from sim.io.run_folders import TRAJECTORY_COLUMNS
from sim.io.tidy import key_target, month_text
from sim.model.trajectories import SeriesLayout, Trajectories

MAX_INDEX = 2**53  # a replicate id or step beyond this is no run's


def read_manifest(folder: Path) -> dict:
    """A run folder's manifest.json: a JSON object whose seed, replicates and scenario fields
    (those the readers use) have the types a run writes."""
    path = folder / "manifest.json"
    text = read_text(path, "a run manifest (JSON)", missing="not a run folder: manifest.json is missing")
    manifest = parse_json(text, path, dict, corrupt="corrupt manifest")
    problems = [Problem(str(path), *key_location(text, key), f"corrupt manifest: {key} = {shown(manifest[key])}, "
                                                             f"expected {expected}")
                for key, expected, fits in MANIFEST_FIELDS if key in manifest and not fits(manifest[key])]
    if problems:
        raise InputError(problems)
    return manifest


def _whole(low: int) -> Callable[[object], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v < 2**63


MANIFEST_FIELDS: tuple[tuple[str, str, Callable[[object], bool]], ...] = (
    ("seed", "a whole number >= 0", _whole(0)),
    ("replicates", "a whole number >= 1", _whole(1)),
    ("scenario", "a name", lambda v: isinstance(v, str) and name_problem(v) is None),
    ("scenario_path", "a path or null", lambda v: v is None or isinstance(v, str)),
    ("scenario_sha256", "a hash or null", lambda v: v is None or isinstance(v, str)),
    ("overrides", "a list of settings", lambda v: v is None or (isinstance(v, list) and
     all(isinstance(x, str) for x in v))),
)


def trajectories_file(folder: Path) -> Path:
    parquet = folder / "trajectories.parquet"
    return parquet if parquet.is_file() and not (folder / "trajectories.csv").is_file() else folder / "trajectories.csv"


def read_trajectories(path: Path) -> Trajectories:
    """Read a run folder's trajectories (CSV or Parquet) back into arrays, refusing incomplete files
    and implausible values (not finite, outside the metric's range, a repeated row)."""
    if path.suffix == ".parquet":
        return _read_trajectories_parquet(path)
    with open_regular(path, "a trajectories file (CSV)", MAX_TABLE_BYTES) as handle:
        return _read_trajectories_csv(handle, path)


def _read_trajectories_csv(handle, path: Path) -> Trajectories:
    where = str(path)
    rows = csv_rows(handle, path)
    header = next(rows, (1, None))[1]
    if header is not None and tuple(header) != TRAJECTORY_COLUMNS:  # columns moved would be misread
        raise InputError([Problem(where, 1, 1, f"header {shown(','.join(header), 200)}, expected "
                                               f"{','.join(TRAJECTORY_COLUMNS)}")])
    replicates, steps, codes, lines = array("q"), array("q"), array("q"), array("q")
    values = array("d")
    series: dict[tuple[str, str, str], int] = {}
    dates: dict[int, tuple[str, int]] = {}  # step -> (month, line where first seen)
    problems: list[Problem] = []
    scenario, line = None, 1
    for line, row in rows:
        if len(row) != 8:
            raise InputError([*problems, Problem(where, line, 1, f"row has {len(row)} fields, expected 8 "
                                                                 "(scenario,replicate,step,date,metric,source,target,"
                                                                 "value); is the file cut short?")])
        if len(problems) >= MAX_PROBLEMS:
            break
        try:
            replicate, step, value = int(row[1]), int(row[2]), float(row[7])
        except ValueError:
            problems.append(Problem(where, line, 1, f"unreadable row {shown(row, 200)}"))
            continue
        if not (0 <= replicate < MAX_INDEX and 0 <= step < MAX_INDEX):
            problems.append(Problem(where, line, 1, f"replicate {shown(row[1])}, step {shown(row[2])}: "
                                                    "expected whole numbers >= 0"))
            continue
        if scenario is None:
            scenario = row[0]
            if name_problem(scenario):
                problems.append(Problem(where, line, 1, f"scenario: {name_problem(scenario)}"))
        month, first = dates.setdefault(step, (row[3], line))
        if month != row[3]:
            problems.append(Problem(where, line, 1, f"step {step} is month {shown(row[3])} here but {shown(month)} "
                                                    f"on line {first}"))
        elif first == line and name_problem(month):
            problems.append(Problem(where, line, 1, f"month: {name_problem(month)}"))
        key = (row[4], row[5], key_target(row[6]))
        codes.append(series.setdefault(key, len(series)))
        replicates.append(replicate)
        steps.append(step)
        values.append(value)
        lines.append(line)
    if problems:
        raise InputError(problems)
    if not values:
        raise InputError([Problem.about(where, "no trajectories in this run (was it run with --trajectories 0?)")])
    line_of = np.frombuffer(lines, dtype=np.int64)
    return _assemble(path, scenario, np.frombuffer(replicates, dtype=np.int64), np.frombuffer(steps, dtype=np.int64),
                     np.frombuffer(codes, dtype=np.int64), np.frombuffer(values, dtype=np.float64), list(series),
                     {step: month for step, (month, _) in dates.items()},
                     lambda i: (int(line_of[i]), f"line {int(line_of[i])}", ""), end=line)


def _assemble(path: Path, scenario: str, replicates: np.ndarray, steps: np.ndarray, codes: np.ndarray,
              values: np.ndarray, keys: list[tuple[str, str, str]], dates: dict[int, str],
              locate: Callable[[int], tuple[int, str, str]], end: int) -> Trajectories:
    """Trajectories from one entry per row (replicate id, step, series code, value), refused when
    a value is implausible, a row repeats another, or a value is missing.

    ``locate(i)`` gives row i's (line, "line N" or "row N", prefix for the message)."""
    where = str(path)
    problems = []
    bounds, wrong = series_bounds(keys)
    if any(wrong):
        first_rows = np.full(len(keys), len(codes))
        np.minimum.at(first_rows, codes, np.arange(len(codes)))
        for k in [k for k, w in enumerate(wrong) if w][:MAX_PROBLEMS]:
            line, _, prefix = locate(int(first_rows[k]))
            problems.append(Problem(where, line, 1, f"{prefix}{wrong[k]}"))
        raise InputError(problems)
    for i in implausible_rows(values, codes, bounds):
        key = keys[codes[i]]
        line, _, prefix = locate(int(i))
        message = value_problem(float(values[i]), key[0], *bounds[codes[i]])
        problems.append(Problem(where, line, 1, f"{prefix}{message}: {series_text(key)}, replicate "
                                                f"{replicates[i]}, step {steps[i]} ({dates.get(int(steps[i]))})"))
    for first, repeat in duplicate_rows(replicates, steps, codes):
        line, _, prefix = locate(repeat)
        problems.append(Problem(where, line, 1, f"{prefix}repeated row: {series_text(keys[codes[repeat]])}, "
                                                f"replicate {replicates[repeat]}, step {steps[repeat]} "
                                                f"(value {float(values[repeat])!r}) is already on {locate(first)[1]} "
                                                f"(value {float(values[first])!r})"))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    ids = np.unique(replicates)
    size = len(ids) * len(dates) * len(keys)
    missing = size - len(values)  # no repeats: each row is one value
    if missing or sorted(dates) != list(range(len(dates))):
        raise InputError([Problem(where, end, 1, f"incomplete trajectories: {missing} of {size} values missing "
                                                 "(the file was cut short or edited)")])
    # NaN, not uninitialised memory: a missing cell must be seen, never read as a number
    table = np.full((len(ids), len(dates), len(keys)), np.nan)
    table[np.searchsorted(ids, replicates), steps, codes] = values
    return Trajectories(scenario, tuple(dates[t] for t in range(len(dates))), ids, SeriesLayout(tuple(keys)), table)


def _read_trajectories_parquet(path: Path) -> Trajectories:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    where = str(path)
    with open_regular(path, "a trajectories file (Parquet)", MAX_TABLE_BYTES) as handle:
        try:
            file = pq.ParquetFile(handle)
            if file.metadata.num_rows > MAX_TABLE_ROWS:
                raise InputError([Problem.about(where, f"{file.metadata.num_rows} rows, more than the "
                                                       f"{MAX_TABLE_ROWS} allowed")])
            table = file.read()
        except InputError:
            raise
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError([Problem.about(where, f"unreadable Parquet file: {shown(str(exc), 300)}")]) from None
    if not set(TRAJECTORY_COLUMNS) <= set(table.column_names):
        raise InputError([Problem.about(where, "unreadable Parquet trajectories: columns "
                                               f"{sorted(table.column_names)}")])
    if not table.num_rows:
        raise InputError([Problem.about(where, "no trajectories in this run (was it run with --trajectories 0?)")])

    def row(i: int) -> tuple[int, str, str]:
        return i + 1, f"row {i + 1}", f"row {i + 1}: "

    def refuse(name: str, message: str, i: int = 0):
        return InputError([Problem(where, i + 1, 1, f"row {i + 1}: unreadable Parquet trajectories: column "
                                                    f"{name} {message}")])

    for name in TRAJECTORY_COLUMNS:
        column = table.column(name)
        if column.null_count:
            raise refuse(name, "is empty here", int(pc.index(pc.is_null(column), True).as_py()))

    def text_codes(name: str) -> tuple[np.ndarray, list[str]]:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            raise refuse(name, f"holds {column.type}, expected text")
        encoded = pc.dictionary_encode(column.combine_chunks())
        return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary.to_pylist()

    def whole(name: str) -> np.ndarray:
        column = table.column(name)
        if not pa.types.is_integer(column.type):
            raise refuse(name, f"holds {column.type}, expected whole numbers")
        numbers = column.to_numpy().astype(np.int64)
        bad = np.flatnonzero((numbers < 0) | (numbers >= MAX_INDEX))
        if len(bad):
            raise refuse(name, f"holds {numbers[bad[0]]}, expected a whole number >= 0", int(bad[0]))
        return numbers

    replicates, steps = whole("replicate"), whole("step")
    value_column = table.column("value")
    if not (pa.types.is_floating(value_column.type) or pa.types.is_integer(value_column.type)):
        raise refuse("value", f"holds {value_column.type}, expected numbers")
    values = value_column.to_numpy().astype(np.float64)
    scenario_codes, scenario_names = text_codes("scenario")
    scenario = scenario_names[scenario_codes[0]]
    wrong = [(code, name_problem(name)) for code, name in enumerate(scenario_names) if name_problem(name)]
    if wrong:
        raise refuse("scenario", wrong[0][1], int(np.flatnonzero(scenario_codes == wrong[0][0])[0]))
    parts = [text_codes(name) for name in ("metric", "source", "target")]
    pairs = np.unique(parts[0][0] * len(parts[1][1]) + parts[1][0], return_inverse=True)[1].reshape(-1)
    unique, first, codes = np.unique(pairs * len(parts[2][1]) + parts[2][0], return_index=True, return_inverse=True)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(unique))  # series in order of first appearance
    codes = rank[codes.reshape(-1)]
    keys = [(parts[0][1][parts[0][0][i]], parts[1][1][parts[1][0][i]], key_target(parts[2][1][parts[2][0][i]]))
            for i in np.sort(first)]
    date_column = table.column("date")
    if pa.types.is_dictionary(date_column.type):
        date_column = date_column.cast(date_column.type.value_type)
    if not any(test(date_column.type) for test in (pa.types.is_string, pa.types.is_large_string, pa.types.is_date,
                                                    pa.types.is_timestamp)):
        raise refuse("date", f"holds {date_column.type}, expected dates")
    date_codes = pc.dictionary_encode(date_column.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    step_values, step_first, step_of = np.unique(steps, return_index=True, return_inverse=True)
    conflict = np.flatnonzero(date_codes != date_codes[step_first][step_of.reshape(-1)])
    texts = date_column.take(pa.array(step_first)).to_pylist()
    if texts and not isinstance(texts[0], str):  # date32 (files written since the typed dates)
        texts = month_text(texts)
    dates = dict(zip(step_values.tolist(), texts, strict=True))
    if len(conflict):
        i = int(conflict[0])
        raise refuse("date", f"gives step {steps[i]} another month than row {step_first[step_of.reshape(-1)[i]] + 1}",
                     i)
    wrong = [name_problem(text) for text in texts if name_problem(text)]
    if wrong:
        raise refuse("date", wrong[0])
    return _assemble(path, scenario, replicates, steps, codes, values, keys, dates, row, end=1)
