"""JSON Schema (draft 2020-12) of scenario files, generated from the loader's definitions.

The key lists, ranges and names come from ``sim.scenario.loader`` and the catalogues, so the
schema and the checker cannot drift apart. Editors use it to autocomplete and to flag
mistakes while typing; ``sim validate`` remains the authority (it also checks things a
schema cannot, such as influences on one target summing to at most one).
"""

from __future__ import annotations

from sim.scenario import loader as sc
from sim.scenario.catalogue import ACTORS, load_catalogue
from sim.scenario.institutions import load_institutions
from sim.scenario.paths import READABLE_CONTEXT as CONTEXT_NAMES
from sim.scenario.paths import parse_path

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def _number(low: float, high: float, description: str = "") -> dict:
    schema = {"type": "number", "minimum": low, "maximum": high}
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict, description: str = "", required: tuple[str, ...] = ()) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if description:
        schema["description"] = description
    if required:
        schema["required"] = list(required)
    return schema


def _per_actor(value: dict, exclude: str | None = None) -> dict:
    return _object({a: value for a in ACTORS if a != exclude})


def _changes_schema() -> dict:
    catalogue = load_catalogue()
    paths = [f"context.{a}.{v}" for a in ACTORS for v in sc.CONTEXT_VARIABLES]
    paths += [f"levers.{lv.actor}.{lv.id}" for lv in catalogue.levers]
    paths += [f"parameters.{name}" for name in catalogue.parameters]
    paths += [f"actors.{a}.budget" for a in ACTORS]
    paths += [f"actors.{a}.objectives.{b}" for a in ACTORS for b in ACTORS if a != b]
    paths += [f"institution.{key}" for key in load_institutions().keys]
    paths += [f"{root}.{a}.{b}" for root in ("influence", "relation") for a in ACTORS for b in ACTORS if a != b]

    def changes(additive: bool) -> dict:
        """Each path with the range the checker allows (``sim.scenario.loader.change_range``)."""
        properties = {}
        for text in paths:
            path = parse_path(text)
            low, high = sc.change_range(path, additive, catalogue)
            value = ({"type": "integer", "minimum": int(low), "maximum": int(high)} if path.root == "institution"
                     else _number(low, high))
            properties[text] = ({"oneOf": [value, {"const": "adaptive"}]} if path.root == "levers" and not additive
                                else value)
        return {"type": "object", "properties": properties, "additionalProperties": False}

    return {
        "set": {**changes(False), "description": "state paths set to a value"},
        "add": {**changes(True), "description": "state paths changed by an amount"},
        "source": {"type": "string", "description": "seed file the change comes from"},
        "assumption": {"type": "string", "description": "why, when no document says so"},
        "description": {"type": "string"},
    }


