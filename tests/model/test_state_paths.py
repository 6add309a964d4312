"""One table of state paths (sim/model/state_paths.py, sim/scenario/paths.py): every writable path
reads back what was written, every write is clipped to the range the checker and the summaries use."""

import numpy as np
import pytest

from sim.engine.summary import series_bounds
from sim.scenario.catalogue import load_catalogue
from sim.scenario.format import change_range, writable_paths
from sim.scenario.paths import metric_range, parse_path, value_range
from tests.conftest import SCENARIOS

CATALOGUE = load_catalogue()


@pytest.fixture
def model():
    from sim.model.model import InfluenceModel
    from sim.scenario.loader import load_scenario

    return InfluenceModel(load_scenario(SCENARIOS / "baseline.yaml"), n_replicates=3, seed=1)


def test_every_writable_path_reads_back_what_was_set_and_is_clipped_to_its_range(model):
    for path in writable_paths(CATALOGUE):
        parsed = parse_path(path)
        low, high = value_range(parsed, CATALOGUE.parameters)
        inside = low + 0.25 * (high - low) if parsed.root != "institution" else 1.0
        model.apply_changes({path: inside}, additive=False)
        read = _read_back(model, path)
        assert np.allclose(read, inside), (path, read, inside)
        model.apply_changes({path: high + 5.0}, additive=False)  # beyond the range: clipped, not stored
        assert np.allclose(_read_back(model, path), high), path
        model.apply_changes({path: -(high - low) - 5.0}, additive=True)
        assert np.allclose(_read_back(model, path), low), path


def _read_back(model, path):
    """A lever's setting (a write changes the scenario's fixed value; the effort in force follows it
    next month); every other path through the table's getter (actors.* are not readable in conditions)."""
    parsed = parse_path(path)
    if parsed.root == "levers":
        return model.fixed_effort[:, model.lever_index[parsed.key]]
    return model.state_paths.access(parsed).get(parsed)


def test_a_write_only_reaches_the_masked_replicates(model):
    before = model.read_state("relation.mali.morocco").copy()
    model.apply_changes({"relation.mali.morocco": 0.1}, additive=True, where=np.array([True, False, True]))
    after = model.read_state("relation.mali.morocco")
    assert np.allclose(after - before, [0.1, 0.0, 0.1])


def test_the_checker_and_the_summaries_use_the_same_ranges():
    for path in writable_paths(CATALOGUE):
        parsed = parse_path(path)
        low, high = value_range(parsed, CATALOGUE.parameters)
        assert change_range(parsed, False, CATALOGUE) == (low, high)
        assert change_range(parsed, True, CATALOGUE) == (low - high, high - low)
    from sim.model.trajectories import series_layout

    layout = series_layout(tuple(lv.key for lv in CATALOGUE.levers))
    bounds = series_bounds(layout)
    for (metric, _, _), (low, high) in zip(layout.series, bounds, strict=True):
        assert (low, high) == metric_range(metric)
    assert metric_range("relation") == (-1.0, 1.0) and metric_range("sanctions_endured") == (0.0, 1.0)
