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
SCENARIOS_DOC = ROOT / "docs" / "scenarios.md"
STRATEGY_DOC = ROOT / "docs" / "strategy.md"  # the optimize and discover worked example


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
    from sim.analysis.response import MIN_RESPONSE, clears, first_target, lever_responses, response_table
    from sim.scenario.loader import load_scenario

    responses = lever_responses(load_scenario(ROOT / "scenarios" / "baseline.yaml"), n_replicates=RESPONSE_REPLICATES)
    kinds = {lever.key: lever.kind for lever in load_catalogue().levers}
    pairs = first_target(responses)
    influences = [i for i, _ in pairs.values() if i is not None]
    weak = [f"`{i.lever}` ({i.mean:+.3f})" for i in influences if not clears(i, kinds[i.lever])]
    return "\n".join([
        f"Baseline, {RESPONSE_REPLICATES} paired replicates per variant, end of run (`sim levers --response`), at "
        f"each lever's first target. {len(influences) - len(weak)} of {len(influences)} levers that act on influence "
        f"move it by at least {MIN_RESPONSE} the way their kind says (5% quantile on the right side of 0); below: "
        f"{', '.join(weak) or 'none'}. Morocco's and Russia's are bounded by their small starting influence on Mali "
        f"spread over their levers (7.5); Algeria's mediation acts on Mali only where Algeria has not withdrawn it "
        f"(its own decision, 7.12); ECOWAS's sanctions pull while in force and cost goodwill, so their net effect on "
        f"its influence is small. The largest attitude move in any replicate is "
        f"{max(a.largest for _, a in pairs.values()):.3f} (bound: 0.5).",
        "",
        response_table(responses),
    ])


def example_run_block() -> str:
    """The console of docs/scenarios.md section 1, produced by running its own example file, so the
    numbers there are what the model gives now (a test regenerates and compares them)."""
    import contextlib
    import io
    import re as regex
    import tempfile

    from sim.cli.dispatch import main as sim

    example = regex.search(r"```yaml\n(# yaml-language-server.*?)```", SCENARIOS_DOC.read_text(), regex.S).group(1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "invest_and_coup.yaml"
        path.write_text(example)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            sim(["validate", str(path)])
            validated = out.getvalue()
            out.truncate(0), out.seek(0)
            sim(["run", str(path), "--replicates", "20", "--out", f"{folder}/runs/invest"])
        ran = out.getvalue().replace(folder, "/tmp/scen")
    return ("```console\n$ .venv/bin/sim validate ~/whatifs/invest_and_coup.yaml\n" + validated
            + "$ .venv/bin/sim run ~/whatifs/invest_and_coup.yaml --replicates 20 --out /tmp/scen/runs/invest\n"
            + ran + "```")


def strategy_example_block() -> str:
    """docs/strategy.md's worked example: ``sim optimize`` and ``sim discover`` at small budgets, run now."""
    import contextlib
    import io
    import tempfile

    from sim.cli.dispatch import main as sim

    commands = [
        ["optimize", "baseline", "--actor", "morocco", "--objective", "mean(influence.morocco.mali)",
         "--budget", "60", "--replicates", "4", "--compare-replicates", "0"],
        ["discover", "baseline", "--outcome", "decision.mali.mali_signs_security_framework@end > 0.5",
         "--points", "60"],
    ]
    parts = []
    with tempfile.TemporaryDirectory() as folder:
        for number, command in enumerate(commands):
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()) as err:
                status = sim([*command, "--out", f"{folder}/{number}"])
            if status != 0:  # never write a failed example into the docs
                raise SystemExit(f"docs_gen: sim {' '.join(command)} exited {status}: {err.getvalue()[-500:]}")
            shown = " ".join(f"'{a}'" if " " in a or "(" in a else a for a in command)
            text = out.getvalue().replace(f"{folder}/{number}", f"results/analysis/{command[0]}-example")
            fence = "```"
            parts.append(f"{fence}console\n$ .venv/bin/sim {shown}\n{text.rstrip()}\n{fence}")
    return "\n\n".join(parts)


def decisions_table() -> str:
    """ODD 7.12: every decision rule with its condition and the argument the catalogue gives for it."""
    from sim.scenario.institutions import load_institutions

    rows = ["| rule | actor | action | condition | hold | argument |", "| --- | --- | --- | --- | --- | --- |"]
    for d in load_institutions().decisions:
        argument = " ".join(d.argument.split()).replace("|", "/")
        rows.append(f"| `{d.id}` | {ACTOR_LABELS[d.actor]} | {d.action} `{d.institution}` | `{d.when}` | {d.hold} | "
                    f"{argument} |")
    return "\n".join(rows)


def fill_generated(text: str) -> str:
    """Replace the contents between each ``<!-- BEGIN GENERATED: x -->`` marker pair."""
    blocks = {"parameters": parameters_table, "levers": levers_table, "response": response_block,
              "example_run": example_run_block, "decisions": decisions_table,
              "strategy_example": strategy_example_block}

    def replace(match: re.Match) -> str:
        return f"{match.group(1)}\n{blocks[match.group(2)]()}\n{match.group(3)}"

    pattern = re.compile(r"(<!-- BEGIN GENERATED: (\w+) -->).*?(<!-- END GENERATED: \2 -->)", re.S)
    return pattern.sub(replace, text)


def main() -> None:
    SCHEMA_FILE.write_text(schema_text())
    for document in (ODD_FILE, SCENARIOS_DOC, STRATEGY_DOC):
        if document.exists():
            document.write_text(fill_generated(document.read_text()))
    print(f"wrote {SCHEMA_FILE.relative_to(ROOT)} and the generated parts of {ODD_FILE.relative_to(ROOT)}, "
          f"{SCENARIOS_DOC.relative_to(ROOT)} and {STRATEGY_DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
