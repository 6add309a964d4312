"""The layers are visible from the file list and enforced: an import against the order fails here."""

import ast
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


SIM_FILES = sorted((ROOT / "sim").rglob("*.py"))


def _is_sim(module: str | None) -> bool:
    return module is not None and (module == "sim" or module.startswith("sim."))


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The nodes under ``if TYPE_CHECKING:`` (only type checkers follow those imports)."""
    return {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
            and getattr(block.test, "id", getattr(block.test, "attr", "")) == "TYPE_CHECKING"
            for node in ast.walk(block)}


def _commented_above(lines: list[str], statement: ast.stmt) -> bool:
    """``# deferred:`` in the comment lines directly above ``statement``."""
    above = statement.lineno - 2
    while above >= 0 and lines[above].lstrip().startswith("#"):
        if lines[above].lstrip().startswith("# deferred:"):
            return True
        above -= 1
    return False


def unexplained_local_imports(path: Path) -> list[str]:
    """Function-local imports of ``sim`` modules in ``path`` with no ``# deferred:`` reason: on the
    import, directly above it, or directly above the first of a run of imports it belongs to."""
    source = path.read_text(encoding="utf-8")
    lines, tree = source.splitlines(), ast.parse(source)
    hidden = _type_checking_only(tree)
    local = {id(node) for function in ast.walk(tree) if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
             for node in ast.walk(function)}
    found = []
    for parent in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            first = None  # the first import of the run of imports the statement belongs to
            statements = getattr(parent, field, None)
            for statement in statements if isinstance(statements, list) else ():
                if not isinstance(statement, ast.Import | ast.ImportFrom):
                    first = None
                    continue
                first = first or statement
                modules = [a.name for a in statement.names] if isinstance(statement, ast.Import) else \
                    [statement.module if statement.level == 0 else "sim."]
                own_lines = lines[statement.lineno - 1:statement.end_lineno]
                says_why = any("# deferred:" in line for line in own_lines) \
                    or _commented_above(lines, statement) or _commented_above(lines, first)
                if id(statement) in local and id(statement) not in hidden and any(map(_is_sim, modules)) \
                        and not says_why:
                    found.append(f"{path.relative_to(ROOT)}:{statement.lineno}: {lines[statement.lineno - 1].strip()}")
    return found


def test_a_project_import_inside_a_function_says_why_it_is_deferred():
    """Issue #32 item 3: project imports sit at the module top, where they show what a module
    depends on. One kept inside a function (a heavy third-party library behind it that
    ``sim --help`` or ``import sim`` must not pay for) carries a ``# deferred:`` comment saying why."""
    found = [line for path in SIM_FILES for line in unexplained_local_imports(path)]
    assert not found, "function-local project imports without a '# deferred:' reason:\n" + "\n".join(found)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")  # sim.__version__ is public


def private_imports(path: Path) -> list[str]:
    """``from sim.x import _name`` and ``import sim.x._y`` (at the top or inside a function) in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.level or _is_sim(node.module)):
            parts = (node.module or "").split(".") + [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            parts = [part for a in node.names if _is_sim(a.name) for part in a.name.split(".")]
        else:
            continue
        if any(map(_private, parts)):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_imports_a_private_name_of_another():
    """Issue #32: a ``_name`` is its module's own business; a name another module needs is public
    (and documented)."""
    found = [line for path in SIM_FILES for line in private_imports(path)]
    assert not found, "\n".join(found)
