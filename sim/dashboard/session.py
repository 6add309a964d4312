"""What the dashboard does, apart from the page: the controls a scenario offers, the what-if
they make, its paired run with the question's answer and the attribution, and what can be
saved from it. Everything here is plain Python, so it is tested without a browser, and the
page (sim/dashboard/app.py) only lays it out.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.compare import Comparison, compare_scenarios
from sim.analysis.explain import Contribution, components, explain
from sim.analysis.optimize import optimize
from sim.analysis.question import series_key
from sim.cli.commands.compare import execute_compare
from sim.errors import InputError, Problem
from sim.report.prose import describe
from sim.scenario.catalogue import ACTOR_LABELS, ACTORS, CONTEXT_METRICS, load_catalogue
from sim.scenario.loader import (
    LIBRARY,
    Question,
    Scenario,
    load_scenario,
    question_problems,
    with_settings,
)
from sim.scenario.months import format_month, parse_month
from sim.scenario.outcomes import OutcomeError, parse_outcome
from sim.scenario.paths import BUDGET_RANGE
from sim.scenario.variants import with_levers_from

DEFAULT_REPLICATES = 200
MAX_REPLICATES = 20_000  # a page that waits minutes is a batch job: use sim compare for more
EXPLAIN_REPLICATES = 100  # as sim compare: attribution needs fewer replicates than the levels
MAIN_PARAMETER_GROUPS = ("influence", "relation", "context", "receptivity", "agent", "institution", "shocks")
DEFAULT_OUTCOMES = ("influence.morocco.mali", "influence.russia.mali")


@dataclass(frozen=True)
class Control:
    """One slider: a dotted setting path (as ``--set`` takes) and where it starts."""

    path: str  # levers.<actor>.<lever> | actors.<actor>.budget | parameters.<name>
    label: str
    group: str  # an actor, or "parameters: <prefix>"
    low: float
    high: float
    value: float  # what the scenario has now (the slider's start)
    now: str  # how the scenario sets it, in words ("adaptive, status quo 0.30", "fixed 0.20", ...)
    hint: str  # evidence: the lever's source file and quote, or the parameter's rationale

    @property
    def step(self) -> float:
        return round((self.high - self.low) / 100, 6) or 0.01


def scenario_choices(folder: Path | None = None) -> dict[str, str]:
    """Scenarios to pick from, label -> file path: the library, then ``folder``'s files."""
    choices = {f"library: {p.stem}": str(p) for p in sorted(LIBRARY.glob("*.yaml"))}
    if folder is not None and folder.resolve() != LIBRARY.resolve():
        choices |= {f"{folder.name}/{p.name}": str(p) for p in sorted(folder.glob("*.y*ml"))}
    return choices


def controls(scenario: Scenario) -> list[Control]:
    """Every lever's intensity and every actor's budget, grouped by actor, then the main parameters."""
    catalogue = load_catalogue()
    out: list[Control] = []
    for actor in ACTORS:
        setup = scenario.actors[actor]
        top = min(BUDGET_RANGE[1], max(BUDGET_RANGE[1] / 4, 2 * setup.budget))
        out.append(Control(f"actors.{actor}.budget", "budget", actor, BUDGET_RANGE[0], top, setup.budget,
                           f"{setup.budget:.2f} ({setup.budget_policy})",
                           "Total effort per month across this actor's levers."))
        for lever in (lv for lv in catalogue.levers if lv.actor == actor):
            value, now = _lever_now(scenario, actor, lever.id, lever.initial_effort)
            quotes = "\n".join(f"{e.source}: \u201c{e.quote}\u201d" for e in lever.evidence)
            out.append(Control(f"levers.{lever.key}", lever.id.replace("_", " "), actor, 0.0, 1.0, value, now,
                               f"{lever.description}\n{quotes}"))
    for name, spec in catalogue.parameters.items():
        prefix = name.split(".", 1)[0]
        if prefix not in MAIN_PARAMETER_GROUPS:
            continue
        value = float(scenario.parameters.get(name, spec.default))
        now = f"{value:g} {spec.unit}".strip()
        drawn = next((u for u in scenario.uncertainties if u.parameter == name), None)
        if drawn is not None:  # the slider starts mid-range; moving it fixes the value for every replicate
            low, high = drawn.arguments.get("low", spec.low), drawn.arguments.get("high", spec.high)
            value = (float(low) + float(high)) / 2 if drawn.distribution == "uniform" else value
            now = f"drawn per replicate ({drawn.distribution} {low:g}..{high:g}); moving it fixes it"
        out.append(Control(f"parameters.{name}", name.split(".", 1)[1].replace("_", " "), f"parameters: {prefix}",
                           spec.low, spec.high, value, now, spec.rationale))
    return out


