"""Several what-ifs against one baseline: each option paired with the baseline on the same random
draws, then ranked on the outcomes the user asks about (``sim compare BASELINE A B C``).

A strategist weighs three or four options, not one. Every option runs with the baseline's seed and
replicate streams, so the options differ from each other only by what they change, and their
differences from the baseline can be ranked side by side. The outcomes are the question's
(``--outcome`` or the options' shared ``question:``), else each option's largest influence effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sim.analysis.compare import Comparison, EndEffect, compare_scenarios, end_effect, largest_effects
from sim.engine.executors import Executor
from sim.scenario.loader import Question, Scenario

SeriesKey = tuple[str, str, str]


@dataclass(frozen=True)
class OptionResult(EndEffect):
    """One option's paired difference from the baseline on one outcome, at the end of the run."""

    option: str = ""


@dataclass(frozen=True)
class OptionsComparison:
    baseline: str
    comparisons: tuple[Comparison, ...]  # one per option, in the order given
    outcomes: tuple[SeriesKey, ...]

    def ranking(self, outcome: SeriesKey) -> list[OptionResult]:
        """Every option on ``outcome`` at the end of the run, largest increase first."""
        rows = [OptionResult(**vars(end_effect(comparison, outcome)), option=comparison.whatif.scenario)
                for comparison in self.comparisons]
        return sorted(rows, key=lambda r: -r.difference)


def compare_options(baseline: Scenario, options: Sequence[Scenario], n_replicates: int, seed: int, *,
                    outcomes: Sequence[SeriesKey] = (), question: Question | None = None,
                    on_step: Callable[[int], None] | None = None,
                    executor: Executor | None = None) -> OptionsComparison:
    """Each option against the baseline on common random numbers; ``outcomes`` ranked (default: the
    question's outcomes, else each option's largest influence effect)."""
    comparisons = tuple(compare_scenarios(baseline, option, n_replicates, seed, question=question, on_step=on_step,
                                          executor=executor) for option in options)
    chosen = list(outcomes)
    if not chosen:
        for comparison in comparisons:
            top = next((e for e in largest_effects(comparison) if e.metric == "influence"), None)
            if top and (top.metric, top.source, top.target) not in chosen:
                chosen.append((top.metric, top.source, top.target))
    if not chosen:
        chosen = [("influence", "russia", "mali")]
    return OptionsComparison(baseline.name, comparisons, tuple(chosen))
