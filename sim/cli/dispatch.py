"""The ``sim`` command: parses arguments and dispatches to ``sim.cli.commands.<command>``.

Exit codes: 0 success, 1 a check failed or the machine stopped the work (disk full, unwritable
results folder), 2 bad input, 130 interrupted. Neither bad input nor the machine shows a traceback.
Each command lives in ``sim.cli.commands.<command>`` (its arguments and its work); heavy modules
(Mesa, matplotlib, the numba-compiled model) are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import warnings

from sim import __version__
from sim.interrupts import clear_interrupts, interrupt

MAX_PROBLEMS_SHOWN = 50  # problems printed for one bad input; the rest are counted


def build_parser() -> argparse.ArgumentParser:
    """The ``sim`` parser: each command's arguments come from its module, in the order of ``COMMANDS``."""
    # deferred: main() records termination signals before the commands load (see _dispatch)
    from sim.cli.arguments import add_talk
    from sim.cli.commands import COMMANDS

    parser = argparse.ArgumentParser(
        prog="sim",
        description="Agent-based scenarios of influence in the Sahel (Morocco, Algeria, Mali, "
        "Mauritania, ECOWAS, Russia).",
        epilog="Exit codes: 0 success, 1 a check failed or the machine stopped the work, 2 bad input. "
               "Docs: docs/scenarios.md, docs/ODD.md, docs/reliability.md.",
    )
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        sub = subparsers.add_parser(name, help=module.HELP)
        module.add_arguments(sub)
        add_talk(sub, json_output=getattr(module, "JSON_OUTPUT", False))  # every command: how much it says
    return parser


def main(argv: list[str] | None = None, *, restore_signals: bool = True) -> int:
    """Run one ``sim`` command; its exit code. Termination signals are recorded from the first
    line, so an interrupt at any moment ends in 130 with nothing written, or in the command's own
    status once its output is committed. ``restore_signals=False`` (the console script) keeps the
    recording handlers until the process exits, so a signal after the commit cannot turn a
    complete run into exit 143."""
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
    status = main(restore_signals=False)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    raise SystemExit(status)


def _dispatch(argv: list[str] | None) -> int:
    # deferred: main() must record termination signals first, so that a signal while the commands load
    # (the first ~0.1 s of the process) still ends in 130, not in the default handler's death
    from sim.cli.commands import COMMANDS
    from sim.cli.common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, executor_from_args
    from sim.engine import progress
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
        progress.SHOWN = False if args.quiet or getattr(args, "json", False) else True if args.verbose else None
        _our_warnings_in_one_line(silent=args.quiet or getattr(args, "json", False))

        module = COMMANDS[args.command]
        if not hasattr(args, "workers"):
            return module.command(args)
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
        progress.SHOWN = None  # the next command (in the same process) decides for itself


def _our_warnings_in_one_line(silent: bool) -> None:
    """Our own warnings (an old spelling of a setting, a division by zero in an expression) as one
    line on stderr each, or none with -q and --json; other libraries' warnings as Python shows them.
    The filter lives for this command only (``warnings.catch_warnings`` in ``_dispatch``)."""
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
    clear_interrupts()
    if threading.current_thread() is not threading.main_thread():
        return {}

    return {sig: signal.signal(sig, lambda signum, _frame: interrupt(signal.Signals(signum).name))
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}


def _restore_signals(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    clear_interrupts()  # the command has answered for it; Python API calls after it are not stopped


if __name__ == "__main__":
    raise SystemExit(main())
