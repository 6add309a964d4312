"""The one guarded way to read a file the tool did not just write (issue #33 item 4).

Every input read back (a run folder's manifest, its trajectories as CSV or Parquet, a reference's
``reference.json``, ``summary.csv`` and ``final.csv``) goes through here:

* only a regular file is opened (checked with ``os.stat`` before opening, and again on the open
  descriptor): a FIFO would block for ever, ``/dev/zero`` never end, a folder is no file;
* the open uses ``O_NONBLOCK``, so a FIFO swapped in between the check and the open cannot hang;
* never more than a size cap is read, so the cap holds even for a file that grows;
* text is strict UTF-8, an invalid byte located by line and column; NUL characters are refused;
* JSON is strict: no NaN or Infinity, no number too large for a float, no duplicate key, and
  the document has the expected shape (an object, not a list);
* CSV lines are bounded and ``csv.Error`` is located;
* output values are plausible: finite and within their metric's range (``metric_range``).

Every refusal is an ``InputError`` naming the file, the line (or Parquet row) and the value: the
command line prints it and exits 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from sim.errors import InputError, Problem
from sim.scenario.paths import metric_range

MAX_JSON_BYTES = 16 * 2**20  # a manifest or reference.json (a few kilobytes when written by sim)
MAX_TABLE_BYTES = 4 * 2**30  # trajectories.csv (about 60 bytes a value) or trajectories.parquet
MAX_TABLE_ROWS = MAX_TABLE_BYTES // 60  # a Parquet file decompresses: its rows are capped too
MAX_REFERENCE_BYTES = 256 * 2**20  # a reference's summary.csv or final.csv
MAX_LINE_CHARS = 1_000_000  # final.csv holds one line per series with every replicate's value
MAX_NAME_CHARS = 200  # a scenario, metric, actor, lever or month name
MAX_PROBLEMS = 50  # a hostile file stops being read after this many problems
MAX_SHOWN_CHARS = 60  # of a bad value quoted in a message


def shown(text: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr`` of a value for a message, cut to ``limit`` characters (a 100 kB field must not flood)."""
    text = repr(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def open_regular(path: Path, what: str, limit: int, missing: str = "file not found") -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file of at most ``limit`` bytes.

    ``what`` says what was expected ("a run manifest (JSON)"); ``missing`` is the message when the
    file does not exist. Symbolic links are followed, and the file they lead to is judged.
    """
    shown_path = str(path)
    try:
        info = os.stat(path)
        _judge(info, shown_path, what, limit)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError([Problem.about(shown_path, missing)]) from None
    except IsADirectoryError:
        raise InputError([Problem.about(shown_path, f"is a directory, expected {what}")]) from None
    except OSError as exc:
        raise InputError([Problem.about(shown_path, f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        _judge(os.fstat(descriptor), shown_path, what, limit)  # the file opened, not the one looked at
    except BaseException:
        os.close(descriptor)
        raise
    return os.fdopen(descriptor, "rb")


def _judge(info: os.stat_result, shown_path: str, what: str, limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise InputError([Problem.about(shown_path, f"is a directory, expected {what}")])
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem.about(shown_path, f"not a regular file (a FIFO, socket or device?); "
                                                    f"expected {what}")])
    if info.st_size > limit:
        raise InputError([Problem.about(shown_path, f"file is {info.st_size} bytes, more than the {limit} "
                                                    f"allowed for {what}")])


def read_bytes(path: Path, what: str, limit: int, missing: str = "file not found") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see ``open_regular``)."""
    with open_regular(path, what, limit, missing) as handle:
        try:
            raw = handle.read(limit + 1)
        except OSError as exc:
            raise InputError([Problem.about(str(path), f"cannot read file: {exc.strerror or exc}")]) from None
    if len(raw) > limit:  # it grew after it was measured
        raise InputError([Problem.about(str(path), f"file is more than the {limit} bytes allowed for {what}")])
    return raw


def utf8_problem(handle: BinaryIO, path: Path) -> Problem | None:
    """Where the first byte that is not UTF-8 is (line, column in characters), or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for number, line in enumerate(iter(lambda: handle.readline(MAX_LINE_CHARS), b""), start=1):
        try:
            decoder.decode(line)
        except UnicodeDecodeError as exc:
            column = len(line[:exc.start].decode("utf-8", "replace")) + 1
            return Problem(str(path), number, column, f"byte 0x{line[exc.start:exc.start + 1].hex()} is not "
                                                      "valid UTF-8; save the file as UTF-8")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return Problem.about(str(path), "the file ends inside a UTF-8 character (cut short?)")
    return None


def decode_utf8(raw: bytes, path: Path) -> str:
    """``raw`` as text; InputError at the first invalid byte, or at the first NUL character."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError([utf8_problem(io.BytesIO(raw), path)
                          or Problem.about(str(path), "not valid UTF-8")]) from None
    if "\x00" in text:
        raise InputError([_nul_problem(text, text.index("\x00"), path)])
    return text


