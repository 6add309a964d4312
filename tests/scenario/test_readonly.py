"""Scenarios pickle without any process-wide pickling setting (issue #32 item 3)."""

import pickle
import subprocess
import sys

import pytest

from sim.scenario.readonly import ReadOnlyMapping


def test_reads_like_a_dict_and_refuses_writes():
    table = ReadOnlyMapping({"a": 1})
    assert table == {"a": 1} and table["a"] == 1 and list(table) == ["a"] and len(table) == 1
    assert (table | {"b": 2}) == {"a": 1, "b": 2} and table.copy() == {"a": 1}
    with pytest.raises(TypeError):
        table["a"] = 2  # type: ignore[index]
    assert pickle.loads(pickle.dumps(table)) == table


def test_a_scenario_pickles_in_a_process_that_never_imported_the_executors():
    code = ("import pickle, sys; from sim.scenario.loader import load_scenario; "
            "s = load_scenario('baseline'); t = pickle.loads(pickle.dumps(s)); "
            "assert t == s and t.content_hash == s.content_hash; "
            "assert 'sim.engine.executors' not in sys.modules; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
