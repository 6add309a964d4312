"""Why a scenario turns out as it does: attribution by ablation under common random numbers.

Each component (a lever setting, an event, a trigger, a shock, a parameter, an actor's or a
state's starting values) is reverted to the baseline's version, or switched off when there
is no baseline, and the scenario re-run on the same replicates. A component's contribution
to an outcome is the paired difference "full scenario minus scenario without it". With a
baseline, the total effect minus the sum of contributions is reported as the interaction
remainder: contributions need not add up when components interact.

Budget crowding has its own line. When an actor's budget policy is ``reallocate``, a fixed
lever is paid for by its adaptive siblings; the line "budget crowding (actor)" is the scenario
minus the same scenario with that actor's policy set to ``extend``, and each of the actor's
lever components is measured inside the ``extend`` version, so a lever is credited with what
it does, never with what its siblings lost to pay for it.

Variants that share the scenario's start, horizon and starting state run as extra replicate
blocks of one batched model (``sim.engine.runner.run_blocks``), with the same random streams per
replicate as separate runs; variants that change the starting state (actors, context, status
quo) run separately on the same replicate ids.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.engine.executors import Executor, SerialExecutor
from sim.engine.runner import DEFAULT_CHUNK_SIZE, chunk_bounds, parallel_chunk_size, run_blocks, run_chunk
from sim.errors import InputError
from sim.scenario.catalogue import Catalogue, load_catalogue
from sim.scenario.loader import Scenario, scenario_from_data
from sim.scenario.yamlsafe import read_yaml_file

SECTIONS_BY_ID = ("events", "triggers", "shocks")
SECTIONS_BY_NAME = ("parameters", "uncertainties", "actors", "context", "status_quo", "institutions")


@dataclass(frozen=True)
class Component:
    label: str  # e.g. "levers.morocco.investment" or "events.western_withdrawal"
    evidence: str  # seed file(s) or the assumption behind it
    variant: dict  # scenario data without this component
    relative_to: str | None = None  # label of the component whose variant is the reference (None: the scenario)


@dataclass(frozen=True)
class Contribution:
    component: str
    evidence: str
    outcome: tuple[str, str, str]
    mean: float
    low: float
    high: float


@dataclass(frozen=True)
class ExplainTask:
    """One chunk of an explanation, sent to a worker (executors call ``explain_chunk(task)``)."""

    scenario: Scenario
    others: tuple[Scenario, ...]  # the variants, then ``against`` if given
    outcomes: tuple[tuple[str, str, str], ...]
    replicate_ids: np.ndarray  # the chunk's replicates
    seed: int
    at: tuple[str, ...] | None  # the month of each outcome (None: the run's end)

    def units(self) -> int:
        """Progress units: replicate-months of the scenario and of each variant."""
        return len(self.replicate_ids) * self.scenario.horizon * (1 + len(self.others))


def components(scenario: Scenario, against: Scenario | None = None) -> list[Component]:
    """What can be ablated: differences from ``against``, or every lever and event (plus crowding lines).

    Differences the what-if inherits from a parent file (``extends:``) rather than writes itself
    are reverted together as one line, ``inherited from <parent>``: the what-if's author did not set
    them, and the parent can be explained on its own.
    """
    parts = _ablations(scenario, against)
    own, parent = _own_labels(scenario) if against is not None else (None, None)
    inherited = [c for c in parts if own is not None and c.label not in own]
    if inherited:
        data = scenario.to_dict()
        combined = copy.deepcopy(data)
        for c in inherited:
            _revert_into(combined, data, c.variant)
        evidence = "; ".join(sorted({f"{c.label}: {c.evidence}" if c.evidence else c.label for c in inherited}))
        parts = [c for c in parts if c not in inherited]
        parts.append(Component(f"inherited from {parent}", evidence, combined))
    return _with_crowding(scenario.to_dict(), parts)


def _revert_into(target: dict, data: dict, variant: dict) -> None:
    """Apply to ``target`` what ``variant`` changes relative to ``data`` (one ablation), entry by entry."""
    for section, value in variant.items():
        if value == data.get(section):
            continue
        if section in SECTIONS_BY_ID:
            target[section] = _reverted_items(target[section], data[section], value)
        elif section == "levers":
            _revert_levers(target[section], data[section], value)
        elif isinstance(value, dict):
            _revert_entries(target[section], data[section], value)


def _reverted_items(target: list, data: list, variant: list) -> list:
    """``target``'s items with those ``variant`` removes, replaces or adds relative to ``data`` (matched by id)."""
    mine = {x["id"]: x for x in data}
    theirs = {x["id"]: x for x in variant}
    kept = [x for x in target if x["id"] not in mine or x["id"] in theirs]
    kept = [theirs.get(x["id"], x) if mine.get(x["id"]) != theirs.get(x["id"]) else x for x in kept]
    return kept + [x for i, x in theirs.items() if i not in mine]


