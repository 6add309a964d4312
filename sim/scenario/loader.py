"""Scenario files: the only module that reads scenario YAML.

It checks everything at the boundary and returns frozen, typed objects, so the model can
trust its inputs. Every problem in a file is reported at once, each with its file, line
and column, the bad value and what was expected.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import InputError, Problem, did_you_mean
from sim.scenario.catalogue import ACTORS, Catalogue, load_catalogue
from sim.scenario.conditions import Node
from sim.scenario.format import (
    BUDGET_POLICIES,
    CONTEXT_DEFAULTS,
    Relative,
    question_format,
    scenario_format,
)
from sim.scenario.months import format_month, run_end_problem
from sim.scenario.paths import BUDGET_RANGE
from sim.scenario.readonly import ReadOnlyMapping
from sim.scenario.sources import seed_files, seeds_dir
from sim.scenario.validation import INVALID, shown
from sim.scenario.yamlsafe import Document, Key, nesting_problem, read_yaml_file

TOP_LEVEL_KEYS = tuple(scenario_format().fields)
MERGED_BY_ID = ("events", "triggers", "shocks")


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

    budget: float  # total effort per month; default: the actor's status-quo total
    objectives: Mapping[str, float]
    influence: Mapping[str, float]  # this actor's influence on each target, in [0, 1]
    relations: Mapping[str, float]  # this actor's attitude towards each other actor, in [-1, 1]
    budget_policy: str = "extend"  # how levers the scenario fixes are paid for (BUDGET_POLICIES)


@dataclass(frozen=True)
class CountryContext:
    """Conditions inside a state that change how receptive it is to each channel."""

    threat: float
    stability: float
    western_presence: float
    western_commitment: float
    sanctions_endured: float = 0.0  # memories (ODD 7.13): a slow average of sanctions in force
    insecurity_endured: float = 0.0  # ... and of the threat


@dataclass(frozen=True)
class Changes:
    """What an event, trigger or shock does, and where that comes from."""

    set: Mapping[str, float | str]
    add: Mapping[str, float]
    source: str | None = None
    assumption: str | None = None


@dataclass(frozen=True)
class Event:
    """Changes to the state, a parameter or a lever on a date."""

    id: str
    month: int
    changes: Changes
    chosen_by: str | None = None  # the actor whose choice it is; None: exogenous (a coup, an outside power)


@dataclass(frozen=True)
class Trigger:
    """Changes that fire, per replicate, when a condition holds (once or every month)."""

    id: str
    when: str
    condition: Node = field(compare=False, repr=False)
    once: bool
    delay: int
    changes: Changes


@dataclass(frozen=True)
class Shock:
    """A random event: fires in a replicate with a monthly probability (while ``when`` holds)."""

    id: str
    probability: float
    when: str | None
    condition: Node | None = field(compare=False, repr=False)
    changes: Changes


@dataclass(frozen=True)
class Uncertainty:
    """A parameter drawn once per replicate, so an ensemble spreads over what we don't know."""

    parameter: str
    distribution: str  # uniform | normal (truncated to the parameter's range) | triangular | choice
    arguments: Mapping[str, float | tuple[float, ...]]


@dataclass(frozen=True)
class Outputs:
    """Which series to write and plot (empty tuple: all)."""

    metrics: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """What a what-if asks: series to report, a window of months, a threshold to test.

    ``outcomes`` are plain series (``influence.morocco.mali``); ``window`` is a pair of absolute
    months (None: the whole run); ``threshold`` is ``A op B`` with A and B series or numbers.
    """

    text: str = ""
    outcomes: tuple[str, ...] = ()
    window: tuple[int, int] | None = None
    threshold: str | None = None

    def to_data(self) -> dict:
        out: dict = {"text": self.text, "outcomes": list(self.outcomes)}
        if self.window:
            out["window"] = f"{format_month(self.window[0])}..{format_month(self.window[1])}"
        if self.threshold:
            out["threshold"] = self.threshold
        return out


class _Collected:
    """A Report that keeps (key suffix, message) pairs, for a question read on its own."""

    def __init__(self) -> None:
        self.problems: list[tuple[tuple, str]] = []

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None:
        self.problems.append((tuple(key[1:]), message))


