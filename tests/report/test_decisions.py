"""Decisions as probabilities with dates (issue #27 item 7): the numbers, the words, the table, the plot.

Synthetic ensembles with known firing months, so each probability and median month is known
exactly; the compare report's table is checked on a real comparison.
"""

from dataclasses import replace

import numpy as np
import pytest

from sim.analysis.compare import compare_scenarios, largest_effects
from sim.engine.summary import summarise
from sim.model.trajectories import SeriesLayout, Trajectories
from sim.report.decisions import NOT_TAKEN, decision_changes, decision_label, decisions_taken
from sim.report.document import decision_blocks, report_sections, to_markdown
from sim.report.prose import decision_text, decisions_line, points
from sim.scenario.loader import load_scenario
from tests.conftest import SCENARIOS

DATES = (*(f"2022-{m:02d}" for m in range(1, 13)), "2023-01")
N = 10


def ensemble(firing: dict[tuple[str, str], list[int]], institutions: dict[tuple[str, str], float] | None = None,
             name: str = "synthetic") -> Trajectories:
    """``firing[(actor, rule)]``: the month index at which each replicate that takes the rule takes it
    (the rest never do); ``institutions``: a constant share of replicates in force."""
    keys = [("decision", actor, rule) for actor, rule in firing]
    keys += [("institution", holder, name) for holder, name in (institutions or {})]
    values = np.zeros((N, len(DATES), len(keys)))
    for s, months in enumerate(firing.values()):
        for r, month in enumerate(months):
            values[r, month:, s] = 1.0  # 0 until the rule fires, then 1 for good (sim/model/agents.py)
    for s, share in enumerate((institutions or {}).values(), start=len(firing)):
        values[: round(share * N), :, s] = 1.0
    return Trajectories(name, DATES, np.arange(N), SeriesLayout(tuple(keys)), values)


FIRING = {
    ("mali", "mali_joins_atlantic_initiative"): [2, 3, 3, 5, 9],  # 5 of 10; median of those: the 3rd, month 3
    ("russia", "russia_reinforces_in_mali"): [7, 1, 6],  # 3 of 10, median month 6
    ("algeria", "algeria_withdraws_mediation"): [9, 1, 8, 2],  # 4 of 10: the month by which 2 had, month 2
    ("mali", "mali_leaves_ecowas"): [],  # never
}


@pytest.mark.parametrize("exact_limit", [2_000, 1])  # exact summaries and streamed histograms alike
def test_probability_by_the_end_and_median_month(exact_limit):
    summary = summarise(ensemble(FIRING), exact_limit=exact_limit)
    taken = decisions_taken(summary)
    assert [(d.actor, d.rule, d.probability, d.median_month, d.taken) for d in taken] == [
        ("mali", "mali_joins_atlantic_initiative", 0.5, DATES[3], 5),
        ("algeria", "algeria_withdraws_mediation", 0.4, DATES[2], 4),
        ("russia", "russia_reinforces_in_mali", 0.3, DATES[6], 3),
    ]
    without_counts = decisions_taken(replace(summary, positive=None))  # e.g. a summary read from summary.csv
    assert without_counts == taken


def test_the_console_line_and_labels_read_as_english():
    summary = summarise(ensemble(FIRING))
    assert decision_label("mali", "mali_joins_atlantic_initiative") == "Mali joins Atlantic initiative"
    assert decision_label("russia", "russia_reinforces_in_mali") == "Russia reinforces in Mali"
    assert decision_label("mali", "leave_ecowas") == "Mali: leave ECOWAS"
    assert decision_text(decisions_taken(summary)[0]) == ("Mali joins Atlantic initiative: probability 50%, "
                                                          "median month 2022-04")
    line = decisions_line(summary)
    assert line.startswith("Decisions taken by 2023-01 (probability = share of replicates; median month among the "
                           "replicates that took it): Mali joins Atlantic initiative: probability 50%, median month "
                           "2022-04; Algeria withdraws mediation: probability 40%, median month 2022-03; ")
    assert "ECOWAS" not in line  # a rule no replicate took is not listed
    assert decisions_line(summarise(ensemble({("mali", "mali_leaves_ecowas"): []}))) is None


def test_sim_run_prints_the_same_line():
    from sim.cli.commands.run import headline

    summary = summarise(ensemble(FIRING))
    assert headline(summary) == [decisions_line(summary)]  # no influence series here: the decisions line alone