def _lever_now(scenario: Scenario, actor: str, lever: str, status_quo: float) -> tuple[float, str]:
    """The level the scenario leaves the lever at (the slider's start) and, in words, everything
    that sets it: its own setting, the dated events, and the triggers that may."""
    status_quo = float(scenario.status_quo.get(actor, {}).get(lever, status_quo))
    setting = scenario.levers.get(actor, {}).get(lever)
    path = f"levers.{actor}.{lever}"
    if setting is None or setting.mode == "adaptive":
        level, words = status_quo, [f"adaptive (status quo {status_quo:.2f})"]
    elif setting.mode == "fixed":
        level, words = float(setting.value), [f"fixed {setting.value:.2f}"]
    else:
        steps = ", ".join(f"{v:.2f} from {format_month(m)}" for m, v in setting.schedule)
        level, words = float(setting.schedule[-1][1]), [f"schedule: {steps}"]
    for event in sorted(scenario.events, key=lambda e: e.month):
        if path in event.changes.set:
            setting = event.changes.set[path]
            if isinstance(setting, str):  # "adaptive": the agent decides again
                words.append(f"{setting} from {format_month(event.month)} by event {event.id}")
            else:
                level = float(setting)
                words.append(f"set to {level:.2f} in {format_month(event.month)} by event {event.id}")
        if path in event.changes.add:
            words.append(f"{event.changes.add[path]:+.2f} in {format_month(event.month)} by event {event.id}")
    words += [f"trigger {t.id} may set it" for t in scenario.triggers
              if path in t.changes.set or path in t.changes.add]
    return level, "; ".join(words)


def levers_from(base: Scenario, text: str) -> int | None:
    """The month from which moved levers take effect (``YYYY-MM``; empty: the start), checked
    against the run's months."""
    if not text.strip():
        return None
    month = parse_month(text.strip())
    end = base.start + base.horizon - 1
    if month is None or not base.start <= month <= end:
        raise InputError([Problem.about("dashboard: levers from", f"'{text.strip()}'; expected a month YYYY-MM "
                                  f"from {format_month(base.start)} to {format_month(end)}, or nothing for the start")])
    return month


def describe_settings(base: Scenario, settings: Mapping[str, float], month: int | None = None) -> str:
    """The moved sliders in words: "Morocco security cooperation 0.20 -> 0.80 from 2024-01; ..."."""
    starts = {c.path: c.value for c in controls(base)}
    parts = []
    for path, value in settings.items():
        kind, *rest = path.split(".")
        if kind == "levers" and len(rest) == 2:
            what = f"{ACTOR_LABELS.get(rest[0], rest[0])} {rest[1].replace('_', ' ')}"
        elif kind == "actors" and rest:
            what = f"{ACTOR_LABELS.get(rest[0], rest[0])} budget"
        else:
            what = ".".join(rest)
        when = f" from {format_month(month)}" if kind == "levers" and month and month > base.start else ""
        before = starts.get(path)
        parts.append(f"{what} {before:.2f} -> {value:.2f}{when}" if before is not None else f"{what} {value:g}")
    return "; ".join(parts)


