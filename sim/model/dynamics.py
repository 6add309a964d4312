"""The model's submodels as pure array functions (equations in docs/ODD.md, section 7).

Every array has a leading replicate axis R; actors index the A axis in catalogue order
and levers the L axis. Nothing here loops over replicates, and nothing here draws random
numbers: uniforms come in as arguments, so the same inputs always give the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.scenario.catalogue import ACTORS, CHANNELS, Catalogue

CH = {name: i for i, name in enumerate(CHANNELS)}
A = len(ACTORS)
MOROCCO, MALI = ACTORS.index("morocco"), ACTORS.index("mali")
KIND_PULL, KIND_UNDERMINE, KIND_WELCOME, KIND_ALIGN = range(4)  # pair_kind codes (coerce levers pull)


@dataclass(frozen=True)
class Grouping:
    """How to sum the columns of a (R, P) array into the cells of a (R, size) one.

    ``first[c]`` is the first column that goes into cell c (column 0 for an ``empty`` cell,
    zeroed after the gather);
    ``more[k]`` holds the cells that receive a (k + 2)-th column and those columns. Adding
    layer by layer sums each cell's columns left to right in their own order, so each row
    rounds the same way whatever R is, and the work is one pass per layer, not per replicate.
    """

    first: np.ndarray  # (size,) int
    more: tuple[tuple[np.ndarray, np.ndarray], ...]  # per layer: (cells, columns)
    empty: np.ndarray | None = None  # cells without a column (they sum to 0); None if there are none

    @classmethod
    def of(cls, cell: np.ndarray, size: int) -> Grouping:
        """Group columns by ``cell`` (P,), keeping their order within a cell."""
        members = [np.flatnonzero(cell == c) for c in range(size)]
        first = np.array([m[0] if len(m) else 0 for m in members], dtype=int)
        depth = max((len(m) for m in members), default=0)
        more = tuple(
            (np.array([c for c, m in enumerate(members) if len(m) > k], dtype=int),
             np.array([m[k] for m in members if len(m) > k], dtype=int))
            for k in range(1, depth)
        )
        empty = np.array([c for c, m in enumerate(members) if not len(m)], dtype=int)
        return cls(first, more, empty if len(empty) else None)

    def sum(self, values: np.ndarray) -> np.ndarray:
        if values.shape[1] == 0:  # no columns at all: every cell is empty
            return np.zeros((values.shape[0], len(self.first)))
        total = values[:, self.first]
        if self.empty is not None:
            total[:, self.empty] = 0.0
        for cells, columns in self.more:
            total[:, cells] += values[:, columns]
        return total


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
    def undermined_rivals(self) -> np.ndarray:
        """The actors some undermine lever works against, ascending."""
        return np.unique(self.rival_index)

    @cached_property
    def pairs_of_kind(self) -> dict[int, np.ndarray]:
        """Indices of ``targets``' pairs of each kind code (KIND_PULL ...)."""
        return {kind: np.flatnonzero(self.pair_kind == kind)
                for kind in (KIND_PULL, KIND_UNDERMINE, KIND_WELCOME, KIND_ALIGN)}

    @cached_property
    def owners(self) -> Grouping:
        """Levers grouped by owner, for per-actor sums of lever values in lever order."""
        return Grouping.of(self.owner, A)

    @cached_property
    def pair_kind(self) -> np.ndarray:
        """Kind code (KIND_PULL ...) of each of ``targets``' pairs."""
        kind = np.select([self.is_pull, self.is_undermine, self.is_welcome, self.is_align],
                         [KIND_PULL, KIND_UNDERMINE, KIND_WELCOME, KIND_ALIGN], -1)
        return kind[self.targets.lever]

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

    @property
    def owner_starts(self) -> np.ndarray | None:
        """Start of each actor's block of levers when levers are grouped by owner (else None)."""
        if np.any(np.diff(self.owner) < 0) or len(np.unique(self.owner)) != A:
            return None
        return np.searchsorted(self.owner, np.arange(A))

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> Structure:
        levers = catalogue.levers
        n = len(levers)
        owner = np.array([ACTORS.index(lv.actor) for lv in levers], dtype=int)
        target_mask = np.zeros((n, A))
        rival = np.zeros((n, A))
        for i, lever in enumerate(levers):
            target_mask[i, [ACTORS.index(t) for t in lever.targets]] = 1.0
            if lever.rival:
                rival[i, ACTORS.index(lever.rival)] = 1.0
        kinds = np.array([lv.kind for lv in levers])
        channel = np.array([CH[lv.channel] for lv in levers], dtype=int)
        return cls(
            keys=tuple(lv.key for lv in levers),
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
        )


