"""Where chunks run: in this process, in a local pool of processes, or on a Dask cluster.

Every task is a pure function of its arguments (a chunk of replicates, a block of design
points), and every backend yields the results in task order, never arrival order, so the
caller folds them in chunk-index order and the outputs are bit-identical whatever the backend
or the number of workers. Workers of the local backends watch the driver and exit when it
dies, so a killed ``sim`` leaves no process behind.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol
from urllib.parse import urlsplit

from sim.engine.watchdog import watch_driver
from sim.errors import EnvironmentFailure, InputError, Problem
from sim.interrupts import raise_if_interrupted

BACKENDS = ("serial", "processes", "dask")
RESULT_POLL = 0.2  # seconds between looks for a recorded termination signal while a worker computes
ABORT_GRACE = 15.0  # seconds an interrupted pool may take to finish its running chunks
CONNECT_TIMEOUT = 20.0  # seconds a Dask scheduler may take to answer a new client


class Executor(Protocol):
    """Runs ``function(*task)`` for each task and yields the results in task order."""

    workers: int

    def map(self, function: Callable, tasks: Iterable[tuple], *, units: Callable[[tuple], int] | None = None,
            on_step: Callable[[int], None] | None = None) -> Iterator: ...

    def close(self, abort: bool = False) -> None: ...


class _Closing:
    """Executors are context managers: leaving the block stops the workers; ``abort`` says it
    was left by an exception (an interrupt, a failed chunk)."""

    def close(self, abort: bool = False) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(abort=exc_type is not None)


class SerialExecutor(_Closing):
    """This process, one task after another (the default). ``on_step`` is handed to the
    function, which reports its progress month by month."""

    workers = 1

    def map(self, function: Callable, tasks: Iterable[tuple], *, units: Callable[[tuple], int] | None = None,
            on_step: Callable[[int], None] | None = None) -> Iterator:
        for task in tasks:
            raise_if_interrupted()  # between chunks: a signal whose KeyboardInterrupt was lost stops here
            yield function(*task, on_step=on_step) if on_step else function(*task)


class _Windowed(_Closing):
    """Submits tasks a few ahead of the one being folded, and yields them in order; progress is
    reported as each task completes (``units(task)`` work units)."""

    workers: int

    def submit(self, function: Callable, task: tuple):  # -> a future with add_done_callback and result()
        raise NotImplementedError

    def map(self, function: Callable, tasks: Iterable[tuple], *, units: Callable[[tuple], int] | None = None,
            on_step: Callable[[int], None] | None = None) -> Iterator:
        window: deque = deque()
        try:
            for task in tasks:
                try:
                    future = self.submit(function, task)
                except Exception as exc:  # the pool broke before this task: a worker died starting or idle
                    failure = _worker_failure(exc)
                    if failure is None:
                        raise
                    raise failure from None
                if on_step and units:
                    done = units(task)
                    future.add_done_callback(lambda f, n=done: None if f.cancelled() else on_step(n))
                window.append(future)
                if len(window) >= 2 * self.workers:  # bounded memory: a few chunks in flight
                    raise_if_interrupted()
                    yield self.result(window.popleft())
            while window:
                raise_if_interrupted()
                yield self.result(window.popleft())
        finally:
            for future in window:
                future.cancel()

    def result(self, future):
        """The task's result; its own exception if it raised one; an EnvironmentFailure when the
        worker running it died (killed, out of memory)."""
        try:
            while True:  # wait in short slices: the signal handler only records, so look for it here
                raise_if_interrupted()
                try:
                    return future.result(timeout=RESULT_POLL)
                except TimeoutError:
                    if future.done():  # it finished as our wait ran out (a race), or raised TimeoutError itself:
                        return future.result(timeout=RESULT_POLL)  # its result, or its own exception
        except Exception as exc:
            failure = _worker_failure(exc)
            if failure is not None:
                raise failure from None
            raise


def _worker_failure(exc: Exception):
    """The EnvironmentFailure to report when ``exc`` says a worker process died, else None."""
    # Dask's KilledWorker is matched by name: distributed is an optional extra
    if isinstance(exc, BrokenProcessPool) or type(exc).__name__ == "KilledWorker":
        return EnvironmentFailure(f"a worker process died while running a chunk ({type(exc).__name__}: the "
                                  "machine may be out of memory); nothing was written")
    return None


class ProcessExecutor(_Windowed):
    """A local pool of ``workers`` spawned processes (no state inherited by fork)."""

    def __init__(self, workers: int):
        import multiprocessing

        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=start_worker, initargs=(os.getpid(),))
        for _ in range(workers):  # start every worker now: their imports overlap the caller's preparation
            self.pool.submit(int)

    def submit(self, function: Callable, task: tuple):
        return self.pool.submit(function, *task)

    def close(self, abort: bool = False) -> None:
        """Stop the workers. After an interrupt the running chunks are let finish (workers ignore
        SIGINT, so none dies half-way through sending a result, which would leave the pool's
        reader waiting forever); past a grace period they are killed and the process exits."""
        if abort:
            processes = list(getattr(self.pool, "_processes", {}).values())

            def kill() -> None:
                for process in processes:
                    if process.is_alive():
                        process.kill()
                os._exit(130)

            timer = threading.Timer(ABORT_GRACE, kill)
            timer.daemon = True
            timer.start()
            self.pool.shutdown(wait=True, cancel_futures=True)
            timer.cancel()
            return
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(_Windowed):
    """Dask distributed: a LocalCluster of ``workers`` processes bound to 127.0.0.1 (its
    dashboard too), or an existing cluster at ``scheduler`` (``tcp://host:port``)."""

    def __init__(self, workers: int, scheduler: str | object | None = None):
        import logging

        import dask
        from distributed import Client, LocalCluster  # deferred: Dask is an optional extra

        # Two Dask defaults slow the model's many mid-sized NumPy temporaries down 2-3x: the
        # statistical profiler (a stack sample every 10 ms) and MALLOC_TRIM_THRESHOLD_=65536, which
        # freezes glibc's adaptive thresholds so every temporary is fresh memory from the kernel.
        # Set for the workers this cluster starts only, not for the caller's own Dask work.
        environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        self.cluster = None
        self.owns_client = not is_dask_client(scheduler)  # a caller's own Client stays open after us
        if is_dask_client(scheduler):
            self.client = scheduler
            self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        elif scheduler:
            self.client = connect_to_scheduler(scheduler)
            try:
                self.client.wait_for_workers(1, timeout=10)
            except TimeoutError:
                self.client.close()
                raise EnvironmentFailure(f"the Dask cluster at {scheduler} has no workers (waited 10 s); "
                                         "nothing was written") from None
            self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        else:
            with dask.config.set({"distributed.worker.profile.enabled": False,
                                  "distributed.nanny.pre-spawn-environ": environ}):
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                            silence_logs=logging.CRITICAL)
            self.client = Client(self.cluster)
            from sim.engine.dask_plugins import WorkerWatch  # deferred: it imports distributed

            # the nannies live in this process; only the worker processes watch it
            self.client.register_plugin(WorkerWatch(os.getpid()))
            self.workers = workers

    @property
    def dashboard(self) -> str | None:
        """The local cluster's dashboard address (None for an existing cluster: it has its own)."""
        return self.client.dashboard_link if self.cluster is not None else None

    def submit(self, function: Callable, task: tuple):
        return self.client.submit(function, *task, pure=False)

    def close(self, abort: bool = False) -> None:
        if self.owns_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class LazyExecutor(_Closing):
    """Starts the real executor on first use, so bad input is refused before any process or
    cluster starts; ``workers`` is the requested count (it sizes the chunks)."""

    def __init__(self, backend: str | None, workers: int, scheduler: str | object | None = None,
                 on_start: Callable[[Executor], None] | None = None):
        self.backend, self.requested, self.scheduler = backend, workers, scheduler
        self.on_start = on_start  # e.g. to print where the Dask dashboard is
        self.started: Executor | None = None

    @property
    def workers(self) -> int:
        """The requested count; an existing cluster is asked (so chunks are sized for it)."""
        if self.scheduler:
            return self.start().workers
        return self.requested

    def start(self) -> Executor:
        if self.started is None:
            self.started = make_executor(self.backend, self.requested, self.scheduler)
            if self.on_start:
                self.on_start(self.started)
        return self.started

    def map(self, function: Callable, tasks: Iterable[tuple], *, units: Callable[[tuple], int] | None = None,
            on_step: Callable[[int], None] | None = None) -> Iterator:
        return self.start().map(function, tasks, units=units, on_step=on_step)

    def close(self, abort: bool = False) -> None:
        if self.started is not None:
            self.started.close(abort)


