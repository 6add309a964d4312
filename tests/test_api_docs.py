"""docs/api.md's examples run, in order, as a user would paste them."""

import re

import pytest

from tests.conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), flags=re.S)


def test_the_api_page_has_examples():
    assert len(BLOCKS) >= 6


def test_every_example_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("ema_workbench")
    pytest.importorskip("polars")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for number, block in enumerate(BLOCKS, start=1):
        try:
            exec(compile(block, f"docs/api.md block {number}", "exec"), namespace)
        except Exception as exc:  # name the block that broke
            raise AssertionError(f"docs/api.md block {number} failed: {exc!r}\n{block}") from exc
    out = capsys.readouterr().out
    assert "is outside" in out and "Morocco's influence on Mali" in out
