"""The model's submodels as pure array functions (equations in docs/ODD.md, section 7).

Every array has a leading replicate axis R; actors index the A axis in catalogue order
and levers the L axis. The monthly submodels are compiled loops over replicates
(sim/model/compiled.py says why and how they keep NumPy's rounding); nothing here draws
random numbers: uniforms come in as arguments, so the same inputs always give the same outputs.
Kernels read the number of actors and channels from their arguments' shapes, not from
module constants, which a compiled cache would not see change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.model.compiled import as_shape, cell_sum, clip, grouped_sum, jit, maximum, minimum
from sim.scenario.catalogue import ACTORS, CHANNELS, Catalogue

CH = {name: i for i, name in enumerate(CHANNELS)}
A = len(ACTORS)
# The arenas influence is contested in (ODD 7.5): each lever channel supplies one arena, and only
# the levers of an arena compete in it. Sanctions are economic coercion; mediation is politics;
# religious networks and scholarships both work through a society's elites and beliefs.
ARENAS: tuple[str, ...] = ("security", "economic", "political", "social", "humanitarian")
ARENA_OF_CHANNEL = {"security": "security", "economic": "economic", "coercive": "economic",
                    "diplomatic": "political", "mediation": "political", "religious-cultural": "social",
                    "educational": "social", "humanitarian": "humanitarian"}
C = len(ARENAS)
SECURITY = ARENAS.index("security")
MOROCCO, MALI = ACTORS.index("morocco"), ACTORS.index("mali")
KIND_PULL, KIND_UNDERMINE, KIND_WELCOME, KIND_ALIGN = range(4)  # pair_kind codes (coerce levers pull)


@dataclass(frozen=True)
class Grouping:
    """How to sum the columns of a (R, P) array into the cells of a (R, size) one.

    Cell c receives ``columns[starts[c]:starts[c + 1]]``, in their own order, summed left to
    right (an empty cell sums to 0.0), so each row rounds the same way whatever R is.
    """

    starts: np.ndarray  # (size + 1,) int
    columns: np.ndarray  # (P,) int, cell by cell
    cell: np.ndarray  # (P,) int: the cell each column goes into
    init: np.ndarray  # (size,) what a kernel's running sums start from: -0.0, or +0.0 for an empty cell

    @classmethod
    def of(cls, cell: np.ndarray, size: int) -> Grouping:
        """Group columns by ``cell`` (P,), keeping their order within a cell."""
        cell = np.asarray(cell, dtype=np.int64)
        members = [np.flatnonzero(cell == c) for c in range(size)]
        columns = np.concatenate([np.zeros(0, np.int64), *members]).astype(np.int64)
        starts = np.concatenate([[0], np.cumsum([len(m) for m in members], dtype=np.int64)]).astype(np.int64)
        # -0.0 + x is x exactly, so adding a cell's columns onto -0.0 in column order gives
        # cell_sum's numbers; an empty cell stays +0.0, as cell_sum returns
        init = np.where([len(m) > 0 for m in members], -0.0, 0.0) if size else np.zeros(0)
        return cls(starts, columns, cell, init)

    @property
    def size(self) -> int:
        return len(self.starts) - 1

    def sum(self, values: np.ndarray) -> np.ndarray:
        return grouped_sum(np.asarray(values, dtype=float), self.cell, self.init)


@dataclass(frozen=True)
class Pairs:
    """The set cells of a sparse (L, A) lever mask, as (lever, actor) pairs.

    Levers reach one or two actors each, so working on the P pairs rather than the L x A
    grid does a fifth of the arithmetic (docs/performance.md).
    """

    lever: np.ndarray  # (P,) lever of each pair, lever-major, actors ascending within a lever
    actor: np.ndarray  # (P,) the actor the pair reaches
    owner: np.ndarray  # (P,) owner of the pair's lever
    rival: np.ndarray  # (P,) rival of an undermine lever; the owner for other kinds
    n_levers: int  # L, the mask's rows (a lever may have no pair here)

    @classmethod
    def of(cls, mask: np.ndarray, owner: np.ndarray, rival: np.ndarray) -> Pairs:
        lever, actor = np.nonzero(mask)
        return cls(lever, actor, owner[lever], rival[lever], mask.shape[0])

    @cached_property
    def by_lever(self) -> Grouping:
        return Grouping.of(self.lever, self.n_levers)

    @cached_property
    def by_actor(self) -> Grouping:
        return Grouping.of(self.actor, A)

    @cached_property
    def by_owner_and_actor(self) -> Grouping:
        return Grouping.of(self.owner * A + self.actor, A * A)

    def per_lever(self, values: np.ndarray) -> np.ndarray:
        """Sum pair values into their levers: (R, P) -> (R, L)."""
        return self.by_lever.sum(values)

    def per_actor(self, values: np.ndarray) -> np.ndarray:
        """Sum pair values into the actors they reach: (R, P) -> (R, A)."""
        return self.by_actor.sum(values)

    def per_owner_and_actor(self, values: np.ndarray) -> np.ndarray:
        """Sum pair values into [r, owner, actor reached]: (R, P) -> (R, A, A)."""
        return self.by_owner_and_actor.sum(values).reshape(-1, A, A)


@dataclass(frozen=True)
class Structure:
    """The lever axis as constant matrices, built once from the catalogue."""

    keys: tuple[str, ...]  # "actor.lever" per lever, the L axis
    owner: np.ndarray  # (L,) actor index
    owner_onehot: np.ndarray  # (L, A)
    target_mask: np.ndarray  # (L, A)
    channel: np.ndarray  # (L,) channel index
    is_pull: np.ndarray  # (L,) bool: pull and coerce levers (coercion pulls while in force)
    is_undermine: np.ndarray
    is_welcome: np.ndarray
    is_align: np.ndarray
    rival_onehot: np.ndarray  # (L, A), undermine levers only
    relief_mask: np.ndarray  # (L, A): where a lever's threat relief lands (targets; the owner for welcome levers)
    convoy_exposed: np.ndarray  # (L,) bool: Morocco's economic levers in Mali
    arena: np.ndarray  # (L,) arena index (ARENAS) the lever's channel supplies

    @cached_property
    def targets(self) -> Pairs:
        """(lever, target) pairs: the sparse form of ``target_mask``."""
        return Pairs.of(self.target_mask, self.owner, self._rival_or_owner)

    @cached_property
    def relief(self) -> Pairs:
        """(lever, state relieved) pairs: the sparse form of ``relief_mask``."""
        return Pairs.of(self.relief_mask, self.owner, self._rival_or_owner)

    @cached_property
    def welcome_targets(self) -> Pairs:
        """(lever, target) pairs of welcome levers only (openness)."""
        return Pairs.of(self.target_mask * self.is_welcome[:, None], self.owner, self._rival_or_owner)

    @cached_property
    def coercive_targets(self) -> Pairs:
        """(lever, target) pairs of coercive-channel levers only (sanctions)."""
        return Pairs.of(self.target_mask * (self.channel == CH["coercive"])[:, None], self.owner,
                        self._rival_or_owner)

    @cached_property
    def owners(self) -> Grouping:
        """Levers grouped by owner, for per-actor sums of lever values in lever order."""
        return Grouping.of(self.owner, A)

    @cached_property
    def lever_kind(self) -> np.ndarray:
        """Kind code (KIND_PULL ...) of each lever; coerce levers pull."""
        return np.select([self.is_pull, self.is_undermine, self.is_welcome, self.is_align],
                         [KIND_PULL, KIND_UNDERMINE, KIND_WELCOME, KIND_ALIGN], -1)

    @cached_property
    def pair_kind(self) -> np.ndarray:
        """Kind code of each of ``targets``' pairs."""
        return self.lever_kind[self.targets.lever]

    @property
    def _rival_or_owner(self) -> np.ndarray:
        has_rival = self.rival_onehot.any(axis=1)
        return np.where(has_rival, self.rival_onehot.argmax(axis=1), self.owner)

    @property
    def undermine_levers(self) -> np.ndarray:
        """Indices of undermine levers (few), so rival terms are computed for them alone."""
        return np.flatnonzero(self.is_undermine)

    @property
    def rival_index(self) -> np.ndarray:
        """Rival actor of each undermine lever, aligned with ``undermine_levers``."""
        return self.rival_onehot[self.undermine_levers].argmax(axis=1)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> Structure:
        levers = catalogue.levers
        target_mask = np.zeros((len(levers), A))
        rival = np.zeros((len(levers), A))
        for i, lever in enumerate(levers):
            target_mask[i, [ACTORS.index(t) for t in lever.targets]] = 1.0
            if lever.rival:
                rival[i, ACTORS.index(lever.rival)] = 1.0
        return cls.from_levers(keys=tuple(lv.key for lv in levers),
                               owner=np.array([ACTORS.index(lv.actor) for lv in levers], dtype=int),
                               channel=np.array([CH[lv.channel] for lv in levers], dtype=int),
                               kinds=np.array([lv.kind for lv in levers]), target_mask=target_mask, rival=rival)

    @classmethod
    def from_levers(cls, *, keys: tuple[str, ...], owner: np.ndarray, channel: np.ndarray, kinds: np.ndarray,
                    target_mask: np.ndarray, rival: np.ndarray) -> Structure:
        """The lever axis from each lever's owner, channel index, kind, targets and rival: every
        derived mask is made here, for the catalogue and for hand-made test levers alike."""
        return cls(
            keys=keys,
            owner=owner,
            owner_onehot=np.eye(A)[owner],
            target_mask=target_mask,
            channel=channel,
            is_pull=(kinds == "pull") | (kinds == "coerce"),
            is_undermine=kinds == "undermine",
            is_welcome=kinds == "welcome",
            is_align=kinds == "align",
            rival_onehot=rival,
            relief_mask=np.where((kinds == "welcome")[:, None], np.eye(A)[owner], target_mask),
            convoy_exposed=(owner == MOROCCO) & (channel == CH["economic"]) & (target_mask[:, MALI] > 0),
            arena=np.array([ARENAS.index(ARENA_OF_CHANNEL[CHANNELS[c]]) for c in channel], dtype=int),
        )

    @cached_property
    def by_owner_arena_target(self) -> Grouping:
        """(lever, target) pairs grouped into cells [owner, arena, target] (flattened)."""
        t = self.targets
        return Grouping.of((t.owner * C + self.arena[t.lever]) * A + t.actor, A * C * A)


