"""The ``sim`` command: parses arguments and dispatches to ``sim.cli.commands.<command>``.

Exit codes: 0 success, 1 a check failed or the machine stopped the work (disk full, unwritable
results folder), 2 bad input, 130 interrupted. Neither bad input nor the machine shows a traceback.
Heavy modules (Mesa, matplotlib) are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim import __version__
from sim.cli.common import DEFAULT_TRAJECTORY_CAP, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK

MAX_PROBLEMS_SHOWN = 50  # problems printed for one bad input; the rest are counted


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
    run.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
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
    _add_backend(run)

    validate = commands.add_parser("validate", help="check scenario files; exit 2 with one line per problem")
    validate.add_argument("scenarios", nargs="+", help="scenario YAML files or library names")
    validate.add_argument("--strict", action="store_true",
                          help="treat warnings (dates after the run, capped settings, source documents not on this "
                               "machine, ...) as errors: exit 2")

    library = commands.add_parser("scenarios", help="the scenario library: each file's question and what it changes")
    library.add_argument("folder", nargs="?", default=None,
                         help="folder of scenario files (default: the library that ships with sim)")
    library.add_argument("--json", action="store_true", help="machine-readable output")

    levers = commands.add_parser("levers", help="the lever catalogue with its evidence")
    levers.add_argument("--actor", help="only this actor's levers")
    levers.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")
    levers.add_argument("--response", metavar="SCENARIO", nargs="?", const="baseline",
                        help="run each lever from 0 to 1 in SCENARIO (default: the baseline) and print what it "
                             "moves at the end of the run (paired, budgets extended)")
    levers.add_argument("--replicates", type=int, default=40, help="replicates per variant with --response")
    levers.add_argument("--outcome", metavar="EXPR",
                        help="with --response: rank every lever on this outcome (e.g. 'mean(influence.morocco.mali)'), "
                             "per unit of effort, with 90%% intervals")
    _add_force(levers)

    params = commands.add_parser("parameters", help="the parameter catalogue: defaults, ranges, units")
    params.add_argument("--json", action="store_true", help="machine-readable output")

    commands.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")

    compare = commands.add_parser("compare", help="what-if minus baseline, paired, with the levers behind it; "
                                                  "several what-ifs: every option ranked against the baseline")
    compare.add_argument("baseline", help="baseline scenario file, library name (baseline) or run folder")
    compare.add_argument("whatif", nargs="+",
                         help="what-if scenario file, library name or run folder; several scenario files give one "
                              "report ranking every option against the baseline on the question's outcomes")
    compare.add_argument("--replicates", type=_positive_int, help="paired replicates (default: the baseline's)")
    compare.add_argument("--seed", type=_seed, help="seed shared by both (default: the baseline's)")
    compare.add_argument("--out", type=Path,
                         help="folder to create (default: results/compare/<what-if>-vs-<baseline>-<time>)")
    compare.add_argument("--outcome", action="append", default=[], metavar="SERIES",
                         help="a series the report answers first, e.g. influence.morocco.mali (repeatable; "
                              "overrides the scenarios' question:)")
    compare.add_argument("--window", metavar="YYYY-MM..YYYY-MM", help="months the question is about")
    compare.add_argument("--pdf", action="store_true",
                         help="also write report.pdf, a briefing with the charts (needs the pdf extra: WeasyPrint)")
    compare.add_argument("--threshold", metavar="'A > B'",
                         help="a threshold whose probability the report gives, e.g. "
                              "'influence.russia.mali > influence.morocco.mali'")
    _add_force(compare)
    _add_backend(compare)

    regress = commands.add_parser("regress", help="check scenarios against blessed references (CI)")
    regress.add_argument("scenarios", nargs="*",
                         help="scenario names or files (default: every scenario in scenarios/ with a reference; "
                              "the others are listed in a note)")
    regress.add_argument("--update", action="store_true", help="re-bless the references (all, or the named)")
    regress.add_argument("--rtol", type=_tolerance, help="relative tolerance on summaries (default: the reference's)")
    regress.add_argument("--atol", type=_tolerance, help="absolute tolerance on summaries (default: the reference's)")
    regress.add_argument("--junit", type=Path, help="also write JUnit XML here")
    regress.add_argument("--references", type=Path, default=Path("results/reference"), metavar="DIR",
                         help="the blessed references (default: results/reference)")
    regress.add_argument("--scenarios-dir", type=Path, default=Path("scenarios"), metavar="DIR",
                         help="where scenario names are looked up (default: scenarios)")

    sweep = commands.add_parser("sweep", help="vary parameters or lever intensities over a grid or a hypercube")
    sweep.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
    sweep.add_argument("--vary", action="append", required=True, metavar="NAME=LOW:HIGH[:N]",
                       help="a setting as --set names it: parameters.<name> (sim parameters), "
                            "levers.<actor>.<lever> or actors.<actor>.budget; repeatable")
    sweep.add_argument("--design", choices=("factorial", "lhs"), default="factorial")
    sweep.add_argument("--points", type=_positive_int, default=20, help="points of an LHS design (default 20)")
    sweep.add_argument("--outcome", action="append", default=[], metavar="EXPR",
                       help="outcome expression, e.g. 'mean(influence.russia.mali)' (repeatable; "
                       "default influence.russia.mali and influence.morocco.mali at the end)")
    sweep.add_argument("--replicates", type=_positive_int, default=20, help="replicates per point (default 20)")
    _add_seed_and_out(sweep)
    _add_force(sweep)
    _add_backend(sweep)

    sens = commands.add_parser("sensitivity", help="global sensitivity analysis with SALib (Sobol', Morris)")
    sens.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
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
    sens.add_argument("--second-order", action="store_true",
                      help="Sobol' only: also the interaction index S2 of every pair (N(2D+2) samples "
                           "instead of N(D+2)); written to second_order.csv")
    _add_seed_and_out(sens)
    _add_force(sens)
    _add_backend(sens)

    cal = commands.add_parser("calibrate", help="fit uncertain parameters to documented history")
    cal.add_argument("scenario", help="scenario file (e.g. scenarios/history_2012_2022.yaml)")
    cal.add_argument("--targets", required=True, help="targets file (e.g. scenarios/targets/history_2012_2022.yaml)")
    cal.add_argument("--method", choices=("de", "abc"), default="de",
                     help="de: SciPy differential evolution (a point); abc: ABC-SMC with pyabc (a posterior sample)")
    cal.add_argument("--params", nargs="+", default=[], metavar="GLOB",
                     help="parameters to fit (default: the scenario's uncertainties)")
    cal.add_argument("--budget", type=_positive_int, default=400, help="candidate points to evaluate (default 400)")
    cal.add_argument("--replicates", type=_positive_int, default=8, help="replicates per point (default 8)")
    _add_seed_and_out(cal)
    _add_force(cal)
    _add_backend(cal)

    back = commands.add_parser(
        "backtest", help="fit before each cutoff, forecast after it with only exogenous events, score the forecast",
        description="Rolling-origin backtest of the documented history: for each cutoff, ABC-SMC (pyabc) on the "
                    "targets that end by it; a forecast in which the actors' documented choices after it are "
                    "dropped and their decision rules decide; CRPS of the later targets and Brier score of the "
                    "later choices, as skill against the prior predictive, persistence, trend and the base "
                    "rate; the same for deliberately broken models. Writes report.md and scores.csv.")
    back.add_argument("scenario", nargs="?", default="history_2012_2022",
                      help="the replay (default: the library's history_2012_2022)")
    back.add_argument("--targets", default=None,
                      help="documented patterns (default: the library's targets/history_2012_2022.yaml)")
    back.add_argument("--observations", default=None,
                      help="documented choices (default: the library's observations/choices_2012_2022.yaml)")
    back.add_argument("--cutoffs", nargs="+", default=["2016-12", "2018-12", "2020-12"], metavar="YYYY-MM",
                      help="forecast origins (default 2016-12 2018-12 2020-12)")
    back.add_argument("--params", nargs="+", default=[], metavar="GLOB",
                      help="parameters to fit (default: the eight the replay's posterior calibrates)")
    back.add_argument("--population", type=_positive_int, default=40, help="ABC-SMC particles (default 40)")
    back.add_argument("--generations", type=_positive_int, default=4, help="ABC-SMC generations (default 4)")
    back.add_argument("--budget", type=_positive_int, default=800,
                      help="model evaluations per cutoff's fit, at most (default 800)")
    back.add_argument("--replicates", type=_positive_int, default=4, help="replicates per parameter point (default 4)")
    _add_seed_and_out(back, of="the replay's")

    opt = commands.add_parser("optimize", help="the mix of one actor's levers that does best on an outcome")
    opt.add_argument("scenario", help="scenario file or library name")
    opt.add_argument("--actor", required=True, help="whose levers to search, e.g. morocco")
    opt.add_argument("--objective", required=True, metavar="EXPR", action="append",
                     help="outcome to maximise, e.g. 'mean(influence.morocco.mali)'; repeat it for a Pareto set "
                          "(NSGA-II, extra [optimize])")
    opt.add_argument("--constraint", action="append", default=[], metavar="'EXPR >= X'",
                     help="an outcome that must hold on the mean over replicates, e.g. "
                          "'mean(relation.mali.morocco) >= 0.3' (repeatable)")
    opt.add_argument("--robust", choices=("mean", "p10", "regret"), default="mean",
                     help="maximise the mean over replicates (default) or its 10%% quantile, or minimise the mean "
                          "regret against the best mix found for each draw (one objective)")
    opt.add_argument("--search-start", action="store_true",
                     help="also search the month each lever's new intensity starts (before it, the scenario and "
                          "the agent set the lever)")
    opt.add_argument("--compare-replicates", type=_non_negative_int, default=100,
                     help="replicates of the sim compare reports of the recommendation (default 100; 0 skips them)")
    opt.add_argument("--budget", type=_positive_int, default=200, help="mixes to evaluate, at most (default 200)")
    opt.add_argument("--replicates", type=_positive_int, default=8, help="replicates per mix (default 8)")
    _add_seed_and_out(opt)
    _add_force(opt)
    _add_backend(opt)

    disc = commands.add_parser("discover", help="under which uncertainties a yes/no outcome happens (PRIM)")
    disc.add_argument("scenario", help="scenario file or library name")
    disc.add_argument("--outcome", required=True, metavar="'EXPR > X'",
                      help="a comparison of outcome expressions, e.g. 'decision.mali.mali_leaves_ecowas@end > 0' or "
                           "'influence.russia.mali@2024-01 > influence.algeria.mali@2024-01'")
    disc.add_argument("--points", type=_positive_int, default=300, help="points over the uncertainties (default 300)")
    disc.add_argument("--replicates", type=_positive_int, default=2, help="replicates per point (default 2)")
    _add_seed_and_out(disc)
    _add_force(disc)

    explain = commands.add_parser("explain", help="attribute outcomes to levers and events by ablation")
    explain.add_argument("scenario", help="scenario file or library name (e.g. baseline)")
    explain.add_argument("--against", help="baseline scenario: attribute the difference from it")
    explain.add_argument("--outcome", action="append", default=[], metavar="METRIC.SOURCE.TARGET",
                         help="series to explain at the end of the run, e.g. influence.russia.mali (repeatable; "
                         "default: influence of every actor on Mali)")
    explain.add_argument("--replicates", type=_positive_int, default=100, help="paired replicates (default 100)")
    _add_seed_and_out(explain)
    _add_force(explain)
    _add_backend(explain)

    dashboard = commands.add_parser("dashboard", help="the what-if page in a browser, on 127.0.0.1 "
                                    "(needs sahel-sim[dashboard])")
    dashboard.add_argument("scenario", nargs="?", default="baseline",
                           help="scenario file or library name to start from (default: baseline)")
    dashboard.add_argument("--folder", type=Path,
                           help="where scenario files are listed and what-ifs saved (default: the current folder)")
    dashboard.add_argument("--port", type=_port, default=8765, help="port on 127.0.0.1 (default 8765; 0: any free)")
    for name, sub in commands.choices.items():  # every command: how much it says
        talk = sub.add_mutually_exclusive_group()
        talk.add_argument("-q", "--quiet", action="store_true",
                          help="no progress bar, no warnings, only the result (errors are still printed)")
        talk.add_argument("-v", "--verbose", action="store_true",
                          help="a progress bar even when output is not a terminal, and where the work ran")
        if name in ("run", "validate", "compare"):
            sub.add_argument("--json", action="store_true",
                             help="one JSON document on stdout (warnings included) instead of the text")
    return parser


def _add_backend(command: argparse.ArgumentParser) -> None:
    from sim.engine.executors import BACKENDS

    group = command.add_argument_group("where the work runs (outputs are identical on every backend)")
    group.add_argument("--workers", type=_positive_int, default=1,
                       help="worker processes (default 1; more than 1 uses the processes backend)")
    group.add_argument("--backend", choices=BACKENDS,
                       help="serial (this process), processes (a local pool) or dask (a LocalCluster on "
                            "127.0.0.1, or --scheduler); default: serial, or processes with --workers > 1")
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on an existing Dask cluster (implies --backend dask; needs sahel-sim[dask])")


def _add_force(command: argparse.ArgumentParser) -> None:
    command.add_argument("--force", action="store_true",
                         help="start even when the estimated time, memory or disk exceeds this machine "
                              "(without it, such work is refused up front with the estimate)")


def _add_seed_and_out(command: argparse.ArgumentParser, of: str = "the scenario's") -> None:
    """The seed and output folder every analysis command takes."""
    command.add_argument("--seed", type=_seed, help=f"seed (default: {of})")
    command.add_argument("--out", type=Path, help="folder to create")


def _non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else _positive_int(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _seed(text: str) -> int:
    """A seed as scenario files and ``--set seed=`` take it: 0..2**63-1."""
    from sim.scenario.format import MAX_SEED

    if len(text.strip()) > 30:  # int() of a huge text is slow; no seed has more than 19 digits
        raise argparse.ArgumentTypeError(f"seed {text.strip()[:20]!r}... ({len(text.strip())} characters) is outside "
                                         f"0..{MAX_SEED} (2**63-1)")
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed {value} is outside 0..{MAX_SEED} (2**63-1)")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} must be 0..65535")
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


def main(argv: list[str] | None = None, *, restore_signals: bool = True) -> int:
    """Run one ``sim`` command; its exit code. Termination signals are recorded from the first
    line, so an interrupt at any moment ends in 130 with nothing written, or in the command's own
    status once its output is committed. ``restore_signals=False`` (the console script) keeps the
    recording handlers until the process exits, so a signal after the commit cannot turn a
    complete run into exit 143."""
    import warnings

    previous = _interrupt_on_termination()
    try:
        with warnings.catch_warnings():  # a command's warning settings end with it
            return _dispatch(argv)
    finally:
        if restore_signals:
            _restore_signals(previous)


def entry() -> None:
    """The ``sim`` console script (and ``python -m sim``).

    Once the command has answered, termination signals are ignored for the interpreter's own
    shutdown, which would put the default handlers back (it leaves ignored signals alone): a signal
    there would otherwise turn a committed run into exit 143 (or -2). Blocking them would not do:
    a mask is per thread, and any thread Numba or OpenBLAS started could take the signal."""
    import signal

    status = main(restore_signals=False)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    raise SystemExit(status)


def _dispatch(argv: list[str] | None) -> int:
    from sim.errors import EnvironmentFailure, InputError

    name = "sim"
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
            return int(exc.code or 0)
        if args.command is None:
            parser.print_help()
            return EXIT_OK
        name = f"sim {args.command}"
        import importlib

        from sim.engine import progress

        progress.SHOWN = False if args.quiet or getattr(args, "json", False) else True if args.verbose else None
        _our_warnings_in_one_line(silent=args.quiet or getattr(args, "json", False))

        module = importlib.import_module(f"sim.cli.commands.{args.command}")
        if not hasattr(args, "workers"):
            return module.command(args)
        from sim.cli.common import executor_from_args

        with executor_from_args(args) as args.executor:  # workers and clusters stop with the command
            return module.command(args)
    except InputError as exc:
        for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
            print(problem, file=sys.stderr)
        if len(exc.problems) > MAX_PROBLEMS_SHOWN:  # a hostile or broken file must not flood the terminal
            print(f"... and {len(exc.problems) - MAX_PROBLEMS_SHOWN} more problems (fix these first)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except EnvironmentFailure as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except OSError as exc:  # a full disk, a vanished folder: the machine, not the input; nothing half-written
        where = f": {exc.filename}" if exc.filename else ""
        print(f"{name}: {exc.strerror or exc}{where}; nothing was written", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except MemoryError:
        print(f"{name}: out of memory; ask for fewer replicates or points, or a smaller --chunk-size; "
              "nothing was written", file=sys.stderr)
        return EXIT_CHECK_FAILED
    finally:
        from sim.engine import progress

        progress.SHOWN = None  # the next command (in the same process) decides for itself


def _our_warnings_in_one_line(silent: bool) -> None:
    """Our own warnings (an old spelling of a setting, a division by zero in an expression) as one
    line on stderr each, or none with -q and --json; other libraries' warnings as Python shows them.
    The filter lives for this command only (``warnings.catch_warnings`` in ``_dispatch``)."""
    import warnings

    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if "is the old spelling" in str(message) or category.__name__ == "UndefinedValueWarning":
            if not silent:
                print(f"warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.filterwarnings("always", message=r".*is the old spelling")
    warnings.showwarning = show


def _interrupt_on_termination() -> dict:
    """SIGTERM, SIGHUP and Ctrl-C end a command: the staging folder is removed, nothing half-written."""
    import signal
    import threading

    from sim.interrupts import clear_interrupts, interrupt

    clear_interrupts()
    if threading.current_thread() is not threading.main_thread():
        return {}

    return {sig: signal.signal(sig, lambda signum, _frame: interrupt(signal.Signals(signum).name))
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}


def _restore_signals(previous: dict) -> None:
    import signal

    from sim.interrupts import clear_interrupts

    for sig, handler in previous.items():
        signal.signal(sig, handler)
    clear_interrupts()  # the command has answered for it; Python API calls after it are not stopped


if __name__ == "__main__":
    raise SystemExit(main())
