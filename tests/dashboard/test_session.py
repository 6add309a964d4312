"""The dashboard's work without a browser: controls, the what-if, its run, saving it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.compare import compare_scenarios
from sim.dashboard import charts, session
from sim.errors import InputError
from sim.scenario.catalogue import ACTORS, load_catalogue
from sim.scenario.loader import load_scenario, resolve_scenario

BASE = resolve_scenario("baseline")
MOVE = {"levers.morocco.security_cooperation": 0.8, "actors.morocco.budget": 5.0}


def test_every_lever_and_budget_has_a_slider_with_its_evidence():
    controls = {c.path: c for c in session.controls(BASE)}
    for lever in load_catalogue().levers:
        control = controls[f"levers.{lever.key}"]
        assert control.group == lever.actor
        assert lever.evidence[0].quote in control.hint and lever.evidence[0].source in control.hint
    assert all(f"actors.{a}.budget" in controls for a in ACTORS)
    assert controls["levers.morocco.security_cooperation"].now == "fixed 0.20"  # as the baseline sets it
    assert controls["levers.morocco.medical_aid"].now.startswith("schedule")
    assert controls["parameters.influence.adjust_rate"].low < controls["parameters.influence.adjust_rate"].high


def test_the_whatif_is_the_base_with_the_moved_sliders_checked_by_the_loader():
    whatif = session.whatif_scenario(BASE, MOVE)
    assert whatif.levers["morocco"]["security_cooperation"].value == 0.8
    assert whatif.actors["morocco"].budget == 5.0 and whatif.name == "baseline_whatif"
    assert session.whatif_scenario(BASE, {}) is BASE
    with pytest.raises(InputError, match=r"levers\.morocco\.security_cooperation"):
        session.whatif_scenario(BASE, {"levers.morocco.security_cooperation": 1.5})


def test_a_run_gives_sim_compares_numbers_and_attributes_the_moved_lever():
    run = session.run_whatif(BASE, MOVE, ["influence.morocco.mali"], threshold="influence.morocco.mali > 0.1",
                             replicates=40, seed=3)
    same = compare_scenarios(BASE, session.whatif_scenario(BASE, MOVE), 40, 3,
                             question=session.question_for(BASE, ["influence.morocco.mali"],
                                                           "influence.morocco.mali > 0.1"))
    assert np.array_equal(run.comparison.difference.stats, same.difference.stats)
    assert run.comparison.answer == same.answer and run.comparison.answer.threshold is not None
    components = {c.component for c in run.contributions}
    assert {"levers.morocco.security_cooperation", "total effect"} <= components
    assert "<li>" in charts.answer_html(run.comparison.answer)
    assert charts.fan_charts(run).axes  # one row per outcome: levels and paired difference


def test_a_bad_threshold_or_outcome_is_refused_with_the_compare_wording():
    with pytest.raises(InputError, match=r"influence\.nobody\.mali"):
        session.question_for(BASE, ["influence.nobody.mali"])
    with pytest.raises(InputError):
        session.question_for(BASE, ["influence.morocco.mali"], "influence.morocco.mali >> 2")


def test_saving_writes_a_short_file_that_reads_back_as_the_whatif(tmp_path):
    path = tmp_path / "push.yaml"
    saved = session.save_whatif(BASE, MOVE, path)
    text = path.read_text()
    assert text.startswith("extends: baseline") and "security_cooperation: 0.8" in text
    assert saved.content_hash == session.whatif_scenario(BASE, MOVE, "push").content_hash
    assert load_scenario(path).levers["morocco"]["security_cooperation"].value == 0.8
    with pytest.raises(InputError, match="exists"):
        session.save_whatif(BASE, MOVE, path)
    with pytest.raises(InputError, match=r"\.yaml"):
        session.save_whatif(BASE, MOVE, tmp_path / "push.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["push.yaml"], "no staging file left behind"


def test_a_base_the_file_cannot_name_is_saved_whole(tmp_path):
    elsewhere = tmp_path / "copy.yaml"
    elsewhere.write_text("extends: baseline\nname: copy\n")
    copy = load_scenario(elsewhere)  # in a folder that the save target below cannot reach
    out = tmp_path / "sub"
    out.mkdir()
    saved = session.save_whatif(copy, MOVE, out / "w.yaml")
    assert not (out / "w.yaml").read_text().startswith("extends")
    assert saved.content_hash == session.whatif_scenario(copy, MOVE, "w").content_hash


def test_bad_run_inputs_are_refused_before_any_work():
    with pytest.raises(InputError, match="at least one outcome"):
        session.run_whatif(BASE, MOVE, [])
    for replicates in (0, -5, session.MAX_REPLICATES + 1):
        with pytest.raises(InputError, match="replicates"):
            session.run_whatif(BASE, MOVE, ["influence.morocco.mali"], replicates=replicates)
    with pytest.raises(InputError, match="two numbers"):
        session.question_for(BASE, ["influence.morocco.mali"], "1 > 0")


def test_a_name_too_long_for_the_file_system_is_refused_not_raised(tmp_path):
    with pytest.raises(InputError, match="cannot use this file name"):
        session.save_whatif(BASE, MOVE, tmp_path / ("c" * 300 + ".yaml"))


def test_saving_with_nothing_moved_still_uses_the_typed_name(tmp_path):
    saved = session.save_whatif(BASE, {}, tmp_path / "same.yaml")
    assert saved.name == "same" and saved.levers == BASE.levers


def test_each_moved_slider_is_its_own_line_in_the_attribution():
    """The what-if is not the base's file, so explain does not file the sliders under 'inherited from'."""
    settings = {"levers.russia.pmc_counterterrorism": 0.9, "parameters.influence.adjust_rate": 0.2}
    run = session.run_whatif(BASE, settings, ["influence.russia.mali"], replicates=8, seed=1)
    lines = {c.component for c in run.contributions}
    assert {"levers.russia.pmc_counterterrorism", "parameters.influence.adjust_rate"} <= lines
    assert not any(line.startswith("inherited") for line in lines)


def test_a_drawn_parameter_starts_mid_draw_and_says_moving_fixes_it():
    control = {c.path: c for c in session.controls(BASE)}["parameters.influence.adjust_rate"]
    assert "drawn per replicate" in control.now and "fixes it" in control.now
    assert control.low < control.value < control.high
    assert all(c.high <= 20 for c in session.controls(BASE) if c.path.endswith(".budget"))
