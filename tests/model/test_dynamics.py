"""One test per submodel against values worked out by hand (docs/ODD.md, section 7)."""

import numpy as np
import pytest

from sim.model import dynamics as dyn
from sim.scenario.catalogue import ACTORS, CHANNELS

A = len(ACTORS)
MOR, ALG, MALI, MAU, ECO, RUS = range(A)


def structure(levers):
    """A hand-made lever axis: (owner, channel, kind, targets, rival)."""
    n = len(levers)
    owner = np.array([o for o, *_ in levers])
    target_mask = np.zeros((n, A))
    rival = np.zeros((n, A))
    for i, (_, _, _, targets, riv) in enumerate(levers):
        target_mask[i, targets] = 1
        if riv is not None:
            rival[i, riv] = 1
    return dyn.Structure.from_levers(keys=tuple(f"l{i}" for i in range(n)), owner=owner,
                                     channel=np.array([CHANNELS.index(c) for _, c, _, _, _ in levers]),
                                     kinds=np.array([k for _, _, k, _, _ in levers]), target_mask=target_mask,
                                     rival=rival)


S = structure([
    (MOR, "economic", "pull", [MALI], None),       # 0
    (MOR, "security", "pull", [MALI, MAU], None),  # 1
    (ALG, "diplomatic", "undermine", [MALI], MOR),  # 2
    (MALI, "security", "welcome", [RUS], None),    # 3
    (ECO, "coercive", "coerce", [MALI], None),     # 4
    (RUS, "diplomatic", "align", [ALG], None),     # 5
])


def params(**overrides):
    base = {
        "influence.relation_sensitivity": 0.5, "influence.adjust_rate": 0.1, "influence.western_share": 0.6,
        "receptivity.mediation_gain": 1.5, "receptivity.economic_sanction_drag": 0.4,
        "receptivity.security_gain": 1.6, "relation.balance_rate": 0.0, "relation.reversion": 0.02,
        "context.western_adjust_rate": 0.2, "context.threat_vacuum": 0.25, "context.threat_reversion": 0.1,
        "context.stability_recovery": 0.05, "context.sanction_stress": 0.02,
        "shocks.jihadist_surge_rate": 0.5, "shocks.jihadist_surge_size": 0.1, "shocks.coup_rate": 0.5,
        "shocks.coup_stability_drop": 0.2, "shocks.convoy_attack_rate": 1.0, "shocks.convoy_attack_loss": 0.5,
        "arena.security": 0.2, "arena.economic": 0.3, "arena.political": 0.3, "arena.social": 0.1,
        "arena.humanitarian": 0.1, "arena.threat_emphasis": 2.0, "influence.legacy_tau": 10.0,
        "influence.upkeep_cap": 3.0, "influence.hostility_erosion": 2.0, "relation.goodwill_cap": 0.3,
        "relation.relief_credit": 2.0, "relation.reciprocity": 0.0,
    }
    base.update(overrides)
    return {k: np.array([v]) for k, v in base.items()}


def world(**overrides):
    w = dyn.World(
        influence=np.zeros((1, A, A)), relation=np.zeros((1, A, A)), effort=np.zeros((1, 6)),
        stock=np.zeros((1, 6)), reference=np.zeros((1, 6)), legacy=np.zeros((1, A, dyn.C, A)),
        threat=np.full((1, A), 0.5), stability=np.full((1, A), 0.5), western=np.zeros((1, A)),
        commitment=np.zeros((1, A)), sanctions_endured=np.zeros((1, A)), insecurity_endured=np.full((1, A), 0.5),
        institution=np.zeros((1, 0)), anchor=np.zeros((1, A, A)),
        threat_base=np.full((1, A), 0.5),
        stability_base=np.full((1, A), 0.5), western_0=np.zeros(A), outside_0=np.ones((1, dyn.C, A)),
    )
    for name, value in overrides.items():
        setattr(w, name, value)
    return w


