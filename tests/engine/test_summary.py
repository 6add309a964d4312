import numpy as np
import pytest

from sim.engine.runner import run, run_ensemble
from sim.engine.summary import BINS, SummaryReducer, series_bounds, summarise
from sim.scenario.loader import load_scenario
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def short():
    return load_scenario(SCENARIOS / "baseline.yaml", ["horizon=12"])


@pytest.fixture(scope="module")
def trajectories(short):
    return run(short, n_replicates=600, seed=3)


def test_histogram_quantiles_within_one_bin_of_exact(trajectories):
    exact = summarise(trajectories)
    streamed = summarise(trajectories, exact_limit=10)
    assert exact.exact and not streamed.exact
    width = (series_bounds(trajectories.series)[:, 1] - series_bounds(trajectories.series)[:, 0]) / BINS
    np.testing.assert_allclose(streamed.stats[..., 0], exact.stats[..., 0], atol=1e-11)
    error = np.abs(streamed.stats[..., 1:] - exact.stats[..., 1:])
    assert (error <= width[None, :, None] + 1e-12).all(), error.max()
    np.testing.assert_array_equal(streamed.positive, exact.positive)


@pytest.mark.parametrize("exact_limit", [10_000, 10])
def test_summary_independent_of_chunking_and_order(trajectories, exact_limit):
    whole = summarise(trajectories, exact_limit=exact_limit)
    reducer = SummaryReducer(trajectories.scenario, trajectories.dates, trajectories.series, 600,
                             exact_limit=exact_limit)
    for lo in (400, 0, 170, 250):  # out of order, uneven
        hi = {400: 600, 0: 170, 170: 250, 250: 400}[lo]
        reducer.add(lo, trajectories.values[lo:hi])
    np.testing.assert_array_equal(reducer.result().stats, whole.stats)


def test_run_ensemble_chunk_size_invariance_and_kept_replicates(short, trajectories):
    a = run_ensemble(short, 600, 3, chunk_size=600, keep=5)
    b = run_ensemble(short, 600, 3, chunk_size=97, keep=5)
    np.testing.assert_array_equal(a.summary.stats, b.summary.stats)
    np.testing.assert_array_equal(a.kept.values, trajectories.values[:5])
    np.testing.assert_array_equal(b.kept.values, trajectories.values[:5])
    assert run_ensemble(short, 10, 3, keep=0).kept is None


def test_streamed_mean_stays_exact_past_the_int64_range():
    """10 million replicates at 1.0: an int64 fixed-point total would overflow (it gave -0.678)."""
    from sim.model.trajectories import SeriesLayout

    layout = SeriesLayout((("threat", "mali", ""),))
    reducer = SummaryReducer("big", ("2022-01",), layout, 10_000_000)
    for first in range(0, 10_000_000, 1_000_000):
        reducer.add(first, np.ones((1_000_000, 1, 1)))
    assert reducer.result().stats[0, 0, 0] == pytest.approx(1.0, abs=1e-12)


def test_a_nan_in_a_binned_chunk_is_refused_with_its_step():
    from sim.model.trajectories import SeriesLayout

    reducer = SummaryReducer("x", ("2022-01", "2022-02"), SeriesLayout((("threat", "mali", ""),)), 5_000)
    values = np.zeros((3, 2, 1))
    values[1, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN in step 1"):
        reducer.partial(0, values)
