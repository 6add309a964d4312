import numpy as np
import pytest

from sim.model.seeding import replicate_keys, stream_for, uniforms


def test_replicate_keys_depend_only_on_seed_and_index():
    alone = replicate_keys(42, np.array([5]))
    among = replicate_keys(42, np.arange(10))
    assert alone[0] == among[5]
    assert replicate_keys(43, np.array([5]))[0] != alone[0]


def test_uniforms_identical_whatever_the_batch():
    keys = replicate_keys(7, np.arange(64))
    full = uniforms(keys, stream=2, step=3, n=5)
    part = uniforms(keys[10:17], stream=2, step=3, n=5)
    np.testing.assert_array_equal(full[10:17], part)


def test_streams_and_steps_differ():
    keys = replicate_keys(7, np.arange(8))
    a = uniforms(keys, 2, 1, 4)
    assert not np.allclose(a, uniforms(keys, 3, 1, 4))
    assert not np.allclose(a, uniforms(keys, 2, 2, 4))
    assert stream_for("convoy") != stream_for("coup")


def test_uniforms_look_uniform_and_independent():
    from scipy import stats

    keys = replicate_keys(1, np.arange(20_000))
    u = uniforms(keys, 2, 0, 2)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u[:, 0], "uniform").pvalue > 0.001
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.03
    steps = uniforms(keys, 2, 1, 1)[:, 0]
    assert abs(np.corrcoef(u[:, 0], steps)[0, 1]) < 0.03


def test_repeated_replicate_ids_get_the_keys_of_their_id():
    """Design points share replicate ids; each distinct id is hashed once, and every row gets its id's key."""
    ids = np.array([4, 0, 4, 4, 2, 0])
    alone = {r: replicate_keys(3, np.array([r]))[0] for r in (0, 2, 4)}
    assert replicate_keys(3, ids).tolist() == [alone[r] for r in ids]
    assert replicate_keys(3, np.array([], dtype=int)).shape == (0,)


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31, 2**32 - 1, 2**32, 2**63])
def test_every_key_is_numpys_seed_sequence(seed):
    """The vectorised hash must be SeedSequence's, word for word (seeds and ids of 2**32 and more
    take SeedSequence's own path)."""
    ids = np.concatenate([np.arange(40), np.random.default_rng(seed % 97).integers(0, 2**32, 40), [2**32 - 1, 2**32]])
    expected = [np.random.SeedSequence(seed, spawn_key=(int(r),)).generate_state(1, np.uint64)[0] for r in ids]
    assert replicate_keys(seed, ids).tolist() == [int(k) for k in expected]
    assert replicate_keys(seed, ids[:-1]).tolist() == [int(k) for k in expected[:-1]]  # the vectorised path alone
