"""The model's submodels as pure array functions (equations in docs/ODD.md, section 7).

Every array has a leading replicate axis R; actors index the A axis in catalogue order
and levers the L axis. Nothing here loops over replicates, and nothing here draws random
numbers: uniforms come in as arguments, so the same inputs always give the same outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.catalogue import ACTORS, CHANNELS, Catalogue

CH = {name: i for i, name in enumerate(CHANNELS)}
A = len(ACTORS)
MOROCCO, MALI = ACTORS.index("morocco"), ACTORS.index("mali")


@dataclass(frozen=True)
class Structure:
    """The lever axis as constant matrices, built once from the catalogue."""

    keys: tuple[str, ...]  # "actor.lever" per lever, the L axis
    owner: np.ndarray  # (L,) actor index
    owner_onehot: np.ndarray  # (L, A)
    target_mask: np.ndarray  # (L, A)
    channel: np.ndarray  # (L,) channel index
    is_pull: np.ndarray  # (L,) bool
    is_undermine: np.ndarray
    is_welcome: np.ndarray
    is_align: np.ndarray
    rival_onehot: np.ndarray  # (L, A), undermine levers only
    convoy_exposed: np.ndarray  # (L,) bool: Morocco's economic levers in Mali

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
            is_pull=kinds == "pull",
            is_undermine=kinds == "undermine",
            is_welcome=kinds == "welcome",
            is_align=kinds == "align",
            rival_onehot=rival,
            convoy_exposed=(owner == MOROCCO) & (channel == CH["economic"]) & (target_mask[:, MALI] > 0),
        )


@dataclass
class World:
    """The mutable state of R replicates. Baselines (``*_0``) are the starting values."""

    influence: np.ndarray  # (R, A, A): influence[r, i, j] of actor i on actor j, in [0, 1]
    relation: np.ndarray  # (R, A, A): relation[r, j, i] = attitude of j towards i, in [-1, 1]
    effort: np.ndarray  # (R, L) in [0, 1]
    stock: np.ndarray  # (R, L) in [0, 1]
    legacy: np.ndarray  # (R, A, A) inherited pull
    threat: np.ndarray  # (R, A)
    stability: np.ndarray  # (R, A)
    western: np.ndarray  # (R, A)
    commitment: np.ndarray  # (R, A), exogenous, set by events
    relation_0: np.ndarray  # (A, A)
    threat_0: np.ndarray  # (A,)
    stability_0: np.ndarray  # (A,)
    western_0: np.ndarray  # (A,)
    outside_0: np.ndarray  # (R, A) pull of the unmodelled world at the start
    effectiveness: np.ndarray  # (R, A, A) calibrated at the start, see calibrate_effectiveness

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
    coercive = structure.channel == CH["coercive"]
    return np.minimum(lever_totals(effort[:, coercive], structure.target_mask[coercive]), 1.0)


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


def lever_receptivity(rec: np.ndarray, structure: Structure) -> np.ndarray:
    """Receptivity each lever meets at each state: (R, L, A)."""
    return rec[:, structure.channel, :]


def enforce_budgets(effort: np.ndarray, fixed: np.ndarray, structure: Structure, budget: np.ndarray) -> np.ndarray:
    """Keep each actor's total effort within its budget (R, A).

    Intensities the scenario fixes (``fixed`` True) are honoured first; adaptive levers
    share what is left, scaled down proportionally. Fixed intensities are scaled only when
    they alone exceed the budget.
    """
    fixed_spent = owner_totals(effort * fixed, structure)
    free_spent = owner_totals(effort * ~fixed, structure)
    fixed_scale = np.where(fixed_spent > budget, budget / np.maximum(fixed_spent, 1e-12), 1.0)
    room = np.maximum(budget - fixed_spent * fixed_scale, 0.0)
    free_scale = np.where(free_spent > room, room / np.maximum(free_spent, 1e-12), 1.0)
    return effort * np.where(fixed, fixed_scale[:, structure.owner], free_scale[:, structure.owner])


def update_stocks(stock: np.ndarray, effort: np.ndarray, tau_up: np.ndarray, tau_down: np.ndarray) -> np.ndarray:
    """First-order build-up towards effort (time constant tau_up) and decay (tau_down)."""
    tau = np.where(effort > stock, tau_up, tau_down)
    return stock + (effort - stock) / np.maximum(tau, 1.0)


def by_owner(values: np.ndarray, structure: Structure) -> np.ndarray:
    """Sum lever rows into their owners: (R, L, X) -> (R, A, X), out[r, owner, x].

    Segment sums over each owner's block of levers (no per-replicate matrix products, and
    each row rounds the same way whatever R is).
    """
    starts = structure.owner_starts
    if starts is None:
        return np.einsum("rlx,la->rax", values, structure.owner_onehot)
    return np.add.reduceat(values, starts, axis=1)


def lever_pull(effective: np.ndarray, lever_rec: np.ndarray, structure: Structure,
               weight: np.ndarray) -> np.ndarray:
    """Pull each actor's pull-kind levers exert on each state: [r, actor, state]."""
    s = structure
    strength = weight * effective * s.is_pull  # (R, L)
    return by_owner(strength[:, :, None] * lever_rec * s.target_mask, s)


