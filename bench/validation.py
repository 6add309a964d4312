"""Out-of-time check of the calibration: fit on 2012-2018, forecast 2019-2022 (docs/validation.md).

    python -m bench.validation            # about two minutes on two cores
    python -m bench.validation --budget 600 --points 60   # quicker, noisier

1. Rejection ABC on the history replay with the early-window targets only (those whose outcome
   ends by 2018-12): uniform priors over the catalogue ranges of the calibrated parameters.
2. Forecast: the replay run at posterior points (the same documented events through 2022),
   and each late-window target's ensemble mean per point: its posterior predictive median and
   90% interval, and whether the median falls inside the documented range.
3. References computed from the same runs, knowing the state through 2018-12 only:
   persistence (every series stays at its 2018-12 value) and trend extrapolation (the
   2016-01..2018-12 linear trend of every series, clipped to the metric's range).
4. ABC on all targets: the posterior the replay's and the baseline's uncertainties come from
   (``--write`` rewrites ``scenarios/parts/uncertainties.yaml`` from it; then run
   ``python -m sim.analysis.handover`` and re-bless).

Prints markdown tables; docs/validation.md quotes them with the command that made them.
"""

from __future__ import annotations

import argparse
import dataclasses
import re

import numpy as np

from sim.analysis.calibration import calibrate_abc, load_targets, loss_function
from sim.engine.experiments import Factor, factor_bounds
from sim.engine.runner import run_chunk
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import load_scenario

REPLAY = "scenarios/history_2012_2022.yaml"
TARGETS = "scenarios/targets/history_2012_2022.yaml"
CALIBRATED = ("relation.goodwill_scale", "relation.balance_rate", "relation.reversion", "influence.adjust_rate",
              "influence.legacy_floor", "receptivity.security_gain", "influence.western_share", "agent.inertia")
UNCERTAINTIES = "scenarios/parts/uncertainties.yaml"
JUDGEMENT_UNCERTAINTIES = {"context.threat_vacuum": (0.1, 0.4),
                           # the judgement numbers that decide the actors' choices (ODD 7.12-7.13, issue #27
                           # item 6); where the replay constrains one, its range keeps the 2012-2022 record
                           # (Mali did not invite Russian forces before 2021; ECOWAS did not admit Morocco)
                           "memory.rate": (0.02, 0.08), "settlement.standing": (0.0, 0.2),
                           "decision.offer_effort": (0.4, 0.75), "decision.join_attitude": (0.2, 0.5),
                           "decision.quit_attitude": (-0.3, 0.1), "decision.sign_attitude": (0.15, 0.5),
                           "decision.sign_threat": (0.35, 0.7), "decision.denounce_attitude": (-0.3, 0.05),
                           "decision.reinforce_threat": (0.55, 0.75), "decision.offer_threat": (0.6, 0.85),
                           "decision.mediation_exit_attitude": (0.1, 0.3), "decision.exit_attitude": (-0.05, 0.15),
                           "decision.exit_sanctions": (0.05, 0.2), "decision.rejoin_attitude": (0.2, 0.5),
                           "decision.settle_pressure": (0.1, 0.3), "decision.settle_mediation": (1.2, 1.8),
                           "decision.expel_attitude": (-0.4, 0.0), "decision.invite_threat": (0.55, 0.85),
                           "decision.invite_attitude": (0.25, 0.5), "decision.suspend_attitude": (-0.3, 0.1),
                           "decision.revive_attitude": (0.25, 0.5), "decision.admit_attitude": (0.35, 0.8)}
CUT = "2018-12"
TREND_FROM = "2016-01"


def last_month(target) -> str:
    return max(re.findall(r"\d{4}-\d{2}", target.outcome.text))


def naive(trajectories, kind: str):
    """The trajectories after CUT replaced by persistence or by the linear trend before it."""
    dates = trajectories.dates
    cut, start = dates.index(CUT), dates.index(TREND_FROM)
    values = trajectories.values.copy()
    months_after = np.arange(1, len(dates) - cut)[None, :, None]
    if kind == "persistence":
        values[:, cut + 1:] = values[:, cut:cut + 1]
    else:
        slope = (values[:, cut] - values[:, start]) / (cut - start)
        values[:, cut + 1:] = values[:, cut:cut + 1] + slope[:, None, :] * months_after
        low = np.array([-1.0 if metric == "relation" else 0.0 for metric, _, _ in trajectories.series])
        values = np.clip(values, low, 1.0)
    return dataclasses.replace(trajectories, values=values)


def posterior(scenario, targets, factors, *, budget: int, replicates: int, seed: int) -> np.ndarray:
    catalogue = load_catalogue()
    defaults = np.array([catalogue.parameters[f.name].default for f in factors])
    loss = loss_function(scenario, factors, targets, replicates=replicates, seed=seed)
    return calibrate_abc(loss, factors, budget=budget, seed=seed, defaults=defaults).posterior


