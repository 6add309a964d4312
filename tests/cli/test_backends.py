"""--workers, --backend and --scheduler on the command line."""

import pytest

from sim.cli.dispatch import main
from tests.conftest import ROOT

BASELINE = str(ROOT / "scenarios" / "baseline.yaml")


def test_run_with_two_workers_writes_the_serial_files(tmp_path):
    args = ["run", BASELINE, "--replicates", "40", "--set", "horizon=12", "--trajectories", "all"]
    assert main([*args, "--out", str(tmp_path / "serial")]) == 0
    assert main([*args, "--workers", "2", "--out", str(tmp_path / "pool")]) == 0
    for name in ("summary.csv", "trajectories.csv"):
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes(), name


@pytest.mark.parametrize(("flags", "message"), [
    (["--backend", "serial", "--workers", "2"], "--workers 2: the serial backend has one worker"),
    (["--scheduler", "tcp://127.0.0.1:1", "--backend", "processes"], "cannot use it"),
    (["--scheduler", "127.0.0.1:8786"], "expected a scheduler address tcp://HOST:PORT"),
    (["--scheduler", "tcp://"], "expected a scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:99999"], "expected a scheduler address"),
    (["--scheduler", "inproc://foo"], "expected a scheduler address"),
    (["--scheduler", "tls://127.0.0.1:9"], "expected a scheduler address"),
    (["--scheduler", ""], "expected a scheduler address"),
    (["--workers", "0"], "0 must be at least 1"),
    (["--backend", "threads"], "invalid choice"),
])
def test_bad_backend_flags_are_refused_before_any_work(tmp_path, capsys, flags, message):
    assert main(["run", BASELINE, "--replicates", "4", "--out", str(tmp_path / "x"), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_an_unreachable_scheduler_is_an_environment_failure(tmp_path, capsys):
    pytest.importorskip("distributed")
    code = main(["run", BASELINE, "--replicates", "4", "--set", "horizon=3", "--scheduler", "tcp://127.0.0.1:9",
                 "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "tcp://127.0.0.1:9" in err, err
    assert not (tmp_path / "x").exists()


def test_the_api_takes_the_same_backends():
    import numpy as np

    import sim

    serial = sim.simulate("baseline", n_replicates=30, seed=4)
    pool = sim.simulate("baseline", n_replicates=30, seed=4, workers=2)
    assert np.array_equal(serial.trajectories.values, pool.trajectories.values)
    with pytest.raises(sim.InputError, match="simulate: workers 2: the serial backend has one worker"):
        sim.simulate("baseline", n_replicates=3, workers=2, backend="serial")
    with pytest.raises(sim.InputError, match="unknown backend"):
        sim.evaluate("baseline", {"parameters.influence.adjust_rate": [0.1]}, ["threat.mali"], backend="threads")


def test_more_local_workers_than_cpus_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert main(["run", BASELINE, "--replicates", "4", "--workers", "1000", "--out", str(tmp_path / "x")]) == 2
    assert "this machine has 2 CPUs" in capsys.readouterr().err


def test_errors_raised_in_a_worker_arrive_whole():
    import pickle

    from sim.errors import InputError, Problem
    from sim.scenario.outcomes import OutcomeError

    error = pickle.loads(pickle.dumps(OutcomeError("unknown actor 'x'", 7)))
    assert (str(error), error.offset) == ("unknown actor 'x'", 7)
    problems = pickle.loads(pickle.dumps(InputError([Problem("f.yaml", 2, 3, "bad")]))).problems
    assert [str(p) for p in problems] == ["f.yaml:2:3: bad"]


def dies(*args, **kwargs):
    """A chunk whose worker is killed, as the out-of-memory killer would."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_mid_run_is_one_line(tmp_path, capsys, monkeypatch):
    """A dead worker is an environment failure on one line, and nothing is written."""
    import sim.engine.runner as runner

    monkeypatch.setattr(runner, "reduce_chunk", dies)
    assert main(["run", BASELINE, "--replicates", "8", "--set", "horizon=3", "--workers", "2",
                 "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "a worker process died" in err and err.count("\n") == 1, err
    assert not (tmp_path / "x").exists()
