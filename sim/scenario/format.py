"""The scenario format, described once: the checker and the JSON Schema are both generated from it.

Each part of a scenario file is a *spec* (``sim.scenario.validation``) that can read a value
(returning it checked, or ``INVALID`` after reporting a located problem) and describe itself as
JSON Schema; the parts with a language of their own (lever settings, conditions, state changes,
distributions, questions) are specs defined here. The loader
reads a file through ``scenario_format()`` and then applies the few rules that span sections
(influences on one target share one whole, an event dated before the start, a window inside
the run); ``sim.scenario.schema`` prints the same tree for editors. A key, range, default or
description changed here changes both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from sim.scenario.catalogue import ACTORS, METRICS, Catalogue, load_catalogue
from sim.scenario.conditions import ConditionError, check_state_path, parse_condition
from sim.scenario.institutions import load_institutions
from sim.scenario.months import parse_month
from sim.scenario.outcomes import OutcomeError, parse_outcome
from sim.scenario.paths import (
    BUDGET_RANGE,
    READABLE_CONTEXT,
    SETTABLE_CONTEXT,
    WRITE_ROOTS,
    PathError,
    StatePath,
    parse_path,
)
from sim.scenario.paths import change_range as paths_change_range
from sim.scenario.sources import known_sources, seed_files, seeds_dir
from sim.scenario.validation import (
    INVALID,
    MONTH_PATTERN,
    Anything,
    Choice,
    Entries,
    Flag,
    Integer,
    ListOf,
    Month,
    Number,
    Record,
    Report,
    Spec,
    Table,
    Text,
    dotted,
    hint,
    mapping,
    shown,
)
from sim.scenario.yamlsafe import Key

MAX_HORIZON = 600
MAX_REPLICATES = 10_000_000
MAX_SEED = 2**63 - 1
RELATION_RANGE = (-1.0, 1.0)
UNIT_RANGE = (0.0, 1.0)
BUDGET_POLICIES = ("extend", "reallocate")  # the first is the default
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "choice": ("values", "weights"),
}
# western_commitment defaults to the presence, insecurity_endured to the threat (loader)
CONTEXT_DEFAULTS = {"threat": 0.1, "stability": 0.8, "western_presence": 0.0, "sanctions_endured": 0.0}
ACTOR_STATE = ("budget", "objectives")  # actors.<a>.budget and actors.<a>.objectives.<b>: paths events change
SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")  # no separators, no "..": safe as a folder name


class DecisionSwitch(Spec):
    """A decision rule on (true), off (false), or on from a month (``YYYY-MM``: off before it)."""

    rule = "on or true (the actor may take it), off or false (it never does), or a month YYYY-MM (on from then)"

    def read(self, report: Report, key: Key, value: object) -> object:
        if isinstance(value, bool):
            return value
        month = parse_month(value) if isinstance(value, str) else None
        if month is None:
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected {self.rule}")
            return INVALID
        return month

    def schema(self) -> dict:
        return self.described({"oneOf": [{"type": "boolean"}, {"type": "string", "pattern": MONTH_PATTERN}]})


# -- parts with a language of their own -------------------------------------------------


RELATIVE = re.compile(r"^\s*(?:sq\s*)?(?:(?P<times>[x*×])\s*(?P<factor>\d+(?:\.\d*)?|\.\d+)"
                      r"|(?P<sign>[+-])\s*(?P<amount>\d+(?:\.\d*)?|\.\d+))\s*$")


@dataclass(frozen=True)
class Relative:
    """A setting relative to the status quo: ``x2`` or ``sq*2`` (twice it), ``sq+0.2`` / ``sq-0.1`` (plus it).
    The loader resolves it against the actor's status-quo effort (or total) and warns, with the
    setting's location, when the result is capped (an intensity above 1, a budget above the range)."""

    text: str
    factor: float | None = None
    plus: float | None = None

    def of(self, status_quo: float) -> float:
        return status_quo * self.factor if self.factor is not None else status_quo + self.plus


