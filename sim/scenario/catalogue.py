"""The lever and parameter catalogues: packaged data, loaded and validated once.

The catalogues are the single source of truth for what levers exist, what evidence backs
them, and every parameter's default, range and unit. Scenarios, sensitivity analysis and
calibration all read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sim.scenario.paths import RECORDED_CONTEXT
from sim.scenario.readonly import ReadOnlyMapping
from sim.scenario.validation import (
    INVALID,
    SNAKE_CASE,
    Anything,
    Bounds,
    Choice,
    DocumentReport,
    ListOf,
    Maybe,
    Number,
    Record,
    Report,
    Table,
    Text,
    exact,
    shown,
)
from sim.scenario.yamlsafe import Document, Key, parse_yaml_bytes

ACTORS: tuple[str, ...] = ("morocco", "algeria", "mali", "mauritania", "ecowas", "russia")
ACTOR_LABELS: Mapping[str, str] = ReadOnlyMapping(
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
REQUIRED_LEVER_PARAMETERS = LEVER_PARAMETERS[:4]  # threat_relief: 0 unless a security lever gives it
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
    return read_catalogue(_read_packaged("parameters.yaml"), _read_packaged("levers.yaml"))


def read_catalogue(parameters_doc: Document, levers_doc: Document) -> Catalogue:
    """The catalogue in two parsed files (``parameters.yaml``, ``levers.yaml``); every problem located.

    Raises:
        InputError: listing every problem, each at its file, line and column.
    """
    report, lever_report = DocumentReport(parameters_doc), DocumentReport(levers_doc)
    parameters: dict[str, ParameterSpec] = {}
    for name, entry in section(report, parameters_doc, "parameters", "a mapping of parameters").items():
        spec = _parameter_spec(report, ("parameters", name), name, entry)
        if spec:
            parameters[name] = spec
    levers: list[Lever] = []
    for index, entry in enumerate(section(lever_report, levers_doc, "levers", "a list of levers")):
        lever = _lever(lever_report, ("levers", index), entry)
        if lever is None:
            continue
        if any(lever.key == other.key for other in levers):
            lever_report.fail(("levers", index, "id"), f"duplicate lever {lever.key}")
            continue
        levers.append(lever)
        parameters.update({spec.name: spec for spec in lever.parameters.values()})
    report.problems += lever_report.problems
    report.raise_any()
    return Catalogue(levers=tuple(levers), parameters=ReadOnlyMapping(parameters))


def _read_packaged(name: str) -> Document:
    data = resources.files("sim").joinpath("data", name).read_bytes()
    return parse_yaml_bytes(data, f"sim/data/{name}")


def section(report: Report, doc: Document, name: str, expected: str) -> dict | list:
    """The top-level ``name:`` of a catalogue file, a mapping or a list as ``expected`` says
    (empty, after reporting it, when it is not one)."""
    kind = list if expected.startswith("a list") else dict
    value = doc.data.get(name) if isinstance(doc.data, dict) else None
    if not isinstance(value, kind):
        report.fail((name,) if isinstance(doc.data, dict) and name in doc.data else (),
                    f"expected '{name}:' with {expected}")
        return kind()
    return value


PARAMETER = Record({
    "default": Number(),
    "range": Bounds(description="the plausible range"),
    "unit": Text(default=""),
    "rationale": Text(default=""),
}, required=("default", "range"))


def _parameter_spec(report: Report, key: Key, name: str, raw: object) -> ParameterSpec | None:
    entry = PARAMETER.read(report, key, raw)
    if entry is INVALID or "default" not in entry or "range" not in entry:
        return None
    (low, high), default = entry["range"], entry["default"]
    if not low <= default <= high:
        report.fail(key, f"{name}: default {exact(default)} outside range [{low}, {high}]")
        return None
    return ParameterSpec(name=name, default=default, low=low, high=high, unit=entry["unit"],
                         rationale=entry["rationale"])


def _quote_length(report: Report, key: Key, raw: dict) -> None:
    quote = raw.get("quote")
    if isinstance(quote, str) and len(quote.split()) > MAX_QUOTE_WORDS:
        report.fail((*key, "quote"), f"quote of {len(quote.split())} words, longer than the {MAX_QUOTE_WORDS} "
                                     "allowed")


EVIDENCE = ListOf(Record({"source": Text(non_empty=True, description="the seed document"),
                          "quote": Text(non_empty=True, description=f"verbatim, at most {MAX_QUOTE_WORDS} words")},
                         required=("source", "quote"), checks=(_quote_length,)),
                  what="evidence quotes (source and quote)", at_least=1)


def _undermine_has_rival(report: Report, key: Key, raw: dict) -> None:
    if (raw.get("kind", "pull") == "undermine") != (raw.get("rival") in ACTORS):
        report.fail(key, f"kind {shown(raw.get('kind', 'pull'))} with rival {shown(raw.get('rival'))}: an undermine "
                         "lever needs a rival actor, other kinds none")


def _targets_are_others(report: Report, key: Key, raw: dict) -> None:
    targets = raw.get("targets")
    if isinstance(targets, list) and raw.get("actor") in targets:
        report.fail((*key, "targets"), f"targets {shown(targets)} include the lever's own actor "
                                       f"{raw.get('actor')}; expected other actors")


LEVER = Record({
    "id": Text(pattern=SNAKE_CASE, rule="a snake_case name"),
    "actor": Choice(ACTORS, noun="actor"),
    "channel": Choice(CHANNELS),
    "kind": Choice(KINDS, default="pull"),
    "rival": Maybe(Choice(ACTORS, noun="actor")),
    "targets": ListOf(Choice(ACTORS, noun="actor"), what="actors", at_least=1),
    "description": Text(default=""),
    "initial_effort": Number(0.0, 1.0, default=0.0),
    "parameters": Table(LEVER_PARAMETERS, lambda _: Anything(), noun="lever parameter"),
    "evidence": EVIDENCE,
}, required=("id", "actor", "channel", "targets", "evidence", "parameters"),
    checks=(_undermine_has_rival, _targets_are_others))


def _lever(report: DocumentReport, key: Key, raw: object) -> Lever | None:
    before = len(report.problems)
    entry = LEVER.read(report, key, raw)
    if entry is INVALID or len(report.problems) > before:
        return None
    actor, lever_id = entry["actor"], entry["id"]
    params: dict[str, ParameterSpec] = {}
    for name, value in entry["parameters"].items():
        spec = _parameter_spec(report, (*key, "parameters", name), f"levers.{actor}.{lever_id}.{name}", value)
        if spec:
            params[name] = spec
    missing = [name for name in REQUIRED_LEVER_PARAMETERS if name not in entry["parameters"]]
    if missing:
        report.fail((*key, "parameters"), f"lever {actor}.{lever_id} lacks parameter {', '.join(missing)}")
    if len(report.problems) > before:
        return None
    if "threat_relief" not in params:
        name = f"levers.{actor}.{lever_id}.threat_relief"
        params["threat_relief"] = ParameterSpec(name, 0.0, 0.0, 0.0, "threat per month", "not a security lever")
    return Lever(actor=actor, id=lever_id, channel=entry["channel"], kind=entry["kind"], rival=entry.get("rival"),
                 targets=tuple(entry["targets"]), description=entry["description"],
                 initial_effort=entry["initial_effort"], parameters=ReadOnlyMapping(params),
                 evidence=evidence_of(entry))


def evidence_of(entry: dict) -> tuple[Evidence, ...]:
    """The quotes of an entry read through ``EVIDENCE``."""
    return tuple(Evidence(source=item["source"], quote=item["quote"]) for item in entry.get("evidence", ()))
