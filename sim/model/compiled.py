"""Compiled loops for the monthly step, and the few helpers they share.

The monthly step is a few dozen small array operations per replicate; as NumPy calls each one
walks all R replicates and allocates its result, so a month cost 6-7 us per replicate in
temporaries and call overhead (docs/performance.md). The submodels in ``dynamics`` and ``agents``
are therefore Numba kernels that loop over replicates once. Each replicate is computed alone,
and every sum runs in a fixed order (``cell_sum``: left to right), so its numbers never depend on
R, the chunk or the worker. (Model v3's kernels also emulated NumPy's pairwise sums and BLAS's
fused multiply-adds to agree bit for bit with the NumPy code they replaced; model v4 no longer
needs that, so those emulations are gone.)
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np


@functools.cache
def cache_folder() -> Path:
    """Where compiled kernels are kept: one folder per version of this package's model code.

    Numba re-compiles a cached kernel only when its own file changes, not when a kernel it calls
    or a constant it reads changes in another file; a folder named by a hash of every model
    module makes any edit start afresh. Beside the code when that is writable, else in the
    user's cache folder (a read-only install).
    """
    here = Path(__file__).parent
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sorted(here.glob("*.py")))).hexdigest()
    beside = here / "__pycache__"
    if os.access(beside if beside.exists() else here, os.W_OK):
        return beside / f"numba-{digest[:16]}"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sahel-sim" / f"numba-{digest[:16]}"


def _kernel_decorator(**options: object) -> Callable:
    """``numba.njit`` with our options, caching in ``cache_folder()``.

    Numba picks a kernel's cache folder when the kernel is decorated, from the process-wide
    ``numba.config.CACHE_DIR``; it is set for that moment only and put back, so importing the
    model leaves the caller's own Numba code caching where it did (a user's NUMBA_CACHE_DIR wins).
    """
    compile_kernel = numba.njit(cache=True, nogil=True, error_model="numpy", **options)

    def decorate(function: Callable) -> Callable:
        saved = numba.config.CACHE_DIR
        if not saved:
            numba.config.CACHE_DIR = str(cache_folder())
        try:
            return compile_kernel(function)
        finally:
            numba.config.CACHE_DIR = saved

    return decorate


# error_model="numpy": x / 0 gives inf or NaN as in NumPy, never ZeroDivisionError.
# cache=True: compiled once per machine, then loaded from the cache (well under a second).
jit = _kernel_decorator()
# small helpers are inlined into the kernels: a call that passes arrays costs reference counting
inline = _kernel_decorator(inline="always")


def as_shape(values, shape: tuple[int, ...]) -> np.ndarray:
    """``values`` as an array of ``shape`` for a kernel: itself when it has that shape already
    (``np.broadcast_to`` costs about 20 us a call, a few dozen times a month)."""
    values = np.asarray(values)
    return values if values.shape == shape else np.broadcast_to(values, shape)


@inline
def maximum(a: float, b: float) -> float:
    """np.maximum: NaN wins, and of two equal values (+0.0 and -0.0) the second."""
    return a if (a > b or a != a) else b


@inline
def minimum(a: float, b: float) -> float:
    """np.minimum: NaN wins, and of two equal values the second."""
    return a if (a < b or a != a) else b


@inline
def clip(x: float, low: float, high: float) -> float:
    """np.clip: x itself unless it is outside [low, high] (so -0.0 stays -0.0, NaN stays NaN)."""
    if x < low:
        return low
    if x > high:
        return high
    return x


@inline
def cell_sum(row, columns, lo, hi):
    """row[columns[lo]] + row[columns[lo + 1]] + ... left to right; 0.0 for no columns."""
    if lo == hi:
        return 0.0
    total = row[columns[lo]]
    for k in range(lo + 1, hi):
        total += row[columns[k]]
    return total


@jit
def grouped_sum(values, cell, init):
    """(R, P) -> (R, size): column q of each row added onto cell[q], in column order, from ``init``."""
    n = values.shape[0]
    out = np.empty((n, len(init)))
    for r in range(n):
        total = out[r]
        total[:] = init
        for q in range(len(cell)):
            total[cell[q]] += values[r, q]
    return out