def parse_relative(value: object) -> Relative | None:
    match = RELATIVE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    if match["times"]:
        return Relative(value.strip(), factor=float(match["factor"]))
    return Relative(value.strip(), plus=float(match["amount"]) * (1 if match["sign"] == "+" else -1))


RELATIVE_RULE = ("'x2' (twice the status quo), 'sq+0.2' (the status quo plus 0.2) or 'sq-0.1'; YAML reads a "
                 "bare +0.2 as the number 0.2, so write 'sq+0.2' or quote it")


@dataclass(frozen=True)
class LeverSettingSpec(Spec):
    """A fixed intensity, ``adaptive``, ``{schedule: {YYYY-MM: intensity}}``, or an intensity
    relative to the status quo (``x2``, ``+0.2``; ``Relative``); read as LeverSetting keywords
    (mode, value, schedule), relative values resolved by the loader."""

    def read(self, report: Report, key: Key, value: object) -> object:
        if value == "adaptive":
            return {"mode": "adaptive"}
        if isinstance(value, dict):
            entry = Record({"schedule": Anything()}).read(report, key, value)
            schedule = mapping(report, (*key, "schedule"), entry.get("schedule"))
            if schedule is None:
                return INVALID
            if not schedule:
                report.fail(key, f"{dotted(key)}: a schedule needs at least one 'YYYY-MM: intensity'")
                return INVALID
            points = []
            for when, intensity in schedule.items():
                month = Month().read(report, (*key, "schedule", when), when)
                number = parse_relative(intensity) or Number(*UNIT_RANGE).read(report, (*key, "schedule", when),
                                                                               intensity)
                if month is not INVALID and number is not INVALID:
                    points.append((month, number))
            return {"mode": "schedule", "schedule": tuple(sorted(points, key=lambda point: point[0]))}
        if isinstance(value, str):
            relative = parse_relative(value)
            if relative is not None:
                return {"mode": "fixed", "value": relative}
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected an intensity in [0, 1], "
                        f"'adaptive', {{schedule: {{YYYY-MM: intensity}}}}, or relative: {RELATIVE_RULE}")
            return INVALID
        number = Number(*UNIT_RANGE).read(report, key, value)
        return INVALID if number is INVALID else {"mode": "fixed", "value": number}

    def schema(self) -> dict:
        month = {"type": "string", "pattern": MONTH_PATTERN}
        intensity = Number(*UNIT_RANGE).schema()
        relative = {"type": "string", "pattern": RELATIVE.pattern, "description": f"relative: {RELATIVE_RULE}"}
        return self.described({"oneOf": [
            {**intensity, "description": "fixed intensity"},
            relative,
            {"const": "adaptive", "description": "the actor decides"},
            {"type": "object", "additionalProperties": False, "required": ["schedule"],
             "description": "piecewise intensity by month",
             "properties": {"schedule": {"type": "object", "propertyNames": month,
                                         "additionalProperties": {"oneOf": [intensity, relative]},
                                         "minProperties": 1}}},
        ]})


@dataclass(frozen=True)
class ConditionSpec(Spec):
    """A trigger or shock condition (``sim.scenario.conditions``); read as (text, parsed tree)."""

    catalogue: Catalogue = field(compare=False, repr=False, kw_only=True)

    def read(self, report: Report, key: Key, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected a condition such as "
                        "'influence.russia.mali > 0.4'")
            return INVALID
        levers = self.catalogue.lever_ids()
        names = list(self.catalogue.parameters)
        institutions = load_institutions().names_by_holder()
        try:
            tree = parse_condition(value, lambda path: check_state_path(path, ACTORS, levers, names, institutions))
        except ConditionError as exc:
            report.fail(key, f"{exc} in condition {value!r}", offset=exc.offset)
            return INVALID
        return value.strip(), tree

    def schema(self) -> dict:
        return self.described({"type": "string"})


