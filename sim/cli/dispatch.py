"""The ``sim`` command: parses arguments and dispatches; the work happens elsewhere.

Exit codes: 0 success, 1 a check failed or the machine stopped the work (disk full, unwritable
results folder), 2 bad input, 130 interrupted. Neither bad input nor the machine shows a traceback.
Heavy modules (Mesa, matplotlib) are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim import __version__

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_TRAJECTORY_CAP = 100
MIN_SOBOL_N = 32  # base samples below which Sobol' estimates are noise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Agent-based scenarios of influence in the Sahel (Morocco, Algeria, Mali, "
        "Mauritania, ECOWAS, Russia).",
        epilog="Exit codes: 0 success, 1 a check failed or the machine stopped the work, 2 bad input. "
               "Docs: docs/scenarios.md, docs/ODD.md, docs/reliability.md.",
    )
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run a scenario and write a run folder")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--replicates", type=_positive_int, help="ensemble size (default: the scenario's)")
    run.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                     help="override a scenario value, e.g. levers.morocco.medical_aid=0.8 (repeatable)")
    run.add_argument("--out", type=Path, help="run folder to create (default: results/runs/<name>-<time>)")
    run.add_argument("--trajectories", default=str(DEFAULT_TRAJECTORY_CAP), metavar="N|all",
                     help=f"replicates written to trajectories.csv (default {DEFAULT_TRAJECTORY_CAP}); "
                     "summary.csv always uses all")
    run.add_argument("--chunk-size", type=_positive_int, default=None,
                     help="replicates advanced together (memory vs speed; results do not change)")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv", dest="file_format",
                     help="trajectories and summary as CSV (default) or Parquet (pyarrow: exact, several times "
                          "smaller and faster to read)")
    run.add_argument("--exact", action="store_true",
                     help="CSV numbers that read back to the same float64 (default: 10 significant digits)")
    _add_force(run)

    validate = commands.add_parser("validate", help="check scenario files; exit 2 with one line per problem")
    validate.add_argument("scenarios", nargs="+", help="scenario YAML files")

    levers = commands.add_parser("levers", help="the lever catalogue with its evidence")
    levers.add_argument("--actor", help="only this actor's levers")
    levers.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")
    levers.add_argument("--response", metavar="SCENARIO", nargs="?", const="scenarios/baseline.yaml",
                        help="run each lever from 0 to 1 in SCENARIO (default: the baseline) and print what it "
                             "moves at the end of the run (paired, budgets extended)")
    levers.add_argument("--replicates", type=int, default=40, help="replicates per variant with --response")

    params = commands.add_parser("parameters", help="the parameter catalogue: defaults, ranges, units")
    params.add_argument("--json", action="store_true", help="machine-readable output")

    commands.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")

    compare = commands.add_parser("compare", help="what-if minus baseline, paired, with the levers behind it")
    compare.add_argument("baseline", help="baseline scenario file or run folder")
    compare.add_argument("whatif", help="what-if scenario file or run folder")
    compare.add_argument("--replicates", type=_positive_int, help="paired replicates (default: the baseline's)")
    compare.add_argument("--seed", type=_seed, help="seed shared by both (default: the baseline's)")
    compare.add_argument("--out", type=Path,
                         help="folder to create (default: results/compare/<what-if>-vs-<baseline>-<time>)")
    compare.add_argument("--outcome", action="append", default=[], metavar="SERIES",
                         help="a series the report answers first, e.g. influence.morocco.mali (repeatable; "
                              "overrides the scenarios' question:)")
    compare.add_argument("--window", metavar="YYYY-MM..YYYY-MM", help="months the question is about")
    compare.add_argument("--threshold", metavar="'A > B'",
                         help="a threshold whose probability the report gives, e.g. "
                              "'influence.russia.mali > influence.morocco.mali'")
    _add_force(compare)

    regress = commands.add_parser("regress", help="check scenarios against blessed references (CI)")
    regress.add_argument("scenarios", nargs="*",
                         help="scenario names or files (default: every scenario in scenarios/ with a reference; "
                              "the others are listed in a note)")
    regress.add_argument("--update", action="store_true", help="re-bless the references (all, or the named)")
    regress.add_argument("--rtol", type=_tolerance, help="relative tolerance on summaries (default: the reference's)")
    regress.add_argument("--atol", type=_tolerance, help="absolute tolerance on summaries (default: the reference's)")
    regress.add_argument("--junit", type=Path, help="also write JUnit XML here")

    sweep = commands.add_parser("sweep", help="vary parameters or lever intensities over a grid or a hypercube")
    sweep.add_argument("scenario", help="scenario file")
    sweep.add_argument("--vary", action="append", required=True, metavar="NAME=LOW:HIGH[:N]",
                       help="a parameter (sim parameters) or levers.<actor>.<lever>; repeatable")
    sweep.add_argument("--design", choices=("factorial", "lhs"), default="factorial")
    sweep.add_argument("--points", type=_positive_int, default=20, help="points of an LHS design (default 20)")
    sweep.add_argument("--outcome", action="append", default=[], metavar="EXPR",
                       help="outcome expression, e.g. 'mean(influence.russia.mali)' (repeatable; "
                       "default influence.russia.mali and influence.morocco.mali at the end)")
    sweep.add_argument("--replicates", type=_positive_int, default=20, help="replicates per point (default 20)")
    sweep.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    sweep.add_argument("--out", type=Path, help="folder to create")
    _add_force(sweep)

    sens = commands.add_parser("sensitivity", help="global sensitivity analysis with SALib (Sobol', Morris)")
    sens.add_argument("scenario", help="scenario file")
    sens.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    sens.add_argument("--params", nargs="+", default=[], metavar="GLOB",
                      help="parameters to vary, glob patterns allowed (default: every global parameter)")
    sens.add_argument("--outcome", action="append", default=[], metavar="EXPR",
                      help="outcome expression (repeatable; default influence.russia.mali)")
    sens.add_argument("--n", type=_positive_int, default=256,
                      help="base sample size (Sobol': N(D+2) runs; Morris: N trajectories); default 256")
    sens.add_argument("--replicates-per-sample", type=_positive_int, default=1, metavar="K",
                      help="replicates averaged per sample, the same K random streams for every sample "
                           "(default 1; stated in summary.md)")
    sens.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    sens.add_argument("--out", type=Path, help="folder to create")
    _add_force(sens)

    cal = commands.add_parser("calibrate", help="fit uncertain parameters to documented history")
    cal.add_argument("scenario", help="scenario file (e.g. scenarios/history_2012_2022.yaml)")
    cal.add_argument("--targets", required=True, help="targets file (e.g. scenarios/targets/history_2012_2022.yaml)")
    cal.add_argument("--method", choices=("de", "abc"), default="de",
                     help="de: SciPy differential evolution (a point); abc: rejection ABC (a posterior sample)")
    cal.add_argument("--params", nargs="+", default=[], metavar="GLOB",
                     help="parameters to fit (default: the scenario's uncertainties)")
    cal.add_argument("--budget", type=_positive_int, default=400, help="candidate points to evaluate (default 400)")
    cal.add_argument("--replicates", type=_positive_int, default=8, help="replicates per point (default 8)")
    cal.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    cal.add_argument("--out", type=Path, help="folder to create")
    _add_force(cal)

    explain = commands.add_parser("explain", help="attribute outcomes to levers and events by ablation")
    explain.add_argument("scenario", help="scenario file")
    explain.add_argument("--against", help="baseline scenario: attribute the difference from it")
    explain.add_argument("--outcome", action="append", default=[], metavar="METRIC.SOURCE.TARGET",
                         help="series to explain at the end of the run, e.g. influence.russia.mali (repeatable; "
                         "default: influence of every actor on Mali)")
    explain.add_argument("--replicates", type=_positive_int, default=100, help="paired replicates (default 100)")
    explain.add_argument("--seed", type=_seed, help="seed (default: the scenario's)")
    explain.add_argument("--out", type=Path, help="folder to create")
    _add_force(explain)
    return parser


def _add_force(command: argparse.ArgumentParser) -> None:
    command.add_argument("--force", action="store_true",
                         help="start even when the estimated time, memory or disk exceeds this machine "
                              "(without it, such work is refused up front with the estimate)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seed {value} must be >= 0")
    return value


def _tolerance(text: str) -> float:
    """A finite tolerance >= 0: NaN, infinity or a negative value would switch the check off."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a finite number >= 0")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    from sim.errors import EnvironmentFailure, InputError

    previous = _interrupt_on_termination()
    try:
        handlers = {"run": cmd_run, "validate": cmd_validate, "levers": cmd_levers, "parameters": cmd_parameters,
                    "schema": cmd_schema, "compare": cmd_compare, "explain": cmd_explain,
                    "regress": cmd_regress, "sweep": cmd_sweep, "sensitivity": cmd_sensitivity,
                    "calibrate": cmd_calibrate}
        return handlers[args.command](args)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except EnvironmentFailure as exc:
        print(f"sim {args.command}: {exc}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except OSError as exc:  # a full disk, a vanished folder: the machine, not the input; nothing half-written
        where = f": {exc.filename}" if exc.filename else ""
        print(f"sim {args.command}: {exc.strerror or exc}{where}; nothing was written", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except MemoryError:
        print(f"sim {args.command}: out of memory; ask for fewer replicates or points, or a smaller --chunk-size; "
              "nothing was written", file=sys.stderr)
        return EXIT_CHECK_FAILED
    finally:
        _restore_signals(previous)


def _interrupt_on_termination() -> dict:
    """SIGTERM and SIGHUP end a command like Ctrl-C: the staging folder is removed, nothing half-written."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}

    def interrupt(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    return {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}


def _restore_signals(previous: dict) -> None:
    import signal

    for sig, handler in previous.items():
        signal.signal(sig, handler)


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.errors import InputError
    from sim.scenario.loader import load_scenario

    problems = []
    for path in args.scenarios:
        try:
            load_scenario(path)
        except InputError as exc:
            problems.extend(exc.problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return EXIT_BAD_INPUT
    print(f"{len(args.scenarios)} scenario(s) valid")
    return EXIT_OK


def cmd_levers(args: argparse.Namespace) -> int:
    import json

    from sim.errors import did_you_mean
    from sim.report.listing import lever_records, levers_text
    from sim.scenario.catalogue import ACTORS, load_catalogue

    if args.actor and args.actor not in ACTORS:
        print(f"--actor: unknown actor '{args.actor}'{did_you_mean(args.actor, ACTORS)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    levers = [lv for lv in load_catalogue().levers if not args.actor or lv.actor == args.actor]
    if args.response:
        return _lever_response(args, levers)
    print(json.dumps(lever_records(levers), indent=2) if args.json else levers_text(levers))
    return EXIT_OK


def _lever_response(args: argparse.Namespace, levers: list) -> int:
    import dataclasses
    import json

    from sim.analysis.response import MIN_RESPONSE, lever_responses, response_table, strongest
    from sim.scenario.loader import load_scenario

    if args.replicates < 2:
        print(f"--replicates = {args.replicates}; expected at least 2", file=sys.stderr)
        return EXIT_BAD_INPUT
    scenario = load_scenario(args.response)
    responses = lever_responses(scenario, n_replicates=args.replicates, levers=levers)
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in responses], indent=2))
        return EXIT_OK
    best = strongest(responses)
    cleared = sum(abs(r.mean) >= MIN_RESPONSE for r in best.values())
    print(f"Each lever from 0 to 1 in {scenario.name}, end of run ({scenario.date_of(scenario.horizon)}), "
          f"{args.replicates} paired replicates:\n")
    print(response_table(responses))
    print(f"\n{cleared} of {len(best)} levers move an outcome they act on by at least {MIN_RESPONSE}.")
    return EXIT_OK


def cmd_parameters(args: argparse.Namespace) -> int:
    import json

    from sim.report.listing import parameter_records, parameters_text
    from sim.scenario.catalogue import load_catalogue

    specs = list(load_catalogue().parameters.values())
    print(json.dumps(parameter_records(specs), indent=2) if args.json else parameters_text(specs))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    import json

    from sim.scenario.schema import scenario_schema

    print(json.dumps(scenario_schema(), indent=2))
    return EXIT_OK


def _scenario_or_folder(text: str):
    from sim.scenario.loader import load_scenario

    path = Path(text)
    return path if path.is_dir() else load_scenario(path)


def _check_output(out: Path | None, default_root: Path) -> Path:
    """Refuse, before the work, an --out that cannot be created (exit 2) or a default results folder
    that cannot be written (exit 1); returns the folder whose disk will hold the output."""
    from sim.errors import EnvironmentFailure, InputError, Problem
    from sim.io.run_folders import unwritable_reason

    if out is not None:
        reason = unwritable_reason(out)
        if reason:
            raise InputError([Problem(str(out), 1, 1, reason)])
        return out
    reason = unwritable_reason(default_root / "new-folder")
    if reason:
        raise EnvironmentFailure(f"{default_root}: {reason}; pass --out to write elsewhere")
    return default_root


def _check_work(work, args: argparse.Namespace, flag: str, out: Path | None = None) -> None:
    from sim.engine.workload import refuse_if_too_big

    refuse_if_too_big(work, force=args.force, flag=flag, out=out)


def cmd_compare(args: argparse.Namespace) -> int:
    baseline, whatif = _scenario_or_folder(args.baseline), _scenario_or_folder(args.whatif)
    if isinstance(baseline, Path) != isinstance(whatif, Path):
        print("compare: give two scenario files or two run folders, not one of each", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.cli.compare_job import COMPARE_ROOT, execute_compare

    destination = _check_output(args.out, COMPARE_ROOT)
    if not isinstance(baseline, Path):
        from sim.engine.runner import DEFAULT_CHUNK_SIZE
        from sim.engine.workload import ensemble_workload

        n = args.replicates or baseline.replicates
        _check_work(ensemble_workload(n, baseline.horizon, chunk_size=DEFAULT_CHUNK_SIZE, kept=0, copies=2),
                    args, "--replicates", destination)

    question = None
    if args.outcome or args.window or args.threshold:
        if isinstance(baseline, Path):
            print("compare: --outcome, --window and --threshold need scenario files, not run folders", file=sys.stderr)
            return EXIT_BAD_INPUT
        from sim.errors import InputError, Problem
        from sim.scenario.loader import question_problems

        raw = {"outcomes": args.outcome, **({"window": args.window} if args.window else {}),
               **({"threshold": args.threshold} if args.threshold else {}),
               "text": (whatif.question.text if whatif.question else "")}
        question, issues = question_problems(raw, baseline.start, baseline.horizon)
        if issues:
            flags = {"outcomes": "--outcome", "window": "--window", "threshold": "--threshold"}
            raise InputError([Problem(flags.get(key[0], "--outcome") if key else "--outcome", 1, 1, message)
                              for key, message in issues])
    folder, comparison, sentences = execute_compare(baseline, whatif, replicates=args.replicates, seed=args.seed,
                                                    out=args.out, question=question)
    for warning in comparison.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"comparison folder: {folder}")
    if comparison.answer:
        from sim.report.document import answer_sentences

        for sentence in answer_sentences(comparison.answer):
            print(f"* {sentence.replace('**', '').replace('`', '')}")
    for sentence in sentences:
        print(f"- {sentence}")
    print(f"report: {folder / 'report.html'}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from sim.errors import InputError, Problem
    from sim.scenario.catalogue import ACTORS
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    against = load_scenario(args.against) if args.against else None
    parsed = _outcomes(args.outcome, [f"influence.{a}.mali" for a in ACTORS if a != "mali"], scenario)
    outcomes = []
    for outcome in parsed:
        if outcome.tree[0] != "series" or outcome.tree[2] != "end":
            print(Problem(f"--outcome {outcome.text}", 1, 11, "explain takes a series at the end of the run, "
                          "e.g. influence.russia.mali"), file=sys.stderr)
            return EXIT_BAD_INPUT
        outcomes.append(outcome.tree[1])
    if against is not None and (against.start, against.horizon) != (scenario.start, scenario.horizon):
        raise InputError([Problem(against.path, 1, 1, "start and horizon must match the scenario's to explain the "
                                  f"difference ({scenario.date_of(0)}+{scenario.horizon} vs "
                                  f"{against.date_of(0)}+{against.horizon}), as sim compare requires")])
    from sim.analysis.compare import describe
    from sim.analysis.explain import components
    from sim.cli.compare_job import COMPARE_ROOT, execute_explain
    from sim.engine.workload import points_workload

    destination = _check_output(args.out, COMPARE_ROOT)
    variants = len(components(scenario, against)) + 2
    _check_work(points_workload(variants, args.replicates, scenario.horizon, factors=0, outcomes=len(outcomes)),
                args, "--replicates", destination)

    folder, contributions = execute_explain(scenario, against, replicates=args.replicates, seed=args.seed,
                                            out=args.out, outcomes=outcomes)
    print(f"explain folder: {folder}")
    for outcome in outcomes:
        rows = sorted((c for c in contributions if c.outcome == outcome), key=lambda c: -abs(c.mean))
        print(f"{describe(*outcome)}:")
        for c in rows[:8]:
            print(f"  {c.mean:+.3f} ({c.low:+.3f} to {c.high:+.3f})  {c.component}  [{c.evidence}]")
    return EXIT_OK


def cmd_regress(args: argparse.Namespace) -> int:
    import time

    from sim.analysis import regress
    from sim.errors import InputError

    paths = regress.discover(args.scenarios)
    if args.junit:
        from sim.errors import Problem
        from sim.io.run_folders import unwritable_reason

        reason = unwritable_reason(args.junit, folder=False)
        if reason:
            raise InputError([Problem(f"--junit {args.junit}", 1, 1, reason)])
    if args.update:
        for path in paths:
            unreadable = ""
            try:
                before = regress.check(path)
            except InputError as exc:  # no reference yet, or an unreadable one: bless from scratch
                before = None
                if (regress.REFERENCE_ROOT / path.stem / "reference.json").exists():
                    unreadable = exc.problems[0].message
            regress.bless(path)
            change = (f"re-blessed (the old reference was unreadable: {unreadable})" if unreadable
                      else "new reference") if before is None else {
                "identical": "unchanged", "within tolerance": "re-blessed (was within tolerance)",
                "drift": f"re-blessed (was drift: {len(before.deviations)} values outside tolerance, "
                         f"{len(before.drifted)} distributions)"}[before.status]
            print(f"{path.stem}: {change}")
        return EXIT_OK
    if not args.scenarios:  # every scenario with a reference; the others are a note, not a failure
        unreferenced = [p.stem for p in paths if not (regress.REFERENCE_ROOT / p.stem).is_dir()]
        paths = [p for p in paths if p.stem not in unreferenced]
        if unreferenced:
            print(f"note: no reference for {', '.join(unreferenced)} (not checked; bless with "
                  f"sim regress --update {' '.join(unreferenced)})")
    orphans = regress.orphan_references()
    if orphans:
        print(f"note: references without a scenario file: {', '.join(orphans)} (stale; remove "
              f"{regress.REFERENCE_ROOT}/<name> or restore scenarios/<name>.yaml)")
    start = time.perf_counter()
    verdicts = [regress.check(path, rtol=args.rtol, atol=args.atol) for path in paths]
    for verdict in verdicts:
        print("\n".join(verdict.lines()))
    if args.junit:
        from sim.io.run_folders import atomic_write_text

        atomic_write_text(args.junit, regress.junit_xml(verdicts, time.perf_counter() - start))
    failed = [v.name for v in verdicts if not v.passed]
    print(f"{len(verdicts) - len(failed)} passed, {len(failed)} failed")
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def _outcomes(texts: list[str], defaults: list[str], scenario=None):
    """Parsed --outcome expressions; months they name must lie inside ``scenario``'s run."""
    from sim.errors import InputError, Problem
    from sim.scenario.catalogue import ACTORS, load_catalogue
    from sim.scenario.outcomes import OutcomeError, parse_outcome

    levers = {a: [lv.id for lv in load_catalogue().levers_of(a)] for a in ACTORS}
    out, problems = [], []
    for text in texts or defaults:
        try:
            outcome = parse_outcome(text, levers)
        except OutcomeError as exc:
            problems.append(Problem(f"--outcome {text}", 1, len("--outcome ") + exc.offset + 1, str(exc)))
            continue
        first, last = (scenario.date_of(0), scenario.date_of(scenario.horizon)) if scenario else ("", "9999-99")
        outside = outcome.months_outside(first, last)
        if outside:
            column = len("--outcome ") + text.index("@" + outside[0]) + 2
            problems.append(Problem(f"--outcome {text}", 1, column, f"{outside[0]} is outside the run "
                                                                     f"{first}..{last}"))
            continue
        out.append(outcome)
    if problems:
        raise InputError(problems)
    return out


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.analysis.sweep import design_points, parse_vary
    from sim.errors import InputError, Problem
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    outcomes = _outcomes(args.outcome, ["influence.russia.mali", "influence.morocco.mali"], scenario)
    parsed = [parse_vary(text) for text in args.vary]
    factors, counts = [f for f, _ in parsed], [c for _, c in parsed]
    repeated = sorted({f.name for f in factors if [g.name for g in factors].count(f.name) > 1})
    if repeated:
        raise InputError([Problem("--vary", 1, 1, f"'{repeated[0]}' is varied twice; give each name once")])
    seed = scenario.seed if args.seed is None else args.seed
    from sim.analysis.sweep import design_size
    from sim.cli.analysis_jobs import ANALYSIS_ROOT, execute_sweep
    from sim.engine.workload import points_workload

    destination = _check_output(args.out, ANALYSIS_ROOT)
    n_points = design_size(counts, args.design, args.points)
    _check_work(points_workload(n_points, args.replicates, scenario.horizon, factors=len(factors),
                                outcomes=len(outcomes)), args, "--vary", destination)
    points = design_points(factors, counts, args.design, args.points, seed)

    folder, values = execute_sweep(scenario, factors, points, outcomes, replicates=args.replicates, seed=seed,
                                   out=args.out)
    print(f"sweep folder: {folder} ({len(points)} points x {args.replicates} replicates, one batched ensemble)")
    for j, outcome in enumerate(outcomes):
        means = values[:, :, j].mean(axis=1)
        print(f"{outcome.text}: {means.min():.3f} .. {means.max():.3f} across points")
    return EXIT_OK


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.analysis.sensitivity import default_factors
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    outcomes = _outcomes(args.outcome, ["influence.russia.mali"], scenario)
    factors = default_factors(args.params)
    seed = scenario.seed if args.seed is None else args.seed
    if args.method == "sobol" and args.n < MIN_SOBOL_N and not args.force:
        from sim.errors import InputError, Problem

        raise InputError([Problem("--n", 1, 1, f"--n {args.n}: Sobol' indices from fewer than {MIN_SOBOL_N} base "
                                               "samples are noise (total indices above 1 and the like); use --n "
                                               f"{MIN_SOBOL_N} or more (a power of 2), or --force")])
    from sim.analysis.sensitivity import sample_count
    from sim.cli.analysis_jobs import ANALYSIS_ROOT, execute_sensitivity
    from sim.engine.workload import points_workload

    destination = _check_output(args.out, ANALYSIS_ROOT)
    _check_work(points_workload(sample_count(args.method, args.n, len(factors)), args.replicates_per_sample,
                                scenario.horizon,
                                factors=len(factors), outcomes=len(outcomes)), args, "--n", destination)

    folder, result = execute_sensitivity(scenario, factors, outcomes, method=args.method, n=args.n, seed=seed,
                                         out=args.out, replicates_per_sample=args.replicates_per_sample)
    print(f"sensitivity folder: {folder} ({result.n_runs} samples x {args.replicates_per_sample} replicate(s), "
          f"{result.seconds:.1f} s)")
    for j, outcome in enumerate(result.outcomes):
        top = ", ".join(f"{name} {value:.2f}" for name, value in result.ranking(j)[:5])
        print(f"{outcome}: most influential: {top}")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.analysis.calibration import load_targets
    from sim.analysis.sensitivity import default_factors
    from sim.errors import Problem
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario)
    targets = load_targets(args.targets)
    patterns = args.params or [u.parameter for u in scenario.uncertainties]
    if not patterns:
        print(Problem(args.scenario, 1, 1, "nothing to calibrate: the scenario has no uncertainties; name "
                                           "parameters with --params"), file=sys.stderr)
        return EXIT_BAD_INPUT
    factors = default_factors(patterns)
    seed = scenario.seed if args.seed is None else args.seed
    from sim.cli.analysis_jobs import ANALYSIS_ROOT, execute_calibrate
    from sim.engine.workload import points_workload

    destination = _check_output(args.out, ANALYSIS_ROOT)
    _check_work(points_workload(args.budget + 2, args.replicates, scenario.horizon, factors=len(factors),
                                outcomes=len(targets)), args, "--budget", destination)

    folder, result = execute_calibrate(scenario, Path(args.scenario), factors, targets, method=args.method,
                                       budget=args.budget, replicates=args.replicates, seed=seed, out=args.out)
    print(f"calibration folder: {folder}")
    print(f"loss {result.default_loss:.4g} -> {result.best_loss:.4g}; "
          f"{sum(t.distance(result.best_means[j]) == 0 for j, t in enumerate(targets))}/{len(targets)} targets hit")
    for factor, value in zip(result.factors, result.best, strict=True):
        print(f"  {factor.name} = {value:.4g}")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.file_format == "parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            print("--format parquet needs pyarrow: pip install 'sahel-sim[parquet]'", file=sys.stderr)
            return EXIT_BAD_INPUT
    cap = _trajectory_cap(args.trajectories)
    if cap is False:
        print(f"--trajectories: {args.trajectories!r} is not a number or 'all'", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.cli.run_job import RUNS_ROOT, execute_run
    from sim.engine.runner import DEFAULT_CHUNK_SIZE
    from sim.engine.workload import ensemble_workload

    destination = _check_output(args.out, RUNS_ROOT)
    n = scenario.replicates if args.replicates is None else args.replicates
    _check_work(ensemble_workload(n, scenario.horizon, chunk_size=args.chunk_size or DEFAULT_CHUNK_SIZE, kept=cap),
                args, "--replicates", destination)

    outcome = execute_run(scenario, replicates=args.replicates, seed=args.seed, out=args.out,
                          trajectory_cap=cap, chunk_size=args.chunk_size, command=sys.argv,
                          file_format=args.file_format, exact=args.exact)
    print(f"run folder: {outcome.folder}")
    if outcome.trajectories_note:
        print(outcome.trajectories_note)
    for line in outcome.headline:
        print(line)
    return EXIT_OK


def _trajectory_cap(text: str) -> int | bool | None:
    if text == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        return False
    return value if value >= 0 else False


if __name__ == "__main__":
    raise SystemExit(main())
