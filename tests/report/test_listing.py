import json

from sim.cli.dispatch import main
from sim.scenario.catalogue import ACTORS, load_catalogue


def test_levers_text_lists_every_lever_with_evidence(capsys):
    assert main(["levers"]) == 0
    out = capsys.readouterr().out
    for lever in load_catalogue().levers:
        assert lever.key in out
    assert f"{len(load_catalogue().levers)} levers." in out


def test_levers_json_is_stable_and_filterable(capsys):
    assert main(["levers", "--actor", "russia", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records and {r["actor"] for r in records} == {"russia"}
    assert list(records[0]) == ["key", "actor", "id", "channel", "kind", "rival", "targets", "description",
                                "initial_effort", "parameters", "evidence"]
    assert all(r["evidence"] for r in records)


def test_levers_unknown_actor(capsys):
    assert main(["levers", "--actor", "marocco"]) == 2
    assert "did you mean 'morocco'" in capsys.readouterr().err


def test_parameters_listing(capsys):
    assert main(["parameters", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in records}
    assert "influence.adjust_rate" in names and all(r["low"] <= r["default"] <= r["high"] for r in records)


def test_schema_command_prints_json(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Sahel influence scenario"


def test_catalogue_covers_every_actor():
    catalogue = load_catalogue()
    assert len(catalogue.levers) >= 18
    for actor in ACTORS:
        assert len(catalogue.levers_of(actor)) >= 2, actor
