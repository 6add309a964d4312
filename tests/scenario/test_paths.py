"""One grammar of state paths, one table of context variables, used by checker, conditions and model."""

import numpy as np
import pytest

from sim.scenario.catalogue import CONTEXT_METRICS
from sim.scenario.loader import load_scenario
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


def test_the_table_of_context_variables_is_what_the_model_keeps_reads_and_records():
    """Each per-state array the model keeps is a context variable of the table and each variable with
    a field is one of them; every variable reads through its path as the model holds it, and the
    recorded ones are exactly the model's per-state output series."""
    import dataclasses

    from sim.model.dynamics import World
    from sim.model.model import InfluenceModel
    from sim.scenario.catalogue import ACTORS

    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=2"])
    model = InfluenceModel(scenario, n_replicates=3, seed=0)
    model.step()
    world, states = model.world, len(ACTORS)
    per_state = {f.name for f in dataclasses.fields(World) if not f.name.endswith(("_0", "_base"))
                 and isinstance(getattr(world, f.name), np.ndarray) and getattr(world, f.name).shape == (3, states)}
    assert per_state == {c.field for c in CONTEXT if c.field}
    for variable in CONTEXT:
        values = model.read_state(f"context.mali.{variable.name}")
        assert values.shape == (3,), variable.name
        if variable.field:
            np.testing.assert_array_equal(values, getattr(world, variable.field)[:, ACTORS.index("mali")])
    recorded = {name for name, *_ in model.trajectories().series if name not in ("influence", "relation", "effort",
                                                                                   "institution", "decision")}
    assert recorded == {c.name for c in CONTEXT if c.recorded} == set(CONTEXT_METRICS)


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
