"""A backtest a wrong model can fail: fit before a cutoff, forecast after it, score with proper scores.

The 2012-2022 replay scripts every documented event. Each event is either exogenous (a coup, an
outside power's withdrawal: outside the six actors' control) or an actor's choice (``chosen_by``).
For a cutoff month the backtest

1. fits the uncertain parameters by ABC-SMC (``calibrate_abc``) on the targets that end by the
   cutoff, running the replay only that far;
2. forecasts from 2012 with the documented history up to the cutoff and, after it, only the
   exogenous events: the actors' documented choices are dropped (events and lever schedule
   points), and the rules the replay had switched off because it scripted their choices are on
   from the month after (``forecast_scenario``);
3. scores the targets that end after the cutoff with the CRPS, against the documented range read
   as a uniform observation, and the dated choices (``scenarios/observations/*.yaml``) with the
   Brier score, each as a skill against forecasters run the same way: the prior predictive (no
   fit), persistence and trend of the posterior's own trajectories from the cutoff, and for
   choices the base rate (and "nothing changes", persistence).

The check can fail: ``broken="decisions"`` switches every rule off, ``broken="levers"`` holds every
lever at zero from the cutoff, and their skill is reported beside the intact model's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sim.analysis.calibration import Target, calibrate_abc, loss_function
from sim.analysis.scoring import ScoreTable, brier_table, crps_ensemble, reliability_table
from sim.engine.experiments import Factor
from sim.engine.runner import run_chunk
from sim.scenario.catalogue import load_catalogue
from sim.scenario.institutions import load_institutions
from sim.scenario.loader import Scenario, scenario_from_data
from sim.scenario.months import format_month, parse_month
from sim.scenario.validation import Choice, DocumentReport, Flag, ListOf, Month, Record, Text
from sim.scenario.yamlsafe import read_yaml_file

OBSERVATION_KEYS = ("id", "rule", "by", "happened", "sentence", "source")
FORECASTERS = ("posterior", "prior", "persistence", "trend")
BROKEN = ("decisions", "levers")
INTERVAL_GRID = 21  # points of the documented range over which a target's CRPS is averaged


@dataclass(frozen=True)
class Observation:
    """A documented choice: whether ``rule`` had fired by month ``by`` (a YYYY-MM int)."""

    id: str
    rule: str
    by: int
    happened: bool
    sentence: str
    source: str


def observation_format() -> Record:
    """An entry of ``observations:``, on the decision rules of the institutional catalogue."""
    return Record({
        "id": Text(non_empty=True),
        "rule": Choice(tuple(d.id for d in load_institutions().decisions), noun="decision rule"),
        "by": Month(description="the month by which the rule had fired, or not"),
        "happened": Flag(),
        "sentence": Text(non_empty=True, description="the documented sentence"),
        "source": Text(non_empty=True, description="the seed file it comes from"),
    }, required=OBSERVATION_KEYS)


def load_observations(path: str | Path) -> list[Observation]:
    """Read and check an observations file; every problem located (exit 2 through InputError)."""
    doc = read_yaml_file(path)
    report = DocumentReport(doc)
    entries = ListOf(observation_format(), what="documented choices", at_least=1, whole=True)
    data = Record({"observations": entries}, required=("observations",)).read(report, (), doc.data)
    report.raise_any()
    return [Observation(**entry) for entry in data["observations"]]


def target_months(target: Target) -> tuple[int, int]:
    """The first and last months a target's outcome reads (``@YYYY-MM``)."""
    months = [parse_month(m) for m in re.findall(r"@(\d{4}-\d{2})", target.outcome.text)]
    if not months:
        raise ValueError(f"target {target.id} reads no dated month; a backtest needs @YYYY-MM")
    return min(months), max(months)