def test_saturation_and_its_slope():
    h = np.array(0.5)
    assert dyn.saturate(np.array(0.5), h) == pytest.approx(0.5 * 1.5 / 1.0)
    assert dyn.saturate(np.array(1.0), h) == pytest.approx(1.0)
    assert dyn.saturate_slope(np.array(0.5), h) == pytest.approx(0.5 * 1.5 / 1.0)
    assert dyn.saturate_slope(np.array(0.0), h) == pytest.approx(3.0)  # steep at first: diminishing returns


def test_stocks_build_up_and_decay_at_their_own_speeds():
    stock = dyn.update_stocks(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]),
                              tau_up=np.array([[4.0, 4.0]]), tau_down=np.array([[10.0, 10.0]]))
    np.testing.assert_allclose(stock, [[0.25, 0.9]])


EXTEND = np.ones((1, A), bool)
REALLOCATE = np.zeros((1, A), bool)


def test_reallocate_pays_fixed_levers_first_and_crowds_siblings_out():
    effort = np.array([[0.8, 0.6, 0.3, 0.2, 1.0, 0.4]])
    reference = np.array([[0.5, 0.5, 0.3, 0.2, 1.0, 0.4]])
    fixed = np.array([[True, False, False, False, False, False]])
    out = dyn.enforce_budgets(effort, fixed, reference, S, np.ones((1, A)), REALLOCATE)
    assert out[0, 0] == 0.8  # fixed, within budget
    assert out[0, 1] == pytest.approx(0.2)  # Morocco's adaptive lever gets what is left
    np.testing.assert_allclose(out[0, 2:], effort[0, 2:])  # other actors within budget
    over = dyn.enforce_budgets(np.array([[1.0, 0.6, 0, 0, 0, 0]]), fixed, reference, S, np.full((1, A), 0.5),
                               REALLOCATE)
    assert over[0, 0] == pytest.approx(0.5) and over[0, 1] == 0.0  # fixed alone exceed: scaled to the budget


def test_extend_funds_fixed_levers_on_top_and_siblings_keep_their_room():
    reference = np.array([[0.5, 0.5, 0.3, 0.2, 1.0, 0.4]])
    fixed = np.array([[True, False, False, False, False, False]])
    room, scale = dyn.adaptive_room(np.array([[1.0, 0.5, 0, 0, 0, 0]]), fixed, reference, S,
                                    np.ones((1, A)), EXTEND)
    assert room[0, MOR] == pytest.approx(0.5)  # budget 1 less the fixed lever's status-quo 0.5
    assert scale[0, MOR] == 1.0  # the fixed lever is never scaled
    out = dyn.enforce_budgets(np.array([[1.0, 0.5, 0, 0, 0, 0]]), fixed, reference, S, np.ones((1, A)), EXTEND)
    np.testing.assert_allclose(out[0, :2], [1.0, 0.5])  # Morocco spends 1.5 on a budget of 1: extended


def test_sanctions_and_receptivity():
    effort = np.zeros((1, 6))
    effort[0, 4] = 0.7
    sanction = dyn.sanctions(effort, S)
    assert sanction[0, MALI] == 0.7 and sanction[0, MAU] == 0.0
    w = world(threat=np.full((1, A), 0.5), stability=np.full((1, A), 0.5), western=np.full((1, A), 0.25))
    rec = dyn.receptivity(w, sanction, params())
    ch = CHANNELS.index
    assert rec[0, ch("security"), MALI] == pytest.approx(0.3 + 1.6 * 0.5 * 0.75)
    assert rec[0, ch("mediation"), MALI] == pytest.approx(0.25 + 1.5 * 0.7)
    assert rec[0, ch("economic"), MALI] == pytest.approx(1 - 0.4 * 0.7)
    assert rec[0, ch("economic"), MAU] == pytest.approx(1 - 0.4 * 0.5)
    assert rec[0, ch("humanitarian"), MALI] == pytest.approx(0.75)


