"""The what-if page (Solara): pick a scenario, move levers, budgets and parameters, run, and read
the baseline and the what-if side by side with the question's answer and the attribution.

``sim dashboard`` serves it on 127.0.0.1. The work is done by sim/dashboard/session.py; this
module only lays it out. Every reactive value below is per browser session (Solara scopes them
to the visitor's kernel), so two people on one server do not move each other's sliders.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import solara
from solara.lab import task
from solara.lifecycle import kernel_closed_event

import sim.model.model  # noqa: F401  (Mesa and the engine load with the server, not on the first run)
from sim.dashboard import charts, session
from sim.errors import InputError
from sim.scenario.catalogue import ACTOR_LABELS
from sim.scenario.loader import load_scenario
from sim.scenario.months import format_month

FOLDER = Path(os.environ.get("SIM_DASHBOARD_FOLDER", "."))
START = os.environ.get("SIM_DASHBOARD_SCENARIO") or str(session.LIBRARY / "baseline.yaml")
PROGRESS_INTERVAL = 0.5  # seconds between progress bar updates


def _choices() -> dict[str, str]:
    """The library, the folder's files (read again after each save), and the starting file."""
    choices = session.scenario_choices(FOLDER if FOLDER.is_dir() else None)
    if START not in choices.values():
        choices = {f"file: {Path(START).name}": START, **choices}
    return choices


choices = solara.reactive(_choices())

scenario_path = solara.reactive(START)
moved = solara.reactive({})  # setting path -> value, only the sliders the user moved
outcomes = solara.reactive(list(session.DEFAULT_OUTCOMES))
threshold = solara.reactive("")
replicates = solara.reactive(session.DEFAULT_REPLICATES)
save_as = solara.reactive("")  # the what-if's name: the report's title and the saved file's name
question_text = solara.reactive("")  # the question in the user's words (empty: one is written from the settings)
levers_from = solara.reactive("")  # YYYY-MM from which moved levers take effect (empty: the start)
problem = solara.reactive("")  # why the last press of run did not start (the previous results stay)
strategy_actor = solara.reactive("morocco")
strategy_objective = solara.reactive("mean(influence.morocco.mali)")
strategy_progress = solara.reactive(0)
strategy_problem = solara.reactive("")
whatif_name = solara.reactive("")  # the name the what-if was saved under, used by later runs and reports
runs = solara.reactive(0)
resets = solara.reactive(0)  # bumping it remounts the sliders at the scenario's values
progress = solara.reactive(0)  # percent; not the task's own .progress, which would redraw the results too
notice = solara.reactive("")
stop = solara.reactive(False)  # set by the cancel button, read by the running run at its next month


class RunCancelled(Exception):
    """Raised inside a run when its user pressed cancel (nothing has been written by then)."""


@task
def whatif_task(number: int, path: str, settings: dict, wanted: list, test: str, n: int,
               name: str, month: int | None, asked: str) -> tuple[int, session.WhatIfRun, bytes]:
    """The run button's work, in a background task (``session.run_whatif`` is the run itself)."""
    base = load_scenario(path)
    last = [time.perf_counter()]
    closed = kernel_closed_event()  # set when the tab has been gone for a while (SOLARA_KERNEL_CULL_TIMEOUT)

    def report_progress(fraction: float) -> None:
        if stop.peek() or closed.is_set():
            raise RunCancelled("run cancelled")
        # each update is a redraw and a message to the browser (tens of ms): a few a second, not one a month
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_INTERVAL or fraction >= 1.0:  # and always the end, which hides the bar
            last[0] = now
            progress.set(int(100 * fraction))

    run = session.run_whatif(base, settings, wanted, threshold=test, replicates=n, name=name or None,
                             on_progress=report_progress, levers_month=month, question=asked)
    return number, run, charts.png(charts.fan_charts(run))  # drawn here, off the page's render path


@task
def find_strategy(path: str, actor: str, objective: str):
    def report_progress(fraction: float) -> None:
        strategy_progress.set(int(100 * fraction))

    return path, session.best_strategy(load_scenario(path), actor, objective, on_progress=report_progress)


