"""Calibration of the 2012-2022 replay by ABC-SMC, and its posterior predictive check (docs/validation.md).

    python -m bench.validation            # population 100, at most 6 generations or 3000 evaluations
    python -m bench.validation --write    # ... and rewrite scenarios/parts/uncertainties.yaml and the
                                          # calibration section of docs/validation.md; then run
                                          # `python -m sim.analysis.handover` and re-bless

1. ABC-SMC (pyabc, ``sim.analysis.calibration.calibrate_abc``) on all the replay's targets: uniform
   priors over the catalogue ranges of the calibrated parameters, a distance that keeps falling
   towards the middle of each documented range.
2. The posterior against the prior, per parameter (5-95% width as a share of the prior range).
3. A posterior predictive check beside the prior predictive: per target, the ensemble mean at
   each point (median and 90% interval over points) and the share of points inside the range.

The out-of-time question (fit before a cutoff, forecast after it with only exogenous events) is
the backtest's: ``python -m bench.backtest``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from bench import replace_section
from sim.analysis.calibration import CALIBRATED, calibrate_abc, load_targets, loss_function
from sim.engine.experiments import Factor, evaluate_points, factor_bounds
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import load_scenario

REPLAY = "scenarios/history_2012_2022.yaml"
TARGETS = "scenarios/targets/history_2012_2022.yaml"
DOC = Path("docs/validation.md")
BEGIN, END = "<!-- calibration:begin (python -m bench.validation --write) -->", "<!-- calibration:end -->"
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
                           "decision.sanction_stability": (0.15, 0.3),
                           "decision.expel_attitude": (-0.4, 0.0), "decision.invite_threat": (0.55, 0.85),
                           "decision.invite_attitude": (0.25, 0.5), "decision.suspend_attitude": (-0.3, 0.1),
                           "decision.revive_attitude": (0.25, 0.5), "decision.admit_attitude": (0.35, 0.8)}
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


def predictive_check(scenario, factors, targets, samples: dict[str, np.ndarray], *, replicates: int,
                     seed: int) -> list[str]:
    """Per target: each sample's ensemble means (median [5%, 95%] over points) and the share in range."""
    outcomes = [t.outcome for t in targets]
    means = {name: evaluate_points(scenario, factors, points, outcomes, replicates_per_point=replicates,
                                   seed=seed).mean(axis=1) for name, points in samples.items()}
    header = " | ".join(f"{name} predictive | in range" for name in samples)
    lines = [f"| target | documented range | {header} |", "| --- | --- | " + " | ".join("--- | ---" for _ in samples)
             + " |"]
    for j, t in enumerate(targets):
        cells = []
        for values in means.values():
            low, mid, high = np.quantile(values[:, j], [0.05, 0.5, 0.95])
            inside = np.mean((values[:, j] >= t.low) & (values[:, j] <= t.high))
            cells.append(f"{mid:+.3f} [{low:+.3f}, {high:+.3f}] | {inside:.0%}")
        lines.append(f"| `{t.id}` | [{t.low:g}, {t.high:g}] | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.validation")
    parser.add_argument("--population", type=int, default=100, help="ABC-SMC particles")
    parser.add_argument("--generations", type=int, default=6, help="ABC-SMC generations, at most")
    parser.add_argument("--budget", type=int, default=3000, help="model evaluations, at most")
    parser.add_argument("--replicates", type=int, default=8, help="replicates per parameter point")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true",
                        help=f"rewrite {UNCERTAINTIES} and the calibration section of {DOC}")
    args = parser.parse_args()
    scenario = load_scenario(REPLAY)
    targets = load_targets(TARGETS)
    factors = [Factor(name, *factor_bounds(name)) for name in CALIBRATED]
    catalogue = load_catalogue()
    defaults = np.array([catalogue.parameters[f.name].default for f in factors])
    loss = loss_function(scenario, factors, targets, replicates=args.replicates, seed=args.seed)
    result = calibrate_abc(loss, factors, budget=args.budget, seed=args.seed, defaults=defaults, targets=targets,
                           population=args.population, generations=args.generations)
    posterior = result.posterior
    lows, highs = np.array([f.low for f in factors]), np.array([f.high for f in factors])
    prior = lows + np.random.default_rng(args.seed).random(posterior.shape) * (highs - lows)
    command = (f"python -m bench.validation --write   # ABC-SMC population {args.population}, at most "
               f"{args.generations} generations and {args.budget} evaluations ({result.evaluations} made), "
               f"{args.replicates} replicates per point, seed {args.seed}")
    lines = [BEGIN, "", "```sh", command, "```", "",
             f"Posterior of the {len(factors)} calibrated parameters on all {len(targets)} targets, against "
             "their uniform priors:", "", *posterior_table(posterior, factors), "",
             f"Posterior predictive check beside the prior predictive ({len(posterior)} points each, "
             f"{args.replicates} replicates per point; the ensemble mean per point):", "",
             *predictive_check(scenario, factors, targets, {"prior": prior, "posterior": posterior},
                               replicates=args.replicates, seed=args.seed), "", END]
    text = "\n".join(lines)
    print(text)
    if args.write:
        with open(UNCERTAINTIES, "w") as out:
            out.write(uncertainties_text(posterior, factors, accepted=len(posterior), budget=result.evaluations))
        replace_section(DOC, BEGIN, END, text)
        print(f"\nwrote {UNCERTAINTIES} and the calibration section of {DOC}")




def uncertainties_text(points: np.ndarray, factors, *, accepted: int, budget: int) -> str:
    """The shared uncertainties file: the posterior's 5-95% ranges, uniform per replicate."""
    lines = ["# yaml-language-server: $schema=../../docs/scenario.schema.json",
             "# GENERATED by `python -m bench.validation --write`: what we do not know, shared by the",
             "# 2012-2022 replay and the forecasts that start from it. Calibrated parameters: the 5-95%",
             "# range of the ABC-SMC posterior on the replay's targets",
             f"# (scenarios/targets/history_2012_2022.yaml; {accepted} posterior points from {budget} model",
             "# evaluations; docs/validation.md). The rest are judgement ranges inside the catalogue's ranges.",
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
