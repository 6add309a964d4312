"""A notebook user's view (issue #30 item 7), run in a real kernel through nbclient: a short
repr, an HTML table of the headline numbers, fan charts from ``result.plot``, progress on request."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient", reason="the notebook test needs nbclient (in the dev extra)")


def test_a_result_reads_well_in_a_notebook(tmp_path):
    cells = [
        "import sim\nresult = sim.simulate('baseline', n_replicates=8, seed=1, progress=True)",
        "result",
        "print(repr(result))",
        "result.plot('influence.russia.mali', 'influence.algeria.mali')",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = notebook.cells[1].outputs[0]["data"]
    assert "Russia&#x27;s influence on Mali" in shown["text/html"] and "<table>" in shown["text/html"]
    printed = notebook.cells[2].outputs[0]["text"]
    assert printed.startswith("SimulationResult(scenario='baseline', seed=1, replicates=8") and len(printed) < 300
    assert any("image/png" in output.get("data", {}) for output in notebook.cells[3].outputs), "a chart is drawn"
    bar = [o for o in notebook.cells[0].outputs if o.get("data", {}).get("application/vnd.jupyter.widget-view+json")
           or "baseline" in o.get("text", "")]
    assert bar, "progress shows on request (a tqdm.auto widget or text)"
