"""The work a command asks for, estimated before it starts.

``--replicates 10000000000`` or a 1000^4 sweep grid would otherwise run for months or be
killed by the kernel after filling memory. Each command states its size as a ``Workload``;
``refuse_if_too_big`` compares the estimate with this machine (time, available memory, free
disk) and refuses with the numbers, unless the user passes ``--force``.

The time estimate uses a per replicate-month cost measured on the baseline (2,000-replicate
chunks on a 2-core machine: about 31 microseconds); it is a rough guide, not a promise.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from sim.errors import InputError, Problem
from sim.model.memory import STATE_BYTES_PER_REPLICATE, available_memory, model_bytes, size  # a layer below
from sim.model.trajectories import series_layout
from sim.scenario.catalogue import load_catalogue
from sim.scenario.institutions import load_institutions

SECONDS_PER_REPLICATE_MONTH = 30e-6
MAX_SECONDS = 12 * 3600.0  # longer jobs need --force: an overnight run is a deliberate choice
MEMORY_SHARE = 0.8  # of the memory available now
BYTES_PER_VALUE = 8
CSV_BYTES_PER_VALUE = 60  # one trajectories.csv row per value
WORKING_COPIES = 4  # model state, recorded values, a gathered month and temporaries per chunk


@dataclass(frozen=True)
class Workload:
    """What a command will do: replicate-months to simulate, peak memory, bytes written."""

    what: str  # e.g. "10000000000 replicates x 60 months"
    replicate_months: float
    memory_bytes: float
    disk_bytes: float = 0.0

    @property
    def seconds(self) -> float:
        return self.replicate_months * SECONDS_PER_REPLICATE_MONTH


def series_count() -> int:
    """An upper bound on the series a run records (every lever, institution and decision)."""
    catalogue, institutions = load_catalogue(), load_institutions()
    return len(series_layout(tuple(lv.key for lv in catalogue.levers), tuple(institutions.keys),
                             tuple(f"{d.actor}.{d.id}" for d in institutions.decisions)))


def ensemble_workload(replicates: int, months: int, *, chunk_size: int, kept: int | None, copies: int = 1,
                      exact_limit: int | None = None) -> Workload:
    """``copies`` scenarios (2 for a paired compare) of ``replicates`` each, streamed in chunks.

    ``kept``: replicates kept whole and written to trajectories.csv (None: all).
    """
    # deferred: engine.summary loads the numba-compiled kernels; the other estimates need none
    from sim.engine.summary import BINS, EXACT_LIMIT

    exact_limit = EXACT_LIMIT if exact_limit is None else exact_limit
    values = (months + 1) * series_count()
    kept = replicates if kept is None else min(kept, replicates)
    chunk = min(chunk_size, replicates)
    reducer = min(replicates, exact_limit) * values * BYTES_PER_VALUE if replicates <= exact_limit \
        else values * (BINS * 4 + 16)
    memory = copies * (chunk * values * BYTES_PER_VALUE * WORKING_COPIES + reducer) + kept * values * BYTES_PER_VALUE
    return Workload(f"{replicates} replicates x {months} months" + (f" x {copies} scenarios" if copies > 1 else ""),
                    float(copies) * replicates * months, float(memory), float(kept) * values * CSV_BYTES_PER_VALUE)


def points_workload(points: int, replicates_per_point: int, months: int, *, factors: int, outcomes: int,
                    chunk_replicates: int = 4_000, recorded: int | None = None) -> Workload:
    """A batched evaluation of ``points`` parameter points (sweeps, sensitivity, calibration).

    A block holds whole points (``sim.engine.experiments.evaluate_points``): as many as fit in
    ``chunk_replicates``, and at least one, so a point of more replicates is a block of its own.
    ``recorded``: the series the outcomes read (None: every series, an upper bound).
    """
    rows = points * replicates_per_point
    chunk = min(max(1, chunk_replicates // max(replicates_per_point, 1)) * replicates_per_point, rows)
    series = series_count() if recorded is None else recorded
    per_replicate = (months + 1) * series * BYTES_PER_VALUE * WORKING_COPIES + \
        (0 if recorded is None else STATE_BYTES_PER_REPLICATE)
    memory = (rows * outcomes + points * factors) * BYTES_PER_VALUE + chunk * per_replicate
    return Workload(f"{points} points x {replicates_per_point} replicates x {months} months",
                    float(rows) * months, float(memory))


def model_workload(replicates: int, months: int, series: int) -> Workload:
    """One model advancing ``replicates`` together for ``months``, recording ``series`` (InfluenceModel)."""
    return Workload(f"{replicates} replicates x {months} months", float(replicates) * months,
                    model_bytes(replicates, months, series))


def refuse_if_too_big(work: Workload, *, force: bool, flag: str, out: Path | None = None,
                      can_force: bool = True) -> None:
    """Raise InputError (exit 2) with the estimate when the work exceeds this machine, unless forced.

    ``can_force``: whether the command has ``--force`` (the message offers it only then)."""
    if force:
        return
    reasons = []
    if work.seconds > MAX_SECONDS:
        reasons.append(f"about {duration(work.seconds)} of computing (the limit without --force is "
                       f"{duration(MAX_SECONDS)})")
    available = available_memory()
    if available is not None and work.memory_bytes > MEMORY_SHARE * available:
        reasons.append(f"about {size(work.memory_bytes)} of memory ({size(available)} is available)")
    free = free_disk(out) if out is not None else None
    if free is not None and work.disk_bytes > free:
        reasons.append(f"about {size(work.disk_bytes)} of disk ({size(free)} is free)")
    if reasons:
        advice = "ask for less, or pass --force to start it anyway" if can_force else "ask for less"
        raise InputError([Problem.about(flag, f"{work.what} would need {' and '.join(reasons)}; {advice}")])


def free_disk(path: Path) -> float | None:
    """Free bytes on the filesystem that would hold ``path`` (its nearest existing parent)."""
    ancestor = Path(path).absolute()
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    try:
        return float(shutil.disk_usage(ancestor).free)
    except OSError:
        return None


def duration(seconds: float) -> str:
    for unit, length in (("years", 365 * 86400.0), ("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= 2 * length:
            return f"{seconds / length:,.0f} {unit}"
    return f"{math.ceil(seconds)} s"