def checked_executor(backend: str | None, workers: int, scheduler: str | object | None,
                     label: Callable[[str], str] = lambda name: name,
                     on_start: Callable[[Executor], None] | None = None) -> LazyExecutor:
    """An executor for these settings, refused (InputError naming each setting by ``label``, e.g.
    ``--workers``) when they contradict each other; started on first use."""
    if backend is not None and backend not in BACKENDS:
        raise InputError([Problem.about(f"{label('backend')} {backend}", f"unknown backend; expected one of "
                                  f"{', '.join(BACKENDS)}")])
    if scheduler is not None and workers > 1:
        raise InputError([Problem.about(f"{label('workers')} {workers}", f"with {label('scheduler')} the cluster's "
                                  "own workers do the work; the worker count is for local workers (drop one)")])
    if scheduler is not None and backend not in (None, "dask"):
        raise InputError([Problem.about(f"{label('scheduler')} {scheduler}", f"a scheduler is a Dask cluster; "
                                  f"backend {backend} cannot use it (drop it or use the dask backend)")])
    if backend == "serial" and workers > 1:
        raise InputError([Problem.about(f"{label('workers')} {workers}", "the serial backend has one worker; "
                                  "use the processes or dask backend for more")])
    cpus = os.cpu_count() or 1
    if workers > cpus and scheduler is None:
        raise InputError([Problem.about(f"{label('workers')} {workers}", f"this machine has {cpus} CPUs; more local "
                                  "workers than that only compete for them (use a scheduler for a cluster)")])
    if (backend == "dask" or scheduler) and importlib.util.find_spec("distributed") is None:
        raise InputError([Problem.about(f"{label('backend')} dask", "needs Dask: pip install 'sahel-sim[dask]'")])
    if scheduler is not None and not isinstance(scheduler, str) and not is_dask_client(scheduler):
        raise InputError([Problem.about(f"{label('scheduler')} {scheduler!r}"[:120], "expected a scheduler address "
                                  "tcp://HOST:PORT or a distributed.Client")])
    if isinstance(scheduler, str) and not _scheduler_address(scheduler):
        raise InputError([Problem.about(f"{label('scheduler')} {scheduler}", "expected a scheduler address "
                                  "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (port 1-65535)")])
    return LazyExecutor(backend, workers, scheduler, on_start)


