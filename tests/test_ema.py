"""sim.ema: the model as an EMA Workbench Model, and a whole experiment design as one sim.evaluate call."""

import dataclasses
import warnings

import numpy as np
import pytest

import sim
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import Uncertainty

OUTCOME = "mean(influence.morocco.mali)"
SEEDED = {"uncertainty_sampling_kwargs": {"rng": 11}, "lever_sampling_kwargs": {"rng": 12}}


@pytest.fixture(autouse=True)
def _needs_ema_workbench():
    pytest.importorskip("ema_workbench")  # here, not at the top: collecting the suite does not import it


def small_model(**kwargs):
    from sim.ema import ema_model

    settings = {"uncertainties": ["influence.adjust_rate", "influence.saturation"], "levers": ["morocco.investment"],
                "outcomes": {OUTCOME: "maximize", "influence.russia.mali > influence.morocco.mali": "minimize"},
                "n_replicates": 4} | kwargs
    return ema_model("baseline", **settings)


def test_ema_workbench_drives_the_model():
    from ema_workbench import perform_experiments

    from sim.ema import ema_model

    model = ema_model("baseline", uncertainties=["influence.adjust_rate"], levers=["morocco.investment"],
                      outcomes=[OUTCOME], n_replicates=4)
    experiments, outcomes = perform_experiments(model, scenarios=2, policies=2)
    values = outcomes["mean_influence__morocco__mali"]
    assert len(experiments) == 4 and values.shape == (4,) and np.isfinite(values).all()
    names = ["parameters__influence__adjust_rate", "levers__morocco__investment"]
    direct = sim.evaluate("baseline", {model.sim_names[n]: experiments[n] for n in names}, [OUTCOME],
                          replicates_per_point=4).mean(axis=1)[:, 0]
    assert np.allclose(values, direct)


def test_by_default_each_uncertainty_ranges_over_the_scenarios_own_low_and_high():
    from sim.ema import ema_model

    scenario = sim.load_scenario("baseline")
    model = ema_model(scenario, n_replicates=4)
    assert len(model.uncertainties) == len(scenario.uncertainties) > 0
    for uncertainty in scenario.uncertainties:
        assert uncertainty.distribution == "uniform"
        parameter = model.uncertainties[model.identifiers[f"parameters.{uncertainty.parameter}"]]
        assert (parameter.lower_bound, parameter.upper_bound) == (uncertainty.arguments["low"],
                                                                  uncertainty.arguments["high"])
    catalogue = load_catalogue().parameters["influence.adjust_rate"]
    assert (catalogue.low, catalogue.high) != (0.049, 0.28)  # the scenario's range is narrower than the catalogue's


def test_a_non_uniform_scenario_uncertainty_is_varied_over_the_catalogue_range():
    from sim.ema import ema_model

    baseline = sim.load_scenario("baseline")
    scenario = dataclasses.replace(baseline, uncertainties=(
        Uncertainty("influence.adjust_rate", "triangular", {"low": 0.05, "mode": 0.1, "high": 0.3}),
        Uncertainty("agent.inertia", "normal", {"mean": 0.3, "sd": 0.05}),
        Uncertainty("memory.rate", "uniform", {"low": 0.03, "high": 0.07})))
    model = ema_model(scenario, n_replicates=4)
    specs = load_catalogue().parameters
    bounds = {p.name: (p.lower_bound, p.upper_bound) for p in model.uncertainties}
    assert bounds == {"parameters__influence__adjust_rate": (specs["influence.adjust_rate"].low,
                                                            specs["influence.adjust_rate"].high),
                      "parameters__agent__inertia": (specs["agent.inertia"].low, specs["agent.inertia"].high),
                      "parameters__memory__rate": (0.03, 0.07)}


def test_given_patterns_take_catalogue_ranges_except_the_scenarios_uniform_uncertainties():
    from sim.ema import ema_model

    model = ema_model("baseline", uncertainties=["parameters.influence.adjust_rate", "influence.saturation"],
                      n_replicates=4)
    saturation = load_catalogue().parameters["influence.saturation"]
    bounds = {p.name: (p.lower_bound, p.upper_bound) for p in model.uncertainties}
    assert bounds == {"parameters__influence__adjust_rate": (0.049, 0.28),  # baseline's uncertainties: entry
                      "parameters__influence__saturation": (saturation.low, saturation.high)}