def forecast_scenario(replay: Scenario, cutoff: int, *, broken: str | None = None) -> Scenario:
    """The replay as known at ``cutoff``: exogenous events throughout, the actors' documented choices
    (events with ``chosen_by``, lever schedule points) only up to the cutoff, and the rules the replay
    switched off because it scripted their choices on from the month after.

    ``broken`` makes a deliberately wrong model for the check that the backtest can fail:
    "decisions" switches every rule off, "levers" holds every lever at zero after the cutoff.
    """
    data = replay.to_dict()
    data["name"] = f"{replay.name}_from_{format_month(cutoff)}"
    data["events"] = [event for event in data["events"]
                      if parse_month(event["date"]) <= cutoff or not event.get("chosen_by")]
    for settings in data["levers"].values():
        for lever, setting in list(settings.items()):
            if isinstance(setting, dict) and "schedule" in setting:
                kept = {month: value for month, value in setting["schedule"].items() if parse_month(month) <= cutoff}
                settings[lever] = {**setting, "schedule": kept} if kept else setting
    after = format_month(cutoff + 1)
    data["decisions"] = {rule: after if switch is False else switch
                         for rule, switch in data.get("decisions", {}).items()}
    if broken == "decisions":
        data["decisions"] = {d.id: False for d in load_institutions().decisions}
    elif broken == "levers":
        data["events"].append({"id": "broken_levers", "date": after, "assumption": "the broken model of the check",
                               "set": {f"levers.{lever.key}": 0.0 for lever in load_catalogue().levers}})
    elif broken is not None:
        raise ValueError(f"broken = {broken!r}; expected one of {', '.join(BROKEN)}")
    return scenario_from_data(data, data["name"])


@dataclass(frozen=True)
class CutoffResult:
    """One rolling origin: what was fitted, what was forecast and how it scored."""

    cutoff: str
    fitted: tuple[str, ...]  # target ids fitted before the cutoff
    factors: tuple[Factor, ...]
    posterior: np.ndarray  # (points, factors)
    crps: ScoreTable | None  # None when no target ends after the cutoff
    brier: ScoreTable | None  # None when no choice is observed after the cutoff
    reliability: tuple  # ReliabilityBin rows of the posterior's choice probabilities
    evaluations: int
    broken: dict  # kind -> (CRPS table, Brier table) of a deliberately broken model, same posterior

    def widths(self) -> list[float]:
        """Posterior 5-95% width per parameter, as a share of its prior range."""
        return [float(np.subtract(*np.quantile(self.posterior[:, d], [0.95, 0.05])) / (f.high - f.low))
                for d, f in enumerate(self.factors)]


def interval_crps(ensemble: np.ndarray, low: float, high: float) -> float:
    """CRPS against a documented range read as a uniform observation (the mean over a grid of it), in
    units of the range's half-width so targets of different scales count alike."""
    grid = np.linspace(low, high, INTERVAL_GRID)
    scores = crps_ensemble(grid, np.broadcast_to(ensemble, (INTERVAL_GRID, len(ensemble))))
    return float(np.mean(scores)) / max((high - low) / 2, 1e-6)


def run_points(scenario: Scenario, factors: Sequence[Factor], points: np.ndarray, replicates: int, seed: int):
    """Trajectories of every point x replicate (point-major), the same replicate streams for every point."""
    rows = np.repeat(points, replicates, axis=0)
    ids = np.tile(np.arange(replicates), len(points))
    return run_chunk(scenario, seed, ids, parameters={f.name: rows[:, d] for d, f in enumerate(factors)})


def naive(trajectories, cutoff: int, trend_months: int, kind: str):
    """Trajectories after ``cutoff`` replaced by persistence, or by the linear trend over the
    ``trend_months`` before it (clipped to each series' range)."""
    dates = trajectories.dates
    cut = dates.index(format_month(cutoff))
    start = max(0, cut - trend_months)
    values = trajectories.values.copy()
    if kind == "persistence":
        values[:, cut + 1:] = values[:, cut:cut + 1]
    else:
        slope = (values[:, cut] - values[:, start]) / max(cut - start, 1)
        months_after = np.arange(1, len(dates) - cut)[None, :, None]
        values[:, cut + 1:] = values[:, cut:cut + 1] + slope[:, None, :] * months_after
        low = np.array([-1.0 if metric == "relation" else 0.0 for metric, _, _ in trajectories.series])
        values = np.clip(values, low, 1.0)
    return replace(trajectories, values=values)