@solara.component
def StrategyPanel(base):
    """Best strategy: ``sim optimize`` for the chosen actor and objective (a small search), the
    recommendation beside the references, and buttons that put it on the sliders or save it."""

    def pick_actor(actor: str) -> None:
        strategy_actor.set(actor)
        target = "mauritania" if actor == "mali" else "mali"
        strategy_objective.set(f"mean(influence.{actor}.{target})")

    def search() -> None:
        if find_strategy.pending:
            return
        try:  # a bad objective is refused here: no search starts, nothing is logged
            session.check_strategy(strategy_actor.value, strategy_objective.value)
        except InputError as error:
            strategy_problem.set(str(error))
            return
        strategy_problem.set("")
        strategy_progress.set(0)
        find_strategy(scenario_path.value, strategy_actor.value, strategy_objective.value)

    def use(result) -> None:
        settings = session.strategy_settings(result)
        moved.set({**moved.value, **settings})
        whatif_name.set("")
        resets.set(resets.value + 1)  # the sliders remount at the recommended values

    def save(result) -> None:
        name = save_as.value.strip() or f"{base.name}_{result.actor}_best"
        target = FOLDER / Path(name if name.lower().endswith((".yaml", ".yml")) else f"{name}.yaml").name
        try:
            saved = session.save_whatif(base, session.strategy_settings(result), target)
        except InputError as error:
            notice.set(str(error))
            return
        choices.set(_choices())
        notice.set(f"saved {target} (scenario '{saved.name}', the recommended mix from the start)")

    with solara.Details("Best strategy (sim optimize)", expand=False), solara.Column(classes=["sim-strategy"]):
        solara.Select("Actor", values=list(ACTOR_LABELS), value=strategy_actor.value, on_value=pick_actor)
        solara.InputText("Objective (outcome expression to maximise)", value=strategy_objective,
                         continuous_update=True, classes=["sim-strategy-objective"])
        solara.Button("Find the best mix", on_click=search, color="primary", outlined=True,
                      disabled=find_strategy.pending, classes=["sim-strategy-run"])
        if find_strategy.pending:
            solara.ProgressLinear(strategy_progress.value)
        if strategy_problem.value:
            solara.Error(strategy_problem.value, classes=["sim-strategy-problem"])
        elif find_strategy.error:
            solara.Error(str(find_strategy.exception), classes=["sim-strategy-problem"])
        found = find_strategy.value if find_strategy.finished else None
        # a result belongs to the scenario it was found for: never applied to another one
        result = found[1] if found is not None and found[0] == scenario_path.value else None
        if result is not None:
            solara.Markdown(f"**{ACTOR_LABELS[result.actor]}**, the same total effort "
                            f"({result.total:.2f}) split among its levers; {result.evaluated_points} mixes "
                            f"evaluated on common random numbers, checked on "
                            f"{len(result.strategies[0].values)} fresh replicates.")
            solara.HTML(tag="div", unsafe_innerHTML=session.strategy_html(result), classes=["sim-strategy-result"])
            with solara.Row():
                solara.Button("Put it on the sliders", on_click=lambda: use(result), text=True,
                              classes=["sim-strategy-use"])
                solara.Button("Save it as a scenario", on_click=lambda: save(result), text=True,
                              classes=["sim-strategy-save"])


def _label_of(path: str) -> str:
    return next((label for label, p in choices.value.items() if p == path), path)


@solara.component
def ControlSlider(control: session.Control):
    """One slider with its number beside its name. It keeps its own value and only writes
    ``moved``, so moving it redraws itself, not the sixty others (which would each re-read ``moved``)."""
    value = solara.use_reactive(moved.peek().get(control.path, control.value))
    changed = solara.use_reactive(control.path in moved.peek())

    def set_value(new: float) -> None:
        new = round(float(new), 6)
        if not changed.value and abs(new - control.value) <= control.step / 2 + 1e-9:
            return  # the slider snapping its start onto its step grid as it mounts: nobody moved it
        value.set(new)
        changed.set(True)
        moved.set({**moved.peek(), control.path: new})
        whatif_name.set("")  # a saved name belongs to the settings it was saved with

    css = f"sim-{control.path.replace('.', '-')}"  # a stable handle for tests and user stylesheets
    with solara.Tooltip(control.hint), solara.Column(gap="0px", classes=["sim-control", css]):
        with solara.Row(justify="space-between", gap="4px", classes=["sim-control-head"]):
            solara.Text(control.label, classes=["sim-label"])
            solara.Text(f"{value.value:.2f}", classes=["sim-value"],
                        style={"font-weight": "bold", "color": "#b00" if changed.value else "inherit"})
        solara.SliderFloat("", value=value.value, min=control.low, max=control.high, step=control.step,
                           on_value=set_value, thumb_label=True)
        solara.Text(f"{'moved from: ' if changed.value else ''}{control.now}", classes=["sim-now"],
                    style={"font-size": "0.75em", "color": "#b00" if changed.value else "#666"})