def forecast_table(scenario, factors, points: np.ndarray, test, *, replicates: int, seed: int) -> list[str]:
    """Per late target: model, persistence and trend (posterior predictive medians and 90% intervals)."""
    means = {kind: [] for kind in ("model", "persistence", "trend")}
    for first in range(0, len(points), 25):
        block = points[first:first + 25]
        rows = np.repeat(block, replicates, axis=0)
        ids = np.tile(np.arange(replicates), len(block))
        trajectories = run_chunk(scenario, seed, ids, parameters={f.name: rows[:, d] for d, f in enumerate(factors)})
        for kind in means:
            t = trajectories if kind == "model" else naive(trajectories, kind)
            values = np.stack([target.outcome.evaluate(t) for target in test], axis=1)  # (rows, targets)
            means[kind].append(values.reshape(len(block), replicates, len(test)).mean(axis=1))
    lines = ["| late target (2019-2022) | documented range | model | persistence | trend |",
             "| --- | --- | --- | --- | --- |"]
    hits = dict.fromkeys(means, 0)
    for j, target in enumerate(test):
        cells = []
        for kind, blocks in means.items():
            values = np.concatenate(blocks)[:, j]
            low, mid, high = np.quantile(values, [0.05, 0.5, 0.95])
            hit = target.low <= mid <= target.high
            hits[kind] += hit
            cells.append(f"{mid:+.3f} [{low:+.3f}, {high:+.3f}] {'hit' if hit else 'miss'}")
        lines.append(f"| `{target.id}` | [{target.low:g}, {target.high:g}] | " + " | ".join(cells) + " |")
    lines.append(f"| **targets hit** | | {hits['model']}/{len(test)} | {hits['persistence']}/{len(test)} | "
                 f"{hits['trend']}/{len(test)} |")
    return lines


def posterior_table(points: np.ndarray, factors) -> list[str]:
    catalogue = load_catalogue()
    lines = ["| parameter | prior (catalogue range) | default | posterior 5% | median | 95% | width / prior |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for d, f in enumerate(factors):
        low, mid, high = np.quantile(points[:, d], [0.05, 0.5, 0.95])
        spec = catalogue.parameters[f.name]
        lines.append(f"| `{f.name}` | [{f.low:g}, {f.high:g}] | {spec.default:g} | {low:.3g} | {mid:.3g} | "
                     f"{high:.3g} | {(high - low) / (f.high - f.low):.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.validation")
    parser.add_argument("--budget", type=int, default=3000, help="prior draws per ABC run")
    parser.add_argument("--replicates", type=int, default=8, help="replicates per parameter point")
    parser.add_argument("--points", type=int, default=150, help="posterior points run for the forecast")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true", help=f"rewrite {UNCERTAINTIES} from the full posterior")
    args = parser.parse_args()
    scenario = load_scenario(REPLAY)
    targets = load_targets(TARGETS)
    factors = [Factor(name, *factor_bounds(name)) for name in CALIBRATED]
    early = [t for t in targets if last_month(t) <= CUT]
    late = [t for t in targets if last_month(t) > CUT]

    fitted = posterior(scenario, early, factors, budget=args.budget, replicates=args.replicates, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    chosen = fitted[rng.choice(len(fitted), size=min(args.points, len(fitted)), replace=False)]
    print(f"## Out-of-time: calibrated on {len(early)} targets ending by {CUT}, {len(fitted)} of {args.budget} "
          f"prior draws accepted; forecast from {len(chosen)} posterior points x {args.replicates} replicates\n")
    print("\n".join(forecast_table(scenario, factors, chosen, late, replicates=args.replicates, seed=args.seed)))
    print("\nPosterior from the early window:\n")
    print("\n".join(posterior_table(fitted, factors)))

    full = posterior(scenario, targets, factors, budget=args.budget, replicates=args.replicates, seed=args.seed)
    print(f"\n## All {len(targets)} targets: {len(full)} of {args.budget} prior draws accepted\n")
    print("\n".join(posterior_table(full, factors)))
    if args.write:
        with open(UNCERTAINTIES, "w") as out:
            out.write(uncertainties_text(full, factors, accepted=len(full), budget=args.budget))
        print(f"\nwrote {UNCERTAINTIES}")


def uncertainties_text(points: np.ndarray, factors, *, accepted: int, budget: int) -> str:
    """The shared uncertainties file: the posterior's 5-95% ranges, uniform per replicate."""
    lines = ["# yaml-language-server: $schema=../../docs/scenario.schema.json",
             "# GENERATED by `python -m bench.validation --write`: what we do not know, shared by the",
             "# 2012-2022 replay and the forecasts that start from it. Calibrated parameters: the 5-95%",
             "# range of the rejection-ABC posterior on the replay's targets",
             f"# (scenarios/targets/history_2012_2022.yaml; {accepted} of {budget} prior draws hit all of them;",
             "# docs/validation.md). The rest are judgement ranges inside the catalogue's plausible ranges.",
             "uncertainties:"]
    for d, f in enumerate(factors):
        low, mid, high = np.quantile(points[:, d], [0.05, 0.5, 0.95])
        lines.append(f"  {f.name}: {{distribution: uniform, low: {low:.3g}, high: {high:.3g}}}   # posterior median "
                     f"{mid:.3g}")
    lines += [f"  {name}: {{distribution: uniform, low: {low:g}, high: {high:g}}}   # judgement, not calibrated"
              for name, (low, high) in JUDGEMENT_UNCERTAINTIES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
