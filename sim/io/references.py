"""Reference folders of ``sim regress`` on disk: written atomically, read back suspiciously.

A reference holds ``summary.csv`` (exact summaries), ``final.csv`` (every replicate's value
of every series at the last month) and ``reference.json`` (hashes, versions, seed, replicates,
tolerances, and each file's row count and SHA-256, so a cut-short or edited file is refused
rather than trusted).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sim.engine.summary import Summary
from sim.errors import InputError, Problem
from sim.io.guarded import (
    MAX_PROBLEMS,
    MAX_REFERENCE_BYTES,
    csv_rows,
    read_bytes,
    read_json,
    series_bounds,
    series_text,
    shown,
    value_problem,
)
from sim.io.run_folders import atomic_folder, finish_replacements, write_summary
from sim.io.tidy import key_target, table_target
from sim.model.trajectories import Trajectories

REFERENCE_FILES = ("summary.csv", "final.csv")
# A check re-runs the reference's replicates with every trajectory in memory; sim blesses 64.
# Its own hash is no defence against a forged count (anyone can re-hash), so the count is bounded.
MAX_REFERENCE_REPLICATES = 10_000


@contextlib.contextmanager
def reference_lock(root: Path) -> Iterator[None]:
    """Hold the references under ``root`` alone while reading or re-blessing them.

    A lock file beside the folder (``.<root name>.lock``), taken with ``flock``: a second
    ``sim regress`` (an update or a check) waits for the first, so a check never completes a
    replacement another process is still making, and two updates never interleave. The kernel
    releases the lock when its holder dies, so a killed update never blocks the next run, which
    then completes the killed update's replacement (``finish_replacements``)."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def meta_hash(meta: dict) -> str:
    """SHA-256 of reference.json's content less this hash: what the blessing said about itself
    (seed, replicates, tolerances, versions, files), so an edit of any of it is refused."""
    body = {key: value for key, value in meta.items() if key != "meta_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def outputs_hash(trajectories: Trajectories) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([list(s) for s in trajectories.series]).encode())
    digest.update(np.ascontiguousarray(trajectories.values, dtype="<f8").tobytes())
    return digest.hexdigest()


def write_reference(target: Path, trajectories: Trajectories, summary: Summary, meta: dict) -> None:
    """Write (or replace) one reference folder atomically; ``meta`` gains the files' records."""
    with atomic_folder(target, replace=True) as staging:
        write_summary(staging / "summary.csv", summary, exact=True)  # the run folders' writer, full precision
        with open(staging / "final.csv", "w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(("metric", "source", "target", *(f"r{r}" for r in trajectories.replicate_ids)))
            for s, (metric, source, series_target) in enumerate(trajectories.series):
                writer.writerow([metric, source, table_target(series_target),
                                 *(repr(float(x)) for x in trajectories.values[:, -1, s])])
        meta = {**meta, "files": {name: _file_record(staging / name) for name in REFERENCE_FILES}}
        meta["meta_sha256"] = meta_hash(meta)
        (staging / "reference.json").write_text(json.dumps(meta, indent=2) + "\n")


def _file_record(path: Path) -> dict:
    """Row count and SHA-256 of a reference file, so a cut-short or edited file is caught."""
    return _bytes_record(path.read_bytes())


def _bytes_record(data: bytes) -> dict:
    return {"rows": data.count(b"\n") - 1, "sha256": hashlib.sha256(data).hexdigest()}


def _verify_files(folder: Path, meta: dict) -> dict[str, bytes]:
    """Each reference file must be the one blessed: same row count, same content hash.

    Returns the files' bytes, read once through the guarded reader (a regular file, of bounded
    size), so what is parsed next is exactly what was verified."""
    meta_path = folder / "reference.json"
    records = meta.get("files")
    if not isinstance(records, dict) or set(records) != set(REFERENCE_FILES):
        raise InputError([Problem.about(str(meta_path), "reference without row counts and content hashes (blessed "
                                  f"by an older version); re-bless it with: sim regress --update {folder.name}")])
    contents = {}
    for name in REFERENCE_FILES:
        path = folder / name
        contents[name] = read_bytes(path, f"a reference's {name}", MAX_REFERENCE_BYTES,
                                    missing="missing from the reference")
        now, blessed = _bytes_record(contents[name]), records[name]
        if now != blessed:
            what = (f"{now['rows']} rows where {blessed['rows']} were blessed" if now["rows"] != blessed.get("rows")
                    else "content differs from the blessed file (SHA-256)")
            raise InputError([Problem.about(str(path), f"reference file changed since it was blessed: {what}; "
                                      f"restore it (git checkout) or re-bless with: sim regress --update "
                                      f"{folder.name}")])
    return contents


def _meta_type_problem(meta: object) -> str | None:
    """What is wrong with the types in reference.json, or None (an edited file must not crash regress)."""
    import math

    if not isinstance(meta, dict):
        return "expected a JSON object"
    if not isinstance(meta.get("seed"), int) or isinstance(meta.get("seed"), bool) or meta["seed"] < 0:
        return f"seed = {meta.get('seed')!r}, expected a whole number >= 0"
    if not isinstance(meta.get("replicates"), int) or isinstance(meta.get("replicates"), bool) or \
            not 1 <= meta["replicates"] <= MAX_REFERENCE_REPLICATES:
        return f"replicates = {meta.get('replicates')!r}, expected a whole number 1..{MAX_REFERENCE_REPLICATES}"
    tolerances = meta.get("tolerances")
    if not isinstance(tolerances, dict) or not all(
            isinstance(tolerances.get(k), int | float) and not isinstance(tolerances.get(k), bool)
            and math.isfinite(tolerances[k]) and tolerances[k] >= 0 for k in ("rtol", "atol", "alpha")):
        return f"tolerances = {tolerances!r}, expected finite rtol, atol and alpha >= 0"
    files = meta.get("files")
    if files is not None and (not isinstance(files, dict) or not all(
            isinstance(r, dict) and isinstance(r.get("rows"), int) and isinstance(r.get("sha256"), str)
            for r in files.values())):
        return "files: expected {name: {rows: N, sha256: hex}}"
    return None


def read_reference(folder: Path) -> tuple[dict, dict, dict]:
    """reference.json, summary values and final values; InputError if missing, corrupt or altered.

    Every file is read through ``sim.io.guarded`` (regular, bounded, strict UTF-8 and JSON), and
    every value must be finite and within its metric's range, every key (step and series) unique."""
    if folder.parent.is_dir():
        finish_replacements(folder.parent)  # a re-bless killed half-way is completed, never lost
    meta_path = folder / "reference.json"
    meta = read_json(meta_path, "a reference's reference.json (JSON)", dict, corrupt="corrupt reference",
                     missing=f"no reference; bless it with: sim regress --update {folder.name}")
    absent = [key for key in ("outputs_sha256", "scenario_sha256", "seed", "replicates", "tolerances")
              if key not in meta]
    if absent:
        raise InputError([Problem.about(str(meta_path), f"corrupt reference: missing {absent[0]!r}")])
    wrong = _meta_type_problem(meta)
    if wrong:
        raise InputError([Problem.about(str(meta_path), f"corrupt reference: {wrong}; re-bless with: "
                                                         f"sim regress --update {folder.name}")])
    contents = _verify_files(folder, meta)
    if meta.get("meta_sha256") != meta_hash(meta):
        what = ("carries no hash of its own content (blessed by an older version)" if "meta_sha256" not in meta
                else "was edited since it was blessed (its seed, replicates, tolerances or versions no longer "
                     "match its hash)")
        raise InputError([Problem.about(str(meta_path), f"reference.json {what}; restore it (git checkout) or "
                                                         f"re-bless with: sim regress --update {folder.name}")])
    summary = _read_reference_table(folder / "summary.csv", contents["summary.csv"], meta)
    final = _read_reference_table(folder / "final.csv", contents["final.csv"], meta)
    return meta, summary, final


STATISTIC_COLUMNS = ("mean", "p05", "p50", "p95")


def _read_reference_table(path: Path, raw: bytes, meta: dict) -> dict:
    """summary.csv ({(step, metric, source, target): (date, [mean, p05, p50, p95])}) or final.csv
    ({(metric, source, target): every replicate's value}), refused at its bad rows."""
    where, is_summary = str(path), path.name == "summary.csv"
    table: dict = {}
    first_line: dict = {}
    ranges: dict = {}  # series -> (low, high, what is wrong with its names)
    problems: list[Problem] = []
    rows = csv_rows(io.BytesIO(raw), path)
    header = next(rows, (1, []))[1]
    skip = 1 if header[:1] == ["scenario"] else 0  # blessed since summaries name their scenario
    width = skip + 9 if is_summary else 3 + meta["replicates"]
    for line, row in rows:
        if len(problems) >= MAX_PROBLEMS:
            break
        if len(row) != width:
            what = "" if is_summary else f" ({meta['replicates']} replicate values)"
            problems.append(Problem(where, line, 1, f"corrupt reference row: {len(row)} fields, expected "
                                                    f"{width}{what}"))
            continue
        row = row[skip:] if is_summary else row
        try:
            step = int(row[0]) if is_summary else None
            numbers = [float(x) for x in (row[5:9] if is_summary else row[3:])]
        except ValueError as exc:
            problems.append(Problem(where, line, 1, f"corrupt reference row: {shown(str(exc), 100)}"))
            continue
        series = (row[2], row[3], key_target(row[4])) if is_summary else (row[0], row[1], key_target(row[2]))
        if series not in ranges:
            bounds, wrong = series_bounds([series])
            ranges[series] = (float(bounds[0, 0]), float(bounds[0, 1]), wrong[0])
        low, high, wrong = ranges[series]
        if step is not None and not 0 <= step < 2**31:
            wrong = wrong or f"step {step}, expected a whole number >= 0"
        if wrong:
            problems.append(Problem(where, line, 1, f"corrupt reference row: {wrong}"))
            continue
        bad = next(((i, p) for i, x in enumerate(numbers) if (p := value_problem(x, series[0], low, high))), None)
        if bad:
            column = STATISTIC_COLUMNS[bad[0]] if is_summary else f"r{bad[0]}"
            problems.append(Problem(where, line, 1, f"corrupt reference row: {bad[1]} ({series_text(series)}, "
                                                    f"{column})"))
            continue
        key = (step, *series) if is_summary else series
        if key in first_line:
            problems.append(Problem(where, line, 1, f"corrupt reference row: {series_text(series)}"
                                                    + (f" at step {step}" if is_summary else "")
                                                    + f" repeats line {first_line[key]}"))
            continue
        first_line[key] = line
        table[key] = (row[1], numbers) if is_summary else np.array(numbers)
    if problems:
        raise InputError(problems)
    return table