@dataclass
class World:
    """The mutable state of R replicates. Baselines (``*_0``) are the starting values."""

    influence: np.ndarray  # (R, A, A): influence[r, i, j] of actor i on actor j, in [0, 1]
    relation: np.ndarray  # (R, A, A): relation[r, j, i] = attitude of j towards i, in [-1, 1]
    effort: np.ndarray  # (R, L) in [0, 1]
    stock: np.ndarray  # (R, L) in [0, 1]
    reference: np.ndarray  # (R, L) status-quo effort: what explains the start, what agents depart from
    legacy: np.ndarray  # (R, A, C, A) legacy[r, i, c, j]: i's inherited pull on j in arena c, a stock (7.5)
    threat: np.ndarray  # (R, A)
    stability: np.ndarray  # (R, A)
    western: np.ndarray  # (R, A)
    commitment: np.ndarray  # (R, A), exogenous, set by events
    sanctions_endured: np.ndarray  # (R, A) memory: slow average of sanctions in force (7.13)
    insecurity_endured: np.ndarray  # (R, A) memory: slow average of the threat (7.13)
    institution: np.ndarray  # (R, N) 0/1: memberships, agreements, presences in force (sim/scenario/institutions.py)
    anchor: np.ndarray  # (R, A, A) structural attitude that relations revert to, solved at the start
    threat_base: np.ndarray  # (R, A) threat without security levers or a Western vacuum, solved at the start
    stability_base: np.ndarray  # (R, A) stability without sanctions, solved at the start
    western_0: np.ndarray  # (R, A) Western presence at the start
    outside_0: np.ndarray  # (R, C, A) pull of the unmodelled world in each arena at the start
    legacy_0: np.ndarray | None = None  # (R, A, C, A) legacy at the start (what upkeep at the status quo keeps)
    arena_pull_0: np.ndarray | None = None  # (R, A, C, A) status-quo lever pull per arena
    gate_0: np.ndarray | None = None  # (R, A, A) attitude gate at the start, [actor, state]
    flows_0: np.ndarray | None = None  # (R, A, A) the status quo's goodwill flows [j, i]

    @property
    def n_replicates(self) -> int:
        return self.influence.shape[0]


