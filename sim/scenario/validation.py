"""The one way inputs are checked: specs that read a value and describe it as JSON Schema.

A *spec* reads a value, returning it checked or ``INVALID`` after reporting a problem to a
``Report`` (which knows where the value stands), and describes itself as JSON Schema. Every
input reader builds its format from these: the scenario file (``sim.scenario.format``), the lever,
parameter and institution catalogues, calibration targets, backtest observations and the values a
program hands the API. A reader of a YAML ``Document`` reports through ``DocumentReport`` (each
problem at its file, line and column); a reader of an API argument through ``ArgumentReport``
(``where: message``, since an argument has no position).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sim.errors import InputError, Problem, did_you_mean
from sim.scenario.months import parse_month
from sim.scenario.yamlsafe import Document, Key

if TYPE_CHECKING:
    import numpy as np

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
SNAKE_CASE = re.compile(r"[^\W\d]\w*")  # a Python identifier: what ids in the catalogues are
ULPS = 4  # how far outside a range a sampled value may round (a design's edge: low - 1e-17) and be taken


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()  # what a spec returns after reporting a problem: the value is left out


class Report(Protocol):
    """Where a spec reports a problem: the reader locates ``key`` in the file or the argument."""

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None: ...


class Problems:
    """A Report that keeps its problems, to raise them all at once (``InputError``)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None:
        raise NotImplementedError

    def raise_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


class DocumentReport(Problems):
    """Problems located in a YAML document: file, line and column of the value (or its key)."""

    def __init__(self, doc: Document) -> None:
        super().__init__()
        self.doc = doc

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None:
        self.problems.append(self.doc.problem(key, message, at_key=at_key, offset=offset))


class ArgumentReport(Problems):
    """Problems with values a program passed (no file position): ``where(key): message``."""

    def __init__(self, where: Callable[[Key], str]) -> None:
        super().__init__()
        self.where = where

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None:
        self.problems.append(Problem.about(self.where(key), message))


def dotted(key: Key) -> str:
    return ".".join(str(k) for k in key)


