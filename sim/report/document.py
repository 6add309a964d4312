"""The comparison report a strategist reads: Markdown, and self-contained HTML with the plots inside."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from sim.analysis.compare import Comparison, Effect, effect_size, gains_and_losses, largest_effects
from sim.analysis.explain import Contribution
from sim.analysis.question import Answer
from sim.engine.summary import Summary
from sim.report.decisions import decision_changes, decisions_taken, median_month, probability
from sim.report.prose import DECISIONS_MEANING, describe, effect_sentence, number, percent, points
from sim.scenario.catalogue import ACTOR_LABELS
from sim.scenario.sources import cite

DISCLAIMER = ("The model is a structured thought experiment grounded in the source documents, not a forecast; "
              "intervals show spread over shocks and uncertain parameters, not over model structure.")


FAMILY_TITLES = {"influence": "Influence", "relation": "Attitudes", "institution": "Institutions and decisions",
                 "decision": "Institutions and decisions", "threat": "Context", "stability": "Context",
                 "western_presence": "Context", "sanctions": "Context"}
SCALES = {"influence": "a share of all pull on the state, 0 to 1", "relation": "an attitude from -1 to +1",
          "institution": "a share of replicates", "decision": "a share of replicates"}
LARGE_REMAINDER = 0.25  # share of the total effect above which the report says the remainder is large


def answer_sentences(answer: Answer) -> list[str]:
    """The question's answer in plain sentences, each series on its own scale."""
    out = []
    for a in answer.series:
        metric = a.series[0]
        scale = SCALES.get(metric, "0 to 1")
        b, w, d = a.baseline, a.whatif, a.difference
        direction = "higher" if d.mean > 0 else "lower" if d.mean < 0 else "no different"
        if d.low * d.high > 0:
            low, high = sorted((abs(d.low), abs(d.high)))
            interval = f"90%: {number(low)} to {number(high)}"
        else:
            interval = f"90% interval {number(d.low, signed=True)} to {number(d.high, signed=True)}, includes no change"
        size = effect_size(d.mean, metric, b.high - b.low)  # "higher in 100%" alone reads like a sure win
        out.append(f"**{describe(*a.series)}** ({scale}), mean over {answer.first} to {answer.last}: baseline "
                   f"{number(b.mean)} (90% of replicates {number(b.low)} to {number(b.high)}), what-if "
                   f"{number(w.mean)} ({number(w.low)} to {number(w.high)}). The what-if is "
                   f"{number(abs(d.mean))} {direction}, a {size} effect ({interval}; higher in "
                   f"{percent(a.p_higher)} of paired replicates).")
    if answer.threshold:
        t = answer.threshold
        out.append(f"**`{t.text}`** holds in {t.end_date} in {percent(t.baseline_at_end)} of baseline replicates "
                   f"and {percent(t.whatif_at_end)} of what-if replicates; in at least one month from "
                   f"{answer.first} to {answer.last}: {percent(t.baseline_ever)} and {percent(t.whatif_ever)}.")
    return out


def decision_blocks(baseline: Summary, whatif: Summary | None = None) -> list[tuple[str, object]]:
    """The "Decisions" section: each rule taken in any replicate, its probability by the end and its
    median month; with a what-if, both scenarios side by side and the difference, so a strategist
    sees which decisions the what-if makes more or less likely, and when. Empty when the run
    records no decisions."""
    if not any(metric == "decision" for metric, _, _ in baseline.series):
        return []
    end = baseline.dates[-1]
    blocks: list[tuple[str, object]] = [("h2", "Decisions")]
    if whatif is None:
        taken = decisions_taken(baseline)
        rows = [["rule", "actor", f"probability by {end}", "median month"]]
        rows += [[d.label, ACTOR_LABELS.get(d.actor, d.actor), percent(d.probability), d.median_month] for d in taken]
        which = "any replicate"
    else:
        changes = decision_changes(baseline, whatif)
        taken = changes
        rows = [["rule", "actor", f"probability by {end}: baseline", "probability: what-if",
                 "difference (percentage points)", "median month: baseline", "median month: what-if"]]
        rows += [[c.label, ACTOR_LABELS.get(c.actor, c.actor), percent(probability(c.baseline)),
                  percent(probability(c.whatif)), points(c.difference), median_month(c.baseline),
                  median_month(c.whatif)] for c in changes]
        which = "any replicate of either scenario"
    if not taken:
        blocks.append(("p", f"No actor took a decision in {which}."))
        return blocks
    blocks.append(("p", f"Each rule an actor took in {which} ({DECISIONS_MEANING})."))
    blocks.append(("table", rows))
    return blocks