def question_problems(raw: object, start: int | None, horizon: int | None) -> tuple[Question | None, list[tuple]]:
    """Check a ``question:`` mapping on its own (``sim compare --question``); returns
    (question, [(key suffix, message), ...])."""
    if raw is None:
        return None, []
    report = _Collected()
    entry = question_format(load_catalogue()).read(report, ("question",), raw)
    if entry is INVALID:
        return None, report.problems
    question, window_problem = _question(entry, start, horizon)
    if window_problem:
        report.problems.append((("window",), window_problem))
    return question, report.problems


def _question(entry: dict | None, start: int | None, horizon: int | None) -> tuple[Question | None, str | None]:
    """The question read by the format, and why its window is outside the run (or None)."""
    if entry is None:
        return None, None
    window, problem = entry.get("window"), None
    if window and start is not None and horizon is not None and not start <= window[0] <= window[1] <= start + horizon:
        problem = (f"question.window {format_month(window[0])}..{format_month(window[1])} is outside the run "
                   f"{format_month(start)}..{format_month(start + horizon)}")
        window = None
    return Question(entry.get("text", ""), tuple(entry.get("outcomes", ())), window, entry.get("threshold")), problem


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
    status_quo: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: ReadOnlyMapping({}))
    institutions: Mapping[str, int] = field(default_factory=lambda: ReadOnlyMapping({}))  # "mali.ecowas": 0|1
    # rule id: on (True), off (False) or on from a month (int): sim/scenario/format.py DecisionSwitch
    decisions: Mapping[str, bool | int] = field(default_factory=lambda: ReadOnlyMapping({}))
    triggers: tuple[Trigger, ...] = ()
    shocks: tuple[Shock, ...] = ()
    uncertainties: tuple[Uncertainty, ...] = ()
    outputs: Outputs = Outputs()
    question: Question | None = None
    path: str = field(default="", compare=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)  # located, not errors (sim validate prints them)

    def starting_state(self) -> tuple:
        """What replicate blocks of one batched model must share: start, horizon, the starting
        values and priorities of every actor, context, status quo and institutions. Budgets,
        budget policies, levers, events, triggers, shocks, parameters and uncertainties may differ."""
        actors = tuple((a, s.objectives, s.influence, s.relations) for a, s in self.actors.items())
        return self.start, self.horizon, actors, self.context, self.status_quo, self.institutions

    def decision_off(self, rule: str) -> bool:
        """Whether this scenario switches the decision rule ``rule`` off for the whole run."""
        return self.decisions.get(rule) is False

    def decision_from(self, rule: str) -> float:
        """The first month the rule may fire: -inf when on, inf when off, else the month it is on from."""
        switch = self.decisions.get(rule, True)
        if isinstance(switch, bool):
            return -math.inf if switch else math.inf
        return float(switch)

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
                    "budget_policy": s.budget_policy,
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
            "status_quo": {a: dict(v) for a, v in self.status_quo.items()},
            "institutions": dict(self.institutions),
            **({"decisions": {rule: v if isinstance(v, bool) else format_month(v)
                              for rule, v in self.decisions.items()}} if self.decisions else {}),
            "events": [_event_to_data(e) for e in self.events],
            "triggers": [
                {"id": t.id, "when": t.when, "once": t.once, "delay": t.delay, **_changes_to_data(t.changes)}
                for t in self.triggers
            ],
            "shocks": [
                {"id": k.id, "probability": k.probability, **({"when": k.when} if k.when else {}),
                 **_changes_to_data(k.changes)}
                for k in self.shocks
            ],
            "uncertainties": {
                u.parameter: {"distribution": u.distribution,
                              **{k: list(v) if isinstance(v, tuple) else v for k, v in u.arguments.items()}}
                for u in self.uncertainties
            },
            "outputs": {"metrics": list(self.outputs.metrics), "actors": list(self.outputs.actors)},
            **({"question": self.question.to_data()} if self.question else {}),
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
    chosen = {"chosen_by": event.chosen_by} if event.chosen_by else {}
    return {"id": event.id, "date": format_month(event.month), **_changes_to_data(event.changes), **chosen}


