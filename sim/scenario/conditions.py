"""Trigger conditions: the boolean dialect of the scenario expression language.

Conditions read the current month's state through paths (``sim.scenario.paths``):

    influence.<actor>.<actor> | relation.<actor>.<actor>
    | context.<actor>.<threat|stability|western_presence|western_commitment|sanctions>
    | levers.<actor>.<lever> (or effort.<actor>.<lever>) | institution.<holder>.<name>
    | parameters.<name> | month | step

and must be true or false: ``influence.russia.mali > 0.4 and month >= 2023-01``, or with
arithmetic, ``influence.russia.mali - influence.morocco.mali > 0.1``. ``month`` compares with
YYYY-MM literals. The grammar is ``sim.scenario.expressions``; a parsed condition gives one
truth value per replicate.

Division by zero: a constant 0 divisor (``1 / 0 > 0``) is refused when the file is checked; at
run time a division by zero leaves the comparison undefined in that replicate, and an undefined
condition does not hold there (the trigger or shock does not fire), with one
``UndefinedValueWarning`` naming the condition (``sim.scenario.expressions`` has the whole rule).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.errors import ExpressionError, did_you_mean
from sim.scenario.expressions import KEYWORDS, Dialect, Node, evaluate_expression, parse
from sim.scenario.paths import READ_ROOTS, READABLE_CONTEXT, PathError, parse_path

if TYPE_CHECKING:
    import numpy as np

__all__ = ["KEYWORDS", "ConditionError", "Node", "check_state_path", "evaluate_condition", "parse_condition"]


class ConditionError(ExpressionError):
    """A syntax or name error in a trigger condition."""


class _Conditions(Dialect):
    error = ConditionError
    noun = "condition"
    name_noun = "state path"
    boolean = True

    def __init__(self, check_path: Callable[[str], str | None]):
        self.check_path = check_path

    def name(self, text: str, offset: int) -> object:
        if "@" in text:
            raise ConditionError("conditions read the current month; '@' belongs to outcomes", offset + text.index("@"))
        problem = self.check_path(text)
        if problem:
            raise ConditionError(problem, offset)
        return text


def parse_condition(text: str, check_path: Callable[[str], str | None]) -> Node:
    """Parse ``text``; ``check_path`` returns an error message for an unknown path, or None."""
    return parse(text, _Conditions(check_path))


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
    if root == "context" and second not in READABLE_CONTEXT:
        return f"unknown context variable '{second}'{did_you_mean(second, READABLE_CONTEXT)}"
    if root == "institution":
        own = (institutions or {}).get(first, [])
        hint = did_you_mean(second, own) or f"; expected one of {', '.join(own) or '(none)'}"
        return None if second in own else f"unknown institution '{second}' of {first}{hint}"
    if root in ("effort", "levers") and second not in levers.get(first, []):
        return f"unknown lever '{second}' for {first}{did_you_mean(second, levers.get(first, []))}"
    return None


def evaluate_condition(node: Node, read: Callable[[str], np.ndarray], month: int) -> np.ndarray:
    """Evaluate on the model: ``read(path)`` gives one value per replicate, shape (R,)."""
    return evaluate_expression(node, lambda name: float(month) if name.value == "month" else read(name.value))
