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
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sim.engine.summary import Summary
from sim.errors import InputError, Problem
from sim.io.run_folders import atomic_folder, finish_replacements, write_summary
from sim.io.tidy import key_target, table_target
from sim.model.trajectories import Trajectories

REFERENCE_FILES = ("summary.csv", "final.csv")


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
    data = path.read_bytes()
    return {"rows": data.count(b"\n") - 1, "sha256": hashlib.sha256(data).hexdigest()}


def _verify_files(folder: Path, meta: dict) -> None:
    """Each reference file must be the one blessed: same row count, same content hash."""
    meta_path = folder / "reference.json"
    records = meta.get("files")
    if not isinstance(records, dict) or set(records) != set(REFERENCE_FILES):
        raise InputError([Problem(str(meta_path), 1, 1, "reference without row counts and content hashes (blessed "
                                  f"by an older version); re-bless it with: sim regress --update {folder.name}")])
    for name in REFERENCE_FILES:
        path = folder / name
        if not path.is_file():
            raise InputError([Problem(str(path), 1, 1, "missing from the reference")])
        now, blessed = _file_record(path), records[name]
        if now != blessed:
            what = (f"{now['rows']} rows where {blessed['rows']} were blessed" if now["rows"] != blessed.get("rows")
                    else "content differs from the blessed file (SHA-256)")
            raise InputError([Problem(str(path), 1, 1, f"reference file changed since it was blessed: {what}; "
                                      f"restore it (git checkout) or re-bless with: sim regress --update "
                                      f"{folder.name}")])


def _meta_type_problem(meta: object) -> str | None:
    """What is wrong with the types in reference.json, or None (an edited file must not crash regress)."""
    import math

    if not isinstance(meta, dict):
        return "expected a JSON object"
    if not isinstance(meta.get("seed"), int) or isinstance(meta.get("seed"), bool) or meta["seed"] < 0:
        return f"seed = {meta.get('seed')!r}, expected a whole number >= 0"
    if not isinstance(meta.get("replicates"), int) or isinstance(meta.get("replicates"), bool) or \
            meta["replicates"] < 1:
        return f"replicates = {meta.get('replicates')!r}, expected a whole number >= 1"
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
    """reference.json, summary values and final values; InputError if missing, corrupt or altered."""
    if folder.parent.is_dir():
        finish_replacements(folder.parent)  # a re-bless killed half-way is completed, never lost
    meta_path = folder / "reference.json"
    if not meta_path.exists():
        raise InputError([Problem(str(meta_path), 1, 1, f"no reference; bless it with: sim regress --update "
                                                         f"{folder.name}")])
    try:
        meta = json.loads(meta_path.read_text())
        for key in ("outputs_sha256", "scenario_sha256", "seed", "replicates", "tolerances"):
            meta[key]
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(meta_path), exc.lineno, exc.colno, f"corrupt reference: {exc.msg}")]) from None
    except (KeyError, TypeError) as exc:
        raise InputError([Problem(str(meta_path), 1, 1, f"corrupt reference: missing {exc}")]) from None
    wrong = _meta_type_problem(meta)
    if wrong:
        raise InputError([Problem(str(meta_path), 1, 1, f"corrupt reference: {wrong}; re-bless with: "
                                                         f"sim regress --update {folder.name}")])
    _verify_files(folder, meta)
    if meta.get("meta_sha256") != meta_hash(meta):
        what = ("carries no hash of its own content (blessed by an older version)" if "meta_sha256" not in meta
                else "was edited since it was blessed (its seed, replicates, tolerances or versions no longer "
                     "match its hash)")
        raise InputError([Problem(str(meta_path), 1, 1, f"reference.json {what}; restore it (git checkout) or "
                                                         f"re-bless with: sim regress --update {folder.name}")])
    summary, final = {}, {}
    for name, table in (("summary.csv", summary), ("final.csv", final)):
        path, line = folder / name, 1
        try:
            with open(path, newline="") as handle:
                rows = list(csv.reader(handle))
            skip = 1 if rows and rows[0][:1] == ["scenario"] else 0  # blessed since summaries name their scenario
            for line, row in enumerate(rows[1:], start=2):  # noqa: B007 - `line` locates errors below
                if name == "summary.csv":
                    row = row[skip:]
                    table[(int(row[0]), row[2], row[3], key_target(row[4]))] = (row[1], [float(x) for x in row[5:9]])
                else:
                    table[(row[0], row[1], key_target(row[2]))] = np.array([float(x) for x in row[3:]])
                if name == "final.csv" and len(row) - 3 != meta["replicates"]:
                    raise ValueError(f"expected {meta['replicates']} replicate values")
        except FileNotFoundError:
            raise InputError([Problem(str(path), 1, 1, "missing from the reference")]) from None
        except (ValueError, IndexError) as exc:
            raise InputError([Problem(str(path), line, 1, f"corrupt reference row: {exc}")]) from None
    return meta, summary, final
