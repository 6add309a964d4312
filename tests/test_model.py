import mesa
import numpy as np

from sim.catalogue import ACTORS
from sim.model import InfluenceModel


def test_step_by_hand_like_any_mesa_model(baseline):
    model = InfluenceModel(baseline, n_replicates=3, seed=1)
    assert isinstance(model, mesa.Model)
    assert {agent.actor for agent in model.agents} == set(ACTORS)
    assert model.date == "2022-01"
    before = model.influence.copy()
    for _ in range(4):
        model.step()
    assert model.date == "2022-05"
    assert model.influence.shape == (3, len(ACTORS), len(ACTORS))
    assert not np.array_equal(before, model.influence)
    trajectories = model.trajectories()
    assert trajectories.values.shape[:2] == (3, 5)
    assert trajectories.dates[-1] == "2022-05"


def test_start_month_is_recorded_as_given(baseline):
    model = InfluenceModel(baseline, n_replicates=2, seed=0)
    mali = ACTORS.index("mali")
    assert model.influence[0, ACTORS.index("russia"), mali] == baseline.actors["russia"].influence["mali"]
    assert model.trajectories().get("sanctions", "mali")[0, 0] == 1.0


def test_event_changes_state_in_its_month(baseline):
    model = InfluenceModel(baseline, n_replicates=1, seed=0)
    mali = ACTORS.index("mali")
    assert model.world.commitment[0, mali] == 0.6
    model.step()  # 2022-02: western withdrawal announced
    assert model.world.commitment[0, mali] == 0.05


def test_replicate_rows_independent_of_batch(baseline):
    ids = np.array([3, 4, 5])
    small = InfluenceModel(baseline, n_replicates=3, seed=9, replicate_ids=ids)
    large = InfluenceModel(baseline, n_replicates=8, seed=9)
    for _ in range(12):
        small.step()
        large.step()
    np.testing.assert_array_equal(small.trajectories().values, large.trajectories().values[3:6])


def test_per_replicate_parameters(baseline):
    rates = np.array([0.05, 0.3])
    model = InfluenceModel(baseline, n_replicates=2, seed=0, parameters={"influence.adjust_rate": rates})
    for _ in range(6):
        model.step()
    values = model.trajectories().values
    assert not np.array_equal(values[0], values[1])


def test_event_on_a_fixed_lever_persists(write_scenario):
    """The scenario fixes a lever; a later event changes it; the change must last."""
    from sim.scenario import load_scenario

    path = write_scenario("""
name: persist
start: 2022-01
horizon: 6
levers:
  morocco: {security_cooperation: 0.2}
  ecowas:
    sanctions: {schedule: {2022-01: 1.0, 2022-05: 0.0}}
events:
  - {id: pact, date: 2022-03, set: {levers.morocco.security_cooperation: 0.9}, assumption: test}
  - {id: lift, date: 2022-02, set: {levers.ecowas.sanctions: 0.5}, assumption: test}
""")
    model = InfluenceModel(load_scenario(path), n_replicates=1, seed=0)
    column = model._lever_index["morocco.security_cooperation"]
    sanctions = model._lever_index["ecowas.sanctions"]
    seen, seen_sanctions = [model.fixed_effort[0, column]], [model.fixed_effort[0, sanctions]]
    for _ in range(6):
        model.step()
        seen.append(model.fixed_effort[0, column])
        seen_sanctions.append(model.fixed_effort[0, sanctions])
    assert seen == [0.2, 0.2, 0.9, 0.9, 0.9, 0.9, 0.9]
    assert seen_sanctions == [1.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0]  # the next schedule point wins again
