"""Benchmarks, printed as ratios against references measured in the same run.

    python -m bench            # all (several minutes)
    python -m bench --quick    # smaller sizes, for a smoke test

1. batched engine vs one InfluenceModel per replicate stepped the plain Mesa way (R = 1, looped)
2. batched engine vs a bare NumPy implementation of the same step (below; checked to agree)
3. peak memory of R = 100 000 x 120 steps with summaries only (separate process, VmHWM)
4. wall time of `sim validate scenarios/*.yaml` and `sim --help` (separate processes)
5. processes and Dask (2 workers each) vs serial on one streamed ensemble, with and without
   starting the workers; the outputs are checked to be identical
6. Sobol' over 30 factors with second-order indices (N = 1024; --quick: N = 64), serial and on
   2 worker processes
7. the dashboard's what-if (one press of its run button)
8. a default `sim optimize` (one objective, --budget 200 --replicates 8; --quick: 60 x 4)
"""

from __future__ import annotations

import argparse
import copy
import glob
import platform
import subprocess
import sys
import time

import numpy as np

from sim.model import dynamics as dyn
from sim.model.model import InfluenceModel
from sim.model.seeding import STREAM_BUILTIN_SHOCKS, uniforms
from sim.scenario.loader import load_scenario, scenario_from_data

HORIZON = 120


def bench_scenario():
    """The baseline over 120 months, without dated events or schedules (the bare step has none)."""
    data = load_scenario("scenarios/baseline.yaml").to_dict()
    data = copy.deepcopy(data)
    data.update(horizon=HORIZON, levers={}, events=[], uncertainties={})
    return scenario_from_data(data, "bench")


def time_batched(scenario, n: int) -> float:
    model = InfluenceModel(scenario, n_replicates=n, seed=1, collect=False)
    start = time.perf_counter()
    for _ in range(HORIZON):
        model.step()
    return time.perf_counter() - start


def time_looped(scenario, n: int) -> float:
    start = time.perf_counter()
    for r in range(n):
        model = InfluenceModel(scenario, n_replicates=1, seed=1, replicate_ids=np.array([r]), collect=False)
        for _ in range(HORIZON):
            model.step()
    return time.perf_counter() - start