def _nul_problem(text: str, offset: int, path: Path) -> Problem:
    line, column = line_column(text, offset)
    return Problem(str(path), line, column, "NUL character (a binary or damaged file?)")


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based character offset."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def read_text(path: Path, what: str, limit: int = MAX_JSON_BYTES, missing: str = "file not found") -> str:
    """A regular file's text: at most ``limit`` bytes of strict UTF-8 without NUL."""
    return decode_utf8(read_bytes(path, what, limit, missing), path)


# --- JSON -------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]|-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|NaN|-?Infinity')


class _Refused(ValueError):
    """Raised from inside ``json.loads`` by a hook; located afterwards by ``_json_refusal``."""


def _json_refusal(text: str) -> tuple[int, str] | None:
    """(offset, message) of the first duplicate key, non-finite number or NUL in a JSON text."""
    stack: list[set | None] = []
    last_string = None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token.startswith('"'):
            if "\\u0000" in token:
                return match.start(), "NUL character in a string"
            last_string = match
            continue
        if token in ("{", "["):
            stack.append(set() if token == "{" else None)
        elif token in ("}", "]"):
            if stack:
                stack.pop()
        elif token == ":":
            if stack and stack[-1] is not None and last_string is not None:
                key = json.loads(last_string.group())
                if key in stack[-1]:
                    return last_string.start(), f"duplicate key {shown(key)} (which of the two is meant?)"
                stack[-1].add(key)
        elif not token.lstrip("-").isdigit() and not math.isfinite(float(token)):  # integers are exact
            return match.start(), f"number {shown(token)[1:-1]} is not finite (too large, NaN or Infinity)"
        last_string = None
    return None


def _no_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, list):
        return all(_no_nul(v) for v in value)
    return True


def _json_object(pairs: list[tuple[str, object]]) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys) or not all(_no_nul(k) and _no_nul(v) for k, v in pairs):
        raise _Refused("duplicate key or NUL")
    return dict(pairs)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {text} is not finite")
    return value


def _constant(text: str) -> float:
    raise _Refused(f"{text} is not a number")


JSON_KINDS = {dict: "a JSON object", list: "a JSON list", str: "a string", int: "a whole number", float: "a number",
              bool: "true or false", type(None): "null"}


def parse_json(text: str, path: Path, expect: type = dict, corrupt: str = "corrupt JSON"):
    """Strict JSON of the ``expect`` type (dict: an object); every refusal starts with ``corrupt``."""
    shown_path = str(path)
    try:
        value = json.loads(text, object_pairs_hook=_json_object, parse_float=_finite, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(shown_path, exc.lineno, exc.colno, f"{corrupt}: {exc.msg}")]) from None
    except _Refused as exc:
        found = _json_refusal(text)
        line, column = line_column(text, found[0]) if found else (1, 1)
        raise InputError([Problem(shown_path, line, column, f"{corrupt}: {found[1] if found else exc}")]) from None
    except RecursionError:
        raise InputError([Problem.about(shown_path, f"{corrupt}: nested too deeply")]) from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise InputError([Problem.about(shown_path, f"{corrupt}: {exc}")]) from None
    if not _no_nul(value):
        raise InputError([Problem.about(shown_path, f"{corrupt}: NUL character in a string")])
    if not isinstance(value, expect):
        raise InputError([Problem.about(shown_path, f"{corrupt}: expected {JSON_KINDS.get(expect, expect.__name__)}, "
                                                    f"found {JSON_KINDS.get(type(value), type(value).__name__)}")])
    return value


def read_json(path: Path, what: str, expect: type = dict, corrupt: str = "corrupt JSON",
              missing: str = "file not found", limit: int = MAX_JSON_BYTES):
    """A regular, capped, UTF-8, strict JSON file of the ``expect`` type (see ``parse_json``)."""
    return parse_json(read_text(path, what, limit, missing), path, expect, corrupt)


def key_location(text: str, key: str) -> tuple[int, int]:
    """Line and column of ``key`` in the top-level object of a JSON text ((1, 1) if not found)."""
    depth = 0
    last_string = None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token.startswith('"'):
            last_string = match
            continue
        if token in ("{", "["):
            depth += 1
        elif token in ("}", "]"):
            depth -= 1
        elif token == ":" and depth == 1 and last_string is not None and json.loads(last_string.group()) == key:
            return line_column(text, last_string.start())
        last_string = None
    return 1, 1


