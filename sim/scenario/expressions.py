"""The one expression language of scenarios: trigger conditions and outcomes are two dialects of it.

    expression := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | YYYY-MM | "(" expression ")" | FUNCTION "(" NAME ")" | NAME ["@" WHEN]

A dialect says what a NAME means and which parts it allows: conditions
(``sim.scenario.conditions``) read state paths (``influence.russia.mali``) and must be true or
false; outcomes (``sim.scenario.outcomes``) read recorded series, may name a month
(``@2024-12``) and take ``mean``/``min``/``max`` over the run. Nothing is ever evaluated as
Python: the parser builds ``Node`` trees and ``evaluate_expression`` walks them on NumPy arrays, one
value per replicate. The size limits are checked before parsing, so no hostile expression
reaches the recursive parser.

Division by zero (one rule for conditions and outcomes):

* when the divisor is a constant 0 (``1 / 0``, ``x / (2 - 2)``), or a constant part is not a
  finite number (``1e400``), the expression is refused where it is written, like a syntax error;
* at run time, ``x / y`` where ``y`` is 0 in a replicate is *undefined* there (NaN, never ±inf),
  and so is any arithmetic on it. A comparison with an undefined (or infinite) side is undefined,
  neither true nor false (``!=`` too); ``not`` keeps it undefined; ``a and b`` is false if either
  side is false, ``a or b`` true if either side is true, undefined otherwise (Kleene's logic).
  Where the expression ends, an undefined truth counts as false: a trigger, shock or decision
  condition does not hold in that replicate, a comparison outcome counts 0 there; a numeric
  outcome is NaN there. The first time an expression divides by zero, an
  ``UndefinedValueWarning`` names it (once per expression and process).
"""

from __future__ import annotations

import math
import operator
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from sim.errors import ExpressionError, expression_size_problem, too_many_tokens
from sim.scenario.months import format_month, parse_month

if TYPE_CHECKING:  # parsing stays free of NumPy, so `sim validate` is fast
    import numpy as np

_TOKEN = re.compile(
    r"\s*(?:(?P<month>\d{4}-\d{2}(?![\d.]))"
    r"|(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:@[A-Za-z0-9_-]+)?)"
    r"|(?P<compare><=|>=|==|!=|<|>)|(?P<arith>[-+*/])|(?P<paren>[()]))"
)
KEYWORDS = ("and", "or", "not")
COMPARISONS: dict[str, Callable] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}
ARITHMETIC = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}  # NumPy ufuncs; x / 0 made NaN below
BOOLEAN_OPS = ("and", "or", "not", *COMPARISONS)


class UndefinedValueWarning(RuntimeWarning):
    """An expression divided by zero at run time: undefined in those replicates (module docstring)."""


class Token(NamedTuple):
    kind: str  # the name of the pattern group that matched
    text: str
    offset: int  # 0-based position in the expression, for located messages


@dataclass(frozen=True)
class Node:
    """A parsed expression: ``op`` is ``num``, ``month``, ``name``, ``func``, ``neg``, an
    arithmetic or comparison operator, or and/or/not. A ``name`` holds what the dialect
    resolved it to; a ``func`` holds its function name and its one ``name`` argument."""

    op: str
    args: tuple = ()
    value: object = None

    @property
    def is_boolean(self) -> bool:
        return self.op in BOOLEAN_OPS

    def walk(self):
        """This node and every node below it."""
        yield self
        for arg in self.args:
            yield from arg.walk()


class Dialect:
    """What one language makes of names; subclasses say what else they allow."""

    error: type[ExpressionError] = ExpressionError
    noun = "expression"
    name_noun = "name"  # what a name is called in messages
    boolean = False  # the whole expression, and every operand of and/or/not, is true or false
    functions: tuple[str, ...] = ()
    months = True  # YYYY-MM literals

    def name(self, text: str, offset: int) -> object:
        """What ``text`` reads (raise ``self.error`` with ``offset`` for an unknown name)."""
        raise NotImplementedError

    def function_argument(self, function: str, text: str, offset: int) -> object:
        return self.name(text, offset)


def tokenize(text: str, error: type[ExpressionError] = ExpressionError) -> list[Token]:
    """Located tokens of ``text``; raises ``error`` for a character no token matches, and
    before any work for an expression over the size, depth or token limits of ``sim.errors``."""
    problem = expression_size_problem(text)
    if problem:
        raise error(*problem)
    tokens, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            bad = position + len(text[position:]) - len(text[position:].lstrip())
            raise error(f"unexpected character {text[bad]!r}", bad)
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
        if too_many_tokens(len(tokens)):
            raise error(too_many_tokens(len(tokens)), match.start(kind))
    return tokens


def parse(text: str, dialect: Dialect) -> Node:
    """The tree of ``text`` in ``dialect``; raises ``dialect.error`` with the offset of the problem."""
    return _Parser(text, dialect).parse()