def test_every_name_is_an_identifier_mapped_back_to_its_sim_name_and_ema_does_not_warn():
    from ema_workbench import perform_experiments

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = small_model(levers=["morocco.investment", "levers.russia.pmc_counterterrorism",
                                    "actors.morocco.budget"])
        experiments, outcomes = perform_experiments(model, scenarios=2, policies=1)
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)], [str(w.message) for w in caught]
    assert model.sim_names == {
        "parameters__influence__adjust_rate": "parameters.influence.adjust_rate",
        "parameters__influence__saturation": "parameters.influence.saturation",
        "levers__morocco__investment": "levers.morocco.investment",
        "levers__russia__pmc_counterterrorism": "levers.russia.pmc_counterterrorism",
        "actors__morocco__budget": "actors.morocco.budget",
        "mean_influence__morocco__mali": OUTCOME,
        "influence__russia__mali_influence__morocco__mali": "influence.russia.mali > influence.morocco.mali"}
    assert model.identifiers == {sim_name: name for name, sim_name in model.sim_names.items()}
    names = [p.name for p in model.uncertainties] + [p.name for p in model.levers] + [o.name for o in model.outcomes]
    assert names == list(model.sim_names) and all(name.isidentifier() for name in names)
    assert set(model.sim_names) - set(outcomes) <= set(experiments.columns)
    assert model.levers["actors__morocco__budget"].upper_bound > 1


def test_the_identifier_rule():
    from sim.ema import identifier

    assert identifier("parameters.influence.adjust_rate") == "parameters__influence__adjust_rate"
    assert identifier("max(threat.mali)") == "max_threat__mali"
    assert identifier("influence.morocco.mali@2024-12") == "influence__morocco__mali_2024_12"
    assert identifier("relation.mali.algeria@end - relation.mali.algeria@start") == \
        "relation__mali__algeria_end_relation__mali__algeria_start"
    assert identifier("2 * threat.mali") == "_2_threat__mali"
    assert identifier("not") == "not_" and identifier("") == "_"
    assert identifier("a - b", taken={"a_b"}) == "a_b_2"
    assert identifier("a + b", taken={"a_b", "a_b_2"}) == "a_b_3"
    assert identifier(".".join(["levers", "morocco", "investment"])).replace("__", ".") == "levers.morocco.investment"


def test_two_outcomes_with_the_same_identifier_get_distinct_ones():
    model = small_model(outcomes=["threat.mali - threat.mauritania", "threat.mali + threat.mauritania"])
    assert [o.name for o in model.outcomes] == ["threat__mali_threat__mauritania", "threat__mali_threat__mauritania_2"]
    assert model.sim_names["threat__mali_threat__mauritania_2"] == "threat.mali + threat.mauritania"


def test_outcomes_carry_the_direction_given():
    from ema_workbench import ScalarOutcome

    model = small_model(outcomes={OUTCOME: "maximize", "threat.mali": "minimize", "max(threat.mali)": "info"})
    kinds = {o.name: o.kind for o in model.outcomes}
    assert kinds == {"mean_influence__morocco__mali": ScalarOutcome.MAXIMIZE,
                     "threat__mali": ScalarOutcome.MINIMIZE, "max_threat__mali": ScalarOutcome.INFO}
    assert {o.kind for o in small_model(outcomes=[OUTCOME, "threat.mali"]).outcomes} == {ScalarOutcome.INFO}


def test_a_bad_direction_is_refused_naming_it_with_the_other_problems():
    from sim.ema import ema_model

    with pytest.raises(sim.InputError) as error:
        small_model(outcomes={OUTCOME: "maximise", "threat.mali": 1}, levers=["morocco.investmnt"])
    message = str(error.value)
    assert "direction 'maximise'; expected 'maximize', 'minimize' or 'info'" in message
    assert f"ema_model: outcomes[{OUTCOME!r}]" in message
    assert "direction 1; expected" in message
    assert "unknown parameter or lever 'levers.morocco.investmnt'" in message
    with pytest.raises(sim.InputError, match="nothing to vary"):
        ema_model("baseline", uncertainties=[], outcomes=[OUTCOME])
    with pytest.raises(sim.InputError, match="no outcomes"):
        ema_model("baseline", outcomes={})


