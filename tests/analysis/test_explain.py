"""sim explain's ablations (more in tests/analysis/test_compare.py and tests/cli)."""

import dataclasses

from sim.analysis.explain import components, explain


def test_fixing_a_parameter_the_baseline_draws_is_one_line_with_its_draw():
    """Reverting the value alone would leave the parameter both fixed and drawn (an invalid variant)."""
    from sim.scenario.loader import resolve_scenario, with_settings

    base = resolve_scenario("baseline")
    assert any(u.parameter == "influence.adjust_rate" for u in base.uncertainties)
    whatif = with_settings(base, {"name": "fixed_rate", "parameters.influence.adjust_rate": 0.2})
    whatif = dataclasses.replace(whatif, path="")  # no file of its own: every difference is its own line
    labels = [c.label for c in components(whatif, base)]
    assert labels == ["parameters.influence.adjust_rate"]
    rows = explain(whatif, [("influence", "morocco", "mali")], against=base, n_replicates=8, seed=1)
    assert {r.component for r in rows} == {"parameters.influence.adjust_rate", "interaction remainder",
                                           "total effect"}
