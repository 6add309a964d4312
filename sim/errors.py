"""Input problems reported as ``path:line:column: message``, never as tracebacks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located so an editor can jump to it.

    Line and column 0 mean the input has no position to give (a whole file, a command-line
    option, an API argument): it prints as ``path: message``, never as a made-up ``1:1``.
    """

    path: str
    line: int
    column: int
    message: str

    @classmethod
    def about(cls, path: str | object, message: str) -> Problem:
        """A problem with an input as a whole, or with one that has no lines (an option, an argument)."""
        return cls(str(path), 0, 0, message)

    def __str__(self) -> str:
        # a newline or other control character in a file name would split or garble the line
        path = "".join(char if char.isprintable() else repr(char)[1:-1] for char in str(self.path))
        if not self.line:
            return f"{path}: {self.message}"
        return f"{path}:{self.line}:{self.column}: {self.message}"


class InputError(ValueError):
    """Bad user input: carries every problem found, so users fix them all in one pass.

    The CLI prints one line per problem and exits with code 2.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # raised in a worker process, it arrives whole
        return type(self), (self.problems,)


class EnvironmentFailure(Exception):
    """The machine, not the input, stops the work (an unwritable results folder): exit code 1, one line."""


MAX_EXPRESSION_CHARS = 2_000
MAX_EXPRESSION_DEPTH = 30  # nested parentheses
MAX_EXPRESSION_TOKENS = 300  # bounds the depth of and/or chains too, so parsing never recurses too deep


def expression_size_problem(text: str) -> tuple[str, int] | None:
    """(message, offset) when a condition or outcome is too long or too deeply nested to parse safely.

    Checked before parsing, so a hostile expression is refused in linear time and never reaches
    the recursive parser (the same limits for `sim validate`, `sim run` and every other command).
    """
    if len(text) > MAX_EXPRESSION_CHARS:
        return f"expression of {len(text)} characters, more than the {MAX_EXPRESSION_CHARS} allowed", 0
    depth = 0
    for offset, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth > MAX_EXPRESSION_DEPTH:
            return f"parentheses nested deeper than {MAX_EXPRESSION_DEPTH}", offset
    return None


def too_many_tokens(count: int) -> str | None:
    return f"expression of {count} tokens, more than the {MAX_EXPRESSION_TOKENS} allowed" \
        if count > MAX_EXPRESSION_TOKENS else None


class ExpressionError(ValueError):
    """A problem at ``offset`` (0-based) inside an expression (a condition or an outcome), so the
    caller can point at the exact column of the file or command line."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset

    def __reduce__(self):  # raised in a worker process, it arrives whole
        return type(self), (str(self), self.offset)


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A " (did you mean 'x'?)" hint for a misspelt name, or "" when nothing is close."""
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
