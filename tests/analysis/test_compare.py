import re

import numpy as np
import pytest

from sim.analysis.compare import compare_run_folders, compare_scenarios, largest_effects
from sim.analysis.explain import components, explain
from sim.cli.dispatch import main
from sim.report.prose import effect_sentence
from sim.scenario.loader import load_scenario
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml", ["horizon=24"])


def test_compare_with_itself_is_exactly_zero(baseline):
    comparison = compare_scenarios(baseline, baseline, 50, seed=3, chunk_size=17)
    assert np.array_equal(comparison.difference.stats, np.zeros_like(comparison.difference.stats))
    assert largest_effects(comparison) == []


def test_known_deterministic_effect_is_covered(baseline, tmp_path):
    """A lever fixed higher with nothing random about the change: every paired difference has
    the effect's sign, and the interval brackets the mean."""
    whatif = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=24", "levers.morocco.security_cooperation=1.0",
                                                         "name=more_far"])
    comparison = compare_scenarios(baseline, whatif, 60, seed=3)
    key = ("influence", "morocco", "mali")
    stats = comparison.difference.get(*key)
    mean, p05, p95 = stats.mean[-1], stats.p05[-1], stats.p95[-1]
    assert mean > 0.01 and p05 > 0 and p05 <= mean <= p95
    assert comparison.difference.positive[-1, comparison.series.series.index(key)] == 1
    effects = {(e.metric, e.source, e.target): e for e in largest_effects(comparison, families=((("influence",), 5),))}
    assert key in effects and ("influence", "morocco", "mauritania") in effects  # the lever targets both
    sentence = effect_sentence(effects[key])
    assert "Morocco's influence on Mali is" in sentence and "higher" in sentence and "in the baseline" in sentence


def test_largest_effects_look_over_the_whole_run_and_never_print_zero(baseline):
    """Sanctions lifted at once: the report must find the effect on Mali's attitude to ECOWAS at
    the month where it is largest relative to the baseline's spread, with its real size, not at
    the end of the run (model v4: the effect builds up through the attitude gate and legacy)."""
    import numpy as np

    from sim.analysis.compare import MIN_SPREAD
    from sim.report.prose import number

    whatif = load_scenario(SCENARIOS / "ecowas_early_lift.yaml", ["horizon=24"])
    comparison = compare_scenarios(baseline, whatif, 40, seed=3)
    effects = largest_effects(comparison)
    relation = next(e for e in effects if e.metric == "relation")
    # Mali's attitude to ECOWAS, or ECOWAS's to Mali (the baseline's settlement moves both)
    assert {relation.source, relation.target} == {"mali", "ecowas"}
    s = comparison.difference.series.series.index(("relation", relation.source, relation.target))
    b = comparison.baseline
    size = np.abs(comparison.difference["mean"][:, s]) / np.maximum(b["p95"][:, s] - b["p05"][:, s], MIN_SPREAD)
    assert relation.date == comparison.difference.dates[int(np.argmax(size))]
    assert relation.mean == comparison.difference["mean"][int(np.argmax(size)), s]
    assert {e.metric for e in effects} >= {"influence", "relation"}
    for e in effects:
        text = effect_sentence(e)
        assert " is 0 " not in text and not re.search(r"\b0\.00(?!\d)", text), text
    assert number(0.0036) == "0.0036" and number(0.036) == "0.036" and number(-0.36, signed=True) == "-0.36"
    assert number(4.2e-6) == "4.2e-06" and number(0.0) == "0"