# --- CSV --------------------------------------------------------------------------------------

def csv_rows(handle: BinaryIO, path: Path, max_line: int = MAX_LINE_CHARS) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of each record of a CSV file, strict UTF-8 without NUL and with bounded lines.

    ``handle`` is a binary file (``open_regular``, or ``io.BytesIO`` of bytes already read); it is
    read again from the start to locate an invalid byte.
    """
    text = io.TextIOWrapper(handle, encoding="utf-8", errors="strict", newline="")
    count = 0

    def lines() -> Iterator[str]:
        nonlocal count
        while True:
            try:
                line = text.readline(max_line + 1)
            except UnicodeDecodeError:
                handle.seek(0)
                raise InputError([utf8_problem(handle, path) or Problem(str(path), count + 1, 1, "not valid UTF-8")]
                                 ) from None
            if not line:
                return
            count += 1
            if len(line) > max_line:
                raise InputError([Problem(str(path), count, 1, f"line longer than the {max_line} characters "
                                                               "allowed")])
            if "\x00" in line:
                raise InputError([Problem(str(path), count, line.index("\x00") + 1,
                                          "NUL character (a binary or damaged file?)")])
            yield line

    reader = csv.reader(lines(), strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError([Problem(str(path), reader.line_num, 1, f"unreadable CSV: {exc}")]) from None
        yield reader.line_num, row


# --- plausible values -------------------------------------------------------------------------

def series_text(key: tuple[str, str, str]) -> str:
    """``influence morocco->mali`` or ``threat mali``: a series named for a message."""
    metric, source, target = key
    return f"{metric} {source}->{target}" if target else f"{metric} {source}"


def name_problem(name: str) -> str | None:
    """What is wrong with a name read from a file (a series' metric, source or target, a month)."""
    if "\x00" in name:
        return f"NUL character in {shown(name)}"
    if len(name) > MAX_NAME_CHARS:
        return f"name of {len(name)} characters, more than the {MAX_NAME_CHARS} allowed: {shown(name)}"
    return None


def series_bounds(keys: list[tuple[str, str, str]]) -> tuple[np.ndarray, list[str | None]]:
    """Each series' (low, high), shape (S, 2), and what is wrong with each key (None if nothing).

    The range is the metric's (``sim.scenario.paths.metric_range``); a series of an unknown
    metric, or with a NUL or an overlong name, is refused.
    """
    bounds = np.zeros((len(keys), 2))
    wrong: list[str | None] = []
    for k, key in enumerate(keys):
        problem = next((p for p in map(name_problem, key) if p), None)
        if problem is None:
            try:
                bounds[k] = metric_range(key[0])
            except KeyError:
                problem = f"unknown metric {shown(key[0])} (series {shown(series_text(key))})"
        wrong.append(problem)
    return bounds, wrong


def value_problem(value: float, metric: str, low: float, high: float) -> str | None:
    """Why an output value is implausible (not finite, outside its metric's range), or None."""
    if not math.isfinite(value):
        return f"value {value!r} is not a finite number"
    if not low <= value <= high:
        return f"value {value!r} is outside the range of {metric} ({low:g} to {high:g})"
    return None


def implausible_rows(values: np.ndarray, series: np.ndarray, bounds: np.ndarray, limit: int = MAX_PROBLEMS
                     ) -> np.ndarray:
    """Indices of the first ``limit`` rows whose value is not finite or outside its series' bounds."""
    low, high = bounds[series, 0], bounds[series, 1]
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(values) & (values >= low) & (values <= high))
    return np.flatnonzero(bad)[:limit]


def duplicate_rows(*columns: np.ndarray, limit: int = MAX_PROBLEMS) -> list[tuple[int, int]]:
    """(first, repeat) row indices of rows whose key (the ``columns`` together) came earlier, in
    file order, at most ``limit``: a repeated key would silently overwrite a value."""
    if not len(columns[0]):
        return []
    order = np.lexsort(columns[::-1])  # stable: equal keys keep file order
    same = np.ones(len(order) - 1, dtype=bool)
    for column in columns:
        ordered = column[order]
        same &= ordered[1:] == ordered[:-1]
    later = order[1:][same]
    if not len(later):
        return []
    # the first row of each run of equal keys
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    first_of = order[starts[np.searchsorted(starts, np.flatnonzero(same) + 1, side="right") - 1]]
    pairs = sorted(zip(first_of.tolist(), later.tolist(), strict=True), key=lambda pair: pair[1])
    return pairs[:limit]
