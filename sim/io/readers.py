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
    _check_header(where, next(rows, (1, None))[1])
    table = _CsvTable(where)
    line = 1
    for line, row in rows:
        if len(row) != 8:
            raise InputError([*table.problems, Problem(where, line, 1, f"row has {len(row)} fields, expected 8 "
                                                                       "(scenario,replicate,step,date,metric,source,"
                                                                       "target,value); is the file cut short?")])
        if len(table.problems) >= MAX_PROBLEMS:
            break
        table.add(line, row)
    return table.trajectories(path, end=line)


def _check_header(where: str, header: list[str] | None) -> None:
    """Refuse a header other than the one runs write: columns moved would be misread."""
    if header is not None and tuple(header) != TRAJECTORY_COLUMNS:
        raise InputError([Problem(where, 1, 1, f"header {shown(','.join(header), 200)}, expected "
                                               f"{','.join(TRAJECTORY_COLUMNS)}")])


class _CsvTable:
    """The rows of a trajectories CSV as flat arrays (one entry per row), and the problems found so far."""

    def __init__(self, where: str):
        self.where = where
        self.replicates, self.steps, self.codes, self.lines = array("q"), array("q"), array("q"), array("q")
        self.values = array("d")
        self.series: dict[tuple[str, str, str], int] = {}
        self.dates: dict[int, tuple[str, int]] = {}  # step -> (month, line where first seen)
        self.problems: list[Problem] = []
        self.scenario: str | None = None

    def add(self, line: int, row: list[str]) -> None:
        """Keep one row of eight fields, or note why it cannot be kept."""
        try:
            replicate, step, value = int(row[1]), int(row[2]), float(row[7])
        except ValueError:
            self.problems.append(Problem(self.where, line, 1, f"unreadable row {shown(row, 200)}"))
            return
        if not (0 <= replicate < MAX_INDEX and 0 <= step < MAX_INDEX):
            self.problems.append(Problem(self.where, line, 1, f"replicate {shown(row[1])}, step {shown(row[2])}: "
                                                              "expected whole numbers >= 0"))
            return
        self._check_scenario(line, row[0])
        self._check_month(line, step, row[3])
        self.codes.append(self.series.setdefault((row[4], row[5], key_target(row[6])), len(self.series)))
        self.replicates.append(replicate)
        self.steps.append(step)
        self.values.append(value)
        self.lines.append(line)

    def _check_scenario(self, line: int, name: str) -> None:
        """The first row names the run's scenario (the others are not read for it)."""
        if self.scenario is None:
            self.scenario = name
            if name_problem(name):
                self.problems.append(Problem(self.where, line, 1, f"scenario: {name_problem(name)}"))

    def _check_month(self, line: int, step: int, text: str) -> None:
        """Every row of a step gives the month its first row gave."""
        month, first = self.dates.setdefault(step, (text, line))
        if month != text:
            self.problems.append(Problem(self.where, line, 1, f"step {step} is month {shown(text)} here but "
                                                              f"{shown(month)} on line {first}"))
        elif first == line and name_problem(month):
            self.problems.append(Problem(self.where, line, 1, f"month: {name_problem(month)}"))

    def trajectories(self, path: Path, end: int) -> Trajectories:
        """The rows as Trajectories, or every problem found (``end``: the last line read)."""
        if self.problems:
            raise InputError(self.problems)
        if not self.values:
            raise InputError([Problem.about(self.where, "no trajectories in this run (was it run with "
                                                        "--trajectories 0?)")])
        line_of = np.frombuffer(self.lines, dtype=np.int64)
        return _assemble(path, self.scenario, np.frombuffer(self.replicates, dtype=np.int64),
                         np.frombuffer(self.steps, dtype=np.int64), np.frombuffer(self.codes, dtype=np.int64),
                         np.frombuffer(self.values, dtype=np.float64), list(self.series),
                         {step: month for step, (month, _) in self.dates.items()},
                         lambda i: (int(line_of[i]), f"line {int(line_of[i])}", ""), end=end)


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


# Parquet: pyarrow is imported inside the functions below (deferred: a large import that only a
# Parquet run folder should pay for).

def _read_trajectories_parquet(path: Path) -> Trajectories:
    where = str(path)
    table = _parquet_table(path)
    _check_parquet_shape(where, table)
    replicates, steps = _whole_numbers(where, table, "replicate"), _whole_numbers(where, table, "step")
    values = _numbers(where, table, "value")
    scenario = _scenario_name(where, table)
    codes, keys = _series_codes(where, table)
    dates = _months_of_steps(where, table, steps)
    return _assemble(path, scenario, replicates, steps, codes, values, keys, dates, _parquet_row, end=1)


def _parquet_row(i: int) -> tuple[int, str, str]:
    """Where row i (0-based) is, for ``_assemble``: its line number, its name, the message prefix."""
    return i + 1, f"row {i + 1}", f"row {i + 1}: "


def _refusal(where: str, name: str, message: str, i: int = 0) -> InputError:
    """Column ``name`` of row i (0-based) cannot be read as trajectories."""
    return InputError([Problem(where, i + 1, 1, f"row {i + 1}: unreadable Parquet trajectories: column "
                                                f"{name} {message}")])