def _changes_to_data(changes: Changes) -> dict:
    data: dict = {}
    if changes.set:
        data["set"] = dict(changes.set)
    if changes.add:
        data["add"] = dict(changes.add)
    if changes.source:
        data["source"] = changes.source
    if changes.assumption:
        data["assumption"] = changes.assumption
    return data


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, check and resolve a scenario file (following ``extends:`` chains).

    Args:
        path: the YAML file, or a library scenario by name (``"baseline"``).
        overrides: ``PATH=VALUE`` strings (as given to ``--set``) applied on top of the file.

    Raises:
        InputError: listing every problem found, each located in the file or the override.
    """
    top = library_path(path)
    doc = _resolve_extends(top, _scenarios_root(top), [], str(top))
    origins = _apply_overrides(doc, overrides)
    return _Checker(doc, load_catalogue(), origins).scenario()


def scenario_from_data(data: dict, display: str) -> Scenario:
    """Check plain scenario data (e.g. a variant built from ``Scenario.to_dict()``)."""
    doc = Document(path=display, data=copy.deepcopy(data))
    return _Checker(doc, load_catalogue(), {}).scenario()


# the scenario library, package data (``scenarios/`` in the repository links here): a name such as
# ``baseline`` works anywhere a scenario file does, and in ``extends:``, from any folder
LIBRARY = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _in_library(path: str | None) -> bool:
    try:
        return path is not None and Path(path).resolve().is_relative_to(LIBRARY.resolve())
    except OSError:
        return False


def _resolved(path: Path) -> Path:
    """The path resolved, or as given when it cannot be (a symlink loop: the reader then says so)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: RuntimeError before Python 3.13, OSError since
        return path.absolute()


def _scenarios_root(path: Path) -> Path:
    """Where ``extends:`` may reach: the nearest enclosing ``scenarios/`` folder, else the file's folder."""
    folder = _resolved(path).parent
    for candidate in (folder, *folder.parents):
        if candidate.name == "scenarios":
            return candidate
    return folder


def _resolve_extends(path: Path, root: Path, chain: list[Path], shown: str) -> Document:
    doc = read_yaml_file(path, display=shown)
    if not isinstance(doc.data, dict):
        raise InputError([doc.problem((), "expected a mapping of scenario keys at the top level")])
    parent_ref = doc.data.pop("extends", None)
    if parent_ref is None:
        return doc
    key = ("extends",)
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise InputError([doc.problem(key, f"extends = {parent_ref!r}; expected a scenario file name")])
    library = LIBRARY / f"{parent_ref.strip()}.yaml"
    if "/" not in parent_ref and not parent_ref.endswith((".yaml", ".yml")) and library.is_file():
        # a library scenario by name (``extends: baseline``), from any folder
        parent, root = library.resolve(), LIBRARY.resolve()
        parent_shown = str(library)
        if parent in chain or parent == path.resolve():
            raise InputError([doc.problem(key, f"extends cycle through the library scenario '{parent_ref}'")])
        return _merge(_resolve_extends(parent, root, [*chain, path.resolve()], parent_shown), doc)
    parent = _resolved(path.parent / parent_ref)
    if not parent.is_relative_to(root):
        names = ", ".join(sorted(p.stem for p in LIBRARY.glob("*.yaml")))
        raise InputError([doc.problem(key, f"extends '{parent_ref}' points outside the scenarios folder {root}; "
                                           f"a library scenario is named without a path ({names})")])
    if parent in chain or parent == path.resolve():
        cycle = " -> ".join(p.name for p in [*chain, path.resolve(), parent])
        raise InputError([doc.problem(key, f"extends cycle: {cycle}")])
    if not parent.is_file():
        names = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
        hint = did_you_mean(parent_ref, names) if "/" not in parent_ref else ""
        raise InputError([doc.problem(key, f"extends '{parent_ref}': file not found ({parent}) and no library "
                                           f"scenario of that name{hint}")])
    parent_shown = os.path.normpath(os.path.join(os.path.dirname(shown), parent_ref))
    base = _resolve_extends(parent, root, [*chain, path.resolve()], parent_shown)
    return _merge(base, doc)