def whatif_scenario(base: Scenario, settings: Mapping[str, float], name: str | None = None,
                    levers_month: int | None = None) -> Scenario:
    """``base`` with the moved sliders applied, checked by the loader as ``--set`` values are.

    Moved levers take effect from ``levers_month`` (None: the start) and hold to the end, over any
    later event of the scenario that sets them. With nothing moved and no ``name`` it is ``base``
    itself; a ``name`` always renames it."""
    if not settings and not name:
        return base
    month = base.start if levers_month is None else levers_month
    levers = {k: v for k, v in settings.items() if k.startswith("levers.")}
    rest = {k: v for k, v in settings.items() if k not in levers}
    source = base
    if levers:
        source = with_levers_from(base, levers, month, "dashboard: levers")
    changes = describe_settings(base, settings, month) or "nothing changed"
    renamed = {"name": name or f"{base.name}_whatif", "description": f"{base.name} with {changes}"}
    whatif = with_settings(source, {**renamed, **rest}, "dashboard:")
    # not the base's file: explain would otherwise read that file's own settings and file the sliders'
    # changes under "inherited from <its parent>"
    return dataclasses.replace(whatif, path=f"{base.path or base.name} + dashboard settings")


def question_for(base: Scenario, outcomes: list[str], threshold: str = "", text: str = "") -> Question:
    """The report's question from the page's outcome picks, threshold and wording, checked as
    ``--outcome`` is."""
    if not outcomes:
        raise InputError([Problem.about("dashboard: outcomes", "pick at least one outcome to report")])
    raw = {"outcomes": list(outcomes), **({"threshold": threshold} if threshold.strip() else {}),
           **({"text": text.strip()} if text.strip() else {})}
    question, issues = question_problems(raw, base.start, base.horizon)
    if issues:
        raise InputError([Problem.about("dashboard: question", message) for _, message in issues])
    return question


@dataclass(frozen=True)
class WhatIfRun:
    """One press of the run button: the paired comparison and the attribution of its outcomes."""

    baseline: Scenario
    whatif: Scenario
    settings: dict[str, float]
    comparison: Comparison
    contributions: list[Contribution]
    replicates: int
    seed: int
    seconds: float


def default_question(base: Scenario, settings: Mapping[str, float], outcomes: list[str],
                     levers_month: int | None = None) -> str:
    """The question the run answers when the user typed none, in words rather than settings."""
    asked = " and ".join(_outcome_words(o) for o in outcomes)
    if not settings:
        return f"Where does the {base.name} scenario leave {asked}?"
    return f"What happens to {asked} if {describe_settings(base, settings, levers_month)}?"


def _outcome_words(outcome: str) -> str:
    metric, source, *target = outcome.split(".")
    words = describe(metric, source, target[0] if target else "")
    return words[0].lower() + words[1:] if words.startswith(("The ", "Threat", "Stability")) else words


def check_run(base: Scenario, outcomes: list[str], threshold: str, replicates: int, name: str | None) -> None:
    """Refuse a run's inputs before any work (InputError): the page keeps the last results."""
    if not 1 <= replicates <= MAX_REPLICATES:
        raise InputError([Problem.about("dashboard: replicates", f"replicates = {replicates}; expected 1.."
                                  f"{MAX_REPLICATES} (sim compare runs larger ensembles)")])
    question_for(base, outcomes, threshold)
    if name:
        with_settings(base, {"name": name}, "dashboard: name")


