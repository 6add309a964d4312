"""The start solve (ODD section 5): the starting state read as a steady state of the status quo.

Legacy and outside pull per arena explain the starting influence, anchors the starting attitudes,
structural threat and stability the starting context (shocks' expected effects included); agents
value their levers against this point. The equations are in ``dynamics``; this is their order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model import dynamics as dyn
from sim.model.agents import value_levers

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


def solve_start(model: InfluenceModel) -> None:
    """Make the starting state a steady state of the status quo (ODD section 5).

    The status quo is each lever's reference effort (``status_quo:`` in the scenario, else
    the catalogue's ``initial_effort``) with stocks in steady state. Legacy and outside
    pull explain the starting influence, anchors the starting attitudes, structural threat
    and stability the starting context; agents value their levers against this point. None
    of it depends on the scenario's lever settings or budgets: a what-if that pulls a lever
    harder from month 0 changes what happens next, not how the start is explained.
    """
    w, p, s = model.world, model.params, model.structure
    w.stock = w.reference.copy()
    model.sense_with(w.reference)
    effective, weight = model.effective_stock(), p.lever_matrix("weight")
    multiplier = model.pull_multiplier(effective, weight)
    lever_pull = dyn.arena_pull(effective, model.pair_rec, s, weight)
    w.western_0 = w.western.copy()  # per replicate, after the start month's changes
    w.legacy, w.outside_0 = dyn.solve_arenas(w.influence, lever_pull, multiplier, dyn.arena_weights(w.threat, p),
                                             p["influence.legacy_floor"])
    w.legacy_0, w.arena_pull_0, w.gate_0 = w.legacy.copy(), lever_pull, dyn.attitude_gate(w.relation, p)
    w.flows_0 = model.goodwill_flows(effective)
    w.anchor = dyn.solve_anchor(w.relation, dyn.relation_forcing(w, w.flows_0, p), p)
    relief = dyn.threat_relief(effective, p.lever_matrix("threat_relief"), s, model.gate("relief"))
    w.threat_base, w.stability_base = dyn.solve_context_bases(w.threat, w.stability, relief, model.sanction, p)
    model.lever_value_0 = value_levers(model, model.objectives)
    model.impose_fixed_efforts()  # month 0 efforts: the scenario's own settings
