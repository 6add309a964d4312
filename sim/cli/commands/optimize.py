"""``sim optimize``: the mix of one actor's levers that does best on one or several outcomes, under
constraints, against the references; then ``sim compare`` reports of the recommendation."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from sim.cli.arguments import add_backend, add_force, add_seed_and_out, non_negative_int, positive_int
from sim.cli.commands.compare import execute_compare, execute_compare_options
from sim.cli.common import ANALYSIS_ROOT, EXIT_OK, check_output, check_work, timestamp
from sim.engine.progress import Progress

HELP = "the mix of one actor's levers that does best on an outcome"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file or library name")
    parser.add_argument("--actor", required=True, help="whose levers to search, e.g. morocco")
    parser.add_argument("--objective", required=True, metavar="EXPR", action="append",
                        help="outcome to maximise, e.g. 'mean(influence.morocco.mali)'; repeat it for a Pareto set "
                             "(NSGA-II, extra [optimize])")
    parser.add_argument("--constraint", action="append", default=[], metavar="'EXPR >= X'",
                        help="an outcome that must hold on the mean over replicates, e.g. "
                             "'mean(relation.mali.morocco) >= 0.3' (repeatable)")
    parser.add_argument("--robust", choices=("mean", "p10", "regret"), default="mean",
                        help="maximise the mean over replicates (default) or its 10%% quantile, or minimise the "
                             "mean regret against the best mix found for each draw (one objective)")
    parser.add_argument("--search-start", action="store_true",
                        help="also search the month each lever's new intensity starts (before it, the scenario and "
                             "the agent set the lever)")
    parser.add_argument("--compare-replicates", type=non_negative_int, default=100,
                        help="replicates of the sim compare reports of the recommendation (default 100; 0 skips "
                             "them)")
    parser.add_argument("--budget", type=positive_int, default=200, help="mixes to evaluate, at most (default 200)")
    parser.add_argument("--replicates", type=positive_int, default=8, help="replicates per mix (default 8)")
    add_seed_and_out(parser)
    add_force(parser)
    add_backend(parser)


def command(args: argparse.Namespace) -> int:
    # deferred: the numba-compiled model; ctypes and the memory probe; YAML
    from sim.analysis.optimize import optimize, parse_constraint, report
    from sim.engine.workload import points_workload
    from sim.io.run_folders import atomic_folder, safe_name
    from sim.scenario.loader import resolve_scenario

    scenario = resolve_scenario(args.scenario)
    for text in args.constraint:  # refused before any work
        parse_constraint(text)
    destination = check_output(args.out, ANALYSIS_ROOT)
    outcomes = len(args.objective) + len(args.constraint)
    check_work(points_workload(args.budget + 40, args.replicates, scenario.horizon, factors=10, outcomes=outcomes),
               args, "--budget", destination)
    seed = scenario.seed if args.seed is None else args.seed
    progress = Progress(args.budget + 20, f"optimize {args.actor}", unit="mix")
    try:
        result = optimize(scenario, args.actor, args.objective, replicates=args.replicates, budget=args.budget,
                          seed=seed, robust=args.robust, constraints=args.constraint, executor=args.executor,
                          on_points=progress.advance, search_start=args.search_start)
    finally:
        progress.close()
    out = args.out or ANALYSIS_ROOT / f"optimize-{safe_name(scenario.name)}-{args.actor}-{timestamp()}"
    text = report(result)
    with atomic_folder(out) as staging:
        (staging / "report.md").write_text(text)
        (staging / "mixes.csv").write_text(_mixes_csv(result))
        if result.pareto:
            (staging / "pareto.csv").write_text(_pareto_csv(result))
            _pareto_plot(result, staging / "plots")
        if args.compare_replicates:
            _compare_reports(scenario, result, staging, args.compare_replicates, seed, args.executor)
    print(text)
    print(f"optimize folder: {out}")
    return EXIT_OK


def _mixes_csv(result) -> str:
    import numpy as np  # deferred: numpy, not for --help

    names = [f"{result.actor}.{lever}" for lever in result.levers]
    lines = ["strategy," + ",".join(names) + "," + ",".join(f'"{o}"' for o in result.objectives)]
    lines += [f'{s.name},{",".join(f"{v:.6g}" for v in s.mix)},'
              + ",".join(f"{np.mean(s.values[:, j]):.6g}" for j in range(len(result.objectives)))
              for s in result.strategies]
    return "\n".join(lines) + "\n"


def _pareto_csv(result) -> str:
    names = [f"{result.actor}.{lever}" for lever in result.levers]
    lines = [",".join(names) + "," + ",".join(f'"{o}"' for o in result.objectives)]
    lines += [",".join(f"{v:.6g}" for v in mix) + "," + ",".join(f"{v:.6g}" for v in score)
              for mix, score in result.pareto]
    return "\n".join(lines) + "\n"


def _pareto_plot(result, folder: Path) -> None:
    # deferred: numpy and matplotlib
    import numpy as np

    from sim.report.plots import plt, save_figures

    scores = np.stack([score for _, score in result.pareto])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(scores[:, 0], scores[:, 1], color="#0072b2", label="Pareto set")
    searched = max(result.pareto, key=lambda item: float(np.abs(item[0] - result.strategies[0].mix).sum() == 0))[1]
    ax.scatter([searched[0]], [searched[1]], facecolors="none", edgecolors="#d55e00", s=160,
               label="recommended (search replicates)")
    chosen = result.strategies[0].values[:, :2].mean(axis=0)
    ax.scatter([chosen[0]], [chosen[1]], color="#d55e00", marker="*", s=160, label="recommended (fresh replicates)")
    ax.set_xlabel(result.objectives[0], fontsize=8)
    ax.set_ylabel(result.objectives[1], fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(f"{result.actor}: the trade-off between the first two objectives", fontsize=9)
    save_figures({"pareto": fig}, folder)


def _compare_reports(scenario, result, staging: Path, replicates: int, seed: int, executor) -> None:
    """``sim compare`` of the recommendation against the baseline (with its attribution), and one
    report of the recommendation, the best single push and the even spread against the baseline."""
    # deferred: numpy; YAML
    from sim.analysis.question import series_key
    from sim.scenario.loader import question_problems

    options = []
    for strategy in result.strategies:
        if strategy.name == "status quo":
            continue
        name = "recommended" if strategy.name == "recommended" else strategy.name.replace(" ", "_")
        variant = _variant(scenario, result, strategy, f"optimize: {name}")
        options.append(dataclasses.replace(variant, name=f"{scenario.name}_{result.actor}_{name}",
                                           description=f"{scenario.name} with {result.actor}'s {strategy.name} mix"))
    series = [key for outcome in result.objectives for key in _series_of(outcome)]
    question, _ = question_problems({"outcomes": [".".join(k for k in key if k) for key in series],
                                     "text": f"What does {result.actor}'s recommended mix do to "
                                             f"{', '.join(result.objectives)}?"}, scenario.start, scenario.horizon)
    execute_compare(scenario, options[0], replicates=replicates, seed=seed, out=staging / "compare_recommended",
                    question=question, executor=executor)
    execute_compare_options(scenario, options, replicates=replicates, seed=seed, out=staging / "compare_options",
                            outcomes=[series_key(".".join(k for k in key if k)) for key in series], executor=executor)


def _series_of(text: str) -> list[tuple[str, str, str]]:
    # deferred: YAML and the catalogue, not for --help
    from sim.scenario.catalogue import load_catalogue
    from sim.scenario.outcomes import parse_outcome

    return list(dict.fromkeys(parse_outcome(text, load_catalogue().lever_ids()).series()))


def _variant(scenario, result, strategy, display: str):
    """The strategy as a scenario: each lever at its intensity from its start (the run's start when
    the search did not choose one), over the scenario's later settings of it."""
    from sim.scenario.variants import with_levers_from  # deferred: YAML, not for --help

    starts = strategy.starts if strategy.starts is not None else [0] * len(result.levers)
    variant = scenario
    for step in sorted(set(int(s) for s in starts)):
        levers = {f"levers.{result.actor}.{lever}": float(value)
                  for lever, value, start in zip(result.levers, strategy.mix, starts, strict=True)
                  if int(start) == step}
        variant = with_levers_from(variant, levers, scenario.start + step, display)
    return variant
