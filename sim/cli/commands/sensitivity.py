"""``sim sensitivity``: Sobol' or Morris with SALib, run batched and written atomically."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli.arguments import add_backend, add_force, add_seed_and_out, positive_int
from sim.cli.common import ANALYSIS_ROOT, EXIT_OK, MIN_SOBOL_N, check_output, check_work, outcome_flags, timestamp
from sim.engine.executors import Executor
from sim.engine.progress import Progress
from sim.errors import InputError, Problem

if TYPE_CHECKING:
    from sim.analysis.sensitivity import SensitivityResult
    from sim.engine.experiments import Factor
    from sim.scenario.loader import Scenario
    from sim.scenario.outcomes import Outcome

HELP = "global sensitivity analysis with SALib (Sobol', Morris)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
    parser.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    parser.add_argument("--params", nargs="+", default=[], metavar="GLOB",
                        help="parameters to vary, glob patterns allowed (default: every global parameter)")
    parser.add_argument("--outcome", action="append", default=[], metavar="EXPR",
                        help="outcome expression (repeatable; default influence.russia.mali)")
    parser.add_argument("--n", type=positive_int, default=256,
                        help="base sample size (Sobol': N(D+2) runs; Morris: N trajectories); default 256")
    parser.add_argument("--replicates-per-sample", type=positive_int, default=1, metavar="K",
                        help="replicates averaged per sample, the same K random streams for every sample "
                             "(default 1; stated in summary.md)")
    parser.add_argument("--second-order", action="store_true",
                        help="Sobol' only: also the interaction index S2 of every pair (N(2D+2) samples "
                             "instead of N(D+2)); written to second_order.csv")
    add_seed_and_out(parser)
    add_force(parser)
    add_backend(parser)


def command(args: argparse.Namespace) -> int:
    # deferred: the numba-compiled model and SALib; YAML and the catalogue
    from sim.analysis.sensitivity import default_factors, sample_count
    from sim.engine.workload import points_workload
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    outcomes = outcome_flags(args.outcome, ["influence.russia.mali"], scenario)
    factors = default_factors(args.params, where="--params")
    seed = scenario.seed if args.seed is None else args.seed
    _check_design(args, len(factors))
    destination = check_output(args.out, ANALYSIS_ROOT)
    samples = sample_count(args.method, args.n, len(factors), args.second_order)
    work = points_workload(samples, args.replicates_per_sample, scenario.horizon, factors=len(factors),
                           outcomes=len(outcomes))
    check_work(work, args, "--n/--replicates-per-sample", destination)

    folder, result = execute_sensitivity(scenario, factors, outcomes, method=args.method, n=args.n, seed=seed,
                                         out=args.out, replicates_per_sample=args.replicates_per_sample,
                                         executor=args.executor, second_order=args.second_order)
    print(f"sensitivity folder: {folder} ({result.n_runs} samples x {args.replicates_per_sample} replicate(s), "
          f"{result.seconds:.1f} s)")
    for j, outcome in enumerate(result.outcomes):
        top = ", ".join(f"{name} {value:.2f}" for name, value in result.ranking(j)[:5])
        print(f"{outcome}: most influential: {top}")
    return EXIT_OK


def _check_design(args: argparse.Namespace, n_factors: int) -> None:
    """Refuse designs whose indices would be noise or undefined."""
    if args.method == "sobol" and args.n < MIN_SOBOL_N and not args.force:
        raise InputError([Problem.about(f"--n {args.n}", f"Sobol' indices from fewer than {MIN_SOBOL_N} base "
                                               "samples are noise (total indices above 1 and the like); use --n "
                                               f"{MIN_SOBOL_N} or more (a power of 2), or --force")])
    if args.second_order and (args.method != "sobol" or n_factors < 2):
        why = ("second-order indices are Sobol' indices; use --method sobol" if args.method != "sobol"
               else f"second-order indices need at least two factors; --params gives {n_factors}")
        raise InputError([Problem.about("--second-order", why)])


def execute_sensitivity(scenario: Scenario, factors: list[Factor], outcomes: list[Outcome], *, method: str, n: int,
                        seed: int, out: Path | None, replicates_per_sample: int = 1,
                        executor: Executor | None = None, second_order: bool = False
                        ) -> tuple[Path, SensitivityResult]:
    """Sample, evaluate, estimate the indices and write indices.csv, the charts and summary.md atomically."""
    # deferred: the numba-compiled model, SALib and matplotlib
    from sim.analysis.sensitivity import model_evaluator, run_sensitivity, sample_count
    from sim.io.run_folders import atomic_folder, safe_name
    from sim.report.plots import save_figures, sensitivity_chart

    progress = Progress(sample_count(method, n, len(factors), second_order), "sensitivity", unit="sample")
    try:
        evaluate = model_evaluator(scenario, factors, outcomes, seed, on_chunk=progress.advance,
                                   replicates_per_sample=replicates_per_sample, executor=executor)
        result = run_sensitivity(factors, [o.text for o in outcomes], evaluate, method, n, seed,
                                 replicates_per_sample=replicates_per_sample, second_order=second_order,
                                 executor=executor)
    finally:
        progress.close()
    out = out or ANALYSIS_ROOT / f"sensitivity-{method}-{safe_name(scenario.name)}-{timestamp()}"
    with atomic_folder(out) as staging:
        (staging / "indices.csv").write_text(_csv(result.table(), fieldnames=None))
        if result.second_order:
            (staging / "second_order.csv").write_text(
                _csv(result.pairs(), fieldnames=["outcome", "parameter", "other", "S2", "S2_conf"]))
        save_figures({f"sensitivity_{j}": sensitivity_chart(result, j) for j in range(len(outcomes))},
                     staging / "plots")
        (staging / "summary.md").write_text(summary_markdown(result, scenario, seed))
    return out, result


def _csv(rows: list[dict], fieldnames: list[str] | None) -> str:
    """Rows as CSV, floats as repr (exact); the columns of the first row unless ``fieldnames``."""
    import csv  # deferred: sim --help imports every command module

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fieldnames or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def summary_markdown(result: SensitivityResult, scenario: Scenario, seed: int) -> str:
    """summary.md: for each outcome, the parameters that matter, with their confidence."""
    key = "ST" if result.method == "sobol" else "mu*"
    lines = [f"# Sensitivity ({result.method}) of {scenario.name}", "",
             f"{result.n_runs} samples of {scenario.horizon} months, {len(result.names)} parameters, seed {seed}, "
             f"{result.seconds:.1f} s. Parameters varied over their catalogue ranges (`sim parameters`).", "",
             f"Each sample's outcome is the mean of {result.replicates_per_sample} replicate(s) "
             f"(`--replicates-per-sample`, default 1), with the same random streams for every sample "
             f"(replicates 0..{result.replicates_per_sample - 1}): the indices measure the parameters at those "
             "shocks; raise K to average over more of them.", ""]
    for j, outcome in enumerate(result.outcomes):
        ranking = result.ranking(j)
        conf = result.confidence(j)
        total = sum(v for _, v in ranking) or 1.0
        important = [(n, v) for n, v in ranking if v >= 0.05 * max(ranking[0][1], 1e-12)][:8]
        lines += [f"## {outcome}", "", f"Parameters that matter (by {key}, largest first; ± the 95% confidence "
                                       "half-width from SALib's bootstrap):", ""]
        lines += [f"- `{n}`: {key} = {v:.3f} ± {conf[n]:.3f}" + (" (not distinguishable from 0)" if conf[n] >= v
                                                                 else "") for n, v in important]
        negligible = len(ranking) - len(important)
        lines += ["", f"The other {negligible} parameters have {key} below 5% of the largest"
                      f" (together {sum(v for _, v in ranking[len(important):]) / total:.0%} of the total).", ""]
    return "\n".join(lines)