def test_arena_pull_sums_weight_stock_receptivity_per_target_in_its_arena():
    effective = np.array([[0.5, 1.0, 0, 0, 0.4, 0]])
    weight = np.array([[1.0, 2.0, 0.3, 0.5, 0.4, 0.0]])
    rec = np.ones((1, 6, A))
    rec[0, 1, MAU] = 0.5  # receptivity per lever and state, gathered at the (lever, target) pairs
    pull = dyn.arena_pull(effective, rec[:, S.targets.lever, S.targets.actor], S, weight)
    sec, eco = dyn.ARENAS.index("security"), dyn.ARENAS.index("economic")
    assert pull[0, MOR, eco, MALI] == pytest.approx(0.5 * 1.0)  # investment competes in the economic arena only
    assert pull[0, MOR, sec, MALI] == pytest.approx(1.0 * 2.0)
    assert pull[0, MOR, sec, MAU] == pytest.approx(1.0 * 2.0 * 0.5)
    assert pull[0, ECO, eco, MALI] == pytest.approx(0.4 * 0.4)  # sanctions are economic coercion
    assert pull[0, RUS].sum() == 0.0


def test_arena_weights_sum_to_one_and_security_grows_with_threat():
    p = params()
    calm, threatened = dyn.arena_weights(np.zeros((1, A)), p), dyn.arena_weights(np.ones((1, A)), p)
    np.testing.assert_allclose(calm.sum(axis=1), 1.0)
    np.testing.assert_allclose(threatened.sum(axis=1), 1.0)
    sec = dyn.SECURITY
    assert calm[0, sec, MALI] == pytest.approx(0.2)
    assert threatened[0, sec, MALI] == pytest.approx(0.6 / 1.4)  # 0.2 x (1 + 2 x 1), then normalised


def test_pull_multiplier_welcome_undermine_liking():
    effective = np.array([[0, 0, 1.0, 0.5, 0, 0]])
    weight = np.array([[1, 1, 0.3, 0.5, 1, 0]], dtype=float)
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR] = 0.4
    factor = dyn.pull_multiplier(world(relation=relation), effective, S, params(), weight)
    assert factor[0, MOR, MALI] == pytest.approx((1 - 0.3) * (1 + 0.5 * 0.4))  # undermined, but liked
    assert factor[0, RUS, MALI] == pytest.approx(1 + 0.5 * 0.5)  # Mali welcomes Russia
    assert factor[0, MALI, MALI] == 0.0


def _arena_start():
    influence0 = np.zeros((1, A, A))
    influence0[0, MOR, MALI], influence0[0, RUS, MALI], influence0[0, ALG, MALI] = 0.05, 0.1, 0.15
    lever = np.zeros((1, A, dyn.C, A))
    sec, eco = dyn.SECURITY, dyn.ARENAS.index("economic")
    lever[0, MOR, eco, MALI], lever[0, MOR, sec, MALI] = 1.0, 0.5
    lever[0, RUS, sec, MALI], lever[0, ECO, eco, MALI] = 0.8, 0.4
    multiplier = np.ones((1, A, A))
    multiplier[0, MOR, MALI] = 1.2
    weights = dyn.arena_weights(np.full((1, A), 0.5), params())
    return influence0, lever, multiplier, weights


def test_arenas_are_solved_so_the_start_is_a_steady_state():
    influence0, lever, multiplier, weights = _arena_start()

    def shares(legacy, outside):
        pull = (legacy + lever) * multiplier[:, :, None, :]
        return pull, pull / (outside + pull.sum(axis=1))[:, None]

    legacy, outside = dyn.solve_arenas(influence0, lever, multiplier, weights, np.array([0.25]))
    _, share = shares(legacy, outside)
    assert legacy[0, ECO].sum() == 0.0 and share[0, ECO, :, MALI].sum() > 0  # no start: it gains from zero
    lever[0, ECO] = 0.0  # with every puller present at the start, the start holds exactly
    legacy, outside = dyn.solve_arenas(influence0, lever, multiplier, weights, np.array([0.25]))
    pull, share = shares(legacy, outside)
    np.testing.assert_allclose((share * weights[:, None]).sum(axis=2)[0, :, MALI], influence0[0, :, MALI])
    bought = (lever[0, :, :, MALI] * multiplier[0, :, None, MALI] * weights[0, None, :, MALI]).sum(axis=1)
    scale = max(bought[MOR] / 0.05, bought[RUS] / 0.1) / 0.75  # the actor whose start owes most to levers
    np.testing.assert_allclose(outside[0, :, MALI] + pull[0, :, :, MALI].sum(axis=0), scale)
    assert legacy[0, ALG, dyn.SECURITY, MALI] == 0.0  # standing is not security: that is bought on the ground
    assert legacy[0, ALG, :, MALI].sum() > 0
    assert (legacy[0, [MOR, RUS]][..., MALI] >= 0.25 / 0.75 * lever[0, [MOR, RUS]][..., MALI] - 1e-12).all()


