import dataclasses
import json
import shutil

import pytest

from sim.analysis import regress
from sim.cli.dispatch import main
from sim.scenario.catalogue import load_catalogue
from sim.scenario.readonly import ReadOnlyMapping
from tests.conftest import ROOT


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of two scenarios with fresh references, as the working directory."""
    (tmp_path / "scenarios").mkdir()
    for name in ("baseline", "russia_withdraws"):
        shutil.copy(ROOT / "scenarios" / f"{name}.yaml", tmp_path / "scenarios")
    shutil.copytree(ROOT / "scenarios" / "parts", tmp_path / "scenarios" / "parts")
    monkeypatch.chdir(tmp_path)
    assert main(["regress", "--update"]) == 0
    return tmp_path


def test_clean_tree_is_identical(project, capsys):
    capsys.readouterr()
    assert main(["regress", "--junit", "report.xml"]) == 0
    out = capsys.readouterr().out
    assert "baseline: identical" in out and "2 passed, 0 failed" in out
    assert 'failures="0"' in (project / "report.xml").read_text()


def test_model_change_drifts_and_names_the_worst_first(project, monkeypatch, capsys):
    import sim.model.model

    catalogue = load_catalogue()
    spec = dataclasses.replace(catalogue.parameters["relation.goodwill_cap"], default=0.1)  # not an uncertainty
    changed = dataclasses.replace(catalogue, parameters=ReadOnlyMapping({**catalogue.parameters,
                                                                          spec.name: spec}))
    monkeypatch.setattr(sim.model.model, "load_catalogue", lambda: changed)
    verdict = regress.check(project / "scenarios" / "baseline.yaml", project / "results" / "reference")
    assert verdict.status == "drift" and not verdict.edited
    worst = max(verdict.deviations, key=lambda d: d.excess)
    assert verdict.lines()[1].startswith(worst.line("baseline"))
    capsys.readouterr()
    assert main(["regress", "baseline", "--junit", "report.xml"]) == 1
    out = capsys.readouterr().out
    assert "baseline: DRIFT" in out and "broke tolerance" in out and "1 failed" in out
    assert "<failure" in (project / "report.xml").read_text()
    import xml.etree.ElementTree as ET

    suite = ET.parse(project / "report.xml").getroot()  # well-formed, whatever the diff holds
    assert suite.get("failures") == "1" and suite.find("testcase/failure").text.startswith("baseline: DRIFT")


def test_edited_scenario_says_so_and_how_to_rebless(project, capsys):
    path = project / "scenarios" / "russia_withdraws.yaml"
    path.write_text(path.read_text().replace("date: 2023-01", "date: 2022-06"))
    capsys.readouterr()
    assert main(["regress", "russia_withdraws"]) == 1
    out = capsys.readouterr().out
    assert "was edited since it was blessed" in out and "sim regress --update russia_withdraws" in out
    assert main(["regress", "--update", "russia_withdraws"]) == 0
    assert "re-blessed (was drift" in capsys.readouterr().out
    assert main(["regress", "russia_withdraws"]) == 0


def test_reordered_shock_draws_keep_the_distribution(project, monkeypatch):
    """Drawing shocks from another stream: not identical, same distribution, passes."""
    import sim.model.model

    monkeypatch.setattr(sim.model.model, "STREAM_BUILTIN_SHOCKS", 77)
    verdict = regress.check(project / "scenarios" / "baseline.yaml", project / "results" / "reference")
    assert verdict.status == "within tolerance", verdict.lines()
    assert verdict.passed and verdict.lines()[0] == "baseline: not identical, within tolerance"


@pytest.mark.parametrize("damage", ["json", "csv", "missing"])
def test_corrupt_or_missing_reference_is_bad_input(project, damage, capsys):
    folder = project / "results" / "reference" / "baseline"
    if damage == "json":
        (folder / "reference.json").write_text("{not json")
    elif damage == "csv":
        (folder / "final.csv").write_text("metric,source,target,r0\ninfluence,morocco,algeria,abc\n")
    else:
        shutil.rmtree(folder)
    assert main(["regress", "baseline"]) == 2
    err = capsys.readouterr().err
    assert "results/reference/baseline/" in err and "Traceback" not in err


def test_unknown_scenario_is_bad_input(project, capsys):
    assert main(["regress", "baselin"]) == 2
    assert "did you mean 'baseline'" in capsys.readouterr().err


def test_testing_helper(project):
    from sim.testing import assert_matches_reference

    assert assert_matches_reference("scenarios/baseline.yaml").status == "identical"


def test_a_scenario_without_reference_fails_and_says_how_to_bless_it(project, capsys):
    """A reference lost (or never blessed) is not skipped: CI must not pass on what it did not check."""
    (project / "scenarios" / "my_whatif.yaml").write_text("extends: baseline.yaml\nname: my_whatif\nhorizon: 12\n")
    capsys.readouterr()
    assert main(["regress"]) == 2
    err = capsys.readouterr().err
    assert "no reference for scenario 'my_whatif'" in err and "sim regress --update my_whatif" in err
    assert main(["regress", "my_whatif"]) == 2
    assert main(["regress", "--update", "my_whatif"]) == 0
    assert main(["regress"]) == 0


@pytest.mark.parametrize("edit", [{"tolerances": {"rtol": 1e300, "atol": 1e300, "alpha": 0.0}}, {"seed": 12},
                                  {"replicates": 199}, {"model_version": "99"}])
def test_what_a_reference_says_about_itself_cannot_be_edited(project, edit, capsys):
    """Loosened tolerances would turn a drift into a pass, another seed another run: refused."""
    path = project / "results" / "reference" / "baseline" / "reference.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **edit}))
    capsys.readouterr()
    assert main(["regress", "baseline"]) == 2
    err = capsys.readouterr().err
    assert "edited since it was blessed" in err and "sim regress --update baseline" in err


def test_a_scenario_edited_since_blessing_whose_outputs_moved_fails_even_within_tolerance(project, capsys):
    path = project / "scenarios" / "baseline.yaml"
    path.write_text(path.read_text().replace("mauritania: 0.7, ecowas: 0.5}", "mauritania: 0.8, ecowas: 0.5}"))
    capsys.readouterr()
    assert main(["regress", "baseline"]) == 1
    out = capsys.readouterr().out
    assert "baseline: DRIFT" in out and "its outputs changed, so it fails" in out


def test_nothing_to_check_is_bad_input(project, tmp_path_factory, capsys):
    empty = tmp_path_factory.mktemp("empty")
    assert main(["regress", "--scenarios-dir", str(empty)]) == 2
    assert "nothing to check" in capsys.readouterr().err
    assert main(["regress", "--references", str(empty / "nowhere")]) == 2
    assert "nothing to check against" in capsys.readouterr().err
    (empty / "file").write_text("x")
    assert main(["regress", "--references", str(empty / "file")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_a_check_waits_for_whoever_holds_the_references(project):
    """While another process holds the lock (here: this test, mid-way through "re-blessing" with the
    reference broken), a check waits, and then sees the finished reference, not the half-done one."""
    import subprocess
    import sys
    import time

    from sim.io.references import reference_lock

    path = project / "results" / "reference" / "baseline" / "reference.json"
    blessed = path.read_text()
    with reference_lock(project / "results" / "reference"):
        path.write_text("{half-written")
        process = subprocess.Popen([sys.executable, "-m", "sim", "regress", "baseline"], cwd=project,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)  # long enough for an unlocked check to read the broken file (not a speed claim)
        path.write_text(blessed)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "baseline: identical" in out


def test_concurrent_updates_and_checks_never_lose_the_reference(project):
    """Re-blesses and checks started together on one reference: each waits its turn (a lock beside
    the folder), so every one exits 0 and the reference is whole at the end."""
    import subprocess
    import sys

    (project / "scenarios" / "tiny.yaml").write_text("extends: baseline.yaml\nname: tiny\nhorizon: 3\n")
    assert main(["regress", "--update", "tiny"]) == 0
    commands = [["regress", "--update", "tiny"], ["regress", "tiny"]] * 4
    processes = [subprocess.Popen([sys.executable, "-m", "sim", *command], cwd=project, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for command in commands]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    assert [code for code, _ in results] == [0] * len(commands), results
    root = project / "results" / "reference"
    assert not [p.name for p in root.iterdir() if p.name.startswith(".")]
    assert main(["regress", "tiny"]) == 0


@pytest.mark.parametrize("damage", ["cut", "edit", "old"])
def test_a_cut_short_or_edited_reference_is_refused(project, damage, capsys):
    """A reference summary.csv cut at a row boundary parses fine: only its row count and hash catch it."""
    folder = project / "results" / "reference" / "baseline"
    summary = folder / "summary.csv"
    lines = summary.read_text().splitlines(keepends=True)
    if damage == "cut":
        summary.write_text("".join(lines[: len(lines) // 3]))
    elif damage == "edit":
        summary.write_text("".join(lines[:-1]) + lines[-1].replace(",0.", ",9.", 1))
    else:  # blessed before references carried row counts and hashes
        meta = json.loads((folder / "reference.json").read_text())
        del meta["files"]
        (folder / "reference.json").write_text(json.dumps(meta))
    capsys.readouterr()
    assert main(["regress", "baseline"]) == 2
    err = capsys.readouterr().err
    expected = {"cut": "rows where", "edit": "content differs", "old": "older version"}[damage]
    assert expected in err and "sim regress --update baseline" in err


@pytest.mark.parametrize("died_after", ["staged", "old_moved", "new_moved"])
def test_an_interrupted_rebless_is_completed_never_lost(project, died_after, capsys):
    """The folder names are the journal: whichever step a killed re-bless reached, the next run
    of regress finds one complete reference in place and no leftovers."""
    root = project / "results" / "reference"
    target = root / "baseline"
    new = root / ".baseline.new"
    shutil.copytree(target, new)
    (new / "marker").write_text("new")
    if died_after in ("old_moved", "new_moved"):
        target.rename(root / ".baseline.old")
    if died_after == "new_moved":
        new.rename(target)
    capsys.readouterr()
    assert main(["regress", "baseline"]) == 0
    assert (target / "marker").read_text() == "new"
    assert not list(root.glob(".*")), list(root.glob(".*"))


def test_orphan_references_are_reported(project, capsys):
    (project / "results" / "reference" / "deleted_whatif").mkdir()
    capsys.readouterr()
    assert main(["regress"]) == 0
    assert "references without a scenario file: deleted_whatif" in capsys.readouterr().out


def test_rebless_stages_beside_the_reference_and_leaves_nothing(project):
    assert main(["regress", "--update", "baseline"]) == 0
    assert not [p.name for p in (project / "results" / "reference").iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("edit", [{"seed": "abc"}, {"seed": -5}, {"tolerances": []},
                                  {"files": {"summary.csv": "x", "final.csv": "y"}},
                                  {"replicates": 10**12}])  # re-hashed below: a forged count is still refused
def test_a_reference_json_with_wrong_types_is_bad_input_and_update_reblesses(project, edit, capsys):
    from sim.io.references import meta_hash

    path = project / "results" / "reference" / "baseline" / "reference.json"
    forged = {**json.loads(path.read_text()), **edit}
    path.write_text(json.dumps({**forged, "meta_sha256": meta_hash(forged)}))
    capsys.readouterr()
    assert main(["regress", "baseline"]) == 2
    assert "corrupt reference" in capsys.readouterr().err
    assert main(["regress", "--update", "baseline"]) == 0
    assert "re-blessed (the old reference was unreadable" in capsys.readouterr().out
    assert main(["regress", "baseline"]) == 0


def test_roots_are_explicit_so_any_working_directory_works(project, tmp_path_factory, monkeypatch, capsys):
    """The analysis layer takes its folders as arguments; only the CLI defaults them to ./results."""
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    references, library = project / "results" / "reference", project / "scenarios"
    paths = regress.discover([], library)
    assert [p.name for p in paths] == ["baseline.yaml", "russia_withdraws.yaml"]
    assert regress.check(paths[0], references).status == "identical"
    assert regress.orphan_references(references, library) == []
    capsys.readouterr()
    assert main(["regress", "--references", str(references), "--scenarios-dir", str(library)]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out
    assert main(["regress"]) == 2  # nothing here: no references, no scenarios, nothing to check (not a pass)


def test_a_check_too_big_for_this_machine_is_refused_before_it_runs(project, monkeypatch, capsys):
    """A check re-runs with every trajectory in memory: the estimate comes first (issue #33 item 2)."""
    import sim.engine.workload

    monkeypatch.setattr(sim.engine.workload, "available_memory", lambda: 1e6)
    monkeypatch.setattr(regress, "_run", lambda *a: pytest.fail("ran a check this machine cannot hold"))
    capsys.readouterr()
    assert main(["regress", "baseline"]) == 2
    err = capsys.readouterr().err
    assert "baseline/reference.json: 64 replicates x " in err and "of memory (1.0 MB is available)" in err
