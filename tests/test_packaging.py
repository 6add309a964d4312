"""The wheel, installed read-only into a fresh venv, runs the shipped scenario library from any
folder (issue #30 item 1): by name in `sim run`, `sim validate`, `sim.simulate`, the Mesa model
and a user's own file that says ``extends: baseline``.

The fresh venv gets this environment's dependencies through a path entry (so nothing is
downloaded), but not its editable install of `sim`: what it imports is the wheel's copy.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(importlib.util.find_spec("setuptools") is None,
                                reason="building the wheel offline needs setuptools (in the dev extra)")


def _read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python, sim script, a folder far from the repository) of a venv holding only the wheel."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a clean copy: an in-tree build/ folder could carry files the tree no longer has
    shutil.copytree(ROOT / "sim", source / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(work / "dist"), str(source)], capture_output=True, text=True, timeout=600,
                           cwd=work)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((work / "dist").glob("sahel_sim-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # numpy, mesa, ...
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    _read_only(site / "sim")
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    yield python, venv / "bin" / "sim", elsewhere
    for path in [site / "sim", *(site / "sim").rglob("*")]:  # so pytest can remove it
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _run(command: list, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # what is tested is the package (its data, its imports), not Numba: the kernels run as Python
    # for these few replicate-months instead of compiling for 20 s in the fresh install
    env["NUMBA_DISABLE_JIT"] = "1"
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def test_the_wheel_ships_the_library_and_imports_its_own_copy(installed):
    python, _, elsewhere = installed
    done = _run([python, "-c", "import sim, sim.scenario.loader as l; print(sim.__file__); "
                               "print(','.join(p.stem for p in l.LIBRARY.glob('*.yaml')))"], elsewhere)
    assert done.returncode == 0, done.stderr[-2000:]
    where, names = done.stdout.splitlines()
    assert str(ROOT) not in where, "the wheel's sim, not the repository's"
    assert {"baseline", "history_2012_2022", "security_pact"} <= set(names.split(","))


def test_a_library_scenario_runs_by_name_from_any_folder(installed):
    python, sim, elsewhere = installed
    validated = _run([sim, "validate", "baseline", "security_pact"], elsewhere)
    assert validated.returncode == 0, validated.stderr[-2000:]
    ran = _run([sim, "run", "baseline", "--replicates", "4", "--set", "horizon=12", "--out", elsewhere / "run"],
               elsewhere)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert (elsewhere / "run" / "summary.csv").is_file()
    (elsewhere / "mine.yaml").write_text("extends: baseline\nname: mine\nhorizon: 12\n"
                                         "levers: {morocco: {investment: 0.9}}\n")
    api = _run([python, "-c", "import sim\n"
                              "r = sim.simulate('baseline', n_replicates=4)\n"
                              "m = sim.simulate('mine.yaml', n_replicates=4)\n"
                              "model = sim.InfluenceModel('security_pact', n_replicates=2)\n"
                              "model.step()\n"
                              "print(r.scenario.name, m.scenario.name, model.month_index)"], elsewhere)
    assert api.returncode == 0, api.stderr[-2000:]
    assert api.stdout.split() == ["baseline", "mine", "1"]