def _revert_levers(target: dict, data: dict, variant: dict) -> None:
    """Set or remove in ``target`` each lever setting that ``variant`` changes relative to ``data``."""
    for actor in set(variant) | set(data):
        mine, theirs = data.get(actor, {}), variant.get(actor, {})
        for lever in set(theirs) | set(mine):
            if theirs.get(lever) == mine.get(lever):
                continue
            if lever in theirs:
                target.setdefault(actor, {})[lever] = theirs[lever]
            else:
                target.get(actor, {}).pop(lever, None)


def _revert_entries(target: dict, data: dict, variant: dict) -> None:
    """Set or remove in ``target`` each named entry that ``variant`` changes relative to ``data``."""
    for name in set(variant) | set(data):
        if variant.get(name) == data.get(name):
            continue
        if name in variant:
            target[name] = variant[name]
        else:
            target.pop(name, None)


def _own_labels(scenario: Scenario) -> tuple[set[str] | None, str | None]:
    """Component labels of what the scenario's own file writes, and its parent (None: nothing inherited)."""
    try:
        data = read_yaml_file(scenario.path).data if scenario.path and Path(scenario.path).is_file() else None
    except InputError:
        return None, None
    if not isinstance(data, dict) or not data.get("extends"):
        return None, None
    own = {f"levers.{actor}.{lever}" for actor, settings in (data.get("levers") or {}).items()
           if isinstance(settings, dict) for lever in settings}
    for section in SECTIONS_BY_ID:
        own |= {f"{section}.{item.get('id')}" for item in data.get(section) or [] if isinstance(item, dict)}
    for section in SECTIONS_BY_NAME:
        if isinstance(data.get(section), dict):
            own |= {f"{section}.{name}" for name in data[section]}
    return own, str(data["extends"])


def _crowding_label(actor: str) -> str:
    return f"budget crowding ({actor})"


def _with_crowding(data: dict, parts: list[Component]) -> list[Component]:
    """With reallocating actors, measure every component inside the ``extend`` version (where a fixed
    lever, whether set by a lever setting, an event, a trigger or a shock, costs its siblings
    nothing) and add one crowding line: the scenario minus its extend version."""
    touched = sorted(a for a, setup in data["actors"].items() if setup.get("budget_policy") == "reallocate")
    if not touched:
        return parts

    def extended(variant: dict) -> dict:
        variant = copy.deepcopy(variant)
        for actor in touched:
            variant["actors"][actor]["budget_policy"] = "extend"
        return variant

    label = _crowding_label(", ".join(touched))
    crowding = Component(label, f"fixed levers of {', '.join(touched)} paid from their budgets "
                                "(budget_policy: reallocate)", extended(data))
    out = [Component(c.label, c.evidence, extended(c.variant), label) for c in parts
           if extended(c.variant) != crowding.variant]  # a changed policy alone is the crowding line itself
    return [*out, crowding]


def _ablations(scenario: Scenario, against: Scenario | None) -> list[Component]:
    """One component per difference from ``against`` or, without it, per lever and item switched off."""
    data = scenario.to_dict()
    catalogue = load_catalogue()
    if against is None:
        return _levers_switched_off(data, catalogue) + _items_removed(data)
    base = against.to_dict()
    return _lever_differences(data, base, catalogue) + _item_differences(data, base) + _setting_differences(data, base)


