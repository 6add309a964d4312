"""Dask plugins of the local cluster (imported only when the dask backend is used).

Every worker process of a LocalCluster started by ``sim`` watches the driver and exits when
it is gone (the nannies run inside the driver), and leaves Ctrl-C to the driver.
"""

from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

from sim.engine.watchdog import watch_driver


class WorkerWatch(WorkerPlugin):
    name = "sim-driver-watch-worker"

    def __init__(self, driver: int):
        self.driver = driver

    def setup(self, worker: object) -> None:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C and stops us
        watch_driver(self.driver)