def scenario_schema() -> dict:
    """The schema as a plain dict, ready for ``json.dumps``."""
    catalogue = load_catalogue()
    month = {"type": "string", "pattern": MONTH_PATTERN}
    intensity = _number(*sc.UNIT_RANGE)
    lever_setting = {
        "oneOf": [
            {**intensity, "description": "fixed intensity"},
            {"const": "adaptive", "description": "the actor decides"},
            _object({"schedule": {"type": "object", "propertyNames": month, "additionalProperties": intensity,
                                  "minProperties": 1}}, "piecewise intensity by month", ("schedule",)),
        ]
    }
    actors = _object({
        actor: _object({
            "budget": _number(*sc.BUDGET_RANGE, "total effort per month across the actor's levers; "
                              "default: its status-quo total"),
            "budget_policy": {"enum": list(sc.BUDGET_POLICIES),
                              "description": "extend: fixed levers are funded on top of the budget (default); "
                                             "reallocate: they are paid from it, crowding adaptive levers out"},
            "objectives": _per_actor(_number(0.0, 1.0), actor),
            "influence": _per_actor(_number(*sc.UNIT_RANGE), actor),
            "relations": _per_actor(_number(*sc.RELATION_RANGE), actor),
        })
        for actor in ACTORS
    })
    context = _per_actor(_object({v: _number(*sc.UNIT_RANGE) for v in sc.CONTEXT_VARIABLES}))
    levers = _object({
        actor: _object({lv.id: {**lever_setting, "description": lv.description}
                        for lv in catalogue.levers_of(actor)})
        for actor in ACTORS
    })
    parameters = _object({
        name: _number(spec.low, spec.high, f"{spec.unit}; default {spec.default}. {spec.rationale}")
        for name, spec in catalogue.parameters.items()
    })
    changes = _changes_schema()
    condition = {"type": "string", "description": "e.g. influence.russia.mali > 0.4 and month >= 2023-01"}
    events = {"type": "array", "items": _object({"id": {"type": "string"}, "date": month, **changes},
                                                  required=("id", "date"))}
    triggers = {"type": "array", "items": _object({
        "id": {"type": "string"}, "when": condition, "once": {"type": "boolean"},
        "delay": {"type": "integer", "minimum": 0, "maximum": sc.MAX_HORIZON}, **changes,
    }, required=("id", "when"))}
    shocks = {"type": "array", "items": _object({
        "id": {"type": "string"}, "probability": _number(0.0, 1.0, "per month"), "when": condition, **changes,
    }, required=("id", "probability"))}
    argument_names = sorted({a for args in sc.DISTRIBUTIONS.values() for a in args})
    uncertainty = _object({"distribution": {"enum": list(sc.DISTRIBUTIONS)},
                           **{a: {"type": ["number", "array"]} for a in argument_names}},
                          required=("distribution",))
    from sim.scenario.catalogue import METRICS

    properties = {
        "extends": {"type": "string", "description": "parent scenario file, relative to this one"},
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "start": {**month, "description": "first month, YYYY-MM"},
        "horizon": {"type": "integer", "minimum": 1, "maximum": sc.MAX_HORIZON, "description": "monthly steps"},
        "seed": {"type": "integer", "minimum": 0, "maximum": sc.MAX_SEED},
        "replicates": {"type": "integer", "minimum": 1, "maximum": sc.MAX_REPLICATES},
        "actors": actors,
        "context": context,
        "levers": levers,
        "parameters": parameters,
        "status_quo": _object({actor: _object({lv.id: intensity for lv in catalogue.levers_of(actor)})
                               for actor in ACTORS}),
        "institutions": _object({key: {"enum": [0, 1], "description": i.description}
                                 for key, i in zip(load_institutions().keys, load_institutions().institutions,
                                                   strict=True)},
                                "starting institutional state, 1 in force / member / present"),
        "question": _object({
            "text": {"type": "string", "description": "the question in words"},
            "outcomes": {"type": "array", "items": {"type": "string"},
                         "description": "series the report answers first, e.g. influence.morocco.mali"},
            "window": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}\\.\\.[0-9]{4}-[0-9]{2}$",
                       "description": "YYYY-MM..YYYY-MM"},
            "threshold": {"type": "string", "description": "e.g. influence.russia.mali > influence.morocco.mali"},
        }, "what the what-if asks: sim compare leads its report with the answer"),
        "events": events,
        "triggers": triggers,
        "shocks": shocks,
        "uncertainties": {"type": "object", "propertyNames": {"enum": list(catalogue.parameters)},
                          "additionalProperties": uncertainty},
        "outputs": _object({"metrics": {"type": "array", "items": {"enum": list(METRICS)}},
                            "actors": {"type": "array", "items": {"enum": list(ACTORS)}}}),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sahel-sim.invalid/scenario.schema.json",
        "title": "Sahel influence scenario",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$comment": "A file that extends another may omit any key. Context variables readable in "
        f"conditions: {', '.join(CONTEXT_NAMES)}.",
    }
