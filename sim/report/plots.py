"""Figures from summaries. Each function takes results and returns a matplotlib Figure."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import matplotlib
import numpy as np

if "inline" not in os.environ.get("MPLBACKEND", ""):  # a notebook's inline backend shows our figures; else files
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from sim.engine.summary import Summary
from sim.report.decisions import decisions_taken, words
from sim.report.prose import describe, percent
from sim.scenario.catalogue import ACTOR_LABELS, ACTORS

COLOURS = {  # Okabe-Ito: distinguishable with the common colour-vision deficiencies
    "morocco": "#d55e00",
    "algeria": "#009e73",
    "mali": "#cc79a7",
    "mauritania": "#56b4e9",
    "ecowas": "#0072b2",
    "russia": "#000000",
}
OUTSIDE_COLOUR = "#777777"
FOCUS_STATES = ("mali", "mauritania")


def time_axis(ax, dates: tuple[str, ...]) -> None:
    ticks = [i for i, d in enumerate(dates) if d.endswith("-01")]
    ax.set_xticks(ticks, [dates[i][:4] for i in ticks])
    ax.set_xlim(0, len(dates) - 1)
    ax.set_xlabel("year (monthly steps)")
    ax.grid(alpha=0.3)


def _caption(fig: Figure, summary: Summary, seed: int) -> None:
    fig.text(0.01, 0.01, f"scenario: {summary.scenario} · seed {seed} · {summary.n_replicates} replicates · "
             "line: median, band: 5-95% of replicates", fontsize=7, color="#555")


def fan_chart(summary: Summary, metric: str, pairs: list[tuple[str, str]], title: str,
              ylabel: str, seed: int, ylim: tuple[float, float]) -> Figure:
    """Median line and 5-95% band for each (source, target) series."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = range(len(summary.dates))
    shown = [pair for pair in pairs if summary.has(metric, *pair)]
    labels = []
    for source, target in shown:
        stats = summary.get(metric, source, target)
        colour_key = target if metric == "relation" else source
        label = ACTOR_LABELS[target] if metric == "relation" else ACTOR_LABELS[source]
        colour = COLOURS[colour_key]
        ax.fill_between(x, stats.p05, stats.p95, color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, stats.p50, color=colour, linewidth=1.8)
        labels.append((stats.p50[-1], label, colour))
    top = 0.0
    if metric == "influence" and shown:  # the rest of the whole: domestic autonomy and the unmodelled powers
        target = shown[0][1]
        complete = len(shown) == len(ACTORS) - 1
        if complete:
            outside = 1.0 - sum(summary.get(metric, s, target).mean for s, _ in shown)
            ax.plot(x, outside, color=OUTSIDE_COLOUR, linewidth=1.4, linestyle="--")
            labels.append((outside[-1], "outside (mean)", OUTSIDE_COLOUR))
            top = float(outside.max())
    time_axis(ax, summary.dates)
    if metric == "influence":  # fit the axis to the data, never beyond 1
        top = max([top] + [summary.get(metric, *pair).p95.max() for pair in shown])
        ylim = (0.0, min(1.0, max(0.2, round(top * 1.15 + 0.05, 1))))
    ax.set_ylim(*ylim)
    gap = 0.055 * (ylim[1] - ylim[0])
    for y, (_, text, colour) in zip(_spread([v for v, _, _ in labels], gap, ylim[1]), labels, strict=True):
        ax.text(1.01, y, text, transform=ax.get_yaxis_transform(), fontsize=8, color=colour, va="center")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.subplots_adjust(bottom=0.18, right=0.82)
    _caption(fig, summary, seed)
    return fig


