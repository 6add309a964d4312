"""Every decision rule can happen and can fail to happen: each fires in some, not all, replicates of a
library scenario that does not script it (issue #27: no rule needs a state only a script produces)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from sim import load_scenario, run
from sim.scenario.institutions import ACTIONS, load_institutions

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
REPLICATES = 200

# rule -> the library scenario in which it fires by its own condition (the cause named in the file)
WHERE_IT_FIRES = {
    "mali_leaves_ecowas": "niger_crisis",             # the stand-off lowers Mali's regard; memory of 2022 sanctions
    "mali_rejoins_ecowas": "niger_crisis",            # a later elected government mends ties
    "mali_joins_atlantic_initiative": "baseline",
    "mali_leaves_atlantic_initiative": "bamako_rabat_rift",
    "mauritania_joins_atlantic_initiative": "baseline",
    "mauritania_leaves_atlantic_initiative": "bamako_rabat_rift",
    "mali_signs_security_framework": "baseline",
    "mali_denounces_security_framework": "bamako_rabat_rift",
    "mauritania_signs_security_framework": "bamako_rabat_rift",  # the spill-over raises Mauritania's threat
    "mauritania_denounces_security_framework": "bamako_rabat_rift",
    "mali_expels_russian_forces": "wagner_abuses",
    "mali_invites_russian_forces": "russia_withdraws",   # invited back after Russia leaves
    "mali_suspends_morocco_agreements": "bamako_rabat_rift",
    "mali_revives_morocco_agreements": "bamako_rabat_rift",  # after a royal visit
    "ecowas_admits_morocco": "morocco_joins_ecowas",
    "russia_reinforces_in_mali": "baseline",
    "russia_scales_back_in_mali": "wagner_abuses",
    "algeria_withdraws_mediation": "baseline",
    "algeria_resumes_mediation": "niger_crisis",
    "morocco_offers_security_framework": "baseline",
    "ecowas_settles_with_mali": "baseline",
    "mali_denounces_settlement": "niger_crisis",
    "ecowas_sanctions_mali": "niger_crisis",          # again, once Mali has backed out of the settlement
    "ecowas_lifts_sanctions_on_mali": "baseline",
}


@cache
def probabilities(name: str) -> dict[str, float]:
    """Share of replicates in which each rule has fired by the end of the scenario's run."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    trajectories = run(scenario, REPLICATES, scenario.seed)
    return {key[2]: float(trajectories.get(*key)[:, -1].mean()) for key in trajectories.series
            if key[0] == "decision"}


def test_every_rule_in_the_catalogue_is_listed():
    assert set(WHERE_IT_FIRES) == {d.id for d in load_institutions().decisions}


@pytest.mark.parametrize("rule", sorted(WHERE_IT_FIRES))
def test_each_rule_fires_in_some_but_not_all_replicates_of_a_scenario_that_does_not_script_it(rule):
    name = WHERE_IT_FIRES[rule]
    decision = next(d for d in load_institutions().decisions if d.id == rule)
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    scripted = [change for block in (*(e.changes for e in scenario.events), *(t.changes for t in scenario.triggers),
                                     *(k.changes for k in scenario.shocks))
                for change in block.set.items()
                if change[0] == f"institution.{decision.institution}" and change[1] == ACTIONS[decision.action][1]]
    assert not scripted, f"{name} scripts what {rule} decides: {scripted}"
    assert not scenario.decision_off(rule)
    probability = probabilities(name)[rule]
    assert 0.0 < probability < 1.0, f"{rule} fires in {probability:.0%} of {name}'s replicates"


def test_baseline_decisions_are_uncertain_for_several_actors():
    """Issue #27: at least three rules, of at least two actors, between 5% and 95% in the baseline."""
    decisions = {d.id: d.actor for d in load_institutions().decisions}
    uncertain = [rule for rule, p in probabilities("baseline").items() if 0.05 <= p <= 0.95]
    assert len(uncertain) >= 3 and len({decisions[rule] for rule in uncertain}) >= 2, uncertain


def test_a_rule_switched_off_by_a_scenario_never_fires():
    """sanctions_kept switches ECOWAS's settlement off: the sanctions stay, as the what-if says."""
    assert load_scenario(SCENARIOS / "sanctions_kept.yaml").decision_off("ecowas_settles_with_mali")
    assert probabilities("sanctions_kept")["ecowas_settles_with_mali"] == 0.0
    assert probabilities("baseline")["ecowas_settles_with_mali"] > 0.5
    effort = run(load_scenario(SCENARIOS / "sanctions_kept.yaml"), 20, 1).get("effort", "ecowas", "sanctions")
    assert np.all(effort[:, 1:36] == 1.0)