def test_legacy_follows_upkeep_and_attitude_and_erodes_faster_under_hostility():
    influence0, lever, multiplier, weights = _arena_start()
    legacy, _ = dyn.solve_arenas(influence0, lever, multiplier, weights, np.array([0.25]))
    p = params()
    relation = np.zeros((1, A, A))
    w = world(relation=relation, legacy=legacy.copy())
    w.legacy_0, w.arena_pull_0, w.gate_0 = legacy.copy(), lever, dyn.attitude_gate(relation, p)
    np.testing.assert_allclose(dyn.update_legacy(w, lever, w.gate_0, p), legacy)  # status quo: it stays
    less = lever.copy()
    less[0, MOR] = 0.0  # Morocco stops pulling: its legacy erodes towards 0.05 / (L0 + 0.05) of itself
    moved = dyn.update_legacy(w, less, w.gate_0, p)
    eco = dyn.ARENAS.index("economic")
    target = legacy[0, MOR, eco, MALI] * 0.05 / 1.05
    before = legacy[0, MOR, eco, MALI]
    assert moved[0, MOR, eco, MALI] == pytest.approx(before + 0.1 * (target - before))
    hostile = relation.copy()
    hostile[0, MALI, ALG] = -0.5  # Mali turns against Algeria: its gate shuts and its legacy erodes faster
    w.relation = hostile
    gate = dyn.attitude_gate(hostile, p)
    assert gate[0, ALG, MALI] == pytest.approx(1 - 0.5 * 0.5)
    eroded = dyn.update_legacy(w, lever, gate, p)
    pol = dyn.ARENAS.index("political")
    g0 = legacy[0, ALG, pol, MALI]
    assert eroded[0, ALG, pol, MALI] == pytest.approx(g0 + 0.1 * (1 + 2.0 * 0.5) * (0.75 * g0 - g0))


def test_anchor_holds_the_starting_attitude_still():
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR], relation[0, MOR, ALG] = 0.5, -0.8
    influence = np.zeros((1, A, A))
    influence[0, MOR, MALI] = 0.4
    flows = np.zeros((1, A, A))
    flows[0, MALI, MOR] = 0.01
    p = params(**{"relation.balance_rate": 0.1})
    w = world(relation=relation, influence=influence)
    forcing = dyn.relation_forcing(w, flows, p)
    w.anchor = dyn.solve_anchor(relation, forcing, p)
    assert w.anchor[0, MALI, MOR] == pytest.approx(0.5 - 0.01 / 0.02)
    np.testing.assert_allclose(dyn.update_relations(w, forcing, p), relation, atol=1e-15)
    forcing[0, MALI, MOR] += 0.01  # more goodwill than in the status quo: the attitude rises
    assert dyn.update_relations(w, forcing, p)[0, MALI, MOR] > 0.5