def executor_description(executor: Executor | None) -> dict:
    """Where a run's chunks ran, for its manifest: backend, worker count and scheduler (if any)."""
    if executor is None:
        return {"backend": "serial", "workers": 1}
    if isinstance(executor, LazyExecutor):
        scheduler = executor.scheduler
        backend = executor.backend or ("dask" if scheduler is not None else
                                       "processes" if executor.requested > 1 else "serial")
        out = {"backend": backend, "workers": executor.requested}
        if scheduler is not None:
            out["scheduler"] = scheduler if isinstance(scheduler, str) else "a distributed.Client given by the caller"
        return out
    name = type(executor).__name__.removesuffix("Executor").lower()
    return {"backend": name, "workers": getattr(executor, "workers", 1)}


def is_dask_client(value: object) -> bool:
    """A ``distributed.Client`` (checked by its class, so Dask is imported only when one is given)."""
    return any(cls.__name__ == "Client" and cls.__module__.startswith("distributed") for cls in type(value).__mro__)


def _scheduler_address(text: str) -> bool:
    """``tcp://host:port`` with a port in 1..65535 (TLS needs security settings, not supported here),
    and a host name DNS can carry (labels of at most 63 characters, 253 in all)."""
    try:
        parts = urlsplit(text)
        port = parts.port
        if parts.hostname:
            parts.hostname.encode("idna")  # the resolver's own check: a label too long fails here
    except (ValueError, UnicodeError):
        return False
    return parts.scheme == "tcp" and bool(parts.hostname) and port is not None and 0 < port < 65536 \
        and parts.path in ("", "/")


