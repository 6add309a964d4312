"""State paths (``context.mali.threat``, ``levers.morocco.investment``): one grammar, parsed once.

Conditions read state through paths, events, triggers and shocks write it through paths, the
JSON Schema lists them and the model dispatches on them. All of them use ``parse_path`` and
the one table of context variables below, so a path means the same thing everywhere.

    path := "step" | "month"
          | ("influence" | "relation") "." ACTOR "." ACTOR
          | "context" "." ACTOR "." CONTEXT_VARIABLE
          | ("levers" | "effort") "." ACTOR "." LEVER      (effort: the same lever, an older name)
          | "institution" "." HOLDER "." NAME
          | "parameters" "." PARAMETER                     (parameter names contain dots)
          | "actors" "." ACTOR "." ("budget" | "objectives" "." ACTOR)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sim.errors import did_you_mean


@dataclass(frozen=True)
class ContextVariable:
    """A per-state context variable: where the model keeps it and what scenarios may do with it."""

    name: str
    field: str | None  # the World attribute; None when derived (sanctions: from ECOWAS's effort)
    settable: bool  # may be given a starting value and changed by events
    recorded: bool  # is an output series (``threat.mali``)


CONTEXT = (
    ContextVariable("threat", "threat", settable=True, recorded=True),
    ContextVariable("stability", "stability", settable=True, recorded=True),
    ContextVariable("western_presence", "western", settable=True, recorded=True),
    ContextVariable("western_commitment", "commitment", settable=True, recorded=False),
    ContextVariable("sanctions", None, settable=False, recorded=True),
    # memories (ODD 7.13): slow averages of what a state has endured, which decisions read
    ContextVariable("sanctions_endured", "sanctions_endured", settable=True, recorded=True),
    ContextVariable("insecurity_endured", "insecurity_endured", settable=True, recorded=True),
)
CONTEXT_BY_NAME = {c.name: c for c in CONTEXT}
READABLE_CONTEXT = tuple(c.name for c in CONTEXT)
SETTABLE_CONTEXT = tuple(c.name for c in CONTEXT if c.settable)
RECORDED_CONTEXT = tuple(c.name for c in CONTEXT if c.recorded)

# The values a path of each root takes: the model clips every write to it, the scenario checker
# accepts it for `set:` (and plus or minus its width for `add:`), and summaries bound the output
# series by it (one table: sim.model.model, sim.scenario.format, sim.engine.summary). Parameters
# take their catalogue range; `actors.<a>.budget` and `actors.<a>.objectives.<b>` their own.
BUDGET_RANGE = (0.0, 20.0)  # an actor's total effort per month (the sum of its levers' intensities)
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "influence": (0.0, 1.0), "relation": (-1.0, 1.0), "context": (0.0, 1.0), "levers": (0.0, 1.0),
    "effort": (0.0, 1.0), "institution": (0.0, 1.0), "decision": (0.0, 1.0), "objectives": (0.0, 1.0),
    "budget": BUDGET_RANGE,
}

PAIR_ROOTS = ("influence", "relation")
READ_ROOTS = ("influence", "relation", "context", "effort", "levers", "institution", "parameters", "step", "month")
WRITE_ROOTS = ("influence", "relation", "context", "levers", "institution", "parameters", "actors")
ROOTS = tuple(dict.fromkeys(READ_ROOTS + WRITE_ROOTS))


@dataclass(frozen=True)
class StatePath:
    """A parsed path: its root and the names after it (``context.mali.threat`` -> ("mali", "threat"))."""

    root: str
    parts: tuple[str, ...] = ()

    def __str__(self) -> str:
        return ".".join((self.root, *self.parts))

    @property
    def first(self) -> str:
        return self.parts[0] if self.parts else ""

    @property
    def second(self) -> str:
        return self.parts[1] if len(self.parts) > 1 else ""

    @property
    def key(self) -> str:
        """``first.second``: a lever's ``actor.lever``, an institution's ``holder.name``."""
        return f"{self.first}.{self.second}"


class PathError(ValueError):
    """A path that does not follow the grammar (names are checked against catalogues elsewhere)."""


@lru_cache(maxsize=4096)
def parse_path(text: str) -> StatePath:
    """The structure of ``text``; raises PathError naming the expected form. Cached: each distinct
    path is parsed once per process, however often the model reads or writes it."""
    root, _, rest = str(text).partition(".")
    if root not in ROOTS:
        hint = did_you_mean(root, ROOTS) or f"; expected a path starting with {', '.join(ROOTS)}"
        raise PathError(f"unknown state path '{text}'{hint}")
    if root in ("step", "month"):
        if rest:
            raise PathError(f"state path '{text}': {root} has no parts")
        return StatePath(root)
    if root == "parameters":
        if not rest:
            raise PathError(f"state path '{text}' should be parameters.<name>")
        return StatePath(root, (rest,))
    parts = tuple(rest.split(".")) if rest else ()
    if root == "actors":
        if (len(parts) == 3 and parts[1] == "objectives") or len(parts) == 2:
            return StatePath(root, parts)
        raise PathError(f"state path '{text}' should be actors.<a>.budget or actors.<a>.objectives.<b>")
    if len(parts) != 2 or not all(parts):
        raise PathError(f"state path '{text}' should be {root}.<a>.<b>")
    return StatePath(root, parts)


def value_range(path: StatePath, parameter_ranges: dict | None = None) -> tuple[float, float]:
    """The values ``path`` takes (``VALUE_RANGES``); a parameter's from ``parameter_ranges``
    (name -> an object with ``low`` and ``high``: the catalogue's specs)."""
    if path.root == "parameters":
        if parameter_ranges is None:
            raise ValueError(f"the range of {path} needs the parameter catalogue")
        spec = parameter_ranges[path.first]
        return float(spec.low), float(spec.high)
    if path.root == "actors":
        return VALUE_RANGES["budget" if path.second == "budget" else "objectives"]
    return VALUE_RANGES[path.root]


def change_range(path: StatePath, additive: bool, parameter_ranges: dict | None = None) -> tuple[float, float]:
    """What an event may set ``path`` to, or add to it (plus or minus the range's width)."""
    low, high = value_range(path, parameter_ranges)
    return (low - high, high - low) if additive else (low, high)


def metric_range(metric: str) -> tuple[float, float]:
    """The range of an output series of ``metric`` (context variables share the context range)."""
    return VALUE_RANGES["context" if metric in CONTEXT_BY_NAME else metric]
