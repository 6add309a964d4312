"""sim.simulate, sim.evaluate, SimulationResult and the Mesa model as a modeller scripts them."""

import numpy as np
import pytest

import sim
from sim.cli.dispatch import main
from tests.conftest import SCENARIOS


def test_a_scenario_by_name_path_or_object_gives_the_same_numbers(baseline):
    by_name = sim.simulate("baseline", n_replicates=4, seed=3)
    by_path = sim.simulate(SCENARIOS / "baseline.yaml", n_replicates=4, seed=3)
    by_object = sim.simulate(baseline, n_replicates=4, seed=3, chunk_size=3)
    assert np.array_equal(by_name.trajectories.values, by_path.trajectories.values)
    assert np.array_equal(by_name.trajectories.values, by_object.trajectories.values)


def test_settings_are_checked_as_set_is_with_numpy_numbers_welcome(capsys):
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--set", "parameters.influence.adjust_rate=5"]) == 2
    cli_message = capsys.readouterr().err.strip().split(": ", 1)[1]
    with pytest.raises(sim.InputError) as error:
        sim.simulate("baseline", parameters={"influence.adjust_rate": 5})
    assert cli_message.startswith("parameters.influence.adjust_rate = 5 is outside")
    assert str(error.value).endswith(cli_message)
    with pytest.raises(ValueError, match="unknown lever 'investmnt' for morocco"):
        sim.simulate("baseline", levers={"morocco.investmnt": 1})
    with pytest.raises(ValueError, match="did you mean 'baseline'"):
        sim.simulate("baselin")
    result = sim.simulate("baseline", n_replicates=2, parameters={"influence.adjust_rate": np.float32(0.2)},
                          levers={"morocco.investment": np.int64(1)}, budgets={"morocco": np.float64(4)})
    assert result.scenario.parameters["influence.adjust_rate"] == pytest.approx(0.2)


def test_levers_move_the_outcome_the_way_the_documents_say():
    base = sim.simulate("baseline", n_replicates=20, seed=5, levers={"morocco.investment": 0.0})
    pushed = sim.simulate("baseline", n_replicates=20, seed=5, levers={"morocco.investment": 1.0})
    assert (pushed.outcome("influence.morocco.mali") > base.outcome("influence.morocco.mali")).all()


def test_access_by_name_and_outcomes():
    result = sim.simulate("baseline", n_replicates=3, seed=1, outcomes=["mean(influence.russia.mali)"])
    t = result.trajectories
    assert np.array_equal(result.influence("russia", "mali"), t.get("influence", "russia", "mali"))
    assert np.array_equal(result.context("threat", "mali"), t.get("threat", "mali"))
    assert np.allclose(result.outcomes["mean(influence.russia.mali)"], result.influence("russia", "mali").mean(axis=1))
    with pytest.raises(KeyError, match="did you mean"):
        result.influence("russia", "malli")
    with pytest.raises(ValueError, match="outside the run"):
        result.outcome("influence.russia.mali@2040-01")
    with pytest.raises(sim.InputError, match="outside the run"):
        sim.simulate("baseline", n_replicates=2, outcomes=["influence.russia.mali@2040-01"])


def test_tidy_tables_keep_every_series_in_pandas_and_polars():
    result = sim.simulate("baseline", n_replicates=2, seed=1)
    frame = result.to_pandas()
    assert not frame[["metric", "source", "target"]].isna().any().any()
    wide = frame.pivot_table(index=["replicate", "step"], columns=["metric", "source", "target"], values="value",
                             observed=True)
    assert wide.shape[1] == len(result.trajectories.series)  # the context series survive the pivot
    assert ("threat", "mali", "-") in wide.columns
    pl = pytest.importorskip("polars")
    table = result.to_polars()
    assert table.height == len(frame)
    wide_polars = table.pivot(on=["metric", "source", "target"], index=["replicate", "step"], values="value")
    assert wide_polars.width == len(result.trajectories.series) + 2
    assert table.filter(pl.col("metric") == "threat")["target"].unique().to_list() == ["-"]


def test_evaluate_matches_simulate_at_the_same_point():
    values = sim.evaluate("baseline", {"levers.morocco.investment": [0.0, 1.0]}, ["influence.morocco.mali"],
                          replicates_per_point=4, seed=2)
    assert values.shape == (2, 4, 1)
    one = sim.simulate("baseline", n_replicates=4, seed=2, levers={"morocco.investment": 1.0})
    assert np.allclose(values[1, :, 0], one.outcome("influence.morocco.mali"), rtol=0, atol=1e-12)
    with pytest.raises(sim.InputError, match="outside"):
        sim.evaluate("baseline", {"parameters.influence.adjust_rate": [0.1, 7]}, ["influence.russia.mali"])
    with pytest.raises(sim.InputError, match="different lengths"):
        sim.evaluate("baseline", {"parameters.influence.adjust_rate": [0.1], "parameters.influence.saturation": [1, 2]},
                     ["influence.russia.mali"])


