"""Scenario files: the only module that reads scenario YAML.

It checks everything at the boundary and returns frozen, typed objects, so the model can
trust its inputs. Every problem in a file is reported at once, each with its file, line
and column, the bad value and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from sim.catalogue import ACTORS, Catalogue, load_catalogue
from sim.errors import InputError, Problem, did_you_mean
from sim.months import format_month, parse_month
from sim.yamlsafe import Document, Key, read_yaml_file

TOP_LEVEL_KEYS = (
    "name",
    "description",
    "start",
    "horizon",
    "seed",
    "replicates",
    "actors",
    "context",
    "levers",
    "parameters",
    "events",
)
ACTOR_KEYS = ("budget", "objectives", "influence", "relations")
CONTEXT_VARIABLES = ("threat", "stability", "western_presence", "western_commitment")
EVENT_KEYS = ("id", "date", "set", "add", "source", "assumption", "description")
STATE_ROOTS = ("context", "levers", "parameters", "influence", "relation")
MAX_HORIZON = 600
MAX_REPLICATES = 10_000_000

_CONTEXT_DEFAULTS = {"threat": 0.1, "stability": 0.8, "western_presence": 0.0}


@dataclass(frozen=True)
class LeverSetting:
    """How hard an actor pulls a lever: fixed, piecewise by month, or left to the agent."""

    mode: str  # "fixed" | "schedule" | "adaptive"
    value: float | None = None
    schedule: tuple[tuple[int, float], ...] = ()  # (absolute month, intensity), sorted

    def intensity_at(self, month: int) -> float | None:
        """The fixed intensity in force at ``month``; None when the agent decides."""
        if self.mode == "fixed":
            return self.value
        if self.mode == "schedule":
            current = None
            for when, value in self.schedule:
                if when <= month:
                    current = value
            return current
        return None


@dataclass(frozen=True)
class ActorSetup:
    """An actor's starting position and priorities."""

    budget: float
    objectives: Mapping[str, float]
    influence: Mapping[str, float]  # this actor's influence on each target, in [0, 1]
    relations: Mapping[str, float]  # this actor's attitude towards each other actor, in [-1, 1]


@dataclass(frozen=True)
class CountryContext:
    """Conditions inside a state that change how receptive it is to each channel."""

    threat: float
    stability: float
    western_presence: float
    western_commitment: float


@dataclass(frozen=True)
class Event:
    """A dated change to the state, a parameter or a lever, with where it comes from."""

    id: str
    month: int
    set: Mapping[str, float | str]
    add: Mapping[str, float]
    source: str | None = None
    assumption: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build it with :func:`load_scenario`."""

    name: str
    description: str
    start: int  # absolute month of step 0
    horizon: int  # number of monthly steps
    seed: int
    replicates: int
    actors: Mapping[str, ActorSetup]
    context: Mapping[str, CountryContext]
    levers: Mapping[str, Mapping[str, LeverSetting]]
    parameters: Mapping[str, float]
    events: tuple[Event, ...]
    path: str = field(default="", compare=False)

    def date_of(self, step: int) -> str:
        return format_month(self.start + step)

    def to_dict(self) -> dict:
        """Plain data equivalent of the file (what the content hash is taken over)."""
        return {
            "name": self.name,
            "description": self.description,
            "start": format_month(self.start),
            "horizon": self.horizon,
            "seed": self.seed,
            "replicates": self.replicates,
            "actors": {
                a: {
                    "budget": s.budget,
                    "objectives": dict(s.objectives),
                    "influence": dict(s.influence),
                    "relations": dict(s.relations),
                }
                for a, s in self.actors.items()
            },
            "context": {c: vars(x).copy() for c, x in self.context.items()},
            "levers": {
                a: {lever: _setting_to_data(s) for lever, s in settings.items()}
                for a, settings in self.levers.items()
            },
            "parameters": dict(self.parameters),
            "events": [_event_to_data(e) for e in self.events],
        }

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _setting_to_data(setting: LeverSetting) -> object:
    if setting.mode == "fixed":
        return setting.value
    if setting.mode == "schedule":
        return {"schedule": {format_month(m): v for m, v in setting.schedule}}
    return "adaptive"


def _event_to_data(event: Event) -> dict:
    data: dict = {"id": event.id, "date": format_month(event.month)}
    if event.set:
        data["set"] = dict(event.set)
    if event.add:
        data["add"] = dict(event.add)
    if event.source:
        data["source"] = event.source
    if event.assumption:
        data["assumption"] = event.assumption
    return data


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, check and resolve a scenario file.

    Args:
        path: the YAML file.
        overrides: ``PATH=VALUE`` strings (as given to ``--set``) applied on top of the file.

    Raises:
        InputError: listing every problem found, each located in the file or the override.
    """
    doc = read_yaml_file(path)
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem((), "expected a mapping of scenario keys at the top level")])
    origins = _apply_overrides(doc, overrides)
    return _Checker(doc, load_catalogue(), origins).scenario()