def test_the_report_table_of_one_run():
    blocks = decision_blocks(summarise(ensemble(FIRING)))
    table = next(value for kind, value in blocks if kind == "table")
    assert blocks[0] == ("h2", "Decisions")
    assert table[0] == ["rule", "actor", "probability by 2023-01", "median month"]
    assert table[1:] == [["Mali joins Atlantic initiative", "Mali", "50%", "2022-04"],
                         ["Algeria withdraws mediation", "Algeria", "40%", "2022-03"],
                         ["Russia reinforces in Mali", "Russia", "30%", "2022-07"]]
    assert "| Mali joins Atlantic initiative | Mali | 50% | 2022-04 |" in to_markdown(blocks)
    nothing = decision_blocks(summarise(ensemble({("mali", "mali_leaves_ecowas"): []})))
    assert nothing == [("h2", "Decisions"), ("p", "No actor took a decision in any replicate.")]


def test_the_compare_table_has_both_scenarios_and_the_difference():
    whatif = {**FIRING, ("mali", "mali_joins_atlantic_initiative"): [1, 1, 2, 2, 3, 4, 4, 6],  # 8 of 10, month 2
              ("russia", "russia_reinforces_in_mali"): [], ("mali", "mali_leaves_ecowas"): [11]}
    base, what = summarise(ensemble(FIRING)), summarise(ensemble(whatif, name="whatif"))
    changes = decision_changes(base, what)
    assert [(c.rule, round(c.difference, 12)) for c in changes] == [
        ("mali_joins_atlantic_initiative", 0.3), ("russia_reinforces_in_mali", -0.3),
        ("mali_leaves_ecowas", 0.1), ("algeria_withdraws_mediation", 0.0)]
    table = next(value for kind, value in decision_blocks(base, what) if kind == "table")
    assert table[0] == ["rule", "actor", "probability by 2023-01: baseline", "probability: what-if",
                        "difference (percentage points)", "median month: baseline", "median month: what-if"]
    assert table[1:] == [
        ["Mali joins Atlantic initiative", "Mali", "50%", "80%", "+30", "2022-04", "2022-03"],
        ["Russia reinforces in Mali", "Russia", "30%", "0%", "-30", "2022-07", NOT_TAKEN],
        ["Mali leaves ECOWAS", "Mali", "0%", "10%", "+10", NOT_TAKEN, "2022-12"],
        ["Algeria withdraws mediation", "Algeria", "40%", "40%", "0", "2022-03", "2022-03"],
    ]
    assert [points(x) for x in (0.0, 0.004, -0.0005, 0.123)] == ["0", "+0.4", "-0.05", "+12"]


def test_the_compare_report_lists_the_decisions_of_a_real_comparison():
    baseline = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=24"])
    whatif = load_scenario(SCENARIOS / "russia_withdraws.yaml", ["horizon=24"])
    comparison = compare_scenarios(baseline, whatif, 40, seed=3)
    changes = decision_changes(comparison.baseline, comparison.whatif)
    assert changes, "no decision taken in 24 months of either scenario: the table went untested"
    blocks = report_sections(comparison, "", largest_effects(comparison), [], [], {"replicates": 40, "seed": 3})
    assert ("h2", "Decisions") in blocks
    report = to_markdown(blocks)
    assert "| rule | actor | probability by 2024-01: baseline | probability: what-if |" in report
    for change in changes:  # every rule taken in either scenario, with its numbers
        before = change.baseline.probability if change.baseline else 0.0
        assert f"| {change.label} | " in report
        series = comparison.baseline.get("decision", change.actor, change.rule).mean
        assert before == pytest.approx(series[-1])


def test_the_decisions_plot_tells_every_line_apart():
    from sim.report.plots import decisions_chart, line_styles

    many = {("mali", f"mali_rule_{k}"): [k] * (k % 10 + 1) for k in range(12)}  # twelve rules fire
    summary = summarise(ensemble(many, {("mali", "ecowas"): 1.0, ("mali", "g5_sahel"): 1.0,
                                        ("mali", "atlantic_initiative"): 0.3}))
    fig = decisions_chart(summary, seed=1)
    top, bottom = fig.axes
    lines = bottom.get_lines()
    assert len(lines) == 12
    styles = [(line.get_color(), line.get_linestyle()) for line in lines]
    assert len(set(styles)) == len(styles), styles
    labels = [text.get_text() for text in bottom.get_legend().get_texts()]
    assert labels[0] == "Mali rule 9: 100%, median 2022-10"  # most probable first, read as in the report
    assert len(labels) == 12
    # the institutions always in force are one grey line, named in the legend, not lines hidden under each other
    top_labels = [text.get_text() for text in top.get_legend().get_texts()]
    assert top_labels == ["in force throughout, every replicate:\nMali: ECOWAS\nMali: G5 Sahel",
                          "Mali: Atlantic initiative 30%"]
    assert len(set(line_styles(28))) == 28