def series_chart(summary: Summary, keys: list[tuple[str, str, str]], seed: int | None = None) -> Figure:
    """Median and 5-95% band of any named series, one line each (``result.plot``, Mesa's SolaraViz)."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = range(len(summary.dates))
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for key, colour in zip(keys, itertools.cycle(palette)):
        stats = summary.get(*key)
        ax.fill_between(x, stats.p05, stats.p95, color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, stats.p50, color=colour, linewidth=1.8, label=describe(*key))
    time_axis(ax, summary.dates)
    ax.legend(fontsize=8, loc="best")
    fig.subplots_adjust(bottom=0.18)
    fig.text(0.01, 0.01, f"scenario: {summary.scenario}{f' · seed {seed}' if seed is not None else ''} · "
             f"{summary.n_replicates} replicates · line: median, band: 5-95% of replicates", fontsize=7, color="#555")
    return fig


def context_chart(summary: Summary, state: str, seed: int) -> Figure:
    """Threat, stability, Western presence and sanctions in one state."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = range(len(summary.dates))
    labels = []
    for metric, colour in (("threat", "#d55e00"), ("stability", "#009e73"),
                           ("western_presence", "#0072b2"), ("sanctions", "#cc79a7")):  # Okabe-Ito
        if not summary.has(metric, state):
            continue
        stats = summary.get(metric, state)
        ax.fill_between(x, stats.p05, stats.p95, color=colour, alpha=0.15, linewidth=0)
        ax.plot(x, stats.p50, color=colour, linewidth=1.8)
        labels.append((stats.p50[-1], metric.replace("_", " "), colour))
    time_axis(ax, summary.dates)
    ax.set_ylim(0, 1)
    for y, (_, text, colour) in zip(_spread([v for v, _, _ in labels], 0.06, 1.0), labels, strict=True):
        ax.text(1.01, y, text, transform=ax.get_yaxis_transform(), fontsize=8, color=colour, va="center")
    ax.set_ylabel("level (0 = none, 1 = maximal)")
    ax.set_title(f"Context in {ACTOR_LABELS[state]}")
    fig.subplots_adjust(bottom=0.18, right=0.82)
    _caption(fig, summary, seed)
    return fig


def standard_figures(summary: Summary, seed: int) -> dict[str, Figure]:
    """The run folder's plots: influence on every state, Mali's relations, context."""
    figures = {}
    present = {(metric, source, target) for metric, source, target in summary.series}
    for target in ACTORS:
        sources = [(s, target) for s in ACTORS if s != target and ("influence", s, target) in present]
        if not sources:
            continue
        figures[f"influence_on_{target}"] = fan_chart(
            summary, "influence", sources, f"Influence on {ACTOR_LABELS[target]} by actor",
            "influence (share of all pull, 0-1)", seed, (0, 1),
        )
    for state in FOCUS_STATES:
        others = [(state, o) for o in ACTORS if o != state and ("relation", state, o) in present]
        if others:
            figures[f"relations_of_{state}"] = fan_chart(
                summary, "relation", others, f"{ACTOR_LABELS[state]}'s attitude towards each actor",
                "relation (-1 hostile, +1 close)", seed, (-1, 1),
            )
        if any((m, state, "") in present for m in ("threat", "stability", "western_presence", "sanctions")):
            figures[f"context_{state}"] = context_chart(summary, state, seed)
    if any(metric == "decision" for metric, _, _ in summary.series):
        figures["decisions"] = decisions_chart(summary, seed)
    return figures