def shown(value: object, limit: int = 60) -> str:
    """A value as the user wrote it, cut to ``limit`` characters for a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def hint(name: object, choices: tuple | list, fallback: str = "") -> str:
    """" (did you mean 'x'?)" for a misspelt name, else ``fallback`` (e.g. the list of choices)."""
    return did_you_mean(str(name), [str(c) for c in choices]) or fallback


def words(options: tuple | list) -> str:
    """Choices as a reader writes them: ``a, b, c``."""
    return ", ".join(map(str, options))


def exact(value: float) -> str:
    """A number as a message should show it: whole numbers plainly (5), others in full
    (0.039999999999999994), so a value just outside a range does not print as its bound."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def in_range(values: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """(values clipped into [low, high] where they miss it by at most ULPS floating-point steps,
    the values that miss it by more, NaN included): a sampling design at a range's edge is
    accepted, a value really outside is refused."""
    import numpy as np  # deferred: reading a scenario file never needs NumPy (sim validate stays light)

    values = np.asarray(values, dtype=float)
    tolerance = ULPS * np.spacing(max(abs(low), abs(high), 1.0))
    near = (values >= low - tolerance) & (values <= high + tolerance)
    return np.clip(values, low, high), values[~near]


@dataclass(frozen=True)
class Spec:
    """One part of a format: how it is read and how it is described."""

    description: str = field(default="", kw_only=True)
    default: object = field(default=None, kw_only=True)  # applied when the key is absent

    def read(self, report: Report, key: Key, value: object) -> object:
        raise NotImplementedError

    def schema(self) -> dict:
        raise NotImplementedError

    def expected(self) -> str:
        """What a missing required value should be, for the message."""
        return self.description or "a value"

    def described(self, schema: dict) -> dict:
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
        return schema


@dataclass(frozen=True)
class Anything(Spec):
    """A value read as written (its parent checks it); any JSON value in the schema."""

    def read(self, report: Report, key: Key, value: object) -> object:
        return value

    def schema(self) -> dict:
        return self.described({})


@dataclass(frozen=True)
class Maybe(Spec):
    """``item``, or null (written as ``~``, ``null`` or nothing): read as None."""

    item: Spec

    def read(self, report: Report, key: Key, value: object) -> object:
        return None if value is None else self.item.read(report, key, value)

    def schema(self) -> dict:
        return self.described({"oneOf": [{"type": "null"}, self.item.schema()]})

    def expected(self) -> str:
        return f"{self.item.expected()} or null"


def _interval(low: float, high: float, open_low: bool) -> str | None:
    """The allowed numbers as brackets, "[0.0, 1.0]" or "(0.0, 1.0]"; None when no bracket says it
    as a reader would (above 0 with no upper bound, or any finite number)."""
    if (open_low and high == math.inf) or (math.isinf(low) and math.isinf(high)):
        return None
    return f"{'(' if open_low else '['}{low}, {high}]"


@dataclass(frozen=True)
class Number(Spec):
    """A finite number in [low, high] (``open_low``: above low, not at it)."""

    low: float = -math.inf
    high: float = math.inf
    open_low: bool = field(default=False, kw_only=True)

    def read(self, report: Report, key: Key, value: object) -> object:
        interval = _interval(self.low, self.high, self.open_low)
        if isinstance(value, bool) or not isinstance(value, int | float):
            wanted = f"one in {interval}" if interval else self.expected()
            report.fail(key, f"{dotted(key)} = {shown(value)} is not a number; expected {wanted}")
            return INVALID
        if not math.isfinite(value):
            report.fail(key, f"{dotted(key)} = {value} is not a finite number; expected {interval or self.expected()}")
            return INVALID
        if not self.low <= value <= self.high or (self.open_low and value == self.low):
            report.fail(key, f"{dotted(key)} = {value} is outside {interval}" if interval
                        else f"{dotted(key)} = {value}; expected {self.expected()}")
            return INVALID
        return float(value)

    def schema(self) -> dict:
        bounds = {"exclusiveMinimum" if self.open_low else "minimum": self.low, "maximum": self.high}
        return self.described({"type": "number", **{k: v for k, v in bounds.items() if math.isfinite(v)}})

    def expected(self) -> str:
        if math.isinf(self.low) and math.isinf(self.high):
            return "a finite number"
        interval = _interval(self.low, self.high, self.open_low)
        return f"a number in {interval}" if interval else f"a number > {self.low}"


@dataclass(frozen=True)
class Numbers(Spec):
    """Numbers a program passes (a number or an array of them), each in [low, high], read as a float
    array. A value that misses the range by a rounding step is taken at the bound (``in_range``);
    with ``nan_absent`` a NaN means "no value there" and is kept."""

    low: float
    high: float
    nan_absent: bool = field(default=False, kw_only=True)

    def read(self, report: Report, key: Key, value: object) -> object:
        import numpy as np  # deferred: see in_range

        values = np.asarray(value, dtype=float)
        given = values[~np.isnan(values)] if self.nan_absent else values
        _, bad = in_range(given, self.low, self.high)
        if bad.size:
            report.fail(key, f"{dotted(key)} = {exact(bad.reshape(-1)[0])} is outside [{self.low!r}, {self.high!r}]")
            return INVALID
        clipped, _ = in_range(values, self.low, self.high)
        return np.where(np.isnan(values), values, clipped) if self.nan_absent else clipped

    def schema(self) -> dict:
        return self.described({"type": "number", "minimum": self.low, "maximum": self.high})


@dataclass(frozen=True)
class Bounds(Spec):
    """``[low, high]``: two finite numbers, low <= high; read as a pair of floats."""

    def read(self, report: Report, key: Key, value: object) -> object:
        if not (isinstance(value, list) and len(value) == 2 and all(
                isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in value)
                and value[0] <= value[1]):
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected [low, high], two numbers with low <= high")
            return INVALID
        return float(value[0]), float(value[1])

    def schema(self) -> dict:
        return self.described({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2})

    def expected(self) -> str:
        return "[low, high]"


@dataclass(frozen=True)
class Integer(Spec):
    low: int
    high: int

    def read(self, report: Report, key: Key, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            report.fail(key, f"{dotted(key)} = {shown(value)} is not a whole number; expected {self.low}..{self.high}")
            return INVALID
        if not self.low <= value <= self.high:
            report.fail(key, f"{dotted(key)} = {value} is outside {self.low}..{self.high}")
            return INVALID
        return value

    def schema(self) -> dict:
        return self.described({"type": "integer", "minimum": self.low, "maximum": self.high})

    def expected(self) -> str:
        return f"a whole number {self.low}..{self.high}"


@dataclass(frozen=True)
class Month(Spec):
    def read(self, report: Report, key: Key, value: object) -> object:
        month = parse_month(value)
        if month is None:
            report.fail(key, f"{dotted(key)} = {shown(value)} is not a month; expected YYYY-MM, e.g. 2022-07")
            return INVALID
        return month

    def schema(self) -> dict:
        return self.described({"type": "string", "pattern": MONTH_PATTERN})

    def expected(self) -> str:
        return "a month YYYY-MM"


@dataclass(frozen=True)
class Text(Spec):
    """Free text; ``pattern`` (with ``rule`` in words) when it must have a form."""

    pattern: re.Pattern | None = None
    rule: str = "text"
    non_empty: bool = False

    def read(self, report: Report, key: Key, value: object) -> object:
        if not isinstance(value, str) or (self.non_empty and not value.strip()):
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected {self.expected()}")
            return INVALID
        if self.pattern is not None and not self.pattern.fullmatch(value.strip()):
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected {self.rule}")
            return INVALID
        return value.strip()

    def schema(self) -> dict:
        schema: dict = {"type": "string"}
        if self.non_empty:
            schema["minLength"] = 1
        if self.pattern is not None:
            schema["pattern"] = f"^{self.pattern.pattern}$"
        return self.described(schema)

    def expected(self) -> str:
        if self.pattern is not None:
            return self.rule  # "a snake_case name": what the value must look like, not only that it is text
        return "a non-empty text" if self.non_empty else "text"


@dataclass(frozen=True)
class Flag(Spec):
    rule: str = "true or false"

    def read(self, report: Report, key: Key, value: object) -> object:
        if not isinstance(value, bool):
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected {self.rule}")
            return INVALID
        return value

    def schema(self) -> dict:
        return self.described({"type": "boolean"})

    def expected(self) -> str:
        return self.rule


@dataclass(frozen=True)
class Choice(Spec):
    """One of a fixed list; ``noun`` words the message as "unknown <noun>" (list items)."""

    options: tuple
    noun: str = ""
    rule: str = ""  # the expected values in words, instead of listing them

    def read(self, report: Report, key: Key, value: object) -> object:
        numeric = all(isinstance(o, int) for o in self.options)
        if value in self.options and not (numeric and isinstance(value, bool)):
            return value
        why = f"; expected {self.rule}" if self.rule else hint(value, self.options,
                                                                 f"; expected one of {words(self.options)}")
        prefix = f"unknown {self.noun} {shown(value)}" if self.noun else f"{dotted(key)} = {shown(value)}"
        report.fail(key, prefix + why)
        return INVALID

    def schema(self) -> dict:
        return self.described({"enum": list(self.options)})

    def expected(self) -> str:
        return self.description or self.rule or f"one of {words(self.options)}"


class _Counted:
    """A Report that counts the problems it passes on."""

    def __init__(self, report: Report) -> None:
        self.report, self.count = report, 0

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None:
        self.count += 1
        self.report.fail(key, message, at_key=at_key, offset=offset)


@dataclass(frozen=True)
class ListOf(Spec):
    """A list of ``item``s. ``whole``: an item with any problem is left out, not read in part
    (a catalogue entry is built from every key of it)."""

    item: Spec
    what: str = "values"
    at_least: int = 0
    whole: bool = False

    def read(self, report: Report, key: Key, value: object) -> object:
        if value is None and not self.at_least:
            return []
        if not isinstance(value, list) or len(value) < self.at_least:
            least = f"at least {self.at_least} " if self.at_least else ""
            report.fail(key, f"{dotted(key)} should be a list of {least}{self.what}")
            return INVALID
        out = []
        for i, raw in enumerate(value):
            counted = _Counted(report)
            checked = self.item.read(counted, (*key, i), raw)
            if checked is not INVALID and not (self.whole and counted.count):
                out.append(checked)
        return out

    def schema(self) -> dict:
        schema = {"type": "array", "items": self.item.schema()}
        if self.at_least:
            schema["minItems"] = self.at_least
        return self.described(schema)

    def expected(self) -> str:
        return self.description or f"a list of {self.what}"


def mapping(report: Report, key: Key, value: object) -> dict | None:
    """``value`` as a mapping ({} for nothing written), or None after reporting it is not one."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.fail(key, f"{dotted(key) or 'the top level'} should be a mapping, got {type(value).__name__} "
                         f"{shown(value)}")
        return None
    return value