def test_context_bases_make_the_start_a_steady_state():
    p = params()
    relief = np.zeros((1, A))
    relief[0, MALI] = 0.05
    sanction = np.zeros((1, A))
    sanction[0, MALI] = 1.0
    threat_base, stability_base = dyn.solve_context_bases(np.full((1, A), 0.5), np.full((1, A), 0.5), relief,
                                                          sanction, p)
    coups, surges = 0.5 * 0.5 * 0.2, 0.5 * 0.5 * 0.1  # expected shocks a month
    # the threat without security levers, less what shocks add on average
    assert threat_base[0, MALI] == pytest.approx(0.5 + (0.05 * 0.5 - surges - 0.5 * coups) / 0.1)
    assert stability_base[0, MALI] == pytest.approx(0.5 + (0.02 + coups) / 0.05)  # without sanctions or coups
    w = world(threat_base=threat_base, stability_base=stability_base)
    dyn.update_context(w, relief, sanction, p)  # before the shocks: they bring it back on average
    np.testing.assert_allclose(w.threat, 0.5 - surges - 0.5 * coups)
    np.testing.assert_allclose(w.stability, 0.5 + coups)
    quiet = params(**{"shocks.jihadist_surge_rate": 0.0, "shocks.coup_rate": 0.0})
    threat_base, stability_base = dyn.solve_context_bases(np.full((1, A), 0.5), np.full((1, A), 0.5), relief,
                                                          sanction, quiet)
    w = world(threat_base=threat_base, stability_base=stability_base)
    dyn.update_context(w, relief, sanction, quiet)  # no shocks: an exact steady state
    np.testing.assert_allclose(w.threat, 0.5)
    np.testing.assert_allclose(w.stability, 0.5)


def test_outside_pull_shrinks_with_western_withdrawal_in_the_security_arena_only():
    w = world(western=np.full((1, A), 0.25), western_0=np.full(A, 0.5), outside_0=np.full((1, dyn.C, A), 2.0))
    out = dyn.outside_pull(w, params())
    assert out[0, dyn.SECURITY, MALI] == pytest.approx(2.0 * (0.4 + 0.6 * 0.25) / (0.4 + 0.6 * 0.5))
    assert out[0, dyn.ARENAS.index("economic"), MALI] == 2.0


def test_influence_moves_towards_its_weighted_arena_shares_and_sums_below_one():
    influence = np.zeros((1, A, A))
    influence[0, MOR, MALI] = 0.1
    pull = np.zeros((1, A, dyn.C, A))
    sec, eco = dyn.SECURITY, dyn.ARENAS.index("economic")
    pull[0, MOR, eco, MALI], pull[0, RUS, sec, MALI] = 1.0, 1.0
    outside = np.full((1, dyn.C, A), 2.0)
    weights = dyn.arena_weights(np.zeros((1, A)), params())  # security 0.2, economic 0.3
    new = dyn.update_influence(world(influence=influence), pull, outside, weights, params())
    assert new[0, MOR, MALI] == pytest.approx(0.1 + 0.1 * (0.3 / 3 - 0.1))  # a third of the economic arena
    assert new[0, RUS, MALI] == pytest.approx(0.1 * 0.2 / 3)  # a third of the security arena
    assert new[0, :, MALI].sum() <= 1.0
    pull[0, RUS, eco, MALI] = 1.0  # competing in the economic arena too: Morocco's share there falls
    contested = dyn.update_influence(world(influence=influence), pull, outside, weights, params())
    assert contested[0, MOR, MALI] < new[0, MOR, MALI]


def test_goodwill_saturates_around_the_status_quo_and_security_earns_credit():
    p = params()
    flows_0 = np.zeros((1, A, A))
    flows = np.zeros((1, A, A))
    flows[0, MALI, MOR], flows[0, MALI, ALG] = 1e-5, 10.0
    earned = dyn.earned_goodwill(flows, flows_0, p)
    assert earned[0, MALI, MOR] == pytest.approx(1e-5, rel=1e-6)  # small departures pass unchanged
    assert earned[0, MALI, ALG] == pytest.approx(0.3 * 0.02)  # bounded: cap x reversion
    effective = np.zeros((1, 6))
    effective[0, 1] = 1.0
    relief = np.zeros((1, 6))
    relief[0, 1] = 0.1
    credit = dyn.relief_credit(effective, relief, np.full((1, A), 0.5), S, p)
    assert credit[0, MALI, MOR] == pytest.approx(2.0 * 0.1 * 0.5) and credit[0, MAU, MOR] == pytest.approx(0.1)
    assert credit[0, MOR, MALI] == 0.0


