"""``sim regress``: scenarios against their blessed references."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_CHECK_FAILED, EXIT_OK


def command(args: argparse.Namespace) -> int:
    from sim.errors import InputError, Problem
    from sim.io.references import reference_lock

    references, library = args.references, args.scenarios_dir
    if references.exists() and not references.is_dir():
        raise InputError([Problem.about(f"--references {references}", "not a folder; expected the folder of "
                                                                       "blessed references")])
    if not args.update and not references.is_dir():
        raise InputError([Problem.about(f"--references {references}", "no such folder: nothing to check against "
                                                                       "(bless with: sim regress --update)")])
    with reference_lock(references):  # one regress at a time per reference folder (docs/reliability.md)
        return _regress(args, references, library)


def _regress(args: argparse.Namespace, references, library) -> int:
    import time

    from sim.analysis import regress
    from sim.errors import InputError, Problem

    paths = regress.discover(args.scenarios, library)
    if not paths:
        raise InputError([Problem.about(f"--scenarios-dir {library}", "no scenario files (*.yaml) here: "
                                                                      "nothing to check")])
    if args.junit:
        from sim.errors import Problem
        from sim.io.run_folders import unwritable_reason

        reason = unwritable_reason(args.junit, folder=False)
        if reason:
            raise InputError([Problem.about(f"--junit {args.junit}", reason)])
    if args.update:
        for path in paths:
            unreadable = ""
            try:
                before = regress.check(path, references)
            except InputError as exc:  # no reference yet, or an unreadable one: bless from scratch
                before = None
                if (references / path.stem / "reference.json").exists():
                    unreadable = exc.problems[0].message
            regress.bless(path, references)
            change = (f"re-blessed (the old reference was unreadable: {unreadable})" if unreadable
                      else "new reference") if before is None else {
                "identical": "unchanged", "within tolerance": "re-blessed (was within tolerance)",
                "drift": f"re-blessed (was drift: {len(before.deviations)} values outside tolerance, "
                         f"{len(before.drifted)} distributions)"}[before.status]
            print(f"{path.stem}: {change}")
        return EXIT_OK
    from sim.io.run_folders import finish_replacements

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
        from sim.io.run_folders import atomic_write_text
        from sim.report.junit import junit_xml

        atomic_write_text(args.junit, junit_xml(verdicts, time.perf_counter() - start))
    failed = [v.name for v in verdicts if not v.passed]
    print(f"{len(verdicts) - len(failed)} passed, {len(failed)} failed")
    return EXIT_CHECK_FAILED if failed else EXIT_OK