class _Parser:
    def __init__(self, text: str, dialect: Dialect):
        self.text, self.dialect, self.error = text, dialect, dialect.error
        self.tokens, self.index = tokenize(text, dialect.error), 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error(f"{self.dialect.noun} ends too early", len(self.text))
        self.index += 1
        return token

    def here(self) -> int:
        token = self.peek()
        return token.offset if token else len(self.text)

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error(f"empty {self.dialect.noun}", 0)
        node = self.truth(self.or_())
        extra = self.peek()
        if extra is not None:
            expected = "'and', 'or' or the end" if self.dialect.boolean else "an operator or the end"
            raise self.error(f"unexpected {extra.text!r}; expected {expected}", extra.offset)
        return node

    def truth(self, node: Node) -> Node:
        """In a boolean dialect, a value where a truth is needed is a mistake."""
        if self.dialect.boolean and not node.is_boolean:
            raise self.error("expected a comparison such as '> 0.4' after the value", self.here())
        return node

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.text == word

    def or_(self) -> Node:
        node = self.and_()
        while self.is_word("or"):
            self.take()
            node = Node("or", (self.truth(node), self.truth(self.and_())))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.is_word("and"):
            self.take()
            node = Node("and", (self.truth(node), self.truth(self.not_())))
        return node

    def not_(self) -> Node:
        if self.is_word("not"):
            self.take()
            return Node("not", (self.truth(self.not_()),))
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        token = self.peek()
        if token is not None and token.kind == "compare":
            self.take()
            return Node(token.text, (left, self.sum()))
        return left

    def sum(self) -> Node:
        node = self.product()
        while (token := self.peek()) and token.kind == "arith" and token.text in "+-":
            self.take()
            node = self.finite(Node(token.text, (node, self.product())), token.offset)
        return node

    def product(self) -> Node:
        node = self.unary()
        while (token := self.peek()) and token.kind == "arith" and token.text in "*/":
            self.take()
            where = self.here()
            right = self.unary()
            if token.text == "/" and constant_value(right) == 0:
                raise self.error(f"division by zero: the divisor '{render(right)}' is always 0", where)
            node = self.finite(Node(token.text, (node, right)), token.offset)
        return node

    def finite(self, node: Node, offset: int) -> Node:
        """A constant part must stay a finite number (``1e308 * 10`` would be infinite)."""
        value = constant_value(node)
        if value is not None and not math.isfinite(value):
            raise self.error(f"'{render(node)}' is too large a number (not finite)", offset)
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "arith" and token.text == "-":
            self.take()
            inner = self.unary()
            return Node("num", value=-inner.value) if inner.op == "num" else Node("neg", (inner,))
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            node = self.or_()
            if (closing := self.peek()) is None or closing.text != ")":
                raise self.error("missing ')'", self.here())
            self.take()
            return node
        if token.kind == "number":
            value = float(token.text)
            if not math.isfinite(value):
                raise self.error(f"number {token.text} is too large (not finite)", token.offset)
            return Node("num", value=value)
        if token.kind == "month" and self.dialect.months:
            month = parse_month(token.text)
            if month is None:
                raise self.error(f"{token.text!r} is not a valid month", token.offset)
            return Node("month", value=month)
        if token.kind == "name" and token.text in self.dialect.functions:
            return self.function(token)
        if token.kind == "name" and token.text not in KEYWORDS:
            return Node("name", value=self.dialect.name(token.text, token.offset))
        name = self.dialect.name_noun
        what = f"a number, a month or a {name}" if self.dialect.months else f"a number or a {name}"
        raise self.error(f"unexpected {token.text!r}; expected {what}", token.offset)

    def function(self, token: Token) -> Node:
        opening = self.take()
        if opening.text != "(":
            raise self.error(f"expected '(' after {token.text}", opening.offset)
        inner = self.take()
        if inner.kind != "name" or inner.text in KEYWORDS:
            raise self.error(f"{token.text}(...) takes one name", inner.offset)
        argument = self.dialect.function_argument(token.text, inner.text, inner.offset)
        if (closing := self.take()).text != ")":
            raise self.error("missing ')'", closing.offset)
        return Node("func", (Node("name", value=argument),), value=token.text)


def constant_value(node: Node) -> float | None:
    """The value of ``node`` when it reads no name (``2 - 2``, ``1 > 2``), else None; Python
    floats, so parsing stays free of NumPy. Never divides by zero: the parser refuses that first."""
    op = node.op
    if op in ("num", "month"):
        return float(node.value)
    if op in ("name", "func"):
        return None
    values = [constant_value(arg) for arg in node.args]
    if None in values:
        return None
    if op == "neg":
        return -values[0]
    if op == "not":
        return float(not values[0])
    if op == "and":
        return float(bool(values[0]) and bool(values[1]))
    if op == "or":
        return float(bool(values[0]) or bool(values[1]))
    left, right = values
    if op in COMPARISONS:
        return float(COMPARISONS[op](left, right))
    if op == "/":
        return left / right if right != 0 else math.nan
    try:
        return {"+": operator.add, "-": operator.sub, "*": operator.mul}[op](left, right)
    except OverflowError:
        return math.inf


