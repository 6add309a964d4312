"""``sim explain``: attribution of outcomes to levers and events by ablation, written atomically."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.arguments import add_backend, add_force, add_seed_and_out, positive_int
from sim.cli.common import COMPARE_ROOT, EXIT_OK, check_output, check_work, outcome_flags, timestamp
from sim.engine.executors import Executor
from sim.errors import InputError, Problem

if TYPE_CHECKING:
    from sim.analysis.explain import Contribution
    from sim.scenario.loader import Scenario

HELP = "attribute outcomes to levers and events by ablation"
EXPLAIN_COLUMNS = ("component", "evidence", "metric", "source", "target", "contribution", "p05", "p95")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
    parser.add_argument("--against", help="baseline scenario: attribute the difference from it")
    parser.add_argument("--outcome", action="append", default=[], metavar="METRIC.SOURCE.TARGET",
                        help="series to explain at the end of the run, e.g. influence.russia.mali (repeatable; "
                        "default: influence of every actor on Mali)")
    parser.add_argument("--replicates", type=positive_int, default=100, help="paired replicates (default 100)")
    add_seed_and_out(parser)
    add_force(parser)
    add_backend(parser)


def command(args: argparse.Namespace) -> int:
    # deferred: YAML and the catalogue, which sim --help must not pay for
    from sim.scenario.catalogue import ACTORS
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    against = load_scenario(args.against) if args.against else None
    parsed = outcome_flags(args.outcome, [f"influence.{a}.mali" for a in ACTORS if a != "mali"], scenario)
    outcomes = []
    for outcome in parsed:
        series = outcome.single_series
        if series is None or series.when != "end":
            raise InputError([Problem.about(f"--outcome {outcome.text}", "explain takes a series at the end of "
                                                                         "the run, e.g. influence.russia.mali")])
        outcomes.append(series.key)
    if against is not None and (against.start, against.horizon) != (scenario.start, scenario.horizon):
        raise InputError([Problem.about(against.path, "start and horizon must match the scenario's to explain the "
                                  f"difference ({scenario.date_of(0)}+{scenario.horizon} vs "
                                  f"{against.date_of(0)}+{against.horizon}), as sim compare requires")])
    # deferred: the numba-compiled model; ctypes and the memory probe
    from sim.analysis.explain import components
    from sim.engine.workload import points_workload
    from sim.report.prose import describe

    destination = check_output(args.out, COMPARE_ROOT)
    variants = len(components(scenario, against)) + 2
    check_work(points_workload(variants, args.replicates, scenario.horizon, factors=0, outcomes=len(outcomes)),
               args, "--replicates", destination)

    folder, contributions = execute_explain(scenario, against, replicates=args.replicates, seed=args.seed,
                                            out=args.out, outcomes=outcomes, executor=args.executor)
    print(f"explain folder: {folder}")
    for outcome in outcomes:
        rows = sorted((c for c in contributions if c.outcome == outcome), key=lambda c: -abs(c.mean))
        print(f"{describe(*outcome)}:")
        for c in rows[:8]:
            print(f"  {c.mean:+.3f} ({c.low:+.3f} to {c.high:+.3f})  {c.component}  [{c.evidence}]")
    return EXIT_OK


def execute_explain(scenario: Scenario, against: Scenario | None, *, replicates: int, seed: int | None,
                    out: Path | None, outcomes: list[tuple[str, str, str]],
                    executor: Executor | None = None) -> tuple[Path, list[Contribution]]:
    """Attribute ``outcomes`` and write explain.csv and a chart per outcome in one atomic folder."""
    # deferred: the numba-compiled model and matplotlib
    from sim.analysis.explain import explain
    from sim.io.run_folders import atomic_folder, safe_name
    from sim.report.plots import contribution_chart, save_figures
    from sim.report.prose import describe

    contributions = explain(scenario, outcomes, against=against, n_replicates=replicates, seed=seed,
                            executor=executor)
    out = out or COMPARE_ROOT / f"explain-{safe_name(scenario.name)}-{timestamp()}"
    with atomic_folder(out) as staging:
        (staging / "explain.csv").write_text(explain_csv(contributions))
        figures = {f"explain_{'_'.join(key)}": contribution_chart(contributions, key, describe(*key))
                   for key in outcomes}
        save_figures(figures, staging / "plots")
    return out, contributions


def explain_csv(contributions: list[Contribution]) -> str:
    """explain.csv, as ``sim explain`` and ``sim compare`` write it: one row per component and outcome."""
    import csv  # deferred, like every module's csv and json: sim --help imports every command module

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPLAIN_COLUMNS)
    for c in contributions:
        writer.writerow([c.component, c.evidence, *c.outcome, repr(c.mean), repr(c.low), repr(c.high)])
    return buffer.getvalue()
