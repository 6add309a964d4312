"""Mesa's own tools drive the model (issue #30 item 4): SolaraViz's controller steps, resets and
re-creates it with a changed parameter; batch_run rows carry the seed and the date; agents report
their effort by lever and can be stepped the Mesa way."""

from __future__ import annotations

import numpy as np
import pytest

import sim


def test_mesas_controller_steps_resets_and_changes_a_parameter_on_the_same_scenario():
    from sim.model.mesa_support import MesaRun

    solara = pytest.importorskip("solara")
    pytest.importorskip("altair", reason="mesa.visualization needs the [viz] extra")
    import ipyvuetify as v
    from mesa.visualization.solara_viz import ModelController

    first = sim.InfluenceModel("security_pact", n_replicates=4, seed=3)
    model, parameters = solara.reactive(first), solara.reactive({"n_replicates": 6})
    _, rendered = solara.render(ModelController(model, model_parameters=parameters,
                                                play_interval=solara.reactive(100),
                                                render_interval=solara.reactive(1),
                                                use_threads=solara.reactive(False)), handle_error=False)

    def press(label: str) -> None:
        rendered.find(v.Btn, children=[label]).widget.click()

    press("Step")
    press("Step")
    assert model.value is first and first.month_index == 2
    press("Reset")  # Mesa hands type(model.scenario)() back as `scenario=`
    assert model.value is not first and isinstance(model.value.scenario, MesaRun)
    assert model.value.spec.name == "security_pact" and model.value.month_index == 0
    assert len(model.value.replicate_ids) == 6
    parameters.set({"n_replicates": 9})
    press("Reset")
    assert model.value.spec.name == "security_pact" and len(model.value.replicate_ids) == 9
    assert not rendered.find(v.Alert).widgets, "no error shown"


def test_batch_run_rows_carry_the_seed_used_and_the_date():
    import mesa

    rows = mesa.batch_run(sim.InfluenceModel, parameters={"scenario": "baseline", "n_replicates": 2},
                          rng=[None], max_steps=3, display_progress=False)
    assert {r["seed"] for r in rows} != {None} and len({r["seed"] for r in rows}) == 1
    assert {r["date"] for r in rows} == {"2022-04"}
    again = sim.InfluenceModel("baseline", n_replicates=2, seed=rows[0]["seed"])
    for _ in range(3):
        again.step()
    russia = again.trajectories().get("influence", "russia", "mali")[:, -1].mean()
    assert rows[0]["influence.russia.mali"] == pytest.approx(russia, abs=1e-12)


def test_agents_report_their_effort_by_lever_and_can_be_stepped_the_mesa_way():
    model = sim.InfluenceModel("baseline", n_replicates=3, seed=1)
    model.agents.shuffle_do("step")  # before the model's first step: decisions and allocation for month 0
    model.step()
    agents = model.datacollector.get_agent_vars_dataframe()
    morocco = agents[agents["actor"] == "morocco"].iloc[-1]
    assert set(morocco["effort"]) >= {"mediation", "medical_aid", "investment"}
    assert morocco["effort"]["medical_aid"] == pytest.approx(0.3)  # the baseline's schedule in 2022-02
    assert morocco["budget"] > 0
    means = model.datacollector.get_model_vars_dataframe()
    assert list(means["date"]) == ["2022-01", "2022-02"] and set(means["seed"]) == {1}


def test_a_fan_chart_component_for_solaraviz_draws_the_spread_and_refuses_unknown_series():
    pytest.importorskip("solara")
    pytest.importorskip("altair", reason="mesa.visualization needs the [viz] extra")
    import solara

    from sim.dashboard.mesa_components import fan_chart_figure, make_fan_chart_component

    model = sim.InfluenceModel("baseline", n_replicates=20, seed=3)
    for _ in range(6):
        model.step()
    figure = fan_chart_figure(model, ("influence.russia.mali",))
    band = figure.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    assert np.ptp(band) > 0, "a band, not a line"
    component, page = make_fan_chart_component("influence.russia.mali")
    solara.render(component(model), handle_error=False)
    assert page == 0
    with pytest.raises(sim.InputError, match="unknown actor 'nobody'"):
        make_fan_chart_component("influence.nobody.mali")


def test_models_are_not_kept_alive_by_mesas_scenario_table():
    import gc

    from mesa.experimental.scenarios import Scenario

    before = len(Scenario._ids)
    for _ in range(5):
        sim.InfluenceModel("baseline", n_replicates=2, seed=1)
    gc.collect()
    assert len(Scenario._ids) <= before, "each model's Mesa scenario class would stay in Mesa's table"


def test_a_start_step_needs_a_pin():
    with pytest.raises(sim.InputError, match="has no pin in pinned_levers"):
        sim.InfluenceModel("baseline", pinned_from={"morocco.nope": 3})