def gains_blocks(comparison: Comparison) -> list[tuple[str, object]]:
    """"Who gains and who loses": per state whose influence moves, every actor's change there by the
    end and the outside share's, so the winners of a vacuum are named even when the largest effects,
    ranked against each series' own spread, list others."""
    moved = gains_and_losses(comparison)
    if not moved:
        return []
    end = comparison.difference.dates[-1]
    blocks: list[tuple[str, object]] = [("h2", "Who gains and who loses")]
    for target, shares in moved.items():
        rows = [["influence of", "baseline", "what-if", "difference (90% interval)", "size"]]
        for share in shares:
            interval = "" if share.low != share.low else f" ({number(share.low, signed=True)} to " \
                                                        f"{number(share.high, signed=True)})"
            who = "the outside world (1 minus the six actors)" if share.actor == "outside" else \
                ACTOR_LABELS.get(share.actor, share.actor)
            rows.append([who, number(share.baseline), number(share.whatif),
                         number(share.difference, signed=True) + interval, share.size])
        blocks.append(("p", f"**On {ACTOR_LABELS.get(target, target)}, by {end}** (every actor, largest gain "
                            "first; influences share one whole, so one actor's gain is others' loss)"))
        blocks.append(("table", rows))
    return blocks


def report_sections(comparison: Comparison, question: str, effects: list[Effect],
                    contributions: list[Contribution], plots: list[str], meta: dict) -> list[tuple[str, object]]:
    """Report content as (kind, value) blocks, rendered to Markdown and HTML alike."""
    answer = comparison.answer
    levels = [("img", plot) for plot in plots if _is_levels_plot(plot)]  # under the answer, else the effects
    blocks = _opening_blocks(comparison, question, meta)
    if answer:
        blocks += [("h2", "The answer"), ("ul", answer_sentences(answer)), *levels]
    blocks.append(("h2", "Largest effects over the run"))
    if not answer:
        blocks += levels
    blocks += effect_blocks(effects)
    blocks += gains_blocks(comparison)
    blocks += decision_blocks(comparison.baseline, comparison.whatif)
    blocks += explanation_blocks(contributions, effects)
    blocks.append(("h2", "Plots"))
    blocks += [("img", plot) for plot in plots if not _is_levels_plot(plot)]
    blocks.append(("p", f"*{DISCLAIMER}* Full numbers: `effects.csv`."))
    return blocks


def _is_levels_plot(plot: str) -> bool:
    return Path(plot).stem.startswith("levels_")


def _opening_blocks(comparison: Comparison, question: str, meta: dict) -> list[tuple[str, object]]:
    """Title, the question asked (the comparison's own, else ``question``), the design, any warnings."""
    answer = comparison.answer
    asked = (answer.question.text if answer and answer.question.text else question)
    blocks: list[tuple[str, object]] = [
        ("h1", f"{comparison.whatif.scenario} compared with {comparison.baseline.scenario}"),
        ("p", f"**Question.** {asked}" if asked else "**Question.** (the what-if has no description)"),
        ("p", f"{meta['replicates']} paired replicates, seed {meta['seed']}, common random numbers; "
              f"{comparison.difference.dates[0]} to {comparison.difference.dates[-1]}."),
    ]
    blocks += [("p", f"**Warning:** {warning}") for warning in comparison.warnings]
    return blocks


def effect_blocks(effects: list[Effect]) -> list[tuple[str, object]]:
    """The largest effects in sentences, grouped by family (influence, attitudes, ...)."""
    blocks: list[tuple[str, object]] = []
    if not effects:
        blocks.append(("p", "No measurable difference: the what-if changes nothing the model records."))
    families: dict[str, list[str]] = {}
    for effect in effects:
        families.setdefault(FAMILY_TITLES.get(effect.metric, "Other"), []).append(effect_sentence(effect))
    for title, sentences in families.items():
        blocks.append(("p", f"**{title}** (each series at the month where the what-if moves it most, relative "
                            "to the baseline's own spread)"))
        blocks.append(("ul", sentences))
    return blocks


def explanation_blocks(contributions: list[Contribution], effects: list[Effect]) -> list[tuple[str, object]]:
    """"What explains them": each change's contribution at its effect's month, and a note wherever the
    interaction remainder is a large share of the total effect. Empty without contributions."""
    if not contributions:
        return []
    blocks: list[tuple[str, object]] = [
        ("h2", "What explains them"),
        ("p", "Each change in the what-if was reverted on its own and the run repeated on the same "
              "replicates; its contribution is the paired difference it makes at the effect's month. "
              "Budget crowding (a fixed lever paid for by its siblings) is its own line; changes the "
              "what-if inherits from a parent file are one line, 'inherited from ...'. What the "
              "contributions do not add up to is the interaction remainder."),
    ]
    rows = [["change", "evidence", "outcome", "month", "contribution (90% interval)"]]
    dates = {(e.metric, e.source, e.target): e.date for e in effects}
    for c in contributions:
        rows.append([c.component, cite(c.evidence), describe(*c.outcome), dates.get(c.outcome, "end"),
                     f"{number(c.mean, signed=True)} ({number(c.low, signed=True)} to "
                     f"{number(c.high, signed=True)})"])
    blocks.append(("table", rows))
    for c in contributions:
        share = _interaction_share(c, contributions)
        if share is not None:
            blocks.append(("p", f"**Note:** for {describe(*c.outcome)}, {percent(share)} of the total effect is "
                                "interaction: the changes work through each other (one only matters because of "
                                "another), so no single change can be credited with it."))
    return blocks


