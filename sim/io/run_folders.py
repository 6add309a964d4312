"""Run folders, written atomically: a folder appears complete or not at all.

Everything is written into a hidden temporary sibling first and renamed into place at
the end; a failure or an interrupt removes the temporary folder and leaves nothing.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from sim.engine.summary import STATISTICS, Summary
from sim.interrupts import raise_if_interrupted
from sim.io.tidy import STATE_TARGET, key_columns, month_values, table_target
from sim.model.trajectories import Trajectories


def safe_name(text: str) -> str:
    """A name that is safe as one path component: letters, digits, '_', '-', '.'; never '..' or empty.

    Every default output folder is built from names through this, whatever their origin (a
    scenario file, a run folder's manifest or CSV), so no input can place an output elsewhere.
    """
    cleaned = "".join(c if c.isalnum() or c in "_-." else "-" for c in str(text))[:80].strip(".")
    while ".." in cleaned:
        cleaned = cleaned.replace("..", "-")
    return cleaned or "scenario"


TRAJECTORY_COLUMNS = ("scenario", "replicate", "step", "date", "metric", "source", "target", "value")
SUMMARY_COLUMNS = ("scenario", "step", "date", "metric", "source", "target", *STATISTICS)


@contextmanager
def atomic_folder(final: Path, *, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``final`` only if the block succeeds.

    The staging folder is named ``.<final>.<pid>.<random>.partial``; staging folders left by
    earlier processes that no longer exist (killed by SIGKILL, a power cut) are removed first.
    With ``replace``, an existing ``final`` is swapped out by ``replace_folder`` (recoverable at
    every instant); without it, an existing ``final`` is refused.
    """
    final = Path(final)
    if final.exists() and not replace:
        raise FileExistsError(f"{final} already exists; choose another --out or remove it")
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(final.parent)
    staging = _staging_folder(final)
    try:
        yield staging
        raise_if_interrupted()  # a signal whose KeyboardInterrupt was lost must not commit the folder
        if replace:
            replace_folder(staging, final)
        else:
            os.replace(staging, final)  # atomic on one filesystem
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _staging_folder(final: Path) -> Path:
    """A new hidden sibling of ``final``, created with the umask's permissions (mkdtemp's are 0700,
    which would make run folders unreadable to the rest of a team)."""
    for _ in range(100):
        staging = final.parent / f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
        try:
            staging.mkdir(mode=0o777)
            return staging
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a staging folder beside {final}")


def replace_folder(new: Path, target: Path) -> None:
    """Put the complete folder ``new`` at ``target``, replacing any folder there.

    The folder names are the journal: ``new`` is first renamed to ``.<target>.new`` (so it is
    known complete), ``target`` to ``.<target>.old``, then ``.new`` to ``target`` and ``.old`` is
    removed. A process killed between any two steps leaves a state that ``finish_replacements``
    (run here and before every read of such folders) completes, so ``target`` is never lost.
    """
    target = Path(target)
    finish_replacements(target.parent)
    pending, _ = _journal_names(target)
    os.replace(new, pending)
    _complete_replacement(target)


def finish_replacements(folder: Path) -> list[str]:
    """Complete replacements that a killed process left half-done in ``folder``; returns their names."""
    done = []
    for path in sorted(Path(folder).glob(".*.new")) + sorted(Path(folder).glob(".*.old")):
        target = path.with_name(path.name[1:-4])
        if path.exists():
            _complete_replacement(target)
            done.append(target.name)
    return done


def _journal_names(target: Path) -> tuple[Path, Path]:
    return target.with_name(f".{target.name}.new"), target.with_name(f".{target.name}.old")


def _complete_replacement(target: Path) -> None:
    pending, old = _journal_names(target)
    if pending.is_dir():
        if target.exists() and not old.exists():
            os.replace(target, old)
        elif target.exists():  # both old and target: target is the new one already in place
            shutil.rmtree(pending, ignore_errors=True)
        if pending.exists():
            os.replace(pending, target)
    elif old.exists() and not target.exists():  # never happens by construction; keep the data
        os.replace(old, target)
    shutil.rmtree(old, ignore_errors=True)


def remove_stale_staging(folder: Path) -> list[Path]:
    """Remove ``.*.<pid>.*.partial`` folders in ``folder`` whose process is gone; returns them."""
    removed = []
    for path in Path(folder).glob(".*.partial"):
        parts = path.name.split(".")
        pid = next((int(p) for p in reversed(parts[:-2]) if p.isdigit()), None)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


MAX_NAME_BYTES, MAX_PATH_BYTES = 255, 4000
STAGING_BYTES = 40  # ".<name>.<pid>.<8 hex>.partial" adds this much to the last name


def unwritable_reason(path: Path, *, folder: bool = True) -> str | None:
    """Why ``path`` (a folder to create, or a file to write) cannot be written; None if it can.

    Checked before the computation, so an impossible ``--out`` costs a second, not the run.
    The nearest existing parent is probed by creating and removing a folder in it, which also
    catches read-only filesystems and permission rules that ``os.access`` does not see.
    """
    path = Path(path)
    for i, part in enumerate(path.parts):
        limit = MAX_NAME_BYTES - (STAGING_BYTES if i == len(path.parts) - 1 else 0)  # room for the staging name
        if len(os.fsencode(part)) > limit:
            return f"a name in the path is {len(os.fsencode(part))} bytes long; at most {limit} allowed"
    if len(os.fsencode(str(path.absolute()))) > MAX_PATH_BYTES:
        return f"the path is longer than {MAX_PATH_BYTES} bytes"
    if folder and path.exists():
        return "already exists; choose another --out or remove it"
    if not folder and path.is_dir():
        return "is a folder; expected the path of a file to write"
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is a file, so nothing can be created under it"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".sim-write-probe.", dir=ancestor))
    except OSError as exc:
        return f"cannot write in {ancestor}: {exc.strerror or exc}"
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_write_text(path: Path, text: str) -> None:
    """Write a single file atomically (temporary sibling, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report others read follows the umask
        raise_if_interrupted()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


FORMATS = ("csv", "parquet")
SIGNIFICANT_DIGITS = 10


def float_text(values: np.ndarray, exact: bool = False) -> list[list[str]]:
    """Numbers of a (rows, columns) array as text, row by row: 10 significant digits (ample for
    outputs known to ~1e-3, and a third smaller), or with ``exact`` the shortest text that reads
    back to the same float64.

    Python's own formatting of a list (``f"{v:.10g}"``, ``repr``) gives the same text as
    ``np.char.mod`` and ``astype(str)`` at a fifth of their cost, which was most of writing a
    run's trajectories.csv.
    """
    rows = np.asarray(values, dtype=np.float64).tolist()
    if exact:
        return [[repr(v) for v in row] for row in rows]
    return [[f"{v:.{SIGNIFICANT_DIGITS}g}" for v in row] for row in rows]


def write_trajectories(path: Path, trajectories: Trajectories | None, max_replicates: int | None,
                       exact: bool = False) -> int:
    """Long-form CSV, one row per replicate, step and series. Returns replicates written."""
    if trajectories is None:
        path.write_text(",".join(TRAJECTORY_COLUMNS) + "\n")
        return 0
    values = trajectories.values
    n = values.shape[0] if max_replicates is None else min(values.shape[0], max_replicates)
    series_text = [f"{m},{s},{table_target(t)}," for m, s, t in trajectories.series]
    name = trajectories.scenario
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(TRAJECTORY_COLUMNS) + "\n")
        for r in range(n if series_text else 0):  # no series selected: the header alone
            replicate = int(trajectories.replicate_ids[r])
            texts = float_text(values[r], exact)
            for step, date in enumerate(trajectories.dates):
                prefix = f"{name},{replicate},{step},{date},"
                cells = map(str.__add__, series_text, texts[step])
                handle.write(prefix + f"\n{prefix}".join(cells) + "\n")
    return n


def write_summary(path: Path, summary: Summary, exact: bool = False) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(SUMMARY_COLUMNS) + "\n")
        for step, date in enumerate(summary.dates):
            texts = float_text(summary.stats[step], exact)
            for s, (metric, source, target) in enumerate(summary.series):
                handle.write(f"{summary.scenario},{step},{date},{metric},{source},{table_target(target)},"
                             f"{','.join(texts[s])}\n")


def write_trajectories_parquet(path: Path, trajectories: Trajectories | None, max_replicates: int | None,
                               batch_replicates: int = 200, manifest: dict | None = None) -> int:
    """The same rows as trajectories.csv in Parquet (zstd, exact float64), written in row groups of
    ``batch_replicates`` replicates; keys are dictionary-encoded from integer codes, so memory
    stays near one batch whatever the ensemble size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _trajectory_schema(manifest)
    if trajectories is None:
        pq.write_table(schema.empty_table(), path)  # same column types as a full file
        return 0
    t = trajectories
    n = t.values.shape[0] if max_replicates is None else min(t.values.shape[0], max_replicates)
    steps, n_series = t.values.shape[1], t.values.shape[2]
    keys = [[k[0] for k in t.series], [k[1] for k in t.series], [table_target(k[2]) for k in t.series]]
    dictionaries, codes = [], []
    for column in keys:
        names = list(dict.fromkeys(column))
        dictionaries.append(pa.array(names, pa.string()))
        codes.append(np.array([names.index(x) for x in column], np.int32))
    series_of_row = np.tile(np.arange(n_series, dtype=np.int32), steps)
    step_of_row = np.repeat(np.arange(steps, dtype=np.int32), n_series)
    scenario = pa.array([t.scenario], pa.string())
    months = month_values(t.dates).astype("datetime64[D]")
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for lo in range(0, n, batch_replicates):
            hi = min(lo + batch_replicates, n)
            rows = (hi - lo) * steps * n_series
            writer.write_table(pa.table({
                "scenario": pa.DictionaryArray.from_arrays(np.zeros(rows, np.int32), scenario),
                "replicate": np.repeat(t.replicate_ids[lo:hi].astype(np.int64), steps * n_series),
                "step": np.tile(step_of_row.astype(np.int64), hi - lo),
                "date": pa.array(np.tile(months[step_of_row], hi - lo), pa.date32()),
                **{name: pa.DictionaryArray.from_arrays(np.tile(code[series_of_row], hi - lo), dictionary)
                   for name, code, dictionary in zip(("metric", "source", "target"), codes, dictionaries,
                                                     strict=True)},
                "value": t.values[lo:hi].reshape(-1),
            }, schema=schema))
    return n


def _trajectory_schema(manifest: dict | None = None):
    import pyarrow as pa

    key = pa.dictionary(pa.int32(), pa.string())
    return pa.schema([("scenario", key), ("replicate", pa.int64()), ("step", pa.int64()), ("date", pa.date32()),
                      ("metric", key), ("source", key), ("target", key), ("value", pa.float64())],
                     metadata=_manifest_metadata(manifest))


def _manifest_metadata(manifest: dict | None) -> dict[bytes, bytes] | None:
    """The run's manifest as Parquet key-value metadata (``sim.manifest``), so a file that travels
    alone (into DuckDB, a data lake) still says what produced it."""
    return None if manifest is None else {b"sim.manifest": json.dumps(manifest, sort_keys=True, default=str).encode()}


def write_summary_parquet(path: Path, summary: Summary, manifest: dict | None = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    steps, n_series = len(summary.dates), len(summary.series)
    keys = key_columns(summary.series)
    table = {"scenario": np.full(steps * n_series, summary.scenario, dtype=object),
             "step": np.repeat(np.arange(steps), n_series),
             **{name: np.tile(k, steps) for name, k in zip(("metric", "source", "target"), keys, strict=True)},
             **{stat: summary[stat].reshape(-1) for stat in STATISTICS}}
    columns = {k: (pa.array(v.tolist()).dictionary_encode() if v.dtype == object else pa.array(v))
               for k, v in table.items()}
    columns = {"scenario": columns.pop("scenario"), "step": columns.pop("step"),
               "date": pa.array(np.repeat(month_values(summary.dates).astype("datetime64[D]"), n_series), pa.date32()),
               **columns}
    arrow = pa.table(columns)
    pq.write_table(arrow.replace_schema_metadata(_manifest_metadata(manifest)), path, compression="zstd")


def write_run_folder(out: Path, *, manifest: dict, trajectories: Trajectories | None, summary: Summary,
                     max_trajectory_replicates: int | None,
                     plot: Callable[[Path], list[str]] | None = None, file_format: str = "csv",
                     exact: bool = False) -> dict:
    """Write manifest, trajectories, summary and plots into ``out`` atomically."""
    with atomic_folder(out) as staging:
        if file_format == "parquet":
            written = write_trajectories_parquet(staging / "trajectories.parquet", trajectories,
                                                 max_trajectory_replicates, manifest=manifest)
            write_summary_parquet(staging / "summary.parquet", summary, manifest=manifest)
        else:
            written = write_trajectories(staging / "trajectories.csv", trajectories, max_trajectory_replicates, exact)
            write_summary(staging / "summary.csv", summary, exact)
        plots = plot(staging / "plots") if plot else []
        manifest = {**manifest, "trajectories_replicates_written": written, "plots": plots, "format": file_format,
                    "numbers": "exact (float64 round trip)" if exact or file_format == "parquet"
                    else f"{SIGNIFICANT_DIGITS} significant digits",
                    "state_target": STATE_TARGET}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


EFFECT_COLUMNS = ("step", "date", "metric", "source", "target", "baseline_mean", "whatif_mean",
                  "mean_difference", "p05_difference", "p50_difference", "p95_difference", "p_whatif_higher")


def write_effects(path: Path, baseline: Summary, whatif: Summary, difference: Summary) -> None:
    """effects.csv of a comparison: per month and series, both means and the paired difference."""
    d, b, w = difference, baseline, whatif
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(EFFECT_COLUMNS) + "\n")
        for t, date in enumerate(d.dates):
            for s, (metric, source, target) in enumerate(d.series):
                numbers = (b["mean"][t, s], w["mean"][t, s], *(d[k][t, s] for k in STATISTICS), d.positive[t, s])
                text = ",".join(repr(float(x)) for x in numbers)
                handle.write(f"{t},{date},{metric},{source},{table_target(target)},{text}\n")
