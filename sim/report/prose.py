"""The words of reports: numbers a reader can trust, series named in English, effects as sentences.

Analysis modules return numbers; everything a person reads is phrased here, so the report
and the console lines say the same thing the same way.
"""

from __future__ import annotations

from sim.analysis.compare import Effect
from sim.engine.summary import Summary
from sim.report.decisions import DecisionTaken, decisions_taken
from sim.scenario.catalogue import ACTOR_LABELS


def number(x: float, *, signed: bool = False) -> str:
    """A number a reader can trust: never "0.00" for something that is not zero.

    Whole numbers from 10 (percentage points), two decimals from 0.1, three from 0.01, else two
    significant figures (0.0036, 4.1e-05).
    """
    sign = "+" if signed and x > 0 else ""
    if x == 0:
        return "0"
    size = abs(x)
    if size >= 10:  # percentage points
        return f"{sign}{x:.0f}"
    if size >= 0.1:
        return f"{sign}{x:.2f}"
    if size >= 0.01:
        return f"{sign}{x:.3f}"
    return f"{sign}{x:.2g}" if size >= 1e-4 else f"{sign}{x:.1e}"


def percent(share: float) -> str:
    """Shares as percentages, with "<1%" / ">99%" rather than a rounded 0% or 100% that is not exact."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


def points(difference: float) -> str:
    """A difference of two shares in signed percentage points, never "+0" for one that is not zero."""
    value = 100 * difference
    if value == 0:
        return "0"
    return f"{value:+.0f}" if abs(value) >= 1 else f"{value:+.1g}"


DECISIONS_MEANING = "probability = share of replicates; median month among the replicates that took it"


def decision_text(decision: DecisionTaken) -> str:
    """e.g. "Mali joins atlantic initiative: probability 86%, median month 2023-12"."""
    return f"{decision.label}: probability {percent(decision.probability)}, median month {decision.median_month}"


def decisions_line(summary: Summary) -> str | None:
    """The console's one line on decisions (``sim run``), or None when no rule fired in any replicate."""
    taken = decisions_taken(summary)
    if not taken:
        return None
    return (f"Decisions taken by {summary.dates[-1]} ({DECISIONS_MEANING}): "
            + "; ".join(decision_text(d) for d in taken))


def describe(metric: str, source: str, target: str) -> str:
    if metric == "influence":
        return f"{ACTOR_LABELS[source]}'s influence on {ACTOR_LABELS[target]}"
    if metric == "relation":
        return f"{ACTOR_LABELS[source]}'s attitude towards {ACTOR_LABELS[target]}"
    if metric == "effort":
        return f"{ACTOR_LABELS[source]}'s effort on {target.replace('_', ' ')}"
    if metric == "institution":
        return f"The share of replicates where {ACTOR_LABELS[source]}'s {target.replace('_', ' ')} is in force"
    if metric == "decision":
        return f"The share of replicates where {target.replace('_', ' ')} has happened"
    return f"{metric.replace('_', ' ').capitalize()} in {ACTOR_LABELS[source]}"


def effect_sentence(effect: Effect) -> str:
    """e.g. "In 2022-06, Algeria's influence on Mali is 0.036 lower (90%: 0.026 to 0.048) ..."."""
    direction = "higher" if effect.mean > 0 else "lower"
    unit = " percentage points" if effect.metric in ("institution", "decision") else ""
    scale = 100 if unit else 1
    if effect.low * effect.high > 0:
        low, high = sorted((abs(effect.low) * scale, abs(effect.high) * scale))
        interval = f"90%: {number(low)} to {number(high)}"
    else:
        interval = (f"the 90% interval {number(effect.low * scale, signed=True)} to "
                    f"{number(effect.high * scale, signed=True)} includes no change")
    subject = describe(effect.metric, effect.source, effect.target)
    levels = ""
    if effect.baseline == effect.baseline:  # not NaN
        levels = f"; {number(effect.baseline * scale)} in the baseline, {number(effect.whatif * scale)} in the what-if"
        if unit:
            levels = f"; {percent(effect.baseline)} of baseline replicates, {percent(effect.whatif)} of what-if ones"
    subject = subject[0].lower() + subject[1:] if subject.startswith("The ") else subject
    size = f", a {effect.size} effect" if effect.size else ""
    return (f"In {effect.date}, {subject} is "
            f"{number(abs(effect.mean) * scale)}{unit} {direction}{size} ({interval}{levels}; higher in "
            f"{percent(effect.p_higher)} of paired replicates)")
