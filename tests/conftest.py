"""Shared fixtures: paths, the baseline scenario, and a helper to write scenario files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore the same cases on every run, so CI cannot pass or fail by chance.
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture
def baseline():
    from sim.scenario.loader import load_scenario

    return load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture
def write_scenario(tmp_path):
    """Write YAML text (dedented) to a file and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


MINIMAL = """
name: minimal
start: 2022-01
horizon: 6
"""
