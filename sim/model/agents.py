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

from sim.model.compiled import as_shape, cell_sum, jit, maximum, minimum
from sim.model.dynamics import KIND_ALIGN, KIND_PULL, KIND_UNDERMINE, KIND_WELCOME, A, Grouping, ordered_sum
from sim.scenario.catalogue import ACTORS
from sim.scenario.conditions import evaluate_condition

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
        self.base_budget = np.array(budget, dtype=float)  # what the scenario, events and sweeps set
        self.budget = self.base_budget.copy()  # what it spends this month (adjust_budget)
        self.extend = extend
        # this actor's decision rules (with their column in the model's record) and, per replicate,
        # the months each one's condition has held
        self.decisions = [(column, decision) for column, decision in enumerate(model.institutions.decisions)
                          if decision.actor == actor]
        self.decision_streak = np.zeros((len(model.replicate_ids), len(self.decisions)), int)

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
        for own, (column, decision) in enumerate(self.decisions):
            current = model.world.institution[:, model.institution_index[decision.institution]]
            applicable = (current == decision.needs) & (month >= model.decision_from[:, column])
            if not applicable.any():  # e.g. no replicate has left, so none can rejoin: the condition is moot
                self.decision_streak[:, own] = 0
                continue
            holds = applicable & np.broadcast_to(
                evaluate_condition(decision.condition, model.read_state, month), current.shape)
            streak = np.where(holds, self.decision_streak[:, own] + 1, 0)
            fire = streak >= decision.hold
            self.decision_streak[:, own] = np.where(fire, 0, streak)
            if fire.any():
                model.apply_changes({f"institution.{decision.institution}": float(decision.leaves)},
                                    additive=False, where=fire)
                model.apply_changes(decision.set, additive=False, where=fire)
                model.apply_changes(decision.add, additive=True, where=fire)
                model.decided[fire, column] = 1.0
                model.planned_effort = None  # what later agents' allocations read may have changed

    def adjust_budget(self) -> None:
        """Spend more when opportunity grows (a vacuum, an invitation) and less when it shrinks.

        Opportunity is the change since the start of the status-quo-weighted marginal value of
        the actor's adaptive levers; the budget moves (at ``agent.inertia``) towards base x (1 +
        ``agent.budget_elasticity`` x opportunity), within +-``agent.budget_range`` of the base
        the scenario sets (ODD 7.2). At the status quo opportunity is 0 and the budget is the base.
        """
        model, p = self.model, self.model.params
        adaptive = np.isnan(model.fixed_effort[:, self.levers])
        mix = np.where(adaptive, model.world.reference[:, self.levers], 0.0)
        now = ordered_sum(mix * model.lever_value[:, self.levers], axis=1)
        then = ordered_sum(mix * model.lever_value_0[:, self.levers], axis=1)
        opportunity = np.where(then > 0, now / np.where(then > 0, then, 1.0) - 1.0, 0.0)
        span = p["agent.budget_range"]
        target = self.base_budget * (1.0 + np.clip(p["agent.budget_elasticity"] * opportunity, -span, span))
        self.budget = self.budget + p["agent.inertia"] * (target - self.budget)

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
            self.budget[:, None], self.extend[:, None], model.lever_value[:, self.levers],
            model.lever_value_0[:, self.levers], model.params["agent.focus"], model.params["agent.inertia"],
            self._own, self._owner_column)


def adjust_effort(effort: np.ndarray, fixed: np.ndarray, reference: np.ndarray, budget: np.ndarray,
                  extend: np.ndarray, value: np.ndarray, value_0: np.ndarray, focus: np.ndarray,
                  inertia: np.ndarray, owners: Grouping, owner: np.ndarray) -> np.ndarray:
    """The new effort of a set of levers (R, k) belonging to actors ``owner`` (k,), grouped by ``owners``.

    ``fixed`` is NaN where the owner decides; ``budget`` and ``extend`` are per owner (R, n);
    ``value`` and ``value_0`` are the levers' marginal values now and at the start (R, k);
    ``focus`` and ``inertia`` are per replicate (R,). Fixed levers cost their setting (or,
    under the extend policy, their status-quo effort); what is left of the budget goes to the
    adaptive levers in the status-quo mix tilted by value, (v / v0) ** focus with the ratio
    bounded by VALUE_RATIO_BOUNDS; each adaptive lever moves ``inertia`` of the way there.
    Sums run left to right within each owner, so one actor alone or all actors at once give the
    same numbers.
    """
    n = effort.shape[0]
    low, high = VALUE_RATIO_BOUNDS
    return _adjust_effort(effort, fixed, reference, as_shape(budget, (n, owners.size)),
                          as_shape(extend, (n, owners.size)), value, value_0, focus, low, high, inertia,
                          owners.starts, owners.columns, owner)