def _replaced_whole(key: Key) -> bool:
    """Values a child replaces rather than merges: a lever setting, an uncertainty, outputs."""
    return (key[0] == "levers" and len(key) == 3) or (key[0] == "uncertainties" and len(key) == 2) \
        or key == ("outputs",)


def _merge(base: Document, child: Document) -> Document:
    """Overlay ``child`` on ``base``: mappings merge, lists of events/triggers/shocks merge by id.

    Positions follow the values, so a problem in an inherited value points at the parent file.
    """
    merged = Document(path=child.path, data=copy.deepcopy(base.data))
    merged.value_pos, merged.key_pos = dict(base.value_pos), dict(base.key_pos)
    merged.quoted = set(base.quoted)
    merged.origin = {(): base.file_of(()), **base.origin}
    _Overlay(merged, child).overlay(merged.data, child.data, ())
    _drop_inherited_uncertainty(merged.data, child.data)
    return merged


def _drop_inherited_uncertainty(merged: dict, child: dict) -> None:
    """A child that fixes a parameter drops the parent's uncertainty about it, and vice versa."""
    for fixed_in, dropped_from in (("parameters", "uncertainties"), ("uncertainties", "parameters")):
        child_names = child.get(fixed_in) if isinstance(child.get(fixed_in), dict) else {}
        child_other = child.get(dropped_from) if isinstance(child.get(dropped_from), dict) else {}
        inherited = merged.get(dropped_from)
        if isinstance(inherited, dict):
            for name in child_names:
                if name not in child_other:
                    inherited.pop(name, None)


class _Overlay:
    """Writes a child document's values over the merged copy of its parent, with their positions."""

    def __init__(self, merged: Document, child: Document):
        self.merged, self.child = merged, child

    def take(self, src: Key, dst: Key) -> None:
        """Copy the child's positions under ``src`` to ``dst`` in the merged document."""
        merged, child = self.merged, self.child
        for table_from, table_to in ((child.value_pos, merged.value_pos), (child.key_pos, merged.key_pos)):
            for k in [k for k in table_to if k[: len(dst)] == dst]:
                del table_to[k]
            for k, pos in table_from.items():
                if k[: len(src)] == src:
                    table_to[dst + k[len(src):]] = pos
        merged.quoted = {k for k in merged.quoted if k[: len(dst)] != dst}
        merged.quoted |= {dst + k[len(src):] for k in child.quoted if k[: len(src)] == src}
        for k in [k for k in merged.origin if k[: len(dst)] == dst]:
            del merged.origin[k]
        merged.origin[dst] = child.path

    def overlay(self, target: dict, source: dict, key: Key) -> None:
        for name, value in source.items():
            here = (*key, name)
            if key == () and name in MERGED_BY_ID and isinstance(value, list) and isinstance(target.get(name), list):
                self.merge_list(target[name], value, name)
            elif isinstance(value, dict) and isinstance(target.get(name), dict) and not _replaced_whole(here):
                self.overlay(target[name], value, here)
                self.merged.key_pos[here] = self.child.key_pos.get(here, self.merged.key_pos.get(here, (1, 1)))
            else:
                target[name] = copy.deepcopy(value)
                self.take(here, here)

    def merge_list(self, target: list, items: list, name: str) -> None:
        index_of = {item.get("id"): i for i, item in enumerate(target) if isinstance(item, dict)}
        for j, item in enumerate(items):
            item_id = item.get("id") if isinstance(item, dict) else None
            i = index_of.get(item_id) if item_id is not None else None
            if i is None:
                i = len(target)
                target.append(None)
            target[i] = copy.deepcopy(item)
            self.take((name, j), (name, i))


def _apply_overrides(doc: Document, overrides: list[str] | tuple[str, ...]) -> dict[Key, str]:
    """Put ``--set`` values into the parsed data; remember which keys came from where."""
    settings, problems = [], []
    for text in overrides:
        shown = f"--set {text if len(text) <= 80 else text[:77] + '...'}"
        name, sep, raw = text.partition("=")
        if not sep or not name.strip():
            problems.append(Problem.about(shown, "expected PATH=VALUE, e.g. levers.morocco.medical_aid=0.8"))
            continue
        settings.append((name.strip(), _command_line_value(raw), shown))
    origins = _apply_settings(doc, settings, problems)
    if problems:
        raise InputError(problems)
    return origins


