"""Issue #32: a command refuses bad input by raising ``InputError``; the dispatcher prints each problem
as one ``where: message`` line (no made-up ``1:1``) and exits 2. Nothing here runs the model."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from sim.cli.dispatch import main

ROOT = Path(__file__).resolve().parents[2]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")


def _refused(capsys, argv: list[str]) -> str:
    """The one stderr line of a refused command (exit 2, nothing on stdout)."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("argv", "line"), [
    (["levers", "--actor", "marocco"], "--actor: unknown actor 'marocco' (did you mean 'morocco'?)"),
    (["levers", "--outcome", "mean(influence.morocco.mali)"],
     "--outcome mean(influence.morocco.mali): --outcome ranks levers in a lever-response run; add --response"),
    (["levers", "--response", "--replicates", "1"], "--replicates 1: expected at least 2"),
    (["run", BASELINE, "--trajectories", "many"], "--trajectories: 'many' is not a number or 'all'"),
    (["run", BASELINE, "--trajectories", "-1"], "--trajectories: '-1' is not a number or 'all'"),
    (["compare", BASELINE, BASELINE, BASELINE, "--window", "2024-01..2024-06"],
     "compare: --window and --threshold apply to one what-if; with several options give --outcome"),
    (["explain", BASELINE, "--outcome", "mean(influence.russia.mali)"],
     "--outcome mean(influence.russia.mali): explain takes a series at the end of the run, e.g. "
     "influence.russia.mali"),
])
def test_a_bad_option_is_one_line_naming_the_option(capsys, argv, line):
    assert _refused(capsys, argv) == line


def test_run_folders_and_scenarios_are_not_mixed(capsys, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _refused(capsys, ["compare", BASELINE, str(tmp_path / "a")]) == \
        "compare: give two scenario files or two run folders, not one of each"
    assert _refused(capsys, ["compare", BASELINE, str(tmp_path / "a"), BASELINE]) == \
        "compare: several options need scenario files, not run folders"
    assert _refused(capsys, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--outcome",
                             "influence.morocco.mali", "--out", str(tmp_path / "out")]) == \
        "compare: --outcome, --window and --threshold need scenario files, not run folders"
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_one_is_named(capsys, tmp_path):
    missing = tmp_path / "missing"
    assert _refused(capsys, ["scenarios", str(missing)]) == f"{missing}: not a folder of scenarios"
    assert _refused(capsys, ["dashboard", "--folder", str(missing)]) == f"dashboard: --folder {missing}: not a folder"


def test_nothing_to_calibrate_names_the_scenario(capsys, tmp_path):
    scenario = tmp_path / "plain.yaml"
    scenario.write_text("name: plain\nstart: 2022-01\nhorizon: 6\n")
    targets = ROOT / "scenarios" / "targets" / "history_2012_2022.yaml"
    assert _refused(capsys, ["calibrate", str(scenario), "--targets", str(targets)]) == \
        f"{scenario}: nothing to calibrate: the scenario has no uncertainties; name parameters with --params"


def test_a_missing_extra_names_what_to_install(capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    assert _refused(capsys, ["run", BASELINE, "--format", "parquet"]) == \
        "--format parquet: needs pyarrow: pip install 'sahel-sim[parquet]'"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyabc" else real(name, *a))
    line = _refused(capsys, ["calibrate", BASELINE, "--targets", "t.yaml", "--method", "abc"])
    assert line.startswith("sim calibrate --method abc: this needs pyabc: pip install 'sahel-sim[validation]'")


def test_no_command_prints_a_problem_and_returns_2_itself():
    """Bad input leaves a command only as an ``InputError`` (one format, capped by the dispatcher): no
    ``return EXIT_BAD_INPUT`` and no ``print(Problem...)`` in sim/cli, except ``validate --json``, whose
    one JSON document carries the problems."""
    offenders = []
    for path in sorted((ROOT / "sim" / "cli").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Name) \
                    and node.value.id == "EXIT_BAD_INPUT" and path.name != "dispatch.py":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print" and any(
                    isinstance(arg, ast.Call) and getattr(arg.func, "id", getattr(arg.func, "attr", "")) in
                    ("Problem", "about") for arg in node.args):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
