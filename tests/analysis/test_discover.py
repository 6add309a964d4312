"""Scenario discovery (sim/analysis/discover.py): PRIM finds the box where a yes/no outcome happens."""

import numpy as np
import pytest

from sim.analysis.discover import Restriction, _prim, discover, parse_condition
from sim.engine.experiments import Factor
from sim.errors import InputError
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import load_scenario
from tests.conftest import SCENARIOS


def test_prim_recovers_a_planted_box_and_words_it():
    import pandas as pd

    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.random(2000), "b": rng.random(2000), "c": rng.random(2000)})
    y = ((x.a > 0.6) & (x.b < 0.4)).to_numpy() | (rng.random(2000) < 0.02)
    found = _prim("it", x, y, [Factor("a", 0, 1), Factor("b", 0, 1), Factor("c", 0, 1)], max_dims=3, min_coverage=0.5)
    names = {r.name: r for r in found.restrictions}
    assert set(names) >= {"a", "b"} and names["a"].low == pytest.approx(0.6, abs=0.05)
    assert names["b"].high == pytest.approx(0.4, abs=0.05)
    assert found.density > 0.8 and found.coverage > 0.5
    assert "a > 0.6" in found.sentence() and "of all runs where it happens" in found.sentence()


def test_a_restriction_reads_as_a_condition():
    assert Restriction("x", 0.2, 1.0, 0.0, 1.0).sentence() == "x > 0.2"
    assert Restriction("x", 0.0, 0.3, 0.0, 1.0).sentence() == "x < 0.3"
    assert Restriction("x", 0.2, 0.3, 0.0, 1.0).sentence() == "x is between 0.2 and 0.3"


def test_bad_outcomes_are_located_on_the_flag():
    levers = load_catalogue().lever_ids()
    with pytest.raises(InputError, match="expected a comparison"):
        parse_condition("influence.russia.mali@end", levers)
    with pytest.raises(InputError, match="did you mean 'russia'"):
        parse_condition("influence.rusia.mali@end > 0", levers)
    with pytest.raises(InputError, match="put the outcome on the left"):
        parse_condition("0.1 < influence.russia.mali@end", levers)


def test_discovery_on_a_library_scenario_names_the_uncertainties_that_matter():
    """Whether Russia passes Algeria on Mali by 2024-01 depends on the calibrated uncertainties."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=24"])
    found = discover(scenario, "influence.russia.mali@2024-01 > influence.algeria.mali@2024-01", points=80,
                     replicates=1, seed=3)
    assert 0 < found.happened < found.runs == 80
    assert found.restrictions and all(r.name in {u.parameter for u in scenario.uncertainties}
                                      for r in found.restrictions)
    assert found.density > found.happened / found.runs  # the box concentrates it
