"""``sim compare`` and ``sim explain`` end to end: run, reduce, explain, plot, write atomically."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from sim import MODEL_VERSION, __version__
from sim.analysis.compare import Comparison, compare_run_folders, compare_scenarios, largest_effects
from sim.analysis.explain import Contribution, explain
from sim.engine.executors import Executor
from sim.engine.progress import Progress
from sim.io.run_folders import atomic_folder, safe_name, write_effects
from sim.report.prose import effect_sentence
from sim.scenario.loader import Question, Scenario

COMPARE_ROOT = Path("results/compare")
EXPLAIN_COLUMNS = ("component", "evidence", "metric", "source", "target", "contribution", "p05", "p95")


def execute_compare(baseline: Scenario | Path, whatif: Scenario | Path, *, replicates: int | None, seed: int | None,
                    out: Path | None, explain_replicates: int = 100,
                    question: Question | None = None, executor: Executor | None = None,
                    pdf: bool = False) -> tuple[Path, Comparison, list[str]]:
    """Compare two scenarios (run with common random numbers) or two run folders.

    ``question`` overrides the scenarios' own ``question:`` (scenario files only).
    """
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
    out = out or COMPARE_ROOT / f"{pair}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"
    with atomic_folder(out) as staging:
        write_effects(staging / "effects.csv", comparison.baseline, comparison.whatif, comparison.difference)
        plots = _compare_plots(staging, comparison, contributions, effects, seed)
        if contributions:
            (staging / "explain.csv").write_text(_explain_csv(contributions))
        from sim.report.document import report_sections, to_html, to_markdown

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
                            pdf: bool = False):
    """``sim compare BASELINE A B C``: every option against the baseline, one report (sim.analysis.options)."""
    from sim.analysis.options import compare_options
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
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    out = out or COMPARE_ROOT / f"options-vs-{safe_name(baseline.name)}-{stamp}"
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
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font fallbacks are not the user's concern
    weasyprint.HTML(string=html).write_pdf(path)


def _compare_plots(folder: Path, comparison: Comparison, contributions: list[Contribution], effects, seed) -> list[str]:
    from sim.report.plots import FOCUS_STATES, contribution_chart, difference_chart, save_figures

    figures = {f"difference_influence_on_{state}": difference_chart(comparison.difference, state, seed)
               for state in FOCUS_STATES}
    if comparison.answer:
        from sim.report.plots import levels_chart
        from sim.report.prose import describe

        answer = comparison.answer
        window = (answer.first, answer.last) if answer.question.window else None
        for a in answer.series:
            figures[f"levels_{'_'.join(a.series)}"] = levels_chart(comparison, a.series, describe(*a.series),
                                                                   window, seed)
    if effects and not comparison.answer:  # no question asked: the levels behind the largest effect
        from sim.report.plots import levels_chart
        from sim.report.prose import describe

        top = (effects[0].metric, effects[0].source, effects[0].target)
        figures[f"levels_{'_'.join(top)}"] = levels_chart(comparison, top, describe(*top), None, seed)
    if contributions and effects:
        from sim.report.prose import describe

        top = (effects[0].metric, effects[0].source, effects[0].target)
        figures["explain_top_effect"] = contribution_chart(contributions, top, f"What explains: {describe(*top)}",
                                                           effects[0].date)
    return save_figures(figures, folder / "plots")


def _explain_csv(contributions: list[Contribution]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPLAIN_COLUMNS)
    for c in contributions:
        writer.writerow([c.component, c.evidence, *c.outcome, repr(c.mean), repr(c.low), repr(c.high)])
    return buffer.getvalue()


def execute_explain(scenario: Scenario, against: Scenario | None, *, replicates: int, seed: int | None,
                    out: Path | None, outcomes: list[tuple[str, str, str]],
                    executor: Executor | None = None) -> tuple[Path, list[Contribution]]:
    contributions = explain(scenario, outcomes, against=against, n_replicates=replicates, seed=seed,
                            executor=executor)
    out = out or COMPARE_ROOT / f"explain-{safe_name(scenario.name)}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"
    from sim.report.plots import contribution_chart, save_figures
    from sim.report.prose import describe

    with atomic_folder(out) as staging:
        (staging / "explain.csv").write_text(_explain_csv(contributions))
        figures = {f"explain_{'_'.join(key)}": contribution_chart(contributions, key, describe(*key))
                   for key in outcomes}
        save_figures(figures, staging / "plots")
    return out, contributions
