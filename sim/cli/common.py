"""What several commands share: exit codes, output and size checks before the work, outcome parsing."""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_TRAJECTORY_CAP = 100
MIN_SOBOL_N = 32  # base samples below which Sobol' estimates are noise


def json_document(data: object) -> str:
    """``--json`` output: one document, paths and other objects as text."""
    import json

    return json.dumps(data, indent=2, default=str)


def scenario_or_folder(text: str):
    """A run folder, a scenario file, or a library scenario by name (``baseline``)."""
    from sim.scenario.loader import resolve_scenario

    path = Path(text)
    return path if path.is_dir() else resolve_scenario(text)



def executor_from_args(args: argparse.Namespace):
    """The executor that ``--backend``, ``--workers`` and ``--scheduler`` ask for, checked now and
    started on first use (so bad input never waits for a cluster)."""
    import sys

    from sim.engine.executors import checked_executor

    def announce(executor) -> None:
        if getattr(executor, "dashboard", None):
            print(f"Dask dashboard: {executor.dashboard}", file=sys.stderr)

    return checked_executor(args.backend, args.workers, args.scheduler, lambda name: f"--{name}", announce)


def check_output(out: Path | None, default_root: Path) -> Path:
    """Refuse, before the work, an --out that cannot be created (exit 2) or a default results folder
    that cannot be written (exit 1); returns the folder whose disk will hold the output."""
    from sim.errors import EnvironmentFailure, InputError, Problem
    from sim.io.run_folders import unwritable_reason

    if out is not None:
        reason = unwritable_reason(out)
        if reason:
            raise InputError([Problem.about(str(out), reason)])
        return out
    reason = unwritable_reason(default_root / "new-folder")
    if reason:
        raise EnvironmentFailure(f"{default_root}: {reason}; pass --out to write elsewhere")
    return default_root



def check_work(work, args: argparse.Namespace, flag: str, out: Path | None = None) -> None:
    from sim.engine.workload import refuse_if_too_big

    refuse_if_too_big(work, force=args.force, flag=flag, out=out)



def outcome_flags(texts: list[str], defaults: list[str], scenario):
    """Parsed --outcome expressions (the defaults when none given); months must lie inside the run."""
    from sim.scenario.outcomes import parse_outcomes

    return parse_outcomes(texts or defaults, scenario.date_of(0), scenario.date_of(scenario.horizon), "--outcome")


def missing_extra(extra: str, *modules: str) -> str | None:
    """A message naming the pip extra to install when one of ``modules`` is not importable, else None
    (the validation libraries are not needed for a run, so a plain install leaves them out)."""
    import importlib.util

    absent = [name for name in modules if importlib.util.find_spec(name) is None]
    if not absent:
        return None
    return f"this needs {', '.join(absent)}: pip install 'sahel-sim[{extra}]' (or `make test`, which installs it)"
