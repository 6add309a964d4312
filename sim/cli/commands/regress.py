"""``sim regress``: scenarios against their blessed references."""

from __future__ import annotations

import argparse

from sim.cli.common import EXIT_CHECK_FAILED, EXIT_OK


def command(args: argparse.Namespace) -> int:
    import time

    from sim.analysis import regress
    from sim.errors import InputError

    references, library = args.references, args.scenarios_dir
    paths = regress.discover(args.scenarios, library)
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
    if not args.scenarios:  # every scenario with a reference; the others are a note, not a failure
        unreferenced = [p.stem for p in paths if not (references / p.stem).is_dir()]
        paths = [p for p in paths if p.stem not in unreferenced]
        if unreferenced:
            print(f"note: no reference for {', '.join(unreferenced)} (not checked; bless with "
                  f"sim regress --update {' '.join(unreferenced)})")
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

