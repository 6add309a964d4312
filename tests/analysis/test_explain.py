"""sim explain's ablations (more in tests/analysis/test_compare.py and tests/cli)."""

import dataclasses
import pickle

import numpy as np

from sim.analysis.explain import ExplainTask, components, explain, explain_chunk
from sim.scenario.loader import resolve_scenario, with_settings


def test_fixing_a_parameter_the_baseline_draws_is_one_line_with_its_draw():
    """Reverting the value alone would leave the parameter both fixed and drawn (an invalid variant)."""
    base = resolve_scenario("baseline")
    assert any(u.parameter == "influence.adjust_rate" for u in base.uncertainties)
    whatif = with_settings(base, {"name": "fixed_rate", "parameters.influence.adjust_rate": 0.2})
    whatif = dataclasses.replace(whatif, path="")  # no file of its own: every difference is its own line
    labels = [c.label for c in components(whatif, base)]
    assert labels == ["parameters.influence.adjust_rate"]
    rows = explain(whatif, [("influence", "morocco", "mali")], against=base, n_replicates=8, seed=1)
    assert {r.component for r in rows} == {"parameters.influence.adjust_rate", "interaction remainder",
                                           "total effect"}


def test_a_chunk_task_has_named_fields_and_travels_to_workers_whole():
    """Workers receive an ExplainTask (pickled by the process and Dask backends): the copy runs the
    same chunk, and its progress units are the replicate-months of the scenario and each variant."""
    base = with_settings(resolve_scenario("baseline"), {"horizon": 3})
    whatif = with_settings(base, {"name": "quicker", "parameters.influence.adjust_rate": 0.2})
    task = ExplainTask(whatif, (base,), (("influence", "morocco", "mali"),), np.arange(2, 5), 7, None)
    travelled = pickle.loads(pickle.dumps(task))
    assert travelled.replicate_ids.tolist() == [2, 3, 4] and travelled.seed == 7
    assert travelled.others[0].name == base.name
    assert task.units() == 3 * 3 * 2
    here, there = explain_chunk(task), explain_chunk(travelled)
    np.testing.assert_array_equal(here[0], there[0])
    np.testing.assert_array_equal(here[1][0], there[1][0])
    assert here[0].shape == (3, 1) and not np.array_equal(here[0], here[1][0])