def change_range(path: StatePath, additive: bool, catalogue: Catalogue) -> tuple[float, float]:
    """The values an event may give ``path`` (``set``) or add to it (``add``): the one table of ranges
    in sim.scenario.paths. Institutions take whole numbers within the range."""
    return paths_change_range(path, additive, catalogue.parameters)


def writable_paths(catalogue: Catalogue) -> list[str]:
    """Every state path an event may change, in a stable order."""
    paths = [f"context.{a}.{v}" for a in ACTORS for v in SETTABLE_CONTEXT]
    paths += [f"levers.{lv.actor}.{lv.id}" for lv in catalogue.levers]
    paths += [f"parameters.{name}" for name in catalogue.parameters]
    paths += [f"actors.{a}.budget" for a in ACTORS]
    paths += [f"actors.{a}.objectives.{b}" for a in ACTORS for b in ACTORS if a != b]
    paths += [f"institution.{key}" for key in load_institutions().keys]
    paths += [f"{root}.{a}.{b}" for root in ("influence", "relation") for a in ACTORS for b in ACTORS if a != b]
    return paths


def _form_problem(parsed: StatePath) -> str | None:
    """Why a path an event writes has the wrong form or actors, or None: a pair path (influence,
    relation, objectives) names two different actors, the others one actor and a name."""
    path, root, parts = str(parsed), parsed.root, parsed.parts
    objectives = root == "actors" and len(parts) == 3 and parts[1] == "objectives"
    if len(parts) != 2 and not objectives:
        form = "actors.<a>.budget or actors.<a>.objectives.<b>" if root == "actors" else f"{root}.<a>.<b>"
        return f"state path '{path}' should be {form}"
    paired = objectives or root in ("influence", "relation")
    for actor in (parts[0], parts[-1]) if paired else (parts[0],):
        if actor not in ACTORS:
            return f"unknown actor '{actor}'{hint(actor, ACTORS)}"
    if paired and parts[0] == parts[-1]:
        return f"state path '{path}': an actor has no {'objective' if objectives else root} on itself"
    return None


@dataclass(frozen=True)
class StateChanges(Spec):
    """``set:`` or ``add:`` of an event, trigger or shock: state paths with their values."""

    additive: bool
    catalogue: Catalogue = field(compare=False, repr=False, kw_only=True)

    def read(self, report: Report, key: Key, value: object) -> object:
        raw = mapping(report, key, value)
        if raw is None:
            return INVALID
        out = {}
        for path, change in raw.items():
            checked = self.change(report, (*key, path), str(path), change)
            if checked is not INVALID:
                out[path] = checked
        return out

    def change(self, report: Report, key: Key, path: str, value: object) -> object:
        """One ``root.a.b: value``; the value to apply."""
        try:
            parsed = parse_path(path)
        except PathError as exc:
            report.fail(key, str(exc), at_key=True)
            return INVALID
        problem = self.path_problem(parsed)
        if problem:
            report.fail(key, problem, at_key=True)
            return INVALID
        if parsed.root == "institution":
            allowed = (-1, 0, 1) if self.additive else (0, 1)
            if isinstance(value, bool) or value not in allowed:
                report.fail(key, f"{path} = {shown(value)}; expected {' or '.join(map(str, allowed))} (an "
                            "institution is in force or not)")
                return INVALID
            return float(value)
        if parsed.root == "levers" and value == "adaptive" and not self.additive:
            return "adaptive"
        return Number(*change_range(parsed, self.additive, self.catalogue)).read(report, key, value)

    def path_problem(self, parsed: StatePath) -> str | None:
        """Why events cannot change ``parsed``, or None: its root, then its form, then its names."""
        path, root = str(parsed), parsed.root
        if root not in WRITE_ROOTS:
            return f"'{path}' cannot be changed; events change paths starting with {', '.join(WRITE_ROOTS)}"
        if root == "parameters":
            names = list(self.catalogue.parameters)
            return None if parsed.first in names else f"unknown parameter '{parsed.first}'{hint(parsed.first, names)}"
        return _form_problem(parsed) or self.name_problem(parsed)

    def name_problem(self, parsed: StatePath) -> str | None:
        """Why the variable, institution or lever a one-actor path names is unknown, or None."""
        path, root, first, second = str(parsed), parsed.root, parsed.first, parsed.parts[-1]
        if root == "context" and second not in SETTABLE_CONTEXT:
            return f"unknown context variable '{second}'{hint(second, SETTABLE_CONTEXT)}"
        if root == "actors" and len(parsed.parts) == 2 and second != "budget":
            why = ("; expected actors.<a>.objectives.<target>" if second == "objectives"
                   else hint(second, ACTOR_STATE, f"; expected {', '.join(ACTOR_STATE)}"))
            return f"unknown actor variable '{second}' in '{path}'{why}"
        own = (load_institutions().names_by_holder() if root == "institution" else
               self.catalogue.lever_ids() if root == "levers" else {}).get(first, [])
        if root == "institution" and second not in own:
            fallback = f"; expected one of {', '.join(own) or '(none)'}"
            return f"unknown institution '{second}' of {first}{hint(second, own, fallback)}"
        if root == "levers" and second not in own:
            return f"unknown lever '{second}' for {first}{hint(second, own)}"
        return None

    def schema(self) -> dict:
        properties = {}
        for text in writable_paths(self.catalogue):
            path = parse_path(text)
            low, high = change_range(path, self.additive, self.catalogue)
            value = ({"type": "integer", "minimum": int(low), "maximum": int(high)} if path.root == "institution"
                     else Number(low, high).schema())
            properties[text] = ({"oneOf": [value, {"const": "adaptive"}]} if path.root == "levers" and not self.additive
                                else value)
        return self.described({"type": "object", "properties": properties, "additionalProperties": False})


