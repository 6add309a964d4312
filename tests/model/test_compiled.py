"""The compiled helpers round exactly as the NumPy operations they stand in for."""

import numba
import numpy as np
import pytest

from sim.model import compiled
from sim.model.dynamics import Grouping

jit = numba.njit(error_model="numpy")  # not cached: a test module's import name depends on how pytest runs


@jit
def _numpy_sums(values, lengths):
    out = np.empty(len(lengths))
    columns = np.arange(values.shape[1])
    for i in range(len(lengths)):
        out[i] = compiled.numpy_sum(values[i], columns, 0, lengths[i])
    return out


@jit
def _ties(a, b):
    out = np.empty((3, len(a)))
    for i in range(len(a)):
        out[0, i] = compiled.maximum(a[i], b[i])
        out[1, i] = compiled.minimum(a[i], b[i])
        out[2, i] = compiled.clip(a[i], 0.0, 1.0)  # the model clips to constant bounds only
    return out


@jit
def _fma_products(x, y):
    n, k = x.shape[0], x.shape[2]
    out = np.zeros((n, x.shape[1], y.shape[2]))
    for r in range(n):
        for i in range(x.shape[1]):
            for j in range(y.shape[2]):
                total = 0.0
                for m in range(k):
                    total = compiled.fma(x[r, i, m], y[r, m, j], total)
                out[r, i, j] = total
    return out


def test_numpy_sum_is_a_reduceat_segment_bit_for_bit_at_every_length():
    """The first value plus NumPy's pairwise sum of the rest (in order below eight, eight running
    sums up to 128, halves beyond): how ``np.add.reduceat``, which the budget rule's per-owner
    totals used before, rounds a segment of a row."""
    rng = np.random.default_rng(0)
    lengths = np.arange(1, 300)
    values = rng.standard_normal((len(lengths), 300)) * 10.0 ** rng.uniform(-8, 8, (len(lengths), 300))
    expected = np.array([np.add.reduceat(values[i : i + 1, :n], [0], axis=1)[0, 0] for i, n in enumerate(lengths)])
    got = _numpy_sums(values, lengths)
    assert got.tobytes() == expected.tobytes()
    left_to_right = np.array([sum(values[i, :n].tolist()) for i, n in enumerate(lengths)])
    assert not np.array_equal(got, left_to_right), "the sample distinguishes pairwise from in-order sums"


def test_maximum_minimum_and_clip_break_ties_of_signed_zeros_as_numpy_does():
    a = np.array([-0.0, 0.0, -0.0, 0.0, np.nan, 1.0, 2.0, -3.0])
    b = np.array([0.0, -0.0, -0.0, 0.0, 0.5, np.nan, 1.5, -1.0])
    got = _ties(a, b)
    for row, expected in zip(got, (np.maximum(a, b), np.minimum(a, b), np.clip(a, 0.0, 1.0)), strict=True):
        assert row.tobytes() == expected.tobytes()


def test_fused_multiply_adds_in_order_give_the_matrix_product():
    """The relation balance's product was ``weights @ relation`` (BLAS); the kernel's chain of
    fused multiply-adds must give its numbers, not merely close ones."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((500, 6, 6)), rng.standard_normal((500, 6, 6))
    assert _fma_products(x, y).tobytes() == (x @ y).tobytes()


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
    folder = compiled._cache_folder()
    assert folder.name.startswith("numba-") and len(folder.name) == len("numba-") + 16
