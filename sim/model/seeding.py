"""Per-replicate random streams that never depend on how many replicates run together.

Replicate ``r`` gets a 64-bit key from ``np.random.SeedSequence(seed, spawn_key=(r,))``.
Every draw is then a counter-based hash of (key, stream, step, slot): replicate ``r``'s
numbers are the same whether it runs alone, among 100 000 others, in any chunk, on any
worker, and all replicates draw at once with array operations (no loop over replicates
inside a step). Streams keep purposes apart, so adding a shock to a scenario does not
shift the draws of the others (common random numbers in comparisons).
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.model.compiled import inline, jit

# Stream identifiers: one per purpose. Scenario-defined shocks use stream_for(name).
STREAM_UNCERTAINTIES = 1
STREAM_BUILTIN_SHOCKS = 2

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


def replicate_keys(seed: int, replicate_ids: np.ndarray) -> np.ndarray:
    """One uint64 key per replicate, derived only from ``(seed, r)``:
    ``SeedSequence(seed, spawn_key=(r,)).generate_state(1, np.uint64)[0]``.

    NumPy's SeedSequence costs about 20 us per object, a second per 50 000 replicates, so its
    hash is computed here for all ids at once (``_seed_sequence_states``); tests check every key
    against SeedSequence itself. Seeds or ids of 2**32 and above take SeedSequence's own path.
    """
    ids = np.asarray(replicate_ids, dtype=np.int64).reshape(len(replicate_ids))
    if seed < 2**32 and (ids.size == 0 or (ids.min() >= 0 and ids.max() < 2**32)):
        return _seed_sequence_states(seed, ids.astype(np.uint32))
    distinct, where = np.unique(ids, return_inverse=True)
    keys = np.array([np.random.SeedSequence(seed, spawn_key=(int(r),)).generate_state(1, np.uint64)[0]
                     for r in distinct], dtype=np.uint64)
    return keys[where.reshape(-1)]


_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED  # numpy/random/bit_generator.pyx
_MIX_L, _MIX_R, _MASK32 = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF
_POOL_SIZE = 4


def _seed_sequence_states(seed: int, spawn: np.ndarray) -> np.ndarray:
    """SeedSequence(seed, spawn_key=(r,)).generate_state(1, np.uint64) for each r of ``spawn``
    (uint32), vectorised: NumPy's algorithm step for step. The running hash constant depends only
    on the step, so it is a plain integer; every entropy word is an array over the replicates."""
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = value * np.uint32(hash_const)
        return value ^ (value >> np.uint32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
        return result ^ (result >> np.uint32(16))

    n = spawn.size
    # the assembled entropy: the seed's word, padded with zeros to the pool size, then the spawn key
    entropy = [np.full(n, seed, np.uint32)] + [np.zeros(n, np.uint32)] * (_POOL_SIZE - 1) + [spawn]
    with np.errstate(over="ignore"):
        pool = [hashmix(entropy[i]) for i in range(_POOL_SIZE)]
        for source in range(_POOL_SIZE):
            for target in range(_POOL_SIZE):
                if source != target:
                    pool[target] = mix(pool[target], hashmix(pool[source]))
        for word in entropy[_POOL_SIZE:]:
            for target in range(_POOL_SIZE):
                pool[target] = mix(pool[target], hashmix(word))
        hash_const = _INIT_B
        words = []
        for value in pool[:2]:  # two 32-bit words make the uint64 key, low word first
            value = value ^ np.uint32(hash_const)
            hash_const = (hash_const * _MULT_B) & _MASK32
            value = value * np.uint32(hash_const)
            words.append(value ^ (value >> np.uint32(16)))
    return words[0].astype(np.uint64) | (words[1].astype(np.uint64) << np.uint64(32))


def stream_for(name: str) -> int:
    """A stable stream number for a named source of randomness (e.g. a scenario shock)."""
    return 1_000 + zlib.crc32(name.encode())


def uniforms(keys: np.ndarray, stream: int, step: int, n: int) -> np.ndarray:
    """Uniform draws in [0, 1), shape (R, n): slot ``j`` of ``step`` on ``stream``.

    Each value depends only on (key, stream, step, j).
    """
    with np.errstate(over="ignore"):
        offset = _GOLDEN * np.uint64(stream & 0xFFFFFFFF)
        salt = np.uint64(step + 1) * _M2
    return _uniforms(np.asarray(keys, dtype=np.uint64), offset, salt, n)


@jit
def _uniforms(keys, offset, salt, n):
    """``uniforms`` replicate by replicate, in uint64 arithmetic (which wraps)."""
    out = np.empty((len(keys), n))
    for r in range(len(keys)):
        base = _mix_one(_mix_one(keys[r] + offset) ^ salt)
        for j in range(n):
            bits = _mix_one(base + np.uint64(j + 1) * _GOLDEN)
            out[r, j] = np.float64(bits >> np.uint64(11)) * _TO_UNIT
    return out


@inline
def _mix_one(x):
    """SplitMix64's finaliser: a bijective 64-bit mixer with good avalanche."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def library_seed(seed: int) -> int:
    """A 32-bit seed for a library that takes no larger one (SciPy's optimisers, pymoo, pyabc): the
    run's seed itself below 2**32 (so results already published stay), else one derived from it."""
    import numpy as np

    seed = int(seed)
    return seed if 0 <= seed < 2**32 else int(np.random.SeedSequence(seed).generate_state(1)[0])