def _interaction_share(line: Contribution, contributions: list[Contribution]) -> float | None:
    """The share of its outcome's total effect that ``line`` is, when it is an interaction remainder
    larger than LARGE_REMAINDER of a non-zero total; None otherwise."""
    total = next((t for t in contributions if t.component == "total effect" and t.outcome == line.outcome), None)
    if line.component == "interaction remainder" and total and abs(total.mean) > 1e-9 \
            and abs(line.mean) > LARGE_REMAINDER * abs(total.mean):
        return abs(line.mean) / abs(total.mean)
    return None


def options_sections(result, plots: list[str], meta: dict) -> list[tuple[str, object]]:
    """``sim compare BASELINE A B C``: one table and one chart per outcome with every option against the
    baseline, ranked; then each option's largest effects in sentences."""
    names = ", ".join(c.whatif.scenario for c in result.comparisons)
    end = result.comparisons[0].difference.dates[-1]
    blocks: list[tuple[str, object]] = [
        ("h1", f"{len(result.comparisons)} options compared with {result.baseline}"),
        ("p", f"Options: {names}. {meta['replicates']} paired replicates per option, seed {meta['seed']}, the "
              "same random draws for the baseline and every option, so the options differ only by what they "
              "change."),
    ]
    for outcome in result.outcomes:
        ranking = result.ranking(outcome)
        blocks.append(("h2", f"{describe(*outcome)}, by {end}"))
        best = ranking[0]
        blocks.append(("p", f"Ranked by the change from the baseline ({number(best.baseline)}): "
                            f"**{best.option}** moves it most, {number(best.difference, signed=True)} "
                            f"({best.size or 'no'} effect)."))
        rows = [["rank", "option", "baseline", "option's value", "difference (90% interval)", "size",
                 "higher in"]]
        for rank, r in enumerate(ranking, 1):
            rows.append([str(rank), r.option, number(r.baseline), number(r.whatif),
                         f"{number(r.difference, signed=True)} ({number(r.low, signed=True)} to "
                         f"{number(r.high, signed=True)})", r.size, percent(r.p_higher)])
        blocks.append(("table", rows))
        blocks += [("img", plot) for plot in plots if Path(plot).stem == "options_" + "_".join(outcome)]
    blocks.append(("h2", "Each option's largest effects"))
    for comparison in result.comparisons:
        sentences = [effect_sentence(e) for e in largest_effects(comparison)]
        blocks.append(("p", f"**{comparison.whatif.scenario}**"))
        blocks.append(("ul", sentences or ["No effect larger than negligible."]))
    blocks.append(("p", f"*{DISCLAIMER}*"))
    return blocks


def to_markdown(blocks: list[tuple[str, object]], image_source=str) -> str:
    """The report as Markdown; ``image_source`` maps a plot's path to the link written (a data URI for HTML)."""
    out = []
    for kind, value in blocks:
        if kind == "h1":
            out.append(f"# {value}\n")
        elif kind == "h2":
            out.append(f"## {value}\n")
        elif kind == "p":
            out.append(f"{value}\n")
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in value) + "\n")
        elif kind == "table":
            header, *rows = value
            lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
            out.append("\n".join(lines) + "\n")
        elif kind == "img":
            out.append(f"![{Path(value).stem}]({image_source(value)})\n")
    return "\n".join(out)


def to_html(blocks: list[tuple[str, object]], folder: Path) -> str:
    """One self-contained page: the Markdown rendered by markdown-it (CommonMark with tables, raw
    HTML off, so text from scenario files is always escaped), plots embedded as data URIs."""
    from markdown_it import MarkdownIt

    def embedded(plot: str) -> str:
        return "data:image/png;base64," + base64.b64encode((folder / plot).read_bytes()).decode()

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(to_markdown(blocks, embedded))
    style = ("body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222;"
             "line-height:1.45}table{border-collapse:collapse;font-size:.85em;width:100%}th,td{border:1px solid "
             "#ccc;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}"
             "figure{margin:1em 0}code{background:#f3f3f3;padding:0 .2em}li{margin:.3em 0}")
    title = html.escape(str(blocks[0][1]))
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{style}</style></head><body>\n" + body + "</body></html>\n")