@solara.component
def Controls(base):
    groups: dict[str, list[session.Control]] = {}
    for control in session.controls(base):
        groups.setdefault(control.group, []).append(control)
    actors = [g for g in groups if not g.startswith("parameters")]
    with solara.ColumnsResponsive(default=12, medium=6, large=4):
        for actor in actors:
            with solara.Card(ACTOR_LABELS[actor], margin=1):
                for control in groups[actor]:
                    ControlSlider(control)
    with solara.Details("Model parameters", expand=False), solara.ColumnsResponsive(default=12, medium=6, large=4):
        for group in (g for g in groups if g.startswith("parameters")):
            with solara.Card(group.split(": ", 1)[1], margin=1):
                for control in groups[group]:
                    ControlSlider(control)


@solara.component
def Results(number: int, run: session.WhatIfRun, chart: bytes):
    answer = run.comparison.answer
    solara.Text(f"Run {number}: {run.whatif.name} against {run.baseline.name}, {run.replicates} paired replicates, "
                f"seed {run.seed}; answered in {run.seconds:.1f} s.", classes=["sim-summary"])
    if not run.settings:
        solara.Info("No slider moved: the what-if is the baseline, so every difference is zero.")
    for warning in run.comparison.warnings if run.settings else ():
        solara.Warning(warning)
    with solara.Div(classes=["sim-chart"]):
        solara.Image(chart, format="png")
    if answer:
        solara.HTML(tag="div", unsafe_innerHTML=charts.answer_html(answer), classes=["sim-answer"])
    if run.contributions:
        n = min(run.replicates, session.EXPLAIN_REPLICATES)
        solara.Markdown(f"**What moved the outcomes** (`sim explain` on the first {n} paired replicates, at the end "
                        "of the run):")
        solara.HTML(tag="div", unsafe_innerHTML=charts.contributions_html(run.contributions),
                    classes=["sim-explain"])


STYLE = ".sim-control .v-input__slot{margin:0} .sim-control .v-messages{display:none} .sim-answer li{margin:.4em 0} " \
        ".sim-label{font-size:.85em} .sim-now{overflow-wrap:anywhere} " \
        ".v-navigation-drawer .v-alert,.v-navigation-drawer .sim-description{overflow-wrap:anywhere} " \
        ".sim-contributions{border-collapse:collapse;font-size:.85em} .sim-contributions td,.sim-contributions th" \
        "{border:1px solid #ccc;padding:.2em .5em}"


@solara.component
def RunProgress():
    """Its own component, so that progress redraws the bar and not the page's sixty sliders."""
    solara.ProgressLinear(progress.value if progress.value < 100 else False)


@solara.component
def ResultsArea():
    if problem.value:  # the run did not start; the results below are the last run's
        solara.Error(problem.value, classes=["sim-problem"])
    if whatif_task.error and isinstance(whatif_task.exception, RunCancelled):
        solara.Info("Run cancelled; the results below (if any) are the previous run's.", classes=["sim-cancelled"])
    elif whatif_task.error:
        solara.Error(str(whatif_task.exception))
    latest = whatif_task.value if whatif_task.finished else whatif_task.latest
    if whatif_task.pending:
        solara.Info("running..." if latest is None else "running... (showing the previous run until this one ends)")
    if latest is not None:
        Results(*latest)
    elif not whatif_task.pending:
        solara.Info("Move levers below and press 'Run what-if'. Hover a lever for its evidence.")


def _load(path: str):
    try:
        return load_scenario(path), None
    except InputError as error:
        return None, str(error)


