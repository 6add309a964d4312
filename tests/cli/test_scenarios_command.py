"""``sim scenarios`` lists the library (issue #29 item 7)."""

import json

from sim.cli.dispatch import main
from tests.conftest import SCENARIOS


def test_every_library_scenario_is_listed_with_its_description_and_own_changes(capsys):
    assert main(["scenarios", str(SCENARIOS)]) == 0
    out = capsys.readouterr().out
    for path in SCENARIOS.glob("*.yaml"):
        assert f"{path.name}" in out
    assert "niger_crisis.yaml (extends baseline.yaml)" in out
    assert "event niger_standoff (2023-08)" in out  # what the file itself changes, not what it inherits
    assert "decision ecowas_settles_with_mali off" in out


def test_json_listing_and_a_missing_folder(capsys, tmp_path):
    assert main(["scenarios", str(SCENARIOS), "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    baseline = next(e for e in entries if e["file"] == "baseline.yaml")
    assert baseline["description"].startswith("Where does influence") and baseline["changes"]
    assert main(["scenarios", str(tmp_path / "nowhere")]) == 2
    assert "not a folder of scenarios" in capsys.readouterr().err


def test_compare_ranks_several_options_against_the_baseline_in_one_report(tmp_path, capsys):
    """Issue #29 item 4: `sim compare baseline A B` writes one report with both options, ranked."""
    out = tmp_path / "options"
    assert main(["compare", "baseline", "security_offer", "russia_withdraws", "--replicates", "8",
                 "--outcome", "influence.russia.mali", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.index("1. security_offer") < printed.index("2. russia_withdraws")  # withdrawing costs Russia
    report = (out / "report.md").read_text()
    assert "2 options compared with baseline" in report
    assert "| 1 | security_offer |" in report and "| 2 | russia_withdraws |" in report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["options"] == ["security_offer", "russia_withdraws"]
    assert (out / "plots" / "options_influence_russia_mali.png").stat().st_size > 10_000
    assert main(["compare", "baseline", "security_offer", "russia_withdraws", "--window", "2023-01..2024-01"]) == 2
    assert main(["compare", "baseline", "security_offer", "russia_withdraws", "--outcome", "influence.rusia.mali",
                 "--out", str(tmp_path / "bad")]) == 2
    assert "--outcome: unknown actor 'rusia' (did you mean 'russia'?)" in capsys.readouterr().err


def test_a_flood_of_problems_is_capped_with_a_count(tmp_path, capsys):
    """Issue #33 item 5: the first problems and how many more, not thousands of lines."""
    from sim.cli.dispatch import MAX_PROBLEMS_SHOWN

    events = "".join(f"  - {{id: e{i}, date: 2022-0x, set: {{levers.morocco.investment: 2}}, assumption: t}}\n"
                     for i in range(80))
    path = tmp_path / "flood.yaml"
    path.write_text("extends: baseline\nname: flood\nevents:\n" + events)
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == MAX_PROBLEMS_SHOWN + 1 and lines[-1].startswith("... and ")
    assert all(line.startswith(str(path)) for line in lines[:-1])


def test_compare_writes_a_briefing_pdf_that_holds_the_answer(tmp_path, capsys):
    """Issue #29 item 8: the report as a PDF, checked by reading its text back."""
    import re

    import pypdf

    out = tmp_path / "briefing"
    assert main(["compare", "baseline", "security_offer", "--replicates", "8", "--pdf", "--outcome",
                 "influence.morocco.mali", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    answer = next(line[2:] for line in printed.splitlines() if line.startswith("* "))
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(out / "report.pdf").pages)
    flat = re.sub(r"\s+", " ", text.replace("-\n", "-"))
    assert "security_offer compared with baseline" in flat
    first_words = " ".join(answer.split()[:8])  # the answer sentence, as sim compare prints it
    assert first_words in flat, (first_words, flat[:800])