RecordCheck = Callable[[Report, Key, dict], None]


@dataclass(frozen=True)
class Record(Spec):
    """A mapping with known keys. ``required`` keys are enforced by the checker; they are
    written into the schema only when ``required_in_file`` (a file that extends another may omit them)."""

    fields: Mapping[str, Spec]
    required: tuple[str, ...] = ()
    required_in_file: bool = True
    checks: tuple[RecordCheck, ...] = ()  # rules across the record's own keys, on the values as written

    def read(self, report: Report, key: Key, value: object) -> object:
        raw = mapping(report, key, value)
        if raw is None:
            return INVALID
        names = tuple(self.fields)
        for name in raw:
            if name not in self.fields:
                where = dotted(key) or "top level"
                why = hint(name, names, f"; expected one of: {words(names)}")
                report.fail((*key, name), f"unknown key '{name}' in {where}{why}", at_key=True)
        out = {}
        for name, spec in self.fields.items():
            if name in raw:
                checked = spec.read(report, (*key, name), raw[name])
                if checked is not INVALID:
                    out[name] = checked
            elif name in self.required:
                report.fail(key, f"missing required key '{name}'; expected {spec.expected()}")
            elif spec.default is not None:
                out[name] = spec.default
        for check in self.checks:
            check(report, key, raw)
        return out

    def schema(self) -> dict:
        schema = {"type": "object", "properties": {n: s.schema() for n, s in self.fields.items()},
                  "additionalProperties": False}
        if self.required and self.required_in_file:
            schema["required"] = list(self.required)
        return self.described(schema)


