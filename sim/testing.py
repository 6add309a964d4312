"""Regression assertions for users' own test suites.

    from sim.testing import assert_matches_reference

    def test_baseline_unchanged():
        assert_matches_reference("scenarios/baseline.yaml")

or, as a pytest fixture (``pytest -p sim.testing``): ``def test_x(sim_regression):
sim_regression("scenarios/baseline.yaml")``.
"""

from __future__ import annotations

from pathlib import Path

from sim.analysis.regress import Verdict, check
from sim.io.references import reference_lock

REFERENCE_ROOT = Path("results/reference")  # relative to the caller's working directory, as pytest runs


def assert_matches_reference(scenario: str | Path, reference_root: str | Path = REFERENCE_ROOT,
                             **tolerances: float) -> Verdict:
    """Fail (AssertionError with the readable diff) unless the scenario matches its reference
    (``reference_root/<scenario name>``, by default ``results/reference`` of the project being tested)."""
    with reference_lock(Path(reference_root)):  # never beside a re-bless in progress
        verdict = check(Path(scenario), Path(reference_root), **tolerances)
    if not verdict.passed:
        raise AssertionError("\n".join(verdict.lines()))
    return verdict


try:
    import pytest

    @pytest.fixture
    def sim_regression():
        """Call with a scenario path to assert it still matches its blessed reference."""
        return assert_matches_reference
except ImportError:  # pytest is only needed for the fixture
    pass