@dataclass(frozen=True)
class UncertaintySpec(Spec):
    """How one parameter is drawn per replicate, within the parameter's range ``low..high``;
    read as (distribution, arguments)."""

    low: float
    high: float

    def read(self, report: Report, key: Key, value: object) -> object:
        arguments = tuple(sorted({a for args in DISTRIBUTIONS.values() for a in args}))
        entry = Record({"distribution": Anything(), **{a: Anything() for a in arguments}}).read(report, key, value)
        if entry is INVALID:
            return INVALID
        kind = Choice(tuple(DISTRIBUTIONS)).read(report, (*key, "distribution"), entry.get("distribution"))
        if kind is INVALID:
            return INVALID
        wanted = DISTRIBUTIONS[kind]
        for name in entry:
            if name not in (*wanted, "distribution"):
                report.fail((*key, name), f"'{name}' does not apply to a {kind} distribution; it takes "
                            f"{', '.join(wanted)}", at_key=True)
        args = self.choice(report, key, entry) if kind == "choice" else self.shaped(report, key, kind, entry)
        return INVALID if args is INVALID else (kind, args)

    def choice(self, report: Report, key: Key, entry: dict) -> object:
        values = entry.get("values")
        if not isinstance(values, list) or not values:
            report.fail((*key, "values"), "a choice needs 'values: [...]' (at least one)")
            return INVALID
        checked = [Number(self.low, self.high).read(report, (*key, "values", i), v) for i, v in enumerate(values)]
        weights = entry.get("weights", [1.0] * len(values))
        if not isinstance(weights, list) or len(weights) != len(values):
            report.fail((*key, "weights"), f"weights should be a list of {len(values)} numbers")
            return INVALID
        weighed = [Number(0.0, 1e9).read(report, (*key, "weights", i), w) for i, w in enumerate(weights)]
        if INVALID in checked or INVALID in weighed:
            return INVALID
        if sum(weighed) <= 0:
            report.fail((*key, "weights"), "weights must not all be zero")
            return INVALID
        return {"values": tuple(checked), "weights": tuple(weighed)}

    def shaped(self, report: Report, key: Key, kind: str, entry: dict) -> object:
        args = {}
        for name in DISTRIBUTIONS[kind]:
            if name not in entry:
                report.fail(key, f"a {kind} distribution needs '{name}'")
                return INVALID
            bounds = (1e-12, self.high - self.low) if name == "sd" else (self.low, self.high)
            number = Number(*bounds).read(report, (*key, name), entry[name])
            if number is INVALID:
                return INVALID
            args[name] = number
        if kind == "uniform" and args["low"] >= args["high"]:
            report.fail(key, f"uniform low {args['low']} must be below high {args['high']}")
            return INVALID
        if kind == "triangular" and not (args["low"] <= args["mode"] <= args["high"] and args["low"] < args["high"]):
            report.fail(key, f"triangular needs low <= mode <= high with low < high, got {args}")
            return INVALID
        return args

    def schema(self) -> dict:
        arguments = sorted({a for args in DISTRIBUTIONS.values() for a in args})
        return self.described({"type": "object", "additionalProperties": False, "required": ["distribution"],
                               "properties": {"distribution": {"enum": list(DISTRIBUTIONS)},
                                              **{a: {"type": ["number", "array"]} for a in arguments}}})


