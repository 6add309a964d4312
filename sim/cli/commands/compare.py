"""``sim compare``: what-if minus baseline, paired, with the levers behind it and the report; several
what-ifs: every option ranked against the baseline in one report. ``sim optimize`` and the dashboard
write their reports with ``execute_compare`` and ``execute_compare_options``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sim import MODEL_VERSION, __version__
from sim.cli.arguments import add_backend, add_force, positive_int, seed_number
from sim.cli.commands.explain import explain_csv
from sim.cli.common import (
    COMPARE_ROOT,
    EXIT_OK,
    check_output,
    check_work,
    json_document,
    require_extra,
    scenario_or_folder,
    timestamp,
)
from sim.engine.executors import Executor
from sim.engine.progress import Progress
from sim.errors import InputError, Problem

if TYPE_CHECKING:
    from sim.analysis.compare import Comparison, Effect
    from sim.analysis.explain import Contribution
    from sim.analysis.options import OptionsComparison
    from sim.scenario.loader import Question, Scenario

HELP = ("what-if minus baseline, paired, with the levers behind it; several what-ifs: every option ranked against "
        "the baseline")
JSON_OUTPUT = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("baseline", help="baseline scenario file, library name (baseline) or run folder")
    parser.add_argument("whatif", nargs="+",
                        help="what-if scenario file, library name or run folder; several scenario files give one "
                             "report ranking every option against the baseline on the question's outcomes")
    parser.add_argument("--replicates", type=positive_int, help="paired replicates (default: the baseline's)")
    parser.add_argument("--seed", type=seed_number, help="seed shared by both (default: the baseline's)")
    parser.add_argument("--out", type=Path,
                        help="folder to create (default: results/compare/<what-if>-vs-<baseline>-<time>)")
    parser.add_argument("--outcome", action="append", default=[], metavar="SERIES",
                        help="a series the report answers first, e.g. influence.morocco.mali (repeatable; "
                             "overrides the scenarios' question:)")
    parser.add_argument("--window", metavar="YYYY-MM..YYYY-MM", help="months the question is about")
    parser.add_argument("--pdf", action="store_true",
                        help="also write report.pdf, a briefing with the charts (needs the pdf extra: WeasyPrint)")
    parser.add_argument("--threshold", metavar="'A > B'",
                        help="a threshold whose probability the report gives, e.g. "
                             "'influence.russia.mali > influence.morocco.mali'")
    add_force(parser)
    add_backend(parser)


def command(args: argparse.Namespace) -> int:
    if args.pdf:
        require_extra("sim compare --pdf", "pdf", "weasyprint")
    if len(args.whatif) > 1:
        return compare_options_command(args)
    baseline, whatif = scenario_or_folder(args.baseline), scenario_or_folder(args.whatif[0])
    if isinstance(baseline, Path) != isinstance(whatif, Path):
        raise InputError([Problem.about("compare", "give two scenario files or two run folders, not one of each")])
    scenario_warnings = _scenario_warnings(args, (baseline, whatif))
    destination = check_output(args.out, COMPARE_ROOT)
    if not isinstance(baseline, Path):
        _check_work(args, baseline, destination)
    question = _question_from_flags(args, baseline, whatif)
    folder, comparison, sentences = execute_compare(baseline, whatif, replicates=args.replicates, seed=args.seed,
                                                    out=args.out, question=question, executor=args.executor,
                                                    pdf=args.pdf)
    from sim.report.document import answer_sentences  # deferred: the numba-compiled model

    answer = [s.replace("**", "").replace("`", "") for s in answer_sentences(comparison.answer)] \
        if comparison.answer else []
    if args.json:
        print(json_document({"folder": str(folder), "report": str(folder / "report.html"), "answer": answer,
                             "largest_effects": sentences,
                             "warnings": scenario_warnings + [str(w) for w in comparison.warnings]}))
        return EXIT_OK
    _print_comparison(args, folder, comparison, answer, sentences)
    return EXIT_OK


def _scenario_warnings(args: argparse.Namespace, scenarios: tuple) -> list[str]:
    """The scenarios' warnings (e.g. a setting dated after the run, which never takes effect), printed
    unless -q or --json; run folders have none."""
    warnings = [str(w) for scenario in scenarios for w in getattr(scenario, "warnings", ())]
    if not (args.quiet or args.json):
        for warning in warnings:
            print(warning, file=sys.stderr)
    return warnings


def _check_work(args: argparse.Namespace, baseline: Scenario, destination: Path) -> None:
    """Refuse, before the work, a comparison this machine cannot do (two ensembles side by side)."""
    # deferred: the numba-compiled model; ctypes and the memory probe
    from sim.engine.runner import DEFAULT_CHUNK_SIZE
    from sim.engine.workload import ensemble_workload

    n = args.replicates or baseline.replicates
    check_work(ensemble_workload(n, baseline.horizon, chunk_size=DEFAULT_CHUNK_SIZE, kept=0, copies=2),
               args, "--replicates", destination)


def _question_from_flags(args: argparse.Namespace, baseline: Scenario | Path,
                         whatif: Scenario | Path) -> Question | None:
    """The question --outcome, --window and --threshold ask (None: the scenarios' own), located on the flags."""
    if not (args.outcome or args.window or args.threshold):
        return None
    if isinstance(baseline, Path):
        raise InputError([Problem.about("compare", "--outcome, --window and --threshold need scenario files, "
                                                   "not run folders")])
    from sim.scenario.loader import question_problems  # deferred: YAML, not for --help

    raw = {"outcomes": args.outcome, **({"window": args.window} if args.window else {}),
           **({"threshold": args.threshold} if args.threshold else {}),
           "text": (whatif.question.text if whatif.question else "")}
    question, issues = question_problems(raw, baseline.start, baseline.horizon)
    if issues:
        flags = {"outcomes": "--outcome", "window": "--window", "threshold": "--threshold"}
        raise InputError([Problem.about(flags.get(key[0], "--outcome") if key else "--outcome", message)
                          for key, message in issues])
    return question


def _print_comparison(args: argparse.Namespace, folder: Path, comparison: Comparison, answer: list[str],
                      sentences: list[str]) -> None:
    if not args.quiet:
        for warning in comparison.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    print(f"comparison folder: {folder}")
    for sentence in answer:
        print(f"* {sentence}")
    if args.quiet:
        return
    for sentence in sentences:
        print(f"- {sentence}")
    print(f"report: {folder / 'report.html'}")


def compare_options_command(args: argparse.Namespace) -> int:
    """``sim compare BASELINE A B C``: every option against the baseline in one report."""
    baseline = scenario_or_folder(args.baseline)
    options = [scenario_or_folder(name) for name in args.whatif]
    if any(isinstance(x, Path) for x in (baseline, *options)):
        raise InputError([Problem.about("compare", "several options need scenario files, not run folders")])
    if args.window or args.threshold:
        raise InputError([Problem.about("compare", "--window and --threshold apply to one what-if; with several "
                                                   "options give --outcome")])
    # deferred: numpy; YAML, not for --help
    from sim.analysis.question import series_key
    from sim.scenario.loader import question_problems

    question, issues = question_problems({"outcomes": args.outcome, "text": ""}, baseline.start, baseline.horizon)
    if issues:  # the same check as a question's outcomes, located on the flag
        raise InputError([Problem.about("--outcome", message) for _, message in issues])
    outcomes = [series_key(text) for text in question.outcomes]
    warnings = _scenario_warnings(args, (baseline, *options))
    destination = check_output(args.out, COMPARE_ROOT)
    _check_work(args, baseline, destination)
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
    _print_rankings(result, folder, end, quiet=args.quiet)
    return EXIT_OK


def _print_rankings(result: OptionsComparison, folder: Path, end: str, *, quiet: bool) -> None:
    from sim.report.prose import describe  # deferred: the numba-compiled model

    print(f"comparison folder: {folder}")
    for outcome in result.outcomes:
        ranking = result.ranking(outcome)
        print(f"{describe(*outcome)} by {end}, options ranked:")
        for rank, r in enumerate(ranking, 1):
            print(f"  {rank}. {r.option}: {r.difference:+.3f} (90%: {r.low:+.3f} to {r.high:+.3f}), {r.size}")
    if not quiet:
        print(f"report: {folder / 'report.html'}")


def execute_compare(baseline: Scenario | Path, whatif: Scenario | Path, *, replicates: int | None, seed: int | None,
                    out: Path | None, explain_replicates: int = 100,
                    question: Question | None = None, executor: Executor | None = None,
                    pdf: bool = False) -> tuple[Path, Comparison, list[str]]:
    """Compare two scenarios (run with common random numbers) or two run folders.

    ``question`` overrides the scenarios' own ``question:`` (scenario files only).
    """
    # deferred: the numba-compiled model
    import json
    from datetime import UTC, datetime

    from sim.analysis.compare import compare_run_folders, compare_scenarios, largest_effects
    from sim.analysis.explain import explain
    from sim.io.run_folders import atomic_folder, safe_name, write_effects
    from sim.report.document import report_sections, to_html, to_markdown
    from sim.report.prose import effect_sentence
    from sim.scenario.loader import Scenario

    if isinstance(baseline, Scenario) and isinstance(whatif, Scenario):
        n = replicates or baseline.replicates
        seed = baseline.seed if seed is None else seed
        progress = Progress(2 * n * baseline.horizon, "compare")
        try:
            comparison = compare_scenarios(baseline, whatif, n, seed, question=question, on_step=progress.advance,
                                           executor=executor)
        finally:
            progress.close()
        question, scenarios = whatif.description, (baseline, whatif)
    else:
        comparison = compare_run_folders(Path(baseline), Path(whatif))
        n, seed, question, scenarios = comparison.difference.n_replicates, "as run", "", None
    effects = largest_effects(comparison)
    contributions: list[Contribution] = []
    if scenarios and effects:
        outcomes = [(e.metric, e.source, e.target) for e in effects]
        contributions = explain(scenarios[1], outcomes, against=scenarios[0],
                                n_replicates=min(n, explain_replicates), seed=seed, at=[e.date for e in effects],
                                executor=executor)
    pair = f"{safe_name(comparison.whatif.scenario)}-vs-{safe_name(comparison.baseline.scenario)}"
    out = out or COMPARE_ROOT / f"{pair}-{timestamp()}"
    with atomic_folder(out) as staging:
        write_effects(staging / "effects.csv", comparison.baseline, comparison.whatif, comparison.difference)
        plots = _compare_plots(staging, comparison, contributions, effects, seed)
        if contributions:
            (staging / "explain.csv").write_text(explain_csv(contributions))
        meta = {"replicates": n, "seed": seed}
        blocks = report_sections(comparison, question, effects, contributions, plots, meta)
        (staging / "report.md").write_text(to_markdown(blocks))
        html = to_html(blocks, staging)
        (staging / "report.html").write_text(html)
        if pdf:
            write_pdf(html, staging / "report.pdf")
        manifest = {"baseline": comparison.baseline.scenario, "whatif": comparison.whatif.scenario,
                    "replicates": n, "seed": seed, "warnings": list(comparison.warnings),
                    "package_version": __version__, "model_version": MODEL_VERSION,
                    "finished_utc": datetime.now(UTC).isoformat()}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out, comparison, [effect_sentence(e) for e in effects]


def execute_compare_options(baseline: Scenario, options: list[Scenario], *, replicates: int | None,
                            seed: int | None, out: Path | None, outcomes: list | None = None,
                            question: Question | None = None, executor: Executor | None = None,
                            pdf: bool = False) -> tuple[Path, OptionsComparison]:
    """``sim compare BASELINE A B C``: every option against the baseline, one report (sim.analysis.options)."""
    # deferred: the numba-compiled model and matplotlib
    import json
    from datetime import UTC, datetime

    from sim.analysis.options import compare_options
    from sim.io.run_folders import atomic_folder, safe_name, write_effects
    from sim.report.document import options_sections, to_html, to_markdown
    from sim.report.plots import options_chart, save_figures
    from sim.report.prose import describe

    n = replicates or baseline.replicates
    seed = baseline.seed if seed is None else seed
    progress = Progress(2 * n * baseline.horizon * len(options), "compare")
    try:
        result = compare_options(baseline, options, n, seed, outcomes=outcomes or (), question=question,
                                 on_step=progress.advance, executor=executor)
    finally:
        progress.close()
    out = out or COMPARE_ROOT / f"options-vs-{safe_name(baseline.name)}-{timestamp()}"
    with atomic_folder(out) as staging:
        for comparison in result.comparisons:
            write_effects(staging / f"effects_{safe_name(comparison.whatif.scenario)}.csv", comparison.baseline,
                          comparison.whatif, comparison.difference)
        figures = {"options_" + "_".join(o): options_chart(result.comparisons, o, describe(*o), seed)
                   for o in result.outcomes}
        plots = save_figures(figures, staging / "plots")
        blocks = options_sections(result, plots, {"replicates": n, "seed": seed})
        (staging / "report.md").write_text(to_markdown(blocks))
        html = to_html(blocks, staging)
        (staging / "report.html").write_text(html)
        if pdf:
            write_pdf(html, staging / "report.pdf")
        manifest = {"baseline": baseline.name, "options": [o.name for o in options], "replicates": n, "seed": seed,
                    "outcomes": [".".join(k for k in o if k) for o in result.outcomes],
                    "package_version": __version__, "model_version": MODEL_VERSION,
                    "finished_utc": datetime.now(UTC).isoformat()}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return out, result


def write_pdf(html: str, path: Path) -> None:
    """The report as a briefing PDF (WeasyPrint renders the same HTML, charts embedded)."""
    # deferred: an optional extra (pdf), heavy; logging, not for sim --help
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font fallbacks are not the user's concern
    weasyprint.HTML(string=html).write_pdf(path)


def _compare_plots(folder: Path, comparison: Comparison, contributions: list[Contribution], effects: list[Effect],
                   seed: int | str) -> list[str]:
    # deferred: matplotlib
    from sim.report.plots import FOCUS_STATES, contribution_chart, difference_chart, levels_chart, save_figures
    from sim.report.prose import describe

    figures = {f"difference_influence_on_{state}": difference_chart(comparison.difference, state, seed)
               for state in FOCUS_STATES}
    if comparison.answer:
        answer = comparison.answer
        window = (answer.first, answer.last) if answer.question.window else None
        for a in answer.series:
            figures[f"levels_{'_'.join(a.series)}"] = levels_chart(comparison, a.series, describe(*a.series),
                                                                   window, seed)
    if effects and not comparison.answer:  # no question asked: the levels behind the largest effect
        top = (effects[0].metric, effects[0].source, effects[0].target)
        figures[f"levels_{'_'.join(top)}"] = levels_chart(comparison, top, describe(*top), None, seed)
    if contributions and effects:
        top = (effects[0].metric, effects[0].source, effects[0].target)
        figures["explain_top_effect"] = contribution_chart(contributions, top, f"What explains: {describe(*top)}",
                                                           effects[0].date)
    return save_figures(figures, folder / "plots")