def run_whatif(base: Scenario, settings: Mapping[str, float], outcomes: list[str], *, threshold: str = "",
               replicates: int = DEFAULT_REPLICATES, seed: int | None = None, name: str | None = None,
               on_progress: Callable[[float], None] | None = None, levers_month: int | None = None,
               question: str = "") -> WhatIfRun:
    """Baseline and what-if on the same replicates, the question answered, and ``sim explain``'s
    attribution of each outcome at the end of the run (what ``sim compare`` and ``sim explain`` do)."""
    started = time.perf_counter()
    check_run(base, outcomes, threshold, replicates, name)
    whatif = whatif_scenario(base, settings, name, levers_month)
    question = question_for(base, outcomes, threshold, question or default_question(base, settings, outcomes,
                                                                                       levers_month))
    seed = base.seed if seed is None else seed
    n_explain = min(replicates, EXPLAIN_REPLICATES)
    explained = len(components(whatif, base)) if settings else 0  # one run per component, plus both scenarios
    total = 2 * replicates * base.horizon + (n_explain * base.horizon * (2 + explained) if settings else 0)
    done = 0

    def advance(units: int) -> None:
        nonlocal done
        done += units
        if on_progress:
            on_progress(min(done / total, 1.0))

    comparison = compare_scenarios(base, whatif, replicates, seed, question=question, on_step=advance)
    contributions = []
    if settings:
        contributions = explain(whatif, [series_key(o) for o in question.outcomes], against=base,
                                n_replicates=n_explain, seed=seed, on_step=advance)
    if on_progress:
        on_progress(1.0)
    return WhatIfRun(base, whatif, dict(settings), comparison, contributions, replicates, seed,
                     time.perf_counter() - started)


def whatif_yaml(base: Scenario, settings: Mapping[str, float], name: str, *, extends: str | None,
                levers_month: int | None = None) -> str | None:
    """The what-if as a scenario file: ``extends:`` the base plus the moved sliders, or (``extends``
    None) the whole resolved scenario. None when the short form cannot say it (the what-if takes a
    lever away from one of the base's events, which ``extends:`` cannot)."""
    import yaml

    whatif = whatif_scenario(base, settings, name, levers_month)
    resolved = whatif.to_dict()
    if extends is None:
        return yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)
    if resolved["events"] != base.to_dict()["events"]:
        return None
    data: dict = {"extends": extends, "name": whatif.name, "description": whatif.description}
    for path, value in settings.items():
        node = data
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = resolved["levers"][parents[1]][leaf] if parents[0] == "levers" else float(value)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def save_whatif(base: Scenario, settings: Mapping[str, float], path: Path, levers_month: int | None = None) -> Scenario:
    """Write the what-if to ``path`` and return it as the loader reads it back.

    The file is written beside ``path`` under a temporary name, read back by the loader, and
    renamed into place only if it gives exactly the what-if that was run (so a bad file never
    appears and an existing file is never replaced). The short form (``extends:`` the base plus
    the moved sliders) is preferred; the whole scenario is written when the base cannot be named.
    """
    import os
    import tempfile

    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise InputError([Problem.about(str(path), "expected a file name ending in .yaml")])
    try:
        exists, folder = path.exists(), path.parent.is_dir()
    except OSError as error:  # a name too long for the file system, and the like
        raise InputError([Problem.about(str(path)[:120], f"cannot use this file name: {error.strerror}")]) from None
    if exists:
        raise InputError([Problem.about(str(path), "file exists; choose another name (nothing was written)")])
    if not folder:
        raise InputError([Problem.about(str(path), f"folder {path.parent} does not exist (nothing was written)")])
    wanted = whatif_scenario(base, settings, path.stem, levers_month)
    for extends in (_extends_reference(base, path), None):
        if extends is False:
            continue
        text = whatif_yaml(base, settings, path.stem, extends=extends, levers_month=levers_month)
        if text is None:
            continue
        fd, staging = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            saved = load_scenario(staging)
            if saved.content_hash == wanted.content_hash:
                os.chmod(staging, 0o644)
                try:
                    os.link(staging, path)  # fails if the name was taken meanwhile: nothing is replaced
                except FileExistsError:
                    raise InputError([Problem.about(str(path), "file exists; choose another name (nothing was "
                                                               "written)")]) from None
                return load_scenario(path)
        finally:
            Path(staging).unlink(missing_ok=True)
    raise InputError([Problem.about(str(path), "the saved what-if did not read back as the one that was run")])


