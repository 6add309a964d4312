import pytest

from sim.errors import InputError
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import load_scenario
from sim.scenario.months import parse_month
from tests.conftest import MINIMAL, SCENARIOS


def problems(path, overrides=()):
    with pytest.raises(InputError) as caught:
        load_scenario(path, overrides)
    return [str(p) for p in caught.value.problems]


def test_baseline_loads_as_frozen_typed_objects(baseline):
    assert baseline.name == "baseline"
    assert baseline.start == parse_month("2022-01")
    assert baseline.horizon == 60
    assert -1 < baseline.actors["morocco"].relations["algeria"] < -0.4  # rivals (handed over from the replay)
    assert baseline.actors["morocco"].budget == pytest.approx(sum(lv.initial_effort for lv in
                                                                  load_catalogue().levers_of("morocco")))
    assert baseline.actors["morocco"].budget_policy == "extend"
    assert baseline.levers["ecowas"]["sanctions"].intensity_at(parse_month("2022-06")) == 1.0
    # ECOWAS lifts them by its own decision (ecowas_settles_with_mali), not by the schedule
    assert baseline.levers["ecowas"]["sanctions"].intensity_at(parse_month("2022-07")) == 1.0
    with pytest.raises(AttributeError):
        baseline.horizon = 3
    with pytest.raises(TypeError):
        baseline.actors["mali"] = None


def test_minimal_scenario_gets_defaults(write_scenario):
    scenario = load_scenario(write_scenario(MINIMAL))
    assert scenario.seed == 0 and scenario.replicates == 100
    assert scenario.context["mali"].stability == 0.8
    assert len(scenario.content_hash) == 64


def test_content_hash_changes_with_content(write_scenario, baseline):
    other = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=12"])
    assert other.content_hash != baseline.content_hash


def test_unknown_actor_points_at_key(write_scenario):
    path = write_scenario(MINIMAL + "actors:\n  marocco:\n    budget: 1\n")
    assert problems(path) == [f"{path}:5:3: unknown actor 'marocco' (did you mean 'morocco'?)"]


def test_string_where_number_belongs(write_scenario):
    path = write_scenario(MINIMAL + "actors:\n  mali:\n    budget: lots\n")
    assert problems(path) == [
        f"{path}:6:13: actors.mali.budget = 'lots' is not a number; expected one in [0.0, 20.0]"
    ]


def test_unknown_top_level_key_with_suggestion(write_scenario):
    path = write_scenario(MINIMAL + "horizn: 5\n")
    assert problems(path) == [f"{path}:4:1: unknown key 'horizn' in top level (did you mean 'horizon'?)"]


def test_out_of_range_and_nan(write_scenario):
    path = write_scenario(MINIMAL + "levers:\n  morocco:\n    medical_aid: 1.7\n    investment: .nan\n")
    assert problems(path) == [
        f"{path}:6:18: levers.morocco.medical_aid = 1.7 is outside [0.0, 1.0]",
        f"{path}:7:17: levers.morocco.investment = nan is not a finite number; expected [0.0, 1.0]",
    ]


def test_unknown_lever_and_parameter(write_scenario):
    path = write_scenario(MINIMAL + "levers:\n  morocco:\n    medical_ad: 0.5\nparameters:\n"
                          "  influence.adjust_rat: 0.1\n")
    assert problems(path) == [
        f"{path}:6:5: unknown lever 'medical_ad' for morocco (did you mean 'medical_aid'?)",
        f"{path}:8:3: unknown parameter 'influence.adjust_rat' (did you mean 'influence.adjust_rate'?)",
    ]


def test_all_problems_reported_at_once(write_scenario):
    path = write_scenario("name: x\nstart: 2022-13\nhorizon: -1\n")
    assert problems(path) == [
        f"{path}:2:8: start = '2022-13' is not a month; expected YYYY-MM, e.g. 2022-07",
        f"{path}:3:10: horizon = -1 is outside 1..600",
    ]


def test_influences_on_a_target_share_one_whole(write_scenario):
    path = write_scenario(MINIMAL + "actors:\n  morocco:\n    influence: {mali: 0.7}\n"
                          "  russia:\n    influence: {mali: 0.6}\n")
    assert problems(path) == [
        f"{path}:5:3: influences on mali add up to 1.3; they share one whole, expected <= 1"
    ]


def test_event_date_before_the_run_and_duplicate_id(write_scenario):
    path = write_scenario(MINIMAL + """events:
  - id: a
    date: 2021-01
    set: {context.mali.threat: 0.5}
    assumption: test
  - id: a
    date: 2022-02
    set: {context.mali.threat: 0.5}
    assumption: test
""")
    assert problems(path) == [
        f"{path}:6:11: event 'a' date 2021-01 is before the run starts (2022-01)",
        f"{path}:9:9: duplicate event id 'a' (first at entry #1)",
    ]


def test_event_after_the_run_is_allowed_so_a_what_if_can_shorten_the_horizon(write_scenario):
    path = write_scenario(MINIMAL + """events:
  - id: later
    date: 2030-01
    set: {context.mali.threat: 0.5}
    assumption: test
""")
    assert load_scenario(path).events[0].id == "later"


def test_event_unknown_state_path(write_scenario):
    path = write_scenario(MINIMAL + """events:
  - id: a
    date: 2022-02
    set: {context.mali.thret: 0.5}
    source: 000_4a7c527b705e72c5.txt
""")
    assert problems(path) == [f"{path}:7:11: unknown context variable 'thret' (did you mean 'threat'?)"]


def test_set_override_is_validated_like_the_file(write_scenario):
    path = write_scenario(MINIMAL)
    assert load_scenario(path, ["horizon=12", "levers.morocco.medical_aid=0.4"]).horizon == 12
    assert problems(path, ["levers.morocco.medical_aid=2"]) == [
        "--set levers.morocco.medical_aid=2:1:34: levers.morocco.medical_aid = 2 is outside [0.0, 1.0]"
    ]
    assert problems(path, ["nonsense"]) == [
        "--set nonsense: expected PATH=VALUE, e.g. levers.morocco.medical_aid=0.8"
    ]


def test_schedule_resolves_piecewise(write_scenario):
    path = write_scenario(MINIMAL + "levers:\n  ecowas:\n    sanctions:\n"
                          "      schedule: {2022-01: 1.0, 2022-04: 0.2}\n")
    setting = load_scenario(path).levers["ecowas"]["sanctions"]
    assert [setting.intensity_at(parse_month(m)) for m in ("2021-12", "2022-03", "2022-04", "2022-06")] == [
        None, 1.0, 0.2, 0.2,
    ]
