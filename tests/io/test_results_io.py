import csv
import json
import re

import numpy as np
import pytest

from sim.cli.commands.run import execute_run
from sim.errors import InputError
from sim.io.readers import read_trajectories
from sim.io.run_folders import SUMMARY_COLUMNS, TRAJECTORY_COLUMNS, atomic_folder, float_text
from sim.scenario.loader import load_scenario, with_settings
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=12"])
    out = tmp_path_factory.mktemp("runs") / "run"
    return execute_run(scenario, replicates=20, seed=4, out=out, trajectory_cap=None), scenario


def test_run_folder_has_every_file(short_run):
    outcome, scenario = short_run
    folder = outcome.folder
    assert (folder / "trajectories.csv").exists() and (folder / "summary.csv").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in ("scenario", "scenario_sha256", "seed", "replicates", "package_version", "python",
                "numpy", "mesa", "started_utc", "finished_utc", "command", "parameters"):
        assert key in manifest, key
    assert manifest["scenario_sha256"] == scenario.content_hash
    assert manifest["replicates"] == 20 and manifest["seed"] == 4
    pngs = sorted(p.name for p in (folder / "plots").glob("*.png"))
    assert "influence_on_mali.png" in pngs and "influence_on_mauritania.png" in pngs
    assert "decisions.png" in pngs  # institutions in force and decisions taken, by month
    with open(folder / "summary.csv") as handle:
        rows = [row for row in csv.DictReader(handle) if row["metric"] == "decision"]
    assert rows and all(0.0 <= float(row["mean"]) <= 1.0 for row in rows)  # the probability of each, by date
    assert all((folder / p).stat().st_size > 10_000 for p in manifest["plots"])
    assert len(outcome.headline) == 4  # Mali, Mali's attitudes, Mauritania, and the decisions taken
    decisions = outcome.headline[-1]
    prefix = ("Decisions taken by 2023-01 (probability = share of replicates; median month among the replicates "
              "that took it): ")
    assert decisions.startswith(prefix)
    for part in decisions.removeprefix(prefix).split("; "):  # each with its probability and median month
        _, _, rest = part.partition(": probability ")
        share, _, month = rest.partition("%, median month ")
        assert 0 < float(share.lstrip("<>")) / 100 <= 1 and re.fullmatch(r"20\d\d-\d\d", month)


def test_columns_exact_and_quantiles_agree_with_numpy(short_run):
    outcome, _ = short_run
    with open(outcome.folder / "trajectories.csv") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == TRAJECTORY_COLUMNS
        rows = list(reader)
    assert rows[0][3] == "2022-01"
    series = {}
    for _scenario, replicate, step, _date, metric, source, target, value in rows:
        series.setdefault((int(step), metric, source, target), {})[int(replicate)] = float(value)
    with open(outcome.folder / "summary.csv") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == SUMMARY_COLUMNS
        summary = list(reader)
    assert len(summary) == len(series)
    for _scenario, step, _date, metric, source, target, mean, p05, p50, p95 in summary[::37]:
        values = np.array(list(series[(int(step), metric, source, target)].values()))
        assert len(values) == 20
        # both files carry 10 significant digits, so they agree to about 1e-9 relative
        np.testing.assert_allclose(float(mean), values.mean(), rtol=2e-9, atol=1e-15)
        np.testing.assert_allclose([float(p05), float(p50), float(p95)],
                                   np.quantile(values, [0.05, 0.5, 0.95]), rtol=2e-9, atol=1e-15)


def test_same_seed_byte_identical_trajectories(tmp_path):
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=6"])
    a = execute_run(scenario, replicates=5, seed=8, out=tmp_path / "a", trajectory_cap=None)
    b = execute_run(scenario, replicates=5, seed=8, out=tmp_path / "b", trajectory_cap=None)
    c = execute_run(scenario, replicates=5, seed=9, out=tmp_path / "c", trajectory_cap=None)
    text = (a.folder / "trajectories.csv").read_bytes()
    assert text == (b.folder / "trajectories.csv").read_bytes()
    assert text != (c.folder / "trajectories.csv").read_bytes()


