"""Plain `pytest` (not only `python -m pytest`) collects the suite (issue #32 item 6)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_plain_pytest_collects_without_the_repo_on_the_path():
    pytest = Path(sys.executable).parent / "pytest"
    done = subprocess.run([str(pytest), "--collect-only", "-q", "tests/cli/test_scenarios_command.py"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "tests/cli/test_scenarios_command.py: " in done.stdout and "error" not in done.stdout.lower()


# Libraries (and our modules that import them) that no test needs at import time: each test that
# uses one imports it itself, so collecting the suite stays quick (issue #32 item 6).
NOT_AT_COLLECTION = ("ema_workbench", "SALib", "mesa", "matplotlib", "distributed", "dask", "pandas", "scipy.stats",
                     "solara", "pymoo", "xarray", "pyarrow", "sim.model.model", "sim.report.plots", "sim.ema")


def test_collecting_the_suite_imports_none_of_the_heavy_libraries():
    """What collection imports, not how long it takes: a test module that imports one of these at
    its top makes every run of the suite pay for it before the first test."""
    probe = ("import sys, pytest\n"
             "status = pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', 'tests'])\n"
             f"print('IMPORTED', sorted(name for name in {NOT_AT_COLLECTION!r} if name in sys.modules))\n"
             "raise SystemExit(status)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "IMPORTED []", done.stdout.splitlines()[-1]