def render(node: Node) -> str:
    """Text for ``node`` in messages (a name shows as its path or series)."""
    op = node.op
    if op == "num":
        value = float(node.value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if op == "month":
        return format_month(node.value)
    if op == "name":
        value = node.value
        key, when = getattr(value, "key", None), getattr(value, "when", None)  # an outcome's Series
        if key is None:
            return str(value)
        return ".".join(part for part in key if part) + ("" if when in (None, "all") else f"@{when}")
    if op == "func":
        return f"{node.value}({render(node.args[0])})"

    level = _PRECEDENCE[op]

    def inner(arg: Node, right: bool = False) -> str:
        """Parentheses where the grammar needs them (``a - (b - c)``, ``(a > b) == c``)."""
        own = _PRECEDENCE.get(arg.op, 9)
        tight = own > level or (own == level and not right and op not in COMPARISONS)
        return render(arg) if tight else f"({render(arg)})"

    if op == "neg":
        return f"-{inner(node.args[0])}"
    if op == "not":  # not (a > b), though the grammar needs no parentheses there
        argument = node.args[0]
        return f"not {render(argument) if argument.op in ('not', 'num', 'name', 'func') else f'({render(argument)})'}"
    return f"{inner(node.args[0])} {op} {inner(node.args[1], right=True)}"


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, **dict.fromkeys(COMPARISONS, 4), "+": 5, "-": 5, "*": 6, "/": 6,
               "neg": 7}


def evaluate_expression(node: Node, read: Callable[[Node], np.ndarray | float]) -> np.ndarray | float:
    """The value of ``node``, one per replicate; ``read`` gives the value of a ``name`` or
    ``func`` node. Truths are boolean arrays; a truth used as a number counts as 0 or 1.

    A division by zero makes the value undefined in that replicate (the module docstring has the
    rule): an undefined truth is False in the result, an undefined number NaN."""
    import numpy as np

    divided_by_zero: list[Node] = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = _value(node, read, divided_by_zero)
        if node.is_boolean:
            value = np.asarray(value) == 1.0  # undefined (NaN) is not true
    if divided_by_zero:
        _warn_undefined(node)
    return value


_REPORTED: dict = {}  # warnings' registry: each expression is reported once per process


def _warn_undefined(node: Node) -> None:
    outcome = "counts as false" if node.is_boolean else "is NaN"
    warnings.warn_explicit(
        f"division by zero in '{render(node)}': undefined in the replicates where the divisor is 0, where "
        f"the expression {outcome} (a comparison with an undefined side is neither true nor false)",
        UndefinedValueWarning, filename="expression", lineno=1, module=__name__, registry=_REPORTED)


def _value(node: Node, read: Callable, divided_by_zero: list[Node]):
    """Numbers as given (NaN: undefined); truths as floats 1.0, 0.0 or NaN (undefined)."""
    import numpy as np

    op = node.op
    if op in ("num", "month"):
        return node.value
    if op in ("name", "func"):
        return read(node)
    values = [_value(arg, read, divided_by_zero) for arg in node.args]
    if op in ("and", "or", "not"):
        truths = [_truth(v) for v in values]
        if op == "not":
            return 1.0 - truths[0]
        a, b = truths
        decided, by = (0.0, (a == 0.0) | (b == 0.0)) if op == "and" else (1.0, (a == 1.0) | (b == 1.0))
        return np.where(by, decided, np.where(np.isnan(a) | np.isnan(b), np.nan, 1.0 - decided))
    numbers = [np.asarray(v, dtype=float) if np.asarray(v).dtype == bool else v for v in values]
    if op == "neg":
        return np.negative(numbers[0])
    if op in COMPARISONS:
        left, right = numbers
        holds = np.asarray(COMPARISONS[op](left, right), dtype=float)
        return np.where(np.isfinite(left) & np.isfinite(right), holds, np.nan)
    result = getattr(np, ARITHMETIC[op])(*numbers)
    if op == "/":
        zero = np.asarray(numbers[1]) == 0
        if zero.any():
            divided_by_zero.append(node)
            result = np.where(zero, np.nan, result)
    return result


def _truth(value) -> np.ndarray:
    """1.0 (true), 0.0 (false) or NaN (undefined) for an operand of and/or/not (a number: non-zero is true)."""
    import numpy as np

    value = np.asarray(value, dtype=float)
    return np.where(np.isfinite(value), (value != 0).astype(float), np.nan)
