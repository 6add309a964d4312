"""The dashboard's work without a browser: controls, the what-if, its run, saving it."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.compare import compare_scenarios
from sim.dashboard import session
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
    from sim.dashboard import charts

    run = session.run_whatif(BASE, MOVE, ["influence.morocco.mali"], threshold="influence.morocco.mali > 0.1",
                             replicates=40, seed=3)
    asked = session.default_question(BASE, MOVE, ["influence.morocco.mali"])
    same = compare_scenarios(BASE, session.whatif_scenario(BASE, MOVE), 40, 3,
                             question=session.question_for(BASE, ["influence.morocco.mali"],
                                                           "influence.morocco.mali > 0.1", asked))
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


def test_a_slider_starts_where_the_scenario_leaves_its_lever_and_says_what_sets_it():
    controls = {c.path: c for c in session.controls(BASE)}
    medical = controls["levers.morocco.medical_aid"]
    assert medical.value == 0.9 and all(f"{v} from {m}" in medical.now
                                        for m, v in (("2022-01", "0.30"), ("2022-05", "0.70"), ("2022-07", "0.90")))
    undermining = controls["levers.algeria.undermine_morocco"]
    assert undermining.value == 1.0 and "event algeria_escalates" in undermining.now


def _effort(run_of, path):
    _, actor, lever = path.split(".")
    return np.median(run_of.get("effort", actor, lever), axis=0)


def test_a_lever_moved_from_a_month_keeps_the_scenario_before_and_holds_to_the_end():
    """Before the month the scenario's own setting and events; from it the slider's value, over any
    later event of the scenario that sets the same lever (algeria_escalates sets it in 2022-02)."""
    from sim import run

    path = "levers.algeria.undermine_morocco"
    month = session.levers_from(BASE, "2024-01")
    base = _effort(run(BASE, 4, 1), path)
    later = _effort(run(session.whatif_scenario(BASE, {path: 0.2}, levers_month=month), 4, 1), path)
    at = month - BASE.start
    assert np.array_equal(later[:at], base[:at]) and base[at - 1] == 1.0
    assert (later[at:] == 0.2).all()
    throughout = _effort(run(session.whatif_scenario(BASE, {path: 0.2}), 4, 1), path)
    assert (throughout == 0.2).all(), "the event no longer undoes a slider moved from the start"


@pytest.mark.parametrize("text", ["2021-12", "2032-01", "next year", "2024-13"])
def test_a_month_outside_the_run_is_refused_with_the_run_s_months(text):
    with pytest.raises(InputError, match=r"dashboard: levers from.*expected a month YYYY-MM from 2022-01 to 2026-12"):
        session.levers_from(BASE, text)
    assert session.levers_from(BASE, " ") is None


def test_the_question_is_written_in_words_when_the_user_gives_none():
    month = session.levers_from(BASE, "2024-01")
    asked = session.default_question(BASE, {"levers.morocco.medical_aid": 0.5}, ["influence.morocco.mali"], month)
    assert asked == ("What happens to Morocco's influence on Mali if Morocco medical aid 0.90 -> 0.50 from "
                     "2024-01?")
    run = session.run_whatif(BASE, {}, ["influence.morocco.mali"], replicates=4, seed=1, question="Is it stable?")
    assert run.comparison.answer.question.text == "Is it stable?"


def test_bad_run_inputs_are_refused_by_the_check_the_page_makes_before_running():
    with pytest.raises(InputError, match="replicates"):
        session.check_run(BASE, ["influence.morocco.mali"], "", 0, None)
    with pytest.raises(InputError, match=r"threshold|>>"):
        session.check_run(BASE, ["influence.morocco.mali"], "influence.morocco.mali >> 2", 10, None)
    with pytest.raises(InputError, match="name"):
        session.check_run(BASE, ["influence.morocco.mali"], "", 10, "no/slashes here")
    session.check_run(BASE, ["influence.morocco.mali"], "", 10, "my_option")


@pytest.mark.parametrize(("path", "start", "short"), [("levers.morocco.medical_aid", "2024-01", True),
                                                      ("levers.algeria.undermine_morocco", "2024-01", True),
                                                      ("levers.algeria.undermine_morocco", "", False)])
def test_a_lever_moved_from_a_month_saves_and_reads_back_as_the_run(tmp_path, path, start, short):
    """Short form (extends + the lever's schedule) when it can say it; the whole scenario when the
    what-if takes the lever away from one of the base's events (algeria_escalates, 2022-02)."""
    month = session.levers_from(BASE, start)
    saved = session.save_whatif(BASE, {path: 0.4}, tmp_path / "later.yaml", month)
    assert saved.content_hash == session.whatif_scenario(BASE, {path: 0.4}, "later", month).content_hash
    assert ("extends:" in (tmp_path / "later.yaml").read_text()) is short


def test_the_best_strategy_panel_gives_sim_optimizes_answer_as_slider_settings():
    from sim.analysis.optimize import optimize

    short = resolve_scenario("baseline")
    result = session.best_strategy(short, "morocco", "mean(influence.morocco.mali)", budget=20, replicates=2, seed=3)
    same = optimize(short, "morocco", "mean(influence.morocco.mali)", replicates=2, budget=20, seed=3)
    assert np.array_equal(result.strategies[0].mix, same.strategies[0].mix)
    settings = session.strategy_settings(result)
    assert set(settings) == {f"levers.morocco.{lever}" for lever in result.levers}
    assert sum(settings.values()) == pytest.approx(result.total, abs=1e-4)
    assert "recommended minus status quo" in session.strategy_html(result)
    with pytest.raises(InputError, match=r"dashboard: objective"):
        session.check_strategy("morocco", "mean(influence.nobody.mali)")