def _spread(values: list[float], gap: float, top: float | None = None) -> list[float]:
    """Label heights near ``values`` but at least ``gap`` apart (direct labels that do not overlap),
    pushed up from the lowest and, if that passes ``top``, shifted down together."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = list(values)
    for previous, current in itertools.pairwise(order):
        out[current] = max(values[current], out[previous] + gap)
    if top is not None and out and max(out) > top:
        excess = max(out) - top
        out = [v - excess for v in out]
    return out


DECISION_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")  # Okabe-Ito
DECISION_STYLES = ("-", "--", ":", "-.")
THROUGHOUT_COLOUR = "#999999"


def line_styles(n: int) -> list[tuple[str, str]]:
    """``n`` (colour, linestyle) pairs, no two alike up to len(colours) x len(styles) (28) lines:
    every colour solid first, then every colour dashed, ... (so a legend can tell lines apart
    however many rules fire)."""
    colours, styles = DECISION_COLOURS, DECISION_STYLES
    return [(colours[k % len(colours)], styles[k // len(colours) % len(styles)]) for k in range(n)]


def decisions_chart(summary: Summary, seed: int) -> Figure:
    """Institutions in force and decisions taken, as shares of replicates by month (summary means).

    Each line has its own colour and linestyle and is named in a legend beside its panel, most
    likely first; decisions read as in the console and the report (sim.report.decisions).
    Institutions in force in every replicate all run long are one grey line, not lines hidden
    under each other."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    x = np.arange(len(summary.dates))
    institutions, throughout = [], []
    for metric, holder, name in summary.series:
        if metric != "institution":
            continue
        share = summary.get(metric, holder, name).mean
        label = f"{ACTOR_LABELS[holder]}: {words(name)}"
        if share.min() >= 1:
            throughout.append(label)
        elif share.max() > 0:
            institutions.append((-share[-1], label, share))
    institutions.sort(key=lambda row: row[:2])
    lines = [(f"{label} {percent(share[-1])}", share) for _, label, share in institutions]
    if throughout:
        top.plot(x, np.ones(len(x)), color=THROUGHOUT_COLOUR, linewidth=3, alpha=0.6,
                 label="\n".join(["in force throughout, every replicate:", *throughout]))
    taken = decisions_taken(summary)
    decisions = [(f"{d.label}: {percent(d.probability)}, median {d.median_month}",
                  summary.get("decision", d.actor, d.rule).mean) for d in taken]
    for ax, drawn, empty, ylabel in (
            (top, lines, "no institution in force", "share of replicates in force"),
            (bottom, decisions, "no decision taken in any replicate", "probability it has been taken")):
        for (label, share), (colour, style) in zip(drawn, line_styles(len(drawn)), strict=True):
            ax.plot(x, share, color=colour, linewidth=1.8, linestyle=style, label=label)
        if ax.get_lines():
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False,
                      handlelength=3.2, borderaxespad=0)
        else:
            ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", color="#555")
        ax.set_ylim(-0.02, 1.05)
        ax.set_ylabel(ylabel)
        time_axis(ax, summary.dates)
    top.set_xlabel("")
    top.set_title("Institutions in force (share of replicates)", fontsize=10, loc="left")
    bottom.set_title("Decisions taken: probability by month (legend: by the end, and the median month of those "
                     "that took it)", fontsize=10, loc="left")
    fig.subplots_adjust(left=0.07, bottom=0.09, right=0.6, top=0.95, hspace=0.22)
    fig.text(0.01, 0.01, f"scenario: {summary.scenario} · seed {seed} · {summary.n_replicates} replicates · "
             "line: share of replicates, by month", fontsize=7, color="#555")
    return fig


SCENARIO_COLOURS = {"baseline": "#0072b2", "whatif": "#e69f00"}  # Okabe-Ito blue and orange
UNITS = {"influence": "influence (share of all pull on the state, 0-1)", "relation": "attitude (-1 hostile, +1 close)",
         "institution": "share of replicates in force", "decision": "share of replicates where it has happened"}