def bare_numpy_run(scenario, n: int) -> tuple[float, np.ndarray]:
    """The same monthly step written directly on arrays: no Mesa, no agents, no recording.

    Setup reuses the model's initialisation (not timed); every step is re-implemented here.
    The bench scenario has no lever settings, so every lever is adaptive and nothing is fixed.
    """
    m = InfluenceModel(scenario, n_replicates=n, seed=1, collect=False)
    w, s, p = m.world, m.structure, m.params
    agents = sorted(m.agents, key=lambda a: a.index)
    objectives = np.stack([a.objectives for a in agents])  # (A, A)
    budget = np.stack([a.budget for a in agents], axis=1)  # (R, A)
    base_budget = budget.copy()
    elasticity, span = p["agent.budget_elasticity"][:, None], p["agent.budget_range"][:, None]
    extend = np.stack([a.extend for a in agents], axis=1)  # (R, A)
    targets = s.target_mask * objectives[s.owner]  # (L, A)
    pairs = s.targets  # (lever, target) pairs, the sparse form of the target mask
    care = objectives[pairs.owner, pairs.actor]  # (P,)
    weight, goodwill = p.lever_matrix("weight"), p.lever_matrix("goodwill")
    goodwill_flow = goodwill * p["relation.goodwill_scale"][:, None]
    tau_up, tau_down, relief = p.lever_matrix("tau_up"), p.lever_matrix("tau_down"), p.lever_matrix("threat_relief")
    half = p["influence.saturation"][:, None]
    focus, inertia = p["agent.focus"][:, None], p["agent.inertia"][:, None]
    exchange = p["agent.goodwill_value"][:, None]
    owner_of = s.owner
    pull, undermine, rival = np.flatnonzero(s.is_pull), s.undermine_levers, s.rival_index
    welcome, align = np.flatnonzero(s.is_welcome), np.flatnonzero(s.is_align)
    welcome_targets = targets[welcome].sum(axis=1)
    value_0 = m.lever_value_0 + 1e-9
    # each actor's levers as a padded (A, K) block (index L: a zero column), so the per-actor
    # sums run left to right over its levers exactly as each agent's ordered_sum does
    counts = np.bincount(owner_of, minlength=dyn.A)
    block = np.full((dyn.A, counts.max()), len(owner_of))
    for a in range(dyn.A):
        block[a, : counts[a]] = np.flatnonzero(owner_of == a)

    def per_actor(values):  # (R, L) -> (R, A)
        return dyn.ordered_sum(np.concatenate([values, np.zeros((n, 1))], axis=1)[:, block], axis=2)

    fixed = np.zeros_like(w.effort, dtype=bool)  # no lever settings: every lever adaptive
    room_budget = np.maximum(budget, 0.0)  # (R, A): nothing fixed, so it costs nothing
    mix_0 = w.reference.copy()
    unused = per_actor(mix_0) <= 0  # (R, A): no status-quo mix, value alone decides
    mix_0 = np.where(unused[:, owner_of], 1.0, mix_0)
    start = time.perf_counter()
    for t in range(1, HORIZON + 1):
        # sense
        sanction = dyn.sanctions(w.effort, s)
        rec = dyn.receptivity(w, sanction, p)  # (R, C, A)
        pair_rec = dyn.pair_receptivity(rec, s)  # (R, P)
        # every lever's marginal value to its owner, all actors at once, pair by pair
        gain = np.zeros_like(weight)
        pull_pairs = s.is_pull[pairs.lever]
        term = np.where(pull_pairs, pair_rec * (1.0 - w.influence[:, pairs.owner, pairs.actor]), 0.0) * care
        gain[:, pull] = pairs.per_lever(term)[:, pull] * weight[:, pull]
        hold = dyn.ordered_sum(w.influence[:, rival, :] * targets[undermine], axis=2)  # rivals' hold
        gain[:, undermine] = hold * weight[:, undermine]
        gain[:, welcome] = welcome_targets * weight[:, welcome] * rec[:, s.channel[welcome], owner_of[welcome]]
        room_rel = 1.0 - w.relation[:, owner_of[align], :]
        gain[:, align] = dyn.ordered_sum(room_rel * targets[align], axis=2) * (goodwill[:, align] * exchange)
        value = np.maximum(gain, 0.0) * dyn.saturate_slope(w.stock, half)
        # every actor sets the budget it spends from its opportunity (ODD 7.2)
        opportunity_now, opportunity_then = per_actor(w.reference * value), per_actor(w.reference * m.lever_value_0)
        opportunity = np.where(opportunity_then > 0, opportunity_now / np.where(opportunity_then > 0,
                                                                                 opportunity_then, 1.0) - 1.0, 0.0)
        target = base_budget * (1.0 + np.clip(elasticity * opportunity, -span, span))
        budget = budget + inertia * (target - budget)
        room_budget = np.maximum(budget, 0.0)
        # all actors allocate at once: the status-quo mix tilted by value, within the budget
        tilt = np.clip((value + 1e-9) / value_0, 0.1, 10.0) ** focus
        mix = mix_0 * tilt
        share = mix / np.maximum(per_actor(mix), 1e-12)[:, owner_of]
        desired = np.minimum(room_budget[:, owner_of] * share, 1.0)
        w.effort = w.effort + inertia * (desired - w.effort)
        # advance
        w.effort = dyn.enforce_budgets(np.clip(w.effort, 0.0, 1.0), fixed, w.reference, s, budget, extend)
        sanction = dyn.sanctions(w.effort, s)
        pair_rec = dyn.pair_receptivity(dyn.receptivity(w, sanction, p), s)
        w.stock = dyn.update_stocks(w.stock, w.effort, tau_up, tau_down)
        effective = dyn.saturate(w.stock, half)
        openness = dyn.institutional_openness(w.institution, m.institution_holder, m.institution_partner,
                                              p["institution.openness"])
        multiplier = dyn.pull_multiplier(w, effective, s, p, weight) * openness
        levers = dyn.arena_pull(effective, pair_rec, s, weight)
        w.legacy = dyn.update_legacy(w, levers, dyn.attitude_gate(w.relation, p), p)
        raw = (w.legacy + levers) * multiplier[:, :, None, :]
        w.influence = dyn.update_influence(w, raw, dyn.outside_pull(w, p), dyn.arena_weights(w.threat, p), p)
        flows = dyn.goodwill_flows(effective, goodwill_flow, s, w.relation) + dyn.relief_credit(
            effective, relief, w.threat, s, p)
        flows = dyn.earned_goodwill(flows, w.flows_0, p)
        w.relation = dyn.update_relations(w, dyn.relation_forcing(w, flows, p), p)
        dyn.update_context(w, dyn.threat_relief(effective, relief, s), sanction, p)
        dyn.apply_shocks(w, uniforms(m.keys, STREAM_BUILTIN_SHOCKS, t, 2 * dyn.A + 1), s, p)
    return time.perf_counter() - start, w.influence


