"""A component for Mesa's own visualisation (``mesa.visualization.SolaraViz``): fan charts of
named series over the replicates the model has run so far (extra ``[viz]``).

Mesa's plot components draw the DataCollector's ensemble means; a modeller of this model wants
the spread across replicates too, which only the model's own record holds::

    from mesa.visualization import SolaraViz, Slider
    from sim.dashboard.mesa_components import make_fan_chart_component

    page = SolaraViz(InfluenceModel("baseline", n_replicates=50),
                     components=[make_fan_chart_component("influence.russia.mali", "influence.algeria.mali")],
                     model_params={"n_replicates": Slider("replicates", 50, 1, 500)})
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from sim.analysis.question import series_key
from sim.errors import InputError, Problem
from sim.scenario.loader import question_problems

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel

BAND = (0.05, 0.95)


def fan_chart_figure(model: InfluenceModel, series: tuple[str, ...]) -> Figure:
    """Median and 5-95% band of each series over the model's replicates, month by month so far."""
    record = model.trajectories()
    figure = Figure(figsize=(7, 3.2), layout="constrained")
    axes = figure.subplots()
    months = np.arange(len(record.dates))
    for name in series:
        values = record.get(*series_key(name))
        low, median, high = np.quantile(values, [BAND[0], 0.5, BAND[1]], axis=0)
        line, = axes.plot(months, median, label=name)
        axes.fill_between(months, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ticks = months[:: max(1, len(months) // 6)]
    axes.set_xticks(ticks, [record.dates[t] for t in ticks])
    axes.set_title(f"{model.spec.name}: median and 5-95% of {len(model.replicate_ids)} replicates", fontsize=9)
    axes.legend(fontsize=8)
    return figure


def make_fan_chart_component(*series: str, page: int = 0):
    """A ``(component, page)`` pair for ``SolaraViz(components=[...])`` drawing ``series`` as fan charts.

    Raises:
        InputError: a series name the model does not know, with the ``--outcome`` wording.
    """
    wanted = tuple(series)
    _, problems = question_problems({"outcomes": list(wanted)}, None, None)
    if problems or not wanted:
        raise InputError([Problem.about("make_fan_chart_component", message)
                          for _, message in problems or [((), "name at least one series")]])

    @solara.component
    def FanChart(model):
        update_counter.get()  # Mesa bumps it after each step: redraw
        solara.FigureMatplotlib(fan_chart_figure(model, wanted), format="png")

    return FanChart, page
