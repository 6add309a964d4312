"""A result and a run folder in the data tools modellers use (issue #30 item 6): pandas, polars,
xarray, Parquet read by DuckDB, and ``sim.read_run``; a scenario column everywhere, typed dates."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim
from sim.cli import main


@pytest.fixture(scope="module")
def result():
    return sim.simulate("baseline", n_replicates=3, seed=5)


def test_pandas_frames_of_two_scenarios_can_be_told_apart_and_have_real_dates(result):
    import pandas as pd

    other = sim.simulate("security_pact", n_replicates=3, seed=5)
    both = pd.concat([result.to_pandas(), other.to_pandas()])
    assert set(both["scenario"].astype(str)) == {"baseline", "security_pact"}
    frame = result.to_pandas()
    assert str(frame["date"].dtype).startswith("datetime64")
    assert frame["date"].iloc[-1] == pd.Timestamp("2027-01-01")
    russia = frame[(frame.metric == "influence") & (frame.source == "russia") & (frame.target == "mali")]
    assert np.allclose(russia.pivot(index="replicate", columns="date", values="value").to_numpy(),
                       result.influence("russia", "mali"))


def test_polars_has_a_date_column_and_the_scenario(result):
    pl = pytest.importorskip("polars")
    frame = result.to_polars()
    assert frame.schema["date"] == pl.Date and frame["scenario"].cast(pl.String).unique().to_list() == ["baseline"]


def test_xarray_has_replicate_date_and_series_dims(result):
    pytest.importorskip("xarray")
    array = result.to_xarray()
    assert array.dims == ("replicate", "date", "series") and array.attrs["scenario"] == "baseline"
    assert np.array_equal(array.sel(series="influence.russia.mali").values, result.influence("russia", "mali"))
    assert set(array.coords["metric"].values) >= {"influence", "relation", "threat"}


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_a_run_folder_reads_back_as_a_result(tmp_path, file_format):
    if file_format == "parquet":
        pytest.importorskip("pyarrow")
    folder = tmp_path / "run"
    assert main(["run", "baseline", "--replicates", "4", "--seed", "5", "--set", "horizon=12", "--out", str(folder),
                 "--format", file_format, "--exact", "-q"]) == 0
    back = sim.read_run(folder)
    direct = sim.simulate(sim.load_scenario("baseline", ["horizon=12"]), n_replicates=4, seed=5)
    assert np.array_equal(back.influence("russia", "mali"), direct.influence("russia", "mali"))
    assert back.seed == 5 and back.manifest["replicates"] == 4 and back.scenario is not None
    assert back.outcome("mean(influence.russia.mali)").shape == (4,)
    summary = (folder / f"summary.{file_format}")
    if file_format == "csv":
        assert summary.read_text().splitlines()[1].startswith("baseline,0,2022-01,")


def test_duckdb_reads_the_parquet_files_with_their_manifest(tmp_path):
    pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    import pyarrow.parquet as pq

    folder = tmp_path / "run"
    assert main(["run", "baseline", "--replicates", "4", "--seed", "5", "--set", "horizon=12", "--out", str(folder),
                 "--format", "parquet", "-q"]) == 0
    rows = duckdb.sql(f"select date, avg(value) from '{folder}/trajectories.parquet' where metric = 'influence' "
                      "and source = 'russia' and target = 'mali' group by date order by date").fetchall()
    direct = sim.read_run(folder).influence("russia", "mali").mean(axis=0)
    assert [str(d) for d, _ in rows][:2] == ["2022-01-01", "2022-02-01"]
    assert np.allclose([v for _, v in rows], direct)
    for name in ("trajectories.parquet", "summary.parquet"):
        manifest = json.loads(pq.read_schema(folder / name).metadata[b"sim.manifest"])
        assert manifest["scenario"] == "baseline" and manifest["seed"] == 5
    scenarios = duckdb.sql(f"select distinct scenario from '{folder}/summary.parquet'").fetchall()
    assert scenarios == [("baseline",)]


def test_read_run_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(sim.InputError, match="not a run folder"):
        sim.read_run(tmp_path)