def test_question_is_answered_with_levels_difference_and_threshold(baseline, tmp_path):
    path = tmp_path / "early.yaml"
    path.write_text("extends: ecowas_early_lift\nname: early_q\nhorizon: 24\nquestion:\n"
                    "  text: Does lifting at once help ECOWAS in Bamako in 2022?\n"
                    "  outcomes: [relation.mali.ecowas, influence.ecowas.mali]\n  window: 2022-03..2022-09\n"
                    "  threshold: relation.mali.ecowas < 0.16\n")  # v4: bounded attitudes dip less
    whatif = load_scenario(path)
    comparison = compare_scenarios(baseline, whatif, 40, seed=3)
    answer = comparison.answer
    assert (answer.first, answer.last) == ("2022-03", "2022-09")
    attitude = answer.series[0]
    assert attitude.series == ("relation", "mali", "ecowas")
    # v4: bounded attitudes; the baseline's settlement (+0.05 when ECOWAS lifts) narrows the gap
    assert attitude.difference.mean > 0.02 and attitude.difference.low > 0 and attitude.p_higher > 0.9
    assert attitude.whatif.mean > attitude.baseline.mean
    assert answer.threshold.baseline_at_end > answer.threshold.whatif_at_end  # the dip below 0.1 is avoided
    from sim.report.document import answer_sentences

    sentences = answer_sentences(answer)
    assert "mean over 2022-03 to 2022-09: baseline" in sentences[0] and "higher" in sentences[0]
    assert "holds in 2022-09" in sentences[-1]


def test_ablation_of_a_lever_that_does_nothing_is_zero():
    """Morocco's ECOWAS bid held at zero: switching it off changes nothing, exactly."""
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=12", "levers.morocco.ecowas_bid=0"])
    assert "levers.morocco.ecowas_bid" in {c.label for c in components(scenario)}
    result = explain(scenario, [("influence", "russia", "mali")], n_replicates=10, seed=1)
    idle = next(c for c in result if c.component == "levers.morocco.ecowas_bid")
    assert idle.mean == 0 and idle.low == 0 and idle.high == 0
    busy = next(c for c in result if c.component == "levers.russia.pmc_counterterrorism")
    assert busy.mean > 0


def test_identical_scenarios_have_nothing_to_explain():
    a = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=1"])
    assert components(a, load_scenario(SCENARIOS / "baseline.yaml", ["horizon=1"])) == []


def test_explain_attributes_to_the_changed_event(baseline):
    whatif = load_scenario(SCENARIOS / "russia_withdraws.yaml", ["horizon=24"])
    result = explain(whatif, [("influence", "russia", "mali")], against=baseline, n_replicates=30, seed=2)
    by_name = {c.component: c for c in result}
    assert by_name["events.pmc_withdrawal"].mean < -0.01 and by_name["events.pmc_withdrawal"].high < 0
    assert by_name["events.pmc_withdrawal"].mean == pytest.approx(by_name["total effect"].mean)
    assert by_name["interaction remainder"].mean == pytest.approx(0, abs=1e-12)


def test_compare_cli_writes_report_and_folders_can_be_compared(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", str(SCENARIOS / "baseline.yaml"), str(SCENARIOS / "russia_withdraws.yaml"),
                 "--replicates", "20", "--out", str(out)])
    assert code == 0
    for name in ("effects.csv", "report.md", "report.html", "explain.csv", "plots/difference_influence_on_mali.png"):
        assert (out / name).exists(), name
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "Russia's influence on Mali is" in html
    report = (out / "report.md").read_text()
    assert "Question." in report
    # each decision taken in either scenario: its probability in each, the difference and its median months
    assert "## Decisions" in report and "| rule | actor | probability by " in report
    assert "median month: what-if" in report
    assert "<h2>Decisions</h2>" in html
    runs = []
    for name, scenario in (("a", "baseline.yaml"), ("b", "russia_withdraws.yaml")):
        assert main(["run", str(SCENARIOS / scenario), "--replicates", "8", "--seed", "4",
                     "--set", "horizon=24", "--out", str(tmp_path / name)]) == 0
        runs.append(tmp_path / name)
    folders = compare_run_folders(*runs)
    assert folders.warnings == ()
    effect = folders.difference.get("influence", "russia", "mali").mean[-1]
    assert effect < 0
    capsys.readouterr()


def test_compare_refuses_mixed_arguments(tmp_path, capsys):
    assert main(["compare", str(SCENARIOS / "baseline.yaml"), str(tmp_path)]) == 2