def test_goodwill_flows_by_kind():
    effective = np.ones((1, 6))
    goodwill = np.array([[0.01, 0.02, -0.01, 0.03, -0.04, 0.05]])
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR] = 0.8
    flows = dyn.goodwill_flows(effective, goodwill, S, relation)
    assert flows[0, MALI, MOR] == pytest.approx(0.01 + 0.02)  # Mali warms to Morocco
    assert flows[0, MAU, MOR] == pytest.approx(0.02)
    assert flows[0, MALI, ALG] == pytest.approx(-0.01 * (1 + 0.8) / 2)  # undermining a partner Mali likes costs Algeria
    assert flows[0, MALI, RUS] == pytest.approx(0.03)  # Mali's welcome: its own attitude to Russia
    assert flows[0, MALI, ECO] == pytest.approx(-0.04)  # coercion lowers the coercer's standing
    assert flows[0, ALG, RUS] == pytest.approx(0.05) and flows[0, RUS, ALG] == pytest.approx(0.05)  # align


def test_relations_bounded_increments_and_balance():
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR] = 0.5
    flows = np.zeros((1, A, A))
    flows[0, MALI, MOR] = 0.2
    flows[0, MALI, ALG] = -0.5
    p = params(**{"relation.reversion": 0.1})
    new = dyn.update_relations(world(relation=relation), flows, p)
    assert new[0, MALI, MOR] == pytest.approx(0.5 + (0.2 - 0.1 * 0.5) * 0.5)  # reverts towards anchor 0
    assert new[0, MALI, ALG] == pytest.approx(-0.5)
    # balance: Mali likes Morocco (0.5), Morocco (influence 0.4 on Mali) dislikes Algeria (-0.8)
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR], relation[0, MOR, ALG] = 0.5, -0.8
    influence = np.zeros((1, A, A))
    influence[0, MOR, MALI] = 0.4
    w = world(relation=relation, influence=influence)
    forcing = dyn.relation_forcing(w, np.zeros((1, A, A)), params(**{"relation.balance_rate": 0.1}))
    assert forcing[0, MALI, ALG] == pytest.approx(0.1 * 0.4 * 0.5 * -0.8)
    # reciprocity: Morocco's view of Mali drifts towards Mali's view of Morocco
    forcing = dyn.relation_forcing(w, np.zeros((1, A, A)), params(**{"relation.reciprocity": 0.05}))
    assert forcing[0, MOR, MALI] == pytest.approx(0.05 * 0.5) and forcing[0, MALI, MOR] == pytest.approx(-0.05 * 0.5)


def test_context_withdrawal_vacuum_relief_and_sanction_stress():
    w = world(western=np.full((1, A), 0.5), western_0=np.full(A, 0.5), commitment=np.zeros((1, A)),
              threat=np.full((1, A), 0.5), threat_base=np.full((1, A), 0.5))
    effective = np.zeros((1, 6))
    effective[0, 1] = 1.0
    relief_per_lever = np.zeros((1, 6))
    relief_per_lever[0, 1] = 0.1
    relief = dyn.threat_relief(effective, relief_per_lever, S)
    assert relief[0, MALI] == pytest.approx(0.1) and relief[0, ALG] == 0.0
    relief_per_lever[0, 3], effective[0, 3] = 0.05, 1.0  # Mali welcomes Russia's forces: relief in Mali
    assert dyn.threat_relief(effective, relief_per_lever, S)[0, MALI] == pytest.approx(0.15)
    assert dyn.threat_relief(effective, relief_per_lever, S)[0, RUS] == 0.0
    relief_per_lever[0, 3], effective[0, 3] = 0.0, 0.0
    sanction = np.zeros((1, A))
    sanction[0, MALI] = 1.0
    dyn.update_context(w, relief, sanction, params())
    assert w.western[0, MALI] == pytest.approx(0.4)
    structural = 0.5 + 0.25 * 0.1
    assert w.threat[0, MALI] == pytest.approx(0.5 + 0.1 * (structural - 0.5) - 0.1 * 0.5)
    assert w.threat[0, ALG] == pytest.approx(0.5 + 0.1 * (structural - 0.5))  # no security lever there
    assert w.stability[0, MALI] == pytest.approx(0.5 - 0.02)