def saturate(stock: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Diminishing returns: f(K) = K (1 + h) / (K + h), so f(0) = 0 and f(1) = 1."""
    return stock * (1.0 + half) / (stock + half)


def saturate_slope(stock: np.ndarray, half: np.ndarray) -> np.ndarray:
    """f'(K) = h (1 + h) / (K + h)^2: what one more unit of stock is worth now."""
    return half * (1.0 + half) / (stock + half) ** 2


def ordered_sum(values: np.ndarray, axis: int) -> np.ndarray:
    """Sum over a small axis strictly left to right, one elementwise add per slice.

    NumPy picks its summation strategy (pairwise, unrolled, or row by row) from the array's
    shape, so the same row can round differently when R changes; this cannot.
    """
    moved = np.moveaxis(values, axis, 0)
    total = moved[0].copy()
    for part in moved[1:]:
        total += part
    return total


def sanctions(effort: np.ndarray, structure: Structure, gate: np.ndarray | None = None) -> np.ndarray:
    """Sanctions in force on each state: coercive effort aimed at it, capped at 1. (R, A)."""
    coercive = structure.coercive_targets
    cells = coercive.by_actor
    effort = np.asarray(effort, dtype=float)
    gate = np.ones((effort.shape[0], len(coercive.lever))) if gate is None else gate
    return _sanctions(effort, gate, coercive.lever, cells.cell, cells.init)


@jit
def _sanctions(effort, gate, lever, cell, init):
    n, size = effort.shape[0], len(init)
    out = np.empty((n, size))
    for r in range(n):
        total = out[r]
        total[:] = init
        for q in range(len(lever)):
            total[cell[q]] += effort[r, lever[q]] * gate[r, q]
        for a in range(size):
            total[a] = minimum(total[a], 1.0)
    return out


def receptivity(world: World, sanction: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """How strongly each state responds to each channel, given its context. (R, C, A)."""
    shape = sanction.shape
    channels = np.array([len(CHANNELS), CH["mediation"], CH["economic"], CH["security"], CH["humanitarian"]])
    return _receptivity(as_shape(world.threat, shape), as_shape(world.stability, shape),
                        as_shape(world.western, shape), sanction, p["receptivity.mediation_gain"],
                        p["receptivity.economic_sanction_drag"], p["receptivity.security_gain"], channels)


@jit
def _receptivity(threat, stability, western, sanction, mediation_gain, sanction_drag, security_gain, channels):
    n, n_actors = sanction.shape
    n_channels, mediation, economic, security, humanitarian = channels
    rec = np.ones((n, n_channels, n_actors))
    for r in range(n):
        for a in range(n_actors):
            rec[r, mediation, a] = 0.25 + mediation_gain[r] * sanction[r, a]
            rec[r, economic, a] = 1.0 - sanction_drag[r] * maximum(sanction[r, a], 1.0 - stability[r, a])
            rec[r, security, a] = 0.3 + security_gain[r] * threat[r, a] * (1.0 - western[r, a])
            rec[r, humanitarian, a] = 0.5 + 0.5 * maximum(threat[r, a], 1.0 - stability[r, a])
    return rec


def institution_gate(institution: np.ndarray, gated: tuple[tuple[int, np.ndarray], ...], n_pairs: int) -> np.ndarray:
    """(R, P): 1 where a (lever, target) pair may act, 0 where an institution that enables it on that
    target is not in force (a non-member is neither integrated nor sanctioned; expelled forces do not
    operate). ``gated`` lists (institution column, the pairs it enables)."""
    gate = np.ones((institution.shape[0], n_pairs))
    for column, pairs in gated:
        gate[:, pairs] *= institution[:, column, None]
    return gate


def pair_receptivity(rec: np.ndarray, structure: Structure) -> np.ndarray:
    """Receptivity each lever meets at each of its targets: (R, P), P the (lever, target) pairs."""
    targets = structure.targets
    return rec[:, structure.channel[targets.lever], targets.actor]


def adaptive_room(effort: np.ndarray, fixed: np.ndarray, reference: np.ndarray, structure: Structure,
                  budget: np.ndarray, extend: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What each actor's adaptive levers may spend, and the scale on its fixed levers: (R, A) each.

    ``extend`` (R, A) bool is the budget policy. Extend: a fixed lever is funded on top of the
    budget, so adaptive levers keep what they had in the status quo (the budget less the fixed
    levers' status-quo effort) and fixed levers are never scaled. Reallocate: fixed levers are
    paid from the budget first (scaled down only when they alone exceed it) and adaptive levers
    share what is left, so raising a fixed lever crowds its siblings out.
    """
    room, fixed_scale, _ = _budget_scales(*_budget_inputs(effort, fixed, reference, structure, budget, extend))
    return room, fixed_scale


def enforce_budgets(effort: np.ndarray, fixed: np.ndarray, reference: np.ndarray, structure: Structure,
                    budget: np.ndarray, extend: np.ndarray) -> np.ndarray:
    """Keep each actor's adaptive effort within its room and fixed effort as its policy says."""
    inputs = _budget_inputs(effort, fixed, reference, structure, budget, extend)
    _, fixed_scale, free_scale = _budget_scales(*inputs)
    return _scale_efforts(inputs[0], inputs[1], structure.owner, fixed_scale, free_scale)


def _budget_inputs(effort, fixed, reference, structure, budget, extend) -> tuple:
    effort = np.asarray(effort, dtype=float)
    shape, owners = effort.shape, structure.owners
    actors = (shape[0], owners.size)
    return (effort, as_shape(fixed, shape), as_shape(reference, shape).astype(float, copy=False),
            as_shape(budget, actors).astype(float, copy=False), as_shape(extend, actors),
            owners.starts, owners.columns)


@jit
def _budget_scales(effort, fixed, reference, budget, extend, starts, columns):
    """Room for adaptive levers, and the scales on fixed and on adaptive levers, per actor (R, A)."""
    n, n_levers = effort.shape
    size = len(starts) - 1
    room, fixed_scale, free_scale = np.empty((n, size)), np.empty((n, size)), np.empty((n, size))
    fixed_part, reference_part, free_part = np.empty(n_levers), np.empty(n_levers), np.empty(n_levers)
    for r in range(n):
        for lever in range(n_levers):
            on = 1.0 if fixed[r, lever] else 0.0
            fixed_part[lever] = effort[r, lever] * on
            reference_part[lever] = reference[r, lever] * on
            free_part[lever] = effort[r, lever] * (1.0 - on)
        for a in range(size):
            lo, hi = starts[a], starts[a + 1]
            spent = cell_sum(fixed_part, columns, lo, hi)
            scale = 1.0 if (extend[r, a] or not spent > budget[r, a]) else budget[r, a] / maximum(spent, 1e-12)
            if extend[r, a]:
                left = budget[r, a] - cell_sum(reference_part, columns, lo, hi)
            else:
                left = budget[r, a] - spent * scale
            left = maximum(left, 0.0)
            free_spent = cell_sum(free_part, columns, lo, hi)
            room[r, a] = left
            fixed_scale[r, a] = scale
            free_scale[r, a] = left / maximum(free_spent, 1e-12) if free_spent > left else 1.0
    return room, fixed_scale, free_scale


@jit
def _scale_efforts(effort, fixed, owner, fixed_scale, free_scale):
    n, n_levers = effort.shape
    out = np.empty((n, n_levers))
    for r in range(n):
        for lever in range(n_levers):
            scale = fixed_scale[r, owner[lever]] if fixed[r, lever] else free_scale[r, owner[lever]]
            out[r, lever] = effort[r, lever] * scale
    return out


def update_stocks(stock: np.ndarray, effort: np.ndarray, tau_up: np.ndarray, tau_down: np.ndarray) -> np.ndarray:
    """First-order build-up towards effort (time constant tau_up) and decay (tau_down)."""
    tau = np.where(effort > stock, tau_up, tau_down)
    return stock + (effort - stock) / np.maximum(tau, 1.0)


def pull_multiplier(world: World, effective: np.ndarray, structure: Structure,
                    p: dict[str, np.ndarray], weight: np.ndarray) -> np.ndarray:
    """How much of an actor's pull on a state lands: [r, actor, state].

    The product of the state's liking of the actor, its openness (welcome levers) and
    the damage rivals' undermine levers do. Zero on the diagonal: no actor pulls itself.
    """
    s, welcome = structure, structure.welcome_targets
    cells = welcome.by_owner_and_actor
    undermine = s.undermine_levers
    return _pull_multiplier(np.asarray(effective, dtype=float), as_shape(weight, np.shape(effective)),
                            world.relation, p["influence.relation_sensitivity"], welcome.lever, cells.cell,
                            cells.init, undermine, s.rival_index, s.target_mask[undermine])


@jit
def _pull_multiplier(effective, weight, relation, sensitivity, welcome_lever, cell, init, undermine, rival,
                     undermined_targets):
    n, n_actors = relation.shape[0], relation.shape[1]
    factor = np.empty((n, n_actors, n_actors))
    opened = np.empty(len(init))
    log_keep = np.empty(n_actors)
    for r in range(n):
        opened[:] = init  # [state * A + actor]: the welcome levers' owner is the state
        for q in range(len(welcome_lever)):
            k = welcome_lever[q]
            opened[cell[q]] += weight[r, k] * effective[r, k]
        for state in range(n_actors):
            for actor in range(n_actors):
                factor[r, actor, state] = 1.0 + opened[state * n_actors + actor]
        for target_rival in range(n_actors):  # undermining, in the order of the undermined rivals
            touched = False
            for state in range(n_actors):
                log_keep[state] = 0.0
            for u in range(len(undermine)):
                if rival[u] != target_rival:
                    continue
                touched = True
                damage = clip(weight[r, undermine[u]] * effective[r, undermine[u]], 0.0, 0.95)
                lost = np.log1p(-damage)
                for state in range(n_actors):
                    log_keep[state] += lost * undermined_targets[u, state]
            if touched:
                for state in range(n_actors):
                    factor[r, target_rival, state] *= np.exp(log_keep[state])
        for actor in range(n_actors):
            for state in range(n_actors):
                liking = 1.0 + sensitivity[r] * relation[r, state, actor]
                factor[r, actor, state] *= maximum(liking, 0.0)
            factor[r, actor, actor] = 0.0
    return factor


def institutional_openness(institution: np.ndarray, holder: np.ndarray, partner: np.ndarray,
                           strength: np.ndarray) -> np.ndarray:
    """Factor on each partner's pull on each holder from institutions in force: [r, partner, holder].

    ``institution`` (R, N) is 0/1, ``holder`` and ``partner`` (N,) actor indices (partner -1: an
    organisation not modelled, no effect). A membership, an agreement or an invited force opens
    the holder to its partner: 1 + strength for each one in force.
    """
    factor = np.ones((institution.shape[0], A, A))
    for n in np.flatnonzero(partner >= 0):  # few institutions
        factor[:, partner[n], holder[n]] += strength * institution[:, n]
    return factor


def arena_pull(effective: np.ndarray, pair_rec: np.ndarray, structure: Structure,
               weight: np.ndarray) -> np.ndarray:
    """Pull each actor's pull-kind levers exert on each state, by arena: [r, actor, arena, state].

    ``pair_rec`` (R, P) is :func:`pair_receptivity`; only levers of an arena supply it."""
    t = structure.targets
    k = t.lever
    per_pair = (as_shape(weight, np.shape(effective))[:, k] * np.asarray(effective, dtype=float)[:, k]
                * structure.is_pull[k] * pair_rec)
    return structure.by_owner_arena_target.sum(per_pair).reshape(-1, A, C, A)


def arena_weights(threat: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """How much each arena counts in each state's influence: (R, C, A), summing to 1 over arenas.

    Base weights are parameters (``arena.*``); a threatened state weights security more
    (``arena.threat_emphasis``), so a security vacuum matters more where the threat is high.
    """
    base = np.stack([p[f"arena.{name}"] for name in ARENAS], axis=1)  # (R, C)
    raw = np.repeat(base[:, :, None], threat.shape[1], axis=2)
    raw[:, SECURITY, :] *= 1.0 + p["arena.threat_emphasis"][:, None] * threat
    return raw / ordered_sum(raw, axis=1)[:, None, :]


def attitude_gate(relation: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """[r, actor, state]: (1 + sensitivity * state's attitude to actor)+, how open a state is to an
    actor it likes or resents (hostility shuts a partner out, warmth amplifies)."""
    liking = np.swapaxes(relation, 1, 2)
    return np.maximum(1.0 + p["influence.relation_sensitivity"][:, None, None] * liking, 0.0)


def solve_arenas(influence_0: np.ndarray, lever_pull_0: np.ndarray, multiplier_0: np.ndarray,
                 weights_0: np.ndarray, legacy_floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Legacy G[i, c, j] and outside pull O[c, j] that make the starting influence a steady state.

    Each state j's arenas share one scale Z_j (total pull in an arena, outside included): the
    smallest at which every actor's status-quo levers fit in its starting influence with at least
    ``legacy_floor`` of its lever-bought shares left to legacy,

        Z_j = max(1, max_i sum_c W_cj L_icj M_ij / (I_ij (1 - floor))).

    Actor i's share of arena c is then what its levers buy, l_icj = L_icj M_ij / (Z_j (1 - floor)),
    plus standing b_ij spread evenly over the arenas other than security (influence beyond what
    levers explain is inherited standing; security influence is bought by operations on the ground,
    not inherited): b_ij = (I_ij - sum_c W_cj l_icj) / sum_{c != security} W_cj. Legacy is what the
    share needs beyond the levers, G = s Z / M - L (>= floor / (1 - floor) L), and the outside holds
    the rest, O_cj = Z_j (1 - sum_i s_icj). An actor with no starting influence on j has no share
    there and no legacy; its levers pull from zero. An arena's modelled shares are capped at 0.95.
    Shapes: influence and multiplier (R, A, A), lever pull (R, A, C, A), weights (R, C, A).
    Returns (G (R, A, C, A), O (R, C, A)).
    """
    present = influence_0 > 0  # (R, A, A) [actor, state]
    multiplier = multiplier_0[:, :, None, :]
    supply = lever_pull_0 * multiplier  # (R, A, C, A)
    bought = ordered_sum(supply * weights_0[:, None, :, :], axis=2)  # (R, A, A)
    keep = (1.0 - legacy_floor)[:, None, None]
    ratio = np.where(present, bought / (np.where(present, influence_0, 1.0) * keep), 0.0)
    scale = np.maximum(ratio.max(axis=1), 1.0)  # (R, A): Z per state
    lever_share = np.where(present[:, :, None, :], supply / (scale[:, None, None, :] * keep[:, :, :, None]), 0.0)
    standing_arena = np.ones(C)
    standing_arena[SECURITY] = 0.0
    standing_weight = ordered_sum(weights_0 * standing_arena[None, :, None], axis=1)  # (R, A) per state
    remainder = np.maximum(influence_0 - ordered_sum(lever_share * weights_0[:, None, :, :], axis=2), 0.0)
    standing = remainder / standing_weight[:, None, :]  # (R, A, A)
    shares = lever_share + standing[:, :, None, :] * standing_arena[None, None, :, None]
    held = ordered_sum(shares, axis=1)[:, None, :, :]
    shares = np.where(held > 0.95, shares * 0.95 / np.maximum(held, 1e-12), shares)
    total = scale[:, None, None, :]
    legacy = np.where(present[:, :, None, :],
                      np.maximum(shares * total / np.maximum(multiplier, 1e-12) - lever_pull_0, 0.0), 0.0)
    outside = np.maximum(scale[:, None, :] * (1.0 - ordered_sum(shares, axis=1)), 0.0)
    return legacy, outside


def update_legacy(world: World, lever_pull: np.ndarray, gate: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Legacy is a stock: it moves towards what current upkeep and attitude sustain.

    Target: G0 * upkeep * attitude, with upkeep = (L + e) / (L0 + e) capped at
    ``influence.upkeep_cap`` (e = 0.05: an actor that never pulled in an arena keeps the legacy it
    has there, one that stops pulling loses it) and attitude = gate / gate0. It approaches the
    target with time constant ``influence.legacy_tau``, eroding faster when the state is hostile:
    rate x (1 + ``influence.hostility_erosion`` x hostility) while it falls.
    """
    n = world.legacy.shape[0]
    return _update_legacy(world.legacy, world.legacy_0, lever_pull, world.arena_pull_0, gate, world.gate_0,
                          world.relation, as_shape(p["influence.upkeep_cap"], (n,)),
                          as_shape(p["influence.legacy_tau"], (n,)), as_shape(p["influence.hostility_erosion"], (n,)))


@jit
def _update_legacy(legacy, legacy_0, pull, pull_0, gate, gate_0, relation, cap, tau, erosion):
    n, n_actors, n_arenas, n_states = legacy.shape
    out = np.empty_like(legacy)
    for r in range(n):
        inverse_tau = 1.0 / tau[r]
        for i in range(n_actors):
            for j in range(n_states):
                attitude = gate[r, i, j] / gate_0[r, i, j] if gate_0[r, i, j] > 0 else 1.0
                hostility = maximum(-relation[r, j, i], 0.0)
                for c in range(n_arenas):
                    upkeep = minimum((pull[r, i, c, j] + 0.05) / (pull_0[r, i, c, j] + 0.05), cap[r])
                    target = legacy_0[r, i, c, j] * upkeep * attitude
                    now = legacy[r, i, c, j]
                    rate = inverse_tau * (1.0 + erosion[r] * hostility) if target < now else inverse_tau
                    out[r, i, c, j] = now + minimum(rate, 1.0) * (target - now)
    return out


def outside_pull(world: World, p: dict[str, np.ndarray]) -> np.ndarray:
    """Pull of everything not modelled (domestic autonomy, France, the EU, the US): (R, C, A).

    Its Western part in the security arena leaves with Western forces, opening a vacuum there
    that only security suppliers can fill.
    """
    share = p["influence.western_share"][:, None]
    now = (1.0 - share) + share * world.western
    then = (1.0 - share) + share * world.western_0
    out = world.outside_0.copy()
    out[:, SECURITY, :] *= now / then
    return out


def update_influence(world: World, pull: np.ndarray, outside: np.ndarray, weights: np.ndarray,
                     p: dict[str, np.ndarray]) -> np.ndarray:
    """Influence moves a fraction of the way towards its arena-weighted share of pull.

    ``pull`` (R, A, C, A), ``outside`` and ``weights`` (R, C, A). In each arena the shares and the
    outside's sum to one, and the weights sum to one, so the influences on a state sum to at most
    one: what one actor gains there, the others (or the outside) lose.
    """
    return _update_influence(world.influence, pull, outside, weights,
                             as_shape(p["influence.adjust_rate"], (pull.shape[0],)))


@jit
def _update_influence(influence, pull, outside, weights, rate):
    n, n_actors, n_arenas, n_states = pull.shape
    new = np.empty((n, n_actors, n_states))
    total = np.empty(n_arenas)
    for r in range(n):
        for j in range(n_states):
            for c in range(n_arenas):  # the arena's whole pull: the actors' in order, then the outside
                pulled = pull[r, 0, c, j]
                for k in range(1, n_actors):
                    pulled += pull[r, k, c, j]
                total[c] = outside[r, c, j] + pulled + 1e-12
            for i in range(n_actors):
                target = pull[r, i, 0, j] / total[0] * weights[r, 0, j]
                for c in range(1, n_arenas):
                    target += pull[r, i, c, j] / total[c] * weights[r, c, j]
                now = influence[r, i, j]
                new[r, i, j] = 0.0 if i == j else now + rate[r] * (target - now)
    return new


def goodwill_flows(effective: np.ndarray, goodwill: np.ndarray, structure: Structure,
                   relation: np.ndarray, gate: np.ndarray | None = None) -> np.ndarray:
    """Monthly attitude change from levers: flows[r, j, i] is the change of j's view of i.

    Pull levers move the target's view of the owner; welcome levers move the owner's view
    of the target; align levers move both. Undermine levers cost the owner goodwill in
    proportion to how much the target likes the rival being undermined: (1 + liking) / 2, so a
    neutral target resents meddling half as much as a friend of the rival, an enemy not at all.
    """
    s, targets = structure, structure.targets
    cells = targets.by_owner_and_actor
    u = s.undermine_levers
    effective = np.asarray(effective, dtype=float)
    gate = np.ones((effective.shape[0], len(targets.lever))) if gate is None else gate
    return _goodwill_flows(effective, as_shape(goodwill, np.shape(effective)), gate,
                           relation, (s.is_pull | s.is_align).astype(float), (s.is_welcome | s.is_align).astype(float),
                           targets.lever, cells.cell, cells.init, u, s.rival_index, s.target_mask[u],
                           s.owner_onehot[u])


@jit
def _goodwill_flows(effective, goodwill, gate, relation, towards_owner, towards_target, lever, cell, init,
                    undermine, rival, undermined_targets, undermine_owner):
    n, n_actors = relation.shape[0], relation.shape[1]
    flows = np.empty((n, n_actors, n_actors))
    g = np.empty(effective.shape[1])
    earned_by_owner, earned_by_target = np.empty(len(init)), np.empty(len(init))  # [owner * A + target]
    resentment = np.empty(len(undermine))
    for r in range(n):
        for k in range(len(g)):
            g[k] = goodwill[r, k] * effective[r, k]
        earned_by_owner[:] = init
        earned_by_target[:] = init
        for q in range(len(lever)):
            k = lever[q]
            earned_by_owner[cell[q]] += g[k] * towards_owner[k] * gate[r, q]
            earned_by_target[cell[q]] += g[k] * towards_target[k] * gate[r, q]
        for j in range(n_actors):  # flows[j, i]: the target j's view of owner i, then owner j's view of target i
            for i in range(n_actors):
                flows[r, j, i] = earned_by_owner[i * n_actors + j] + earned_by_target[j * n_actors + i]
        if len(undermine):
            for target in range(n_actors):
                for u in range(len(undermine)):
                    liking_of_rival = 0.5 * (1.0 + relation[r, target, rival[u]])
                    resentment[u] = g[undermine[u]] * undermined_targets[u, target] * liking_of_rival
                for owner in range(n_actors):
                    resented = 0.0  # resentment @ undermine_owner
                    for u in range(len(undermine)):
                        resented += resentment[u] * undermine_owner[u, owner]
                    flows[r, target, owner] += resented
    return flows


def relief_credit(effective: np.ndarray, relief: np.ndarray, threat: np.ndarray, structure: Structure,
                  p: dict[str, np.ndarray], gate: np.ndarray | None = None) -> np.ndarray:
    """Goodwill earned by delivering security, [r, j, i]: a state credits whoever's security levers
    relieve its threat, in proportion to the threat they remove each month (relief x stock x threat)."""
    t = structure.targets
    k = t.lever
    security = structure.is_pull & (structure.channel == CH["security"])
    per_pair = (as_shape(relief, np.shape(effective))[:, k] * np.asarray(effective, dtype=float)[:, k]
                * security[k] * threat[:, t.actor])
    if gate is not None:
        per_pair = per_pair * gate
    by_owner = t.per_owner_and_actor(per_pair)  # [owner, target]
    return p["relation.relief_credit"][:, None, None] * np.swapaxes(by_owner, 1, 2)


def earned_goodwill(flows: np.ndarray, flows_0: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Goodwill saturates: the departure of a pair's monthly flows from the status quo's is
    bounded by ``relation.goodwill_cap`` x reversion (tanh), so no change of levers can move an
    attitude's equilibrium by more than about the cap. Small departures pass unchanged."""
    cap = (p["relation.goodwill_cap"] * p["relation.reversion"])[:, None, None]
    return flows_0 + cap * np.tanh((flows - flows_0) / cap)


def relation_forcing(world: World, flows: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Monthly pressure on attitudes from goodwill, structural balance and reciprocity: [r, j, i].

    Balance: j's view of i drifts towards what j's influencers think of i, weighted by
    their influence on j and j's liking of them. Reciprocity: j's view of i drifts towards i's
    view of j (being resented cools you in turn).
    """
    forcing = _relation_forcing(world.influence, world.relation, flows, p["relation.balance_rate"])
    return forcing + p["relation.reciprocity"][:, None, None] * (np.swapaxes(world.relation, 1, 2) - world.relation)


@jit
def _relation_forcing(influence, relation, flows, balance_rate):
    n, n_actors = relation.shape[0], relation.shape[1]
    forcing = np.empty((n, n_actors, n_actors))
    balance = np.empty(n_actors)
    for r in range(n):
        for j in range(n_actors):
            balance[:] = 0.0  # row j of weights @ relation
            for k in range(n_actors):
                weight = influence[r, k, j] * relation[r, j, k]  # k's influence on j, times j's liking of k
                for i in range(n_actors):  # independent sums side by side, each still in k order
                    balance[i] += weight * relation[r, k, i]
            for i in range(n_actors):
                forcing[r, j, i] = flows[r, j, i] + balance_rate[r] * balance[i]
    return forcing


def solve_anchor(relation_0: np.ndarray, forcing_0: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """The structural attitude a relation reverts to, such that the status quo holds it still.

    At the start, forcing + reversion * (anchor - relation) = 0, so
    anchor = relation_0 - forcing_0 / reversion. It may lie outside [-1, 1]: it is what the
    relation would tend to if the status quo's goodwill and balance stopped, not an attitude.
    """
    anchor = relation_0 - forcing_0 / p["relation.reversion"][:, None, None]
    anchor[:, np.arange(A), np.arange(A)] = 0.0
    return anchor


def update_relations(world: World, forcing: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Attitudes move with the forcing and revert to their anchor, softly bounded to [-1, 1]."""
    return _update_relations(world.relation, as_shape(world.anchor, forcing.shape), forcing,
                             p["relation.reversion"])


@jit
def _update_relations(relation, anchor, forcing, reversion):
    n, n_actors = relation.shape[0], relation.shape[1]
    new = np.empty((n, n_actors, n_actors))
    for r in range(n):
        for j in range(n_actors):
            for i in range(n_actors):
                rel = relation[r, j, i]
                delta = clip(forcing[r, j, i] + reversion[r] * (anchor[r, j, i] - rel), -1.0, 1.0)
                moved = rel + delta * ((1.0 - rel) if delta > 0 else (1.0 + rel))
                new[r, j, i] = 0.0 if i == j else clip(moved, -1.0, 1.0)
    return new


def threat_relief(effective: np.ndarray, relief: np.ndarray, structure: Structure,
                  gate: np.ndarray | None = None) -> np.ndarray:
    """Monthly fraction of each state's threat that security levers remove: (R, A).

    A security lever relieves its targets; a welcome lever (a state inviting a foreign force)
    relieves its owner, the state the force operates in.
    """
    pairs = structure.relief
    cells = pairs.by_actor
    effective = np.asarray(effective, dtype=float)
    gate = np.ones((effective.shape[0], len(pairs.lever))) if gate is None else gate
    return _threat_relief(effective, gate, as_shape(relief, np.shape(effective)),
                          pairs.lever, cells.cell, cells.init)


@jit
def _threat_relief(effective, gate, relief, lever, cell, init):
    out = np.empty((effective.shape[0], len(init)))
    for r in range(effective.shape[0]):
        total = out[r]
        total[:] = init
        for q in range(len(lever)):
            total[cell[q]] += relief[r, lever[q]] * effective[r, lever[q]] * gate[r, q]
    return out


def solve_context_bases(threat_0: np.ndarray, stability_0: np.ndarray, relief_0: np.ndarray,
                        sanction_0: np.ndarray, p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Structural threat and stability that make the starting context the expected steady state
    of the status quo, built-in shocks included (so the shocks cause no drift on average).

    Threat: reversion * (base - T0) - relief_0 T0 + surge_rate T0 surge_size + coup_rate (1 - Q0)
    drop / 2 = 0: the base is the threat without the status quo's security levers, less what the
    shocks add on average. Stability: recovery * (base - Q0) = stress * sanctions_0 + coup_rate
    (1 - Q0) drop. Both are linear in T and Q, so the expectation holds exactly while nothing
    is clipped; with the shock rates at 0 the start is an exact steady state.
    """
    def col(name: str) -> np.ndarray:
        return p[name][:, None]

    coups = col("shocks.coup_rate") * (1.0 - stability_0) * col("shocks.coup_stability_drop")
    surges = col("shocks.jihadist_surge_rate") * threat_0 * col("shocks.jihadist_surge_size")
    threat_base = threat_0 + (relief_0 * threat_0 - surges - 0.5 * coups) / col("context.threat_reversion")
    stability_base = stability_0 + (col("context.sanction_stress") * sanction_0 + coups) / col(
        "context.stability_recovery")
    return np.maximum(threat_base, 0.0), stability_base


def update_memories(world: World, sanction: np.ndarray, p: dict[str, np.ndarray]) -> None:
    """What a state has endured: slow averages of sanctions in force and of the threat (ODD 7.13).

    Decisions read these, not only this month's state, so a grievance outlives its cause: six
    months of sanctions leave a memory that fades over years (at ``memory.rate`` per month).
    """
    rate = p["memory.rate"][:, None]
    world.sanctions_endured += rate * (sanction - world.sanctions_endured)
    world.insecurity_endured += rate * (world.threat - world.insecurity_endured)


def update_context(world: World, relief: np.ndarray, sanction: np.ndarray, p: dict[str, np.ndarray]) -> None:
    """Western presence follows commitment; threat and stability revert to their bases.

    ``relief`` (R, A) is :func:`threat_relief`. A Western departure raises the structural threat
    (the vacuum); security levers remove a share of the threat each month; sanctions weigh on
    stability while in force.
    """
    shape = world.threat.shape
    world.threat, world.stability = _update_context(
        world.western, world.threat, world.stability, as_shape(world.commitment, shape),
        as_shape(world.threat_base, shape), as_shape(world.stability_base, shape),
        as_shape(world.western_0, shape), relief, sanction, p["context.western_adjust_rate"],
        p["context.threat_vacuum"], p["context.threat_reversion"], p["context.stability_recovery"],
        p["context.sanction_stress"])


@jit
def _update_context(western, threat, stability, commitment, threat_base, stability_base, western_0, relief,
                    sanction, western_rate, vacuum, threat_reversion, recovery, stress):
    """Moves ``western`` in place; returns the new threat and stability."""
    n, n_actors = threat.shape
    new_threat, new_stability = np.empty((n, n_actors)), np.empty((n, n_actors))
    for r in range(n):
        for a in range(n_actors):
            western[r, a] += western_rate[r] * (commitment[r, a] - western[r, a])
            structural = threat_base[r, a] + vacuum[r] * maximum(western_0[r, a] - western[r, a], 0.0)
            was = threat[r, a]
            moved = was + threat_reversion[r] * (structural - was) - relief[r, a] * was
            new_threat[r, a] = clip(moved, 0.0, 1.0)
            steady = stability[r, a]
            moved = steady + recovery[r] * (stability_base[r, a] - steady) - stress[r] * sanction[r, a]
            new_stability[r, a] = clip(moved, 0.0, 1.0)
    return new_threat, new_stability


def apply_shocks(world: World, u: np.ndarray, structure: Structure, p: dict[str, np.ndarray]) -> np.ndarray:
    """Random shocks from uniforms ``u`` (R, 2A + 1). Returns a (R, 3) count of shocks fired.

    A jihadist surge raises a state's threat (more likely the higher it is); a coup drops its
    stability and raises its threat by half as much (more likely the less stable it is); a
    convoy attack in Mali destroys part of the stock of Morocco's economic levers there.
    """
    return _apply_shocks(world.threat, world.stability, world.stock, u, structure.convoy_exposed.astype(float),
                         MALI, p["shocks.jihadist_surge_rate"], p["shocks.jihadist_surge_size"], p["shocks.coup_rate"],
                         p["shocks.coup_stability_drop"], p["shocks.convoy_attack_rate"],
                         p["shocks.convoy_attack_loss"])


@jit
def _apply_shocks(threat, stability, stock, u, exposed, mali, surge_rate, surge_size, coup_rate, coup_drop,
                  convoy_rate, convoy_loss):
    """Moves threat, stability and stock in place; returns the counts."""
    n, n_actors = threat.shape
    counts = np.zeros((n, 3))
    for r in range(n):
        convoy = 1.0 if u[r, 2 * n_actors] < convoy_rate[r] * threat[r, mali] else 0.0
        for a in range(n_actors):
            surge = 1.0 if u[r, a] < surge_rate[r] * threat[r, a] else 0.0
            coup = 1.0 if u[r, n_actors + a] < coup_rate[r] * (1.0 - stability[r, a]) else 0.0
            threat[r, a] += surge * surge_size[r]
            stability[r, a] -= coup * coup_drop[r]
            threat[r, a] += coup * 0.5 * coup_drop[r]
            counts[r, 0] += surge
            counts[r, 1] += coup
        for k in range(stock.shape[1]):
            stock[r, k] *= 1.0 - convoy_loss[r] * (convoy * exposed[k])
        for a in range(n_actors):
            threat[r, a] = clip(threat[r, a], 0.0, 1.0)
            stability[r, a] = clip(stability[r, a], 0.0, 1.0)
        counts[r, 2] = convoy
    return counts
