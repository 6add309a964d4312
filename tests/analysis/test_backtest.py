"""The backtest (sim/analysis/backtest.py): choices after the cutoff come from the rules, scores are
proper, and a deliberately broken model scores worse than the intact one."""

import numpy as np
import pytest

from sim.analysis.backtest import (
    backtest_cutoff,
    forecast_scenario,
    interval_crps,
    load_observations,
    report,
    scores_csv,
)
from sim.analysis.calibration import CALIBRATED, load_targets
from sim.engine.experiments import Factor
from sim.errors import InputError
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import load_scenario
from sim.scenario.months import parse_month
from tests.conftest import SCENARIOS

REPLAY = SCENARIOS / "history_2012_2022.yaml"
OBSERVATIONS = SCENARIOS / "observations" / "choices_2012_2022.yaml"
CUTOFF = parse_month("2018-12")


@pytest.fixture(scope="module")
def replay():
    return load_scenario(REPLAY)


@pytest.fixture(scope="module")
def small_backtest(replay):
    """One cutoff, a small ABC-SMC: the full run is `python -m bench.backtest`."""
    parameters = load_catalogue().parameters
    factors = [Factor(name, parameters[name].low, parameters[name].high) for name in CALIBRATED]
    return backtest_cutoff(replay, load_targets(SCENARIOS / "targets" / "history_2012_2022.yaml"),
                           load_observations(OBSERVATIONS), factors, CUTOFF, population=6, generations=2, budget=30,
                           replicates=2, seed=3)


def test_the_forecast_keeps_exogenous_events_and_choices_before_the_cutoff_only(replay):
    forecast = forecast_scenario(replay, CUTOFF)
    kept = {e.id for e in forecast.events}
    for event in replay.events:
        expected = event.month <= CUTOFF or event.chosen_by is None
        assert (event.id in kept) == expected, event.id
    assert "coup_2020" in kept and "western_withdrawal" in kept  # exogenous, after the cutoff
    assert "wagner_arrives" not in kept and "ecowas_sanctions" not in kept  # Mali's and ECOWAS's choices
    assert "royal_visit_2013" in kept  # a choice already made by the cutoff
    # the rules the replay switched off because it scripted their choices decide from the next month
    assert replay.decision_off("mali_invites_russian_forces")
    assert forecast.decision_from("mali_invites_russian_forces") == CUTOFF + 1
    assert forecast.decision_from("mali_leaves_ecowas") == -np.inf  # never scripted: on throughout
    schedule = forecast.levers["morocco"]["atlantic_initiative"].schedule  # a 2020 schedule point is a choice
    assert all(month <= CUTOFF for month, _ in schedule)


def test_the_broken_models_are_what_they_say(replay):
    off = forecast_scenario(replay, CUTOFF, broken="decisions")
    assert all(off.decision_off(rule) for rule in off.decisions)
    zero = forecast_scenario(replay, CUTOFF, broken="levers")
    event = next(e for e in zero.events if e.id == "broken_levers")
    assert event.month == CUTOFF + 1 and set(event.changes.set.values()) == {0.0}
    with pytest.raises(ValueError, match="broken"):
        forecast_scenario(replay, CUTOFF, broken="nonsense")


def test_interval_crps_is_zero_nowhere_and_half_a_width_at_the_centre():
    assert interval_crps(np.array([0.5]), 0.0, 1.0) == pytest.approx(0.5, abs=0.03)  # E|U - 1/2| = 1/4 = 0.5 h
    inside = interval_crps(np.linspace(0, 1, 50), 0.0, 1.0)
    outside = interval_crps(np.full(50, 3.0), 0.0, 1.0)
    assert inside < 0.5 < outside  # matching the documented spread beats a point; missing it costs


def test_observations_load_with_located_errors(write_scenario):
    observations = load_observations(OBSERVATIONS)
    assert {o.happened for o in observations} == {True, False}
    path = write_scenario("observations:\n  - id: x\n    rule: mali_leave_ecowas\n    by: 2022-13\n"
                          "    happened: maybe\n    sentence: s\n    source: f\n", name="observations.yaml")
    with pytest.raises(InputError) as caught:
        load_observations(path)
    messages = [str(p) for p in caught.value.problems]
    assert any("unknown decision rule 'mali_leave_ecowas' (did you mean 'mali_leaves_ecowas'?)" in m
               for m in messages), messages
    assert any("by = '2022-13' is not a month" in m for m in messages), messages
    assert any("happened = 'maybe'" in m for m in messages), messages
    assert all(m.startswith(f"{path}:") for m in messages)


def test_a_broken_model_scores_worse_than_the_intact_one(small_backtest):
    """Issue #28 item 5: with every rule off the documented choices are missed; with every lever at
    zero from the cutoff the documented patterns are."""
    intact = small_backtest
    assert intact.brier.mean("posterior") < intact.broken["decisions"][1].mean("posterior")
    assert intact.crps.mean("posterior") < intact.broken["levers"][0].mean("posterior")


def test_the_prior_predictive_and_the_references_are_reported_beside_the_posterior(small_backtest):
    assert small_backtest.crps.references == ("prior", "persistence", "trend")
    assert small_backtest.brier.references == ("prior", "persistence", "base rate")
    text = report([small_backtest])
    assert "| prior |" in text and "skill vs prior" in text and "skill vs base rate" in text
    assert "width / prior" in text and "broken: decisions" in text
    assert "no skill against" in text or "beats" in text  # the plain verdict
    csv = scores_csv([small_backtest]).splitlines()
    assert csv[0] == "cutoff,model,score,item,forecaster,value" and len(csv) > 20
    widths = small_backtest.widths()
    assert len(widths) == len(CALIBRATED) and all(0 <= w <= 1 for w in widths)