def levels_chart(comparison, key: tuple[str, str, str], title: str, window: tuple[str, str] | None,
                 seed: int) -> Figure:
    """Baseline and what-if levels of one series, medians with 5-95% bands, the question's window shaded."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = np.arange(len(comparison.baseline.dates))
    ends = []
    for name, summary in (("baseline", comparison.baseline), ("whatif", comparison.whatif)):
        stats = summary.get(*key)
        colour = SCENARIO_COLOURS[name]
        column = "mean" if key[0] in ("institution", "decision") else "p50"  # shares are means, levels medians
        ax.fill_between(x, stats.p05, stats.p95, color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, stats[column], color=colour, linewidth=2)
        ends.append((stats[column][-1], summary.scenario, colour))
    if window:
        dates = comparison.baseline.dates
        ax.axvspan(dates.index(window[0]), dates.index(window[1]), color="#999", alpha=0.12, linewidth=0)
        ax.text(dates.index(window[0]), 1.0, " question window", transform=ax.get_xaxis_transform(), fontsize=7,
                va="top", color="#555")
    time_axis(ax, comparison.baseline.dates)
    low, high = ax.get_ylim()
    for y, (_, text, colour) in zip(_spread([v for v, _, _ in ends], 0.06 * (high - low), high), ends, strict=True):
        ax.text(1.01, y, text, transform=ax.get_yaxis_transform(), color=colour, fontsize=8, va="center")
    ax.set_ylabel(UNITS.get(key[0], "level (0-1)"))
    ax.set_title(title)
    fig.subplots_adjust(bottom=0.18, right=0.82)
    fig.text(0.01, 0.01, f"seed {seed} · {comparison.baseline.n_replicates} paired replicates · line: median "
             "(share for 0/1 series), band: 5-95% of replicates", fontsize=7, color="#555")
    return fig


def save_figures(figures: dict[str, Figure], folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for name, fig in figures.items():
        fig.savefig(folder / f"{name}.png", dpi=110)
        plt.close(fig)
        names.append(f"plots/{name}.png")
    return names


MIN_DIFFERENCE_SCALE = 0.02  # the y-axis of a difference chart spans at least +/- this, so -0.004 looks small


def difference_chart(difference: Summary, target: str, seed: int) -> Figure:
    """What-if minus baseline for every actor's influence on ``target``: mean and 5-95% band.

    The axis is symmetric and never narrower than +/- MIN_DIFFERENCE_SCALE (two points of share),
    so a tiny effect is drawn as tiny.
    """
    fig, ax = plt.subplots(figsize=(8, 4.5))
    x = range(len(difference.dates))
    labels, extent = [], MIN_DIFFERENCE_SCALE
    for source in ACTORS:
        if source == target or not difference.has("influence", source, target):
            continue
        stats = difference.get("influence", source, target)
        colour = COLOURS[source]
        ax.fill_between(x, stats.p05, stats.p95, color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, stats.mean, color=colour, linewidth=1.8)
        labels.append((stats.mean[-1], ACTOR_LABELS[source], colour))
        extent = max(extent, 1.1 * float(np.abs(np.stack([stats.p05, stats.p95])).max()))
    ax.axhline(0, color="#333", linewidth=0.8)
    time_axis(ax, difference.dates)
    ax.set_ylim(-extent, extent)
    for y, (_, text, colour) in zip(_spread([v for v, _, _ in labels], 0.1 * extent, extent), labels, strict=True):
        ax.text(1.01, y, text, transform=ax.get_yaxis_transform(), fontsize=8, color=colour, va="center")
    ax.set_ylabel("difference in influence share (what-if minus baseline)")
    ax.set_title(f"Effect on influence over {ACTOR_LABELS[target]}")
    fig.subplots_adjust(bottom=0.18, right=0.84)
    fig.text(0.01, 0.01, f"{difference.scenario} · seed {seed} · {difference.n_replicates} paired replicates · "
             "line: mean difference, band: 5-95% of paired differences", fontsize=7, color="#555")
    return fig


def options_chart(comparisons, outcome: tuple[str, str, str], title: str, seed: int) -> Figure:
    """Each option minus the baseline on one outcome, by month: mean and 5-95% band, one colour and
    line style per option, the end labelled, so options can be told apart and ranked by eye."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = list(itertools.product(("-", "--", ":", "-."), DECISION_COLOURS))
    extent, labels = MIN_DIFFERENCE_SCALE, []
    for k, comparison in enumerate(comparisons):
        stats = comparison.difference.get(*outcome)
        style, colour = styles[k % len(styles)]
        x = range(len(comparison.difference.dates))
        ax.fill_between(x, stats.p05, stats.p95, color=colour, alpha=0.12, linewidth=0)
        ax.plot(x, stats.mean, color=colour, linestyle=style, linewidth=1.8)
        labels.append((stats.mean[-1], comparison.whatif.scenario, colour))
        extent = max(extent, 1.1 * float(np.abs(np.stack([stats.p05, stats.p95])).max()))
    ax.axhline(0, color="#333", linewidth=0.8)
    time_axis(ax, comparisons[0].difference.dates)
    ax.set_ylim(-extent, extent)
    for y, (_, text, colour) in zip(_spread([v for v, _, _ in labels], 0.1 * extent, extent), labels, strict=True):
        ax.text(1.01, y, text, transform=ax.get_yaxis_transform(), fontsize=8, color=colour, va="center")
    ax.set_ylabel("option minus baseline")
    ax.set_title(title)
    fig.subplots_adjust(bottom=0.18, right=0.78)
    fig.text(0.01, 0.01, f"against {comparisons[0].baseline.scenario} · seed {seed} · "
             f"{comparisons[0].difference.n_replicates} paired replicates per option · line: mean difference, "
             "band: 5-95%", fontsize=7, color="#555")
    return fig


