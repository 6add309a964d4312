"""What the two expression languages share: size limits, tokenizing, and the parser's cursor.

Trigger conditions (``sim.scenario.conditions``: comparisons joined by and/or/not) and outcome
expressions (``sim.scenario.outcomes``: arithmetic over series) differ only in their token
patterns and grammar rules; the loop that turns text into located tokens, the limits checked
before it (so no hostile expression reaches a recursive parser) and the cursor are here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from sim.errors import ExpressionError, expression_size_problem, too_many_tokens


class Token(NamedTuple):
    kind: str  # the name of the pattern group that matched
    text: str
    offset: int  # 0-based position in the expression, for located messages


def tokenize(text: str, pattern: re.Pattern, error: type[ExpressionError]) -> list[Token]:
    """Located tokens of ``text`` by ``pattern`` (named groups, leading whitespace allowed).

    Raises ``error`` for a character no group matches, and before any work for an expression
    over the size, depth or token limits of ``sim.errors``.
    """
    problem = expression_size_problem(text)
    if problem:
        raise error(*problem)
    tokens, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = pattern.match(text, position)
        if not match or match.end() == position:
            bad = position + len(text[position:]) - len(text[position:].lstrip())
            raise error(f"unexpected character {text[bad]!r}", bad)
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
        if too_many_tokens(len(tokens)):
            raise error(too_many_tokens(len(tokens)), match.start(kind))
    return tokens


class TokenCursor:
    """Walks a token list for a recursive-descent parser."""

    error: type[ExpressionError] = ExpressionError
    ends_early = "expression ends too early"

    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.tokens, self.index = text, tokens, 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise self.error(self.ends_early, len(self.text))
        self.index += 1
        return token
