import re
import subprocess
import sys

import pytest

from sim.cli.dispatch import main
from tests.conftest import MINIMAL, SCENARIOS

LOCATED = re.compile(r"^.+:\d+:\d+: .+$")


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("content", "expected", "located"),
    [
        (None, "file not found", False),  # a whole file: no line to point at, and no made-up 1:1
        ("name: x\nstart: [2022-01\n", "YAML syntax error", True),
        (MINIMAL + "actors:\n  russsia: {budget: 1}\n", "unknown actor 'russsia' (did you mean 'russia'?)", True),
        (MINIMAL + "seed: many\n", "seed = 'many' is not a whole number", True),
    ],
)
def test_bad_input_exit_2_with_located_message(capsys, tmp_path, content, expected, located, write_scenario):
    path = tmp_path / "missing.yaml" if content is None else write_scenario(content)
    out_dir = tmp_path / "out"
    for command in (["run", str(path), "--out", str(out_dir)], ["validate", str(path)]):
        code, _, err = run_cli(capsys, *command)
        assert code == 2
        lines = err.strip().splitlines()
        if located:
            assert lines and all(LOCATED.match(line) for line in lines), err
        else:
            assert lines and all(line.startswith(f"{path}: ") for line in lines), err
        assert expected in err
        assert "Traceback" not in err
    assert not out_dir.exists()


def test_validate_ok(capsys):
    code, out, _ = run_cli(capsys, "validate", str(SCENARIOS / "baseline.yaml"))
    assert code == 0 and "valid" in out


def test_version(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.startswith("sim ")


def test_run_refuses_existing_out(capsys, tmp_path):
    code, _, err = run_cli(capsys, "run", str(SCENARIOS / "baseline.yaml"), "--out", str(tmp_path))
    assert code == 2 and "already exists" in err


def test_run_end_to_end(capsys, tmp_path):
    out = tmp_path / "r"
    code, stdout, _ = run_cli(capsys, "run", str(SCENARIOS / "baseline.yaml"), "--replicates", "3",
                              "--set", "horizon=4", "--out", str(out))
    assert code == 0
    assert f"run folder: {out}" in stdout
    assert "Influence on Mali" in stdout
    assert (out / "manifest.json").exists()


@pytest.mark.parametrize("argv", [["--help"], ["validate", str(SCENARIOS / "baseline.yaml")]])
def test_light_paths_do_not_import_numpy_mesa_or_matplotlib(argv):
    code = (
        "import sys\nfrom sim.cli.dispatch import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('mesa', 'matplotlib', 'pandas', 'numpy') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_modeller_commands_end_to_end(tmp_path, capsys):
    baseline = str(SCENARIOS / "baseline.yaml")
    assert main(["sweep", baseline, "--vary", "agent.inertia=0.1:0.3:2", "--replicates", "2",
                 "--out", str(tmp_path / "sweep")]) == 0
    assert (tmp_path / "sweep" / "sweep.csv").read_text().count("\n") == 1 + 2 * 2
    assert main(["sensitivity", baseline, "--method", "morris", "--n", "2", "--params", "agent.*",
                 "--out", str(tmp_path / "sens")]) == 0
    assert "parameter" in (tmp_path / "sens" / "indices.csv").read_text()
    assert "Parameters that matter" in (tmp_path / "sens" / "summary.md").read_text()
    assert main(["calibrate", str(SCENARIOS / "history_2012_2022.yaml"), "--targets",
                 str(SCENARIOS / "targets" / "history_2012_2022.yaml"), "--params", "relation.reversion",
                 "--method", "abc", "--budget", "10", "--replicates", "1", "--out", str(tmp_path / "cal")]) == 0
    assert "uncertainties:" in (tmp_path / "cal" / "overlay.yaml").read_text()
    import shutil

    from sim.scenario.loader import load_scenario

    shutil.copytree(SCENARIOS, tmp_path / "scenarios")  # the overlay is valid beside the file it extends
    shutil.copy(tmp_path / "cal" / "overlay.yaml", tmp_path / "scenarios" / "calibrated.yaml")
    overlay = load_scenario(tmp_path / "scenarios" / "calibrated.yaml")
    assert [u.parameter for u in overlay.uncertainties if u.parameter == "relation.reversion"]
    assert "| target |" in (tmp_path / "cal" / "fit_report.md").read_text()
    assert main(["sweep", baseline, "--vary", "agent.inertia=0.9:2"]) == 2
    assert main(["sensitivity", baseline, "--outcome", "influence.russia.mal"]) == 2
    err = capsys.readouterr().err
    assert "must satisfy 0.05 <= LOW < HIGH <= 0.5" in err and "unknown actor 'mal'" in err


def test_run_validate_and_compare_speak_json_and_quiet(tmp_path, capsys):
    """#30 item 8: one JSON document on stdout for scripts; -q says only the result."""
    import json

    assert main(["run", "baseline", "--replicates", "4", "--set", "horizon=6", "--out", str(tmp_path / "r"),
                 "--json"]) == 0
    ran = json.loads(capsys.readouterr().out)
    assert ran["folder"] == str(tmp_path / "r") and ran["manifest"]["executor"]["backend"] == "serial"
    assert ran["headline"][0].startswith("Influence on Mali")
    assert main(["run", "baseline", "--replicates", "4", "--set", "horizon=6", "--out", str(tmp_path / "q"),
                 "-q"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"run folder: {tmp_path / 'q'}"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: baseline\nname: bad\nhorizon: -3\n")
    assert main(["validate", "baseline", str(bad), "--json"]) == 2
    checked = json.loads(capsys.readouterr().out)
    assert checked["valid"] is False and [f["valid"] for f in checked["files"]] == [True, False]
    assert "horizon" in checked["files"][1]["problems"][0]
    assert main(["compare", "baseline", "security_pact", "--replicates", "8", "--outcome", "influence.morocco.mali",
                 "--out", str(tmp_path / "c"), "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert compared["answer"][0].startswith("Morocco's influence on Mali") and compared["largest_effects"]