def wall(command: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(n: int) -> float:
    code = (
        "from sim import load_scenario\nfrom sim.engine.runner import run_ensemble\n"
        f"s = load_scenario('scenarios/baseline.yaml', ['horizon={HORIZON}'])\n"
        f"run_ensemble(s, {n}, 1, keep=0)\n"
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])\n"
    )
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts from the forking parent's size
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) / 1024  # MiB


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test, not the targets)")
    args = parser.parse_args()
    batch, looped, memory_n = (1_000, 10, 10_000) if args.quick else (10_000, 30, 100_000)
    scenario = bench_scenario()
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"NumPy {np.__version__}; horizon {HORIZON} months")

    batched = time_batched(scenario, batch) / batch
    loop = time_looped(scenario, looped) / looped
    print(f"1. batched R={batch}: {batched * 1e3:.3f} ms/replicate; looped R=1: {loop * 1e3:.1f} ms/replicate; "
          f"speed-up {loop / batched:.0f}x (target >= 150x)")

    model = InfluenceModel(scenario, n_replicates=200, seed=1, collect=False)
    for _ in range(HORIZON):
        model.step()
    _, bare_influence = bare_numpy_run(scenario, 200)
    agree = np.allclose(model.influence, bare_influence, rtol=1e-9, atol=1e-12)
    bare = bare_numpy_run(scenario, batch)[0] / batch
    print(f"2. bare NumPy R={batch}: {bare * 1e3:.3f} ms/replicate; engine/bare = {batched / bare:.2f}x "
          f"(target <= 1.2x); same numbers as the model: {agree}")

    mib = peak_memory(memory_n)
    print(f"3. peak memory R={memory_n} x {HORIZON} steps, summaries only: {mib:.0f} MiB (target < 1024)")

    files = sorted(glob.glob("scenarios/*.yaml"))
    validate = wall([sys.executable, "-m", "sim", "validate", *files])
    help_time = wall([sys.executable, "-m", "sim", "--help"])
    python = wall([sys.executable, "-c", "pass"])
    print(f"4. sim validate ({len(files)} files): {validate:.3f} s; sim --help: {help_time:.3f} s "
          f"(target < 0.5 s; bare Python start-up {python:.3f} s)")

    backends_n = 4_000 if args.quick else 20_000
    print(f"5. backends, baseline R={backends_n} x 60 months, summaries only:")
    print("\n".join(time_backends(backends_n)), flush=True)

    sobol_n = 64 if args.quick else 1024
    print(f"6. Sobol' with second order, 30 factors, N={sobol_n}:")
    print("\n".join(time_sobol(sobol_n)))

    print("7. dashboard what-if, 200 paired replicates with the attribution and the fan charts (warm):")
    print(time_dashboard(200))

    budget, replicates = (60, 4) if args.quick else (200, 8)
    print(f"8. sim optimize baseline --actor morocco, default search (--budget {budget} --replicates {replicates}), "
          "without the compare reports:")
    print(time_optimize(budget, replicates))


def time_backends(n: int) -> list[str]:
    """Seconds of one streamed ensemble of the baseline on each backend: cold (workers started
    inside the timing) and warm (a second run on the same workers)."""
    from sim.engine.executors import make_executor
    from sim.engine.runner import run_ensemble

    scenario = load_scenario("scenarios/baseline.yaml")
    start = time.perf_counter()
    reference = run_ensemble(scenario, n, 1, keep=0).summary.stats
    serial = time.perf_counter() - start
    lines = [f"   serial: {serial:.1f} s ({serial / (n * scenario.horizon) * 1e6:.1f} us per replicate-month)"]
    for backend in ("processes", "dask"):
        try:
            start = time.perf_counter()
            with make_executor(backend, 2) as executor:
                same = np.array_equal(run_ensemble(scenario, n, 1, keep=0, executor=executor).summary.stats, reference)
                cold = time.perf_counter() - start
                start = time.perf_counter()
                same &= np.array_equal(run_ensemble(scenario, n, 1, keep=0, executor=executor).summary.stats,
                                       reference)
                warm = time.perf_counter() - start
        except ImportError:
            lines.append(f"   {backend}: not installed (pip install 'sahel-sim[dask]')")
            continue
        lines.append(f"   {backend}, 2 workers: {cold:.1f} s with start-up ({serial / cold:.2f}x), {warm:.1f} s warm "
                     f"({serial / warm:.2f}x; target >= 1.6x); identical to serial: {same}")
    return lines


