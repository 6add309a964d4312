"""The compiled helpers: fixed-order sums, and ties broken as NumPy breaks them."""

import numba
import numpy as np
import pytest

from sim.model import compiled
from sim.model.dynamics import Grouping

jit = numba.njit(error_model="numpy")  # not cached: a test module's import name depends on how pytest runs


@jit
def _cell_sums(values, lengths):
    out = np.empty(len(lengths))
    columns = np.arange(values.shape[1])
    for i in range(len(lengths)):
        out[i] = compiled.cell_sum(values[i], columns, 0, lengths[i])
    return out


@jit
def _ties(a, b):
    out = np.empty((3, len(a)))
    for i in range(len(a)):
        out[0, i] = compiled.maximum(a[i], b[i])
        out[1, i] = compiled.minimum(a[i], b[i])
        out[2, i] = compiled.clip(a[i], 0.0, 1.0)  # the model clips to constant bounds only
    return out


def test_cell_sum_adds_left_to_right_at_every_length():
    """Sums run in one fixed order, so a replicate's numbers do not depend on R, the chunk or the
    worker (model v4 dropped the emulation of NumPy's pairwise sums that v3 needed)."""
    rng = np.random.default_rng(0)
    lengths = np.arange(0, 40)
    values = rng.standard_normal((len(lengths), 40)) * 10.0 ** rng.uniform(-8, 8, (len(lengths), 40))
    expected = np.zeros(len(lengths))
    for i, n in enumerate(lengths):  # not sum(): Python 3.12's float sum is compensated
        if n:
            total = values[i, 0]
            for k in range(1, n):
                total = total + values[i, k]
            expected[i] = total
    assert _cell_sums(values, lengths).tobytes() == expected.tobytes()


def test_maximum_minimum_and_clip_break_ties_of_signed_zeros_as_numpy_does():
    a = np.array([-0.0, 0.0, -0.0, 0.0, np.nan, 1.0, 2.0, -3.0])
    b = np.array([0.0, -0.0, -0.0, 0.0, 0.5, np.nan, 1.5, -1.0])
    got = _ties(a, b)
    for row, expected in zip(got, (np.maximum(a, b), np.minimum(a, b), np.clip(a, 0.0, 1.0)), strict=True):
        assert row.tobytes() == expected.tobytes()


def test_a_scattered_grouped_sum_equals_summing_each_cell_left_to_right():
    rng = np.random.default_rng(2)
    cell = rng.integers(0, 7, 40)
    cell[cell == 3] = 4  # cell 3 empty
    grouping = Grouping.of(cell, 8)  # and cell 7
    values = rng.standard_normal((5, 40))
    values[:, cell == 5] = -0.0  # a cell of negative zeros stays -0.0, as in order from its first value
    expected = np.zeros((5, 8))
    for c in range(8):
        members = np.flatnonzero(cell == c)
        if len(members):
            total = values[:, members[0]].copy()
            for m in members[1:]:
                total += values[:, m]
            expected[:, c] = total
    got = grouping.sum(values)
    assert got.tobytes() == expected.tobytes()
    assert np.signbit(got[:, 5]).all() and not np.signbit(got[:, [3, 7]]).any()


def test_as_shape_passes_arrays_of_the_right_shape_through_and_broadcasts_others():
    x = np.ones((3, 2))
    assert compiled.as_shape(x, (3, 2)) is x
    assert compiled.as_shape(np.ones(2), (3, 2)).shape == (3, 2)
    with pytest.raises(ValueError):
        compiled.as_shape(np.ones(4), (3, 2))


def test_the_kernel_cache_is_named_by_the_model_code():
    """An edit to any model module must start a new cache folder (Numba alone would keep a
    kernel whose helper in another file changed)."""
    folder = compiled.cache_folder()
    assert folder.name.startswith("numba-") and len(folder.name) == len("numba-") + 16


def test_importing_the_model_leaves_numbas_cache_setting_alone():
    """Issue #32 item 3: the kernels cache in our folder, but a caller's own Numba code does not."""
    import subprocess
    import sys

    code = ("import numba; before = numba.config.CACHE_DIR; import sim.model.model; "
            "from sim.model import dynamics; "
            "print(numba.config.CACHE_DIR == before, dynamics._update_influence._cache._cache_path)")
    env = {k: v for k, v in __import__("os").environ.items() if k != "NUMBA_CACHE_DIR"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    unchanged, path = done.stdout.split()
    assert unchanged == "True", done.stderr[-2000:]
    assert compiled.cache_folder().name in path  # and the kernels still cache in ours
