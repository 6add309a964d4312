"""Every backend gives bit-identical outputs, and no worker outlives its driver."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from sim.analysis.compare import compare_scenarios
from sim.analysis.explain import explain
from sim.analysis.sensitivity import model_evaluator, run_sensitivity
from sim.engine.executors import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from sim.engine.experiments import Factor, evaluate_points, factor_bounds
from sim.engine.runner import run, run_ensemble
from sim.scenario.loader import load_scenario, with_settings
from sim.scenario.outcomes import parse_outcome
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _needs_distributed():
    pytest.importorskip("distributed")  # here, not at the top: collecting the suite does not import it


@pytest.fixture(scope="module")
def short():
    """The baseline over one year: a run above the exact-summary limit stays cheap."""
    return with_settings(load_scenario(ROOT / "scenarios" / "baseline.yaml"), {"horizon": 12})


@pytest.fixture(scope="module")
def backends():
    with ProcessExecutor(2) as processes, DaskExecutor(2) as dask:
        yield {"serial": SerialExecutor(), "processes": processes, "dask": dask}


def _same(results):
    first = results["serial"]
    for name, value in results.items():
        assert np.array_equal(value, first), name


def test_run_streamed_and_whole_are_identical_on_every_backend(short, backends):
    for n in (300, 2_100):  # exact summaries, then histogram summaries folded from partial reductions
        ensembles = {name: run_ensemble(short, n, 7, executor=ex, keep=50, chunk_size=500)
                     for name, ex in backends.items()}
        _same({name: e.summary.stats for name, e in ensembles.items()})
        _same({name: e.summary.positive for name, e in ensembles.items()})
        _same({name: e.kept.values for name, e in ensembles.items()})
    _same({name: run(short, 120, 3, executor=ex).values for name, ex in backends.items()})


def test_sweep_points_are_identical_on_every_backend(short, backends):
    factors = [Factor(name, *factor_bounds(name)) for name in ("influence.adjust_rate", "levers.morocco.investment")]
    points = np.array([[f.low + (f.high - f.low) * i / 9 for f in factors] for i in range(10)])
    outcomes = [parse_outcome("influence.morocco.mali"), parse_outcome("mean(relation.mali.algeria)")]
    _same({name: evaluate_points(short, factors, points, outcomes, replicates_per_point=3, seed=5,
                                 chunk_replicates=6, executor=ex) for name, ex in backends.items()})


def test_sensitivity_indices_are_identical_on_every_backend(short, backends):
    names = ("influence.adjust_rate", "influence.relation_sensitivity")
    factors = [Factor(name, *factor_bounds(name)) for name in names]
    outcomes = [parse_outcome("influence.russia.mali")]
    results = {name: run_sensitivity(factors, ["influence.russia.mali"],
                                     model_evaluator(short, factors, outcomes, 3, executor=ex), "morris", 4, 3)
               for name, ex in backends.items()}
    _same({name: np.array([r.indices[0]["mu_star"], r.indices[0]["sigma"]]) for name, r in results.items()})


def test_second_order_sobol_is_identical_on_every_backend(short, backends):
    """The second-order analysis runs its index tasks on the workers; every index must equal
    SALib's own serial analysis (the serial executor calls it directly)."""
    factors = [Factor(name, *factor_bounds(name)) for name in ("influence.adjust_rate", "agent.inertia",
                                                               "relation.balance_rate")]
    outcomes = [parse_outcome("influence.russia.mali")]
    results = {name: run_sensitivity(factors, ["influence.russia.mali"],
                                     model_evaluator(short, factors, outcomes, 3, executor=ex), "sobol", 8, 3,
                                     second_order=True, executor=ex)
               for name, ex in backends.items()}
    for key in ("S1", "S1_conf", "ST", "ST_conf", "S2", "S2_conf"):
        _same({name: np.nan_to_num(r.indices[0][key], nan=-9.0) for name, r in results.items()})
    assert np.isfinite(results["processes"].indices[0]["S2"][0, 1])


def test_compare_and_explain_are_identical_on_every_backend(short, backends):
    whatif = with_settings(short, {"name": "push", "levers.morocco.investment": 1.0})
    comparisons = {name: compare_scenarios(short, whatif, 60, 2, chunk_size=25, executor=ex)
                   for name, ex in backends.items()}
    _same({name: c.difference.stats for name, c in comparisons.items()})
    key = ("influence", "morocco", "mali")
    explained = {name: np.array([c.mean for c in explain(whatif, [key], against=short, n_replicates=30, seed=2,
                                                         executor=ex, chunk_size=10)])
                 for name, ex in backends.items()}
    _same(explained)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="expected one of serial, processes, dask"):
        make_executor("threads", 2)


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_a_killed_driver_leaves_no_worker_behind(tmp_path, backend):
    """Even when nobody reaps the driver (issue #33 item 3). Here the workers are the driver's own
    children, re-parented when it dies, which their watch sees; a watched process that is not the
    parent needs the zombie check, which tests/engine/test_watchdog.py runs on a real zombie."""
    driver = subprocess.Popen([sys.executable, "-m", "sim.cli", "run", str(ROOT / "scenarios" / "baseline.yaml"),
                               "--replicates", "200000", "--force", "--backend", backend, "--workers", "2",
                               "--out", str(tmp_path / "out")], cwd=tmp_path, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, workers = time.time() + 60, []
    while time.time() < deadline and len(workers) < 2:
        time.sleep(0.5)
        workers = [p for p in _descendants(driver.pid) if _alive(p)]
    assert len(workers) >= 2, "the workers never started"
    time.sleep(2)  # let them take work
    driver.send_signal(signal.SIGKILL)  # and not reaped until the end: the driver stays a zombie
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.5)
    left = [p for p in workers if _alive(p)]
    for pid in left:  # never leave them to the next test, whatever the verdict
        os.kill(pid, signal.SIGKILL)
    assert not _alive(driver.pid) and os.path.exists(f"/proc/{driver.pid}"), "the driver was reaped too early"
    driver.wait()
    assert not left, f"{len(left)} of {len(workers)} worker processes outlived the driver"
    assert not (tmp_path / "out").exists()