def _lever_evidence(catalogue: Catalogue, actor: str, lever_id: str) -> str:
    lever = catalogue.lever(actor, lever_id)
    return ", ".join(sorted({e.source for e in lever.evidence})) if lever else ""


def _item_evidence(item: dict) -> str:
    return item.get("source") or item.get("assumption", "")


def _levers_switched_off(data: dict, catalogue: Catalogue) -> list[Component]:
    """Each catalogue lever set to 0 (no baseline to revert to)."""
    out = []
    for lever in catalogue.levers:
        variant = copy.deepcopy(data)
        variant["levers"].setdefault(lever.actor, {})[lever.id] = 0.0
        out.append(Component(f"levers.{lever.key}", _lever_evidence(catalogue, lever.actor, lever.id), variant))
    return out


def _items_removed(data: dict) -> list[Component]:
    """Each event, trigger and shock removed (no baseline to revert to)."""
    out = []
    for section in SECTIONS_BY_ID:
        for item in data[section]:
            variant = copy.deepcopy(data)
            variant[section] = [x for x in variant[section] if x["id"] != item["id"]]
            out.append(Component(f"{section}.{item['id']}", _item_evidence(item), variant))
    return out


def _lever_differences(data: dict, base: dict, catalogue: Catalogue) -> list[Component]:
    """Each lever setting that differs from ``base``, reverted to base's (or removed)."""
    out = []
    for actor in sorted(set(data["levers"]) | set(base["levers"])):
        mine, theirs = data["levers"].get(actor, {}), base["levers"].get(actor, {})
        for lever_id in sorted(set(mine) | set(theirs)):
            if mine.get(lever_id) == theirs.get(lever_id):
                continue
            variant = copy.deepcopy(data)
            if lever_id in theirs:
                variant["levers"].setdefault(actor, {})[lever_id] = theirs[lever_id]
            else:
                variant["levers"][actor].pop(lever_id)
            out.append(Component(f"levers.{actor}.{lever_id}", _lever_evidence(catalogue, actor, lever_id), variant))
    return out


def _item_differences(data: dict, base: dict) -> list[Component]:
    """Each event, trigger and shock that differs from ``base`` (by id), reverted to base's (or removed)."""
    out = []
    for section in SECTIONS_BY_ID:
        theirs = {x["id"]: x for x in base[section]}
        mine = {x["id"]: x for x in data[section]}
        for item_id in sorted(set(mine) | set(theirs)):
            if mine.get(item_id) == theirs.get(item_id):
                continue
            variant = copy.deepcopy(data)
            kept = [x for x in variant[section] if x["id"] != item_id]
            variant[section] = kept + ([theirs[item_id]] if item_id in theirs else [])
            out.append(Component(f"{section}.{item_id}", _item_evidence(mine.get(item_id) or theirs[item_id]),
                                 variant))
    return out


def _setting_differences(data: dict, base: dict) -> list[Component]:
    """Each named setting (parameter, uncertainty, actor, context, status quo, institution) that differs
    from ``base``, reverted to base's (or removed).

    A parameter fixed here but drawn in ``base`` (or the reverse) is one change: reverting the value
    alone would leave it both fixed and drawn, so its draw is reverted with it, on one line."""
    refixed = {name for name in set(data["parameters"]) ^ set(base["parameters"])
               if data["uncertainties"].get(name) != base["uncertainties"].get(name)}
    out = []
    for section in SECTIONS_BY_NAME:
        mine, theirs = data[section], base[section]
        for name in sorted(set(mine) | set(theirs)):
            if mine.get(name) == theirs.get(name) or (section == "uncertainties" and name in refixed):
                continue
            linked = [section, "uncertainties"] if section == "parameters" and name in refixed else [section]
            variant = copy.deepcopy(data)
            for part in linked:
                _revert_entry(variant[part], base[part], name)
            evidence = "scenario setting (fixed instead of drawn)" if len(linked) > 1 else "scenario setting"
            out.append(Component(f"{section}.{name}", evidence, variant))
    return out


