import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.analysis.scoring import (
    BASE_RATE,
    ReliabilityBin,
    brier,
    brier_table,
    crps_ensemble,
    crps_table,
    reliability_table,
    skill,
)
from tests.conftest import ROOT


def formula_crps(y: float, members: np.ndarray, fair: bool) -> float:
    """E|X - y| - E|X - X'| / 2 by brute force over all pairs (i != j for the fair estimator)."""
    m = members.size
    pairs = np.abs(members[:, None] - members[None, :]).sum()
    return float(np.abs(members - y).mean() - pairs / (2 * (m * (m - 1) if fair else m * m)))


# CRPS


@pytest.mark.parametrize("estimator", ["fair", "nrg"])
def test_crps_of_a_point_is_the_absolute_error(estimator):
    assert crps_ensemble(2.0, 5.5, estimator=estimator) == 3.5
    assert crps_ensemble(2.0, [5.5], estimator=estimator) == 3.5  # a one-member ensemble is a point
    assert crps_ensemble(-1.0, np.array([-1.0]), estimator=estimator) == 0.0
    points = crps_ensemble(np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, -1.0]), estimator=estimator)
    np.testing.assert_array_equal(points, [1.0, 0.0, 3.0])
    # members all equal: a point mass, same score
    assert crps_ensemble(2.0, [5.5, 5.5, 5.5], estimator=estimator) == pytest.approx(3.5)


def test_crps_of_known_ensembles_by_hand():
    # [0, 1], y = 0: E|X-y| = 1/2; fair E|X-X'| = (1 + 1) / (2*1) = 1, so 1/2 - 1/2 = 0
    assert crps_ensemble(0.0, [0.0, 1.0]) == pytest.approx(0.0, abs=1e-12)
    # empirical (nrg): E|X-X'| = 2/4, so 1/2 - 1/4
    assert crps_ensemble(0.0, [0.0, 1.0], estimator="nrg") == pytest.approx(0.25)
    # [0, 1, 3], y = 2: E|X-y| = 4/3; ordered pairs sum to 12; fair 12/6 = 2 -> 4/3 - 1 = 1/3
    assert crps_ensemble(2.0, [0.0, 1.0, 3.0]) == pytest.approx(1 / 3)
    assert crps_ensemble(2.0, [0.0, 1.0, 3.0], estimator="nrg") == pytest.approx(4 / 3 - 12 / 18)
    assert isinstance(crps_ensemble(2.0, [0.0, 1.0, 3.0]), float)


@given(
    st.floats(-10, 10),
    st.lists(st.floats(-10, 10), min_size=2, max_size=12),
)
def test_crps_matches_the_pairwise_formula(y, members):
    members = np.array(members)
    assert crps_ensemble(y, members) == pytest.approx(formula_crps(y, members, fair=True), abs=1e-9)
    assert crps_ensemble(y, members, estimator="nrg") == pytest.approx(formula_crps(y, members, fair=False), abs=1e-9)


def test_the_fair_estimator_is_unbiased_where_the_empirical_one_is_not():
    """Two-member ensembles from N(0, 1) scored at y = 0: the true CRPS is 2 phi(0) - 1/sqrt(pi);
    the empirical estimator adds E|X - X'| / (2M) = (2/sqrt(pi)) / 4 on average. The fair one is
    the default so runs of different sizes compare alike."""
    rng = np.random.default_rng(1)
    members = rng.normal(size=(40_000, 2))
    obs = np.zeros(40_000)
    truth = 2 / math.sqrt(2 * math.pi) - 1 / math.sqrt(math.pi)
    fair = crps_ensemble(obs, members)
    assert fair.shape == (40_000,)
    assert fair.mean() == pytest.approx(truth, abs=0.01)
    empirical = crps_ensemble(obs, members, estimator="nrg")
    assert empirical.mean() == pytest.approx(truth + 0.5 / math.sqrt(math.pi), abs=0.01)


def test_a_sharp_correct_ensemble_beats_a_wide_one_and_a_sharp_wrong_one():
    rng = np.random.default_rng(2)
    noise = rng.normal(size=200)
    sharp, wide, wrong = 1.0 + 0.05 * noise, 1.0 + 1.0 * noise, 2.0 + 0.05 * noise
    assert crps_ensemble(1.0, sharp) < crps_ensemble(1.0, wide)
    assert crps_ensemble(1.0, sharp) < crps_ensemble(1.0, wrong)


# Brier and skill