def pull_multiplier(world: World, effective: np.ndarray, structure: Structure,
                    p: dict[str, np.ndarray], weight: np.ndarray) -> np.ndarray:
    """How much of an actor's pull on a state lands: [r, actor, state].

    The product of the state's liking of the actor, its openness (welcome levers) and
    the damage rivals' undermine levers do. Zero on the diagonal: no actor pulls itself.
    """
    s = structure
    welcome = weight * effective * s.is_welcome
    openness = 1.0 + by_owner(welcome[:, :, None] * s.target_mask, s)  # [r, state, actor]
    log_keep = np.zeros_like(openness)  # [r, rival, state]
    for lever, rival in zip(s.undermine_levers, s.rival_index, strict=True):  # few undermine levers
        damage = np.clip(weight[:, lever] * effective[:, lever], 0.0, 0.95)
        log_keep[:, rival, :] += np.log1p(-damage)[:, None] * s.target_mask[lever]
    liking = 1.0 + p["influence.relation_sensitivity"][:, None, None] * np.swapaxes(world.relation, 1, 2)
    factor = np.swapaxes(openness, 1, 2) * np.exp(log_keep) * np.maximum(liking, 0.0)
    factor[:, np.arange(A), np.arange(A)] = 0.0
    return factor


def calibrate_effectiveness(influence_0: np.ndarray, raw_0: np.ndarray,
                            legacy_scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Effectiveness k[i, j] and outside pull O_j that make the status quo an equilibrium.

    ``raw_0`` is each actor's pull on each state under the status quo (legacy plus levers,
    times liking, openness and undermining). Total pull on state j is set to
    c_j = legacy_scale + sum_i raw_0[i, j]; actor i should hold c_j * I0[i, j] of it, so
    k[i, j] = c_j * I0[i, j] / raw_0[i, j]. Pull that does not show in the starting
    influence is taken to be ineffective (k < 1), and an actor with no starting influence
    on a state gains none there (k = 0). Returns (k [r, i, j], outside [r, j]).
    """
    total = legacy_scale[:, None] + ordered_sum(raw_0, axis=1)  # (R, A)
    wanted = total[:, None, :] * influence_0
    k = np.where(raw_0 > 0, wanted / np.where(raw_0 > 0, raw_0, 1.0), 0.0)
    outside = total * np.maximum(1.0 - influence_0.sum(axis=0), 0.0)  # what sources leave unexplained
    return k, outside


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
    proportion to how much the target likes the rival being undermined.
    """
    s = structure
    g = goodwill * effective  # (R, L)
    flows = np.swapaxes(by_owner((g * (s.is_pull | s.is_align))[:, :, None] * s.target_mask, s), 1, 2)
    flows += by_owner((g * (s.is_welcome | s.is_align))[:, :, None] * s.target_mask, s)
    u = s.undermine_levers
    if len(u):
        liking_of_rival = np.maximum(relation[:, :, s.rival_index], 0.0)  # [r, target, undermine lever]
        resentment = g[:, None, u] * s.target_mask[u].T * liking_of_rival  # [r, target, undermine lever]
        flows += resentment @ s.owner_onehot[u]  # [r, target, owner]
    return flows


def update_relations(world: World, flows: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Attitudes move with goodwill, structural balance and reversion, staying in [-1, 1].

    Balance: j's view of i drifts towards what j's influencers think of i, weighted by
    their influence on j and j's liking of them.
    """
    rel = world.relation
    weights = np.swapaxes(world.influence, 1, 2) * rel  # [r, j, k] = I[k, j] * rel[j, k]
    balance = weights @ rel  # [r, j, i]
    delta = (
        flows
        + p["relation.balance_rate"][:, None, None] * balance
        + p["relation.reversion"][:, None, None] * (world.relation_0 - rel)
    )
    delta = np.clip(delta, -1.0, 1.0)
    new = rel + delta * np.where(delta > 0, 1.0 - rel, 1.0 + rel)
    new[:, np.arange(A), np.arange(A)] = 0.0
    return np.clip(new, -1.0, 1.0)


def update_context(world: World, effective: np.ndarray, relief: np.ndarray, sanction: np.ndarray,
                   structure: Structure, p: dict[str, np.ndarray]) -> None:
    """Western presence follows commitment; threat and stability revert, levers relieve threat."""
    world.western += p["context.western_adjust_rate"][:, None] * (world.commitment - world.western)
    structural = world.threat_0 + p["context.threat_vacuum"][:, None] * np.maximum(
        world.western_0 - world.western, 0.0
    )
    relief_on = lever_totals(relief * effective, structure.target_mask)  # (R, A)
    world.threat += p["context.threat_reversion"][:, None] * (structural - world.threat)
    world.threat -= relief_on * world.threat
    world.stability += p["context.stability_recovery"][:, None] * (world.stability_0 - world.stability)
    world.stability -= p["context.sanction_stress"][:, None] * sanction


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
