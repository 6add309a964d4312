"""Keep glibc from handing every mid-sized NumPy temporary back to the kernel.

A month of the batched model makes hundreds of temporaries of (R, 33) or (R, 6, 6) floats:
0.1 to 2 MB at R = 500 to 8 000. glibc's malloc serves blocks above its mmap threshold
(128 KiB at first, adapting upwards) from fresh mappings, and trims the heap whenever more
than twice that threshold is free at its top, so the same memory is unmapped and faulted back
in, zeroed, again and again: tens of thousands of page faults per chunk, and on a virtual
machine a fault is slow. SALib's bootstrap of second-order indices (800 KB temporaries) ran 3.5x
slower in a fresh process for this reason, and Dask's MALLOC_TRIM_THRESHOLD_=65536 (which also
freezes the mmap threshold at 128 KiB) made the model 2-3x slower (docs/performance.md).

``tune_allocator`` raises both thresholds once per process: blocks up to 32 MiB come from the
heap, and up to 64 MiB of freed heap is kept for reuse. It changes no number, only where
memory comes from; a process keeps up to 64 MiB more resident after a run. Elsewhere than glibc
(macOS, musl, Windows) it does nothing, and ``SIM_KEEP_MALLOC`` set to any non-empty value
leaves a process that embeds the model (and wants its own allocator settings) alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 32 * 2**20  # glibc's largest allowed value on 64-bit
TRIM_THRESHOLD = 64 * 2**20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter codes, from <malloc.h>

_tuned: bool | None = None


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds (once per process); True if they were set."""
    global _tuned
    if _tuned is None:
        _tuned = _set_thresholds()
    return _tuned


def _set_thresholds() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("SIM_KEEP_MALLOC"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):  # no mallopt: not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # the mmap threshold first: setting it fixes it, and the trim threshold is set after it
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


# -- how much memory a model needs, and how much there is ---------------------------------------

STATE_BYTES_PER_REPLICATE = 12_000  # a model's state besides what it records (measured: about 13 kB on the baseline)


def model_bytes(replicates: int, months: int, series: int) -> float:
    """Bytes one InfluenceModel holds: its record of ``series`` over ``months`` + 1, and its state."""
    return float(replicates) * ((months + 1) * series * 8 + STATE_BYTES_PER_REPLICATE)


def available_memory() -> float | None:
    """Bytes of memory available now (Linux ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def size(n_bytes: float) -> str:
    for unit, length in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= length:
            return f"{n_bytes / length:,.1f} {unit}"
    return f"{n_bytes / 1e3:,.0f} kB"
