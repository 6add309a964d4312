"""Variants of a scenario built in code (the dashboard's sliders, ``sim optimize``'s mixes): levers
set from a month to the end of the run, over the base's own later settings.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping

from sim.errors import InputError, Problem
from sim.scenario.loader import Scenario, scenario_from_data
from sim.scenario.months import format_month, parse_month


def with_levers_from(base: Scenario, levers: Mapping[str, float], month: int | None = None,
                display: str = "levers") -> Scenario:
    """``base`` with each lever (``levers.<actor>.<lever>``) at its value from ``month`` (None: the
    start) to the end. Before it the base's own setting, schedule and events apply; from it the
    value holds over any later event of the base that sets the lever (an event left with nothing to
    change goes), as a lever pinned by ``sim.evaluate`` does. Checked by the loader."""
    month = base.start if month is None else month
    bad = [path for path in levers if len(path.split(".")) != 3 or not path.startswith("levers.")]
    if bad:
        raise InputError([Problem.about(display, f"{bad[0]!r}; expected levers.<actor>.<lever>")])
    variant = scenario_from_data(_levers_data(base, levers, month), display)
    return dataclasses.replace(variant, path=base.path)


def _moved_lever(old: object, value: float, month: int, start: int) -> object:
    """A lever's setting (as scenario data) that is ``value`` from ``month`` and what ``old`` was before."""
    if month <= start:
        return float(value)
    if isinstance(old, dict) and "schedule" in old:
        points = {m: v for m, v in old["schedule"].items() if parse_month(m) < month}
    elif isinstance(old, int | float):
        points = {format_month(start): float(old)}
    else:  # adaptive until then
        points = {}
    return {"schedule": {**points, format_month(month): float(value)}}


def _levers_data(base: Scenario, levers: Mapping[str, float], month: int) -> dict:
    """``base`` as data with each moved lever at its value from ``month`` on. Events dated from
    then on that set the same lever no longer do (the user's setting holds to the end); an event
    left with nothing to change goes."""
    data = copy.deepcopy(base.to_dict())
    for path, value in levers.items():
        _, actor, lever = path.split(".")
        actor_levers = data["levers"].setdefault(actor, {})
        actor_levers[lever] = _moved_lever(actor_levers.get(lever), value, month, base.start)
    kept = []
    for event in data["events"]:
        if parse_month(event["date"]) >= month:
            for kind in ("set", "add"):
                if kind in event:
                    event[kind] = {k: v for k, v in event[kind].items() if k not in levers}
                    if not event[kind]:
                        del event[kind]
        if "set" in event or "add" in event:
            kept.append(event)
    data["events"] = kept
    return data


