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


def test_no_import_cycle_at_run_time_even_through_function_local_imports():
    """Issue #32 item 3: a lazy import hid the cycle executors -> dask_plugins -> executors. Every
    import of a project module counts, wherever it is, except those only type checkers see."""
    import ast
    from pathlib import Path

    import networkx as nx

    root = Path(__file__).resolve().parent.parent
    graph = nx.DiGraph()
    for path in (root / "sim").rglob("*.py"):
        name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                     and getattr(block.test, "id", getattr(block.test, "attr", "")) == "TYPE_CHECKING"
                     for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim."):
                graph.add_edge(name, node.module)
            elif isinstance(node, ast.Import):
                graph.add_edges_from((name, a.name) for a in node.names if a.name.startswith("sim."))
    modules = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
               for p in (root / "sim").rglob("*.py")}
    graph.remove_nodes_from([n for n in list(graph) if n not in modules])
    graph.remove_edges_from(nx.selfloop_edges(graph))
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, cycles
