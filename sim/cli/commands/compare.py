"""``sim compare``: what-if minus baseline, paired, with the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    check_output,
    check_work,
    json_document,
    missing_extra,
    scenario_or_folder,
)


def command(args: argparse.Namespace) -> int:
    problem = missing_extra("pdf", "weasyprint") if args.pdf else None
    if problem:
        print(f"sim compare --pdf: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if len(args.whatif) > 1:
        return compare_options_command(args)
    baseline, whatif = scenario_or_folder(args.baseline), scenario_or_folder(args.whatif[0])
    if isinstance(baseline, Path) != isinstance(whatif, Path):
        print("compare: give two scenario files or two run folders, not one of each", file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.cli.compare_job import COMPARE_ROOT, execute_compare

    scenario_warnings = [str(w) for scenario in (baseline, whatif) for w in getattr(scenario, "warnings", ())]
    if not (args.quiet or args.json):  # e.g. a setting dated after the run, which never takes effect
        for warning in scenario_warnings:
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
            raise InputError([Problem.about(flags.get(key[0], "--outcome") if key else "--outcome", message)
                              for key, message in issues])
    folder, comparison, sentences = execute_compare(baseline, whatif, replicates=args.replicates, seed=args.seed,
                                                    out=args.out, question=question, executor=args.executor,
                                                    pdf=args.pdf)
    from sim.report.document import answer_sentences

    answer = [s.replace("**", "").replace("`", "") for s in answer_sentences(comparison.answer)] \
        if comparison.answer else []
    if args.json:
        print(json_document({"folder": str(folder), "report": str(folder / "report.html"), "answer": answer,
                             "largest_effects": sentences,
                             "warnings": scenario_warnings + [str(w) for w in comparison.warnings]}))
        return EXIT_OK
    if not args.quiet:
        for warning in comparison.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    print(f"comparison folder: {folder}")
    for sentence in answer:
        print(f"* {sentence}")
    if args.quiet:
        return EXIT_OK
    for sentence in sentences:
        print(f"- {sentence}")
    print(f"report: {folder / 'report.html'}")
    return EXIT_OK


def compare_options_command(args: argparse.Namespace) -> int:
    """``sim compare BASELINE A B C``: every option against the baseline in one report."""
    from sim.cli.compare_job import COMPARE_ROOT, execute_compare_options
    from sim.errors import InputError, Problem
    from sim.report.prose import describe

    baseline = scenario_or_folder(args.baseline)
    options = [scenario_or_folder(name) for name in args.whatif]
    if any(isinstance(x, Path) for x in (baseline, *options)):
        print("compare: several options need scenario files, not run folders", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.window or args.threshold:
        print("compare: --window and --threshold apply to one what-if; with several options give --outcome",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    from sim.analysis.question import series_key
    from sim.scenario.loader import question_problems

    question, issues = question_problems({"outcomes": args.outcome, "text": ""}, baseline.start, baseline.horizon)
    if issues:  # the same check as a question's outcomes, located on the flag
        raise InputError([Problem.about("--outcome", message) for _, message in issues])
    outcomes = [series_key(text) for text in question.outcomes]
    warnings = [str(w) for scenario in (baseline, *options) for w in scenario.warnings]
    if not (args.quiet or args.json):
        for warning in warnings:
            print(warning, file=sys.stderr)
    destination = check_output(args.out, COMPARE_ROOT)
    from sim.engine.runner import DEFAULT_CHUNK_SIZE
    from sim.engine.workload import ensemble_workload

    n = args.replicates or baseline.replicates
    check_work(ensemble_workload(n, baseline.horizon, chunk_size=DEFAULT_CHUNK_SIZE, kept=0, copies=2),
               args, "--replicates", destination)
    folder, result = execute_compare_options(baseline, options, replicates=args.replicates, seed=args.seed,
                                             out=args.out, outcomes=outcomes, executor=args.executor, pdf=args.pdf)
    end = result.comparisons[0].difference.dates[-1]
    if args.json:
        rankings = {".".join(x for x in outcome if x): [
            {"option": r.option, "difference": r.difference, "low": r.low, "high": r.high, "size": r.size}
            for r in result.ranking(outcome)] for outcome in result.outcomes}
        print(json_document({"folder": str(folder), "report": str(folder / "report.html"), "at": end,
                             "rankings": rankings, "warnings": warnings}))
        return EXIT_OK
    print(f"comparison folder: {folder}")
    for outcome in result.outcomes:
        ranking = result.ranking(outcome)
        print(f"{describe(*outcome)} by {end}, options ranked:")
        for rank, r in enumerate(ranking, 1):
            print(f"  {rank}. {r.option}: {r.difference:+.3f} (90%: {r.low:+.3f} to {r.high:+.3f}), {r.size}")
    if not args.quiet:
        print(f"report: {folder / 'report.html'}")
    return EXIT_OK
