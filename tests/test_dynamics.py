"""One test per submodel against values worked out by hand (docs/ODD.md, section 7)."""

import numpy as np
import pytest

from sim import dynamics as dyn
from sim.catalogue import ACTORS, CHANNELS

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
        target_mask=target_mask, channel=channel, is_pull=kinds == "pull", is_undermine=kinds == "undermine",
        is_welcome=kinds == "welcome", is_align=kinds == "align", rival_onehot=rival,
        convoy_exposed=(owner == MOR) & (channel == CHANNELS.index("economic")),
    )


S = structure([
    (MOR, "economic", "pull", [MALI], None),       # 0
    (MOR, "security", "pull", [MALI, MAU], None),  # 1
    (ALG, "diplomatic", "undermine", [MALI], MOR),  # 2
    (MALI, "security", "welcome", [RUS], None),    # 3
    (ECO, "coercive", "pull", [MALI], None),       # 4
    (RUS, "diplomatic", "align", [ALG], None),     # 5
])


def params(**overrides):
    base = {
        "influence.relation_sensitivity": 0.5, "influence.adjust_rate": 0.1, "influence.western_share": 0.6,
        "receptivity.mediation_gain": 1.5, "receptivity.economic_sanction_drag": 0.4,
        "receptivity.security_gain": 1.6, "relation.balance_rate": 0.0, "relation.reversion": 0.0,
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
        stock=np.zeros((1, 6)), legacy=np.zeros((1, A, A)), threat=np.full((1, A), 0.5),
        stability=np.full((1, A), 0.5), western=np.zeros((1, A)), commitment=np.zeros((1, A)),
        relation_0=np.zeros((A, A)), threat_0=np.full(A, 0.5), stability_0=np.full(A, 0.5),
        western_0=np.zeros(A), outside_0=np.ones((1, A)), effectiveness=np.ones((1, A, A)),
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


def test_budget_honours_fixed_levers_first():
    effort = np.array([[0.8, 0.6, 0.3, 0.2, 1.0, 0.4]])
    fixed = np.array([[True, False, False, False, False, False]])
    budget = np.ones((1, A))
    out = dyn.enforce_budgets(effort, fixed, S, budget)
    assert out[0, 0] == 0.8  # fixed, within budget
    assert out[0, 1] == pytest.approx(0.2)  # Morocco's adaptive lever gets what is left
    np.testing.assert_allclose(out[0, 2:], effort[0, 2:])  # other actors within budget


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
    rec[0, 1, MAU] = 0.5
    pull = dyn.lever_pull(effective, rec, S, weight)
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


def test_effectiveness_makes_the_status_quo_an_equilibrium():
    influence0 = np.zeros((A, A))
    influence0[MOR, MALI], influence0[RUS, MALI] = 0.2, 0.1
    raw = np.zeros((1, A, A))
    raw[0, MOR, MALI], raw[0, RUS, MALI], raw[0, ECO, MALI] = 3.0, 0.5, 0.4
    k, outside = dyn.calibrate_effectiveness(influence0, raw, np.array([2.0]))
    total = 2.0 + 3.9
    assert k[0, MOR, MALI] == pytest.approx(total * 0.2 / 3.0)  # levers outrun influence: k < 1
    assert k[0, RUS, MALI] == pytest.approx(total * 0.1 / 0.5)
    assert k[0, ECO, MALI] == 0.0  # no starting influence, none gained
    assert outside[0, MALI] == pytest.approx(total * 0.7)
    pull = k * raw
    share = pull[0, :, MALI] / (outside[0, MALI] + pull[0, :, MALI].sum())
    np.testing.assert_allclose(share, influence0[:, MALI])


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
    assert flows[0, MALI, ALG] == pytest.approx(-0.01 * 0.8)  # undermining a partner Mali likes costs Algeria
    assert flows[0, MALI, RUS] == pytest.approx(0.03)  # Mali's welcome: its own attitude to Russia
    assert flows[0, MALI, ECO] == pytest.approx(-0.04)  # coercion lowers the coercer's standing
    assert flows[0, ALG, RUS] == pytest.approx(0.05) and flows[0, RUS, ALG] == pytest.approx(0.05)  # align


def test_relations_bounded_increments_and_balance():
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR] = 0.5
    flows = np.zeros((1, A, A))
    flows[0, MALI, MOR] = 0.2
    flows[0, MALI, ALG] = -0.5
    new = dyn.update_relations(world(relation=relation), flows, params())
    assert new[0, MALI, MOR] == pytest.approx(0.5 + 0.2 * 0.5)
    assert new[0, MALI, ALG] == pytest.approx(-0.5)
    # balance: Mali likes Morocco (0.5), Morocco (influence 0.4 on Mali) dislikes Algeria (-0.8)
    relation = np.zeros((1, A, A))
    relation[0, MALI, MOR], relation[0, MOR, ALG] = 0.5, -0.8
    influence = np.zeros((1, A, A))
    influence[0, MOR, MALI] = 0.4
    new = dyn.update_relations(world(relation=relation, influence=influence), np.zeros((1, A, A)),
                               params(**{"relation.balance_rate": 0.1}))
    assert new[0, MALI, ALG] == pytest.approx(0.1 * 0.4 * 0.5 * -0.8)


def test_context_withdrawal_vacuum_relief_and_sanction_stress():
    w = world(western=np.full((1, A), 0.5), western_0=np.full(A, 0.5), commitment=np.zeros((1, A)),
              threat=np.full((1, A), 0.5), threat_0=np.full(A, 0.5))
    effective = np.zeros((1, 6))
    effective[0, 1] = 1.0
    relief = np.zeros((1, 6))
    relief[0, 1] = 0.1
    sanction = np.zeros((1, A))
    sanction[0, MALI] = 1.0
    dyn.update_context(w, effective, relief, sanction, S, params())
    assert w.western[0, MALI] == pytest.approx(0.4)
    structural = 0.5 + 0.25 * 0.1
    after_reversion = 0.5 + 0.1 * (structural - 0.5)
    assert w.threat[0, MALI] == pytest.approx(after_reversion * (1 - 0.1))
    assert w.threat[0, ALG] == pytest.approx(after_reversion)  # no security lever there
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