@dataclass
class World:
    """The mutable state of R replicates. Baselines (``*_0``) are the starting values."""

    influence: np.ndarray  # (R, A, A): influence[r, i, j] of actor i on actor j, in [0, 1]
    relation: np.ndarray  # (R, A, A): relation[r, j, i] = attitude of j towards i, in [-1, 1]
    effort: np.ndarray  # (R, L) in [0, 1]
    stock: np.ndarray  # (R, L) in [0, 1]
    reference: np.ndarray  # (R, L) status-quo effort: what explains the start, what agents depart from
    legacy: np.ndarray  # (R, A, A) inherited pull, solved at the start, constant
    threat: np.ndarray  # (R, A)
    stability: np.ndarray  # (R, A)
    western: np.ndarray  # (R, A)
    commitment: np.ndarray  # (R, A), exogenous, set by events
    institution: np.ndarray  # (R, N) 0/1: memberships, agreements, presences in force (sim/scenario/institutions.py)
    anchor: np.ndarray  # (R, A, A) structural attitude that relations revert to, solved at the start
    threat_base: np.ndarray  # (R, A) threat without security levers or a Western vacuum, solved at the start
    stability_base: np.ndarray  # (R, A) stability without sanctions, solved at the start
    western_0: np.ndarray  # (R, A) Western presence at the start
    outside_0: np.ndarray  # (R, A) pull of the unmodelled world at the start

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


