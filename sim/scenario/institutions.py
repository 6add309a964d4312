"""The institutional catalogue: memberships, agreements, foreign presence, and the decisions
that change them (``sim/data/institutions.yaml``), loaded and validated once.

An institution is a 0/1 state per replicate, named ``<holder>.<id>`` (``mali.ecowas``: Mali's
ECOWAS membership). Conditions read it as ``institution.mali.ecowas``; events, triggers and
shocks set it. A decision is a rule an actor's agent evaluates every month (sim/model/agents.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from sim.scenario.catalogue import ACTORS, EVIDENCE, Catalogue, Evidence, evidence_of, load_catalogue
from sim.scenario.conditions import ConditionError, Node, check_state_path, parse_condition
from sim.scenario.readonly import ReadOnlyMapping
from sim.scenario.validation import (
    INVALID,
    SNAKE_CASE,
    Choice,
    DocumentReport,
    Integer,
    ListOf,
    Maybe,
    Record,
    Report,
    Spec,
    Text,
    dotted,
    mapping,
    shown,
)
from sim.scenario.yamlsafe import Document, Key, parse_yaml_bytes

KINDS = ("membership", "agreement", "presence", "settlement", "measure")  # settlement: mediators; measure: imposed
# which state of the institution an action needs, and the state it leaves
ACTIONS: Mapping[str, tuple[int, int]] = ReadOnlyMapping({
    "join": (0, 1), "sign": (0, 1), "invite": (0, 1), "impose": (0, 1),
    "leave": (1, 0), "suspend": (1, 0), "denounce": (1, 0), "expel": (1, 0), "lift": (1, 0),
})
EFFECT_ROOTS = ("levers", "relation", "context", "actors")


@dataclass(frozen=True)
class Institution:
    """A membership, an agreement in force or a foreign presence, held by one state."""

    holder: str
    id: str
    partner: str | None
    kind: str
    initial: int
    description: str
    evidence: tuple[Evidence, ...]
    enables: tuple[str, ...] = ()  # lever keys that act on the holder only while this is in force
    mediators: tuple[str, ...] = ()  # a settlement's brokers: their standing moves with it (ODD 7.12)

    @property
    def key(self) -> str:
        return f"{self.holder}.{self.id}"


@dataclass(frozen=True)
class Decision:
    """A rule by which ``actor`` flips ``institution`` when ``when`` has held ``hold`` months."""

    id: str
    actor: str
    institution: str  # key of the institution
    action: str
    when: str
    condition: Node
    hold: int
    set: Mapping[str, float | str]
    add: Mapping[str, float]
    argument: str

    @property
    def needs(self) -> int:
        return ACTIONS[self.action][0]

    @property
    def leaves(self) -> int:
        return ACTIONS[self.action][1]


@dataclass(frozen=True)
class InstitutionCatalogue:
    institutions: tuple[Institution, ...]
    decisions: tuple[Decision, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.institutions)

    def names_by_holder(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for institution in self.institutions:
            out.setdefault(institution.holder, []).append(institution.id)
        return out


@cache
def load_institutions() -> InstitutionCatalogue:
    """Load and check the packaged institutional catalogue (once per process)."""
    doc = parse_yaml_bytes(resources.files("sim").joinpath("data", "institutions.yaml").read_bytes(),
                           "sim/data/institutions.yaml")
    return read_institutions(doc, load_catalogue())


def read_institutions(doc: Document, levers: Catalogue) -> InstitutionCatalogue:
    """The institutions and decisions of a parsed ``institutions.yaml`` on the lever catalogue ``levers``.

    Raises:
        InputError: listing every problem, each at its file, line and column.
    """
    report = DocumentReport(doc)
    data = doc.data if isinstance(doc.data, dict) else {}
    entries = ListOf(institution_format(levers), what="institutions", whole=True).read(
        report, ("institutions",), data.get("institutions"))
    institutions = [_institution(entry) for entry in ([] if entries is INVALID else entries)]
    keys = [i.key for i in institutions]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            report.fail(("institutions", i), f"duplicate institution {key}")
    catalogue = InstitutionCatalogue(tuple(institutions), ())
    decisions = ListOf(decision_format(levers, catalogue), what="decisions", whole=True).read(
        report, ("decisions",), data.get("decisions"))
    report.raise_any()  # so decisions is a list here
    return InstitutionCatalogue(tuple(institutions), tuple(_decision(entry) for entry in decisions))


def _partner_is_another_actor(report: Report, key: Key, raw: dict) -> None:
    if raw.get("partner") is not None and raw.get("partner") == raw.get("holder"):
        report.fail((*key, "partner"), f"partner {shown(raw['partner'])} is the holder; expected another actor or null")


def _settlement_has_mediators(report: Report, key: Key, raw: dict) -> None:
    kind, mediators = raw.get("kind"), raw.get("mediators")
    if kind == "settlement" and (raw.get("partner") is None or not mediators):
        report.fail(key, "a settlement needs a partner (the other party) and mediators")
    if mediators and kind != "settlement":
        report.fail((*key, "mediators"), f"only a settlement has mediators, not a {kind}")
    for n, mediator in enumerate(mediators if isinstance(mediators, list) else []):
        if mediator in (raw.get("holder"), raw.get("partner")):
            report.fail((*key, "mediators", n), f"mediator {shown(mediator)} is a party; expected an actor other "
                                                "than the holder and the partner")


def institution_format(levers: Catalogue) -> Record:
    """An entry of ``institutions:``; what it enables and who mediates it are checked on ``levers``."""
    known = {lever.key: lever for lever in levers.levers}
    mediating = tuple(sorted({lever.actor for lever in levers.levers if lever.channel == "mediation"}))

    def enabled_levers_act_on_the_holder(report: Report, key: Key, raw: dict) -> None:
        enables = raw.get("enables")
        for n, lever_key in enumerate(enables if isinstance(enables, list) else []):
            lever = known.get(lever_key) if isinstance(lever_key, str) else None
            if lever is not None and raw.get("holder") not in lever.targets:
                report.fail((*key, "enables", n), f"lever {lever_key} does not act on {raw.get('holder')}")

    return Record({
        "id": Text(pattern=SNAKE_CASE, rule="a snake_case name"),
        "holder": Choice(ACTORS, noun="holder"),
        "partner": Maybe(Choice(ACTORS, noun="partner")),
        "kind": Choice(KINDS),
        "initial": Choice((0, 1), rule="0 (not in force) or 1 (in force)"),
        "description": Text(default=""),
        "evidence": EVIDENCE,
        "enables": ListOf(Choice(tuple(known), noun="lever"), what="lever keys (actor.lever)"),
        "mediators": ListOf(Choice(mediating, noun="mediator", rule=f"an actor with a mediation lever "
                                                                    f"({', '.join(mediating)})"), what="actors"),
    }, required=("id", "holder", "kind", "initial", "evidence"),
        checks=(_partner_is_another_actor, enabled_levers_act_on_the_holder, _settlement_has_mediators))


def _institution(entry: dict) -> Institution:
    return Institution(entry["holder"], entry["id"], entry.get("partner"), entry["kind"], int(entry["initial"]),
                       entry["description"], evidence_of(entry), tuple(entry.get("enables", ())),
                       tuple(entry.get("mediators", ())))


@dataclass(frozen=True)
class DecisionCondition(Spec):
    """A decision's ``when``: a condition on the catalogues; read as (text, parsed tree)."""

    check_path: Callable[[str], str | None] = field(compare=False, repr=False, kw_only=True)

    def read(self, report: Report, key: Key, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            report.fail(key, f"{dotted(key)} = {shown(value)}; expected a condition such as 'relation.mali.ecowas < 0'")
            return INVALID
        try:
            return value, parse_condition(value, self.check_path)
        except ConditionError as exc:
            report.fail(key, f"{exc} in condition {value!r}", offset=exc.offset)
            return INVALID


@dataclass(frozen=True)
class Effects(Spec):
    """A decision's ``set:`` or ``add:``: paths under EFFECT_ROOTS with a number (or ``adaptive``)."""

    check_path: Callable[[str], str | None] = field(compare=False, repr=False, kw_only=True)

    def read(self, report: Report, key: Key, value: object) -> object:
        raw = mapping(report, key, value)
        if raw is None:
            return INVALID
        for path, change in raw.items():
            problem = self.path_problem(str(path))
            ok_value = change == "adaptive" if isinstance(change, str) else isinstance(change, int | float)
            if problem or not ok_value:
                report.fail((*key, path), problem or f"{dotted((*key, path))} = {shown(change)}; expected a number "
                                                     "(or adaptive, for a lever)")
        return ReadOnlyMapping(dict(raw))

    def path_problem(self, path: str) -> str | None:
        root = path.split(".")[0]
        if root not in EFFECT_ROOTS:
            return f"root '{root}' not allowed in decision effects; expected one of {', '.join(EFFECT_ROOTS)}"
        reading = "effort" + path[len("levers"):] if root == "levers" else path
        return None if root == "actors" else self.check_path(reading)


def decision_format(levers: Catalogue, institutions: InstitutionCatalogue) -> Record:
    """An entry of ``decisions:``: a rule on the institutions of ``institutions``."""
    lever_ids, holders = levers.lever_ids(), institutions.names_by_holder()
    names = list(levers.parameters)

    def condition_path(path: str) -> str | None:
        return check_state_path(path, ACTORS, lever_ids, names, holders)

    def effect_path(path: str) -> str | None:
        return check_state_path(path, ACTORS, lever_ids, [], holders)

    return Record({
        "id": Text(non_empty=True),
        "actor": Choice(ACTORS, noun="actor"),
        "institution": Choice(institutions.keys, noun="institution"),
        "action": Choice(tuple(ACTIONS)),
        "when": DecisionCondition(check_path=condition_path),
        "hold": Integer(1, 120, description="whole months the condition must hold"),
        "set": Effects(check_path=effect_path, default=ReadOnlyMapping({})),
        "add": Effects(check_path=effect_path, default=ReadOnlyMapping({})),
        "argument": Text(non_empty=True, description="why the actor would take it, in words"),
    }, required=("id", "actor", "institution", "action", "when", "hold", "argument"))


def _decision(entry: dict) -> Decision:
    text, condition = entry["when"]
    return Decision(entry["id"], entry["actor"], entry["institution"], entry["action"], text, condition,
                    entry["hold"], entry["set"], entry["add"], entry["argument"])
