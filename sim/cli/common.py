"""What several commands share: exit codes, where results go, output and size checks before the work,
outcome parsing, optional extras."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim.engine.executors import checked_executor
from sim.errors import EnvironmentFailure, InputError, Problem

if TYPE_CHECKING:
    from sim.engine.executors import LazyExecutor
    from sim.engine.workload import Workload
    from sim.scenario.loader import Scenario
    from sim.scenario.outcomes import Outcome

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_TRAJECTORY_CAP = 100
MIN_SOBOL_N = 32  # base samples below which Sobol' estimates are noise
ANALYSIS_ROOT = Path("results/analysis")  # sweep, sensitivity, calibrate, backtest, optimize, discover
COMPARE_ROOT = Path("results/compare")  # compare and explain


def timestamp() -> str:
    """The UTC time in a default output folder's name (microseconds: two runs never collide)."""
    from datetime import UTC, datetime  # deferred, like json below: sim --help imports every command module

    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")


def json_document(data: object) -> str:
    """``--json`` output: one document, paths and other objects as text."""
    import json

    return json.dumps(data, indent=2, default=str)


def scenario_or_folder(text: str) -> Scenario | Path:
    """A run folder, a scenario file, or a library scenario by name (``baseline``)."""
    from sim.scenario.loader import resolve_scenario  # deferred: sim.scenario reads YAML (~0.2 s), not for --help

    path = Path(text)
    return path if path.is_dir() else resolve_scenario(text)


def executor_from_args(args: argparse.Namespace) -> LazyExecutor:
    """The executor that ``--backend``, ``--workers`` and ``--scheduler`` ask for, checked now and
    started on first use (so bad input never waits for a cluster)."""

    def announce(executor) -> None:
        if getattr(executor, "dashboard", None):
            print(f"Dask dashboard: {executor.dashboard}", file=sys.stderr)

    return checked_executor(args.backend, args.workers, args.scheduler, lambda name: f"--{name}", announce)


def check_output(out: Path | None, default_root: Path) -> Path:
    """Refuse, before the work, an --out that cannot be created (exit 2) or a default results folder
    that cannot be written (exit 1); returns the folder whose disk will hold the output."""
    from sim.io.run_folders import unwritable_reason  # deferred: sim.io imports the numba-compiled model

    if out is not None:
        reason = unwritable_reason(out)
        if reason:
            raise InputError([Problem.about(str(out), reason)])
        return out
    reason = unwritable_reason(default_root / "new-folder")
    if reason:
        raise EnvironmentFailure(f"{default_root}: {reason}; pass --out to write elsewhere")
    return default_root


def check_work(work: Workload, args: argparse.Namespace, flag: str, out: Path | None = None) -> None:
    """Refuse, before the work, what this machine cannot do in time, memory or disk (unless --force)."""
    from sim.engine.workload import refuse_if_too_big  # deferred: ctypes and the memory probe, not for --help

    refuse_if_too_big(work, force=args.force, flag=flag, out=out)


def outcome_flags(texts: list[str], defaults: list[str], scenario: Scenario) -> list[Outcome]:
    """Parsed --outcome expressions (the defaults when none given); months must lie inside the run."""
    from sim.scenario.outcomes import parse_outcomes  # deferred: sim.scenario reads YAML, not for --help

    return parse_outcomes(texts or defaults, scenario.date_of(0), scenario.date_of(scenario.horizon), "--outcome")


def require_extra(where: str, extra: str, *modules: str) -> None:
    """Refuse (exit 2) when one of ``modules`` is not importable, naming the pip extra to install (the
    validation libraries are not needed for a run, so a plain install leaves them out)."""
    absent = [name for name in modules if importlib.util.find_spec(name) is None]
    if absent:
        raise InputError([Problem.about(where, f"this needs {', '.join(absent)}: pip install 'sahel-sim[{extra}]' "
                                               "(or `make test`, which installs it)")])
