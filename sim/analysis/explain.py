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

import numpy as np

from sim.engine.executors import Executor, SerialExecutor
from sim.engine.runner import DEFAULT_CHUNK_SIZE, chunk_bounds, parallel_chunk_size, run_blocks, run_chunk
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import Scenario, scenario_from_data

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
            mine = {x["id"]: x for x in data[section]}
            theirs = {x["id"]: x for x in value}
            kept = [x for x in target[section] if x["id"] not in mine or x["id"] in theirs]
            kept = [theirs.get(x["id"], x) if mine.get(x["id"]) != theirs.get(x["id"]) else x for x in kept]
            target[section] = kept + [x for i, x in theirs.items() if i not in mine]
        elif section == "levers":
            for actor in set(value) | set(data[section]):
                for lever in set(value.get(actor, {})) | set(data[section].get(actor, {})):
                    if value.get(actor, {}).get(lever) != data[section].get(actor, {}).get(lever):
                        if lever in value.get(actor, {}):
                            target[section].setdefault(actor, {})[lever] = value[actor][lever]
                        else:
                            target[section].get(actor, {}).pop(lever, None)
        elif isinstance(value, dict):
            for name in set(value) | set(data[section]):
                if value.get(name) != data[section].get(name):
                    if name in value:
                        target[section][name] = value[name]
                    else:
                        target[section].pop(name, None)


def _own_labels(scenario: Scenario) -> tuple[set[str] | None, str | None]:
    """Component labels of what the scenario's own file writes, and its parent (None: nothing inherited)."""
    from pathlib import Path

    from sim.errors import InputError
    from sim.scenario.yamlsafe import read_yaml_file

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
    data = scenario.to_dict()
    out = []
    catalogue = load_catalogue()

    def lever_evidence(actor: str, lever_id: str) -> str:
        lever = catalogue.lever(actor, lever_id)
        return ", ".join(sorted({e.source for e in lever.evidence})) if lever else ""

    if against is None:
        for lever in catalogue.levers:
            variant = copy.deepcopy(data)
            variant["levers"].setdefault(lever.actor, {})[lever.id] = 0.0
            out.append(Component(f"levers.{lever.key}", lever_evidence(lever.actor, lever.id), variant))
        for section in SECTIONS_BY_ID:
            for item in data[section]:
                variant = copy.deepcopy(data)
                variant[section] = [x for x in variant[section] if x["id"] != item["id"]]
                out.append(Component(f"{section}.{item['id']}", item.get("source") or item.get("assumption", ""),
                                     variant))
        return out

    base = against.to_dict()
    for actor in sorted(set(data["levers"]) | set(base["levers"])):
        mine, theirs = data["levers"].get(actor, {}), base["levers"].get(actor, {})
        for lever_id in sorted(set(mine) | set(theirs)):
            if mine.get(lever_id) != theirs.get(lever_id):
                variant = copy.deepcopy(data)
                if lever_id in theirs:
                    variant["levers"].setdefault(actor, {})[lever_id] = theirs[lever_id]
                else:
                    variant["levers"][actor].pop(lever_id)
                out.append(Component(f"levers.{actor}.{lever_id}", lever_evidence(actor, lever_id), variant))
    for section in SECTIONS_BY_ID:
        theirs = {x["id"]: x for x in base[section]}
        mine = {x["id"]: x for x in data[section]}
        for item_id in sorted(set(mine) | set(theirs)):
            if mine.get(item_id) != theirs.get(item_id):
                variant = copy.deepcopy(data)
                kept = [x for x in variant[section] if x["id"] != item_id]
                variant[section] = kept + ([theirs[item_id]] if item_id in theirs else [])
                item = mine.get(item_id) or theirs[item_id]
                out.append(Component(f"{section}.{item_id}", item.get("source") or item.get("assumption", ""),
                                     variant))
    # a parameter fixed here but drawn in ``against`` (or the reverse) is one change: reverting the value
    # alone would leave it both fixed and drawn, so its draw is reverted with it, on one line
    refixed = {name for name in set(data["parameters"]) ^ set(base["parameters"])
               if data["uncertainties"].get(name) != base["uncertainties"].get(name)}
    for section in SECTIONS_BY_NAME:
        mine, theirs = data[section], base[section]
        for name in sorted(set(mine) | set(theirs)):
            if mine.get(name) == theirs.get(name) or (section == "uncertainties" and name in refixed):
                continue
            variant = copy.deepcopy(data)
            linked = [section, "uncertainties"] if section == "parameters" and name in refixed else [section]
            for part in linked:
                if name in base[part]:
                    variant[part][name] = base[part][name]
                else:
                    variant[part].pop(name, None)
            evidence = "scenario setting (fixed instead of drawn)" if len(linked) > 1 else "scenario setting"
            out.append(Component(f"{section}.{name}", evidence, variant))
    return out


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
    tasks = ((scenario, tuple(others), tuple(outcomes), ids, seed, tuple(at) if at else None)
             for ids in chunk_bounds(n_replicates, parallel_chunk_size(n_replicates, chunk_size, executor)))
    runs = 1 + len(others)  # the scenario and each variant, per replicate-month
    chunks = list(executor.map(explain_chunk, tasks, units=lambda task: len(task[3]) * scenario.horizon * runs,
                               on_step=on_step))
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


def explain_chunk(scenario: Scenario, others: tuple[Scenario, ...], outcomes: tuple, ids: np.ndarray, seed: int,
                  at: tuple[str, ...] | None, on_step: Callable[[int], None] | None = None
                  ) -> tuple[np.ndarray, list[np.ndarray]]:
    """The outcomes of the scenario and of each variant on one chunk of replicates, shape
    (replicates, outcomes) each. Variants sharing the scenario's starting state run as blocks
    of one batched model; the others separately (a pure function, for any backend)."""

    def ends(trajectories) -> np.ndarray:
        steps = [-1 if at is None else trajectories.dates.index(at[i]) for i in range(len(outcomes))]
        return np.stack([trajectories.get(*key)[:, step] for key, step in zip(outcomes, steps, strict=True)],
                        axis=1)  # (R, outcomes)

    batched = [i for i, v in enumerate(others) if v.starting_state() == scenario.starting_state()]
    blocks = run_blocks([scenario, *[others[i] for i in batched]], len(ids), seed, replicate_ids=ids,
                        on_step=on_step)
    results = dict(zip(batched, blocks[1:], strict=True))
    for i, variant in enumerate(others):
        if i not in results:
            results[i] = run_chunk(variant, seed, ids, on_step=on_step)
    return ends(blocks[0]), [ends(results[i]) for i in range(len(others))]


def _contributions(label: str, evidence: str, outcomes, paired: np.ndarray) -> list[Contribution]:
    low, high = np.quantile(paired, [0.05, 0.95], axis=0)
    return [Contribution(label, evidence, key, float(paired[:, i].mean()), float(low[i]), float(high[i]))
            for i, key in enumerate(outcomes)]
