"""What ``sim.simulate`` returns: an ensemble's trajectories with access by name.

Modellers ask for ``result.influence("russia", "mali")``, not ``values[:, :, 5]``; tables come
out tidy (one row per replicate, month and series) for pandas or polars, with no missing keys:
per-state series such as ``threat.mali`` carry the documented target ``STATE_TARGET`` ("-").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.analysis.question import series_key
from sim.engine.summary import Summary, summarise
from sim.errors import InputError, Problem, did_you_mean
from sim.io.tidy import key_columns, key_target, month_values, tidy_columns
from sim.model.trajectories import Trajectories
from sim.report.prose import describe
from sim.scenario.catalogue import ACTORS
from sim.scenario.loader import Scenario, question_problems
from sim.scenario.outcomes import Outcome, parse_outcomes


@dataclass(frozen=True, repr=False)
class SimulationResult:
    """An ensemble run: ``trajectories.values[r, t, s]`` plus the scenario and seed behind it
    (``scenario`` is None for a run folder read back whose scenario file is gone or was edited)."""

    scenario: Scenario | None
    seed: int
    trajectories: Trajectories
    requested: tuple[Outcome, ...] = ()  # outcomes asked of simulate(), evaluated on demand
    manifest: dict | None = None  # a run folder's manifest.json, for a result read back with read_run

    @property
    def outcomes(self) -> dict[str, np.ndarray]:
        """``{expression: one value per replicate}`` for the outcomes given to ``simulate``."""
        return {o.text: o.evaluate(self.trajectories) for o in self.requested}

    @property
    def dates(self) -> tuple[str, ...]:
        return self.trajectories.dates

    @property
    def n_replicates(self) -> int:
        return self.trajectories.values.shape[0]

    def series(self, metric: str, source: str, target: str = "") -> np.ndarray:
        """One series for every replicate and month, shape (replicates, months + 1)."""
        key = (metric, source, key_target(target))
        if key not in self.trajectories.series.series:
            names = [".".join(k for k in s if k) for s in self.trajectories.series]
            wanted = ".".join(k for k in key if k)
            raise KeyError(f"no series {wanted!r} in this run{did_you_mean(wanted, names)}")
        return self.trajectories.get(*key)

    def influence(self, source: str, target: str) -> np.ndarray:
        """Influence of ``source`` on ``target``: (replicates, months + 1)."""
        return self.series("influence", source, target)

    def relation(self, source: str, target: str) -> np.ndarray:
        """Attitude of ``source`` towards ``target``, in [-1, 1]: (replicates, months + 1)."""
        return self.series("relation", source, target)

    def context(self, metric: str, state: str) -> np.ndarray:
        """A state's context variable (``threat``, ``stability``, ...): (replicates, months + 1)."""
        return self.series(metric, state)

    def outcome(self, expression: str | Outcome) -> np.ndarray:
        """An outcome expression (``"mean(influence.russia.mali)"``), one value per replicate."""
        parsed = expression if isinstance(expression, Outcome) else \
            parse_outcomes([expression], self.dates[0], self.dates[-1], "outcome:")[0]
        return parsed.evaluate(self.trajectories)

    def summary(self) -> Summary:
        """Mean and 5/50/95% quantiles per month and series (``summary.get("influence", "russia", "mali").p50``)."""
        return summarise(self.trajectories)

    def columns(self) -> dict[str, np.ndarray]:
        """The tidy table as NumPy columns (scenario, replicate, step, date, metric, source, target,
        value; ``date`` as ``YYYY-MM`` text)."""
        return tidy_columns(self.trajectories)

    def to_pandas(self) -> Any:
        """Tidy pandas DataFrame: one row per replicate, month and series; ``date`` is a datetime (the
        first of the month), the scenario and series keys are categoricals."""
        import pandas as pd

        columns = self.columns()
        columns["date"] = month_values(self.dates).astype("datetime64[ns]")[columns["step"]]
        frame = pd.DataFrame(columns)
        for name in ("scenario", "metric", "source", "target"):
            frame[name] = frame[name].astype("category")
        return frame

    def to_xarray(self) -> Any:
        """The values as an xarray DataArray with dims (replicate, date, series); each series also
        has ``metric``, ``source`` and ``target`` coordinates. Needs the ``xarray`` extra."""
        try:
            import xarray as xr
        except ImportError:
            raise ImportError("to_xarray needs xarray: pip install 'sahel-sim[xarray]'") from None
        t = self.trajectories
        metric, source, target = key_columns(t.series)
        names = [".".join(k for k in key if k) for key in t.series]
        months = month_values(t.dates).astype("datetime64[ns]")
        return xr.DataArray(t.values, dims=("replicate", "date", "series"), name="value",
                            coords={"replicate": t.replicate_ids, "date": months,
                                    "series": names, "metric": ("series", list(metric)),
                                    "source": ("series", list(source)), "target": ("series", list(target))},
                            attrs={"scenario": t.scenario, "seed": self.seed})

    def __repr__(self) -> str:
        """One line: what ran and what it holds (the arrays are a call away, not printed)."""
        asked = f", outcomes={[o.text for o in self.requested]}" if self.requested else ""
        return (f"SimulationResult(scenario={self.trajectories.scenario!r}, seed={self.seed}, "
                f"replicates={self.n_replicates}, months={len(self.dates)} ({self.dates[0]}..{self.dates[-1]}), "
                f"series={len(self.trajectories.series)}{asked})")

    def _repr_html_(self) -> str:
        """In a notebook: the run in one line and the headline numbers, influence on Mali and Mauritania
        at the start and the end (median and 5-95% of replicates)."""
        import html

        summary = self.summary()
        rows = []
        for target in ("mali", "mauritania"):
            for source in (a for a in ACTORS if a != target):
                stats = summary.get("influence", source, target) if summary.has("influence", source, target) else None
                if stats is not None and stats.p95.max() > 0:  # actors with no presence there are left out
                    rows.append(f"<tr><td>{html.escape(describe('influence', source, target))}</td>"
                                f"<td>{stats.p50[0]:.3f}</td><td>{stats.p50[-1]:.3f}</td>"
                                f"<td>{stats.p05[-1]:.3f} to {stats.p95[-1]:.3f}</td></tr>")
        name = html.escape(self.trajectories.scenario)
        return (f"<div><p><b>{name}</b>: {self.n_replicates} replicates, seed {self.seed}, "
                f"{self.dates[0]} to {self.dates[-1]}, {len(self.trajectories.series)} series "
                "(<code>result.plot(\"influence.russia.mali\")</code>, <code>result.to_pandas()</code>)</p>"
                f"<table><tr><th>series</th><th>median {self.dates[0]}</th><th>median {self.dates[-1]}</th>"
                f"<th>5-95% {self.dates[-1]}</th></tr>{''.join(rows)}</table></div>")

    def plot(self, *series: str) -> Any:
        """Fan charts (median and 5-95% band over replicates) of named series, one matplotlib Figure;
        ``result.plot("influence.russia.mali", "influence.algeria.mali")``. Default: influence on Mali."""
        from sim.report.plots import series_chart  # deferred: matplotlib, only for a chart

        wanted = list(series) or [f"influence.{a}.mali" for a in ACTORS if a != "mali"]
        _, problems = question_problems({"outcomes": wanted}, None, None)
        if problems:
            raise InputError([Problem.about("plot", message) for _, message in problems])
        return series_chart(self.summary(), [series_key(name) for name in wanted], self.seed)

    def to_polars(self) -> Any:
        """Tidy polars DataFrame, the same rows as ``to_pandas``."""
        try:
            import polars as pl
        except ImportError:
            raise ImportError("to_polars needs polars: pip install 'sahel-sim[polars]'") from None

        columns = self.columns()
        columns["date"] = month_values(self.dates).astype("datetime64[D]")[columns["step"]]
        return pl.DataFrame({name: (values.tolist() if values.dtype == object else values)
                             for name, values in columns.items()}).with_columns(
            pl.col("date").cast(pl.Date), pl.col("scenario", "metric", "source", "target").cast(pl.Categorical))


