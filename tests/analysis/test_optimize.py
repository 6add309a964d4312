"""Strategy search (sim/analysis/optimize.py): a mix under the same effort, against the references."""

import numpy as np
import pytest

from sim.analysis.optimize import optimize, report, spread
from sim.errors import InputError
from sim.scenario.loader import load_scenario
from tests.conftest import SCENARIOS


def test_spread_keeps_the_total_and_caps_every_lever_at_one():
    mix = spread(np.array([1.0, 1.0, 1.0, 5.0]), 2.0)
    assert mix.sum() == pytest.approx(2.0) and mix.max() <= 1.0 and mix[3] == 1.0
    assert np.allclose(mix[:3], 1 / 3)
    many = spread(np.random.default_rng(0).random((50, 6)), 3.0)
    assert np.allclose(many.sum(axis=1), 3.0) and many.max() <= 1.0 + 1e-12


def test_the_recommended_mix_beats_the_status_quo_mix_on_fresh_replicates():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=24"])
    result = optimize(scenario, "morocco", "mean(influence.morocco.mali)", replicates=4, budget=40, seed=2)
    assert [s.name for s in result.strategies][:2] == ["recommended", "status quo"]
    assert all(s.mix.sum() == pytest.approx(result.total) for s in result.strategies)
    mean, low, _ = result.difference("status quo")
    assert mean > 0 and low > 0
    assert "| status quo |" in report(result)


@pytest.mark.parametrize("kwargs, flag", [({"actor": "marocco"}, "--actor"), ({"objective": "mean(x)"}, "--objective"),
                                          ({"robust": "worst"}, "--robust")])
def test_bad_inputs_name_their_flag(kwargs, flag):
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=3"])
    args = {"actor": "morocco", "objective": "mean(influence.morocco.mali)", "robust": "mean", **kwargs}
    with pytest.raises(InputError) as caught:
        optimize(scenario, args["actor"], args["objective"], replicates=1, budget=5, seed=1, robust=args["robust"])
    assert caught.value.problems[0].path == flag


SHORT = ["horizon=24"]


def test_several_objectives_give_a_pareto_set_and_its_compromise():
    pytest.importorskip("pymoo")
    scenario = load_scenario(SCENARIOS / "baseline.yaml", SHORT)
    result = optimize(scenario, "morocco", ["mean(influence.morocco.mali)", "mean(influence.morocco.ecowas)"],
                      replicates=3, budget=60, seed=2)
    assert len(result.pareto) >= 2, "the two objectives trade off"
    scores = np.stack([score for _, score in result.pareto])
    assert not any(((scores >= s).all(axis=1) & (scores > s).any(axis=1)).any() for s in scores), "non-dominated"
    assert any(np.allclose(mix, result.strategies[0].mix) for mix, _ in result.pareto)
    assert all(mix.sum() == pytest.approx(result.total) for mix, _ in result.pareto)
    assert "## Pareto set" in report(result)


def test_a_constraint_is_met_by_the_recommendation_and_shown():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", SHORT)
    free = optimize(scenario, "morocco", "mean(influence.morocco.mali)", replicates=3, budget=40, seed=2)
    limit = "mean(investment_effort) >= 0"  # unknown series: refused up front
    with pytest.raises(InputError) as caught:
        optimize(scenario, "morocco", "mean(influence.morocco.mali)", replicates=1, budget=5, seed=1,
                 constraints=[limit])
    assert caught.value.problems[0].path == "--constraint"
    kept = "mean(effort.morocco.security_cooperation) <= 0.3"
    held = optimize(scenario, "morocco", "mean(influence.morocco.mali)", replicates=3, budget=40, seed=2,
                    constraints=[kept])
    security = held.levers.index("security_cooperation")
    assert held.feasible and held.strategies[0].mix[security] <= 0.3 + 1e-9
    assert free.strategies[0].mix[security] > 0.3, "the constraint changed the answer"
    assert "constraint `mean(effort.morocco.security_cooperation) <= 0.3`" in report(held)


def test_regret_recommends_an_evaluated_mix_that_does_well_in_every_draw():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", SHORT)
    result = optimize(scenario, "morocco", "mean(influence.morocco.mali)", replicates=3, budget=40, seed=2,
                      robust="regret")
    assert result.robust == "regret" and result.difference("status quo")[0] > 0
    with pytest.raises(InputError, match="regret ranks one objective"):
        optimize(scenario, "morocco", ["mean(influence.morocco.mali)", "mean(influence.morocco.ecowas)"],
                 replicates=1, budget=5, seed=1, robust="regret")


def test_searching_when_each_lever_starts_gives_months_inside_the_run():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", SHORT)
    result = optimize(scenario, "morocco", "influence.morocco.mali@end", replicates=3, budget=40, seed=2,
                      search_start=True)
    starts = result.strategies[0].starts
    assert starts is not None and len(starts) == len(result.levers)
    assert ((starts >= 0) & (starts <= scenario.horizon - 1)).all() and (starts == np.round(starts)).all()
    assert all((s.starts == 0).all() for s in result.strategies[1:]), "the references start with the run"
    assert " from 20" in report(result)


def test_a_seed_above_2_to_the_32_is_taken_and_strict_constraints_are_refused():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=6"])
    result = optimize(scenario, "morocco", "mean(influence.morocco.mali)", replicates=1, budget=10, seed=2**40)
    assert result.strategies[0].mix.sum() == pytest.approx(result.total)
    with pytest.raises(InputError, match="expected EXPR >= NUMBER or EXPR <= NUMBER"):
        optimize(scenario, "morocco", "mean(influence.morocco.mali)", replicates=1, budget=5, seed=1,
                 constraints=["mean(relation.mali.morocco) > 0.3"])
