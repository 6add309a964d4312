"""Argument types and option groups several commands share, so each flag reads and is checked the same
way in every command that takes it."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from sim.engine.executors import BACKENDS


def add_backend(parser: argparse.ArgumentParser) -> None:
    """--workers, --backend and --scheduler: where the work runs."""
    group = parser.add_argument_group("where the work runs (outputs are identical on every backend)")
    group.add_argument("--workers", type=positive_int, default=1,
                       help="worker processes (default 1; more than 1 uses the processes backend)")
    group.add_argument("--backend", choices=BACKENDS,
                       help="serial (this process), processes (a local pool) or dask (a LocalCluster on "
                            "127.0.0.1, or --scheduler); default: serial, or processes with --workers > 1")
    group.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on an existing Dask cluster (implies --backend dask; needs sahel-sim[dask])")


def add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="start even when the estimated time, memory or disk exceeds this machine "
                             "(without it, such work is refused up front with the estimate)")


def add_seed_and_out(parser: argparse.ArgumentParser, of: str = "the scenario's") -> None:
    """The seed and output folder every analysis command takes."""
    parser.add_argument("--seed", type=seed_number, help=f"seed (default: {of})")
    parser.add_argument("--out", type=Path, help="folder to create")


def add_talk(parser: argparse.ArgumentParser, *, json_output: bool) -> None:
    """-q/-v on every command (how much it says), and --json on those that can answer in one document."""
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true",
                      help="no progress bar, no warnings, only the result (errors are still printed)")
    talk.add_argument("-v", "--verbose", action="store_true",
                      help="a progress bar even when output is not a terminal, and where the work ran")
    if json_output:
        parser.add_argument("--json", action="store_true",
                            help="one JSON document on stdout (warnings included) instead of the text")


def non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def seed_number(text: str) -> int:
    """A seed as scenario files and ``--set seed=`` take it: 0..2**63-1."""
    # deferred: sim.scenario.format reads YAML (~0.1 s), which sim --help must not pay for
    from sim.scenario.format import MAX_SEED

    if len(text.strip()) > 30:  # int() of a huge text is slow; no seed has more than 19 digits
        raise argparse.ArgumentTypeError(f"seed {text.strip()[:20]!r}... ({len(text.strip())} characters) is outside "
                                         f"0..{MAX_SEED} (2**63-1)")
    value = _whole_number(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed {value} is outside 0..{MAX_SEED} (2**63-1)")
    return value


def port_number(text: str) -> int:
    value = _whole_number(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} must be 0..65535")
    return value


def tolerance(text: str) -> float:
    """A finite tolerance >= 0: NaN, infinity or a negative value would switch the check off."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a finite number >= 0")
    return value