def _parquet_table(path: Path):  # -> pyarrow.Table
    """The whole file as a table, its row count checked before reading; a damaged file refused."""
    import pyarrow.parquet as pq  # deferred: see above

    where = str(path)
    with open_regular(path, "a trajectories file (Parquet)", MAX_TABLE_BYTES) as handle:
        try:
            file = pq.ParquetFile(handle)
            if file.metadata.num_rows > MAX_TABLE_ROWS:
                raise InputError([Problem.about(where, f"{file.metadata.num_rows} rows, more than the "
                                                       f"{MAX_TABLE_ROWS} allowed")])
            return file.read()
        except InputError:
            raise
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError([Problem.about(where, f"unreadable Parquet file: {shown(str(exc), 300)}")]) from None


def _check_parquet_shape(where: str, table) -> None:
    """Every column a run writes, at least one row, and no empty cell."""
    import pyarrow.compute as pc  # deferred: see above

    if not set(TRAJECTORY_COLUMNS) <= set(table.column_names):
        raise InputError([Problem.about(where, "unreadable Parquet trajectories: columns "
                                               f"{sorted(table.column_names)}")])
    if not table.num_rows:
        raise InputError([Problem.about(where, "no trajectories in this run (was it run with --trajectories 0?)")])
    for name in TRAJECTORY_COLUMNS:
        column = table.column(name)
        if column.null_count:
            raise _refusal(where, name, "is empty here", int(pc.index(pc.is_null(column), True).as_py()))


def _text_codes(where: str, table, name: str) -> tuple[np.ndarray, list[str]]:
    """A text column as (code per row, text of each code)."""
    import pyarrow as pa  # deferred: see above
    import pyarrow.compute as pc

    column = table.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise _refusal(where, name, f"holds {column.type}, expected text")
    encoded = pc.dictionary_encode(column.combine_chunks())
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary.to_pylist()


def _whole_numbers(where: str, table, name: str) -> np.ndarray:
    """A column of replicate ids or steps: whole numbers from 0 to MAX_INDEX."""
    import pyarrow as pa  # deferred: see above

    column = table.column(name)
    if not pa.types.is_integer(column.type):
        raise _refusal(where, name, f"holds {column.type}, expected whole numbers")
    numbers = column.to_numpy().astype(np.int64)
    bad = np.flatnonzero((numbers < 0) | (numbers >= MAX_INDEX))
    if len(bad):
        raise _refusal(where, name, f"holds {numbers[bad[0]]}, expected a whole number >= 0", int(bad[0]))
    return numbers


def _numbers(where: str, table, name: str) -> np.ndarray:
    """A column of values (floating point or whole numbers) as floats."""
    import pyarrow as pa  # deferred: see above

    column = table.column(name)
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise _refusal(where, name, f"holds {column.type}, expected numbers")
    return column.to_numpy().astype(np.float64)


def _scenario_name(where: str, table) -> str:
    """The first row's scenario; every row's scenario must be a valid name."""
    codes, names = _text_codes(where, table, "scenario")
    wrong = [(code, name_problem(name)) for code, name in enumerate(names) if name_problem(name)]
    if wrong:
        raise _refusal(where, "scenario", wrong[0][1], int(np.flatnonzero(codes == wrong[0][0])[0]))
    return names[codes[0]]


def _series_codes(where: str, table) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    """Each row's series code, and the series (metric, source, target) in order of first appearance."""
    parts = [_text_codes(where, table, name) for name in ("metric", "source", "target")]
    pairs = np.unique(parts[0][0] * len(parts[1][1]) + parts[1][0], return_inverse=True)[1].reshape(-1)
    unique, first, codes = np.unique(pairs * len(parts[2][1]) + parts[2][0], return_index=True, return_inverse=True)
    rank = np.empty(len(unique), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(unique))  # series in order of first appearance
    keys = [(parts[0][1][parts[0][0][i]], parts[1][1][parts[1][0][i]], key_target(parts[2][1][parts[2][0][i]]))
            for i in np.sort(first)]
    return rank[codes.reshape(-1)], keys


def _months_of_steps(where: str, table, steps: np.ndarray) -> dict[int, str]:
    """Step -> month (``YYYY-MM``), every row of a step giving the same month, as text or a typed date."""
    import pyarrow as pa  # deferred: see above
    import pyarrow.compute as pc

    column = table.column("date")
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if not any(test(column.type) for test in (pa.types.is_string, pa.types.is_large_string, pa.types.is_date,
                                               pa.types.is_timestamp)):
        raise _refusal(where, "date", f"holds {column.type}, expected dates")
    date_codes = pc.dictionary_encode(column.combine_chunks()).indices.to_numpy(zero_copy_only=False)
    step_values, step_first, step_of = np.unique(steps, return_index=True, return_inverse=True)
    conflict = np.flatnonzero(date_codes != date_codes[step_first][step_of.reshape(-1)])
    texts = column.take(pa.array(step_first)).to_pylist()
    if texts and not isinstance(texts[0], str):  # date32 (files written since the typed dates)
        texts = month_text(texts)
    dates = dict(zip(step_values.tolist(), texts, strict=True))
    if len(conflict):
        i = int(conflict[0])
        raise _refusal(where, "date", f"gives step {steps[i]} another month than row "
                                      f"{step_first[step_of.reshape(-1)[i]] + 1}", i)
    wrong = [name_problem(text) for text in texts if name_problem(text)]
    if wrong:
        raise _refusal(where, "date", wrong[0])
    return dates
