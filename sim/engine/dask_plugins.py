"""Dask plugins of the local cluster (imported only when the dask backend is used).

Every nanny and worker of a LocalCluster started by ``sim`` watches the driver process and
exits when it is gone, so a killed driver leaves no Dask processes behind.
"""

from __future__ import annotations

from distributed.diagnostics.plugin import NannyPlugin, WorkerPlugin

from sim.engine.executors import watch_driver


class WorkerWatch(WorkerPlugin):
    name = "sim-driver-watch-worker"

    def __init__(self, driver: int):
        self.driver = driver

    def setup(self, worker: object) -> None:
        watch_driver(self.driver)


class NannyWatch(NannyPlugin):
    name = "sim-driver-watch-nanny"

    def __init__(self, driver: int):
        self.driver = driver

    def setup(self, nanny: object) -> None:
        watch_driver(self.driver)
