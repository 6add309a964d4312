"""Paired comparison of a what-if with its baseline under common random numbers.

Replicate r of both scenarios uses the same seed-derived streams (the same shock draws, the
same uncertain-parameter draws where both declare them), so the per-replicate difference
isolates the what-if's effect from noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sim.analysis.question import Answer, QuestionAccumulator
from sim.engine.executors import Executor, SerialExecutor
from sim.engine.runner import (
    DEFAULT_CHUNK_SIZE,
    chunk_bounds,
    chunk_units,
    parallel_chunk_size,
    run_blocks,
    run_chunk,
)
from sim.engine.summary import PartialSummary, Summary, SummaryReducer, series_bounds
from sim.errors import InputError, Problem
from sim.io.readers import read_manifest, read_trajectories, trajectories_file
from sim.model.trajectories import SeriesLayout, Trajectories
from sim.scenario.catalogue import ACTORS
from sim.scenario.loader import Question, Scenario
from sim.scenario.paths import metric_range


@dataclass(frozen=True)
class Comparison:
    baseline: Summary
    whatif: Summary
    difference: Summary  # statistics of the paired difference (what-if minus baseline)
    warnings: tuple[str, ...] = ()
    answer: Answer | None = None  # the question's answer (sim/analysis/question.py), when one was asked

    @property
    def series(self) -> SeriesLayout:
        return self.difference.series


def compare_scenarios(baseline: Scenario, whatif: Scenario, n_replicates: int, seed: int, *,
                      chunk_size: int = DEFAULT_CHUNK_SIZE, question: Question | None = None,
                      on_step: Callable[[int], None] | None = None, executor: Executor | None = None) -> Comparison:
    """Run both scenarios on the same replicates and reduce baseline, what-if and difference.

    ``question`` (default: the what-if's, else the baseline's ``question:``) is answered from the
    same replicates. Chunks run on ``executor`` (default: this process) and are folded in order.
    """
    problems = []
    if (baseline.start, baseline.horizon) != (whatif.start, whatif.horizon):
        problems.append(Problem.about(whatif.path, "start and horizon must match the baseline's to compare "
                                f"({baseline.date_of(0)}+{baseline.horizon} vs {whatif.date_of(0)}+{whatif.horizon})"))
    if problems:
        raise InputError(problems)
    warnings = []
    if baseline.name == whatif.name:
        warnings.append(f"both scenarios are named '{whatif.name}': give the what-if its own 'name:' so the report, "
                        "plots and folders can tell them apart")
    if baseline.content_hash == whatif.content_hash:
        warnings.append("the two scenarios are identical: every difference is zero by construction")
    executor = executor or SerialExecutor()
    question = question or whatif.question or baseline.question
    asked = QuestionAccumulator(question, baseline) if question else None
    reducers: dict[str, SummaryReducer] = {}
    tasks = (ComparisonTask(baseline, whatif, ids, seed, n_replicates, question)
             for ids in chunk_bounds(n_replicates, parallel_chunk_size(n_replicates, chunk_size, executor)))
    units = chunk_units(baseline)
    for part in executor.map(compare_chunk, tasks, units=lambda task: 2 * units(task), on_step=on_step):
        if not reducers:
            reducers = {name: SummaryReducer(*layout, n_replicates, bounds=series_bounds(layout[2], difference=True)
                                             if name == "difference" else None)
                        for name, layout in part.layouts.items()}
        for name, partial in part.partials.items():
            reducers[name].merge(partial)
        if asked:
            asked.merge(part.asked)
    return Comparison(*(reducers[k].result() for k in ("baseline", "whatif", "difference")), warnings=tuple(warnings),
                      answer=asked.result() if asked else None)


@dataclass(frozen=True)
class ComparedChunk:
    """One chunk of a comparison, reduced where it ran."""

    partials: dict[str, PartialSummary]  # baseline, whatif, difference
    layouts: dict[str, tuple]  # (scenario name, dates, series) of each
    asked: QuestionAccumulator | None


class ComparisonTask(NamedTuple):
    """One chunk of a comparison for ``compare_chunk``, as sent to a worker."""

    baseline: Scenario
    whatif: Scenario
    replicate_ids: np.ndarray
    seed: int
    n_replicates: int
    question: Question | None


def compare_chunk(baseline: Scenario, whatif: Scenario, ids: np.ndarray, seed: int, n_replicates: int,
                  question: Question | None, on_step: Callable[[int], None] | None = None) -> ComparedChunk:
    """Both scenarios on one chunk of replicates, and their paired difference (a pure function).

    When they share a starting state they run as two blocks of one batched model (the same
    numbers as two runs, for half the per-month overhead; sim.engine.runner.run_blocks)."""
    if baseline.starting_state() == whatif.starting_state():
        pair = run_blocks([baseline, whatif], len(ids), seed, replicate_ids=ids, on_step=on_step)
    else:
        pair = [run_chunk(s, seed, ids, on_step=on_step) for s in (baseline, whatif)]
    asked = None
    if question:
        asked = QuestionAccumulator(question, baseline)
        asked.add(*pair)
    common = [key for key in pair[0].series if key in set(pair[1].series)]
    base, what = (_columns(t, common) for t in pair)
    layout = SeriesLayout(tuple(common))
    names = {"baseline": baseline.name, "whatif": whatif.name, "difference": f"{whatif.name} - {baseline.name}"}
    layouts = {k: (name, base.dates, layout) for k, name in names.items()}
    values = {"baseline": base.values, "whatif": what.values, "difference": what.values - base.values}
    partials = {k: SummaryReducer(*layouts[k], n_replicates, bounds=series_bounds(layout, difference=True)
                                  if k == "difference" else None).partial(int(ids[0]), v) for k, v in values.items()}
    return ComparedChunk(partials, layouts, asked)


def _columns(trajectories: Trajectories, keys: list[tuple[str, str, str]]) -> Trajectories:
    index = {key: i for i, key in enumerate(trajectories.series)}
    return Trajectories(trajectories.scenario, trajectories.dates, trajectories.replicate_ids,
                        SeriesLayout(tuple(keys)), trajectories.values[:, :, [index[k] for k in keys]])


def compare_run_folders(baseline: Path, whatif: Path) -> Comparison:
    """Compare two existing run folders on the replicates both wrote to trajectories.csv."""
    manifests = [read_manifest(folder) for folder in (baseline, whatif)]
    warnings = []
    if manifests[0].get("seed") != manifests[1].get("seed"):
        warnings.append(f"seeds differ ({manifests[0].get('seed')} vs {manifests[1].get('seed')}): "
                        "differences include noise, not only the what-if's effect")
    if manifests[0].get("replicates") != manifests[1].get("replicates"):
        warnings.append(f"replicate counts differ ({manifests[0].get('replicates')} vs "
                        f"{manifests[1].get('replicates')}); only replicates present in both are compared")
    runs = [read_trajectories(trajectories_file(folder)) for folder in (baseline, whatif)]
    shared_ids = np.intersect1d(runs[0].replicate_ids, runs[1].replicate_ids)
    if len(shared_ids) == 0 or runs[0].dates != runs[1].dates:
        raise InputError([Problem.about(str(whatif), "no replicates or dates in common with the baseline run")])
    ran = min(int(m.get("replicates") or 0) for m in manifests)
    if len(shared_ids) < ran:
        warnings.append(f"only {len(shared_ids)} of {ran} replicates are compared: trajectories.csv holds the first "
                        f"{len(shared_ids)} (run with --trajectories all, or compare the scenario files)")
    if manifests[0].get("scenario") == manifests[1].get("scenario"):
        warnings.append(f"both runs are of a scenario named '{manifests[0].get('scenario')}'")
    common = [key for key in runs[0].series if key in set(runs[1].series)]
    picked = []
    for t in runs:
        rows = np.searchsorted(t.replicate_ids, shared_ids)
        t = _columns(t, common)
        picked.append(Trajectories(t.scenario, t.dates, shared_ids, t.series, t.values[rows]))
    layout, n = SeriesLayout(tuple(common)), len(shared_ids)
    out = []
    for name, values, bounds in (("baseline", picked[0].values, None), ("whatif", picked[1].values, None),
                                 ("difference", picked[1].values - picked[0].values,
                                  series_bounds(layout, difference=True))):
        reducer = SummaryReducer(picked[0 if name == "baseline" else 1].scenario, picked[0].dates, layout, n,
                                 bounds=bounds)
        reducer.add(0, values)
        out.append(reducer.result())
    return Comparison(*out, warnings=tuple(warnings))


@dataclass(frozen=True)
class Effect:
    """One of the largest effects of a what-if, at the month it is largest (words: sim.report.prose)."""

    metric: str
    source: str
    target: str
    date: str  # the month where the effect is largest (standardised)
    mean: float
    low: float
    high: float
    p_higher: float
    baseline: float = float("nan")  # baseline mean at that month
    whatif: float = float("nan")
    size: str = ""  # "negligible", "small", "moderate" or "large" (effect_size)


# Effect sizes in words: an effect is in the first band whose two limits it falls below, as a share
# of the series' range (0-1 for influence, context and shares of replicates, -1..1 for attitudes)
# and as a share of the baseline's own 5-95% spread at that month. Both must be passed, so an effect
# that is large against a tiny spread but a hundredth of a point on the scale stays negligible.
SIZE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("negligible", 0.005, 0.2), ("small", 0.02, 0.5), ("moderate", 0.05, 1.0))


def effect_size(difference: float, metric: str, spread: float) -> str:
    """"negligible", "small", "moderate" or "large" (SIZE_BANDS; docs/scenarios.md, reading a comparison)."""
    low, high = metric_range(metric)
    share_of_scale = abs(difference) / (high - low)
    share_of_spread = abs(difference) / max(spread, MIN_SPREAD)
    for name, scale_limit, spread_limit in SIZE_BANDS:
        if share_of_scale < scale_limit or share_of_spread < spread_limit:
            return name
    return "large"


FAMILIES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("influence",), 3), (("relation",), 3), (("institution", "decision"), 2),
    (("threat", "stability", "western_presence", "sanctions"), 2),
)
MIN_SPREAD = 0.01  # floor of the baseline spread a difference is standardised by


def largest_effects(comparison: Comparison, families=FAMILIES) -> list[Effect]:
    """Per metric family, the series whose effect is largest at any month of the run.

    An effect's size at month t is the mean paired difference divided by the baseline's own
    spread there (its 5-95% range, at least MIN_SPREAD): how far the what-if moves the series
    relative to how much it varies anyway. Each series is reported at its largest month, with its
    size in words; negligible effects are never listed.
    """
    d, b, w = comparison.difference, comparison.baseline, comparison.whatif
    out = []
    for metrics, count in families:
        candidates = []
        for s, key in enumerate(d.series):
            if key[0] not in metrics:
                continue
            mean = d["mean"][:, s]
            spread = np.maximum(b["p95"][:, s] - b["p05"][:, s], MIN_SPREAD)
            size = np.abs(mean) / spread
            t = int(np.argmax(size))
            words = effect_size(float(mean[t]), key[0], float(spread[t]))
            if words != "negligible":
                candidates.append((float(size[t]), s, t, words))
        for _, s, t, words in sorted(candidates, reverse=True)[:count]:
            metric, source, target = d.series.series[s]
            out.append(Effect(metric, source, target, d.dates[t], float(d["mean"][t, s]), float(d["p05"][t, s]),
                              float(d["p95"][t, s]), float(d.positive[t, s]), float(b["mean"][t, s]),
                              float(w["mean"][t, s]), words))
    return out


@dataclass(frozen=True)
class EndEffect:
    """A series at the end of the run in both scenarios, their paired difference with its 90% interval,
    the share of paired replicates where the what-if is higher, and the difference's size in words."""

    baseline: float
    whatif: float
    difference: float
    low: float
    high: float
    p_higher: float
    size: str


