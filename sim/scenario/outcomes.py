"""Outcome expressions: named quantities computed from trajectories, parsed, never eval'd.

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := NUMBER | "-" factor | "(" expression ")" | FUNC "(" series ")" | series
    series     := METRIC "." SOURCE ["." TARGET] ["@" (YYYY-MM | "start" | "end")]
    FUNC       := mean | min | max            (over the months of the run)

Examples: ``influence.morocco.mali@2024-12``, ``mean(influence.russia.mali)``,
``relation.mali.algeria@end - relation.mali.algeria@start``, ``threat.mali``. A bare series
means its value at the end of the run. Evaluated per replicate: shape (R,).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.errors import ExpressionError, did_you_mean
from sim.scenario.catalogue import ACTORS, CONTEXT_METRICS, METRICS
from sim.scenario.expressions import TokenCursor, tokenize
from sim.scenario.months import parse_month

if TYPE_CHECKING:  # parsing stays free of NumPy, so `sim validate` can check outcomes cheaply
    import numpy as np

    from sim.model.trajectories import Trajectories

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)"
                    r"|(?P<series>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:@[A-Za-z0-9_-]+)?)"
                    r"|(?P<op>[-+*/()]))")
FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda x: x.mean(axis=1),
    "min": lambda x: x.min(axis=1),
    "max": lambda x: x.max(axis=1),
}


class OutcomeError(ExpressionError):
    """A syntax or name error in an outcome expression."""


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome expression; call ``evaluate(trajectories)`` for one value per replicate."""

    text: str
    tree: tuple

    def evaluate(self, trajectories: Trajectories) -> np.ndarray:
        import numpy as np

        return np.broadcast_to(_evaluate(self.tree, trajectories), (trajectories.values.shape[0],)).astype(float)

    def series(self) -> list[tuple[str, str, str]]:
        """Every series the expression reads."""
        out: list = []
        _collect(self.tree, out)
        return out

    def months_outside(self, first: str, last: str) -> list[str]:
        """Months named with ``@YYYY-MM`` that fall outside ``first..last``: checked before a run,
        so a mistyped year is refused in a second rather than after the computation."""
        found: list[str] = []
        _collect_months(self.tree, found)
        return [m for m in found if not first <= m <= last]


def parse_outcome(text: str, lever_ids: dict[str, list[str]] | None = None) -> Outcome:
    tokens = tokenize(text, _TOKEN, OutcomeError)
    parser = _Parser(text, tokens, lever_ids or {})
    if not tokens:
        raise OutcomeError("empty outcome", 0)
    tree = parser.expression()
    if parser.index < len(tokens):
        raise OutcomeError(f"unexpected {tokens[parser.index][1]!r}", tokens[parser.index][2])
    return Outcome(text, tree)


def parse_outcomes(texts: list[str] | tuple[str, ...], first: str, last: str, where: str) -> list[Outcome]:
    """Outcome expressions checked against the catalogue and the run's months ``first..last``.

    Every problem is collected into one InputError located at ``where`` (``--outcome``,
    ``simulate: outcomes``) followed by the expression, the column pointing inside it.
    """
    from sim.errors import InputError, Problem
    from sim.scenario.catalogue import load_catalogue

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


class _Parser(TokenCursor):
    error = OutcomeError

    def __init__(self, text: str, tokens: list, lever_ids: dict[str, list[str]]):
        super().__init__(text, tokens)
        self.lever_ids = lever_ids

    def expression(self) -> tuple:
        node = self.term()
        while (token := self.peek()) and token[1] in "+-" and token[0] == "op":
            self.take()
            node = (token[1], node, self.term())
        return node

    def term(self) -> tuple:
        node = self.factor()
        while (token := self.peek()) and token[1] in "*/" and token[0] == "op":
            self.take()
            node = (token[1], node, self.factor())
        return node

    def factor(self) -> tuple:
        kind, value, offset = self.take()
        if kind == "number":
            return ("num", float(value))
        if value == "-":
            return ("neg", self.factor())
        if value == "(":
            node = self.expression()
            closing = self.peek()
            if not closing or closing[1] != ")":
                raise OutcomeError("missing ')'", closing[2] if closing else len(self.text))
            self.take()
            return node
        if kind == "series" and value in FUNCTIONS:
            opening = self.take()
            if opening[1] != "(":
                raise OutcomeError(f"expected '(' after {value}", opening[2])
            inner_kind, inner, inner_offset = self.take()
            if inner_kind != "series" or "@" in inner:
                raise OutcomeError(f"{value}(...) takes a series without '@', e.g. {value}(influence.russia.mali)",
                                   inner_offset)
            closing = self.take()
            if closing[1] != ")":
                raise OutcomeError("missing ')'", closing[2])
            return ("func", value, self.series(inner, inner_offset)[1])
        if kind == "series":
            return self.series(value, offset)
        raise OutcomeError(f"unexpected {value!r}", offset)

    def series(self, value: str, offset: int) -> tuple:
        name, _, when = value.partition("@")
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
        if metric in ("institution", "decision"):
            from sim.scenario.institutions import load_institutions

            catalogue = load_institutions()
            own = (catalogue.names_by_holder().get(source, []) if metric == "institution"
                   else [d.id for d in catalogue.decisions if d.actor == source])
            if target not in own:
                raise OutcomeError(f"unknown {metric} '{target}' of {source}{did_you_mean(target, own)}", offset)
        if metric == "effort" and self.lever_ids and target not in self.lever_ids.get(source, []):
            hint = did_you_mean(target, self.lever_ids.get(source, []))
            raise OutcomeError(f"unknown lever '{target}' for {source}{hint}", offset)
        if when and when not in ("start", "end") and parse_month(when) is None:
            raise OutcomeError(f"'@{when}': expected @YYYY-MM, @start or @end", offset + len(name))
        return ("series", (metric, source, target), when or "end")


def _evaluate(node: tuple, t: Trajectories):
    import numpy as np

    op = node[0]
    if op == "num":
        return node[1]
    if op == "neg":
        return -_evaluate(node[1], t)
    if op in "+-*/":
        left, right = _evaluate(node[1], t), _evaluate(node[2], t)
        return {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}[op](left, right)
    if op == "func":
        return FUNCTIONS[node[1]](t.get(*node[2]))
    key, when = node[1], node[2]
    values = t.get(*key)
    if when == "start":
        return values[:, 0]
    if when == "end":
        return values[:, -1]
    if when not in t.dates:
        raise OutcomeError(f"{when} is outside the run {t.dates[0]}..{t.dates[-1]}", 0)
    return values[:, t.dates.index(when)]


def _collect(node: tuple, out: list) -> None:
    if node[0] == "series":
        out.append(node[1])
    elif node[0] == "func":
        out.append(node[2])
    elif node[0] in ("neg",):
        _collect(node[1], out)
    elif node[0] in "+-*/" and len(node) == 3:
        _collect(node[1], out)
        _collect(node[2], out)


def _collect_months(node: tuple, out: list) -> None:
    if node[0] == "series":
        if node[2] not in ("start", "end"):
            out.append(node[2])
    elif node[0] == "neg":
        _collect_months(node[1], out)
    elif node[0] in "+-*/" and len(node) == 3:
        _collect_months(node[1], out)
        _collect_months(node[2], out)
