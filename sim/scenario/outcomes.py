"""Outcome expressions: the numeric dialect of the scenario expression language.

Outcomes read recorded series (``sim.scenario.expressions`` has the grammar):

    series   := METRIC "." SOURCE ["." TARGET] ["@" (YYYY-MM | "start" | "end")]
    FUNCTION := mean | min | max            (over the months of the run, of a series without @)

Examples: ``influence.morocco.mali@2024-12``, ``mean(influence.russia.mali)``,
``relation.mali.algeria@end - relation.mali.algeria@start``, ``threat.mali``, and comparisons,
which count as 1 or 0 per replicate (their mean is a probability):
``influence.russia.mali > influence.morocco.mali``. A bare series means its value at the end
of the run. Evaluated per replicate: shape (R,).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from sim.errors import ExpressionError, InputError, Problem, did_you_mean
from sim.scenario.catalogue import ACTORS, CONTEXT_METRICS, METRICS, load_catalogue
from sim.scenario.expressions import Dialect, Node, evaluate_expression, parse
from sim.scenario.institutions import load_institutions
from sim.scenario.months import parse_month

if TYPE_CHECKING:  # parsing stays free of NumPy, so `sim validate` can check outcomes cheaply
    import numpy as np

    from sim.model.trajectories import Trajectories

FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda x: x.mean(axis=1),
    "min": lambda x: x.min(axis=1),
    "max": lambda x: x.max(axis=1),
}


class OutcomeError(ExpressionError):
    """A syntax or name error in an outcome expression."""


class Series(NamedTuple):
    """One recorded series at one month: ``key`` is (metric, source, target), ``when`` a
    YYYY-MM text, "start", "end", or "all" (the argument of a function over the run)."""

    key: tuple[str, str, str]
    when: str


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome expression; call ``evaluate(trajectories)`` for one value per replicate."""

    text: str
    tree: Node

    def evaluate(self, trajectories: Trajectories) -> np.ndarray:
        import numpy as np

        value = evaluate_expression(self.tree, lambda node: _read(node, trajectories))
        return np.broadcast_to(np.asarray(value, dtype=float), (trajectories.values.shape[0],)).astype(float)

    def series(self) -> list[tuple[str, str, str]]:
        """Every series the expression reads."""
        return [node.value.key for node in self.tree.walk() if node.op == "name"]

    @property
    def single_series(self) -> Series | None:
        """The series when the whole expression is one series (``influence.morocco.mali@end``)."""
        return self.tree.value if self.tree.op == "name" else None

    def months_outside(self, first: str, last: str) -> list[str]:
        """Months named with ``@YYYY-MM`` that fall outside ``first..last``: checked before a run,
        so a mistyped year is refused in a second rather than after the computation."""
        found = [node.value.when for node in self.tree.walk()
                 if node.op == "name" and node.value.when not in ("start", "end", "all")]
        return [m for m in found if not first <= m <= last]


class _Outcomes(Dialect):
    error = OutcomeError
    noun = "outcome"
    name_noun = "series"
    functions = tuple(FUNCTIONS)
    months = False

    def __init__(self, lever_ids: dict[str, list[str]]):
        self.lever_ids = lever_ids

    def name(self, text: str, offset: int) -> Series:
        name, _, when = text.partition("@")
        key = self.series_key(name, offset)
        if when and when not in ("start", "end") and parse_month(when) is None:
            raise OutcomeError(f"'@{when}': expected @YYYY-MM, @start or @end", offset + len(name))
        return Series(key, when or "end")

    def function_argument(self, function: str, text: str, offset: int) -> Series:
        if "@" in text:
            raise OutcomeError(f"{function}(...) takes a series without '@', e.g. {function}(influence.russia.mali)",
                               offset)
        return Series(self.series_key(text, offset), "all")

    def series_key(self, name: str, offset: int) -> tuple[str, str, str]:
        parts = name.split(".")
        metric = parts[0]
        if metric not in METRICS:
            raise OutcomeError(f"unknown metric '{metric}'{did_you_mean(metric, METRICS)}", offset)
        expected = 2 if metric in CONTEXT_METRICS else 3
        if len(parts) != expected:
            form = f"{metric}.<state>" if expected == 2 else f"{metric}.<source>.<target>"
            raise OutcomeError(f"'{name}' should be {form}", offset)
        source = parts[1]
        if source not in ACTORS:
            raise OutcomeError(f"unknown actor '{source}'{did_you_mean(source, ACTORS)}", offset)
        target = parts[2] if expected == 3 else ""
        if metric in ("influence", "relation") and target not in ACTORS:
            raise OutcomeError(f"unknown actor '{target}'{did_you_mean(target, ACTORS)}", offset)
        if metric in ("influence", "relation") and target == source:
            raise OutcomeError(f"'{name}': an actor has no {metric} on itself; name two different actors", offset)
        if metric in ("institution", "decision"):
            catalogue = load_institutions()
            own = (catalogue.names_by_holder().get(source, []) if metric == "institution"
                   else [d.id for d in catalogue.decisions if d.actor == source])
            if target not in own:
                raise OutcomeError(f"unknown {metric} '{target}' of {source}{did_you_mean(target, own)}", offset)
        if metric == "effort" and self.lever_ids and target not in self.lever_ids.get(source, []):
            hint = did_you_mean(target, self.lever_ids.get(source, []))
            raise OutcomeError(f"unknown lever '{target}' for {source}{hint}", offset)
        return metric, source, target


def parse_outcome(text: str, lever_ids: dict[str, list[str]] | None = None) -> Outcome:
    return Outcome(text, parse(text, _Outcomes(lever_ids or {})))


def _read(node: Node, t: Trajectories) -> np.ndarray:
    series: Series = node.args[0].value if node.op == "func" else node.value
    values = t.get(*series.key)
    if node.op == "func":
        return FUNCTIONS[node.value](values)
    if series.when == "start":
        return values[:, 0]
    if series.when == "end":
        return values[:, -1]
    if series.when not in t.dates:
        raise OutcomeError(f"{series.when} is outside the run {t.dates[0]}..{t.dates[-1]}", 0)
    return values[:, t.dates.index(series.when)]


def parse_outcomes(texts: list[str] | tuple[str, ...], first: str, last: str, where: str) -> list[Outcome]:
    """Outcome expressions checked against the catalogue and the run's months ``first..last``.

    Every problem is collected into one InputError located at ``where`` (``--outcome``,
    ``simulate: outcomes``) followed by the expression, the column pointing inside it.
    """
    levers = load_catalogue().lever_ids()
    out, problems = [], []
    for text in texts:
        text = str(text)
        shown, start = f"{where} {text}", len(where) + 1
        try:
            outcome = parse_outcome(text, levers)
        except OutcomeError as exc:
            problems.append(Problem(shown, 1, start + exc.offset + 1, str(exc)))
            continue
        outside = outcome.months_outside(first, last)
        if outside:
            column = start + text.index("@" + outside[0]) + 2
            problems.append(Problem(shown, 1, column, f"{outside[0]} is outside the run {first}..{last}"))
            continue
        out.append(outcome)
    if problems:
        raise InputError(problems)
    return out