def test_mesa_batch_run_works_and_stops_at_the_horizon(baseline):
    import mesa

    rows = mesa.batch_run(sim.InfluenceModel, parameters={"scenario": "baseline", "n_replicates": [1, 10]},
                          rng=[1, 2], display_progress=False)
    assert len({r["RunId"] for r in rows}) == 4 and {r["n_replicates"] for r in rows} == {1, 10}
    assert len(rows) == 4 * 6, "one row per actor agent (its agent reporters) per run"
    assert all(r["Step"] == baseline.horizon for r in rows)  # running turned False, not max_steps=1000
    direct = sim.simulate("baseline", n_replicates=10, seed=2)
    row = next(r for r in rows if r["n_replicates"] == 10 and r["seed"] == 2)
    assert row["influence.russia.mali"] == pytest.approx(direct.influence("russia", "mali")[:, -1].mean(), abs=1e-12)


def test_a_drawn_seed_is_recorded_and_repeats_the_run():
    first = sim.InfluenceModel("baseline", n_replicates=3, seed=None)
    again = sim.InfluenceModel("baseline", n_replicates=3, seed=first.seed)
    for model in (first, again):
        while model.running:
            model.step()
    assert np.array_equal(first.trajectories().values, again.trajectories().values)
    means = first.datacollector.get_model_vars_dataframe()["influence.morocco.mali"].to_numpy()
    assert np.allclose(means, first.trajectories().get("influence", "morocco", "mali").mean(axis=0))


def test_the_mesa_model_refuses_out_of_range_parameters():
    with pytest.raises(ValueError, match=r"parameters.influence.adjust_rate = 5 is outside"):
        sim.InfluenceModel("baseline", parameters={"influence.adjust_rate": 5})


def test_the_mesa_model_checks_pins_budgets_and_seed():
    with pytest.raises(ValueError, match="unknown actor 'france'"):
        sim.InfluenceModel("baseline", budgets={"france": 1.0})
    with pytest.raises(ValueError, match=r"actors.morocco.budget = -5 is outside"):
        sim.InfluenceModel("baseline", budgets={"morocco": -5})
    with pytest.raises(ValueError, match=r"unknown lever 'morocco\.investmentx'"):
        sim.InfluenceModel("baseline", pinned_levers={"morocco.investmentx": 0.5})
    with pytest.raises(ValueError, match=r"levers.morocco.investment = 5 is outside"):
        sim.InfluenceModel("baseline", pinned_levers={"morocco.investment": 5})
    with pytest.raises(ValueError, match="seed = -1"):
        sim.InfluenceModel("baseline", seed=-1)


def test_a_setting_put_into_an_unknown_place_is_blamed_on_the_setting(capsys):
    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--set", "actors.france.budget=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--set actors.france.budget=1:") and "unknown actor 'france'" in err
    with pytest.raises(sim.InputError, match=r"^simulate: actors.france.budget=1"):
        sim.simulate("baseline", budgets={"france": 1})
    result = sim.simulate("baseline", n_replicates=2, seed=1)
    with pytest.raises(ValueError, match="did you mean 'investment'"):
        result.outcome("mean(effort.morocco.investmentx)")


def test_a_design_at_a_range_edge_is_taken_and_a_value_outside_is_refused_with_its_exact_value():
    """Issue #30 item 3: samplers round; low - 1e-17 is the range's edge, low - 1e-6 is outside."""
    from sim.api import evaluate
    from sim.errors import InputError
    from sim.scenario.catalogue import load_catalogue
    from sim.scenario.loader import load_scenario

    short = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=3"])
    spec = load_catalogue().parameters["influence.adjust_rate"]
    edge = np.nextafter(spec.low, -1.0)  # one step below the range, as a sampler's arithmetic can give
    values = evaluate(short, {"parameters.influence.adjust_rate": [edge, spec.high]}, ["influence.russia.mali@end"])
    assert np.asarray(values).shape[0] == 2
    outside = spec.low - 1e-6
    with pytest.raises(InputError) as caught:
        evaluate(short, {"parameters.influence.adjust_rate": [outside]}, ["influence.russia.mali@end"])
    assert repr(outside) in str(caught.value.problems[0])


def test_a_result_has_a_short_repr_and_plots_named_series():
    result = sim.simulate("baseline", n_replicates=4, seed=1)
    assert len(repr(result)) < 200 and "replicates=4" in repr(result)
    figure = result.plot("influence.russia.mali", "threat.mali")
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["Russia's influence on Mali",
                                                                              "Threat in Mali"]
    with pytest.raises(sim.InputError, match="unknown actor 'x'"):
        result.plot("influence.x.mali")
