"""``sim regress``: scenarios against their blessed references."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.cli.arguments import tolerance
from sim.cli.common import EXIT_CHECK_FAILED, EXIT_OK
from sim.errors import InputError, Problem

HELP = "check scenarios against blessed references (CI)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", nargs="*",
                        help="scenario names or files (default: every scenario in scenarios/ with a reference; "
                             "the others are listed in a note)")
    parser.add_argument("--update", action="store_true", help="re-bless the references (all, or the named)")
    parser.add_argument("--rtol", type=tolerance, help="relative tolerance on summaries (default: the reference's)")
    parser.add_argument("--atol", type=tolerance, help="absolute tolerance on summaries (default: the reference's)")
    parser.add_argument("--junit", type=Path, help="also write JUnit XML here")
    parser.add_argument("--references", type=Path, default=Path("results/reference"), metavar="DIR",
                        help="the blessed references (default: results/reference)")
    parser.add_argument("--scenarios-dir", type=Path, default=Path("scenarios"), metavar="DIR",
                        help="where scenario names are looked up (default: scenarios)")


def command(args: argparse.Namespace) -> int:
    from sim.io.references import reference_lock  # deferred: the numba-compiled model

    references, library = args.references, args.scenarios_dir
    if references.exists() and not references.is_dir():
        raise InputError([Problem.about(f"--references {references}", "not a folder; expected the folder of "
                                                                       "blessed references")])
    if not args.update and not references.is_dir():
        raise InputError([Problem.about(f"--references {references}", "no such folder: nothing to check against "
                                                                       "(bless with: sim regress --update)")])
    with reference_lock(references):  # one regress at a time per reference folder (docs/reliability.md)
        return _regress(args, references, library)


def _regress(args: argparse.Namespace, references: Path, library: Path) -> int:
    from sim.analysis import regress  # deferred: the numba-compiled model

    paths = regress.discover(args.scenarios, library)
    if not paths:
        raise InputError([Problem.about(f"--scenarios-dir {library}", "no scenario files (*.yaml) here: "
                                                                      "nothing to check")])
    if args.junit:
        from sim.io.run_folders import unwritable_reason  # deferred: the numba-compiled model

        reason = unwritable_reason(args.junit, folder=False)
        if reason:
            raise InputError([Problem.about(f"--junit {args.junit}", reason)])
    if args.update:
        for path in paths:
            print(f"{path.stem}: {_bless(path, references)}")
        return EXIT_OK
    return _check(args, paths, references, library)


def _bless(path: Path, references: Path) -> str:
    """Re-bless one scenario's reference; what changed, in words."""
    from sim.analysis import regress  # deferred: the numba-compiled model

    unreadable = ""
    try:
        before = regress.check(path, references)
    except InputError as exc:  # no reference yet, or an unreadable one: bless from scratch
        before = None
        if (references / path.stem / "reference.json").exists():
            unreadable = exc.problems[0].message
    regress.bless(path, references)
    if before is None:
        return f"re-blessed (the old reference was unreadable: {unreadable})" if unreadable else "new reference"
    return {"identical": "unchanged", "within tolerance": "re-blessed (was within tolerance)",
            "drift": f"re-blessed (was drift: {len(before.deviations)} values outside tolerance, "
                     f"{len(before.drifted)} distributions)"}[before.status]


def _check(args: argparse.Namespace, paths: list[Path], references: Path, library: Path) -> int:
    """Every scenario against its reference; exit 1 when one drifted."""
    # deferred: the numba-compiled model
    from sim.analysis import regress
    from sim.io.run_folders import atomic_write_text, finish_replacements
    from sim.report.junit import junit_xml

    finish_replacements(references)  # a re-bless killed half-way (we hold the lock: its process is gone)
    unreferenced = [p.stem for p in paths if not (references / p.stem).is_dir()]
    if unreferenced:  # a reference lost or never blessed fails: CI must not pass on what it did not check
        raise InputError([Problem.about(str(references / name / "reference.json"),
                                        f"no reference for scenario '{name}'; bless it with: "
                                        f"sim regress --update {name}")
                          for name in unreferenced])
    orphans = regress.orphan_references(references, library)
    if orphans:
        print(f"note: references without a scenario file: {', '.join(orphans)} (stale; remove "
              f"{references}/<name> or restore {library}/<name>.yaml)")
    start = time.perf_counter()
    verdicts = [regress.check(path, references, rtol=args.rtol, atol=args.atol) for path in paths]
    for verdict in verdicts:
        print("\n".join(verdict.lines()))
    if args.junit:
        atomic_write_text(args.junit, junit_xml(verdicts, time.perf_counter() - start))
    failed = [v.name for v in verdicts if not v.passed]
    print(f"{len(verdicts) - len(failed)} passed, {len(failed)} failed")
    return EXIT_CHECK_FAILED if failed else EXIT_OK
