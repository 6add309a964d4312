"""Hostile inputs, by class (docs/reliability.md): each is refused before the work, with exit 2
and a located message, never a crash, a hang or a write outside the output root."""

import os
import subprocess
import sys

import pytest

from sim.cli import main
from sim.conditions import ConditionError, parse_condition
from sim.outcomes import OutcomeError, parse_outcome
from sim.results_io import safe_name
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
    from sim.results_io import remove_stale_staging

    assert remove_stale_staging(tmp_path) == [stale] and not stale.exists()


def test_error_messages_quote_long_bad_values_cut_short(capsys):
    assert main(["validate", str(ROOT / "scenarios" / "baseline.yaml")]) == 0
    capsys.readouterr()
    assert main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--set",
                 "parameters.agent.inertia=" + "x" * 50_000, "--replicates", "2"]) == 2
    err = capsys.readouterr().err
    assert len(err) < 400 and "(50002 characters)" in err
