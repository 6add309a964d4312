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