@dataclass(frozen=True)
class SeriesSpec(Spec):
    """One plain series (``influence.morocco.mali``: no @, no arithmetic), as the question names them."""

    catalogue: Catalogue = field(compare=False, repr=False, kw_only=True)

    def read(self, report: Report, key: Key, value: object) -> object:
        text = str(value)
        try:
            outcome = parse_outcome(text, self.catalogue.lever_ids())
        except OutcomeError as exc:
            report.fail(key, f"{exc} in {text!r}")
            return INVALID
        if outcome.single_series is None or "@" in text:
            report.fail(key, f"{text!r}: expected one series such as influence.morocco.mali (no @, no arithmetic)")
            return INVALID
        return text.strip()

    def schema(self) -> dict:
        return self.described({"type": "string"})


THRESHOLD = re.compile(r"^\s*(?P<left>[^<>=]+?)\s*(?P<op><=|>=|<|>)\s*(?P<right>[^<>=]+?)\s*$")


def threshold_parts(text: str) -> tuple[float | str, str, float | str] | None:
    """``A op B`` split into its sides, each a finite number or a series text; None if not that form.

    The one reading of a threshold, for the checker and for the evaluation alike.
    """
    match = THRESHOLD.match(text)
    if not match:
        return None

    def side(part: str) -> float | str:
        try:
            number = float(part)
        except ValueError:
            return part.strip()
        return number if math.isfinite(number) else part.strip()

    return side(match.group("left")), match.group("op"), side(match.group("right"))


@dataclass(frozen=True)
class ThresholdSpec(SeriesSpec):
    """``A op B`` with A and B series or numbers (``influence.russia.mali > influence.morocco.mali``)."""

    def read(self, report: Report, key: Key, value: object) -> object:
        parts = threshold_parts(str(value))
        if parts is None:
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected 'A > B' with series or numbers, e.g. "
                        "influence.russia.mali > influence.morocco.mali")
            return INVALID
        if all(isinstance(side, float) for side in (parts[0], parts[2])):
            report.fail(key, f"{dotted(key)} = {shown(value)}; compares two numbers: one side must be a series, "
                        "e.g. influence.russia.mali > 0.3")
            return INVALID
        sides = [s if isinstance(s, float) else super(ThresholdSpec, self).read(report, key, s)
                 for s in (parts[0], parts[2])]
        return INVALID if INVALID in sides else str(value).strip()


