"""The full rolling-origin backtest (issue #28); writes its section of docs/validation.md.

    python -m bench.backtest            # three cutoffs, ABC-SMC population 60 (about 15-25 minutes)
    python -m bench.backtest --write    # ... and replace the backtest section of docs/validation.md

The tests run a small one (tests/analysis/test_backtest.py); `sim backtest` is the same function
with the user's sizes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench import replace_section
from sim.analysis.backtest import backtest, load_observations, report
from sim.analysis.calibration import CALIBRATED, load_targets
from sim.engine.experiments import Factor
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import load_scenario
from sim.scenario.months import parse_month

REPLAY = "scenarios/history_2012_2022.yaml"
TARGETS = "scenarios/targets/history_2012_2022.yaml"
OBSERVATIONS = "scenarios/observations/choices_2012_2022.yaml"
CUTOFFS = ("2016-12", "2018-12", "2020-12")
DOC = Path("docs/validation.md")
BEGIN, END = "<!-- backtest:begin (python -m bench.backtest --write) -->", "<!-- backtest:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backtest")
    parser.add_argument("--population", type=int, default=60)
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--budget", type=int, default=1500, help="model evaluations per fit, at most")
    parser.add_argument("--replicates", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true", help=f"replace the backtest section of {DOC}")
    args = parser.parse_args()
    parameters = load_catalogue().parameters
    factors = [Factor(name, parameters[name].low, parameters[name].high) for name in CALIBRATED]
    started = time.perf_counter()
    results = backtest(load_scenario(REPLAY), load_targets(TARGETS), load_observations(OBSERVATIONS), factors,
                       [parse_month(c) for c in CUTOFFS], population=args.population, generations=args.generations,
                       budget=args.budget, replicates=args.replicates, seed=args.seed)
    minutes = (time.perf_counter() - started) / 60
    command = (f"python -m bench.backtest --write   # population {args.population}, generations {args.generations}, "
               f"budget {args.budget}, {args.replicates} replicates, seed {args.seed}; {minutes:.0f} min")
    text = f"{BEGIN}\n\n```sh\n{command}\n```\n\n{report(results)}\n{END}"
    print(text)
    if args.write:
        replace_section(DOC, BEGIN, END, text)
        print(f"wrote the backtest section of {DOC}")


if __name__ == "__main__":
    main()
