"""The layers are visible from the file list and enforced: an import against the order fails here."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = sorted(p.name for p in (ROOT / "sim").iterdir() if (p / "__init__.py").is_file())


def test_the_import_linter_contract_is_kept():
    linter = Path(sys.executable).parent / "lint-imports"
    if not linter.exists():
        pytest.skip("import-linter is not installed (it is in the dev extra)")
    done = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_every_subpackage_and_top_level_module_has_a_layer():
    layers = CONFIG["contracts"][0]["layers"]
    layered = {name.strip() for layer in layers for name in layer.replace(":", "|").split("|")}
    modules = {f"sim.{p.stem}" for p in (ROOT / "sim").glob("*.py") if p.stem not in ("__init__", "__main__")}
    assert {f"sim.{p}" for p in PACKAGES} | modules == layered


def test_tests_mirror_the_packages():
    folders = sorted(p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name != "__pycache__")
    assert set(folders) <= set(PACKAGES), f"test folders without a package: {set(folders) - set(PACKAGES)}"