def _apply_overrides(doc: Document, overrides: list[str] | tuple[str, ...]) -> dict[Key, str]:
    """Put ``--set`` values into the parsed data; remember which keys came from where."""
    import yaml

    origins: dict[Key, str] = {}
    problems = []
    for text in overrides:
        shown = f"--set {text}"
        name, sep, raw = text.partition("=")
        if not sep or not name.strip():
            problems.append(Problem(shown, 1, 1, "expected PATH=VALUE, e.g. levers.morocco.medical_aid=0.8"))
            continue
        parts: list[str] = [p for p in name.strip().split(".")]
        if parts[0] == "parameters" and len(parts) > 1:
            parts = ["parameters", ".".join(parts[1:])]  # parameter names contain dots
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        target = doc.data
        for part in parts[:-1]:
            if not isinstance(target, dict):
                break
            target = target.setdefault(part, {})
        if not isinstance(target, dict):
            problems.append(Problem(shown, 1, 1, f"'{name}' does not name a setting in the scenario"))
            continue
        target[parts[-1]] = value
        origins[tuple(parts)] = shown
    if problems:
        raise InputError(problems)
    return origins


class _Checker:
    """Walks the parsed document once, collecting problems and building the Scenario."""

    def __init__(self, doc: Document, catalogue: Catalogue, origins: dict[Key, str]):
        self.doc = doc
        self.catalogue = catalogue
        self.origins = origins
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------------

    def fail(self, key: Key, message: str, *, at_key: bool = False) -> None:
        for origin_key, shown in self.origins.items():
            if key[: len(origin_key)] == origin_key:
                column = shown.index("=") + 2 if "=" in shown else 1
                self.problems.append(Problem(shown, 1, column, message))
                return
        self.problems.append(self.doc.problem(key, message, at_key=at_key))

    @staticmethod
    def dotted(key: Key) -> str:
        return ".".join(str(k) for k in key)

    # -- typed readers ---------------------------------------------------------------

    def number(self, key: Key, value: object, low: float, high: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"{self.dotted(key)} = {value!r} is not a number; expected one in [{low}, {high}]")
            return None
        if not math.isfinite(value):
            self.fail(key, f"{self.dotted(key)} = {value} is not a finite number; expected [{low}, {high}]")
            return None
        if not low <= value <= high:
            self.fail(key, f"{self.dotted(key)} = {value} is outside [{low}, {high}]")
            return None
        return float(value)

    def integer(self, key: Key, value: object, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"{self.dotted(key)} = {value!r} is not a whole number; expected {low}..{high}")
            return None
        if not low <= value <= high:
            self.fail(key, f"{self.dotted(key)} = {value} is outside {low}..{high}")
            return None
        return value

    def mapping(self, key: Key, value: object, allowed: tuple[str, ...] | None = None) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"{self.dotted(key)} should be a mapping, got {type(value).__name__} {value!r}")
            return {}
        if allowed is not None:
            for name in value:
                if name not in allowed:
                    where = self.dotted(key) or "top level"
                    hint = did_you_mean(name, allowed) or f"; expected one of: {', '.join(allowed)}"
                    self.fail((*key, name), f"unknown key '{name}' in {where}{hint}", at_key=True)
        return {k: v for k, v in value.items() if allowed is None or k in allowed}

    def actor_name(self, key: Key, name: str) -> bool:
        if name in ACTORS:
            return True
        self.fail(key, f"unknown actor '{name}'{did_you_mean(name, ACTORS)}", at_key=True)
        return False

    def month(self, key: Key, value: object) -> int | None:
        month = parse_month(value)
        if month is None:
            self.fail(key, f"{self.dotted(key)} = {value!r} is not a month; expected YYYY-MM, e.g. 2022-07")
        return month

    # -- sections --------------------------------------------------------------------

    def scenario(self) -> Scenario:
        data = self.mapping((), self.doc.data, TOP_LEVEL_KEYS)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.fail(("name",), f"name = {name!r}; expected a non-empty text")
            name = ""
        description = data.get("description", "")
        if not isinstance(description, str):
            self.fail(("description",), "description should be text")
            description = ""
        start = self.month(("start",), data.get("start")) if "start" in data else None
        if "start" not in data:
            self.fail((), "missing required key 'start' (YYYY-MM)")
        horizon = self.integer(("horizon",), data.get("horizon"), 1, MAX_HORIZON)
        seed = self.integer(("seed",), data.get("seed", 0), 0, 2**63 - 1)
        replicates = self.integer(("replicates",), data.get("replicates", 100), 1, MAX_REPLICATES)
        actors = self.actors(data.get("actors"))
        context = self.context(data.get("context"))
        levers = self.levers(data.get("levers"))
        parameters = self.parameters(("parameters",), data.get("parameters"))
        events = self.events(data.get("events"), start, horizon)
        if self.problems:
            raise InputError(self.problems)
        return Scenario(
            name=name.strip(),
            description=description.strip(),
            start=start,
            horizon=horizon,
            seed=seed,
            replicates=replicates,
            actors=MappingProxyType(actors),
            context=MappingProxyType(context),
            levers=MappingProxyType(levers),
            parameters=MappingProxyType(parameters),
            events=tuple(events),
            path=self.doc.path,
        )

    def actors(self, raw: object) -> dict[str, ActorSetup]:
        table = self.mapping(("actors",), raw)
        out = {}
        for actor in ACTORS:
            entry = table.get(actor) or {}
            key = ("actors", actor)
            entry = self.mapping(key, entry, ACTOR_KEYS)
            budget = self.number((*key, "budget"), entry.get("budget", 1.0), 0.0, 20.0)
            sections = {}
            for section, low in (("objectives", 0.0), ("influence", 0.0), ("relations", -1.0)):
                values = {}
                for other, value in self.mapping((*key, section), entry.get(section)).items():
                    if not self.actor_name((*key, section, other), other):
                        continue
                    if other == actor:
                        self.fail((*key, section, other), f"{actor} cannot have {section} on itself")
                        continue
                    number = self.number((*key, section, other), value, low, 1.0)
                    if number is not None:
                        values[other] = number
                sections[section] = MappingProxyType(values)
            out[actor] = ActorSetup(budget=budget or 0.0, **sections)
        for name in table:
            if name not in ACTORS:
                self.actor_name(("actors", name), name)
        for target in ACTORS:
            total = sum(out[source].influence.get(target, 0.0) for source in ACTORS)
            if total > 1.0 + 1e-9:
                self.fail(
                    ("actors",),
                    f"influences on {target} add up to {total:.3g}; they share one whole, expected <= 1",
                )
        return out

    def context(self, raw: object) -> dict[str, CountryContext]:
        table = self.mapping(("context",), raw)
        for name in table:
            if name not in ACTORS:
                self.actor_name(("context", name), name)
        out = {}
        for actor in ACTORS:
            key = ("context", actor)
            entry = self.mapping(key, table.get(actor), CONTEXT_VARIABLES)
            values = {}
            for variable in CONTEXT_VARIABLES:
                default = _CONTEXT_DEFAULTS.get(variable, values.get("western_presence", 0.0))
                number = self.number((*key, variable), entry.get(variable, default), 0.0, 1.0)
                values[variable] = default if number is None else number
            out[actor] = CountryContext(**values)
        return out

    def levers(self, raw: object) -> dict[str, dict[str, LeverSetting]]:
        table = self.mapping(("levers",), raw)
        out: dict[str, dict[str, LeverSetting]] = {}
        for actor, settings in table.items():
            if not self.actor_name(("levers", actor), actor):
                continue
            own = [lever.id for lever in self.catalogue.levers_of(actor)]
            chosen = {}
            for lever_id, value in self.mapping(("levers", actor), settings).items():
                key = ("levers", actor, lever_id)
                if lever_id not in own:
                    hint = did_you_mean(lever_id, own) or f"; {actor}'s levers are: {', '.join(own)}"
                    self.fail(key, f"unknown lever '{lever_id}' for {actor}{hint}", at_key=True)
                    continue
                setting = self.lever_setting(key, value)
                if setting:
                    chosen[lever_id] = setting
            out[actor] = MappingProxyType(chosen)
        return out

    def lever_setting(self, key: Key, value: object) -> LeverSetting | None:
        if value == "adaptive":
            return LeverSetting("adaptive")
        if isinstance(value, dict):
            entry = self.mapping(key, value, ("schedule",))
            schedule = self.mapping((*key, "schedule"), entry.get("schedule"))
            if not schedule:
                self.fail(key, f"{self.dotted(key)}: a schedule needs at least one 'YYYY-MM: intensity'")
                return None
            points = []
            for when, intensity in schedule.items():
                month = self.month((*key, "schedule", when), when)
                number = self.number((*key, "schedule", when), intensity, 0.0, 1.0)
                if month is not None and number is not None:
                    points.append((month, number))
            return LeverSetting("schedule", schedule=tuple(sorted(points)))
        if isinstance(value, str):
            self.fail(key, f"{self.dotted(key)} = {value!r}; expected an intensity in [0, 1], "
                      "'adaptive', or {schedule: {YYYY-MM: intensity}}")
            return None
        number = self.number(key, value, 0.0, 1.0)
        return None if number is None else LeverSetting("fixed", value=number)

    def parameters(self, key: Key, raw: object) -> dict[str, float]:
        out = {}
        names = list(self.catalogue.parameters)
        for name, value in self.mapping(key, raw).items():
            spec = self.catalogue.parameters.get(name)
            if spec is None:
                self.fail((*key, name), f"unknown parameter '{name}'{did_you_mean(name, names)}", at_key=True)
                continue
            number = self.number((*key, name), value, spec.low, spec.high)
            if number is not None:
                out[name] = number
        return out

    def events(self, raw: object, start: int | None, horizon: int | None) -> list[Event]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(("events",), "events should be a list of '- id: ..., date: YYYY-MM, set: {...}'")
            return []
        out, seen = [], {}
        for index, entry in enumerate(raw):
            key = ("events", index)
            entry = self.mapping(key, entry, EVENT_KEYS)
            event_id = entry.get("id")
            if not isinstance(event_id, str) or not event_id:
                self.fail(key, "every event needs an 'id' (a short name)")
                continue
            if event_id in seen:
                self.fail((*key, "id"), f"duplicate event id '{event_id}' (first at event #{seen[event_id] + 1})")
                continue
            seen[event_id] = index
            month = self.month((*key, "date"), entry.get("date"))
            if month is not None and start is not None and horizon is not None:
                last = start + horizon
                if not start <= month <= last:
                    self.fail((*key, "date"), f"event '{event_id}' date {format_month(month)} is outside "
                              f"the run {format_month(start)}..{format_month(last)}")
            if not entry.get("source") and not entry.get("assumption"):
                self.fail(key, f"event '{event_id}' needs a 'source' (seed file) or an 'assumption' text")
            sets = self.state_changes((*key, "set"), entry.get("set"), additive=False)
            adds = self.state_changes((*key, "add"), entry.get("add"), additive=True)
            if not entry.get("set") and not entry.get("add"):
                self.fail(key, f"event '{event_id}' changes nothing; give 'set:' or 'add:'")
            if month is None:
                continue
            out.append(Event(
                id=event_id,
                month=month,
                set=MappingProxyType(sets),
                add=MappingProxyType(adds),
                source=entry.get("source"),
                assumption=entry.get("assumption"),
            ))
        return out

    def state_changes(self, key: Key, raw: object, *, additive: bool) -> dict[str, float | str]:
        out: dict[str, float | str] = {}
        for path, value in self.mapping(key, raw).items():
            checked = self.state_path((*key, path), path, value, additive)
            if checked is not None:
                out[path] = checked
        return out

    def state_path(self, key: Key, path: str, value: object, additive: bool) -> float | str | None:
        """Check one ``root.a.b: value`` change of an event; return the value to apply."""
        root, _, rest = str(path).partition(".")
        if root not in STATE_ROOTS:
            hint = did_you_mean(root, STATE_ROOTS) or f"; expected a path starting with {', '.join(STATE_ROOTS)}"
            self.fail(key, f"unknown state path '{path}'{hint}", at_key=True)
            return None
        low, high = (-1.0, 1.0) if additive else (0.0, 1.0)
        if root == "parameters":
            spec = self.catalogue.parameters.get(rest)
            if spec is None:
                names = list(self.catalogue.parameters)
                self.fail(key, f"unknown parameter '{rest}'{did_you_mean(rest, names)}", at_key=True)
                return None
            span = spec.high - spec.low
            low, high = (-span, span) if additive else (spec.low, spec.high)
            return self.number(key, value, low, high)
        parts = rest.split(".")
        if len(parts) != 2:
            self.fail(key, f"state path '{path}' should be {root}.<a>.<b>", at_key=True)
            return None
        first, second = parts
        if not self.actor_name(key, first):
            return None
        if root == "context":
            if second not in CONTEXT_VARIABLES:
                hint = did_you_mean(second, CONTEXT_VARIABLES)
                self.fail(key, f"unknown context variable '{second}'{hint}", at_key=True)
                return None
        elif root == "levers":
            own = [lever.id for lever in self.catalogue.levers_of(first)]
            if second not in own:
                self.fail(key, f"unknown lever '{second}' for {first}{did_you_mean(second, own)}", at_key=True)
                return None
            if value == "adaptive" and not additive:
                return "adaptive"
        else:
            if not self.actor_name(key, second):
                return None
            if root == "relation":
                low = -2.0 if additive else -1.0
                high = 2.0 if additive else 1.0
        return self.number(key, value, low, high)
