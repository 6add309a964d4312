"""Hostile inputs, by class (docs/reliability.md): each is refused before the work, with exit 2
and a located message, never a crash, a hang or a write outside the output root."""

import os
import subprocess
import sys

import pytest

from sim.cli.dispatch import main
from sim.io.run_folders import safe_name
from sim.scenario.conditions import ConditionError, parse_condition
from sim.scenario.outcomes import OutcomeError, parse_outcome
from tests.conftest import MINIMAL, ROOT

HEAD = MINIMAL.lstrip("\n")


def validate_in_subprocess(path) -> subprocess.CompletedProcess:
    """A crash (SIGSEGV) would kill the test process itself; run the CLI apart."""
    return subprocess.run([sys.executable, "-m", "sim", "validate", str(path)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


@pytest.mark.parametrize("body", [
    "parameters: " + "[" * 30_000 + "]" * 30_000,  # flow nesting that crashed libyaml's composer
    "levels:\n" + "- " * 30_000 + "x",  # block nesting on one line
])
def test_deep_nesting_is_refused_before_parsing(tmp_path, body):
    path = tmp_path / "deep.yaml"
    path.write_text(HEAD + body + "\n")
    done = validate_in_subprocess(path)
    assert done.returncode == 2, done.stderr[-500:]
    assert "nested deeper" in done.stderr or "indentation deeper" in done.stderr
    assert "Traceback" not in done.stderr


def test_non_regular_files_are_refused_without_reading(tmp_path, capsys):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert main(["validate", str(fifo), "/dev/zero"]) == 2  # would block / never end if read
    err = capsys.readouterr().err
    assert err.count("not a regular file") == 2


def test_oversized_file_is_refused_by_its_size(tmp_path, capsys):
    path = tmp_path / "big.yaml"
    path.write_text(HEAD + "description: " + "x" * 1_100_000 + "\n")
    assert main(["validate", str(path)]) == 2
    assert "more than the 1000000 allowed" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["(" * 5_000 + "step > 1" + ")" * 5_000, "(" * 35 + "step > 1" + ")" * 35,
                                  " and ".join(["step > 1"] * 400)])
def test_long_or_deep_expressions_are_refused_not_recursed(text):
    with pytest.raises(ConditionError):
        parse_condition(text, lambda path: None)
    with pytest.raises(OutcomeError):
        parse_outcome(text.replace("step > 1", "influence.russia.mali").replace(" and ", " + "))


def test_validate_and_run_agree_on_an_expression_limit(tmp_path, capsys):
    path = tmp_path / "chain.yaml"
    chain = " and ".join(["step > 1"] * 200)
    path.write_text(HEAD + f"triggers:\n  - {{id: t, when: \"{chain}\", add: {{relation.mali.morocco: 0.1}}, "
                           "assumption: a}\n")
    assert main(["validate", str(path)]) == 2
    assert main(["run", str(path), "--replicates", "2", "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_a_hostile_set_value_is_text_not_parsed_yaml(capsys):
    assert main(["validate", str(ROOT / "scenarios" / "baseline.yaml")]) == 0
    code = main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--set",
                 "parameters.agent.inertia=" + "[" * 50_000, "--replicates", "2"])
    assert code == 2 and "is not a number" in capsys.readouterr().err


def test_scenario_names_cannot_escape_the_output_root(tmp_path, capsys):
    path = tmp_path / "escape.yaml"
    path.write_text(HEAD.replace("name: minimal", 'name: "../../../../tmp/x"'))
    assert main(["validate", str(path)]) == 2
    assert "it names output folders" in capsys.readouterr().err
    for hostile in ("../../etc", "..", "a/b", "/abs", "x" * 500, ""):
        name = safe_name(hostile)
        assert "/" not in name and ".." not in name and 0 < len(name) <= 80


def test_a_truncated_trajectories_csv_is_refused_not_filled_with_garbage(tmp_path, capsys):
    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        assert main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--replicates", "3", "--set", "horizon=3",
                     "--out", str(folder)]) == 0
        folders.append(folder)
    csv_path = folders[1] / "trajectories.csv"
    lines = csv_path.read_text().splitlines()
    csv_path.write_text("\n".join(lines[: len(lines) // 2]) + "\n")  # cut at a row boundary
    capsys.readouterr()
    assert main(["compare", str(folders[0]), str(folders[1]), "--out", str(tmp_path / "cmp")]) == 2
    assert "incomplete trajectories" in capsys.readouterr().err
    csv_path.write_text("\n".join(lines[:10]) + "\nbaseline,0,1,2022-")  # cut inside a row
    assert main(["compare", str(folders[0]), str(folders[1]), "--out", str(tmp_path / "cmp")]) == 2
    assert "is the file cut short?" in capsys.readouterr().err
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize("value", ["nan", "-0.1", "inf"])
def test_tolerances_that_would_switch_checks_off_are_refused(value, capsys):
    assert main(["regress", "--rtol", value]) == 2
    assert "expected a finite number >= 0" in capsys.readouterr().err


def test_sigterm_leaves_no_partial_folder_and_stale_ones_are_cleaned(tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.yaml"),
                                "--replicates", "20000", "--out", str(out)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # well into the ensemble (20 000 replicates take far longer), before anything is written
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "interrupted" in err
    assert not out.exists() and not list(tmp_path.glob(".*.partial"))
    stale = tmp_path / ".run.999999999.abc.partial"  # as left by a SIGKILL: no such process
    stale.mkdir()
    from sim.io.run_folders import remove_stale_staging

    assert remove_stale_staging(tmp_path) == [stale] and not stale.exists()


def _interrupted_run(out, signal_number: int, delay: float | None) -> tuple[int, str]:
    """``sim run`` (the console script's path) signalled ``delay`` seconds after it starts (None: never)."""
    import time

    process = subprocess.Popen([sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.yaml"),
                                "--replicates", "100", "--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    if delay is not None:
        time.sleep(delay)
    if delay is not None and process.poll() is None:
        process.send_signal(signal_number)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


def test_an_interrupt_at_any_moment_exits_130_with_nothing_written_or_0_with_the_whole_folder(tmp_path):
    """The handler only records; the run stops at its next check (each month, each chunk, before the
    commit). So whenever the signal lands (imports, compilation, the ensemble, the writing, the last
    100 ms), the answer is 130 and no folder, or 0 and the complete folder, never a traceback or 1.
    The delays are spread over one measured run; which outcome each gets is not asserted."""
    import signal
    import time

    started = time.monotonic()
    code, err = _interrupted_run(tmp_path / "whole", signal.SIGTERM, None)
    assert code == 0, err[-800:]
    span = time.monotonic() - started
    delays = [0.1, 0.3, 0.25 * span, 0.5 * span, 0.8 * span, span - 0.3, span - 0.1, span - 0.03]
    outcomes = []
    for n, delay in enumerate(delays):
        signal_number = (signal.SIGTERM, signal.SIGINT)[n % 2]  # Ctrl-C and a termination, alternately
        out = tmp_path / f"run{n}"
        code, err = _interrupted_run(out, signal_number, max(delay, 0.05))
        where = f"signal {signal_number} at {delay:.2f} s of {span:.2f} s: exit {code}: {err[-600:]}"
        assert "Traceback" not in err and "Error" not in err, where
        if code == 130:
            assert "interrupted" in err and not out.exists(), where
        else:
            assert code == 0 and (out / "manifest.json").is_file() and (out / "summary.csv").is_file(), where
        assert not list(tmp_path.glob(".*.partial")), where
        outcomes.append(code)
    assert 130 in outcomes, "no delay landed inside the run: the test did not test"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed interrupt itself
def test_a_signal_whose_interrupt_a_finaliser_swallowed_still_stops_the_command(tmp_path, monkeypatch, capsys):
    """Python runs a signal handler wherever the main thread is; inside a finaliser (Numba's
    compiler runs many) the KeyboardInterrupt is printed and dropped. Seen in CI: a SIGTERM during
    the first run's compilation let the run finish and write its folder (exit 0)."""
    from sim import interrupts
    from sim.cli.commands import run as run_command

    original = run_command.command

    def command_with_a_lost_signal(args):
        class Finaliser:
            def __del__(self):
                interrupts.interrupt("SIGTERM")

        Finaliser()  # dropped at once: its KeyboardInterrupt goes to sys.unraisablehook, not to us
        return original(args)

    monkeypatch.setattr(run_command, "command", command_with_a_lost_signal)
    out = tmp_path / "run"
    assert main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--replicates", "2", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".*.partial"))
    interrupts.raise_if_interrupted()  # cleared once the command has answered for it


def test_error_messages_quote_long_bad_values_cut_short(capsys):
    assert main(["validate", str(ROOT / "scenarios" / "baseline.yaml")]) == 0
    capsys.readouterr()
    assert main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--set",
                 "parameters.agent.inertia=" + "x" * 50_000, "--replicates", "2"]) == 2
    err = capsys.readouterr().err
    assert len(err) < 400 and "(50002 characters)" in err


# -- class 5: checked before the work; the environment's failures end in exit 1, one line ------------------

BASELINE = str(ROOT / "scenarios" / "baseline.yaml")


@pytest.fixture
def no_run(monkeypatch):
    """Any computation would fail the test: these inputs must be refused before it starts."""
    from sim.cli.commands import calibrate, compare, explain, run, sensitivity, sweep

    def started(*_args, **_kwargs):
        raise AssertionError("the computation started")

    for module, name in ((run, "execute_run"), (compare, "execute_compare"), (explain, "execute_explain"),
                         (sweep, "execute_sweep"), (sensitivity, "execute_sensitivity"),
                         (calibrate, "execute_calibrate")):
        monkeypatch.setattr(module, name, started)


@pytest.mark.parametrize("out, expected", [
    ("a-file/run", "is a file, so nothing can be created under it"),
    ("x" * 300, "300 bytes long; at most 215 allowed"),
    ("y" * 240, "240 bytes long; at most 215 allowed"),  # fits 255, but its staging name would not
    ("exists", "already exists"),
])
def test_an_impossible_out_is_refused_before_the_run(tmp_path, no_run, capsys, out, expected):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "exists").mkdir()
    for command in (["run", BASELINE], ["compare", BASELINE, BASELINE], ["explain", BASELINE],
                    ["sweep", BASELINE, "--vary", "levers.morocco.investment=0:1:2"]):
        assert main([*command, "--out", str(tmp_path / out)]) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err and err.count("\n") == 1


def test_junit_to_a_folder_is_refused_before_the_checks(tmp_path, capsys):
    assert main(["regress", "--junit", str(tmp_path)]) == 2
    assert "is a folder; expected the path of a file" in capsys.readouterr().err


def test_an_unwritable_results_folder_is_an_environment_failure(tmp_path, monkeypatch, no_run, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").write_text("not a folder")
    assert main(["run", BASELINE]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sim run: results/runs:") and "pass --out" in err and err.count("\n") == 1


def test_a_full_disk_mid_write_is_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    import errno

    import sim.io.run_folders

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "run" / "summary.csv"))

    monkeypatch.setattr(sim.io.run_folders, "write_summary", full)
    assert main(["run", BASELINE, "--replicates", "2", "--set", "horizon=2", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "nothing was written" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_manifest_is_located_bad_input(tmp_path, capsys):
    for name in ("a", "b"):
        assert main(["run", BASELINE, "--replicates", "2", "--set", "horizon=2", "--out", str(tmp_path / name)]) == 0
    (tmp_path / "b" / "manifest.json").write_text('{"seed": 1,')
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c")]) == 2
    assert f"{tmp_path / 'b' / 'manifest.json'}:1:" in capsys.readouterr().err


def test_an_outcome_dated_outside_the_run_is_refused_before_it(no_run, capsys):
    assert main(["sweep", BASELINE, "--vary", "levers.morocco.investment=0:1:2",
                 "--outcome", "influence.russia.mali@2040-01"]) == 2
    assert "--outcome influence.russia.mali@2040-01:1:33: 2040-01 is outside the run 2022-01..2027-01" in \
        capsys.readouterr().err


# -- class 6: sizes refused up front with the estimate ------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["run", BASELINE, "--replicates", "10000000000"],
    ["run", BASELINE, "--replicates", "1000000", "--trajectories", "all"],
    ["compare", BASELINE, BASELINE, "--replicates", "100000000"],
    ["sweep", BASELINE, *[a for lever in ("investment", "medical_aid", "scholarships", "mediation")
                          for a in ("--vary", f"levers.morocco.{lever}=0:1:1000")]],
    ["sweep", BASELINE, "--vary", "levers.morocco.investment=0:1", "--design", "lhs", "--points", "100000000"],
    ["sensitivity", BASELINE, "--n", "10000000"],
    ["calibrate", str(ROOT / "scenarios" / "history_2012_2022.yaml"), "--targets",
     str(ROOT / "scenarios" / "targets" / "history_2012_2022.yaml"), "--method", "abc", "--budget", "1000000000"],
])
def test_work_beyond_the_machine_is_refused_with_its_estimate(argv, monkeypatch, no_run, capsys):
    import sim.engine.workload

    monkeypatch.setattr(sim.engine.workload, "available_memory", lambda: 8e9)  # the same verdict on any machine
    monkeypatch.setattr(sim.engine.workload, "free_disk", lambda _path: 5e10)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "would need about" in err and "--force" in err and err.count("\n") == 1


def test_force_lets_big_work_through_and_chunks_are_lazy():
    from sim.engine.runner import chunk_bounds
    from sim.engine.workload import ensemble_workload, refuse_if_too_big

    huge = ensemble_workload(10**10, 60, chunk_size=2000, kept=100)
    refuse_if_too_big(huge, force=True, flag="--replicates")  # no error
    first = next(chunk_bounds(10**12, 2000))  # a list of 5e8 arrays would exhaust memory
    assert first[0] == 0 and len(first) == 2000


# -- class 7: minor ----------------------------------------------------------------------------------------

def test_explain_refuses_a_different_horizon_as_compare_does(no_run, capsys):
    history = str(ROOT / "scenarios" / "history_2012_2022.yaml")
    assert main(["explain", BASELINE, "--against", history]) == 2
    assert "start and horizon must match" in capsys.readouterr().err


def test_sobol_below_a_minimum_n_is_refused_and_summary_gives_intervals(tmp_path, no_run, capsys):
    assert main(["sensitivity", BASELINE, "--n", "1"]) == 2
    assert "fewer than 32 base samples are noise" in capsys.readouterr().err


def test_sensitivity_summary_reports_confidence_intervals(tmp_path, capsys):
    out = tmp_path / "sens"
    assert main(["sensitivity", BASELINE, "--n", "32", "--params", "influence.*", "--out", str(out)]) == 0
    summary = (out / "summary.md").read_text()
    assert "95% confidence" in summary and " ± " in summary


def test_duplicate_vary_and_set_extends_are_refused(no_run, capsys):
    assert main(["sweep", BASELINE, "--vary", "levers.morocco.investment=0:1:2",
                 "--vary", "levers.morocco.investment=0:0.5:2"]) == 2
    assert "is varied twice" in capsys.readouterr().err
    assert main(["run", BASELINE, "--set", "extends=security_pact"]) == 2
    assert "extends cannot be set from the command line" in capsys.readouterr().err


def test_output_folders_follow_the_umask_not_0700(tmp_path):
    from sim.io.run_folders import atomic_folder

    previous = os.umask(0o022)
    try:
        with atomic_folder(tmp_path / "run") as staging:
            (staging / "x").write_text("")
    finally:
        os.umask(previous)
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o755
