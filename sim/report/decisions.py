"""Decisions as probabilities with dates: which rules fired, how likely by the end, and when.

A ``decision`` series is 0 in a replicate until its rule fires and 1 from then on (the model
never resets it), so its share of replicates by month is the cumulative probability that the
rule has been taken, and the first month where that share reaches half its final value is the
median month among the replicates that took it. The console, the decisions plot and the
compare report all read decisions through this module, so they give the same numbers in the
same words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.summary import Summary
from sim.scenario.catalogue import ACTOR_LABELS

NOT_TAKEN = "not taken"  # the median month of a rule no replicate took
PROPER = {**ACTOR_LABELS, "g5": "G5", "sahel": "Sahel", "atlantic": "Atlantic", "russian": "Russian",
          "algerian": "Algerian", "moroccan": "Moroccan"}  # words of ids that English capitalises


@dataclass(frozen=True)
class DecisionTaken:
    """One rule that fired in at least one replicate."""

    actor: str
    rule: str
    probability: float  # share of replicates where it has been taken by the last month
    median_month: str  # the month by which half of the replicates that took it had taken it
    taken: int  # replicates where it was taken

    @property
    def label(self) -> str:
        return decision_label(self.actor, self.rule)


def words(identifier: str) -> str:
    """``russian_forces`` -> "Russian forces", ``mali_rejoins_ecowas`` -> "Mali rejoins ECOWAS": ids a
    reader can read, with actor names spelt as everywhere else."""
    return " ".join(PROPER.get(word, word) for word in identifier.split("_"))


def decision_label(actor: str, rule: str) -> str:
    """``("mali", "mali_joins_atlantic_initiative")`` -> "Mali joins Atlantic initiative"; a rule whose
    id does not start with its actor is prefixed by the actor ("Mali: ...")."""
    if rule.startswith(f"{actor}_"):
        return words(rule)
    return f"{ACTOR_LABELS.get(actor, actor)}: {words(rule)}"


def taken_by_month(summary: Summary, actor: str, rule: str) -> np.ndarray:
    """Replicates where the rule has been taken, by month (integers).

    Read from the share of replicates above zero when the summary has it (exact counts), else from
    the mean, which for a 0/1 series is the same share."""
    column = summary.series.series.index(("decision", actor, rule))
    share = summary.positive[:, column] if summary.positive is not None else summary["mean"][:, column]
    return np.rint(np.asarray(share, dtype=float) * summary.n_replicates).astype(np.int64)


def decision_taken(summary: Summary, actor: str, rule: str) -> DecisionTaken | None:
    """The probability and median month of one rule, or None when no replicate took it."""
    taken = taken_by_month(summary, actor, rule)
    total = int(taken[-1])
    if total <= 0:
        return None
    median = int(np.argmax(2 * taken >= total))  # the first month by which half (rounded up) had taken it
    return DecisionTaken(actor, rule, total / summary.n_replicates, summary.dates[median], total)


def decisions_taken(summary: Summary) -> list[DecisionTaken]:
    """Every rule taken in any replicate, most probable first (ties by actor, then rule)."""
    found = [decision_taken(summary, actor, rule) for metric, actor, rule in summary.series if metric == "decision"]
    return sorted((d for d in found if d is not None), key=lambda d: (-d.taken, d.actor, d.rule))


@dataclass(frozen=True)
class DecisionChange:
    """One rule taken in either scenario of a comparison; ``None`` on the side where it never was."""

    actor: str
    rule: str
    baseline: DecisionTaken | None
    whatif: DecisionTaken | None

    @property
    def label(self) -> str:
        return decision_label(self.actor, self.rule)

    @property
    def difference(self) -> float:
        """What-if minus baseline probability by the end (the mean paired difference)."""
        return probability(self.whatif) - probability(self.baseline)


def probability(decision: DecisionTaken | None) -> float:
    return decision.probability if decision else 0.0


def median_month(decision: DecisionTaken | None) -> str:
    return decision.median_month if decision else NOT_TAKEN


def decision_changes(baseline: Summary, whatif: Summary) -> list[DecisionChange]:
    """Every rule taken in either scenario, the largest change in probability first (then the more
    probable, then actor and rule), so a strategist reads what the what-if changes at the top."""
    before = {(d.actor, d.rule): d for d in decisions_taken(baseline)}
    after = {(d.actor, d.rule): d for d in decisions_taken(whatif)}
    changes = [DecisionChange(actor, rule, before.get((actor, rule)), after.get((actor, rule)))
               for actor, rule in before.keys() | after.keys()]
    return sorted(changes, key=lambda c: (-abs(c.difference), -max(probability(c.baseline), probability(c.whatif)),
                                          c.actor, c.rule))
