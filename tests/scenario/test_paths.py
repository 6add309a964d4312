"""One grammar of state paths, one table of context variables, used by checker, conditions and model."""

import numpy as np
import pytest

from sim.scenario.catalogue import CONTEXT_METRICS
from sim.scenario.conditions import CONTEXT_NAMES
from sim.scenario.loader import CONTEXT_VARIABLES, load_scenario
from sim.scenario.paths import CONTEXT, PathError, StatePath, parse_path
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("text, expected", [
    ("context.mali.threat", StatePath("context", ("mali", "threat"))),
    ("parameters.influence.adjust_rate", StatePath("parameters", ("influence.adjust_rate",))),
    ("actors.morocco.objectives.mali", StatePath("actors", ("morocco", "objectives", "mali"))),
    ("step", StatePath("step")),
])
def test_paths_parse_once_into_their_parts(text, expected):
    assert parse_path(text) == expected and str(parse_path(text)) == text


@pytest.mark.parametrize("text, message", [
    ("contxt.mali.threat", "did you mean 'context'"), ("context.mali", "should be context.<a>.<b>"),
    ("actors.morocco", "should be actors.<a>.budget"), ("parameters", "should be parameters.<name>"),
])
def test_malformed_paths_say_the_expected_form(text, message):
    with pytest.raises(PathError, match=message):
        parse_path(text)


def test_every_context_tuple_comes_from_the_one_table():
    assert tuple(c.name for c in CONTEXT) == CONTEXT_NAMES
    assert tuple(c.name for c in CONTEXT if c.settable) == CONTEXT_VARIABLES
    assert tuple(c.name for c in CONTEXT if c.recorded) == CONTEXT_METRICS


def test_levers_and_effort_name_the_same_state_in_conditions():
    from sim.model.model import InfluenceModel

    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=2"])
    model = InfluenceModel(scenario, n_replicates=2, seed=0)
    model.step()
    assert np.array_equal(model.read_state("levers.morocco.investment"), model.read_state("effort.morocco.investment"))


def test_a_path_events_cannot_change_is_refused(write_scenario, capsys):
    from sim.cli import main

    path = write_scenario("""
        name: x
        start: 2022-01
        horizon: 6
        events:
          - {id: e1, date: 2022-03, set: {step: 3}}
    """)
    assert main(["validate", str(path)]) == 2
    assert "'step' cannot be changed; events change paths starting with" in capsys.readouterr().err