def time_sobol(n: int) -> list[str]:
    """Sobol' with second-order indices over 30 factors (the first 30 catalogue parameters with a range)."""
    from sim.analysis.sensitivity import default_factors, model_evaluator, run_sensitivity
    from sim.engine.executors import make_executor
    from sim.scenario.outcomes import parse_outcome

    scenario = load_scenario("scenarios/baseline.yaml")
    factors = default_factors()[:30]
    outcomes = [parse_outcome("influence.russia.mali")]
    lines, results = [], {}
    for backend, workers in (("serial", 1), ("processes", 2)):
        start = time.perf_counter()
        with make_executor(backend, workers) as executor:
            evaluate = model_evaluator(scenario, factors, outcomes, 1, executor=executor)
            result = run_sensitivity(factors, [o.text for o in outcomes], evaluate, "sobol", n, 1, second_order=True,
                                         executor=executor)
        results[backend] = result.indices[0]["S2"]
        seconds = time.perf_counter() - start
        plural = "s" if workers > 1 else ""
        lines.append(f"   {backend} ({workers} worker{plural}): {seconds:.1f} s for {result.n_runs} samples")
    same = np.array_equal(results["serial"], results["processes"], equal_nan=True)
    lines.append(f"   identical indices: {same} (target: under 15 s with 2 workers)")
    return lines


def time_dashboard(n: int) -> str:
    """What one press of the dashboard's run button costs in the server (sim/dashboard/session.py),
    against the plain paired comparison it contains, measured in the same run."""
    import io

    from sim.analysis.compare import compare_scenarios

    try:
        from sim.dashboard import charts, session
    except ImportError:
        return "   not installed (pip install 'sahel-sim[dashboard]')"
    base = load_scenario("scenarios/baseline.yaml")
    settings = {"levers.morocco.security_cooperation": 0.8}
    outcomes = ["influence.morocco.mali", "influence.russia.mali"]
    session.run_whatif(base, settings, outcomes, replicates=20)  # imports and first-touch costs
    runs, plain = [], []
    for _ in range(3):
        start = time.perf_counter()
        run = session.run_whatif(base, settings, outcomes, replicates=n)
        charts.fan_charts(run).savefig(io.BytesIO(), format="png")
        runs.append(time.perf_counter() - start)
        start = time.perf_counter()
        compare_scenarios(base, session.whatif_scenario(base, settings), n, base.seed)
        plain.append(time.perf_counter() - start)
    return (f"   {min(runs):.2f} s best of 3 (target < 3 s), of which the paired comparison alone takes "
            f"{min(plain):.2f} s ({min(runs) / min(plain):.1f}x)")


def time_optimize(budget: int, replicates: int) -> str:
    """A default strategy search end to end, against one batched evaluation of as many mixes (its floor)."""
    from sim.analysis.optimize import optimize, spread
    from sim.engine.experiments import Factor, evaluate_points
    from sim.scenario.catalogue import load_catalogue
    from sim.scenario.outcomes import parse_outcome

    base = load_scenario("scenarios/baseline.yaml")
    objective = "mean(influence.morocco.mali)"
    start = time.perf_counter()
    result = optimize(base, "morocco", objective, replicates=replicates, budget=budget, seed=base.seed)
    search = time.perf_counter() - start
    catalogue = load_catalogue()
    levers = [lv for lv in catalogue.levers_of("morocco") if lv.kind != "coerce"]
    mixes = spread(np.random.default_rng(0).random((result.evaluated_points, len(levers))), result.total)
    start = time.perf_counter()
    evaluate_points(base, [Factor(f"levers.{lv.key}", 0.0, 1.0) for lv in levers], mixes,
                    [parse_outcome(objective, catalogue.lever_ids())], replicates_per_point=replicates, seed=base.seed)
    floor = time.perf_counter() - start
    beats = all(result.difference(s.name)[1] > 0 for s in result.strategies[1:])
    return (f"   {search:.1f} s for {result.evaluated_points} mixes x {replicates} replicates "
            f"({search / floor:.2f}x one batched evaluation of as many mixes, {floor:.1f} s); "
            f"beats all three references (5% > 0): {beats}")


if __name__ == "__main__":
    main()
