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
    kinds = np.array([k for _, _, k, _, _ in levers])
    channel = np.array([CHANNELS.index(c) for _, c, _, _, _ in levers])
    return dyn.Structure(
        keys=tuple(f"l{i}" for i in range(n)), owner=owner, owner_onehot=np.eye(A)[owner],
        target_mask=target_mask, channel=channel, is_pull=(kinds == "pull") | (kinds == "coerce"),
        is_undermine=kinds == "undermine",
        is_welcome=kinds == "welcome", is_align=kinds == "align", rival_onehot=rival,
        convoy_exposed=(owner == MOR) & (channel == CHANNELS.index("economic")),
        relief_mask=np.where((kinds == "welcome")[:, None], np.eye(A)[owner], target_mask),
    )


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
    }
    base.update(overrides)
    return {k: np.array([v]) for k, v in base.items()}


def world(**overrides):
    w = dyn.World(
        influence=np.zeros((1, A, A)), relation=np.zeros((1, A, A)), effort=np.zeros((1, 6)),
        stock=np.zeros((1, 6)), reference=np.zeros((1, 6)), legacy=np.zeros((1, A, A)),
        threat=np.full((1, A), 0.5), stability=np.full((1, A), 0.5), western=np.zeros((1, A)),
        commitment=np.zeros((1, A)), institution=np.zeros((1, 0)), anchor=np.zeros((1, A, A)),
        threat_base=np.full((1, A), 0.5),
        stability_base=np.full((1, A), 0.5), western_0=np.zeros(A), outside_0=np.ones((1, A)),
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


def test_lever_pull_sums_weight_stock_receptivity_per_target():
    effective = np.array([[0.5, 1.0, 0, 0, 0, 0]])
    weight = np.array([[1.0, 2.0, 0.3, 0.5, 0.4, 0.0]])
    rec = np.ones((1, 6, A))
    rec[0, 1, MAU] = 0.5  # receptivity per lever and state, gathered at the (lever, target) pairs
    pull = dyn.lever_pull(effective, rec[:, S.targets.lever, S.targets.actor], S, weight)
    assert pull[0, MOR, MALI] == pytest.approx(0.5 * 1.0 + 1.0 * 2.0)
    assert pull[0, MOR, MAU] == pytest.approx(1.0 * 2.0 * 0.5)
    assert pull[0, RUS, MALI] == 0.0


def test_pull_multiplier_welcome_undermine_liking():
    effective = np.array([[0, 0, 1.0, 0.5, 0, 0]])
    weight = np.array([[1, 1, 0.3, 0.5, 1, 0]], dtype=float)
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR] = 0.4
    factor = dyn.pull_multiplier(world(relation=relation), effective, S, params(), weight)
    assert factor[0, MOR, MALI] == pytest.approx((1 - 0.3) * (1 + 0.5 * 0.4))  # undermined, but liked
    assert factor[0, RUS, MALI] == pytest.approx(1 + 0.5 * 0.5)  # Mali welcomes Russia
    assert factor[0, MALI, MALI] == 0.0


def test_legacy_and_outside_pull_make_the_start_a_steady_state():
    influence0 = np.zeros((A, A))
    influence0[MOR, MALI], influence0[RUS, MALI] = 0.2, 0.1
    lever = np.zeros((1, A, A))
    lever[0, MOR, MALI], lever[0, RUS, MALI], lever[0, ECO, MALI] = 3.0, 0.5, 0.4
    multiplier = np.ones((1, A, A))
    multiplier[0, MOR, MALI] = 1.5
    legacy, outside = dyn.solve_legacy(influence0, lever, multiplier, np.array([0.25]))
    total = 3.0 * 1.5 / 0.2 / (1 - 0.25)  # Morocco owes most of its start to levers: it sets the scale
    assert legacy[0, MOR, MALI] == pytest.approx(0.2 * total / 1.5 - 3.0)
    assert legacy[0, MOR, MALI] * 1.5 == pytest.approx(0.25 * 0.2 * total)  # still a quarter legacy
    assert legacy[0, RUS, MALI] == pytest.approx(0.1 * total - 0.5)
    assert legacy[0, ECO, MALI] == 0.0  # no starting influence: no legacy, its levers pull from zero
    pull = (legacy + lever) * multiplier
    share = pull[0, :, MALI] / (outside[0, MALI] + pull[0, :, MALI].sum())
    np.testing.assert_allclose(share[[MOR, RUS]], influence0[[MOR, RUS], MALI])  # the start holds
    assert share[ECO] == pytest.approx(0.4 / total)  # ECOWAS starts gaining from zero
    assert outside[0, MALI] == pytest.approx(total - pull[0, :, MALI].sum())
    assert outside[0, MOR] == pytest.approx(1.0)  # nobody pulls on Morocco: the least total pull, all outside
    lever[0, ECO, MALI] = 0.0
    legacy, outside = dyn.solve_legacy(influence0, lever, multiplier, np.array([0.25]))
    pull = (legacy + lever) * multiplier
    np.testing.assert_allclose(pull[0, :, MALI] / (outside[0, MALI] + pull[0, :, MALI].sum()), influence0[:, MALI])


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
    assert threat_base[0, MALI] == pytest.approx(0.5 * (1 + 0.05 / 0.1))  # the threat without security levers
    assert stability_base[0, MALI] == pytest.approx(0.5 + 0.02 / 0.05)  # the stability without sanctions
    w = world(threat_base=threat_base, stability_base=stability_base)
    dyn.update_context(w, relief, sanction, p)
    np.testing.assert_allclose(w.threat, 0.5)
    np.testing.assert_allclose(w.stability, 0.5)


def test_outside_pull_shrinks_with_western_withdrawal():
    w = world(western=np.full((1, A), 0.25), western_0=np.full(A, 0.5), outside_0=np.full((1, A), 2.0))
    out = dyn.outside_pull(w, params())
    assert out[0, MALI] == pytest.approx(2.0 * (0.4 + 0.6 * 0.25) / (0.4 + 0.6 * 0.5))


def test_influence_moves_towards_share_and_shares_sum_below_one():
    influence = np.zeros((1, A, A))
    influence[0, MOR, MALI] = 0.1
    pull = np.zeros((1, A, A))
    pull[0, MOR, MALI], pull[0, RUS, MALI] = 1.0, 1.0
    outside = np.full((1, A), 2.0)
    new = dyn.update_influence(world(influence=influence), pull, outside, params())
    assert new[0, MOR, MALI] == pytest.approx(0.1 + 0.1 * (0.25 - 0.1))
    assert new[0, RUS, MALI] == pytest.approx(0.1 * 0.25)
    assert new[0, :, MALI].sum() <= 1.0


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
