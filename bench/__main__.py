"""Benchmarks, printed as ratios against references measured in the same run.

    python -m bench            # all (several minutes)
    python -m bench --quick    # smaller sizes, for a smoke test

1. batched engine vs one InfluenceModel per replicate stepped the plain Mesa way (R = 1, looped)
2. batched engine vs a bare NumPy implementation of the same step (below; checked to agree)
3. peak memory of R = 100 000 x 120 steps with summaries only (separate process, ru_maxrss)
4. wall time of `sim validate scenarios/*.yaml` and `sim --help` (separate processes)
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

from sim import dynamics as dyn
from sim.model import InfluenceModel
from sim.scenario import load_scenario, scenario_from_data
from sim.seeding import STREAM_BUILTIN_SHOCKS, uniforms

HORIZON = 120


def bench_scenario():
    """The baseline over 120 months, without dated events or schedules (the bare step has none)."""
    data = load_scenario("scenarios/baseline.yaml").to_dict()
    data = copy.deepcopy(data)
    data.update(horizon=HORIZON, levers={}, events=[], uncertainties={})
    return scenario_from_data(data, "bench")


def time_batched(scenario, n: int) -> float:
    model = InfluenceModel(scenario, n_replicates=n, seed=1)
    start = time.perf_counter()
    for _ in range(HORIZON):
        model.step()
    return time.perf_counter() - start


def time_looped(scenario, n: int) -> float:
    start = time.perf_counter()
    for r in range(n):
        model = InfluenceModel(scenario, n_replicates=1, seed=1, replicate_ids=np.array([r]))
        for _ in range(HORIZON):
            model.step()
    return time.perf_counter() - start


def bare_numpy_run(scenario, n: int) -> tuple[float, np.ndarray]:
    """The same monthly step written directly on arrays: no Mesa, no agents, no recording.

    Setup reuses the model's initialisation (not timed); every step is re-implemented here.
    """
    m = InfluenceModel(scenario, n_replicates=n, seed=1)
    w, s, p = m.world, m.structure, m.params
    objectives = np.stack([a.objectives for a in sorted(m.agents, key=lambda a: a.index)])  # (A, A)
    budget = np.stack([a.budget for a in sorted(m.agents, key=lambda a: a.index)], axis=1)  # (R, A)
    targets = s.target_mask * objectives[s.owner]  # (L, A)
    weight, goodwill = p.lever_matrix("weight"), p.lever_matrix("goodwill")
    tau_up, tau_down, relief = p.lever_matrix("tau_up"), p.lever_matrix("tau_down"), p.lever_matrix("threat_relief")
    half = p["influence.saturation"][:, None]
    focus, inertia = p["agent.focus"][:, None], p["agent.inertia"][:, None]
    exchange, scale = p["agent.goodwill_value"][:, None], p["relation.goodwill_scale"][:, None]
    owner_of = s.owner
    no_fixed = np.zeros_like(w.effort, dtype=bool)
    start = time.perf_counter()
    for t in range(1, HORIZON + 1):
        sanction = dyn.sanctions(w.effort, s)
        rec = dyn.lever_receptivity(dyn.receptivity(w, sanction, p), s)  # (R, L, A)
        # all actors' allocation at once
        slope = dyn.saturate_slope(w.stock, half)
        room = 1.0 - w.influence[:, owner_of, :]
        gain = (rec * room * targets).sum(axis=2) * weight * s.is_pull
        rival = np.einsum("rka,lk->rla", w.influence, s.rival_onehot)
        gain += (rival * targets).sum(axis=2) * weight * s.is_undermine
        own_need = np.take_along_axis(rec, owner_of[None, :, None].repeat(n, 0), axis=2)[:, :, 0]
        gain += own_need * targets.sum(axis=1) * weight * s.is_welcome
        room_rel = 1.0 - w.relation[:, owner_of, :]
        gain += (room_rel * targets).sum(axis=2) * goodwill * exchange * s.is_align
        value = (np.maximum(gain, 0.0) * slope) ** focus
        share = value / np.maximum(dyn.lever_totals(value, s.owner_onehot)[:, owner_of], 1e-12)
        desired = np.minimum(budget[:, owner_of] * share, 1.0)
        w.effort = w.effort + inertia * (desired - w.effort)
        w.effort = dyn.enforce_budgets(np.clip(w.effort, 0.0, 1.0), no_fixed, s, budget)
        sanction = dyn.sanctions(w.effort, s)
        rec = dyn.lever_receptivity(dyn.receptivity(w, sanction, p), s)
        w.stock = dyn.update_stocks(w.stock, w.effort, tau_up, tau_down)
        effective = dyn.saturate(w.stock, half)
        raw = (w.legacy + dyn.lever_pull(effective, rec, s, weight)) * dyn.pull_multiplier(w, effective, s, p, weight)
        w.influence = dyn.update_influence(w, w.effectiveness * raw, dyn.outside_pull(w, p), p)
        w.relation = dyn.update_relations(w, dyn.goodwill_flows(effective, goodwill * scale, s, w.relation), p)
        w.legacy *= 1.0 - p["influence.legacy_decay"][:, None, None]
        dyn.update_context(w, effective, relief, sanction, s, p)
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
        "from sim import load_scenario\nfrom sim.runner import run_ensemble\n"
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
          f"speed-up {loop / batched:.0f}x (target >= 100x)")

    model = InfluenceModel(scenario, n_replicates=200, seed=1)
    for _ in range(HORIZON):
        model.step()
    _, bare_influence = bare_numpy_run(scenario, 200)
    agree = np.allclose(model.influence, bare_influence, rtol=1e-9, atol=1e-12)
    bare = bare_numpy_run(scenario, batch)[0] / batch
    print(f"2. bare NumPy R={batch}: {bare * 1e3:.3f} ms/replicate; engine/bare = {batched / bare:.2f}x "
          f"(target <= 1.5x); same numbers as the model: {agree}")

    mib = peak_memory(memory_n)
    print(f"3. peak memory R={memory_n} x {HORIZON} steps, summaries only: {mib:.0f} MiB (target < 1024)")

    files = sorted(glob.glob("scenarios/*.yaml"))
    validate = wall([sys.executable, "-m", "sim", "validate", *files])
    help_time = wall([sys.executable, "-m", "sim", "--help"])
    python = wall([sys.executable, "-c", "pass"])
    print(f"4. sim validate ({len(files)} files): {validate:.3f} s; sim --help: {help_time:.3f} s "
          f"(target < 0.5 s; bare Python start-up {python:.3f} s)")


if __name__ == "__main__":
    main()
