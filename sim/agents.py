"""One Mesa agent per actor: each decides, every month, how to spread its effort.

Bounded rationality (ODD, Design concepts): an actor values each of its adaptive levers by
what one more unit of effort would buy it on the objectives it cares about, shares its
free budget in proportion to those values, and moves only part of the way there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.catalogue import ACTORS
from sim.dynamics import saturate_slope

if TYPE_CHECKING:
    from sim.model import InfluenceModel


class ActorAgent(mesa.Agent):
    """A state or organisation (Morocco, Algeria, Mali, Mauritania, ECOWAS, Russia).

    Args:
        model: the InfluenceModel it belongs to.
        actor: the actor's name, e.g. ``"morocco"``.
        objectives: weight the actor puts on each other actor, shape (A,).
        budget: total effort it can spend across its levers, per replicate (R,).
    """

    def __init__(self, model: InfluenceModel, actor: str, objectives: np.ndarray, budget: np.ndarray):
        super().__init__(model)
        self.actor = actor
        self.index = ACTORS.index(actor)
        self.levers = np.flatnonzero(model.structure.owner == self.index)
        self.objectives = objectives
        self.budget = budget

    def step(self) -> None:
        self.allocate_effort()

    def allocate_effort(self) -> None:
        """Partial adjustment of adaptive levers towards value-proportional shares."""
        model = self.model
        fixed = model.fixed_effort[:, self.levers]  # NaN where the agent decides
        adaptive = np.isnan(fixed)
        if not adaptive.any():
            return
        effort = model.world.effort[:, self.levers]
        free_budget = np.maximum(self.budget - np.where(adaptive, 0.0, fixed).sum(axis=1), 0.0)
        value = np.where(adaptive, self.lever_values(), 0.0) ** model.params["agent.focus"][:, None]
        share = value / np.maximum(value.sum(axis=1, keepdims=True), 1e-12)
        desired = np.minimum(free_budget[:, None] * share, 1.0)
        inertia = model.params["agent.inertia"][:, None]
        moved = effort + inertia * (desired - effort)
        model.world.effort[:, self.levers] = np.where(adaptive, moved, effort)

    def lever_values(self) -> np.ndarray:
        """What one more unit of effort on each own lever is worth to this actor: (R, n)."""
        model, s = self.model, self.model.structure
        world, ids = model.world, self.levers
        slope = saturate_slope(world.stock[:, ids], model.params["influence.saturation"][:, None])
        weight = model.params.lever_matrix("weight")[:, ids]
        goodwill = model.params.lever_matrix("goodwill")[:, ids]
        targets = s.target_mask[ids] * self.objectives  # (n, A): targets weighted by care
        rec = model.lever_rec[:, ids, :]  # (R, n, A)
        me = self.index
        room = 1.0 - world.influence[:, me, :]  # influence still to win on each state
        gain_pull = (rec * room[:, None, :] * targets).sum(axis=2) * weight
        gain_undermine = np.zeros_like(gain_pull)
        for column, lever in enumerate(ids):  # few undermine levers: gather the rival's hold on targets
            if s.is_undermine[lever]:
                rival = s.rival_onehot[lever].argmax()
                gain_undermine[:, column] = (world.influence[:, rival, :] * targets[column]).sum(axis=1) * \
                    weight[:, column]
        own_need = rec[:, :, me]  # how much this actor's own context calls for the partner
        gain_welcome = own_need * targets.sum(axis=1) * weight
        room_rel = 1.0 - world.relation[:, me, :]
        exchange = model.params["agent.goodwill_value"][:, None]
        gain_align = (room_rel[:, None, :] * targets).sum(axis=2) * goodwill * exchange
        gain = (
            gain_pull * s.is_pull[ids]
            + gain_undermine * s.is_undermine[ids]
            + gain_welcome * s.is_welcome[ids]
            + gain_align * s.is_align[ids]
        )
        return np.maximum(gain, 0.0) * slope