def end_effect(comparison: Comparison, key: tuple[str, str, str]) -> EndEffect:
    """``key`` at the last month: what the gains table and the options ranking both report."""
    d, b, w = comparison.difference, comparison.baseline, comparison.whatif
    s = d.series.series.index(key)
    mean = float(d["mean"][-1, s])
    return EndEffect(float(b["mean"][-1, s]), float(w["mean"][-1, s]), mean, float(d["p05"][-1, s]),
                     float(d["p95"][-1, s]), float(d.positive[-1, s]),
                     effect_size(mean, key[0], float(b["p95"][-1, s] - b["p05"][-1, s])))


@dataclass(frozen=True)
class Share(EndEffect):
    """One actor's (or the outside world's) influence on a state at the end of the run."""

    actor: str = ""  # an actor, or "outside" (1 minus the actors' influences; no interval)


def gains_and_losses(comparison: Comparison) -> dict[str, list[Share]]:
    """For every state whose influence the what-if moves by more than a negligible amount, every
    actor's change there at the end of the run, and the outside share's, largest gain first, so
    a vacuum's winners are named (issue #29 item 3)."""
    series = comparison.difference.series.series
    out: dict[str, list[Share]] = {}
    for target in ACTORS:
        shares = [Share(**vars(end_effect(comparison, ("influence", source, target))), actor=source)
                  for source in ACTORS if source != target and ("influence", source, target) in series]
        if not shares or all(share.size == "negligible" for share in shares):
            continue
        nan = float("nan")
        outside = Share(1 - sum(x.baseline for x in shares), 1 - sum(x.whatif for x in shares),
                        -sum(x.difference for x in shares), nan, nan, nan, "", actor="outside")
        out[target] = [*sorted(shares, key=lambda x: -x.difference), outside]
    return out