def backtest_cutoff(replay: Scenario, targets: Sequence[Target], observations: Sequence[Observation],
                    factors: Sequence[Factor], cutoff: int, *, population: int, generations: int, budget: int,
                    replicates: int, seed: int, trend_months: int = 36,
                    broken: Sequence[str] = BROKEN) -> CutoffResult:
    """Fit before ``cutoff``, forecast after it, score (module docstring); each ``broken`` model is
    forecast from the same posterior and scored the same way."""
    fitted = [t for t in targets if target_months(t)[1] <= cutoff]
    lows, highs = np.array([f.low for f in factors]), np.array([f.high for f in factors])
    prior = lows + np.random.default_rng(seed).random((population, len(factors))) * (highs - lows)
    evaluations = 0
    if fitted:
        fit_window = scenario_from_data({**replay.to_dict(), "horizon": cutoff - replay.start}, replay.name)
        loss = loss_function(fit_window, factors, fitted, replicates=replicates, seed=seed)
        result = calibrate_abc(loss, factors, budget=budget, seed=seed, defaults=(lows + highs) / 2, targets=fitted,
                               population=population, generations=generations)
        posterior, evaluations = result.posterior, result.evaluations
    else:  # nothing documented before the cutoff: the posterior is the prior, and the report says so
        posterior = prior
    crps, brier, reliability = score_forecast(replay, targets, observations, factors, cutoff, posterior, prior,
                                              replicates=replicates, seed=seed, trend_months=trend_months)
    broken_scores = {kind: score_forecast(replay, targets, observations, factors, cutoff, posterior, prior,
                                          replicates=replicates, seed=seed, trend_months=trend_months,
                                          broken=kind)[:2] for kind in broken}
    return CutoffResult(format_month(cutoff), tuple(t.id for t in fitted), tuple(factors), posterior, crps, brier,
                        reliability, evaluations, broken_scores)


def score_forecast(replay: Scenario, targets: Sequence[Target], observations: Sequence[Observation],
                   factors: Sequence[Factor], cutoff: int, posterior: np.ndarray, prior: np.ndarray, *,
                   replicates: int, seed: int, trend_months: int, broken: str | None = None):
    """(CRPS table, Brier table, reliability rows) of the forecasts from ``cutoff``; a table is None
    when nothing is documented after the cutoff."""
    tested = [t for t in targets if target_months(t)[1] > cutoff and math.isfinite(t.low) and math.isfinite(t.high)]
    choices = [o for o in observations if o.by > cutoff]
    forecast = forecast_scenario(replay, cutoff, broken=broken)
    runs = {"posterior": run_points(forecast, factors, posterior, replicates, seed),
            "prior": run_points(forecast, factors, prior, replicates, seed)}
    runs["persistence"] = naive(runs["posterior"], cutoff, trend_months, "persistence")
    runs["trend"] = naive(runs["posterior"], cutoff, trend_months, "trend")
    crps = brier = None
    reliability: tuple = ()
    if tested:
        scores = np.array([[interval_crps(t.outcome.evaluate(runs[name]), t.low, t.high) for t in tested]
                           for name in FORECASTERS])
        crps = ScoreTable("CRPS", tuple(t.id for t in tested), FORECASTERS, scores, ("prior", "persistence", "trend"))
    if choices:
        actor = {d.id: d.actor for d in load_institutions().decisions}
        probabilities = {}
        for name in ("posterior", "prior", "persistence"):
            run = runs[name]
            last = parse_month(run.dates[-1])
            probabilities[name] = {o.id: float(run.get("decision", actor[o.rule], o.rule)[
                :, run.dates.index(format_month(min(o.by, last)))].mean()) for o in choices}
        brier = brier_table({o.id: o.happened for o in choices}, probabilities, ("prior", "persistence"))
        reliability = tuple(reliability_table([probabilities["posterior"][o.id] for o in choices],
                                              [o.happened for o in choices], bins=5))
    return crps, brier, reliability


def backtest(replay: Scenario, targets: Sequence[Target], observations: Sequence[Observation],
             factors: Sequence[Factor], cutoffs: Sequence[int], **options) -> list[CutoffResult]:
    """Rolling origin: ``backtest_cutoff`` at every cutoff (each fitted afresh)."""
    return [backtest_cutoff(replay, targets, observations, factors, cutoff, **options) for cutoff in cutoffs]