def test_shocks_fire_below_their_probability():
    w = world(stock=np.ones((1, 6)))
    u = np.ones((1, 2 * A + 1))
    u[0, MALI] = 0.2  # surge: 0.2 < 0.5 * 0.5
    u[0, A + MAU] = 0.2  # coup: 0.2 < 0.5 * (1 - 0.5)
    u[0, 2 * A] = 0.4  # convoy: 0.4 < 1.0 * threat 0.5
    counts = dyn.apply_shocks(w, u, S, params())
    np.testing.assert_array_equal(counts, [[1, 1, 1]])
    assert w.threat[0, MALI] == pytest.approx(0.6)
    assert w.stability[0, MAU] == pytest.approx(0.3) and w.threat[0, MAU] == pytest.approx(0.6)
    assert w.stock[0, 0] == pytest.approx(0.5) and w.stock[0, 1] == 1.0  # only economic levers hit


def test_pair_sums_equal_the_dense_grid_and_each_row_rounds_alone():
    """The sparse (lever, target) sums give the dense L x A products, and a replicate's sums do
    not depend on how many replicates sit beside it (the engine's determinism rests on it)."""
    from sim.model.model import InfluenceModel

    structure = InfluenceModel("baseline", n_replicates=1).structure
    pairs, mask = structure.targets, structure.target_mask
    values = np.random.default_rng(3).random((7, len(structure.keys)))  # (R, L)
    dense = np.einsum("rl,la,lb->rab", values, structure.owner_onehot, mask)  # [r, owner, target]
    per_pair = values[:, pairs.lever]
    np.testing.assert_allclose(pairs.per_owner_and_actor(per_pair), dense, rtol=1e-12)
    np.testing.assert_allclose(pairs.per_actor(per_pair), values @ mask, rtol=1e-12)
    np.testing.assert_allclose(pairs.per_lever(per_pair), values * mask.sum(axis=1),
                               rtol=1e-12)
    assert np.diff(pairs.by_owner_and_actor.starts).max() > 1, "some cell sums several levers"
    for r in range(len(values)):
        alone = per_pair[r : r + 1]
        assert np.array_equal(pairs.per_owner_and_actor(alone)[0], pairs.per_owner_and_actor(per_pair)[r])
        assert np.array_equal(pairs.per_actor(alone)[0], pairs.per_actor(per_pair)[r])


def test_a_grouping_leaves_cells_without_columns_at_zero():
    grouping = dyn.Grouping.of(np.array([2, 0, 2]), size=4)
    out = grouping.sum(np.array([[1.0, 10.0, 100.0]]))
    assert out.tolist() == [[10.0, 0.0, 101.0, 0.0]]


def test_a_grouping_of_no_columns_sums_to_zeros():
    assert dyn.Grouping.of(np.array([], dtype=int), size=2).sum(np.zeros((3, 0))).tolist() == [[0.0, 0.0]] * 3


def test_memories_remember_what_is_no_longer_in_force_and_fade_at_their_rate():
    w = world(threat=np.full((1, A), 0.9))
    p = params(**{"memory.rate": 0.04})
    sanction = np.zeros((1, A))
    sanction[0, 2] = 1.0
    for _ in range(6):  # six months of sanctions on one state
        dyn.update_memories(w, sanction, p)
    after_sanctions = w.sanctions_endured[0, 2]
    assert after_sanctions == pytest.approx(1 - 0.96 ** 6)
    assert w.sanctions_endured[0, 3] == 0.0  # only the sanctioned state remembers them
    for _ in range(18):  # lifted: the memory fades, it does not vanish
        dyn.update_memories(w, np.zeros((1, A)), p)
    assert w.sanctions_endured[0, 2] == pytest.approx(after_sanctions * 0.96 ** 18)
    assert 0.5 < w.insecurity_endured[0, 0] < 0.9  # a slow average climbing towards the threat