def _apply_settings(doc: Document, settings: list[tuple[str, object, str]], problems: list[Problem]) -> dict[Key, str]:
    """Set each dotted ``PATH`` to its value in ``doc``; the one grammar of ``--set`` and the Python API.

    Returns where each key came from (``shown``), so the checker's messages point at the setting.
    """
    origins: dict[Key, str] = {}
    for name, value, shown_as in settings:
        parts: list[str] = name.split(".")
        if parts[0] == "extends":  # parents are resolved before overrides, so it would be ignored
            problems.append(Problem.about(shown_as, "extends cannot be set from the command line (the file's parents "
                                                 "are already resolved); write a scenario with 'extends:' instead"))
            continue
        if parts[0] == "parameters" and len(parts) > 1:
            parts = ["parameters", ".".join(parts[1:])]  # parameter names contain dots
            # fixing a parameter replaces any uncertainty about it
            uncertain = doc.data.get("uncertainties")
            if isinstance(uncertain, dict):
                uncertain.pop(parts[1], None)
        elif parts[0] == "uncertainties" and len(parts) > 2:
            parts = ["uncertainties", ".".join(parts[1:-1]), parts[-1]]
        elif parts[0] == "institutions" and len(parts) > 1:
            parts = ["institutions", ".".join(parts[1:])]  # institution names are holder.name
        target = doc.data
        for part in parts[:-1]:
            if not isinstance(target, dict):
                break
            target = target.setdefault(part, {})
        if not isinstance(target, dict):
            problems.append(Problem.about(shown_as, f"'{name}' does not name a setting in the scenario"))
            continue
        target[parts[-1]] = value
        origins[tuple(parts)] = shown_as
    return origins


def with_settings(scenario: Scenario, settings: Mapping[str, object], caller: str = "settings") -> Scenario:
    """``scenario`` with dotted ``PATH: value`` settings applied, checked exactly as ``--set`` values are.

    Numbers of any numeric type (NumPy scalars included) are taken as numbers; problems are
    reported against ``caller`` (e.g. ``simulate(parameters=...)``) with the ``--set`` wording.
    """
    import numbers

    doc = Document(path=scenario.path, data=copy.deepcopy(scenario.to_dict()))
    problems: list[Problem] = []
    pairs = []
    for name, value in settings.items():
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            value = float(value) if not isinstance(value, numbers.Integral) else int(value)
        pairs.append((str(name), value, f"{caller} {name}={shown(value, 40)}"))
    origins = _apply_settings(doc, pairs, problems)
    if problems:
        raise InputError(problems)
    return _Checker(doc, load_catalogue(), origins).scenario()


def library_path(scenario: str | os.PathLike) -> Path:
    """The file a scenario argument names: itself, or a library scenario by bare name (``baseline``).

    Raises:
        InputError: a bare name that is neither a file nor a library scenario (with the library's names).
    """
    path = Path(scenario)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    library = LIBRARY / f"{path.name}.yaml"
    if path.name == str(scenario) and library.is_file():
        return library
    names = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
    raise InputError([Problem.about(str(scenario), f"no scenario file or library scenario '{scenario}'"
                                                   f"{did_you_mean(str(scenario), names)}; library: "
                                                   f"{', '.join(names)}")])


def resolve_scenario(scenario: Scenario | str | os.PathLike) -> Scenario:
    """A Scenario from itself, a file path, or a library name (``"baseline"``)."""
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def _command_line_value(raw: str) -> object:
    """A ``--set`` value: numbers as numbers (``1e-5`` too), else plain YAML scalars, else text."""
    import yaml

    text = raw.strip()
    for parse in (int, float):
        try:
            return parse(text)
        except ValueError:
            pass
    if len(text) > 1000 or nesting_problem(text):  # never hand a hostile value to the YAML parser
        return raw
    try:
        value = yaml.safe_load(text) if text else ""
    except yaml.YAMLError:
        return raw
    return value if isinstance(value, str | bool | type(None)) else raw


class _Checker:
    """Reads the document through the format (``sim.scenario.format``), then applies the rules
    that span sections and builds the Scenario. Problems are all collected before raising."""

    def __init__(self, doc: Document, catalogue: Catalogue, origins: dict[Key, str]):
        self.doc = doc
        self.catalogue = catalogue
        self.origins = origins
        self.problems: list[Problem] = []

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None:
        for origin_key, shown_as in self.origins.items():
            # the setting itself, something inside it, or the structure it was put into
            if key[: len(origin_key)] == origin_key or (key and origin_key[: len(key)] == key):
                column = shown_as.index("=") + 2 + (offset or 0) if "=" in shown_as else 1
                self.problems.append(Problem(shown_as, 1, column, message))
                return
        self.problems.append(self.doc.problem(key, message, at_key=at_key, offset=offset))

    def scenario(self) -> Scenario:
        data = scenario_format().read(self, (), self.doc.data)
        if data is INVALID:
            raise InputError(self.problems)
        start, horizon = data.get("start"), data.get("horizon")
        status_quo = {a: ReadOnlyMapping(v) for a, v in data.get("status_quo", {}).items()}
        self.relative_warnings: list[Problem] = []
        self.resolve_relative_levers(data.get("levers", {}), status_quo)
        actors = self.actors(data.get("actors", {}), status_quo)
        parameters = data.get("parameters", {})
        uncertainties = [Uncertainty(parameter=name, distribution=kind, arguments=ReadOnlyMapping(args))
                         for name, (kind, args) in data.get("uncertainties", {}).items()]
        for unc in uncertainties:
            if unc.parameter in parameters:
                self.fail(("uncertainties", unc.parameter), f"{unc.parameter} is both fixed (parameters:) and "
                          "uncertain (uncertainties:); keep one", at_key=True)
        question, window_problem = _question(data.get("question"), start, horizon)
        if window_problem:
            self.fail(("question", "window"), window_problem)
        if start is not None and horizon is not None and (end_problem := run_end_problem(start, horizon)):
            self.fail(("start",), end_problem)
        events = self.events(data.get("events", {}), start)
        if self.problems:
            raise InputError(self.problems)
        outputs = data.get("outputs", {})
        return Scenario(
            name=data["name"],
            description=data.get("description", ""),
            start=start,
            horizon=horizon,
            seed=data["seed"],
            replicates=data["replicates"],
            actors=ReadOnlyMapping(actors),
            context=ReadOnlyMapping(self.context(data.get("context", {}))),
            levers=ReadOnlyMapping({a: ReadOnlyMapping({lever: LeverSetting(**s) for lever, s in settings.items()})
                                     for a, settings in data.get("levers", {}).items()}),
            parameters=ReadOnlyMapping(parameters),
            status_quo=ReadOnlyMapping(status_quo),
            institutions=ReadOnlyMapping(data.get("institutions", {})),
            decisions=ReadOnlyMapping(data.get("decisions", {})),
            question=question,
            events=tuple(events),
            triggers=tuple(Trigger(id=t["id"], when=t["when"][0], condition=t["when"][1], once=t["once"],
                                   delay=t["delay"], changes=_changes_of(t))
                           for t in data.get("triggers", {}).values()),
            shocks=tuple(Shock(id=k["id"], probability=k["probability"], when=k["when"][0] if "when" in k else None,
                               condition=k["when"][1] if "when" in k else None, changes=_changes_of(k))
                         for k in data.get("shocks", {}).values()),
            uncertainties=tuple(uncertainties),
            outputs=Outputs(metrics=tuple(outputs.get("metrics", ())), actors=tuple(outputs.get("actors", ()))),
            path=self.doc.path,
            warnings=tuple(self.unread_sources(data)
                           + self.lowered_levers(data.get("events", {}), data.get("levers", {}))
                           + self.after_the_run(data.get("events", {}), data.get("levers", {}), start, horizon)
                           + self.relative_warnings),
        )

    def unread_sources(self, data: dict) -> list[Problem]:
        """One located warning, at this file's first citation, when the source documents are not on
        this machine: citations were checked against the project's list of documents only."""
        if seed_files() is not None or _in_library(self.doc.path):
            return []  # the library's citations are verified by the project's tests
        for section in ("events", "triggers", "shocks"):
            for index, entry in data.get(section, {}).items():
                key = (section, index, "source")
                if entry.get("source") and self.doc.file_of(key) == self.doc.path:
                    problem = self.doc.problem(key, "")
                    return [dataclasses.replace(problem, message=(
                        f"warning: the source documents are not in {seeds_dir()} (set SIM_SEEDS_DIR): "
                        f"'{entry['source']}' and this file's other citations were checked against the project's "
                        "list of documents only, not read"))]
        return []

    def lowered_levers(self, entries: dict, settings: dict) -> list[Problem]:
        """Warnings for events that set a lever below what a parent file had set it to by then: a
        what-if copied from an older baseline can lower an escalation by accident (model v3's
        algeria_russia_alignment set Algeria's undermining to 0.8 under the baseline's 1.0)."""
        out = []
        for index, entry in entries.items():
            month = entry.get("date")
            for path, value in (entry.get("set") or {}).items():
                if not path.startswith("levers.") or not isinstance(value, int | float) or month is None:
                    continue
                prior = self._lever_before(path, month, entries, settings)
                if prior is None:
                    continue
                earlier, where, key = prior
                mine = self.doc.file_of(("events", index))
                if value < earlier - 1e-9 and self.doc.file_of(key) != mine:
                    problem = self.doc.problem(("events", index, "set", path), "", at_key=True)
                    advice = (f"to keep it, replace this inherited event by its id in {self.doc.path}" if mine !=
                              self.doc.path else "if you meant to keep or raise it, leave it out or use add:")
                    out.append(dataclasses.replace(problem, message=(
                        f"warning: event '{entry['id']}' sets {path} = {value:g}, below the {earlier:g} that "
                        f"{where} in {self.doc.file_of(key)} set by then; {advice}")))
        return out

    def resolve_relative_levers(self, settings: dict, status_quo: Mapping[str, Mapping[str, float]]) -> None:
        """Lever settings relative to the status quo (``x2``, ``+0.2``) become intensities, in place;
        a capped one gets a located warning."""
        for actor, levers in settings.items():
            for lever, setting in levers.items():
                base = status_quo.get(actor, {}).get(lever, self.catalogue.lever(actor, lever).initial_effort)
                name = f"levers.{actor}.{lever}"
                if setting.get("mode") == "fixed" and isinstance(setting.get("value"), Relative):
                    setting["value"] = self.capped(setting["value"], base, (0.0, 1.0), ("levers", actor, lever), name,
                                                   "status-quo effort")
                elif setting.get("mode") == "schedule":
                    setting["schedule"] = tuple(
                        (month, self.capped(value, base, (0.0, 1.0), ("levers", actor, lever, "schedule",
                                                                        format_month(month)), name, "status-quo effort")
                         if isinstance(value, Relative) else value) for month, value in setting["schedule"])

    def capped(self, relative: Relative, base: float, bounds: tuple[float, float], key: Key, name: str,
               what: str) -> float:
        """``relative`` of ``base``, within ``bounds``; a located warning when a bound binds."""
        wanted = relative.of(base)
        value = round(min(max(wanted, bounds[0]), bounds[1]), 12)
        if abs(value - wanted) > 1e-12:
            problem = self.doc.problem(key, "")
            self.relative_warnings.append(dataclasses.replace(problem, message=(
                f"warning: {name} = {relative.text} asks for {wanted:.4g} ({relative.text} of its {what} "
                f"{base:.4g}); capped at {value:g}, the end of its range [{bounds[0]:g}, {bounds[1]:g}]")))
        return value

    def after_the_run(self, entries: dict, settings: dict, start: int | None, horizon: int | None) -> list[Problem]:
        """Warnings for dates this file gives after the run's last month: they never take effect (a
        what-if that shortens a parent's horizon is not warned about the parent's later events)."""
        if start is None or horizon is None or any(key[:1] in (("horizon",), ("start",)) for key in self.origins):
            return []  # a run shortened (or moved) on the command line: on purpose, not a mistake in the file
        last, out = start + horizon, []

        def warn(key: Key, what: str, month: int) -> None:
            if self.doc.file_of(key) == self.doc.path:
                problem = self.doc.problem(key, "")
                out.append(dataclasses.replace(problem, message=(
                    f"warning: {what} is dated {format_month(month)}, after the run's last month "
                    f"{format_month(last)} (start + horizon): it never takes effect")))

        for index, entry in entries.items():
            if entry.get("date") is not None and entry["date"] > last:
                warn(("events", index, "date"), f"event '{entry['id']}'", entry["date"])
        for actor, levers in settings.items():
            for lever, setting in levers.items():
                for when, _ in (setting.get("schedule") or ()) if isinstance(setting, dict) else ():
                    if when > last:
                        warn(("levers", actor, lever, "schedule", format_month(when)),
                             f"schedule point of {actor}.{lever}", when)
        return out

    def _lever_before(self, path: str, month: int, entries: dict, settings: dict):
        """(intensity, what set it, its key) in force just before ``month`` from the lever's setting and
        earlier events, or None when the agent decides."""
        _, actor, lever = path.split(".")
        found = None
        setting = settings.get(actor, {}).get(lever)
        if setting is not None:
            value = LeverSetting(**setting).intensity_at(month - 1)
            if value is not None:
                found = (value, "its lever setting", ("levers", actor, lever))
        dated = [(entry.get("date"), index, entry) for index, entry in entries.items()
                 if entry.get("date") is not None and entry.get("date") < month
                 and isinstance((entry.get("set") or {}).get(path), int | float)]
        if dated:
            when, index, entry = max(dated, key=lambda item: item[0])
            setting_since = LeverSetting(**setting).schedule if setting is not None else ()
            if not any(when < point <= month - 1 for point, _ in setting_since):  # no schedule point since
                found = (float(entry["set"][path]), f"event '{entry['id']}'", ("events", index))
        return found

    def actors(self, table: dict, status_quo: Mapping[str, Mapping[str, float]]) -> dict[str, ActorSetup]:
        """Every actor, with its budget defaulting to its status-quo total; influences on one
        target share one whole."""
        out = {}
        for actor in ACTORS:
            entry = table.get(actor, {})
            budget = entry.get("budget")
            total = round(sum(status_quo.get(actor, {}).get(lever.id, lever.initial_effort)
                              for lever in self.catalogue.levers_of(actor)), 12)
            if budget is None:
                budget = total
            elif isinstance(budget, Relative):
                budget = self.capped(budget, total, BUDGET_RANGE, ("actors", actor, "budget"),
                                     f"actors.{actor}.budget", "status-quo total")
            out[actor] = ActorSetup(budget=budget, budget_policy=entry.get("budget_policy", BUDGET_POLICIES[0]),
                                    **{section: ReadOnlyMapping(entry.get(section, {}))
                                       for section in ("objectives", "influence", "relations")})
        for target in ACTORS:
            total = sum(out[source].influence.get(target, 0.0) for source in ACTORS)
            if total > 1.0 + 1e-9:
                self.fail(("actors",), f"influences on {target} add up to {total:.3g}; they share one whole, "
                          "expected <= 1")
        return out

    @staticmethod
    def context(table: dict) -> dict[str, CountryContext]:
        """Every state's context; western commitment defaults to the western presence."""
        out = {}
        for actor in ACTORS:
            values = table.get(actor) or CONTEXT_DEFAULTS
            values = {"western_commitment": values["western_presence"], "insecurity_endured": values["threat"],
                      **values}
            out[actor] = CountryContext(**values)
        return out

    def events(self, entries: dict, start: int | None) -> list[Event]:
        out = []
        for index, entry in entries.items():
            month = entry.get("date")
            # an event dated after the run's end simply does not happen within it, so a what-if can
            # shorten the horizon of a parent scenario; one dated before the start is a mistake
            if month is not None and start is not None and month < start:
                self.fail(("events", index, "date"), f"event '{entry['id']}' date {format_month(month)} is "
                          f"before the run starts ({format_month(start)})")
            out.append(Event(id=entry["id"], month=month, changes=_changes_of(entry), chosen_by=entry.get("chosen_by")))
        return out


def _changes_of(entry: dict) -> Changes:
    """The changes of an event, trigger or shock as the format read them."""
    return Changes(set=ReadOnlyMapping(entry.get("set", {})), add=ReadOnlyMapping(entry.get("add", {})),
                   source=entry.get("source"), assumption=entry.get("assumption"))
