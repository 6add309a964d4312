"""``sim compare``: what-if minus baseline, paired, with the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, check_output, check_work, scenario_or_folder


def command(args: argparse.Namespace) -> int:
    baseline, whatif = scenario_or_folder(args.baseline), scenario_or_folder(args.whatif)
    if isinstance(baseline, Path) != isinstance(whatif, Path):
        print("compare: give two scenario files or two run folders, not one of each", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.cli.compare_job import COMPARE_ROOT, execute_compare

    for scenario in (baseline, whatif):  # e.g. a setting dated after the run, which never takes effect
        for warning in getattr(scenario, "warnings", ()):
            print(warning, file=sys.stderr)

    destination = check_output(args.out, COMPARE_ROOT)
    if not isinstance(baseline, Path):
        from sim.engine.runner import DEFAULT_CHUNK_SIZE
        from sim.engine.workload import ensemble_workload

        n = args.replicates or baseline.replicates
        check_work(ensemble_workload(n, baseline.horizon, chunk_size=DEFAULT_CHUNK_SIZE, kept=0, copies=2),
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
                                                    out=args.out, question=question, executor=args.executor)
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