def connect_to_scheduler(address: str, timeout: float | None = None) -> object:
    """A ``distributed.Client`` of the scheduler at ``address``, or EnvironmentFailure (exit 1).

    Dask's own connect timeout covers opening the socket, not the handshake after it: a server
    that accepts and never answers (a web server, a firewall's tarpit) held ``Client`` for good,
    and one that answers something else than Dask's protocol was read as a huge message and
    reported as "out of memory". So the client is made in a thread this one waits for, looking
    for a recorded signal meanwhile, and anything it raises is reported as what it is.
    """
    from distributed import Client  # deferred: Dask is an optional extra

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    outcome: dict = {}
    handover = threading.Lock()  # the client goes to the caller, or is closed if the caller gave up

    def connect() -> None:
        try:
            client = Client(address, timeout=f"{timeout}s")
        except BaseException as exc:  # handed to the waiting thread, which reports it
            outcome["error"] = exc
            return
        with handover:
            if outcome.get("gave_up"):
                client.close()  # too late: nobody would use or close it (a notebook would keep it open)
            else:
                outcome["client"] = client

    thread = threading.Thread(target=connect, name="sim-dask-connect", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        raise_if_interrupted()
        thread.join(RESULT_POLL)
    with handover:
        if "client" in outcome:
            return outcome["client"]
        outcome["gave_up"] = True
    error = outcome.get("error")
    why = f"{type(error).__name__}: {str(error)[:200]}" if error is not None else f"no answer in {timeout:g} s"
    raise EnvironmentFailure(f"could not use the Dask scheduler at {address} ({why}); is a Dask scheduler "
                             "listening there? nothing was written")


def make_executor(backend: str | None = None, workers: int = 1, scheduler: str | object | None = None) -> Executor:
    """The executor for ``backend`` (default: serial for one worker, processes for more; dask
    when a scheduler is given)."""
    backend = backend or ("dask" if scheduler else "processes" if workers > 1 else "serial")
    if backend == "serial":
        return SerialExecutor()
    if backend == "processes":
        return ProcessExecutor(workers)
    if backend == "dask":
        return DaskExecutor(workers, scheduler)
    raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")


def start_worker(driver: int) -> None:
    """A local worker's start: watch the driver, and import the model while the driver prepares
    the first tasks (Mesa's import is the slowest part of a first chunk)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle; it stops us
    watch_driver(driver)
    # deferred: the model's import (Numba, Mesa) is the slow part this warm-up overlaps
    import sim.model.model  # noqa: F401
    from sim.model.memory import tune_allocator
    from sim.scenario.catalogue import load_catalogue

    tune_allocator()
    load_catalogue()
    _load_kernels()


def _load_kernels() -> None:
    """Load the model's compiled kernels from their cache (about 0.5 s) before the first task
    needs them, by stepping a two-replicate baseline once. Best effort: a worker without the
    scenario library, or with nothing cached yet, loads or compiles them in its first task."""
    try:
        from sim.model.model import InfluenceModel  # deferred: see start_worker

        InfluenceModel("baseline", n_replicates=2, seed=0, collect=False).step()
    except Exception:  # a warm-up only: the task itself reports any real problem
        pass