def _revert_entry(target: dict, base: dict, name: str) -> None:
    if name in base:
        target[name] = base[name]
    else:
        target.pop(name, None)


def explain(scenario: Scenario, outcomes: list[tuple[str, str, str]], *, against: Scenario | None = None,
            n_replicates: int = 200, seed: int | None = None, at: list[str] | None = None,
            on_step: Callable[[int], None] | None = None, executor: Executor | None = None,
            chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[Contribution]:
    """Each component's contribution to each outcome series at the end of the run, or at the
    month ``at[i]`` given for outcome i (the month where a comparison found its effect largest).

    Replicates run in chunks on ``executor`` (default: this process), folded in order."""
    seed = scenario.seed if seed is None else seed
    executor = executor or SerialExecutor()
    parts = components(scenario, against)
    variants = [scenario_from_data(c.variant, f"{scenario.path} without {c.label}") for c in parts]
    others = [*variants, *([against] if against is not None else [])]
    tasks = ((ExplainTask(scenario, tuple(others), tuple(outcomes), ids, seed, tuple(at) if at else None),)
             for ids in chunk_bounds(n_replicates, parallel_chunk_size(n_replicates, chunk_size, executor)))
    # executors call ``explain_chunk(*args)``: each task travels as a one-element argument tuple
    chunks = list(executor.map(explain_chunk, tasks, units=lambda args: args[0].units(), on_step=on_step))
    full_end = np.concatenate([c[0] for c in chunks])
    ends = [np.concatenate([c[1][i] for c in chunks]) for i in range(len(others))]
    out = []
    explained = np.zeros_like(full_end)
    index = {c.label: i for i, c in enumerate(parts)}
    for i, component in enumerate(parts):
        reference = full_end if component.relative_to is None else ends[index[component.relative_to]]
        paired = reference - ends[i]
        explained += paired
        out += _contributions(component.label, component.evidence, outcomes, paired)
    if against is not None:
        total = full_end - ends[len(parts)]
        remainder = total - explained  # per replicate
        out += _contributions("interaction remainder", "total effect minus the contributions above", outcomes,
                              remainder)
        out += _contributions("total effect", f"{scenario.name} minus {against.name}", outcomes, total)
    return out


def explain_chunk(task: ExplainTask, on_step: Callable[[int], None] | None = None
                  ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The outcomes of the scenario and of each variant on one chunk of replicates, shape
    (replicates, outcomes) each. Variants sharing the scenario's starting state run as blocks
    of one batched model; the others separately (a pure function, for any backend)."""
    scenario, others, outcomes, ids, at = task.scenario, task.others, task.outcomes, task.replicate_ids, task.at

    def ends(trajectories) -> np.ndarray:
        steps = [-1 if at is None else trajectories.dates.index(at[i]) for i in range(len(outcomes))]
        return np.stack([trajectories.get(*key)[:, step] for key, step in zip(outcomes, steps, strict=True)],
                        axis=1)  # (R, outcomes)

    batched = [i for i, v in enumerate(others) if v.starting_state() == scenario.starting_state()]
    blocks = run_blocks([scenario, *[others[i] for i in batched]], len(ids), task.seed, replicate_ids=ids,
                        on_step=on_step)
    results = dict(zip(batched, blocks[1:], strict=True))
    for i, variant in enumerate(others):
        if i not in results:
            results[i] = run_chunk(variant, task.seed, ids, on_step=on_step)
    return ends(blocks[0]), [ends(results[i]) for i in range(len(others))]


def _contributions(label: str, evidence: str, outcomes, paired: np.ndarray) -> list[Contribution]:
    low, high = np.quantile(paired, [0.05, 0.95], axis=0)
    return [Contribution(label, evidence, key, float(paired[:, i].mean()), float(low[i]), float(high[i]))
            for i, key in enumerate(outcomes)]
