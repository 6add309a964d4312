"""Invariants over random scenarios and parameters within their catalogue ranges."""

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sim.model import dynamics as dyn
from sim.scenario.catalogue import ACTORS, load_catalogue
from sim.scenario.institutions import load_institutions
from sim.scenario.loader import load_scenario
from tests.conftest import SCENARIOS

CATALOGUE = load_catalogue()
NAMES = sorted(CATALOGUE.parameters)
BASELINE = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=24"])


@st.composite
def parameter_draws(draw, n_replicates=4):
    """Every parameter drawn per replicate, uniformly within its range."""
    fraction = draw(st.lists(st.floats(0, 1), min_size=len(NAMES), max_size=len(NAMES)))
    seeds = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seeds)
    values = {}
    for name, f in zip(NAMES, fraction, strict=True):
        spec = CATALOGUE.parameters[name]
        spread = rng.uniform(0, 1, n_replicates) * 0.5 + f * 0.5
        values[name] = spec.low + spread * (spec.high - spec.low)
    return values


def check_invariants(model):
    w = model.world
    for array in (w.influence, w.relation, w.effort, w.stock, w.threat, w.stability, w.western):
        assert np.isfinite(array).all()
    assert (w.influence >= 0).all() and (w.influence <= 1).all()
    assert (w.influence.sum(axis=1) <= 1 + 1e-9).all()
    assert (w.relation >= -1).all() and (w.relation <= 1).all()
    assert (w.effort >= 0).all() and (w.effort <= 1 + 1e-12).all()
    fixed = ~np.isnan(model.fixed_effort)
    room, _ = dyn.adaptive_room(w.effort, fixed, w.reference, model.structure, model.budgets(), model.extend_policies())
    adaptive = np.stack([(w.effort * ~fixed)[:, model.structure.owner == i].sum(axis=1)
                         for i in range(len(ACTORS))], axis=1)
    assert (adaptive <= room + 1e-9).all()  # adaptive levers spend within what the budget policy leaves
    for array in (w.threat, w.stability, w.western):
        assert (array >= 0).all() and (array <= 1).all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=parameter_draws(), seed=st.integers(0, 10_000),
       budgets=st.lists(st.floats(0, 6), min_size=len(ACTORS), max_size=len(ACTORS)))
def test_state_stays_in_bounds(values, seed, budgets):
    from sim.model.model import InfluenceModel

    model = InfluenceModel(BASELINE, n_replicates=4, seed=seed, parameters=values)
    for agent, budget in zip(sorted(model.agents, key=lambda a: a.index), budgets, strict=True):
        agent.budget = np.full(4, budget)
    for _ in range(BASELINE.horizon):
        model.step()
        check_invariants(model)


PULL_LEVERS = [lv for lv in CATALOGUE.levers if lv.kind == "pull"]
# surges, coups and convoy attacks fire when a draw falls below a rate times the state: a lever
# that lowers a state's threat can spare it a surge, and the two paths then part for good
NO_BUILT_IN_SHOCKS = [f"parameters.shocks.{rate}=0" for rate in ("jihadist_surge_rate", "coup_rate",
                                                                   "convoy_attack_rate")]
# Monotonicity is a property of the continuous dynamics. Decisions are discrete regime changes whose
# thresholds a lever can cross (more Moroccan mediation concludes the Mali-ECOWAS settlement sooner,
# which ends the sanctions that made mediation welcome), so these tests switch every rule off; the
# decisions have their own tests (test_decision_rules.py) and the response table shows them on.
NO_DECISIONS = [f"decisions.{d.id}=off" for d in load_institutions().decisions]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(lever=st.sampled_from(PULL_LEVERS), low=st.floats(0, 0.9), step=st.floats(0.05, 0.5),
       seed=st.integers(0, 10_000))
@example(lever=next(lv for lv in PULL_LEVERS if lv.key == "morocco.security_cooperation"), low=0.5, step=0.5,
         seed=886)  # one replicate falls by 2e-4 as Russia's PMC effort responds (+0.046); the mean still rises