def test_the_batched_evaluator_gives_the_per_experiment_numbers_in_one_evaluate_call(monkeypatch):
    import pandas as pd
    from ema_workbench import perform_experiments

    import sim.ema
    from sim.ema import BatchedEvaluator

    calls = []
    original = sim.ema.evaluate

    def counted(scenario, points, outcomes, **kwargs):
        calls.append(len(next(iter(points.values()))))
        return original(scenario, points, outcomes, **kwargs)

    monkeypatch.setattr(sim.ema, "evaluate", counted)
    model = small_model()
    one_by_one = perform_experiments(model, scenarios=3, policies=2, **SEEDED)
    assert calls == [1] * 6
    calls.clear()
    with BatchedEvaluator(model) as evaluator:
        batched = evaluator.perform_experiments(scenarios=3, policies=2, **SEEDED)
    assert calls == [6]
    parameters = [*model.sim_names][:3]
    design = [*parameters, "model"]  # scenarios and policies are named by EMA's global counters
    assert list(batched[0].columns) == [*parameters, "scenario", "policy", "model"]
    pd.testing.assert_frame_equal(batched[0][design], one_by_one[0][design])
    assert batched[1].keys() == one_by_one[1].keys() == {o.name for o in model.outcomes}
    for name, values in one_by_one[1].items():
        assert values.shape == (6,) and np.array_equal(batched[1][name], values), name
    assert len(set(one_by_one[1]["mean_influence__morocco__mali"])) == 6  # six different experiments


def test_the_batched_evaluator_takes_explicit_scenarios_and_policies_and_combine():
    from ema_workbench import perform_experiments
    from ema_workbench.em_framework.points import Sample

    from sim.ema import BatchedEvaluator

    model = small_model(outcomes=[OUTCOME])
    scenarios = [Sample(name=f"s{i}", parameters__influence__adjust_rate=rate, parameters__influence__saturation=1.0)
                 for i, rate in enumerate([0.05, 0.2, 0.25])]
    policies = [Sample(name=f"p{i}", levers__morocco__investment=value) for i, value in enumerate([0.0, 1.0, 0.5])]
    expected = perform_experiments(model, scenarios=scenarios, policies=policies, combine="sample")
    with BatchedEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=scenarios, policies=policies,
                                                              combine="sample")
    assert list(experiments["scenario"]) == ["s0", "s1", "s2"] and list(experiments["policy"]) == ["p0", "p1", "p2"]
    assert np.array_equal(outcomes["mean_influence__morocco__mali"], expected[1]["mean_influence__morocco__mali"])
    direct = sim.evaluate("baseline", {"parameters.influence.adjust_rate": [0.05, 0.2, 0.25],
                                       "parameters.influence.saturation": [1.0] * 3,
                                       "levers.morocco.investment": [0.0, 1.0, 0.5]}, [OUTCOME],
                          replicates_per_point=4)
    assert np.allclose(outcomes["mean_influence__morocco__mali"], direct.mean(axis=1)[:, 0])


def test_optimize_uses_the_directions_through_the_batched_evaluator(tmp_path):
    from sim.ema import BatchedEvaluator

    model = small_model(uncertainties=[], outcomes={OUTCOME: "maximize"}, n_replicates=2)
    with BatchedEvaluator(model) as evaluator:
        results = evaluator.optimize(nfe=20, searchover="levers", epsilons=[0.01], rng=5, directory=str(tmp_path),
                                     filename="archive.tar.gz")
    frame = results[0] if isinstance(results, tuple) else results
    assert "levers__morocco__investment" in frame.columns and "mean_influence__morocco__mali" in frame.columns
    assert len(frame) >= 1


def test_the_batched_evaluator_refuses_a_model_it_cannot_batch():
    from ema_workbench import Model, RealParameter, ScalarOutcome

    from sim.ema import BatchedEvaluator

    other = Model("other", function=lambda x=0.0: {"y": x})
    other.uncertainties = [RealParameter("x", 0.0, 1.0)]
    other.outcomes = [ScalarOutcome("y")]
    with (pytest.raises(TypeError, match=r"models made by sim\.ema\.ema_model; 'other' is a Model"),
          BatchedEvaluator(other) as evaluator):
        evaluator.perform_experiments(scenarios=2)


@pytest.mark.parametrize(("kwargs", "said"), [({"seed": 2**64}, "seed"), ({"name": "1 bad"}, "Python identifier"),
                                              ({"levers": [1]}, "expected a name")])
def test_bad_model_arguments_are_input_errors(kwargs, said):
    from sim.ema import ema_model

    with pytest.raises(sim.InputError, match=said):
        ema_model("baseline", **kwargs)
