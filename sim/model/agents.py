"""One Mesa agent per actor: each decides, every month, how to spread its effort.

Bounded rationality (ODD, Design concepts): the status quo is taken as revealed preference.
An actor starts from the status-quo mix of its adaptive levers, tilts it towards levers whose
marginal value has risen since the start (and away from those whose value has fallen), spends
what its budget leaves for adaptive levers, and moves only part of the way there each month.
In the status quo nothing has changed, so it keeps doing what it did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.dynamics import KIND_ALIGN, KIND_PULL, KIND_UNDERMINE, Grouping, saturate_slope
from sim.scenario.catalogue import ACTORS
from sim.scenario.conditions import evaluate

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel

VALUE_RATIO_BOUNDS = (0.1, 10.0)  # how far a lever's marginal value may tilt the mix, either way


class ActorAgent(mesa.Agent):
    """A state or organisation (Morocco, Algeria, Mali, Mauritania, ECOWAS, Russia).

    Args:
        model: the InfluenceModel it belongs to.
        actor: the actor's name, e.g. ``"morocco"``.
        objectives: weight the actor puts on each other actor, shape (A,).
        budget: total effort it can spend across its levers, per replicate (R,).
        extend: budget policy per replicate (R,): True funds fixed levers on top of the budget,
            False pays for them out of it (crowding adaptive siblings out).
    """

    def __init__(self, model: InfluenceModel, actor: str, objectives: np.ndarray, budget: np.ndarray,
                 extend: np.ndarray):
        super().__init__(model)
        self.actor = actor
        self.index = ACTORS.index(actor)
        own = np.flatnonzero(model.structure.owner == self.index)
        contiguous = len(own) > 0 and np.array_equal(own, np.arange(own[0], own[-1] + 1))
        # the catalogue groups levers by owner, so this is a slice: views, not copies, every month
        self.levers = slice(int(own[0]), int(own[-1]) + 1) if contiguous else own
        self._own = Grouping.of(np.zeros(len(own), int), 1)  # all its levers into one cell: its own sums
        self._owner_column = np.zeros(len(own), int)
        self.objectives = objectives
        self.budget = budget
        self.extend = extend

    def step(self) -> None:
        self.make_decisions()
        self.allocate_effort()

    def make_decisions(self) -> None:
        """Join, leave, sign, denounce, expel, invite...: each of this actor's decision rules, per replicate.

        A rule fires where the institution is in the state its action needs and its condition
        has held for ``hold`` consecutive months; the institution flips and the rule's effects
        apply there (sim/data/institutions.yaml, ODD 7.12).
        """
        model = self.model
        month = model.spec.start + model.month_index
        for column, decision in enumerate(model.institutions.decisions):
            if decision.actor != self.actor:
                continue
            current = model.world.institution[:, model._institution_index[decision.institution]]
            applicable = current == decision.needs
            if not applicable.any():  # e.g. no replicate has left, so none can rejoin: the condition is moot
                model.decision_streak[:, column] = 0
                continue
            holds = applicable & np.broadcast_to(
                evaluate(decision.condition, model.read_state, month), current.shape)
            streak = np.where(holds, model.decision_streak[:, column] + 1, 0)
            fire = streak >= decision.hold
            model.decision_streak[:, column] = np.where(fire, 0, streak)
            if fire.any():
                model.apply_changes({f"institution.{decision.institution}": float(decision.leaves)},
                                    additive=False, where=fire)
                model.apply_changes(decision.set, additive=False, where=fire)
                model.apply_changes(decision.add, additive=True, where=fire)
                model.decided[fire, column] = 1.0
                model.planned_effort = None  # what later agents' allocations read may have changed

    def allocate_effort(self) -> None:
        """Partial adjustment of adaptive levers towards the value-tilted status-quo mix.

        Every actor's allocation is planned in one pass before the agents step (``plan_efforts``);
        it stands unless a decision fired earlier this month, which may have changed what this
        actor's allocation reads (a lever's setting, a budget, a parameter): then it is redone
        here, on the state as this agent finds it, exactly as if nothing had been planned.
        """
        model = self.model
        if model.planned_effort is not None:
            model.world.effort[:, self.levers] = model.planned_effort[:, self.levers]
            return
        fixed = model.fixed_effort[:, self.levers]  # NaN where the agent decides
        if not np.isnan(fixed).any():
            return
        model.world.effort[:, self.levers] = adjust_effort(
            model.world.effort[:, self.levers], fixed, model.world.reference[:, self.levers],
            self.budget[:, None], self.extend[:, None], self.value_tilt(), model.params["agent.inertia"][:, None],
            self._own, self._owner_column)

    def value_tilt(self) -> np.ndarray:
        """(v / v0) ** focus per own lever, bounded: how much more each lever is worth than at the start."""
        return value_tilt(self.model.lever_value[:, self.levers], self.model.lever_value_0[:, self.levers],
                          self.model.params["agent.focus"][:, None])


def value_tilt(now: np.ndarray, then: np.ndarray, focus: np.ndarray) -> np.ndarray:
    """(v / v0) ** focus, the ratio bounded by VALUE_RATIO_BOUNDS."""
    low, high = VALUE_RATIO_BOUNDS
    ratio = np.minimum(np.maximum((now + 1e-9) / (then + 1e-9), low), high)  # np.clip, without its overhead
    return ratio ** focus


def adjust_effort(effort: np.ndarray, fixed: np.ndarray, reference: np.ndarray, budget: np.ndarray,
                  extend: np.ndarray, tilt: np.ndarray, inertia: np.ndarray, owners: Grouping,
                  owner: np.ndarray) -> np.ndarray:
    """The new effort of a set of levers (R, k) belonging to actors ``owner`` (k,), grouped by ``owners``.

    ``fixed`` is NaN where the owner decides; ``budget`` and ``extend`` are per owner (R, n).
    Fixed levers cost their setting (or, under the extend policy, their status-quo effort);
    what is left of the budget goes to the adaptive levers in the status-quo mix tilted by
    value (``tilt``), and each adaptive lever moves ``inertia`` of the way there. Sums run left
    to right within each owner, so one actor alone or all actors at once give the same numbers.
    """
    adaptive = np.isnan(fixed)
    cost_of_fixed = np.where(adaptive, 0.0, np.where(extend[:, owner], reference, fixed))
    room = np.maximum(budget - owners.sum(cost_of_fixed), 0.0)
    mix = np.where(adaptive, reference, 0.0)
    unused = owners.sum(mix) <= 0  # no status-quo mix to start from: value alone decides
    mix = np.where(unused[:, owner] & adaptive, 1.0, mix) * tilt
    share = mix / np.maximum(owners.sum(mix)[:, owner], 1e-12)
    desired = np.minimum(room[:, owner] * share, 1.0)
    moved = effort + inertia * (desired - effort)
    return np.where(adaptive, moved, effort)


def plan_efforts(model: InfluenceModel) -> np.ndarray:
    """Every actor's allocation this month in one pass (R, L), as each agent would make it now."""
    s, w, p = model.structure, model.world, model.params
    tilt = value_tilt(model.lever_value, model.lever_value_0, p["agent.focus"][:, None])
    return adjust_effort(w.effort, model.fixed_effort, w.reference, model._budgets(), model._extend(), tilt,
                         p["agent.inertia"][:, None], s.owners, s.owner)


