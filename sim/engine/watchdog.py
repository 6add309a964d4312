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
    parent is (a new parent id: re-parented after its parent died)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                os.kill(driver, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # alive, owned by someone else
                pass
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="sim-driver-watch", daemon=True).start()
