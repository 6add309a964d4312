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