def lever_totals(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Sum per-lever values into actors: out[r, a] = sum_l values[r, l] matrix[l, a].

    Not ``values @ matrix``: BLAS rounds a 2-D product differently depending on how many
    rows it has, which would make replicate r depend on R. A broadcast product summed
    over one axis rounds each row the same way whatever R is.
    """
    return ordered_sum(values[:, :, None] * matrix, axis=1)


def owner_totals(values: np.ndarray, structure: Structure) -> np.ndarray:
    """Per-actor sums of lever values, (R, A): segment sums over each owner's block of levers.

    Same rounding for each row whatever R is (see lever_totals), and no (R, L, A) temporary.
    """
    starts = structure.owner_starts
    if starts is None:
        return lever_totals(values, structure.owner_onehot)
    return np.add.reduceat(values, starts, axis=1)


def sanctions(effort: np.ndarray, structure: Structure) -> np.ndarray:
    """Sanctions in force on each state: coercive effort aimed at it, capped at 1. (R, A)."""
    coercive = structure.coercive_targets
    return np.minimum(coercive.per_actor(effort[:, coercive.lever]), 1.0)


def receptivity(world: World, sanction: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """How strongly each state responds to each channel, given its context. (R, C, A)."""
    threat, stability, western = world.threat, world.stability, world.western
    rec = np.ones((world.n_replicates, len(CHANNELS), A))
    rec[:, CH["mediation"]] = 0.25 + p["receptivity.mediation_gain"][:, None] * sanction
    rec[:, CH["economic"]] = 1.0 - p["receptivity.economic_sanction_drag"][:, None] * np.maximum(
        sanction, 1.0 - stability
    )
    rec[:, CH["security"]] = 0.3 + p["receptivity.security_gain"][:, None] * threat * (1.0 - western)
    rec[:, CH["humanitarian"]] = 0.5 + 0.5 * np.maximum(threat, 1.0 - stability)
    return rec


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
    fixed_spent = owner_totals(effort * fixed, structure)
    fixed_reference = owner_totals(reference * fixed, structure)
    over = fixed_spent > budget
    fixed_scale = np.where(extend | ~over, 1.0, budget / np.maximum(fixed_spent, 1e-12))
    room = np.where(extend, budget - fixed_reference, budget - fixed_spent * fixed_scale)
    return np.maximum(room, 0.0), fixed_scale


def enforce_budgets(effort: np.ndarray, fixed: np.ndarray, reference: np.ndarray, structure: Structure,
                    budget: np.ndarray, extend: np.ndarray) -> np.ndarray:
    """Keep each actor's adaptive effort within its room and fixed effort as its policy says."""
    room, fixed_scale = adaptive_room(effort, fixed, reference, structure, budget, extend)
    free_spent = owner_totals(effort * ~fixed, structure)
    free_scale = np.where(free_spent > room, room / np.maximum(free_spent, 1e-12), 1.0)
    return effort * np.where(fixed, fixed_scale[:, structure.owner], free_scale[:, structure.owner])


def update_stocks(stock: np.ndarray, effort: np.ndarray, tau_up: np.ndarray, tau_down: np.ndarray) -> np.ndarray:
    """First-order build-up towards effort (time constant tau_up) and decay (tau_down)."""
    tau = np.where(effort > stock, tau_up, tau_down)
    return stock + (effort - stock) / np.maximum(tau, 1.0)


def lever_pull(effective: np.ndarray, pair_rec: np.ndarray, structure: Structure,
               weight: np.ndarray) -> np.ndarray:
    """Pull each actor's pull-kind levers exert on each state: [r, actor, state].

    ``pair_rec`` (R, P) is :func:`pair_receptivity`.
    """
    s, targets = structure, structure.targets
    strength = weight * effective * s.is_pull  # (R, L)
    return targets.per_owner_and_actor(strength[:, targets.lever] * pair_rec)


def pull_multiplier(world: World, effective: np.ndarray, structure: Structure,
                    p: dict[str, np.ndarray], weight: np.ndarray) -> np.ndarray:
    """How much of an actor's pull on a state lands: [r, actor, state].

    The product of the state's liking of the actor, its openness (welcome levers) and
    the damage rivals' undermine levers do. Zero on the diagonal: no actor pulls itself.
    """
    s, welcome = structure, structure.welcome_targets
    levers = welcome.lever
    openness = 1.0 + welcome.per_owner_and_actor(weight[:, levers] * effective[:, levers])  # [r, state, actor]
    factor = np.swapaxes(openness, 1, 2).copy()  # [r, actor, state]
    rivals = s.undermined_rivals
    log_keep = np.zeros((factor.shape[0], len(rivals), A))  # [r, undermined rival, state]
    for lever, rival in zip(s.undermine_levers, s.rival_index, strict=True):  # few undermine levers
        damage = np.clip(weight[:, lever] * effective[:, lever], 0.0, 0.95)
        log_keep[:, np.searchsorted(rivals, rival), :] += np.log1p(-damage)[:, None] * s.target_mask[lever]
    factor[:, rivals, :] *= np.exp(log_keep)  # elsewhere the factor would be exp(0) = 1
    liking = 1.0 + p["influence.relation_sensitivity"][:, None, None] * np.swapaxes(world.relation, 1, 2)
    factor *= np.maximum(liking, 0.0)
    factor[:, np.arange(A), np.arange(A)] = 0.0
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


def solve_legacy(influence_0: np.ndarray, lever_pull_0: np.ndarray, multiplier_0: np.ndarray,
                 legacy_floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Legacy pull G[i, j] and outside pull O[j] that make the starting influence a steady state.

    Pull is P = (G + L) * M, with L the status-quo lever pull and M the multiplier (liking,
    openness, undermining), and the share of pull P / (O + sum P) must equal I0. Total pull on
    state j is T_j = max_i(L M / I0) / (1 - floor), at least 1: the actor whose start owes most
    to its levers still owes ``legacy_floor`` of it to legacy, and every other actor more. Then
    G = I0 T / M - L and O_j = T_j - sum_i P_ij. An actor with no starting influence has no
    legacy; if its status-quo levers pull on the state it gains there from month one.
    ``influence_0`` is (R, A, A), or (A, A) for every replicate. Returns (G (R, A, A), O (R, A)).
    """
    present = influence_0 > 0
    lever_driven = lever_pull_0 * multiplier_0
    ratio = np.where(present, lever_driven / np.where(present, influence_0, 1.0), 0.0)
    total = np.maximum(ratio.max(axis=1) / (1.0 - legacy_floor[:, None]), 1.0)  # (R, A)
    wanted = influence_0 * total[:, None, :] / np.maximum(multiplier_0, 1e-12)
    legacy = np.where(present, np.maximum(wanted - lever_pull_0, 0.0), 0.0)
    pull_0 = (legacy + lever_pull_0) * multiplier_0
    outside = np.maximum(total - ordered_sum(pull_0, axis=1), 0.0)
    return legacy, outside


def outside_pull(world: World, p: dict[str, np.ndarray]) -> np.ndarray:
    """Pull of everything not modelled (domestic autonomy, France, the EU, the US): (R, A).

    Its Western part shrinks as Western presence leaves, opening a vacuum.
    """
    share = p["influence.western_share"][:, None]
    now = (1.0 - share) + share * world.western
    then = (1.0 - share) + share * world.western_0
    return world.outside_0 * now / then


def update_influence(world: World, pull: np.ndarray, outside: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Influence moves a fraction of the way towards each actor's share of all pull.

    Shares on one state sum to at most one, so the update keeps the sum <= 1: what one
    actor gains there, the others (or the outside) lose.
    """
    share = pull / (outside[:, None, :] + ordered_sum(pull, axis=1)[:, None, :] + 1e-12)
    rate = p["influence.adjust_rate"][:, None, None]
    return world.influence + rate * (share - world.influence)


def goodwill_flows(effective: np.ndarray, goodwill: np.ndarray, structure: Structure,
                   relation: np.ndarray) -> np.ndarray:
    """Monthly attitude change from levers: flows[r, j, i] is the change of j's view of i.

    Pull levers move the target's view of the owner; welcome levers move the owner's view
    of the target; align levers move both. Undermine levers cost the owner goodwill in
    proportion to how much the target likes the rival being undermined: (1 + liking) / 2, so a
    neutral target resents meddling half as much as a friend of the rival, an enemy not at all.
    """
    s, targets = structure, structure.targets
    g = goodwill * effective  # (R, L)
    flows = np.swapaxes(targets.per_owner_and_actor((g * (s.is_pull | s.is_align))[:, targets.lever]), 1, 2)
    flows += targets.per_owner_and_actor((g * (s.is_welcome | s.is_align))[:, targets.lever])
    u = s.undermine_levers
    if len(u):
        liking_of_rival = 0.5 * (1.0 + relation[:, :, s.rival_index])  # [r, target, undermine lever]
        resentment = g[:, None, u] * s.target_mask[u].T * liking_of_rival  # [r, target, undermine lever]
        flows += resentment @ s.owner_onehot[u]  # [r, target, owner]
    return flows


def relation_forcing(world: World, flows: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Monthly pressure on attitudes from goodwill and structural balance: [r, j, i].

    Balance: j's view of i drifts towards what j's influencers think of i, weighted by
    their influence on j and j's liking of them.
    """
    rel = world.relation
    weights = np.swapaxes(world.influence, 1, 2) * rel  # [r, j, k] = I[k, j] * rel[j, k]
    return flows + p["relation.balance_rate"][:, None, None] * (weights @ rel)


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
    rel = world.relation
    delta = forcing + p["relation.reversion"][:, None, None] * (world.anchor - rel)
    delta = np.clip(delta, -1.0, 1.0)
    new = rel + delta * np.where(delta > 0, 1.0 - rel, 1.0 + rel)
    new[:, np.arange(A), np.arange(A)] = 0.0
    return np.clip(new, -1.0, 1.0)


def threat_relief(effective: np.ndarray, relief: np.ndarray, structure: Structure) -> np.ndarray:
    """Monthly fraction of each state's threat that security levers remove: (R, A).

    A security lever relieves its targets; a welcome lever (a state inviting a foreign force)
    relieves its owner, the state the force operates in.
    """
    pairs = structure.relief
    return pairs.per_actor((relief * effective)[:, pairs.lever])


def solve_context_bases(threat_0: np.ndarray, stability_0: np.ndarray, relief_0: np.ndarray,
                        sanction_0: np.ndarray, p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Structural threat and stability that make the starting context a steady state of the status quo.

    Threat: reversion * (base - threat_0) = relief_0 * threat_0, so the base is the threat the
    state would face without the status quo's security levers. Stability: recovery *
    (base - stability_0) = stress * sanctions_0, the stability it would have without sanctions.
    """
    threat_base = threat_0 * (1.0 + relief_0 / p["context.threat_reversion"][:, None])
    stability_base = stability_0 + p["context.sanction_stress"][:, None] * sanction_0 / p[
        "context.stability_recovery"][:, None]
    return threat_base, stability_base


def update_context(world: World, relief: np.ndarray, sanction: np.ndarray, p: dict[str, np.ndarray]) -> None:
    """Western presence follows commitment; threat and stability revert to their bases.

    ``relief`` (R, A) is :func:`threat_relief`. A Western departure raises the structural threat
    (the vacuum); security levers remove a share of the threat each month; sanctions weigh on
    stability while in force.
    """
    world.western += p["context.western_adjust_rate"][:, None] * (world.commitment - world.western)
    structural = world.threat_base + p["context.threat_vacuum"][:, None] * np.maximum(
        world.western_0 - world.western, 0.0
    )
    threat = world.threat
    world.threat = threat + p["context.threat_reversion"][:, None] * (structural - threat) - relief * threat
    world.stability = (world.stability
                       + p["context.stability_recovery"][:, None] * (world.stability_base - world.stability)
                       - p["context.sanction_stress"][:, None] * sanction)
    np.clip(world.threat, 0.0, 1.0, out=world.threat)
    np.clip(world.stability, 0.0, 1.0, out=world.stability)


def apply_shocks(world: World, u: np.ndarray, structure: Structure, p: dict[str, np.ndarray]) -> np.ndarray:
    """Random shocks from uniforms ``u`` (R, 2A + 1). Returns a (R, 3) count of shocks fired."""
    surge = u[:, :A] < p["shocks.jihadist_surge_rate"][:, None] * world.threat
    coup = u[:, A : 2 * A] < p["shocks.coup_rate"][:, None] * (1.0 - world.stability)
    convoy = u[:, 2 * A] < p["shocks.convoy_attack_rate"] * world.threat[:, MALI]
    world.threat += surge * p["shocks.jihadist_surge_size"][:, None]
    world.stability -= coup * p["shocks.coup_stability_drop"][:, None]
    world.threat += coup * 0.5 * p["shocks.coup_stability_drop"][:, None]
    keep = 1.0 - p["shocks.convoy_attack_loss"][:, None] * (convoy[:, None] & structure.convoy_exposed)
    world.stock *= keep
    np.clip(world.threat, 0.0, 1.0, out=world.threat)
    np.clip(world.stability, 0.0, 1.0, out=world.stability)
    return np.stack([surge.sum(axis=1), coup.sum(axis=1), convoy.astype(float)], axis=1)