def contribution_chart(contributions: list, outcome: tuple[str, str, str], title: str,
                       when: str = "the end of the run") -> Figure:
    """Horizontal bars: each component's contribution to one outcome, with its 90% interval."""
    rows = [c for c in contributions if c.outcome == outcome]
    rows.sort(key=lambda c: abs(c.mean))
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.35 * len(rows) + 1.2)))
    y = range(len(rows))
    colours = ["#888" if c.component in ("interaction remainder", "total effect") else
               ("#2e7d32" if c.mean >= 0 else "#c62828") for c in rows]
    ax.barh(list(y), [c.mean for c in rows], color=colours,
            xerr=[[c.mean - c.low for c in rows], [c.high - c.mean for c in rows]], ecolor="#555", capsize=2)
    ax.set_yticks(list(y), [c.component for c in rows], fontsize=7)
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_xlabel(f"contribution at {when} (error bar: 5-95% of paired differences)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def sweep_chart(values: np.ndarray, points: np.ndarray, factor_names: list[str], outcome: str,
                factor_index: int) -> Figure:
    """One outcome against one varied factor: each point's mean, with its 5-95% range."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    x = points[:, factor_index]
    mean = values.mean(axis=1)
    low, high = np.quantile(values, [0.05, 0.95], axis=1)
    ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="o", markersize=3, alpha=0.7, color="#1f4e9c",
                ecolor="#9bb0d6", capsize=2)
    ax.set_xlabel(factor_names[factor_index])
    ax.set_ylabel(outcome)
    ax.set_title(f"{outcome} against {factor_names[factor_index]}", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def sensitivity_chart(result, outcome_index: int = 0, top: int = 20) -> Figure:
    """Bars of total (and first-order) Sobol' indices, or Morris mu*, with confidence intervals."""
    ranking = result.ranking(outcome_index)[:top]
    names = [name for name, _ in ranking][::-1]
    index = {name: i for i, name in enumerate(result.names)}
    res = result.indices[outcome_index]
    fig, ax = plt.subplots(figsize=(8, max(3, 0.3 * len(names) + 1.2)))
    y = range(len(names))
    if result.method == "sobol":
        ax.barh([v + 0.2 for v in y], [res["ST"][index[n]] for n in names], height=0.4, label="total (ST)",
                xerr=[res["ST_conf"][index[n]] for n in names], color="#1f4e9c", ecolor="#555")
        ax.barh([v - 0.2 for v in y], [res["S1"][index[n]] for n in names], height=0.4, label="first order (S1)",
                xerr=[res["S1_conf"][index[n]] for n in names], color="#9bb0d6", ecolor="#555")
        ax.set_xlabel("Sobol' index (95% confidence)")
    else:
        ax.barh(list(y), [res["mu_star"][index[n]] for n in names], xerr=[res["mu_star_conf"][index[n]] for n in names],
                color="#1f4e9c", ecolor="#555", label="mu*")
        ax.set_xlabel("Morris mu* (95% confidence)")
    ax.set_yticks(list(y), names, fontsize=7)
    ax.set_title(f"Sensitivity of {result.outcomes[outcome_index]}", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def calibration_chart(result, targets) -> Figure:
    """Each target's ensemble mean before and after calibration, against its allowed range."""
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(targets) + 1.5))
    for j, t in enumerate(targets):
        low = t.low if np.isfinite(t.low) else min(result.default_means[j], result.best_means[j]) - 0.1
        high = t.high if np.isfinite(t.high) else max(result.default_means[j], result.best_means[j]) + 0.1
        ax.plot([low, high], [j, j], color="#2e7d32", linewidth=6, alpha=0.3, solid_capstyle="butt")
        ax.plot(result.default_means[j], j, "o", color="#888", label="before" if j == 0 else None)
        ax.plot(result.best_means[j], j, "D", color="#1f4e9c", label="after" if j == 0 else None)
    ax.set_yticks(range(len(targets)), [t.id for t in targets], fontsize=8)
    ax.set_xlabel("ensemble mean of the target's outcome (green: allowed range)")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def posterior_chart(result) -> Figure:
    """Histograms of the ABC posterior over each calibrated parameter's prior range."""
    d = len(result.factors)
    fig, axes = plt.subplots(1, d, figsize=(min(3 * d, 12), 2.8), squeeze=False)
    for i, factor in enumerate(result.factors):
        ax = axes[0, i]
        ax.hist(result.posterior[:, i], bins=15, range=(factor.low, factor.high), color="#1f4e9c", alpha=0.8)
        ax.set_title(factor.name, fontsize=7)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig
