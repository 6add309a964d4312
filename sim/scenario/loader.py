"""Scenario files: the only module that reads scenario YAML.

It checks everything at the boundary and returns frozen, typed objects, so the model can
trust its inputs. Every problem in a file is reported at once, each with its file, line
and column, the bad value and what was expected.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from sim.errors import InputError, Problem, did_you_mean
from sim.scenario.catalogue import ACTORS, Catalogue, load_catalogue
from sim.scenario.conditions import ConditionError, Node, check_state_path, parse_condition
from sim.scenario.institutions import load_institutions
from sim.scenario.months import format_month, parse_month
from sim.scenario.paths import SETTABLE_CONTEXT, WRITE_ROOTS, PathError, StatePath, parse_path
from sim.scenario.sources import seed_files, seeds_dir
from sim.scenario.yamlsafe import Document, Key, read_yaml_file

TOP_LEVEL_KEYS = (
    "extends",
    "name",
    "description",
    "start",
    "horizon",
    "seed",
    "replicates",
    "actors",
    "context",
    "levers",
    "status_quo",
    "institutions",
    "parameters",
    "events",
    "triggers",
    "shocks",
    "uncertainties",
    "outputs",
    "question",
)
QUESTION_KEYS = ("text", "outcomes", "window", "threshold")
SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")  # no separators, no "..": safe as a folder name
ACTOR_KEYS = ("budget", "budget_policy", "objectives", "influence", "relations")
BUDGET_POLICIES = ("extend", "reallocate")  # the first is the default
CONTEXT_VARIABLES = SETTABLE_CONTEXT  # sim.scenario.paths: the one table of context variables
CHANGE_KEYS = ("set", "add", "source", "assumption", "description")
EVENT_KEYS = ("id", "date", *CHANGE_KEYS)
TRIGGER_KEYS = ("id", "when", "once", "delay", *CHANGE_KEYS)
SHOCK_KEYS = ("id", "probability", "when", *CHANGE_KEYS)
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
    "choice": ("values", "weights"),
}
OUTPUT_KEYS = ("metrics", "actors")
MERGED_BY_ID = ("events", "triggers", "shocks")
STATE_ROOTS = WRITE_ROOTS  # what events, triggers and shocks may change (sim.scenario.paths)
ACTOR_STATE = ("budget", "objectives")  # actors.<a>.budget and actors.<a>.objectives.<b>: paths events may change
MAX_HORIZON = 600
MAX_REPLICATES = 10_000_000
MAX_SEED = 2**63 - 1
BUDGET_RANGE = (0.0, 20.0)
RELATION_RANGE = (-1.0, 1.0)
UNIT_RANGE = (0.0, 1.0)

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
class Changes:
    """What an event, trigger or shock does, and where that comes from."""

    set: Mapping[str, float | str]
    add: Mapping[str, float]
    source: str | None = None
    assumption: str | None = None


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


def question_problems(raw: object, start: int | None, horizon: int | None) -> tuple[Question | None, list[tuple]]:
    """Check a ``question:`` mapping; returns (question, [(key suffix, message), ...])."""
    from sim.scenario.outcomes import OutcomeError, parse_outcome

    if raw is None:
        return None, []
    if not isinstance(raw, dict):
        return None, [((), "question should be a mapping with outcomes, window, threshold, text")]
    problems = []
    for name in raw:
        if name not in QUESTION_KEYS:
            problems.append(((name,), f"unknown key '{name}' in question{did_you_mean(str(name), QUESTION_KEYS)}"))
    levers = load_catalogue().lever_ids()

    def series(text: object, key: tuple) -> bool:
        try:
            tree = parse_outcome(str(text), levers).tree
        except OutcomeError as exc:
            problems.append((key, f"{exc} in {text!r}"))
            return False
        if tree[0] != "series" or "@" in str(text):
            problems.append((key, f"{text!r}: expected one series such as influence.morocco.mali "
                                  "(no @, no arithmetic)"))
            return False
        return True

    outcomes = raw.get("outcomes", [])
    if not isinstance(outcomes, list):
        problems.append((("outcomes",), "question.outcomes should be a list of series"))
        outcomes = []
    kept = tuple(str(o).strip() for i, o in enumerate(outcomes) if series(o, ("outcomes", i)))
    window = None
    if "window" in raw:
        first, _, last = str(raw["window"]).partition("..")
        months = (parse_month(first.strip()), parse_month(last.strip()))
        if None in months or months[0] > months[1]:
            problems.append((("window",), f"question.window = {raw['window']!r}; expected YYYY-MM..YYYY-MM"))
        elif start is not None and horizon is not None and not start <= months[0] <= months[1] <= start + horizon:
            problems.append((("window",), f"question.window {raw['window']} is outside the run "
                                          f"{format_month(start)}..{format_month(start + horizon)}"))
        else:
            window = months
    threshold = raw.get("threshold")
    if threshold is not None:
        parts = threshold_parts(str(threshold))
        if parts is None:
            problems.append((("threshold",), f"question.threshold = {threshold!r}; expected 'A > B' with series or "
                                             "numbers, e.g. influence.russia.mali > influence.morocco.mali"))
            threshold = None
        elif not all(isinstance(side, float) or series(side, ("threshold",)) for side in (parts[0], parts[2])):
            threshold = None
    text = raw.get("text", "")
    if not isinstance(text, str):
        problems.append((("text",), "question.text should be a sentence"))
        text = ""
    return Question(text.strip(), kept, window, str(threshold).strip() if threshold else None), problems


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
    status_quo: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))
    institutions: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # "mali.ecowas": 0|1
    triggers: tuple[Trigger, ...] = ()
    shocks: tuple[Shock, ...] = ()
    uncertainties: tuple[Uncertainty, ...] = ()
    outputs: Outputs = Outputs()
    question: Question | None = None
    path: str = field(default="", compare=False)

    def starting_state(self) -> tuple:
        """What replicate blocks of one batched model must share: start, horizon, the starting
        values and priorities of every actor, context, status quo and institutions. Budgets,
        budget policies, levers, events, triggers, shocks, parameters and uncertainties may differ."""
        actors = tuple((a, s.objectives, s.influence, s.relations) for a, s in self.actors.items())
        return self.start, self.horizon, actors, self.context, self.status_quo, self.institutions

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


def change_range(path: StatePath, additive: bool, catalogue: Catalogue) -> tuple[float, float]:
    """The values an event may give ``path`` (``set``) or add to it (``add``): one rule for the
    checker and the JSON Schema. Institutions take whole numbers within the range."""
    if path.root == "parameters":
        spec = catalogue.parameters[path.first]
        span = spec.high - spec.low
        return (-span, span) if additive else (spec.low, spec.high)
    if path.root == "actors" and path.second == "budget":
        span = BUDGET_RANGE[1] - BUDGET_RANGE[0]
        return (-span, span) if additive else BUDGET_RANGE
    if path.root == "relation":
        return (-2.0, 2.0) if additive else (-1.0, 1.0)
    return (-1.0, 1.0) if additive else (0.0, 1.0)  # context, levers, influence, institution, objectives


def _setting_to_data(setting: LeverSetting) -> object:
    if setting.mode == "fixed":
        return setting.value
    if setting.mode == "schedule":
        return {"schedule": {format_month(m): v for m, v in setting.schedule}}
    return "adaptive"


def _event_to_data(event: Event) -> dict:
    return {"id": event.id, "date": format_month(event.month), **_changes_to_data(event)}


def _changes_to_data(changes: Event | Changes) -> dict:
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
        path: the YAML file.
        overrides: ``PATH=VALUE`` strings (as given to ``--set``) applied on top of the file.

    Raises:
        InputError: listing every problem found, each located in the file or the override.
    """
    top = Path(path)
    doc = _resolve_extends(top, _scenarios_root(top), [], str(path))
    origins = _apply_overrides(doc, overrides)
    return _Checker(doc, load_catalogue(), origins).scenario()


def scenario_from_data(data: dict, display: str) -> Scenario:
    """Check plain scenario data (e.g. a variant built from ``Scenario.to_dict()``)."""
    doc = Document(path=display, data=copy.deepcopy(data))
    return _Checker(doc, load_catalogue(), {}).scenario()


LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"  # the scenario library, ``extends: <name>``


def _scenarios_root(path: Path) -> Path:
    """Where ``extends:`` may reach: the nearest enclosing ``scenarios/`` folder, else the file's folder."""
    folder = path.resolve().parent
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
    parent = (path.parent / parent_ref).resolve()
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

    def take(src: Key, dst: Key) -> None:
        """Copy the child's positions under ``src`` to ``dst`` in the merged document."""
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

    def overlay(target: dict, source: dict, key: Key) -> None:
        for name, value in source.items():
            here = (*key, name)
            atomic = _replaced_whole(here)
            if key == () and name in MERGED_BY_ID and isinstance(value, list) and isinstance(target.get(name), list):
                merge_list(target[name], value, name)
            elif isinstance(value, dict) and isinstance(target.get(name), dict) and not atomic:
                overlay(target[name], value, here)
                merged.key_pos[here] = child.key_pos.get(here, merged.key_pos.get(here, (1, 1)))
            else:
                target[name] = copy.deepcopy(value)
                take(here, here)

    def merge_list(target: list, items: list, name: str) -> None:
        index_of = {item.get("id"): i for i, item in enumerate(target) if isinstance(item, dict)}
        for j, item in enumerate(items):
            item_id = item.get("id") if isinstance(item, dict) else None
            i = index_of.get(item_id) if item_id is not None else None
            if i is None:
                i = len(target)
                target.append(None)
            target[i] = copy.deepcopy(item)
            take((name, j), (name, i))

    overlay(merged.data, child.data, ())
    # a child that fixes a parameter drops the parent's uncertainty about it, and vice versa
    for fixed_in, dropped_from in (("parameters", "uncertainties"), ("uncertainties", "parameters")):
        child_names = child.data.get(fixed_in) if isinstance(child.data.get(fixed_in), dict) else {}
        child_other = child.data.get(dropped_from) if isinstance(child.data.get(dropped_from), dict) else {}
        inherited = merged.data.get(dropped_from)
        if isinstance(inherited, dict):
            for name in child_names:
                if name not in child_other:
                    inherited.pop(name, None)
    return merged


def _apply_overrides(doc: Document, overrides: list[str] | tuple[str, ...]) -> dict[Key, str]:
    """Put ``--set`` values into the parsed data; remember which keys came from where."""
    settings, problems = [], []
    for text in overrides:
        shown = f"--set {text if len(text) <= 80 else text[:77] + '...'}"
        name, sep, raw = text.partition("=")
        if not sep or not name.strip():
            problems.append(Problem(shown, 1, 1, "expected PATH=VALUE, e.g. levers.morocco.medical_aid=0.8"))
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
    for name, value, shown in settings:
        parts: list[str] = name.split(".")
        if parts[0] == "extends":  # parents are resolved before overrides, so it would be ignored
            problems.append(Problem(shown, 1, 1, "extends cannot be set from the command line (the file's parents "
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
            problems.append(Problem(shown, 1, 1, f"'{name}' does not name a setting in the scenario"))
            continue
        target[parts[-1]] = value
        origins[tuple(parts)] = shown
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
        pairs.append((str(name), value, f"{caller} {name}={_shown(value, 40)}"))
    origins = _apply_settings(doc, pairs, problems)
    if problems:
        raise InputError(problems)
    return _Checker(doc, load_catalogue(), origins).scenario()


def resolve_scenario(scenario: Scenario | str | os.PathLike) -> Scenario:
    """A Scenario from itself, a file path, or a library name (``"baseline"``)."""
    if isinstance(scenario, Scenario):
        return scenario
    path = Path(scenario)
    if path.suffix not in (".yaml", ".yml") and not path.exists():
        library = LIBRARY / f"{path.name}.yaml"
        if path.name == str(scenario) and library.is_file():
            return load_scenario(library)
        names = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
        raise InputError([Problem(str(scenario), 1, 1, f"no scenario file or library scenario '{scenario}'"
                                                       f"{did_you_mean(str(scenario), names)}; library: "
                                                       f"{', '.join(names)}")])
    return load_scenario(path)


def _shown(value: object, limit: int = 60) -> str:
    """A bad value as an error message quotes it: its repr, cut short when it is long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def _command_line_value(raw: str) -> object:
    """A ``--set`` value: numbers as numbers (``1e-5`` too), else plain YAML scalars, else text."""
    import yaml

    from sim.scenario.yamlsafe import nesting_problem

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
    """Walks the parsed document once, collecting problems and building the Scenario."""

    def __init__(self, doc: Document, catalogue: Catalogue, origins: dict[Key, str]):
        self.doc = doc
        self.catalogue = catalogue
        self.origins = origins
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------------

    def fail(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> None:
        for origin_key, shown in self.origins.items():
            # the setting itself, something inside it, or the structure it was put into
            if key[: len(origin_key)] == origin_key or (key and origin_key[: len(key)] == key):
                column = shown.index("=") + 2 + (offset or 0) if "=" in shown else 1
                self.problems.append(Problem(shown, 1, column, message))
                return
        self.problems.append(self.doc.problem(key, message, at_key=at_key, offset=offset))

    @staticmethod
    def dotted(key: Key) -> str:
        return ".".join(str(k) for k in key)

    # -- typed readers ---------------------------------------------------------------

    def number(self, key: Key, value: object, low: float, high: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"{self.dotted(key)} = {_shown(value)} is not a number; expected one in [{low}, {high}]")
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
        elif not SCENARIO_NAME.fullmatch(name.strip()):
            self.fail(("name",), f"name = {name[:60]!r}; expected up to 80 letters, digits, '_', '-' or '.', "
                      "starting with a letter or digit (it names output folders)")
            name = ""
        description = data.get("description", "")
        if not isinstance(description, str):
            self.fail(("description",), "description should be text")
            description = ""
        start = self.month(("start",), data.get("start")) if "start" in data else None
        if "start" not in data:
            self.fail((), "missing required key 'start' (YYYY-MM)")
        horizon = self.integer(("horizon",), data.get("horizon"), 1, MAX_HORIZON)
        seed = self.integer(("seed",), data.get("seed", 0), 0, MAX_SEED)
        replicates = self.integer(("replicates",), data.get("replicates", 100), 1, MAX_REPLICATES)
        status_quo = self.status_quo(data.get("status_quo"))
        actors = self.actors(data.get("actors"), status_quo)
        context = self.context(data.get("context"))
        levers = self.levers(data.get("levers"))
        parameters = self.parameters(("parameters",), data.get("parameters"))
        events = self.events(data.get("events"), start, horizon)
        triggers = self.triggers(data.get("triggers"))
        shocks = self.shocks(data.get("shocks"))
        uncertainties = self.uncertainties(data.get("uncertainties"))
        for unc in uncertainties:
            if unc.parameter in parameters:
                self.fail(("uncertainties", unc.parameter), f"{unc.parameter} is both fixed (parameters:) and "
                          "uncertain (uncertainties:); keep one", at_key=True)
        outputs = self.outputs(data.get("outputs"))
        institutions = self.institutions(data.get("institutions"))
        question, question_issues = question_problems(data.get("question"), start, horizon)
        for suffix, message in question_issues:
            self.fail(("question", *suffix), message)
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
            status_quo=MappingProxyType(status_quo),
            institutions=MappingProxyType(institutions),
            question=question,
            events=tuple(events),
            triggers=tuple(triggers),
            shocks=tuple(shocks),
            uncertainties=tuple(uncertainties),
            outputs=outputs,
            path=self.doc.path,
        )

    def actors(self, raw: object, status_quo: Mapping[str, Mapping[str, float]]) -> dict[str, ActorSetup]:
        table = self.mapping(("actors",), raw)
        out = {}
        for actor in ACTORS:
            entry = table.get(actor) or {}
            key = ("actors", actor)
            entry = self.mapping(key, entry, ACTOR_KEYS)
            status_quo_total = sum(status_quo.get(actor, {}).get(lever.id, lever.initial_effort)
                                   for lever in self.catalogue.levers_of(actor))
            budget = self.number((*key, "budget"), entry.get("budget", round(status_quo_total, 12)), *BUDGET_RANGE)
            policy = entry.get("budget_policy", BUDGET_POLICIES[0])
            if policy not in BUDGET_POLICIES:
                hint = did_you_mean(str(policy), BUDGET_POLICIES) or f"; expected one of {', '.join(BUDGET_POLICIES)}"
                self.fail((*key, "budget_policy"), f"actors.{actor}.budget_policy = {policy!r}{hint}")
                policy = BUDGET_POLICIES[0]
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
            out[actor] = ActorSetup(budget=budget or 0.0, budget_policy=policy, **sections)
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

    def status_quo(self, raw: object) -> dict[str, Mapping[str, float]]:
        """Reference efforts before the scenario starts (default: the catalogue's, for January 2022)."""
        out = {}
        for actor, settings in self.mapping(("status_quo",), raw).items():
            if not self.actor_name(("status_quo", actor), actor):
                continue
            own = [lever.id for lever in self.catalogue.levers_of(actor)]
            values = {}
            for lever_id, value in self.mapping(("status_quo", actor), settings).items():
                key = ("status_quo", actor, lever_id)
                if lever_id not in own:
                    self.fail(key, f"unknown lever '{lever_id}' for {actor}{did_you_mean(lever_id, own)}", at_key=True)
                    continue
                number = self.number(key, value, *UNIT_RANGE)
                if number is not None:
                    values[lever_id] = number
            out[actor] = MappingProxyType(values)
        return out

    def institutions(self, raw: object) -> dict[str, int]:
        """Starting institutional state, ``holder.name: 0 | 1`` (default: the catalogue's ``initial``)."""
        keys = load_institutions().keys
        out = {}
        for name, value in self.mapping(("institutions",), raw).items():
            key = ("institutions", name)
            if name not in keys:
                self.fail(key, f"unknown institution '{name}'{did_you_mean(str(name), keys)}", at_key=True)
                continue
            if value not in (0, 1) or isinstance(value, bool):
                self.fail(key, f"institutions.{name} = {value!r}; expected 0 (not in force) or 1 (in force)")
                continue
            out[name] = int(value)
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

    def items_with_ids(self, section: str, raw: object, allowed: tuple[str, ...]) -> list[tuple[Key, str, dict]]:
        """The entries of a list section, each with a unique id: (key, id, entry)."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail((section,), f"{section} should be a list of entries, each with an 'id'")
            return []
        out, seen = [], {}
        for index, entry in enumerate(raw):
            key = (section, index)
            entry = self.mapping(key, entry, allowed)
            item_id = entry.get("id")
            if not isinstance(item_id, str) or not item_id:
                self.fail(key, f"every entry of {section} needs an 'id' (a short name)")
                continue
            if item_id in seen:
                first = seen[item_id] + 1
                self.fail((*key, "id"), f"duplicate {section[:-1]} id '{item_id}' (first at entry #{first})")
                continue
            seen[item_id] = index
            out.append((key, item_id, entry))
        return out

    def changes(self, key: Key, item_id: str, entry: dict) -> Changes:
        """The set/add block shared by events, triggers and shocks, with its provenance."""
        if not entry.get("source") and not entry.get("assumption"):
            self.fail(key, f"'{item_id}' needs a 'source' (seed file) or an 'assumption' text")
        if not entry.get("set") and not entry.get("add"):
            self.fail(key, f"'{item_id}' changes nothing; give 'set:' or 'add:'")
        for name in ("source", "assumption"):
            if name in entry and not isinstance(entry[name], str):
                self.fail((*key, name), f"{name} should be text")
        source, known = entry.get("source"), seed_files()
        if isinstance(source, str) and known is not None and source.strip() not in known:
            hint = did_you_mean(source, known) or f"; expected one of {', '.join(known)}"
            self.fail((*key, "source"), f"source '{source}' of '{item_id}' is not a seed document in "
                      f"{seeds_dir()}{hint}")
        return Changes(
            set=MappingProxyType(self.state_changes((*key, "set"), entry.get("set"), additive=False)),
            add=MappingProxyType(self.state_changes((*key, "add"), entry.get("add"), additive=True)),
            source=entry.get("source") if isinstance(entry.get("source"), str) else None,
            assumption=entry.get("assumption") if isinstance(entry.get("assumption"), str) else None,
        )

    def events(self, raw: object, start: int | None, horizon: int | None) -> list[Event]:
        out = []
        for key, event_id, entry in self.items_with_ids("events", raw, EVENT_KEYS):
            month = self.month((*key, "date"), entry.get("date"))
            # an event dated after the run's end simply does not happen within it, so a what-if can
            # shorten the horizon of a parent scenario; one dated before the start is a mistake
            if month is not None and start is not None and month < start:
                self.fail((*key, "date"), f"event '{event_id}' date {format_month(month)} is before "
                          f"the run starts ({format_month(start)})")
            changes = self.changes(key, event_id, entry)
            if month is not None:
                out.append(Event(id=event_id, month=month, set=changes.set, add=changes.add,
                                 source=changes.source, assumption=changes.assumption))
        return out

    def condition(self, key: Key, text: object) -> Node | None:
        if not isinstance(text, str) or not text.strip():
            self.fail(key, f"{self.dotted(key)} = {text!r}; expected a condition such as "
                      "'influence.russia.mali > 0.4'")
            return None
        levers = {actor: [lv.id for lv in self.catalogue.levers_of(actor)] for actor in ACTORS}
        names = list(self.catalogue.parameters)
        institutions = load_institutions().names_by_holder()
        try:
            return parse_condition(text, lambda path: check_state_path(path, ACTORS, levers, names, institutions))
        except ConditionError as exc:
            self.fail(key, f"{exc} in condition {text!r}", offset=exc.offset)
            return None

    def triggers(self, raw: object) -> list[Trigger]:
        out = []
        for key, trigger_id, entry in self.items_with_ids("triggers", raw, TRIGGER_KEYS):
            condition = self.condition((*key, "when"), entry.get("when"))
            once = entry.get("once", True)
            if not isinstance(once, bool):
                self.fail((*key, "once"), f"once = {once!r}; expected true (fire once) or false (every month)")
            delay = self.integer((*key, "delay"), entry.get("delay", 0), 0, MAX_HORIZON)
            changes = self.changes(key, trigger_id, entry)
            if condition is not None and delay is not None and isinstance(once, bool):
                out.append(Trigger(id=trigger_id, when=entry["when"].strip(), condition=condition, once=once,
                                   delay=delay, changes=changes))
        return out

    def shocks(self, raw: object) -> list[Shock]:
        out = []
        for key, shock_id, entry in self.items_with_ids("shocks", raw, SHOCK_KEYS):
            probability = self.number((*key, "probability"), entry.get("probability"), 0.0, 1.0)
            when = entry.get("when")
            condition = self.condition((*key, "when"), when) if when is not None else None
            changes = self.changes(key, shock_id, entry)
            if probability is not None and (when is None or condition is not None):
                out.append(Shock(id=shock_id, probability=probability, when=when.strip() if when else None,
                                 condition=condition, changes=changes))
        return out

    def uncertainties(self, raw: object) -> list[Uncertainty]:
        out = []
        names = list(self.catalogue.parameters)
        for name, entry in self.mapping(("uncertainties",), raw).items():
            key = ("uncertainties", name)
            spec = self.catalogue.parameters.get(name)
            if spec is None:
                self.fail(key, f"unknown parameter '{name}'{did_you_mean(name, names)}", at_key=True)
                continue
            entry = self.mapping(key, entry, ("distribution", *sorted({a for v in DISTRIBUTIONS.values() for a in v})))
            kind = entry.get("distribution")
            if kind not in DISTRIBUTIONS:
                hint = did_you_mean(str(kind), list(DISTRIBUTIONS)) or f"; expected one of {', '.join(DISTRIBUTIONS)}"
                self.fail((*key, "distribution"), f"distribution = {kind!r}{hint}")
                continue
            arguments = self.distribution_arguments(key, kind, entry, spec.low, spec.high)
            if arguments is not None:
                out.append(Uncertainty(parameter=name, distribution=kind, arguments=MappingProxyType(arguments)))
        return out

    def distribution_arguments(self, key: Key, kind: str, entry: dict, low: float, high: float) -> dict | None:
        wanted = DISTRIBUTIONS[kind]
        extra = [a for a in entry if a not in (*wanted, "distribution")]
        for name in extra:
            self.fail((*key, name), f"'{name}' does not apply to a {kind} distribution; it takes {', '.join(wanted)}",
                      at_key=True)
        if kind == "choice":
            values = entry.get("values")
            if not isinstance(values, list) or not values:
                self.fail((*key, "values"), "a choice needs 'values: [...]' (at least one)")
                return None
            checked = [self.number((*key, "values", i), v, low, high) for i, v in enumerate(values)]
            weights = entry.get("weights", [1.0] * len(values))
            if not isinstance(weights, list) or len(weights) != len(values):
                self.fail((*key, "weights"), f"weights should be a list of {len(values)} numbers")
                return None
            wchecked = [self.number((*key, "weights", i), w, 0.0, 1e9) for i, w in enumerate(weights)]
            if None in checked or None in wchecked:
                return None
            if sum(wchecked) <= 0:
                self.fail((*key, "weights"), "weights must not all be zero")
                return None
            return {"values": tuple(checked), "weights": tuple(wchecked)}
        args = {}
        for name in wanted:
            if name not in entry:
                self.fail(key, f"a {kind} distribution needs '{name}'")
                return None
            bounds = (1e-12, high - low) if name == "sd" else (low, high)
            number = self.number((*key, name), entry[name], *bounds)
            if number is None:
                return None
            args[name] = number
        if kind == "uniform" and args["low"] >= args["high"]:
            self.fail(key, f"uniform low {args['low']} must be below high {args['high']}")
            return None
        if kind == "triangular" and not (args["low"] <= args["mode"] <= args["high"] and args["low"] < args["high"]):
            self.fail(key, f"triangular needs low <= mode <= high with low < high, got {args}")
            return None
        return args

    def outputs(self, raw: object) -> Outputs:
        from sim.scenario.catalogue import METRICS

        entry = self.mapping(("outputs",), raw, OUTPUT_KEYS)
        chosen = {}
        for name, allowed in (("metrics", METRICS), ("actors", ACTORS)):
            values = entry.get(name, [])
            if not isinstance(values, list):
                self.fail(("outputs", name), f"outputs.{name} should be a list")
                continue
            for i, value in enumerate(values):
                if value not in allowed:
                    hint = did_you_mean(str(value), allowed) or f"; expected one of {', '.join(allowed)}"
                    self.fail(("outputs", name, i), f"unknown {name[:-1]} {value!r}{hint}")
            chosen[name] = tuple(v for v in values if v in allowed)
        return Outputs(**chosen)

    def state_changes(self, key: Key, raw: object, *, additive: bool) -> dict[str, float | str]:
        out: dict[str, float | str] = {}
        for path, value in self.mapping(key, raw).items():
            checked = self.state_path((*key, path), path, value, additive)
            if checked is not None:
                out[path] = checked
        return out

    def state_path(self, key: Key, path: str, value: object, additive: bool) -> float | str | None:
        """Check one ``root.a.b: value`` change of an event; return the value to apply."""
        try:
            parsed = parse_path(str(path))
        except PathError as exc:
            self.fail(key, str(exc), at_key=True)
            return None
        root, rest = parsed.root, ".".join(parsed.parts)
        if root not in STATE_ROOTS:
            self.fail(key, f"'{path}' cannot be changed; events change paths starting with {', '.join(STATE_ROOTS)}",
                      at_key=True)
            return None
        if root == "parameters":
            if rest not in self.catalogue.parameters:
                names = list(self.catalogue.parameters)
                self.fail(key, f"unknown parameter '{rest}'{did_you_mean(rest, names)}", at_key=True)
                return None
            return self.number(key, value, *change_range(parsed, additive, self.catalogue))
        low, high = change_range(parsed, additive, self.catalogue) if len(parsed.parts) >= 2 else (0.0, 1.0)
        parts = rest.split(".")
        if root == "actors" and len(parts) == 3 and parts[1] == "objectives":
            if not (self.actor_name(key, parts[0]) and self.actor_name(key, parts[2])):
                return None
            if parts[0] == parts[2]:
                self.fail(key, f"state path '{path}': an actor has no objective on itself", at_key=True)
                return None
            return self.number(key, value, low, high)
        if len(parts) != 2:
            form = "actors.<a>.budget or actors.<a>.objectives.<b>" if root == "actors" else f"{root}.<a>.<b>"
            self.fail(key, f"state path '{path}' should be {form}", at_key=True)
            return None
        first, second = parts
        if not self.actor_name(key, first):
            return None
        if root == "context":
            if second not in CONTEXT_VARIABLES:
                hint = did_you_mean(second, CONTEXT_VARIABLES)
                self.fail(key, f"unknown context variable '{second}'{hint}", at_key=True)
                return None
        elif root == "actors":
            if second != "budget":
                hint = did_you_mean(second, ACTOR_STATE) or f"; expected {', '.join(ACTOR_STATE)}"
                if second == "objectives":
                    hint = "; expected actors.<a>.objectives.<target>"
                self.fail(key, f"unknown actor variable '{second}' in '{path}'{hint}", at_key=True)
                return None
            return self.number(key, value, low, high)
        elif root == "institution":
            own = load_institutions().names_by_holder().get(first, [])
            if second not in own:
                hint = did_you_mean(second, own) or f"; expected one of {', '.join(own) or '(none)'}"
                self.fail(key, f"unknown institution '{second}' of {first}{hint}", at_key=True)
                return None
            allowed = (-1, 0, 1) if additive else (0, 1)
            if isinstance(value, bool) or value not in allowed:
                self.fail(key, f"{path} = {value!r}; expected {' or '.join(map(str, allowed))} (an institution is in "
                          "force or not)")
                return None
            return float(value)
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
            if first == second:
                self.fail(key, f"state path '{path}': an actor has no {root} on itself", at_key=True)
                return None
        return self.number(key, value, low, high)