@example(lever=next(lv for lv in PULL_LEVERS if lv.key == "morocco.security_cooperation"), low=0.5, step=0.5,
         seed=2094)  # with the built-in shocks on, a surge spared parts the two histories (docstring)
def test_more_effort_never_lowers_own_influence_on_the_target(lever, low, step, seed):
    """Common random numbers: the same replicates with a higher fixed intensity of one lever.

    The owner's other levers are held at their status-quo efforts and the budget policy is
    ``extend``, so the raise is not paid for by cutting a sibling; other actors still respond.
    Every pull lever of the catalogue is eligible. Coerce levers (ECOWAS sanctions) are not pull
    levers: the model lets coercion backfire through resentment (docs/ODD.md, goodwill flows).

    The claim is on the ensemble mean of each target: a single replicate can fall slightly when a
    rival's adaptive response to the raise outweighs a lever whose own effect is small (the
    first example below). Derandomized, so CI explores the same cases every run.

    The built-in shocks are off: with them, a raise that lowers a state's threat can spare it a
    surge that the lower intensity suffered, and from then on the pair compares two different
    histories, not two intensities (the second example: with surges, Morocco's mean influence
    on Mali over its 8 replicates falls by 2e-4, one replicate by 2e-3, after 6 surges against 4).
    The exhaustive companion below keeps the shocks on.
    """
    from sim.model.model import InfluenceModel

    high = min(low + step, 1.0)
    own = {lv.id: lv.initial_effort for lv in CATALOGUE.levers_of(lever.actor)}
    finals = []
    for intensity in (low, high):
        settings_ = [f"levers.{lever.actor}.{lid}={value}" for lid, value in own.items() if lid != lever.id]
        settings_ += [f"levers.{lever.actor}.{lever.id}={intensity}"]
        scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=36", *NO_BUILT_IN_SHOCKS, *NO_DECISIONS,
                                                                *settings_])
        model = InfluenceModel(scenario, n_replicates=8, seed=seed)
        for _ in range(scenario.horizon):
            model.step()
        a = ACTORS.index(lever.actor)
        finals.append(np.stack([model.influence[:, a, ACTORS.index(t)] for t in lever.targets]))
    gain = finals[1] - finals[0]  # (targets, replicates), paired
    assert (gain.mean(axis=1) >= -1e-12).all(), (lever.key, low, high, gain)  # every target, on average
    assert gain.min() > -1e-3, (lever.key, low, high, gain)  # and no replicate falls by more than a rounding


def test_every_pull_lever_is_monotone_from_zero_to_one():
    """The exhaustive companion of the property test: each pull lever at 0, 0.5 and 1."""
    baseline = load_scenario(SCENARIOS / "baseline.yaml", NO_DECISIONS)
    from sim.engine.experiments import Factor, evaluate_points
    from sim.scenario.outcomes import parse_outcome

    factors = [Factor(f"levers.{lv.key}", 0, 1) for lv in PULL_LEVERS]
    points = np.full((3 * len(PULL_LEVERS), len(PULL_LEVERS)), np.nan)
    for i in range(len(PULL_LEVERS)):
        points[3 * i: 3 * i + 3, i] = (0.0, 0.5, 1.0)
    outcomes = sorted({f"influence.{lv.actor}.{t}" for lv in PULL_LEVERS for t in lv.targets})
    values = evaluate_points(baseline, factors, points, [parse_outcome(o) for o in outcomes],
                             replicates_per_point=6)
    for i, lever in enumerate(PULL_LEVERS):
        for t in lever.targets:
            j = outcomes.index(f"influence.{lever.actor}.{t}")
            series = values[3 * i: 3 * i + 3, :, j]  # (3 intensities, replicates)
            assert (np.diff(series, axis=0) >= -1e-12).all(), (lever.key, t, series)
