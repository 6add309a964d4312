"""Input problems reported as ``path:line:column: message``, never as tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located so an editor can jump to it."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class InputError(Exception):
    """Bad user input: carries every problem found, so users fix them all in one pass.

    The CLI prints one line per problem and exits with code 2.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ExpressionError(ValueError):
    """A problem at ``offset`` (0-based) inside an expression (a condition or an outcome), so the
    caller can point at the exact column of the file or command line."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A " (did you mean 'x'?)" hint for a misspelt name, or "" when nothing is close."""
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