def test_blocks_equal_separate_runs():
    """Ablation variants batched as replicate blocks give exactly the separate runs' numbers."""
    from sim.engine.runner import run, run_blocks

    base = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=12"])
    variants = [base,
                load_scenario(SCENARIOS / "baseline.yaml", ["horizon=12", "levers.russia.pmc_counterterrorism=0"]),
                load_scenario(SCENARIOS / "convoy_attacks.yaml", ["horizon=12"])]
    blocks = run_blocks(variants, 5, seed=9)
    for variant, block in zip(variants, blocks, strict=True):
        np.testing.assert_array_equal(block.values, run(variant, 5, 9).values)


def test_explain_shows_budget_crowding_as_its_own_line(tmp_path, baseline):
    """Reallocate: a pinned lever is paid for by its siblings. The lever is credited with what it
    does (measured with the budget extended); what the siblings lost is a separate line."""
    import shutil

    shutil.copy(SCENARIOS / "baseline.yaml", tmp_path / "baseline.yaml")
    shutil.copytree(SCENARIOS / "parts", tmp_path / "parts")
    path = tmp_path / "invest.yaml"
    path.write_text("extends: baseline.yaml\nname: invest\nhorizon: 36\n"
                    "actors:\n  morocco: {budget_policy: reallocate}\n"
                    "levers:\n  morocco: {investment: 1.0}\n")
    whatif = load_scenario(path)
    against = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=36"])
    result = explain(whatif, [("influence", "morocco", "mali")], against=against, n_replicates=20, seed=4)
    by_name = {c.component: c for c in result}
    assert set(by_name) == {"levers.morocco.investment", "budget crowding (morocco)", "interaction remainder",
                            "total effect"}
    assert by_name["levers.morocco.investment"].low > 0  # credited with what it does
    assert by_name["budget crowding (morocco)"].high < 0  # siblings cut to pay for it
    total = by_name["total effect"].mean
    parts = by_name["levers.morocco.investment"].mean + by_name["budget crowding (morocco)"].mean
    assert by_name["interaction remainder"].mean == pytest.approx(total - parts, abs=1e-12)
    assert abs(by_name["interaction remainder"].mean) < 0.2 * abs(by_name["levers.morocco.investment"].mean)


def test_compare_warns_about_an_unrenamed_copy_and_identical_scenarios(tmp_path):
    from sim.analysis.compare import compare_scenarios

    (tmp_path / "copy.yaml").write_text("extends: baseline\nhorizon: 6\n")
    copy = load_scenario(tmp_path / "copy.yaml")
    base = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=6"])
    warnings = compare_scenarios(base, copy, 4, 1).warnings
    assert any("both scenarios are named 'baseline'" in w for w in warnings)
    assert any("identical" in w for w in warnings)


def test_compare_of_run_folders_says_how_many_replicates_it_uses(tmp_path):
    from sim.analysis.compare import compare_run_folders

    folders = []
    for name, extra in (("a", []), ("b", ["--set", "levers.morocco.investment=1"])):
        folder = tmp_path / name
        assert main(["run", str(SCENARIOS / "baseline.yaml"), "--replicates", "105", "--set", "horizon=3",
                     "--out", str(folder), *extra]) == 0
        folders.append(folder)
    warnings = compare_run_folders(*folders).warnings
    assert any("only 100 of 105 replicates are compared" in w for w in warnings), warnings


def test_explain_marks_what_the_what_if_inherits_from_its_parent(tmp_path):
    """A what-if built on another what-if: the parent's change is labelled as inherited."""
    (tmp_path / "more.yaml").write_text("extends: russia_withdraws\nname: more\nhorizon: 24\n"
                                        "levers:\n  morocco: {security_cooperation: 0.8}\n")
    whatif = load_scenario(tmp_path / "more.yaml")
    against = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=24"])
    parts = {c.label: c for c in components(whatif, against)}
    assert set(parts) == {"levers.morocco.security_cooperation", "inherited from russia_withdraws"}
    assert "events.pmc_withdrawal" in parts["inherited from russia_withdraws"].evidence
    result = explain(whatif, [("influence", "russia", "mali")], against=against, n_replicates=12, seed=2)
    by_name = {c.component: c for c in result}
    assert by_name["inherited from russia_withdraws"].mean < -0.005  # the parent's contractors leave
    total, remainder = by_name["total effect"].mean, by_name["interaction remainder"].mean
    assert abs(remainder) < 0.2 * abs(total)  # the lines add up