@solara.component
def Page():
    solara.Title("Sahel influence: what-if")
    solara.Style(STYLE)
    base, unreadable = solara.use_memo(lambda: _load(scenario_path.value), [scenario_path.value])
    series = solara.use_memo(lambda: session.outcome_choices(base) if base else [], [base])

    def pick(label: str) -> None:
        problem.set("")
        scenario_path.set(choices.value[label])
        moved.set({})
        whatif_name.set("")
        resets.set(resets.value + 1)

    with solara.Sidebar():
        solara.Select("Scenario", values=list(choices.value), value=_label_of(scenario_path.value), on_value=pick,
                      classes=["sim-select-scenario"])
        if unreadable:  # the picker stays, so another scenario can be chosen
            solara.Error(unreadable)
            return
        solara.Text(base.description or "(no description)", classes=["sim-description"],
                    style={"font-size": "0.85em", "color": "#444"})
        solara.InputInt("Replicates", value=replicates, continuous_update=True, classes=["sim-replicates"])
        solara.SelectMultiple("Outcomes", values=outcomes.value, all_values=series, on_value=outcomes.set)
        solara.InputText("Threshold (e.g. influence.russia.mali > 0.3)", value=threshold, continuous_update=True,
                         classes=["sim-threshold"])
        solara.InputText(f"Moved levers from (YYYY-MM; empty: {format_month(base.start)})", value=levers_from,
                         continuous_update=True, classes=["sim-from"])
        solara.InputText("Question in words (for the report; optional)", value=question_text,
                         continuous_update=True, classes=["sim-question"])
        RunPanel(base)
    with solara.Column():
        ResultsArea()
        StrategyPanel(base)
        Controls(base).key(f"controls-{scenario_path.value}-{resets.value}")


@solara.component
def RunPanel(base):
    """Run, reset, save and download: what changes while a run is pending, apart from the sliders."""

    def start_run() -> None:
        if whatif_task.pending:  # a second click while one runs (the button's disabled state is the browser's)
            return
        name = Path(save_as.value.strip()).stem or whatif_name.value
        try:  # bad input is refused here, so the last results stay on the page and no run starts
            month = session.levers_from(base, levers_from.value)
            session.check_run(base, list(outcomes.value), threshold.value, int(replicates.value), name)
        except InputError as error:
            problem.set(str(error))
            return
        problem.set("")
        notice.set("")
        progress.set(0)
        stop.set(False)
        runs.set(runs.value + 1)
        whatif_task(runs.value, scenario_path.value, dict(moved.value), list(outcomes.value), threshold.value,
                   int(replicates.value), name, month, question_text.value)

    def reset() -> None:
        moved.set({})
        whatif_name.set("")
        resets.set(resets.value + 1)

    def save() -> None:
        name = save_as.value.strip() or f"{base.name}_whatif"
        if not name.lower().endswith((".yaml", ".yml")):
            name += ".yaml"
        target = FOLDER / Path(name).name
        try:
            saved = session.save_whatif(base, moved.value, target, session.levers_from(base, levers_from.value))
        except InputError as error:
            notice.set(str(error))
            return
        whatif_name.set(saved.name)
        choices.set(_choices())
        notice.set(f"saved {target} (scenario '{saved.name}', checked by the loader)")

    def report() -> bytes:
        _, run, _ = whatif_task.value
        with tempfile.TemporaryDirectory(prefix="sim-dashboard-") as scratch:
            return session.report_html(run, Path(scratch))

    solara.Button("Run what-if", on_click=start_run, color="primary", disabled=whatif_task.pending,
                  classes=["sim-run"])
    RunProgress()
    if whatif_task.pending:
        solara.Button("Cancel run", on_click=lambda: stop.set(True), text=True, classes=["sim-cancel"])
    solara.Button("Reset sliders", on_click=reset, text=True)
    solara.Text(f"{len(moved.value)} setting(s) moved", classes=["sim-moved"])
    solara.InputText("Name (report title and file name)", value=save_as, continuous_update=True,
                     classes=["sim-save-name"])
    solara.Button("Save what-if as scenario", on_click=save, outlined=True, classes=["sim-save"])
    if whatif_task.finished and whatif_task.value is not None:
        solara.FileDownload(report, filename="report.html", label="Download report.html")
    if notice.value:
        solara.Info(notice.value, classes=["sim-notice"])