def value_levers(model: InfluenceModel, objectives: np.ndarray) -> np.ndarray:
    """Marginal value of every lever to its owner, (R, L), computed for all actors at once.

    ``objectives[r, i, j]`` (or ``[i, j]`` for every replicate) is the weight actor i puts on
    actor j; events may change it (``actors.<i>.objectives.<j>``). The value is the slope of the
    saturation curve times the gain of the lever's kind (ODD 7.1): pull levers gain on the
    room left to grow where the owner cares, weighted by receptivity; undermine levers gain
    on the rival's hold; welcome levers on the owner's own need for the channel; align levers
    on the room left in the owner's attitude, at the goodwill exchange rate.
    """
    s, world, p = model.structure, model.world, model.params
    weight, goodwill = p.lever_matrix("weight"), p.lever_matrix("goodwill")
    pairs = s.targets  # (lever, target) pairs: each term below is one lever at one of its targets
    care = objectives[..., pairs.owner, pairs.actor]  # how much the owner cares about the target
    term = np.ones_like(model.pair_rec)  # welcome: the owner's own need, per lever below
    pull, undermine, align = (s.pairs_of_kind[kind] for kind in (KIND_PULL, KIND_UNDERMINE, KIND_ALIGN))
    term[:, pull] = model.pair_rec[:, pull] * (1.0 - world.influence[:, pairs.owner[pull], pairs.actor[pull]])
    term[:, undermine] = world.influence[:, pairs.rival[undermine], pairs.actor[undermine]]  # the rival's hold
    term[:, align] = 1.0 - world.relation[:, pairs.owner[align], pairs.actor[align]]  # room left in the attitude
    term *= care
    rate = np.where(s.is_align, goodwill * p["agent.goodwill_value"][:, None], weight)
    welcome = np.flatnonzero(s.is_welcome)
    own_need = np.ones_like(weight)
    own_need[:, welcome] = model.receptivity[:, s.channel[welcome], s.owner[welcome]]
    gain = pairs.per_lever(term) * rate * own_need
    slope = saturate_slope(world.stock, p["influence.saturation"][:, None])
    return np.maximum(gain, 0.0) * slope