def report(results: Sequence[CutoffResult]) -> str:
    """Markdown: per cutoff, the posterior width per parameter, the skill tables, per-target and
    per-choice scores, and a sentence that says plainly where the model has no skill."""
    lines = []
    for r in results:
        fitted = ", ".join(f"`{t}`" for t in r.fitted) or "none, so the posterior is the prior"
        lines += [f"### Cutoff {r.cutoff}", "", f"Fitted on {len(r.fitted)} target(s) ending by the cutoff "
                  f"({fitted}); {r.evaluations} model evaluations.", "",
                  "| parameter | prior | posterior 5% | median | 95% | width / prior |",
                  "| --- | --- | --- | --- | --- | --- |"]
        for d, (f, width) in enumerate(zip(r.factors, r.widths(), strict=True)):
            low, mid, high = np.quantile(r.posterior[:, d], [0.05, 0.5, 0.95])
            lines.append(f"| `{f.name}` | [{f.low:g}, {f.high:g}] | {low:.3g} | {mid:.3g} | {high:.3g} | "
                         f"{width:.2f} |")
        lines.append("")
        for table, title in ((r.crps, "CRPS of the targets that end after the cutoff (in half-widths of the "
                                      "documented range, read as a uniform observation)"),
                             (r.brier, "Brier score of the documented choices after the cutoff")):
            if table is None:
                lines += [f"{title}: nothing to score after this cutoff.", ""]
                continue
            lines += [f"{title}; lower is better, skill = 1 - score / reference's:", "",
                      "| forecaster | mean | " + " | ".join(f"skill vs {ref}" for ref in table.references) + " |",
                      "| --- | --- | " + " | ".join("---" for _ in table.references) + " |"]
            for f in table.forecasters:
                cells = " | ".join(f"{table.skill(f, ref):+.2f}" for ref in table.references)
                lines.append(f"| {f} | {table.mean(f):.3f} | {cells} |")
            lines += ["", "| scored | " + " | ".join(table.forecasters) + " |",
                      "| --- | " + " | ".join("---" for _ in table.forecasters) + " |"]
            lines += [f"| `{target}` | " + " | ".join(f"{v:.3f}" for v in table.scores[:, k]) + " |"
                      for k, target in enumerate(table.targets)]
            lines += ["", plain_verdict(table), ""]
        if r.reliability:
            lines += ["Reliability of the posterior's choice probabilities:", "",
                      "| forecast bin | choices | mean forecast | observed frequency |", "| --- | --- | --- | --- |"]
            lines += [f"| [{b.low:.1f}, {b.high:.1f}] | {b.n} | {_fmt(b.mean_forecast)} | "
                      f"{_fmt(b.observed_frequency)} |" for b in r.reliability]
            lines.append("")
    kinds = sorted({kind for r in results for kind in r.broken})
    if kinds:
        lines += ["### The check can fail: deliberately broken models, same posteriors", "",
                  "| cutoff | model | CRPS | Brier |", "| --- | --- | --- | --- |"]
        for r in results:
            rows = [("intact", (r.crps, r.brier)), *((f"broken: {kind}", r.broken[kind]) for kind in kinds)]
            for name, (crps, brier) in rows:
                lines.append(f"| {r.cutoff} | {name} | {crps.mean('posterior') if crps else float('nan'):.3f} | "
                             f"{brier.mean('posterior') if brier else float('nan'):.3f} |")
        lines.append("")
    return "\n".join(lines)


def scores_csv(results: Sequence[CutoffResult]) -> str:
    """Every score, tidy: cutoff, model (intact or broken: kind), score, item, forecaster, value."""
    rows = ["cutoff,model,score,item,forecaster,value"]
    for r in results:
        for model, tables in (("intact", (r.crps, r.brier)), *((f"broken:{k}", v) for k, v in r.broken.items())):
            for table in tables:
                if table is None:
                    continue
                for i, forecaster in enumerate(table.forecasters):
                    rows += [f"{r.cutoff},{model},{table.score},{item},{forecaster},{table.scores[i, k]:.6g}"
                             for k, item in enumerate(table.targets)]
    return "\n".join(rows) + "\n"


def plain_verdict(table: ScoreTable) -> str:
    """One sentence: against which references the posterior predictive has skill, and where it has none."""
    better = [ref for ref in table.references if table.skill("posterior", ref) > 0.05]
    none = [ref for ref in table.references if ref not in better]
    worst = table.targets[int(np.argmax(table.scores[table.forecasters.index("posterior")]))]
    text = f"{table.score}: the fitted model beats {', '.join(better) or 'no reference'} by more than 5%"
    if none:
        text += f"; it has no skill against {', '.join(none)}"
    return text + f". Its worst-scored item is `{worst}`."


def _fmt(value: float) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.2f}"