def test_question_errors_are_located_and_a_nan_threshold_is_not_a_number(tmp_path):
    from sim.errors import InputError

    path = tmp_path / "q.yaml"
    path.write_text("extends: baseline\nname: q\nquestion:\n  outcomes: [influence.morocco.mal]\n"
                    "  window: 2030-01..2031-01\n  threshold: relation.mali.ecowas < nan\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    messages = [str(p) for p in caught.value.problems]
    assert any(":4:" in m and "unknown actor 'mal'" in m for m in messages), messages
    assert any(":5:" in m and "outside the run" in m for m in messages), messages
    assert any(":6:" in m and "unknown metric 'nan'" in m for m in messages), messages


def test_effect_sizes_in_words_need_both_the_scale_and_the_spread():
    """Issue #29 item 2: bands on the series' scale and on the baseline's spread (SIZE_BANDS)."""
    from sim.analysis.compare import effect_size

    assert effect_size(2.5e-6, "threat", 1e-7) == "negligible"  # huge against no spread, nothing on the scale
    assert effect_size(0.004, "influence", 0.001) == "negligible"
    assert effect_size(0.01, "influence", 0.015) == "small"
    assert effect_size(0.03, "influence", 0.04) == "moderate"
    assert effect_size(0.08, "influence", 0.05) == "large"
    assert effect_size(0.08, "influence", 1.0) == "negligible"  # inside a wide spread
    assert effect_size(0.06, "relation", 0.05) == "moderate"  # attitudes span -1..1: 0.03 of the scale


def test_no_negligible_effect_is_listed_among_the_largest(baseline):
    whatif = load_scenario(SCENARIOS / "ecowas_early_lift.yaml", ["horizon=24"])
    effects = largest_effects(compare_scenarios(baseline, whatif, 20, seed=3))
    assert effects and all(e.size in ("small", "moderate", "large") for e in effects)
    assert all(f"a {e.size} effect" in effect_sentence(e) for e in effects)


def test_every_actor_on_a_moved_state_is_shown_so_the_winners_of_a_vacuum_are_named(baseline, tmp_path):
    """Issue #29 item 3: Mali leaving ECOWAS (a dated event): ECOWAS loses on Mali, and the table names
    every rival's gain there, with the outside share, whatever the largest-effects ranking lists."""
    from sim.analysis.compare import gains_and_losses
    from sim.report.document import gains_blocks

    path = tmp_path / "exit.yaml"
    path.write_text("extends: baseline\nname: exit\nhorizon: 36\nevents:\n"
                    "  - {id: leaves, date: 2023-01, set: {institution.mali.ecowas: 0}, assumption: test}\n")
    short = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=36"])
    comparison = compare_scenarios(short, load_scenario(path), 30, seed=2)
    moved = gains_and_losses(comparison)
    on_mali = {share.actor: share for share in moved["mali"]}
    assert set(on_mali) == {"morocco", "algeria", "mauritania", "ecowas", "russia", "outside"}
    assert on_mali["ecowas"].difference < 0 and on_mali["ecowas"].size != "negligible"
    gains = [share.difference for share in moved["mali"][:-1]]
    assert gains == sorted(gains, reverse=True)  # largest gain first, the outside share last
    assert abs(sum(share.difference for share in moved["mali"])) < 1e-12  # one whole, shared
    blocks = gains_blocks(comparison)
    assert blocks[0] == ("h2", "Who gains and who loses") and any("On Mali" in str(v) for _, v in blocks)
