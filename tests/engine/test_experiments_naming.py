"""One spelling of a setting everywhere (issue #30 item 9): ``parameters.<name>``,
``levers.<actor>.<lever>``, ``actors.<actor>.budget`` in ``--set``, ``--vary``, ``simulate`` and
``evaluate``; the old spellings still work, with a warning naming the new one."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.engine.experiments import SettingNameWarning, setting_name

OUTCOME = ["mean(influence.morocco.mali)"]


def test_the_full_spelling_is_taken_everywhere_and_gives_the_same_numbers():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning for the full spelling
        full = sim.evaluate("baseline", {"parameters.influence.adjust_rate": [0.1, 0.2],
                                         "levers.morocco.investment": [0.5, 1.0]}, OUTCOME, replicates_per_point=2)
        by_settings = sim.simulate("baseline", n_replicates=3, seed=1,
                                   settings={"parameters.influence.adjust_rate": 0.2, "levers.morocco.investment": 1.0})
        by_groups = sim.simulate("baseline", n_replicates=3, seed=1, parameters={"influence.adjust_rate": 0.2},
                                 levers={"levers.morocco.investment": 1.0})
    with pytest.warns(SettingNameWarning, match="write 'parameters.influence.adjust_rate'"):
        old = sim.evaluate("baseline", {"influence.adjust_rate": [0.1, 0.2], "levers.morocco.investment": [0.5, 1.0]},
                           OUTCOME, replicates_per_point=2)
    assert np.array_equal(full, old)
    assert np.array_equal(by_settings.trajectories.values, by_groups.trajectories.values)


def test_old_spellings_name_the_new_one_and_unknown_names_pass_through_to_be_refused():
    with pytest.warns(SettingNameWarning, match="write 'levers.morocco.investment'"):
        assert setting_name("morocco.investment") == "levers.morocco.investment"
    assert setting_name("parameters.influence.adjust_rate") == "influence.adjust_rate"
    assert setting_name("actors.morocco.budget") == "actors.morocco.budget"
    assert setting_name("parameters.nothing") == "parameters.nothing"
    with pytest.raises(sim.InputError, match=r"unknown parameter or lever 'parameters\.nothing'"):
        sim.evaluate("baseline", {"parameters.nothing": [1.0]}, OUTCOME)


def test_the_cli_says_the_new_spelling_in_one_line(tmp_path, capsys):
    from sim.cli import main

    assert main(["sweep", "baseline", "--vary", "influence.adjust_rate=0.05:0.3:2", "--replicates", "2",
                 "--out", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    assert "warning: --vary influence.adjust_rate=0.05:0.3:2: 'influence.adjust_rate' is the old spelling; write " \
           "'parameters.influence.adjust_rate'" in err
    assert main(["sweep", "baseline", "--vary", "parameters.influence.adjust_rate=0.05:0.3:2", "--replicates", "2",
                 "--out", str(tmp_path / "t")]) == 0
    assert "old spelling" not in capsys.readouterr().err


def test_quiet_silences_the_old_spelling_line(tmp_path, capsys):
    from sim.cli import main

    assert main(["sweep", "baseline", "--vary", "influence.adjust_rate=0.05:0.3:2", "--replicates", "2",
                 "--out", str(tmp_path / "q"), "-q"]) == 0
    assert "old spelling" not in capsys.readouterr().err
