"""The allocator tuning keeps the month's temporaries in the heap instead of faulting them in anew."""

import os
import subprocess
import sys

import pytest

from sim.model.memory import tune_allocator

LOOP = """
import resource, numpy as np
{tune}
a = np.random.default_rng(0).random(1024)
r = np.random.default_rng(1).integers(1024, size=(1024, 100))
x = a[r] * 2; del x  # first touch, untimed
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    x, y = a[r] * 2.0, a[r] + 1.0  # two 800 KB temporaries, freed each round
    del x, y
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(tune: bool) -> int:
    code = LOOP.format(tune="from sim.model.memory import tune_allocator; assert tune_allocator()" if tune else "")
    return int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


@pytest.mark.skipif(not tune_allocator(), reason="not glibc: nothing to tune")
def test_tuned_temporaries_are_reused_not_faulted_in_again():
    untuned, tuned = page_faults(False), page_faults(True)
    assert untuned > 5_000  # ~400 pages per round: what this guards against is really there
    assert tuned < untuned / 10


def test_tuning_is_done_once_and_says_whether_it_took():
    assert tune_allocator() is tune_allocator()


def test_sim_keep_malloc_leaves_the_allocator_alone():
    code = "from sim.model.memory import tune_allocator; print(tune_allocator())"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env={**os.environ, "SIM_KEEP_MALLOC": "1"}).stdout
    assert out.strip() == "False"
