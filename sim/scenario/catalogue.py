"""The lever and parameter catalogues: packaged data, loaded and validated once.

The catalogues are the single source of truth for what levers exist, what evidence backs
them, and every parameter's default, range and unit. Scenarios, sensitivity analysis and
calibration all read them from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from sim.errors import InputError, Problem
from sim.scenario.paths import RECORDED_CONTEXT
from sim.scenario.yamlsafe import Document, parse_yaml_bytes

ACTORS: tuple[str, ...] = ("morocco", "algeria", "mali", "mauritania", "ecowas", "russia")
ACTOR_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "morocco": "Morocco",
        "algeria": "Algeria",
        "mali": "Mali",
        "mauritania": "Mauritania",
        "ecowas": "ECOWAS",
        "russia": "Russia",
    }
)
CHANNELS: tuple[str, ...] = (
    "diplomatic",
    "mediation",
    "economic",
    "security",
    "religious-cultural",
    "educational",
    "humanitarian",
    "coercive",
)
CONTEXT_METRICS: tuple[str, ...] = RECORDED_CONTEXT  # the per-state output series (sim.scenario.paths)
METRICS: tuple[str, ...] = ("influence", "relation", "effort", "institution", "decision", *CONTEXT_METRICS)
KINDS: tuple[str, ...] = ("pull", "coerce", "undermine", "welcome", "align")
LEVER_PARAMETERS: tuple[str, ...] = ("weight", "goodwill", "tau_up", "tau_down", "threat_relief")
MAX_QUOTE_WORDS = 30


@dataclass(frozen=True)
class ParameterSpec:
    """A model parameter with its default, plausible range, unit and why."""

    name: str
    default: float
    low: float
    high: float
    unit: str
    rationale: str


@dataclass(frozen=True)
class Evidence:
    """A short verbatim quote from a seed document that supports a lever."""

    source: str
    quote: str


@dataclass(frozen=True)
class Lever:
    """One way an actor pulls on others, as the documents describe it."""

    actor: str
    id: str
    channel: str
    kind: str
    rival: str | None
    targets: tuple[str, ...]
    description: str
    initial_effort: float
    parameters: Mapping[str, ParameterSpec]
    evidence: tuple[Evidence, ...]

    @property
    def key(self) -> str:
        """Globally unique name, ``actor.id``."""
        return f"{self.actor}.{self.id}"


@dataclass(frozen=True)
class Catalogue:
    """All levers (in a fixed order, which is the model's lever axis) and all parameters."""

    levers: tuple[Lever, ...]
    parameters: Mapping[str, ParameterSpec]

    def levers_of(self, actor: str) -> tuple[Lever, ...]:
        return tuple(lever for lever in self.levers if lever.actor == actor)

    def lever_ids(self) -> dict[str, list[str]]:
        """Each actor's lever ids, as expression parsers check ``effort.<actor>.<lever>`` against."""
        return {a: [lv.id for lv in self.levers_of(a)] for a in ACTORS}

    def lever(self, actor: str, lever_id: str) -> Lever | None:
        for lever in self.levers:
            if lever.actor == actor and lever.id == lever_id:
                return lever
        return None


def lever_parameter_name(lever: Lever, parameter: str) -> str:
    return f"levers.{lever.actor}.{lever.id}.{parameter}"


@cache
def load_catalogue() -> Catalogue:
    """Load and validate the packaged catalogues (once per process)."""
    problems: list[Problem] = []
    parameters: dict[str, ParameterSpec] = {}
    params_doc = _read_packaged("parameters.yaml")
    table = params_doc.data.get("parameters") if isinstance(params_doc.data, dict) else None
    if not isinstance(table, dict):
        problems.append(params_doc.problem((), "expected a 'parameters:' mapping"))
        table = {}
    for name, entry in table.items():
        spec = _parameter_spec(params_doc, ("parameters", name), name, entry, problems)
        if spec:
            parameters[name] = spec

    levers: list[Lever] = []
    levers_doc = _read_packaged("levers.yaml")
    entries = levers_doc.data.get("levers") if isinstance(levers_doc.data, dict) else None
    if not isinstance(entries, list):
        problems.append(levers_doc.problem((), "expected a 'levers:' list"))
        entries = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        lever = _lever(levers_doc, ("levers", index), entry, problems)
        if lever is None:
            continue
        if lever.key in seen:
            problems.append(levers_doc.problem(("levers", index, "id"), f"duplicate lever {lever.key}"))
            continue
        seen.add(lever.key)
        levers.append(lever)
        parameters.update({spec.name: spec for spec in lever.parameters.values()})
    if problems:
        raise InputError(problems)
    return Catalogue(levers=tuple(levers), parameters=MappingProxyType(parameters))


def _read_packaged(name: str) -> Document:
    data = resources.files("sim").joinpath("data", name).read_bytes()
    return parse_yaml_bytes(data, f"sim/data/{name}")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parameter_spec(
    doc: Document, key: tuple, name: str, entry: object, problems: list[Problem]
) -> ParameterSpec | None:
    if not isinstance(entry, dict):
        problems.append(doc.problem(key, f"parameter {name}: expected a mapping"))
        return None
    default, bounds = entry.get("default"), entry.get("range")
    if not _number(default):
        problems.append(doc.problem((*key, "default"), f"{name}.default = {default!r} is not a number"))
        return None
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(_number(b) for b in bounds)):
        problems.append(doc.problem((*key, "range"), f"{name}.range = {bounds!r}, expected [low, high]"))
        return None
    low, high = float(bounds[0]), float(bounds[1])
    if not low <= float(default) <= high:
        problems.append(doc.problem(key, f"{name}: default {default} outside range [{low}, {high}]"))
        return None
    return ParameterSpec(
        name=name,
        default=float(default),
        low=low,
        high=high,
        unit=str(entry.get("unit", "")),
        rationale=str(entry.get("rationale", "")),
    )