def test_trajectory_cap_is_reported(tmp_path):
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=3"])
    outcome = execute_run(scenario, replicates=6, seed=1, out=tmp_path / "r", trajectory_cap=2)
    assert outcome.manifest["trajectories_replicates_written"] == 2
    assert "replicates 0-1 of 6" in outcome.trajectories_note


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(RuntimeError), atomic_folder(target) as staging:
        (staging / "half.csv").write_text("partial")
        raise RuntimeError("disk full")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_parquet_and_exact_csv_hold_the_same_numbers_and_compare_reads_both(tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    from sim.cli.dispatch import main

    base = ["run", str(SCENARIOS / "baseline.yaml"), "--replicates", "3", "--set", "horizon=4"]
    assert main([*base, "--out", str(tmp_path / "p"), "--format", "parquet"]) == 0
    assert main([*base, "--out", str(tmp_path / "e"), "--exact"]) == 0
    assert main([*base, "--out", str(tmp_path / "r")]) == 0
    parquet = read_trajectories(tmp_path / "p" / "trajectories.parquet")
    exact = read_trajectories(tmp_path / "e" / "trajectories.csv")
    rounded = read_trajectories(tmp_path / "r" / "trajectories.csv")
    assert parquet.series == exact.series and np.array_equal(parquet.values, exact.values)
    assert np.allclose(rounded.values, exact.values, rtol=1e-9, atol=0) and ("threat", "mali", "") in exact.series
    frame = pd.read_csv(tmp_path / "r" / "trajectories.csv")  # pandas' defaults: an empty cell would be NaN
    assert not frame["target"].isna().any() and (frame[frame.metric == "threat"]["target"] == "-").all()
    summary = pd.read_parquet(tmp_path / "p" / "summary.parquet")
    assert list(summary.columns) == list(SUMMARY_COLUMNS) and len(summary) == 5 * len(exact.series)
    assert main(["compare", str(tmp_path / "p"), str(tmp_path / "e"), "--out", str(tmp_path / "c")]) == 0


def test_a_parquet_file_missing_a_column_is_refused_not_a_traceback(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    from sim.cli import main

    assert main(["run", str(SCENARIOS / "baseline.yaml"), "--replicates", "2", "--set", "horizon=2",
                 "--out", str(tmp_path / "p"), "--format", "parquet"]) == 0
    path = tmp_path / "p" / "trajectories.parquet"
    pq.write_table(pq.read_table(path).drop(["target"]), path)
    with pytest.raises(InputError, match="unreadable Parquet trajectories"):
        read_trajectories(path)


def test_csv_numbers_are_numpys_texts_for_every_kind_of_float():
    """float_text formats with Python; the text must be what np.char.mod / astype(str) wrote before."""
    rng = np.random.default_rng(0)
    values = rng.random(3000) * 10.0 ** rng.integers(-30, 30, 3000)
    specials = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e16, 1e15, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3, -2.5]
    grid = np.concatenate([values, specials, np.zeros(3)]).reshape(-1, 5)
    assert float_text(grid) == np.char.mod("%.10g", grid).tolist()
    assert float_text(grid, exact=True) == grid.astype(str).tolist()
    assert [float(t) for t in float_text(grid, exact=True)[7]] == grid[7].tolist()


def test_outputs_that_select_no_series_give_header_only_tables(tmp_path):
    """Algeria holds no institution, so this selection is empty: the run still writes its folder."""
    scenario = with_settings(load_scenario(SCENARIOS / "baseline.yaml", ["horizon=3"]),
                             {"outputs.metrics": ["institution"], "outputs.actors": ["algeria"]})
    outcome = execute_run(scenario, replicates=4, seed=1, out=tmp_path / "run", trajectory_cap=None)
    assert (outcome.folder / "trajectories.csv").read_text() == ",".join(TRAJECTORY_COLUMNS) + "\n"
    assert (outcome.folder / "summary.csv").read_text() == ",".join(SUMMARY_COLUMNS) + "\n"
