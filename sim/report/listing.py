"""Catalogue listings for people (wrapped text) and machines (JSON records)."""

from __future__ import annotations

import textwrap

from sim.scenario.catalogue import ACTOR_LABELS, Lever, ParameterSpec
from sim.scenario.sources import missing_quotes, seeds_dir, verified_hashes


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
    lines.append(f"{len(levers)} levers. {quotes_checked([(e.source, e.quote) for lv in levers for e in lv.evidence])}")
    return "\n".join(lines).lstrip("\n")


def quotes_checked(quotes: list[tuple[str, str]]) -> str:
    """Whether the quotes are verbatim in their documents: checked now when the documents are here,
    else where they were last verified (the documents' sha256 in sim/data/sources.yaml)."""
    missing = missing_quotes(quotes)
    if missing is None:
        hashes = ", ".join(f"{name[:3]} {digest[:12]}" for name, digest in sorted(verified_hashes().items()))
        return (f"The source documents are not in {seeds_dir()} (set SIM_SEEDS_DIR to check the quotes now); the "
                f"quotes were last verified verbatim by the project's tests against the documents with sha256 "
                f"{hashes}... (sim/data/sources.yaml).")
    if not missing:
        return f"All {len(quotes)} quotes checked now: verbatim in the source documents in {seeds_dir()}."
    shown = "; ".join(f'"{quote[:60]}" ({source})' for source, quote in missing[:5])
    return f"{len(missing)} of {len(quotes)} quotes NOT found verbatim in {seeds_dir()}: {shown}"


def parameters_text(specs: list[ParameterSpec]) -> str:
    lines = []
    for spec in specs:
        lines.append(f"{spec.name} = {spec.default:g}  [{spec.low:g}, {spec.high:g}] {spec.unit}")
        if spec.rationale:
            lines += textwrap.wrap(spec.rationale, 88, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)