def test_progress_is_counted_on_every_backend(short, backends):
    """Serial reports month by month from inside the chunk; the pools report each finished chunk."""
    for name, ex in backends.items():
        done = []
        run_ensemble(short, 90, 1, executor=ex, keep=0, chunk_size=20, on_step=done.append)
        deadline = time.time() + 5  # a pool's last callback may land just after the last result
        while sum(done) < 90 * short.horizon and time.time() < deadline:
            time.sleep(0.05)
        assert sum(done) == 90 * short.horizon, name
        points = []
        factors = [Factor("influence.adjust_rate", *factor_bounds("influence.adjust_rate"))]
        evaluate_points(short, factors, np.linspace(0.05, 0.2, 7)[:, None], [parse_outcome("threat.mali")],
                        chunk_replicates=2, executor=ex, on_chunk=points.append)
        deadline = time.time() + 5
        while sum(points) < 7 and time.time() < deadline:
            time.sleep(0.05)
        assert sum(points) == 7, name


def test_process_workers_start_with_the_pool_not_at_the_first_task():
    """Their imports then overlap the caller's own preparation (a Sobol' design, a first chunk)."""
    with ProcessExecutor(2) as executor:
        assert len(executor.pool._processes) == 2


def test_a_worker_that_dies_before_any_task_is_an_environment_failure():
    from sim.errors import EnvironmentFailure

    with ProcessExecutor(1) as executor:
        for process in list(executor.pool._processes.values()):
            process.kill()
            process.join(10)
        deadline = time.monotonic() + 10
        while not executor.pool._broken and time.monotonic() < deadline:  # the pool notices in its own thread
            time.sleep(0.05)
        with pytest.raises(EnvironmentFailure, match="worker process died"):
            list(executor.map(int, [("1",)]))


def test_a_callers_own_dask_client_is_accepted_and_left_open():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    import sim

    serial = sim.simulate("baseline", n_replicates=6, seed=4, chunk_size=3)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_cluster = sim.simulate("baseline", n_replicates=6, seed=4, chunk_size=3, scheduler=client)
        assert client.status == "running", "the caller's client is still theirs to close"
    assert np.array_equal(serial.trajectories.values, on_cluster.trajectories.values)


@pytest.mark.parametrize(("backend", "workers", "scheduler", "said"), [
    (None, 2, "tcp://10.0.0.5:8786", "cluster's own workers"),
    ("processes", 1, "tcp://10.0.0.5:8786", "backend processes cannot use it"),
    (None, 1, 8786, "or a distributed.Client"),
    (None, 1, f"tcp://{'a' * 300}:8786", "expected a scheduler address"),  # a label DNS cannot carry
])
def test_backend_settings_that_contradict_each_other_are_refused(backend, workers, scheduler, said):
    from sim.engine.executors import checked_executor
    from sim.errors import InputError

    with pytest.raises(InputError, match=said):
        checked_executor(backend, workers, scheduler, lambda name: f"--{name}")


def test_the_run_manifest_records_where_the_chunks_ran(tmp_path):
    import json

    from sim.cli import main

    assert main(["run", "baseline", "--replicates", "4", "--set", "horizon=6", "--workers", "2",
                 "--out", str(tmp_path / "run")]) == 0
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["executor"] == {"backend": "processes", "workers": 2}


@pytest.mark.parametrize("answer", [None, b"HTTP/1.0 400 Bad Request\r\n\r\n"], ids=["silent", "a web server"])
def test_a_server_that_is_not_a_dask_scheduler_is_reported_not_waited_for(answer, tmp_path, monkeypatch, capsys):
    """Issue #33: a server that never answers held the client for good; one that answers in
    another protocol was reported as "out of memory". Both are the machine's problem: exit 1."""
    import socket
    import threading

    from sim.engine.executors import connect_to_scheduler
    from sim.errors import EnvironmentFailure

    server = socket.create_server(("127.0.0.1", 0))
    port, held = server.getsockname()[1], []

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            held.append(connection)  # kept open, never closed by us: a server that hangs on
            if answer:
                connection.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        with pytest.raises(EnvironmentFailure, match=f"could not use the Dask scheduler at tcp://127.0.0.1:{port}"):
            connect_to_scheduler(f"tcp://127.0.0.1:{port}", timeout=2.0)
        import sim.engine.executors
        from sim.cli import main

        monkeypatch.setattr(sim.engine.executors, "CONNECT_TIMEOUT", 2.0)
        capsys.readouterr()
        out = tmp_path / "run"
        assert main(["run", "baseline", "--replicates", "2", "--scheduler", f"tcp://127.0.0.1:{port}",
                     "--out", str(out)]) == 1
        err = capsys.readouterr().err
        assert "could not use the Dask scheduler" in err and "out of memory" not in err and not out.exists()
    finally:
        server.close()
        for connection in held:
            connection.close()
