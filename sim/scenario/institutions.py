"""The institutional catalogue: memberships, agreements, foreign presence, and the decisions
that change them (``sim/data/institutions.yaml``), loaded and validated once.

An institution is a 0/1 state per replicate, named ``<holder>.<id>`` (``mali.ecowas``: Mali's
ECOWAS membership). Conditions read it as ``institution.mali.ecowas``; events, triggers and
shocks set it. A decision is a rule an actor's agent evaluates every month (sim/model/agents.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from sim.errors import InputError, Problem, did_you_mean
from sim.scenario.catalogue import ACTORS, Evidence, load_catalogue
from sim.scenario.conditions import ConditionError, Node, check_state_path, parse_condition
from sim.scenario.yamlsafe import Document, parse_yaml_bytes

KINDS = ("membership", "agreement", "presence", "settlement", "measure")  # settlement: mediators; measure: imposed
# which state of the institution an action needs, and the state it leaves
ACTIONS: Mapping[str, tuple[int, int]] = MappingProxyType({
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
    data = doc.data if isinstance(doc.data, dict) else {}
    problems: list[Problem] = []
    institutions = [_institution(doc, ("institutions", i), entry, problems)
                    for i, entry in enumerate(data.get("institutions") or [])]
    institutions = [i for i in institutions if i is not None]
    keys = [i.key for i in institutions]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            problems.append(doc.problem(("institutions", i), f"duplicate institution {key}"))
    catalogue = InstitutionCatalogue(tuple(institutions), ())
    decisions = [_decision(doc, ("decisions", i), entry, catalogue, problems)
                 for i, entry in enumerate(data.get("decisions") or [])]
    if problems:
        raise InputError(problems)
    return InstitutionCatalogue(tuple(institutions), tuple(d for d in decisions if d is not None))


def _institution(doc: Document, key: tuple, entry: object, problems: list[Problem]) -> Institution | None:
    if not isinstance(entry, dict):
        problems.append(doc.problem(key, "expected an institution mapping"))
        return None
    before = len(problems)
    holder, partner, kind = entry.get("holder"), entry.get("partner"), entry.get("kind")
    if holder not in ACTORS:
        problems.append(doc.problem((*key, "holder"), f"unknown holder {holder!r}{did_you_mean(str(holder), ACTORS)}"))
    if partner is not None and (partner not in ACTORS or partner == holder):
        problems.append(doc.problem((*key, "partner"), f"partner {partner!r}: another actor or null"))
    if kind not in KINDS:
        problems.append(doc.problem((*key, "kind"), f"kind {kind!r}, expected one of {', '.join(KINDS)}"))
    if entry.get("initial") not in (0, 1):
        problems.append(doc.problem((*key, "initial"), f"initial {entry.get('initial')!r}, expected 0 or 1"))
    evidence = tuple(Evidence(e["source"], str(e["quote"]).strip()) for e in entry.get("evidence") or []
                     if isinstance(e, dict) and e.get("source") and e.get("quote"))
    if not evidence:
        problems.append(doc.problem(key, "every institution needs at least one evidence quote"))
    if not str(entry.get("id", "")).isidentifier():
        problems.append(doc.problem((*key, "id"), f"id {entry.get('id')!r} is not a snake_case name"))
    enables = entry.get("enables") or []
    catalogue = load_catalogue()
    known = {lever.key: lever for lever in catalogue.levers}
    for n, lever_key in enumerate(enables if isinstance(enables, list) else [enables]):
        lever = known.get(str(lever_key))
        if lever is None:
            problems.append(doc.problem((*key, "enables", n), f"unknown lever {lever_key!r}"
                                                              f"{did_you_mean(str(lever_key), list(known))}"))
        elif holder not in lever.targets:
            problems.append(doc.problem((*key, "enables", n), f"lever {lever_key} does not act on {holder}"))
    mediators = entry.get("mediators") or []
    if kind == "settlement" and (partner is None or not mediators):
        problems.append(doc.problem(key, "a settlement needs a partner (the other party) and mediators"))
    if mediators and kind != "settlement":
        problems.append(doc.problem((*key, "mediators"), f"only a settlement has mediators, not a {kind}"))
    mediating = {lever.actor for lever in catalogue.levers if lever.channel == "mediation"}
    for n, mediator in enumerate(mediators if isinstance(mediators, list) else [mediators]):
        if mediator not in mediating or mediator in (holder, partner):
            problems.append(doc.problem((*key, "mediators", n), f"mediator {mediator!r}: expected an actor with a "
                                        f"mediation lever other than the parties ({', '.join(sorted(mediating))})"))
    if len(problems) > before:
        return None
    return Institution(holder, str(entry["id"]), partner, kind, int(entry["initial"]),
                       str(entry.get("description", "")).strip(), evidence, tuple(str(k) for k in enables),
                       tuple(str(m) for m in mediators))


def _decision(doc: Document, key: tuple, entry: object, catalogue: InstitutionCatalogue,
              problems: list[Problem]) -> Decision | None:
    if not isinstance(entry, dict):
        problems.append(doc.problem(key, "expected a decision mapping"))
        return None
    before = len(problems)
    actor, institution, action = entry.get("actor"), entry.get("institution"), entry.get("action")
    if actor not in ACTORS:
        problems.append(doc.problem((*key, "actor"), f"unknown actor {actor!r}"))
    if institution not in catalogue.keys:
        hint = did_you_mean(str(institution), catalogue.keys)
        problems.append(doc.problem((*key, "institution"), f"unknown institution {institution!r}{hint}"))
    if action not in ACTIONS:
        problems.append(doc.problem((*key, "action"), f"action {action!r}, expected one of {', '.join(ACTIONS)}"))
    hold = entry.get("hold")
    if not (isinstance(hold, int) and not isinstance(hold, bool) and 1 <= hold <= 120):
        problems.append(doc.problem((*key, "hold"), f"hold {hold!r}, expected whole months 1..120"))
    base = load_catalogue()
    levers = base.lever_ids()
    institutions = catalogue.names_by_holder()
    condition = None
    try:
        condition = parse_condition(str(entry.get("when", "")), lambda path: check_state_path(
            path, ACTORS, levers, list(base.parameters), institutions))
    except ConditionError as exc:
        problems.append(doc.problem((*key, "when"), f"{exc} in condition {entry.get('when')!r}"))
    changes = {}
    for section in ("set", "add"):
        values = entry.get(section) or {}
        for path, value in values.items():
            root = str(path).split(".")[0]
            reading = "effort" + str(path)[len("levers"):] if root == "levers" else str(path)
            problem = (f"root '{root}' not allowed in decision effects" if root not in EFFECT_ROOTS else
                       None if root == "actors" else check_state_path(reading, ACTORS, levers, [], institutions))
            ok_value = value == "adaptive" if isinstance(value, str) else isinstance(value, int | float)
            if problem or not ok_value:
                problems.append(doc.problem((*key, section, path), problem or f"bad value {value!r}"))
        changes[section] = MappingProxyType(dict(values))
    if not str(entry.get("argument", "")).strip():
        problems.append(doc.problem(key, "every decision argues its rule in 'argument'"))
    if len(problems) > before or condition is None:
        return None
    return Decision(str(entry.get("id")), actor, institution, action, str(entry["when"]), condition, hold,
                    changes["set"], changes["add"], str(entry["argument"]).strip())