@dataclass(frozen=True)
class WindowSpec(Spec):
    """``YYYY-MM..YYYY-MM``, read as a pair of absolute months (the run's bounds are checked later)."""

    def read(self, report: Report, key: Key, value: object) -> object:
        first, _, last = str(value).partition("..")
        months = (parse_month(first.strip()), parse_month(last.strip()))
        if None in months or months[0] > months[1]:
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected YYYY-MM..YYYY-MM")
            return INVALID
        return months

    def schema(self) -> dict:
        return self.described({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}\\.\\.[0-9]{4}-[0-9]{2}$"})


# -- the format --------------------------------------------------------------------------


def _provenance(report: Report, key: Key, entry: dict) -> None:
    """Every change says where it comes from: a seed document or an assumption in words."""
    item_id = entry.get("id") or ""
    if not entry.get("source") and not entry.get("assumption"):
        report.fail(key, f"'{item_id}' needs a 'source' (seed file) or an 'assumption' text")
    if not entry.get("set") and not entry.get("add"):
        report.fail(key, f"'{item_id}' changes nothing; give 'set:' or 'add:'")
    source, known = entry.get("source"), known_sources()
    if isinstance(source, str) and source.strip() not in known:
        where = f"in {seeds_dir()}" if seed_files() is not None else "of the project (sim/data/sources.yaml)"
        why = hint(source, known, f"; expected one of {', '.join(known)}")
        report.fail((*key, "source"), f"source '{source}' of '{item_id}' is not a seed document {where}{why}")


def _change_fields(catalogue: Catalogue) -> dict[str, Spec]:
    """The keys an event, trigger or shock shares: what it changes and where that comes from."""
    return {
        "set": StateChanges(False, catalogue=catalogue, description="state paths set to a value"),
        "add": StateChanges(True, catalogue=catalogue, description="state paths changed by an amount"),
        "source": Text(description="seed file the change comes from"),
        "assumption": Text(description="why, when no document says so"),
        "description": Text(),
    }


def question_format(catalogue: Catalogue) -> Record:
    return Record({
        "text": Text(description="the question in words"),
        "outcomes": ListOf(SeriesSpec(catalogue=catalogue), what="series",
                           description="series the report answers first, e.g. influence.morocco.mali"),
        "window": WindowSpec(description="YYYY-MM..YYYY-MM"),
        "threshold": ThresholdSpec(catalogue=catalogue,
                                   description="e.g. influence.russia.mali > influence.morocco.mali"),
    }, description="what the what-if asks: sim compare leads its report with the answer")


def _per_actor(value: Spec, owner: str | None = None) -> Table:
    return Table(ACTORS, lambda _: value, noun="actor", exclude=owner)


class BudgetSpec(Spec):
    """A budget in BUDGET_RANGE, or relative to the status-quo total (``Relative``)."""

    def read(self, report: Report, key: Key, value: object) -> object:
        return parse_relative(value) or Number(*BUDGET_RANGE).read(report, key, value)

    def schema(self) -> dict:
        return self.described({"oneOf": [Number(*BUDGET_RANGE).schema(),
                                         {"type": "string", "pattern": RELATIVE.pattern}]})


def _actor(actor: str) -> Record:
    return Record({
        "budget": BudgetSpec(description="total effort per month across the actor's levers, or relative to "
                                         f"its status-quo total ({RELATIVE_RULE}); default: its status-quo total"),
        "budget_policy": Choice(BUDGET_POLICIES, default=BUDGET_POLICIES[0],
                                description="extend: fixed levers are funded on top of the budget (default); "
                                            "reallocate: they are paid from it, crowding adaptive levers out"),
        "objectives": _per_actor(Number(0.0, 1.0), actor),
        "influence": _per_actor(Number(*UNIT_RANGE), actor),
        "relations": _per_actor(Number(*RELATION_RANGE), actor),
    })


def _levers_of(catalogue: Catalogue, actor: str, value: Callable[[str], Spec]) -> Table:
    return Table(tuple(catalogue.lever_ids()[actor]), value, noun="lever", owner=f" for {actor}")


@lru_cache(maxsize=1)
def scenario_format() -> Record:
    """The whole scenario file, top to bottom, on the packaged catalogues."""
    catalogue = load_catalogue()
    institutions = load_institutions()
    institution_text = dict(zip(institutions.keys, (i.description for i in institutions.institutions), strict=True))
    decision_text = {d.id: f"{d.actor}: {d.action} {d.institution}" for d in institutions.decisions}
    descriptions = {(lv.actor, lv.id): lv.description for lv in catalogue.levers}
    changes = _change_fields(catalogue)
    condition = ConditionSpec(catalogue=catalogue,
                              description="e.g. influence.russia.mali > 0.4 and month >= 2023-01")
    parameters = catalogue.parameters
    return Record({
        "extends": Text(description="parent scenario file, relative to this one"),
        "name": Text(pattern=SCENARIO_NAME, non_empty=True,
                     rule="up to 80 letters, digits, '_', '-' or '.', starting with a letter or digit "
                          "(it names output folders)"),
        "description": Text(),
        "start": Month(description="first month, YYYY-MM"),
        "horizon": Integer(1, MAX_HORIZON, description="monthly steps"),
        "seed": Integer(0, MAX_SEED, default=0),
        "replicates": Integer(1, MAX_REPLICATES, default=100),
        "actors": Table(ACTORS, _actor, noun="actor"),
        "context": _per_actor(Record({v: Number(*UNIT_RANGE, default=CONTEXT_DEFAULTS.get(v))
                                      for v in SETTABLE_CONTEXT})),
        "levers": Table(ACTORS, lambda a: _levers_of(
            catalogue, a, lambda lever: LeverSettingSpec(description=descriptions[a, lever])), noun="actor"),
        "status_quo": Table(ACTORS, lambda a: _levers_of(catalogue, a, lambda _: Number(*UNIT_RANGE)), noun="actor"),
        "institutions": Table(institutions.keys, lambda k: Choice((0, 1), description=institution_text[k],
                                                                  rule="0 (not in force) or 1 (in force)"),
                              noun="institution",
                              description="starting institutional state, 1 in force / member / present"),
        "decisions": Table(tuple(d.id for d in institutions.decisions), lambda d: DecisionSwitch(
            description=decision_text[d]), noun="decision",
            description="switch an actor's decision rule off, back on, or on from a month (a replay that scripts "
                        "the choice; a backtest after its cutoff), e.g. to ask what happens if ECOWAS never settles"),
        "parameters": Table(tuple(parameters), lambda n: Number(
            parameters[n].low, parameters[n].high,
            description=f"{parameters[n].unit}; default {parameters[n].default}. {parameters[n].rationale}"),
            noun="parameter"),
        "events": Entries(Record({
            "id": Text(non_empty=True), "date": Month(), **changes,
            "chosen_by": Choice(ACTORS, description="the actor whose choice this event is (absent: exogenous, outside "
                                                    "the six actors' control); a backtest drops chosen events after "
                                                    "its cutoff and lets the actors' rules decide (sim backtest)"),
        }, required=("id", "date"), checks=(_provenance,))),
        "triggers": Entries(Record({
            "id": Text(non_empty=True), "when": condition,
            "once": Flag(default=True, rule="true (fire once) or false (every month)"),
            "delay": Integer(0, MAX_HORIZON, default=0), **changes,
        }, required=("id", "when"), checks=(_provenance,))),
        "shocks": Entries(Record({
            "id": Text(non_empty=True), "probability": Number(0.0, 1.0, description="per month"),
            "when": condition, **changes,
        }, required=("id", "probability"), checks=(_provenance,))),
        "uncertainties": Table(tuple(parameters), lambda n: UncertaintySpec(parameters[n].low, parameters[n].high),
                               noun="parameter"),
        "outputs": Record({"metrics": ListOf(Choice(METRICS, noun="metric")),
                           "actors": ListOf(Choice(ACTORS, noun="actor"))}),
        "question": question_format(catalogue),
    }, required=("name", "start", "horizon"), required_in_file=False,
        description=f"Context variables readable in conditions: {', '.join(READABLE_CONTEXT)}.")
