"""Workers that die with their driver: a thread that exits the process when the driver is gone.

Used by the process pool's workers, the Dask cluster's workers (sim.engine.dask_plugins) and the
dashboard server: a SIGKILLed driver cannot clean up, so each child watches for itself. Its own
module, so the executors and the Dask plugins both import it without importing each other.
"""

from __future__ import annotations

import os
import threading
import time


def watch_driver(driver: int, interval: float = 0.5) -> None:
    """In a worker: exit as soon as the driver process ``driver`` is gone, or this process's
    parent is (a new parent id: re-parented after its parent died).

    A killed driver that nobody reaps stays a zombie, which ``kill(pid, 0)`` still finds: its
    state in /proc says it is dead, and its children are re-parented at once.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if not driver_alive(driver) or os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="sim-driver-watch", daemon=True).start()


def driver_alive(pid: int) -> bool:
    """Whether ``pid`` runs: exists, and (where /proc says) is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):  # no /proc (macOS): the signal test above is all there is
        return True
