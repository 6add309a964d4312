import numpy as np
import pytest

from sim.engine.runner import run, run_chunk


def test_replicate_identical_for_1_7_64(baseline):
    one = run(baseline, n_replicates=1, seed=5)
    seven = run(baseline, n_replicates=7, seed=5)
    many = run(baseline, n_replicates=64, seed=5)
    np.testing.assert_array_equal(one.values[0], seven.values[0])
    np.testing.assert_array_equal(seven.values, many.values[:7])


def test_chunk_size_does_not_change_numbers(baseline):
    whole = run(baseline, n_replicates=10, seed=3, chunk_size=10)
    chunked = run(baseline, n_replicates=10, seed=3, chunk_size=3)
    np.testing.assert_array_equal(whole.values, chunked.values)
    np.testing.assert_array_equal(chunked.replicate_ids, np.arange(10))


def test_run_chunk_is_a_pure_function_of_ids(baseline):
    a = run_chunk(baseline, 11, np.array([7, 2]))
    b = run_chunk(baseline, 11, np.array([2]))
    np.testing.assert_array_equal(a.values[1], b.values[0])


def test_different_seeds_differ(baseline):
    assert not np.array_equal(run(baseline, 4, seed=1).values, run(baseline, 4, seed=2).values)


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_every_batch_size_gives_the_same_replicates(baseline, n):
    """Rounding must not depend on how many replicates share the arrays (NumPy picks its
    summation strategy by shape; the engine must not let that leak into the numbers)."""
    reference = run(baseline, n_replicates=12, seed=5).values
    for first in range(0, 12, n):
        ids = np.arange(first, min(first + n, 12))
        np.testing.assert_array_equal(run_chunk(baseline, 5, ids).values, reference[ids])
