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
