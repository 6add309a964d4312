"""Stress: N concurrent ``sim regress --update`` / ``sim regress`` pairs on one reference.

    python -m bench.regress_stress            # 20 pairs (issue #33's done-when)
    python -m bench.regress_stress --pairs 5

Every process must exit 0 (each waits its turn on the references' lock), nothing may be left
staged, and the reference must be whole and pass a final check. Exit 1 otherwise. Kept out of
the test suite (tests/analysis/test_regress.py runs 4 pairs): 40 interpreters at once take a
minute or more on a 2-core machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stress(pairs: int) -> int:
    with tempfile.TemporaryDirectory(prefix="sim-regress-stress-") as folder:
        project = Path(folder)
        (project / "scenarios").mkdir()
        shutil.copy(ROOT / "scenarios" / "baseline.yaml", project / "scenarios")
        shutil.copytree(ROOT / "scenarios" / "parts", project / "scenarios" / "parts")
        (project / "scenarios" / "tiny.yaml").write_text("extends: baseline.yaml\nname: tiny\nhorizon: 3\n")

        def sim(*arguments: str) -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "sim", *arguments], cwd=project, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        first = sim("regress", "--update", "tiny")
        if first.wait() != 0:
            print(first.stderr.read())
            return 1
        started = time.perf_counter()
        processes = [sim(*command) for _ in range(pairs) for command in (("regress", "--update", "tiny"),
                                                                          ("regress", "tiny"))]
        codes = [(p.wait(timeout=1800), p.stderr.read()) for p in processes]
        seconds = time.perf_counter() - started
        root = project / "results" / "reference"
        staged = [p.name for p in root.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")]
        staged += [p.name for p in root.parent.iterdir() if p.name.startswith(".") and p.name.endswith(".partial")]
        final = sim("regress", "tiny")
        final_code = final.wait()
        bad = [(i, code, err.strip().splitlines()[-1:] if err.strip() else []) for i, (code, err) in enumerate(codes)
               if code != 0]
        print(f"{pairs} pairs ({2 * pairs} processes) in {seconds:.1f} s: exit codes {sorted({c for c, _ in codes})}, "
              f"{len(bad)} non-zero, left staged {staged or 'nothing'}, final check exit {final_code}")
        for item in bad[:5]:
            print("  ", item)
        return 0 if not bad and not staged and final_code == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    return stress(parser.parse_args().pairs)


if __name__ == "__main__":
    sys.exit(main())