def _lever(doc: Document, key: tuple, entry: object, problems: list[Problem]) -> Lever | None:
    if not isinstance(entry, dict):
        problems.append(doc.problem(key, "expected a lever mapping"))
        return None
    before = len(problems)
    actor, lever_id = entry.get("actor"), entry.get("id")
    channel, kind, rival = entry.get("channel"), entry.get("kind", "pull"), entry.get("rival")
    targets = entry.get("targets")
    if actor not in ACTORS:
        problems.append(doc.problem((*key, "actor"), f"unknown actor {actor!r}"))
    if not isinstance(lever_id, str) or not lever_id.isidentifier():
        problems.append(doc.problem((*key, "id"), f"lever id {lever_id!r} is not a snake_case name"))
    if channel not in CHANNELS:
        problems.append(doc.problem((*key, "channel"), f"channel {channel!r}, expected one of {CHANNELS}"))
    if kind not in KINDS:
        problems.append(doc.problem((*key, "kind"), f"kind {kind!r}, expected one of {KINDS}"))
    if (kind == "undermine") != (rival in ACTORS):
        problems.append(doc.problem(key, "an undermine lever needs a rival actor, other kinds none"))
    if not (isinstance(targets, list) and targets and all(t in ACTORS and t != actor for t in targets)):
        problems.append(doc.problem((*key, "targets"), f"targets {targets!r} must be other actors"))
    effort = entry.get("initial_effort", 0.0)
    if not (_number(effort) and 0 <= effort <= 1):
        problems.append(doc.problem((*key, "initial_effort"), f"initial_effort {effort!r} not in [0, 1]"))
    evidence = _evidence(doc, key, entry.get("evidence"), problems)
    params: dict[str, ParameterSpec] = {}
    raw_params = entry.get("parameters") or {}
    for pname in raw_params if isinstance(raw_params, dict) else ():
        if pname not in LEVER_PARAMETERS:
            problems.append(doc.problem((*key, "parameters", pname), f"unknown lever parameter {pname!r}"))
            continue
        full = f"levers.{actor}.{lever_id}.{pname}"
        spec = _parameter_spec(doc, (*key, "parameters", pname), full, raw_params[pname], problems)
        if spec:
            params[pname] = spec
    for required in ("weight", "goodwill", "tau_up", "tau_down"):
        if required not in params and len(problems) == before:
            problems.append(doc.problem(key, f"lever {actor}.{lever_id} lacks parameter {required}"))
    if len(problems) > before:
        return None
    if "threat_relief" not in params:
        name = f"levers.{actor}.{lever_id}.threat_relief"
        params["threat_relief"] = ParameterSpec(name, 0.0, 0.0, 0.0, "threat per month", "not a security lever")
    return Lever(
        actor=actor,
        id=lever_id,
        channel=channel,
        kind=kind,
        rival=rival,
        targets=tuple(targets),
        description=str(entry.get("description", "")).strip(),
        initial_effort=float(effort),
        parameters=MappingProxyType(params),
        evidence=evidence,
    )


def _evidence(doc: Document, key: tuple, raw: object, problems: list[Problem]) -> tuple[Evidence, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(doc.problem(key, "every lever needs at least one evidence quote"))
        return ()
    out = []
    for i, item in enumerate(raw):
        if not (isinstance(item, dict) and isinstance(item.get("source"), str) and item.get("quote")):
            problems.append(doc.problem((*key, "evidence", i), "evidence needs source and quote"))
            continue
        quote = str(item["quote"]).strip()
        if len(quote.split()) > MAX_QUOTE_WORDS:
            problems.append(doc.problem((*key, "evidence", i), f"quote longer than {MAX_QUOTE_WORDS} words"))
        out.append(Evidence(source=item["source"], quote=quote))
    return tuple(out)
