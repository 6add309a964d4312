"""A worker's watch on its driver (issue #33 item 3): a dead driver nobody reaped counts as dead."""

import os
import subprocess
import sys
import time

import pytest

from sim.engine.watchdog import driver_alive


def test_a_running_process_is_alive():
    assert driver_alive(os.getpid())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_zombie_driver_is_dead_though_kill_0_still_finds_it():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # until it has exited; it is not reaped, so it stays a zombie
            with open(f"/proc/{child.pid}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    break
            time.sleep(0.05)
        os.kill(child.pid, 0)  # the signal test alone would call it alive
        assert not driver_alive(child.pid)
    finally:
        child.wait()
    assert not driver_alive(child.pid)  # reaped: gone altogether
