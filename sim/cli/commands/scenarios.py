"""``sim scenarios``: the scenario library, each with its question and what it changes against its parent."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.common import EXIT_OK, json_document
from sim.errors import InputError, Problem

HELP = "the scenario library: each file's question and what it changes"
OWN_KEYS = ("levers", "events", "shocks", "triggers", "decisions", "institutions", "parameters", "actors", "horizon")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", default=None,
                        help="folder of scenario files (default: the library that ships with sim)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def command(args: argparse.Namespace) -> int:
    # deferred: YAML and the catalogue (~0.2 s), which sim --help must not pay for
    from sim.scenario.loader import LIBRARY, load_scenario
    from sim.scenario.yamlsafe import read_yaml_file

    folder = LIBRARY if args.folder is None else Path(args.folder)
    if not folder.is_dir():
        raise InputError([Problem.about(folder, "not a folder of scenarios")])
    entries = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            scenario = load_scenario(path)
        except InputError as exc:
            entries.append({"file": path.name, "problem": str(exc.problems[0])})
            continue
        own = read_yaml_file(path).data or {}
        entries.append({
            "file": path.name, "name": scenario.name, "extends": own.get("extends"),
            "description": " ".join(scenario.description.split()),
            "question": scenario.question.text if scenario.question else None,
            "changes": own_changes(own),
        })
    if args.json:
        print(json_document(entries))
        return EXIT_OK
    for entry in entries:
        if "problem" in entry:
            print(f"{entry['file']}: INVALID: {entry['problem']}\n")
            continue
        parent = f" (extends {entry['extends']})" if entry["extends"] else ""
        print(f"{entry['file']}{parent}\n  {entry['description']}")
        if entry["question"]:
            print(f"  question: {entry['question']}")
        if entry["changes"]:
            print("  changes: " + "; ".join(entry["changes"]))
        print()
    print(f"{len(entries)} scenario(s) in {folder}; run one with `sim run {folder}/<file>`, compare two with "
          "`sim compare`")
    return EXIT_OK


def own_changes(data: dict) -> list[str]:
    """What a scenario file itself sets, in words (not what it inherits)."""
    out = []
    for actor, levers in (data.get("levers") or {}).items():
        for lever, setting in (levers or {}).items():
            if isinstance(setting, dict) and "schedule" in setting:
                points = ", ".join(f"{month}: {value}" for month, value in setting["schedule"].items())
                out.append(f"lever {actor}.{lever} {{{points}}}")
            else:
                out.append(f"lever {actor}.{lever} = {setting}")
    for kind in ("events", "shocks", "triggers"):
        for entry in data.get(kind) or []:
            when = entry.get("date") or (f"p={entry['probability']}/month" if "probability" in entry else
                                          f"when {entry.get('when')}")
            chosen = f", chosen by {entry['chosen_by']}" if entry.get("chosen_by") else ""
            out.append(f"{kind[:-1]} {entry.get('id')} ({when}{chosen})")
    for rule, switch in (data.get("decisions") or {}).items():
        out.append(f"decision {rule} {'on' if switch is True else 'off' if switch is False else f'from {switch}'}")
    for key, value in (data.get("institutions") or {}).items():
        out.append(f"institution {key} = {value} at the start")
    for name, value in (data.get("parameters") or {}).items():
        out.append(f"parameter {name} = {value}")
    if "horizon" in data and data.get("extends"):
        out.append(f"horizon {data['horizon']}")
    return out
