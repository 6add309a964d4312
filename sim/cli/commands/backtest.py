"""``sim backtest``: fit before each cutoff, forecast after it, score with proper scores; writes report.md
and scores.csv in one atomic folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.arguments import add_seed_and_out, positive_int
from sim.cli.common import ANALYSIS_ROOT, EXIT_OK, check_output, require_extra, timestamp
from sim.errors import InputError, Problem
from sim.scenario.months import parse_month

if TYPE_CHECKING:
    from sim.analysis.backtest import Observation
    from sim.analysis.calibration import Target
    from sim.engine.experiments import Factor
    from sim.scenario.loader import Scenario

HELP = "fit before each cutoff, forecast after it with only exogenous events, score the forecast"
DESCRIPTION = ("Rolling-origin backtest of the documented history: for each cutoff, ABC-SMC (pyabc) on the "
               "targets that end by it; a forecast in which the actors' documented choices after it are "
               "dropped and their decision rules decide; CRPS of the later targets and Brier score of the "
               "later choices, as skill against the prior predictive, persistence, trend and the base "
               "rate; the same for deliberately broken models. Writes report.md and scores.csv.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.add_argument("scenario", nargs="?", default="history_2012_2022",
                        help="the replay (default: the library's history_2012_2022)")
    parser.add_argument("--targets", default=None,
                        help="documented patterns (default: the library's targets/history_2012_2022.yaml)")
    parser.add_argument("--observations", default=None,
                        help="documented choices (default: the library's observations/choices_2012_2022.yaml)")
    parser.add_argument("--cutoffs", nargs="+", default=["2016-12", "2018-12", "2020-12"], metavar="YYYY-MM",
                        help="forecast origins (default 2016-12 2018-12 2020-12)")
    parser.add_argument("--params", nargs="+", default=[], metavar="GLOB",
                        help="parameters to fit (default: the eight the replay's posterior calibrates)")
    parser.add_argument("--population", type=positive_int, default=40, help="ABC-SMC particles (default 40)")
    parser.add_argument("--generations", type=positive_int, default=4, help="ABC-SMC generations (default 4)")
    parser.add_argument("--budget", type=positive_int, default=800,
                        help="model evaluations per cutoff's fit, at most (default 800)")
    parser.add_argument("--replicates", type=positive_int, default=4,
                        help="replicates per parameter point (default 4)")
    add_seed_and_out(parser, of="the replay's")


def command(args: argparse.Namespace) -> int:
    require_extra("sim backtest", "validation", "pyabc", "scoringrules")
    # deferred: the numba-compiled model; YAML and the catalogue
    from sim.analysis.backtest import load_observations
    from sim.analysis.calibration import CALIBRATED, load_targets
    from sim.analysis.sensitivity import default_factors
    from sim.scenario.loader import LIBRARY, load_scenario

    replay = load_scenario(args.scenario)
    targets = load_targets(args.targets or LIBRARY / "targets" / "history_2012_2022.yaml",
                           run=(replay.date_of(0), replay.date_of(replay.horizon)))
    observations = load_observations(args.observations or LIBRARY / "observations" / "choices_2012_2022.yaml")
    cutoffs = [_cutoff(text, replay) for text in args.cutoffs]
    factors = default_factors(args.params or list(CALIBRATED), where="--params")
    destination = check_output(args.out, ANALYSIS_ROOT)
    seed = replay.seed if args.seed is None else args.seed
    folder, text = execute_backtest(replay, targets, observations, factors, sorted(cutoffs),
                                    population=args.population, generations=args.generations, budget=args.budget,
                                    replicates=args.replicates, seed=seed, out=args.out, root=destination)
    print(text)
    print(f"backtest folder: {folder}")
    return EXIT_OK


def _cutoff(text: str, replay: Scenario) -> int:
    """A --cutoffs month, strictly inside the replay."""
    month = parse_month(text)
    if month is None or not replay.start < month < replay.start + replay.horizon:
        raise InputError([Problem.about("--cutoffs", f"cutoff {text!r}: expected a month YYYY-MM inside the replay "
                                                     f"({replay.date_of(1)} to {replay.date_of(replay.horizon - 1)})")])
    return month


def execute_backtest(replay: Scenario, targets: list[Target], observations: list[Observation],
                     factors: list[Factor], cutoffs: list[int], *, population: int, generations: int, budget: int,
                     replicates: int, seed: int, out: Path | None, root: Path) -> tuple[Path, str]:
    """Run the rolling-origin backtest and write report.md and scores.csv in one atomic folder."""
    # deferred: the numba-compiled model and pyabc
    from sim.analysis.backtest import backtest, report, scores_csv
    from sim.io.run_folders import atomic_folder, safe_name

    results = backtest(replay, targets, observations, factors, cutoffs, population=population,
                       generations=generations, budget=budget, replicates=replicates, seed=seed)
    text = report(results)
    out = out or root / f"backtest-{safe_name(replay.name)}-{timestamp()}"
    header = (f"# Backtest of {replay.name}\n\nCutoffs {', '.join(r.cutoff for r in results)}; ABC-SMC population "
              f"{population}, at most {generations} generations and {budget} evaluations per fit, {replicates} "
              f"replicates per point, seed {seed}.\n\n")
    with atomic_folder(out) as staging:
        (staging / "report.md").write_text(header + text)
        (staging / "scores.csv").write_text(scores_csv(results))
    return out, text
