"""Catalogue listings for people (wrapped text) and machines (JSON records)."""

from __future__ import annotations

import textwrap

from sim.scenario.catalogue import ACTOR_LABELS, Lever, ParameterSpec


def lever_records(levers: list[Lever]) -> list[dict]:
    """Stable JSON shape: one record per lever, keys sorted by meaning, not by accident."""
    return [
        {
            "key": lever.key,
            "actor": lever.actor,
            "id": lever.id,
            "channel": lever.channel,
            "kind": lever.kind,
            "rival": lever.rival,
            "targets": list(lever.targets),
            "description": lever.description,
            "initial_effort": lever.initial_effort,
            "parameters": {name: _spec_record(spec) for name, spec in lever.parameters.items()},
            "evidence": [{"source": e.source, "quote": e.quote} for e in lever.evidence],
        }
        for lever in levers
    ]


def _spec_record(spec: ParameterSpec) -> dict:
    return {"default": spec.default, "low": spec.low, "high": spec.high, "unit": spec.unit,
            "rationale": spec.rationale}


def parameter_records(specs: list[ParameterSpec]) -> list[dict]:
    return [{"name": spec.name, **_spec_record(spec)} for spec in specs]


def levers_text(levers: list[Lever]) -> str:
    lines, actor = [], None
    for lever in levers:
        if lever.actor != actor:
            actor = lever.actor
            lines += ["", f"{ACTOR_LABELS[actor].upper()}"]
        targets = ", ".join(ACTOR_LABELS[t] for t in lever.targets)
        kind = f"{lever.kind} vs {ACTOR_LABELS[lever.rival]}" if lever.rival else lever.kind
        lines.append(f"  {lever.key}  [{lever.channel}, {kind}] -> {targets}")
        lines += textwrap.wrap(lever.description, 88, initial_indent="    ", subsequent_indent="    ")
        for evidence in lever.evidence:
            quote = textwrap.wrap(f'"{evidence.quote}" ({evidence.source})', 86,
                                  initial_indent="    > ", subsequent_indent="      ")
            lines += quote
    lines.append("")
    lines.append(f"{len(levers)} levers. Quotes are verbatim from the seed documents in shared/seeds/.")
    return "\n".join(lines).lstrip("\n")


def parameters_text(specs: list[ParameterSpec]) -> str:
    lines = []
    for spec in specs:
        lines.append(f"{spec.name} = {spec.default:g}  [{spec.low:g}, {spec.high:g}] {spec.unit}")
        if spec.rationale:
            lines += textwrap.wrap(spec.rationale, 88, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)
