"""Generated documentation: the scenario JSON Schema file and the ODD's catalogue tables.

``python -m tools.docs_gen`` rewrites them; a test fails when they are stale, so the docs
always say what the catalogues say.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sim.scenario.catalogue import ACTOR_LABELS, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "scenario.schema.json"
ODD_FILE = ROOT / "docs" / "ODD.md"


def schema_text() -> str:
    from sim.scenario.schema import scenario_schema

    return json.dumps(scenario_schema(), indent=2) + "\n"


def parameters_table() -> str:
    catalogue = load_catalogue()
    lever_names = {spec.name for lever in catalogue.levers for spec in lever.parameters.values()}
    rows = ["| parameter | default | range | unit | rationale |", "| --- | --- | --- | --- | --- |"]
    for name, spec in catalogue.parameters.items():
        if name not in lever_names:
            rows.append(f"| `{name}` | {spec.default:g} | [{spec.low:g}, {spec.high:g}] | {spec.unit} | "
                        f"{spec.rationale} |")
    return "\n".join(rows)


def levers_table() -> str:
    rows = [
        "Per-lever parameters: weight w, goodwill g, build-up tau_up, fade-out tau_down (months), threat relief "
        "(security levers). Default [range]. Named `levers.<actor>.<lever>.<parameter>`.",
        "",
        "| lever | channel, kind | targets | status quo effort | w | g | tau_up | tau_down | relief | evidence |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    def cell(lever, name: str) -> str:
        spec = lever.parameters[name]
        return f"{spec.default:g} [{spec.low:g}, {spec.high:g}]"

    for lever in load_catalogue().levers:
        kind = f"{lever.kind} ({ACTOR_LABELS[lever.rival]})" if lever.rival else lever.kind
        evidence = "; ".join(f'{e.source[:3]}: "{e.quote}"' for e in lever.evidence)
        rows.append(
            f"| `{lever.key}` | {lever.channel}, {kind} | {', '.join(lever.targets)} | {lever.initial_effort:g} | "
            f"{cell(lever, 'weight')} | {cell(lever, 'goodwill')} | {cell(lever, 'tau_up')} | "
            f"{cell(lever, 'tau_down')} | {cell(lever, 'threat_relief')} | {evidence} |"
        )
    return "\n".join(rows)


RESPONSE_REPLICATES = 40


def response_block() -> str:
    """The lever-response table (ODD 7.9): each lever 0 -> 1 in the baseline, paired replicates."""
    from sim.analysis.response import MIN_RESPONSE, lever_responses, response_table, strongest
    from sim.scenario.loader import load_scenario

    responses = lever_responses(load_scenario(ROOT / "scenarios" / "baseline.yaml"), n_replicates=RESPONSE_REPLICATES)
    best = strongest(responses)
    cleared = sum(abs(r.mean) >= MIN_RESPONSE for r in best.values())
    smallest = min(best.values(), key=lambda r: abs(r.mean))
    return "\n".join([
        f"Baseline, {RESPONSE_REPLICATES} paired replicates per variant, end of run (`sim levers --response`). "
        f"{cleared} of {len(best)} levers clear {MIN_RESPONSE}; the smallest largest-effect is "
        f"`{smallest.lever}` on `{smallest.outcome}` ({smallest.mean:+.3f}).",
        "",
        response_table(responses),
    ])


def fill_generated(text: str) -> str:
    """Replace the contents between each ``<!-- BEGIN GENERATED: x -->`` marker pair."""
    blocks = {"parameters": parameters_table, "levers": levers_table, "response": response_block}

    def replace(match: re.Match) -> str:
        return f"{match.group(1)}\n{blocks[match.group(2)]()}\n{match.group(3)}"

    pattern = re.compile(r"(<!-- BEGIN GENERATED: (\w+) -->).*?(<!-- END GENERATED: \2 -->)", re.S)
    return pattern.sub(replace, text)


def main() -> None:
    SCHEMA_FILE.write_text(schema_text())
    if ODD_FILE.exists():
        ODD_FILE.write_text(fill_generated(ODD_FILE.read_text()))
    print(f"wrote {SCHEMA_FILE.relative_to(ROOT)} and the generated tables in {ODD_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
