"""JSON Schema (draft 2020-12) of scenario files, printed from the one description of the format.

``sim.scenario.format`` describes every key, range, default and text once; the loader reads
files through it and this module prints it, so the schema and the checker cannot drift apart.
Editors use the schema to autocomplete and to flag mistakes while typing; ``sim validate``
remains the authority (it also checks rules across sections, such as influences on one
target summing to at most one).
"""

from __future__ import annotations

from sim.scenario.format import scenario_format


def scenario_schema() -> dict:
    """The schema as a plain dict, ready for ``json.dumps``."""
    body = scenario_format().schema()
    comment = body.pop("description")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sahel-sim.invalid/scenario.schema.json",
        "title": "Sahel influence scenario",
        **body,
        "$comment": f"A file that extends another may omit any key. {comment}",
    }
