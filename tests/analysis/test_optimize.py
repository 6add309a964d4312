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
