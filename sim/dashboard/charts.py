"""The dashboard's figures and formatted numbers: fan charts of baseline and what-if with the
paired difference beside them, the question's answer and the attribution, as ``sim compare``
words them (sim/report/document.py)."""

from __future__ import annotations

import html

import numpy as np
from matplotlib.figure import Figure

from sim.analysis.explain import Contribution
from sim.analysis.question import Answer, series_key
from sim.report.document import answer_sentences
from sim.report.plots import MIN_DIFFERENCE_SCALE, SCENARIO_COLOURS, UNITS, time_axis
from sim.report.prose import describe, number


def fan_charts(run) -> Figure:
    """One row per outcome: levels (median, 5-95% band) of both scenarios, then their paired difference."""
    comparison = run.comparison
    keys = [series_key(o) for o in comparison.answer.question.outcomes] if comparison.answer else []
    fig = Figure(figsize=(11, 3.2 * max(len(keys), 1)), dpi=90)
    axes = fig.subplots(max(len(keys), 1), 2, squeeze=False, width_ratios=[3, 2])
    x = np.arange(len(comparison.baseline.dates))
    for row, key in zip(axes, keys, strict=False):
        levels, difference = row
        for name, summary in (("baseline", comparison.baseline), ("whatif", comparison.whatif)):
            stats = summary.get(*key)
            column = "mean" if key[0] in ("institution", "decision") else "p50"
            levels.fill_between(x, stats.p05, stats.p95, color=SCENARIO_COLOURS[name], alpha=0.18, linewidth=0)
            levels.plot(x, stats[column], color=SCENARIO_COLOURS[name], linewidth=2, label=summary.scenario)
        time_axis(levels, comparison.baseline.dates)
        levels.set_xlabel("")
        levels.set_ylabel(UNITS.get(key[0], "level (0-1)"), fontsize=8)
        levels.set_title(describe(*key), fontsize=10)
        levels.legend(fontsize=7, loc="best")
        paired = comparison.difference.get(*key)
        difference.fill_between(x, paired.p05, paired.p95, color=SCENARIO_COLOURS["whatif"], alpha=0.2, linewidth=0)
        difference.plot(x, paired.mean, color=SCENARIO_COLOURS["whatif"], linewidth=1.8)
        difference.axhline(0, color="#333", linewidth=0.8)
        extent = max(MIN_DIFFERENCE_SCALE, 1.1 * float(np.abs(np.stack([paired.p05, paired.p95])).max()))
        difference.set_ylim(-extent, extent)
        time_axis(difference, comparison.baseline.dates)
        difference.set_xlabel("")
        difference.set_title("what-if minus baseline, paired (mean, 5-95%)", fontsize=9)
    fig.text(0.01, 0.005, f"seed {run.seed} · {run.replicates} paired replicates · line: median (share for 0/1 "
             "series), band: 5-95% of replicates", fontsize=7, color="#555")
    fig.subplots_adjust(left=0.07, right=0.98, top=1 - 0.3 / fig.get_figheight(), bottom=0.45 / fig.get_figheight(),
                        hspace=0.35, wspace=0.15)  # fixed margins: tight_layout costs a draw of its own
    return fig


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes (drawing it is most of a chart's cost: about 0.4 s here)."""
    import io

    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def answer_html(answer: Answer) -> str:
    """The question's answer as ``sim compare`` prints it, rendered with raw HTML off."""
    from markdown_it import MarkdownIt

    text = "\n".join(f"* {sentence}" for sentence in answer_sentences(answer))
    return MarkdownIt("commonmark", {"html": False}).render(text)


def contributions_html(contributions: list[Contribution]) -> str:
    """A table of each component's contribution to each outcome, with its 90% interval."""
    rows = "".join(
        f"<tr><td>{html.escape(c.component)}</td><td>{html.escape(describe(*c.outcome))}</td>"
        f"<td>{number(c.mean, signed=True)}</td><td>{number(c.low, signed=True)} to {number(c.high, signed=True)}"
        f"</td><td title=\"{html.escape(c.evidence)}\">{html.escape(c.evidence[:80])}</td></tr>"
        for c in contributions
    )
    return ("<table class=\"sim-contributions\"><tr><th>component</th><th>outcome</th><th>contribution</th>"
            f"<th>90% of paired replicates</th><th>evidence</th></tr>{rows}</table>")