@dataclass(frozen=True)
class Table(Spec):
    """A mapping keyed by names from a catalogue (actors, levers, parameters, institutions).

    ``exclude`` is refused as a key (an actor has no influence on itself); ``owner`` ends the
    unknown-name message (" for morocco"); ``listed``: that message lists the names when none is close.
    """

    names: tuple[str, ...]
    value: Callable[[str], Spec]
    noun: str
    owner: str = ""
    exclude: str | None = None
    listed: bool = True

    def read(self, report: Report, key: Key, value: object) -> object:
        raw = mapping(report, key, value)
        if raw is None:
            return INVALID
        out = {}
        for name, entry in raw.items():
            if name == self.exclude:
                report.fail((*key, name), f"{name} cannot have {key[-1]} on itself")
                continue
            if name not in self.names:
                why = hint(name, self.names, f"; expected one of {words(self.names)}" if self.listed else "")
                report.fail((*key, name), f"unknown {self.noun} '{name}'{self.owner}{why}", at_key=True)
                continue
            checked = self.value(name).read(report, (*key, name), entry)
            if checked is not INVALID:
                out[name] = checked
        return out

    def schema(self) -> dict:
        properties = {n: self.value(n).schema() for n in self.names if n != self.exclude}
        shapes = {repr(v) for v in properties.values()}
        if len(properties) > 10 and len(shapes) == 1:  # a long table of one shape: written once
            return self.described({"type": "object", "propertyNames": {"enum": list(properties)},
                                   "additionalProperties": next(iter(properties.values()))})
        return self.described({"type": "object", "additionalProperties": False, "properties": properties})


@dataclass(frozen=True)
class Entries(Spec):
    """A list of records, each with a unique ``id``; read as {index in the file: record}."""

    item: Record

    def read(self, report: Report, key: Key, value: object) -> object:
        section = dotted(key)
        if value is None:
            return {}
        if not isinstance(value, list):
            report.fail(key, f"{section} should be a list of entries, each with an 'id'")
            return INVALID
        out, seen = {}, {}
        for index, raw in enumerate(value):
            entry = self.item.read(report, (*key, index), raw)
            if entry is INVALID:
                continue
            item_id = entry.get("id")
            if not item_id:
                if item_id is not None:  # a missing id is reported by the record as a missing key
                    report.fail((*key, index), f"every entry of {section} needs an 'id' (a short name)")
                continue
            if item_id in seen:
                report.fail((*key, index, "id"),
                            f"duplicate {section[:-1]} id '{item_id}' (first at entry #{seen[item_id] + 1})")
                continue
            seen[item_id] = index
            out[index] = entry
        return out

    def schema(self) -> dict:
        return self.described({"type": "array", "items": self.item.schema()})