def _extends_reference(base: Scenario, path: Path) -> str | bool:
    """How a file at ``path`` can name ``base`` in ``extends:`` (False: it cannot)."""
    source = Path(base.path).resolve() if base.path else None
    if source is None or not source.is_file():
        return False
    if source.parent == LIBRARY.resolve():
        return source.stem
    try:
        return str(source.relative_to(path.resolve().parent))
    except ValueError:
        return False


def report_html(run: WhatIfRun, folder: Path) -> bytes:
    """``sim compare``'s report of the run's settings (the same command, written under ``folder``,
    which the caller removes)."""
    out, _, _ = execute_compare(run.baseline, run.whatif, replicates=run.replicates, seed=run.seed,
                                out=folder / "compare",
                                question=run.comparison.answer.question if run.comparison.answer else None)
    return (out / "report.html").read_bytes()


def outcome_choices(scenario: Scenario) -> list[str]:
    """Series a strategist can ask about: influence first, then context, then attitudes."""
    pairs = [(a, b) for a in ACTORS for b in ACTORS if a != b]
    return ([f"influence.{a}.{b}" for a, b in pairs] + [f"{m}.{a}" for m in CONTEXT_METRICS for a in ACTORS]
            + [f"relation.{a}.{b}" for a, b in pairs])


STRATEGY_BUDGET = 60  # mixes a page search evaluates: a few seconds; sim optimize searches harder
STRATEGY_REPLICATES = 4


def check_strategy(actor: str, objective: str) -> None:
    """Refuse a strategy search's inputs before any work (InputError, in sim optimize's words)."""
    if actor not in ACTORS:
        raise InputError([Problem.about("dashboard: strategy actor", f"{actor!r}; expected one of "
                                  f"{', '.join(ACTORS)}")])
    try:
        parse_outcome(objective.strip(), load_catalogue().lever_ids())
    except OutcomeError as exc:
        raise InputError([Problem.about("dashboard: objective", f"{exc} in {objective.strip()!r}")]) from None


def best_strategy(base: Scenario, actor: str, objective: str, *, budget: int = STRATEGY_BUDGET,
                  replicates: int = STRATEGY_REPLICATES, seed: int | None = None,
                  on_progress: Callable[[float], None] | None = None):
    """``sim optimize`` for the page: the actor's best mix of its status-quo effort for ``objective``,
    checked against the status quo, the best single push and the even spread (a Recommendation)."""
    check_strategy(actor, objective)
    done = [0]

    def advance(points: int) -> None:
        done[0] += points
        if on_progress:
            on_progress(min(done[0] / (budget + 20), 1.0))

    return optimize(base, actor, objective.strip(), replicates=replicates, budget=budget,
                    seed=base.seed if seed is None else seed, on_points=advance)


def strategy_settings(result) -> dict[str, float]:
    """A recommendation as slider settings: each of the actor's levers at its recommended intensity."""
    return {f"levers.{result.actor}.{lever}": round(float(value), 6)
            for lever, value in zip(result.levers, result.strategies[0].mix, strict=True)}


def strategy_html(result) -> str:
    """The recommendation beside the references, and its paired differences, as an HTML table."""
    import html

    names = [s.name for s in result.strategies]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = "".join(f"<tr><td>{html.escape(lever.replace('_', ' '))}</td>"
                   + "".join(f"<td>{s.mix[i]:.2f}</td>" for s in result.strategies) + "</tr>"
                   for i, lever in enumerate(result.levers))
    score = "".join(f"<td><b>{s.values[:, 0].mean():.3f}</b></td>" for s in result.strategies)
    lines = "".join(f"<li>recommended minus {html.escape(s.name)}: {m:+.3f} (5-95%: {lo:+.3f} to {hi:+.3f})"
                    f"{'' if lo > 0 else ' (not clearly better)'}</li>"
                    for s in result.strategies[1:] for m, lo, hi in [result.difference(s.name)])
    return (f"<table class='sim-contributions sim-strategy-table'><tr><th>lever</th>{head}</tr>{rows}"
            f"<tr><td><b>{html.escape(result.objective)}</b></td>{score}</tr></table><ul>{lines}</ul>")
