"""Trigger conditions: a small grammar parsed here, never evaluated as Python.

    expression := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand [("<" | "<=" | ">" | ">=" | "==" | "!=") operand]
    operand    := NUMBER | YYYY-MM | path | "(" expression ")"
    path       := influence.<actor>.<actor> | relation.<actor>.<actor>
                | context.<actor>.<threat|stability|western_presence|western_commitment|sanctions>
                | effort.<actor>.<lever> | institution.<holder>.<name> | parameters.<name> | month | step

``month`` compares with YYYY-MM literals (``month >= 2023-01``). A parsed condition is
evaluated on the model's arrays and gives one truth value per replicate.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.errors import ExpressionError, did_you_mean
from sim.scenario.expressions import Token, TokenCursor
from sim.scenario.expressions import tokenize as tokenize_with
from sim.scenario.months import parse_month
from sim.scenario.paths import READ_ROOTS, READABLE_CONTEXT, PathError, parse_path

_TOKEN = re.compile(
    r"\s*(?:(?P<month>\d{4}-\d{2}(?![\d.]))|(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|(?P<op><=|>=|==|!=|<|>)"
    r"|(?P<paren>[()])|(?P<minus>-))"
)
if TYPE_CHECKING:
    import numpy as np

# operator functions work elementwise on arrays; NumPy itself is not imported to parse
# (keeps `sim validate` fast).
_COMPARE: dict[str, Callable] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
KEYWORDS = ("and", "or", "not")
CONTEXT_NAMES = READABLE_CONTEXT  # sim.scenario.paths: the one table of context variables


class ConditionError(ExpressionError):
    """A syntax or name error in a trigger condition."""


@dataclass(frozen=True)
class Node:
    """A parsed condition: ``op`` is a comparison, and/or/not, ``num``, ``month`` or ``path``."""

    op: str
    args: tuple = ()
    value: object = None


def tokenize(text: str) -> list[Token]:
    return tokenize_with(text, _TOKEN, ConditionError)


class _Parser(TokenCursor):
    error = ConditionError
    ends_early = "condition ends too early"

    def __init__(self, text: str, check_path: Callable[[str], str | None]):
        super().__init__(text, tokenize(text))
        self.check_path = check_path

    def parse(self) -> Node:
        if not self.tokens:
            raise ConditionError("empty condition", 0)
        node = self.or_()
        extra = self.peek()
        if extra is not None:
            raise ConditionError(f"unexpected {extra.text!r}; expected 'and', 'or' or the end", extra.offset)
        return node

    def _is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.text == word

    def or_(self) -> Node:
        node = self.and_()
        while self._is_word("or"):
            self.take()
            node = Node("or", (node, self.and_()))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self._is_word("and"):
            self.take()
            node = Node("and", (node, self.not_()))
        return node

    def not_(self) -> Node:
        if self._is_word("not"):
            self.take()
            return Node("not", (self.not_(),))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token is not None and token.kind == "op":
            self.take()
            return Node(token.text, (left, self.operand()))
        if left.op in ("num", "month", "path"):
            where = token.offset if token else len(self.text)
            raise ConditionError("expected a comparison such as '> 0.4' after the value", where)
        return left

    def operand(self) -> Node:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            node = self.or_()
            closing = self.peek()
            if closing is None or closing.text != ")":
                raise ConditionError("missing ')'", closing.offset if closing else len(self.text))
            self.take()
            return node
        if token.kind == "minus":
            number = self.take()
            if number.kind != "number":
                raise ConditionError("expected a number after '-'", number.offset)
            return Node("num", value=-float(number.text))
        if token.kind == "number":
            return Node("num", value=float(token.text))
        if token.kind == "month":
            month = parse_month(token.text)
            if month is None:
                raise ConditionError(f"{token.text!r} is not a valid month", token.offset)
            return Node("month", value=month)
        if token.kind == "name" and token.text not in KEYWORDS:
            problem = self.check_path(token.text)
            if problem:
                raise ConditionError(problem, token.offset)
            return Node("path", value=token.text)
        raise ConditionError(f"unexpected {token.text!r}; expected a number, a month or a state path", token.offset)


def parse_condition(text: str, check_path: Callable[[str], str | None]) -> Node:
    """Parse ``text``; ``check_path`` returns an error message for an unknown path, or None."""
    return _Parser(text, check_path).parse()


def check_state_path(path: str, actors: tuple[str, ...], levers: dict[str, list[str]],
                     parameters: list[str], institutions: dict[str, list[str]] | None = None) -> str | None:
    """Error message for a path a condition cannot read, or None when it is known.

    ``institutions`` maps each holder to its institution names (sim/scenario/institutions.py).
    """
    try:
        parsed = parse_path(path)
    except PathError as exc:
        return str(exc)
    root, first, second = parsed.root, parsed.first, parsed.second
    if root not in READ_ROOTS:
        return f"conditions cannot read '{path}'; they read {', '.join(READ_ROOTS)}"
    if root in ("month", "step"):
        return None
    if root == "parameters":
        return None if first in parameters else f"unknown parameter '{first}'{did_you_mean(first, parameters)}"
    if first not in actors:
        return f"unknown actor '{first}'{did_you_mean(first, actors)}"
    if root in ("influence", "relation") and second not in actors:
        return f"unknown actor '{second}'{did_you_mean(second, actors)}"
    if root in ("influence", "relation") and first == second:
        return f"'{path}': an actor has no {root} on itself"
    if root == "context" and second not in CONTEXT_NAMES:
        return f"unknown context variable '{second}'{did_you_mean(second, CONTEXT_NAMES)}"
    if root == "institution":
        own = (institutions or {}).get(first, [])
        hint = did_you_mean(second, own) or f"; expected one of {', '.join(own) or '(none)'}"
        return None if second in own else f"unknown institution '{second}' of {first}{hint}"
    if root in ("effort", "levers") and second not in levers.get(first, []):
        return f"unknown lever '{second}' for {first}{did_you_mean(second, levers.get(first, []))}"
    return None


def evaluate(node: Node, read: Callable[[str], np.ndarray], month: int) -> np.ndarray:
    """Evaluate on the model: ``read(path)`` gives one value per replicate, shape (R,)."""
    import numpy as np

    if node.op == "or":
        return evaluate(node.args[0], read, month) | evaluate(node.args[1], read, month)
    if node.op == "and":
        return evaluate(node.args[0], read, month) & evaluate(node.args[1], read, month)
    if node.op == "not":
        return ~evaluate(node.args[0], read, month)
    if node.op in _COMPARE:
        left, right = (_value(arg, read, month) for arg in node.args)
        return np.asarray(_COMPARE[node.op](left, right), dtype=bool)
    raise ValueError(f"cannot evaluate {node.op}")  # unreachable for parsed conditions


def _value(node: Node, read: Callable[[str], np.ndarray], month: int) -> np.ndarray | float:
    if node.op in ("num", "month"):
        return node.value
    if node.op == "path":
        return float(month) if node.value == "month" else read(node.value)
    return evaluate(node, read, month).astype(float)
