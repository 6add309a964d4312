"""``sim dashboard``'s checks before any server starts: each bad input exits 2 with one line."""

from __future__ import annotations

import socket

from sim.cli import main


def test_a_bad_scenario_exits_2_before_serving(capsys):
    assert main(["dashboard", "no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err


def test_a_port_in_use_exits_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    assert f"port {port}" in capsys.readouterr().err


def test_a_bad_port_or_folder_exits_2(capsys, tmp_path):
    assert main(["dashboard", "--port", "70000"]) == 2
    assert main(["dashboard", "--folder", str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_without_the_extra_it_says_what_to_install(capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "solara" else real(name, *a))
    assert main(["dashboard"]) == 2
    assert "sahel-sim[dashboard]" in capsys.readouterr().err