def test_brier_scores():
    assert brier(1.0, 1) == 0.0 and brier(0.0, 0) == 0.0
    np.testing.assert_array_equal(brier([1.0, 0.0, 1.0], [True, False, True]), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(brier(np.full(4, 0.5), [0, 1, 1, 0]), 0.25)
    assert brier(0.2, 1) == pytest.approx(0.64)
    assert brier(0.2, 0) == pytest.approx(0.04)


def test_skill():
    assert skill(0.3, 0.3) == 0.0
    assert skill(0.1, 0.4) == pytest.approx(0.75)
    assert skill(0.0, 0.4) == 1.0
    assert skill(0.8, 0.4) == pytest.approx(-1.0)
    assert math.isnan(skill(0.1, 0.0))  # a perfect reference: undefined, not -inf
    assert math.isnan(skill(0.0, 0.0))


# Tables


def test_crps_table_means_and_skills():
    observed = {"a": 1.0, "b": -2.0}
    forecasts = {
        "posterior": {"a": [0.8, 1.3, 1.1], "b": [-2.4, -2.1]},
        "prior predictive": {"a": [-1.0, 3.0, 1.0, 0.0], "b": [-5.0, 1.0]},
        "persistence": {"a": 0.0, "b": 0.0},
        "trend": {"a": np.array([2.0]), "b": -1.0},
    }
    table = crps_table(observed, forecasts, references=["prior predictive", "persistence", "trend"])
    assert table.targets == ("a", "b") and table.forecasters == tuple(forecasts)
    assert table.mean("persistence") == pytest.approx(1.5)  # |0 - 1| and |0 + 2|
    assert table.mean("trend") == pytest.approx(1.0)
    expected = np.mean(
        [formula_crps(1.0, np.array([0.8, 1.3, 1.1]), True), formula_crps(-2.0, np.array([-2.4, -2.1]), True)]
    )
    assert table.mean("posterior") == pytest.approx(expected)
    assert table.skill("posterior", "persistence") == pytest.approx(1 - expected / 1.5)
    for name in forecasts:
        assert table.skill(name, name) == 0.0
    assert table.skill("posterior", "prior predictive") > 0
    assert table.skill("persistence", "trend") < 0
    assert table.skills.shape == (4, 3)
    assert table.skills[table.forecasters.index("trend"), table.references.index("trend")] == 0.0
    rows = table.rows()
    assert rows[0]["forecaster"] == "posterior" and set(rows[0]) == {
        "forecaster",
        "mean CRPS",
        "skill vs prior predictive",
        "skill vs persistence",
        "skill vs trend",
    }


def test_crps_table_references_default_to_every_forecaster():
    table = crps_table({"a": 0.0}, {"x": {"a": 1.0}, "y": {"a": 2.0}})
    assert table.references == ("x", "y")
    assert table.skill("x", "y") == pytest.approx(0.5)


def test_brier_table_adds_the_base_rate():
    observed = {"coup": 1, "treaty": 0, "exit": 1, "visit": 0}
    perfect = {"coup": 1.0, "treaty": 0.0, "exit": 1.0, "visit": 0.0}
    model = {"coup": 0.8, "treaty": 0.3, "exit": 0.6, "visit": 0.1}
    table = brier_table(observed, {"perfect": perfect, "model": model}, references=["model"])
    assert table.forecasters == ("perfect", "model", BASE_RATE)
    assert table.references == ("model", BASE_RATE)
    assert table.mean(BASE_RATE) == pytest.approx(0.25)  # in-sample frequency 0.5
    assert table.mean("perfect") == 0.0
    assert table.skill("perfect", BASE_RATE) == 1.0
    assert table.skill("model", BASE_RATE) > 0
    assert table.skill("model", "model") == 0.0
    assert math.isnan(table.skill("model", "perfect"))

    fixed = brier_table(observed, {"model": model}, base_rate=0.2)
    assert fixed.mean(BASE_RATE) == pytest.approx((0.64 * 2 + 0.04 * 2) / 4)
    per_choice = brier_table(observed, {"model": model}, base_rate={"coup": 1, "treaty": 0, "exit": 1, "visit": 0})
    assert per_choice.mean(BASE_RATE) == 0.0


# Reliability


def test_reliability_table_counts_and_empty_bins():
    p = np.array([0.0, 0.05, 0.1, 0.5, 0.55, 1.0])
    o = np.array([0, 0, 1, 1, 0, 1])
    rows = reliability_table(p, o, bins=5)
    assert len(rows) == 5 and all(isinstance(r, ReliabilityBin) for r in rows)
    assert sum(r.n for r in rows) == p.size
    assert (rows[0].low, rows[0].high) == (0.0, 0.2) and rows[-1].high == 1.0
    assert [r.n for r in rows] == [3, 0, 2, 0, 1]  # 1.0 lands in the last bin
    assert rows[0].mean_forecast == pytest.approx(0.05) and rows[0].observed_frequency == pytest.approx(1 / 3)
    assert math.isnan(rows[1].mean_forecast) and math.isnan(rows[1].observed_frequency)
    low, high, n, mean_forecast, frequency = rows[2]  # a row is also a plain tuple
    assert (low, high, n, mean_forecast, frequency) == (0.4, pytest.approx(0.6), 2, pytest.approx(0.525), 0.5)
    edged = reliability_table(p, o, bins=[0.0, 0.5, 1.0])
    assert [r.n for r in edged] == [3, 3]


def test_calibrated_forecasts_are_reliable():
    rng = np.random.default_rng(3)
    p = rng.random(100_000)
    outcomes = rng.random(100_000) < p
    rows = reliability_table(p, outcomes, bins=10)
    assert sum(r.n for r in rows) == 100_000
    for row in rows:
        assert row.n > 5_000
        assert row.observed_frequency == pytest.approx(row.mean_forecast, abs=0.02)
    # an overconfident forecaster is not
    pushed = np.clip(0.5 + 1.8 * (p - 0.5), 0.0, 1.0)
    assert reliability_table(pushed, outcomes, bins=10)[-1].observed_frequency < 0.9


# Bad inputs


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: crps_ensemble(math.nan, [0.0, 1.0]), "observation must be finite, got nan"),
        (lambda: crps_ensemble(np.array([0.0, np.inf]), np.zeros((2, 3))), r"got inf at index 1"),
        (lambda: crps_ensemble(0.0, [0.0, math.nan]), r"ensemble must be finite, got nan at index 1"),
        (lambda: crps_ensemble(np.zeros(3), np.zeros(4)), r"shape \(4,\) fits neither"),
        (lambda: crps_ensemble(np.zeros(3), np.zeros((4, 2))), r"shape \(4, 2\) fits neither"),
        (lambda: crps_ensemble(0.0, []), "no members"),
        (lambda: crps_ensemble("high", [0.0]), "must be numbers"),
        (lambda: brier(1.5, 1), r"probability must be in \[0, 1\], got 1.5"),
        (lambda: brier([0.2, -0.1], [0, 1]), r"got -0.1 at index 1"),
        (lambda: brier(0.5, 2), "outcome must be 0 or 1.*got 2.0"),
        (lambda: brier(0.5, math.nan), "outcome must be finite, got nan"),
        (lambda: brier([0.1, 0.2, 0.3], [0, 1]), "probability has 3 values but outcome has 2"),
        (lambda: skill(math.nan, 0.2), "score must be finite"),
        (lambda: skill(0.1, -0.2), "reference score must be finite and >= 0, got -0.2"),
        (lambda: reliability_table([0.1, 0.2, 0.3], [0, 1, 1, 0]), "3 values but outcomes has 4"),
        (lambda: reliability_table([0.1, 1.2], [0, 1]), r"must be in \[0, 1\], got 1.2 at index 1"),
        (lambda: reliability_table([0.1], [0], bins=0), "bins must be >= 1"),
        (lambda: reliability_table([0.1], [0], bins=[0.0, 0.6, 0.5, 1.0]), "must increase from 0 to 1"),
        (lambda: crps_table({"a": math.nan}, {"x": {"a": 1.0}}), "observed value of 'a' must be finite, got nan"),
        (lambda: crps_table({"a": 0.0, "b": 1.0}, {"x": {"a": 1.0}}), "'x' has no forecast for target 'b'"),
        (lambda: crps_table({"a": 0.0}, {"x": {"a": 1.0, "c": 2.0}}), "'x' forecasts unknown target 'c'"),
        (lambda: crps_table({"a": 0.0}, {"x": {"a": [1.0, math.nan]}}), "'x' for 'a'.*got nan at index 1"),
        (lambda: crps_table({"a": 0.0}, {"x": {"a": 1.0}}, references=["climatology"]), "'climatology' is not"),
        (lambda: crps_table({}, {"x": {}}), "no targets"),
        (lambda: brier_table({"a": 1}, {"x": {"a": 1.3}}), r"'x' for 'a' must be in \[0, 1\], got 1.3"),
        (lambda: brier_table({"a": 0.5}, {"x": {"a": 0.3}}), "outcome of 'a' must be 0 or 1"),
        (lambda: brier_table({"a": 1}, {BASE_RATE: {"a": 0.3}}), "reserved"),
        (lambda: brier_table({"a": 1}, {"x": {"a": 0.3}}, base_rate=1.5), r"base rate must be in \[0, 1\]"),
        (lambda: brier_table({"a": 1, "b": 0}, {"x": {"a": 0.3, "b": 0.1}}, base_rate={"a": 0.2}), "no rate for"),
    ],
)
def test_bad_inputs_raise_value_error_naming_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_importing_the_module_does_not_import_scoringrules():
    """scoringrules compiles numba kernels at import (seconds); only scoring itself should pay."""
    code = "import sys, sim.analysis.scoring; assert 'scoringrules' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