@jit
def _adjust_effort(effort, fixed, reference, budget, extend, value, value_0, focus, low, high, inertia, starts,
                   columns, owner):
    n, k = effort.shape
    size = len(starts) - 1
    out = np.empty((n, k))
    cost, mix = np.empty(k), np.empty(k)
    room, unused, total = np.empty(size), np.empty(size, np.bool_), np.empty(size)
    for r in range(n):
        for lever in range(k):
            adaptive = np.isnan(fixed[r, lever])
            if adaptive:
                cost[lever] = 0.0
            else:
                cost[lever] = reference[r, lever] if extend[r, owner[lever]] else fixed[r, lever]
            mix[lever] = reference[r, lever] if adaptive else 0.0
        for c in range(size):
            room[c] = maximum(budget[r, c] - cell_sum(cost, columns, starts[c], starts[c + 1]), 0.0)
            unused[c] = cell_sum(mix, columns, starts[c], starts[c + 1]) <= 0  # no status-quo mix: value decides
        for lever in range(k):
            if np.isnan(fixed[r, lever]):  # a fixed lever's mix stays 0, whatever its tilt (finite, > 0)
                ratio = minimum(maximum((value[r, lever] + 1e-9) / (value_0[r, lever] + 1e-9), low), high)
                chosen = 1.0 if unused[owner[lever]] else mix[lever]
                mix[lever] = chosen * ratio ** focus[r]
        for c in range(size):
            total[c] = maximum(cell_sum(mix, columns, starts[c], starts[c + 1]), 1e-12)
        for lever in range(k):
            if np.isnan(fixed[r, lever]):
                share = mix[lever] / total[owner[lever]]
                desired = minimum(room[owner[lever]] * share, 1.0)
                out[r, lever] = effort[r, lever] + inertia[r] * (desired - effort[r, lever])
            else:
                out[r, lever] = effort[r, lever]
    return out


def plan_efforts(model: InfluenceModel) -> np.ndarray:
    """Every actor's allocation this month in one pass (R, L), as each agent would make it now."""
    s, w, p = model.structure, model.world, model.params
    return adjust_effort(w.effort, model.fixed_effort, w.reference, model.budgets(), model.extend_policies(),
                         model.lever_value, model.lever_value_0, p["agent.focus"], p["agent.inertia"], s.owners,
                         s.owner)


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
    pairs = s.targets  # (lever, target) pairs: each term is one lever at one of its targets
    by_lever = pairs.by_lever
    n = world.n_replicates
    return _value_levers(world.influence, world.relation, world.stock, as_shape(objectives, (n, A, A)),
                         model.pair_rec, model.receptivity, p.lever_matrix("weight"), p.lever_matrix("goodwill"),
                         p["agent.goodwill_value"], p["influence.saturation"], s.pair_kind, pairs.owner, pairs.actor,
                         pairs.rival, by_lever.starts, by_lever.columns, s.lever_kind, s.channel, s.owner)


@jit
def _value_levers(influence, relation, stock, objectives, pair_rec, receptivity, weight, goodwill, goodwill_value,
                  saturation, pair_kind, owner, actor, rival, starts, columns, lever_kind, channel, lever_owner):
    n, n_levers = stock.shape
    value = np.empty((n, n_levers))
    term = np.empty(len(pair_kind))
    for r in range(n):
        for q in range(len(pair_kind)):
            i, j = owner[q], actor[q]
            if pair_kind[q] == KIND_PULL:  # the room left to grow, weighted by receptivity
                gain = pair_rec[r, q] * (1.0 - influence[r, i, j])
            elif pair_kind[q] == KIND_UNDERMINE:  # the rival's hold
                gain = influence[r, rival[q], j]
            elif pair_kind[q] == KIND_ALIGN:  # the room left in the owner's attitude
                gain = 1.0 - relation[r, i, j]
            else:  # welcome: the owner's own need, below
                gain = 1.0
            term[q] = gain * objectives[r, i, j]
        half = saturation[r]
        for k in range(n_levers):
            rate = goodwill[r, k] * goodwill_value[r] if lever_kind[k] == KIND_ALIGN else weight[r, k]
            own_need = receptivity[r, channel[k], lever_owner[k]] if lever_kind[k] == KIND_WELCOME else 1.0
            gain = cell_sum(term, columns, starts[k], starts[k + 1]) * rate * own_need
            spread = stock[r, k] + half
            slope = half * (1.0 + half) / (spread * spread)  # saturate_slope
            value[r, k] = maximum(gain, 0.0) * slope
    return value
