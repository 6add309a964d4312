"""Where the source documents are: ``shared/seeds/`` beside the repository (or ``SIM_SEEDS_DIR``).

Scenario events, triggers and shocks may cite a seed file as their ``source``; the scenario
checker rejects a citation of a file that is not there, so no report shows evidence that does
not exist. Without the folder (an installation away from the repository) nothing can be
checked, and nothing is rejected.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def seeds_dir() -> Path:
    return Path(os.environ.get("SIM_SEEDS_DIR") or ROOT.parent / "shared" / "seeds")


@cache
def seed_files() -> tuple[str, ...] | None:
    """Names of the seed documents, or None when the folder is absent."""
    folder = seeds_dir()
    if not folder.is_dir():
        return None
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_file()))


@cache
def source_titles() -> dict[str, str]:
    """Seed file name -> short title (sim/data/sources.yaml)."""
    from importlib import resources

    from sim.scenario.yamlsafe import parse_yaml_bytes

    doc = parse_yaml_bytes(resources.files("sim").joinpath("data", "sources.yaml").read_bytes(),
                           "sim/data/sources.yaml")
    return {str(k): str(v) for k, v in ((doc.data or {}).get("sources") or {}).items()}


def cite(text: str) -> str:
    """``text`` with every seed file name replaced by its short title and number:
    "000_4a7c527b705e72c5.txt" -> "Morocco's active diplomacy in Mali (000)"."""
    for name, title in source_titles().items():
        text = text.replace(name, f"{title} ({name[:3]})")
    return text
