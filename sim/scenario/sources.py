"""Where the source documents are: ``shared/seeds/`` beside the repository (or ``SIM_SEEDS_DIR``).

Scenario events, triggers and shocks may cite a seed file as their ``source``; the scenario
checker rejects a citation of a file that is not there, so no report shows evidence that does
not exist. Without the folder (an installation away from the repository) a citation is checked
against the project's list of documents (sim/data/sources.yaml) and the scenario gets a located
warning that the document itself could not be read (an error with ``sim validate --strict``).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

from sim.scenario.yamlsafe import parse_yaml_bytes

ROOT = Path(__file__).resolve().parents[2]


def seeds_dir() -> Path:
    return Path(os.environ.get("SIM_SEEDS_DIR") or ROOT.parent / "shared" / "seeds")


@cache
def seed_files() -> tuple[str, ...] | None:
    """Names of the seed documents, or None when the folder is absent."""
    folder = seeds_dir()
    if not folder.is_dir():
        return None
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_file())) or None  # empty: as good as absent


@cache
def _sources_file() -> dict:
    from importlib import resources

    return parse_yaml_bytes(resources.files("sim").joinpath("data", "sources.yaml").read_bytes(),
                            "sim/data/sources.yaml").data or {}


def source_titles() -> dict[str, str]:
    """Seed file name -> short title (sim/data/sources.yaml)."""
    return {str(k): str(v) for k, v in (_sources_file().get("sources") or {}).items()}


def verified_hashes() -> dict[str, str]:
    """Seed file name -> sha256 of the document the quotes were last verified against."""
    return {str(k): str(v) for k, v in (_sources_file().get("verified") or {}).items()}


def known_sources() -> tuple[str, ...]:
    """The documents a citation may name: the seed folder's files, else the project's list."""
    return seed_files() or tuple(sorted(source_titles()))


def normalise(text: str) -> str:
    """Fold whitespace and typographic quotes and dashes, as the catalogue's quoting rules allow."""
    for fancy, plain in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u2014", "-"),
                         ("\u2013", "-")):
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", text).strip()


def missing_quotes(quotes: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """The (source, quote) pairs not found verbatim in their document; None when the documents are
    not on this machine (nothing could be checked)."""
    if seed_files() is None:
        return None
    texts: dict[str, str | None] = {}
    out = []
    for source, quote in quotes:
        if source not in texts:
            path = seeds_dir() / source
            try:
                texts[source] = normalise(path.read_text(encoding="utf-8")) if path.is_file() else None
            except (OSError, UnicodeDecodeError):  # unreadable: its quotes cannot be found in it
                texts[source] = None
        if texts[source] is None or normalise(quote) not in texts[source]:
            out.append((source, quote))
    return out


def cite(text: str) -> str:
    """``text`` with every seed file name replaced by its short title and number:
    "000_4a7c527b705e72c5.txt" -> "Morocco's active diplomacy in Mali (000)"."""
    for name, title in source_titles().items():
        text = text.replace(name, f"{title} ({name[:3]})")
    return text
