"""Source documents are cited by a short title, not a hash-named file (issue #29 item 7), and
without the documents (an installed wheel) citations are checked against the project's list and
the user is told so (issue #30 item 2)."""

import os
import shutil
import subprocess
import sys

import pytest

from sim.scenario.sources import cite, seed_files, source_titles
from tests.conftest import SEEDS


def test_every_seed_document_has_a_short_title():
    files = seed_files()
    titles = source_titles()
    if files is not None:  # the seeds beside the repository: each has a title, and no title is stale
        assert set(titles) == set(files)
    assert all(title and len(title) < 90 for title in titles.values())


def test_a_citation_reads_as_title_and_number():
    text = cite("event western_withdrawal: 000_4a7c527b705e72c5.txt")
    assert text == "event western_withdrawal: Morocco's active diplomacy in Mali (000)"
    assert cite("an assumption in words") == "an assumption in words"


# -- without the source documents (an installed wheel): checked against the project's list, and said so


CITING = """extends: baseline
name: cites
events:
  - id: cited
    date: 2023-01
    set: {{levers.morocco.investment: 0.9}}
    source: {source}
"""


def _sim(*args, seeds, cwd):
    env = {**os.environ, "SIM_SEEDS_DIR": str(seeds)}
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


def test_without_the_documents_a_made_up_citation_is_still_refused(tmp_path):
    (tmp_path / "made_up.yaml").write_text(CITING.format(source="made_up_document.txt"))
    done = _sim("validate", "made_up.yaml", seeds=tmp_path / "absent", cwd=tmp_path)
    assert done.returncode == 2
    assert "made_up.yaml:7:13: source 'made_up_document.txt' of 'cited' is not a seed document of the project" \
        in done.stderr


def test_without_the_documents_a_citation_gets_a_located_warning_and_strict_refuses_it(tmp_path):
    (tmp_path / "real.yaml").write_text(CITING.format(source="000_4a7c527b705e72c5.txt"))
    done = _sim("validate", "real.yaml", "baseline", seeds=tmp_path / "absent", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and warnings[0].startswith("real.yaml:7:13: warning: the source documents are not in")
    strict = _sim("validate", "--strict", "real.yaml", seeds=tmp_path / "absent", cwd=tmp_path)
    assert strict.returncode == 2 and "real.yaml:7:13" in strict.stderr


def test_sim_levers_says_whether_the_quotes_were_checked_now_or_when(tmp_path):
    absent = _sim("levers", seeds=tmp_path / "absent", cwd=tmp_path)
    assert absent.returncode == 0
    assert "are not in" in absent.stdout and "sha256 000 bbf2c0be5da1" in absent.stdout
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    here = _sim("levers", seeds=SEEDS, cwd=tmp_path)
    assert "quotes checked now: verbatim in the source documents" in here.stdout
    altered = tmp_path / "altered"
    shutil.copytree(SEEDS, altered)
    first = sorted(altered.iterdir())[0]
    first.write_text(first.read_text(encoding="utf-8").replace("Morocco", "Marokko"), encoding="utf-8")
    changed = _sim("levers", seeds=altered, cwd=tmp_path)
    assert "quotes NOT found verbatim" in changed.stdout, "a quote that is no longer in its document is reported"


def test_an_empty_documents_folder_counts_as_absent(tmp_path):
    (tmp_path / "real.yaml").write_text(CITING.format(source="000_4a7c527b705e72c5.txt"))
    (tmp_path / "empty").mkdir()
    done = _sim("validate", "--strict", "real.yaml", seeds=tmp_path / "empty", cwd=tmp_path)
    assert done.returncode == 2 and "source documents are not in" in done.stderr


def test_an_actor_has_no_influence_on_itself():
    from sim.errors import InputError
    from sim.scenario.loader import question_problems

    _, problems = question_problems({"outcomes": ["influence.morocco.morocco"]}, None, None)
    assert problems and "no influence on itself" in problems[0][1]
    assert not isinstance(problems, InputError)
