"""Issue #33, the smaller hardening items: each bad input is refused with a located message (exit 2
from the CLI), never a traceback, a raw MemoryError or a silently wrong value."""

import os
import warnings

import numpy as np
import pytest

from sim.cli.dispatch import main
from sim.errors import InputError
from tests.conftest import MINIMAL, ROOT

BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
HEAD = MINIMAL.lstrip("\n")
MAX_SEED = 2**63 - 1


@pytest.fixture
def small_machine(monkeypatch):
    """The same verdict on any machine: 8 GB of memory available."""
    import sim.engine.workload
    import sim.model.memory

    monkeypatch.setattr(sim.engine.workload, "available_memory", lambda: 8e9)  # the commands' estimates
    monkeypatch.setattr(sim.model.memory, "available_memory", lambda: 8e9)  # the model's own check


# -- 1. sim levers --response estimates its work up front ------------------------------------------------

@pytest.mark.parametrize("extra", [[], ["--outcome", "influence.russia.mali"]])
def test_lever_response_work_is_estimated_before_it_starts(extra, small_machine, monkeypatch, capsys):
    import sim.analysis.response

    def started(*_args, **_kwargs):
        raise AssertionError("the computation started")

    monkeypatch.setattr(sim.analysis.response, "lever_responses", started)
    monkeypatch.setattr(sim.analysis.response, "rank_levers", started)
    assert main(["levers", "--response", "--replicates", "1000000000", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--replicates: ") and "1000000000 replicates" in err
    assert "would need about" in err and "of memory" in err and err.count("\n") == 1
    assert "--chunk-size" not in err  # a flag levers does not have


# -- 2. InfluenceModel's n_replicates --------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, -3, 2.0, True, "5"])
def test_model_refuses_a_replicate_count_that_is_not_a_whole_number_from_1(n):
    import sim

    with pytest.raises(InputError, match=r"^n_replicates: n_replicates = .*; expected a whole number >= 1$"):
        sim.InfluenceModel("baseline", n_replicates=n)


def test_model_refuses_more_replicates_than_memory_holds_with_the_estimate(small_machine):
    import sim

    with pytest.raises(InputError, match=r"n_replicates = 100000000000: .* would need about [\d.,]+ PB of memory "
                                         r"\(8.0 GB is available\)"):
        sim.InfluenceModel("baseline", n_replicates=10**11)
    assert sim.InfluenceModel("baseline", n_replicates=3).world is not None  # a normal count still runs


# -- 3. --seed takes what scenario files take --------------------------------------------------------------

@pytest.mark.parametrize("seed", [str(2**63), str(10**100), "-1"])
def test_seed_flag_refuses_what_scenario_files_refuse(seed, capsys):
    assert main(["run", BASELINE, "--seed", seed, "--replicates", "2"]) == 2
    err = capsys.readouterr().err
    assert f"argument --seed: seed {seed[:20]}" in err.replace("'", "") and f"outside 0..{MAX_SEED}" in err
    assert "Traceback" not in err


def test_the_largest_seed_is_taken_by_the_flag_and_the_model():
    import sim
    from sim.cli.arguments import seed_number

    assert seed_number(str(MAX_SEED)) == MAX_SEED
    assert sim.InfluenceModel("baseline", n_replicates=1, seed=MAX_SEED).seed == MAX_SEED
    with pytest.raises(InputError, match=r"seed = 9223372036854775808; expected a whole number 0\.\."):
        sim.InfluenceModel("baseline", n_replicates=1, seed=MAX_SEED + 1)


# -- 4. YAML 1.1 numbers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("written, message", [
    ("1:00", "3:10: 1:00 reads as a base-60 (sexagesimal) number in YAML 1.1 (60); write 60 if that is the "
             "number meant"),
    ("014", "3:10: 014 reads as an octal number in YAML 1.1 (12); write 14 without the leading 0"),
    ("-0_14", "3:10: -0_14 reads as an octal number in YAML 1.1 (-12); write -14 without the leading 0"),
])
def test_yaml_11_numbers_are_refused_where_they_are_written(written, message, write_scenario, capsys):
    path = write_scenario(HEAD.replace("horizon: 6", f"horizon: {written}"))
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == f"{path}:{message}, or quote it for text\n"


def test_plain_numbers_and_quoted_text_still_read():
    from sim.scenario.yamlsafe import parse_yaml_bytes

    doc = parse_yaml_bytes(b"a: 14\nb: 0\nc: 0x1A\nd: 1_000\ne: '014'\nf: \"1:00\"\ng: 0.5\nh: -3\n", "x.yaml")
    assert doc.data == {"a": 14, "b": 0, "c": 26, "d": 1000, "e": "014", "f": "1:00", "g": 0.5, "h": -3}


# -- 5. division by zero in conditions and outcomes ----------------------------------------------------------

@pytest.mark.parametrize("condition, column", [("1 / 0 > 0", 15), ("0 / 0 == 0", 15),
                                               ("influence.russia.mali / (2 - 2) > 1", 35)])
def test_a_constant_zero_divisor_is_a_located_error(condition, column, write_scenario, capsys):
    path = write_scenario(HEAD + "triggers:\n  - id: t\n    when: " + condition + "\n"
                          "    add: {relation.mali.morocco: 0.1}\n    assumption: a\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:6:{column}: division by zero: the divisor ") and err.count("\n") == 1


@pytest.mark.parametrize("text", ["1 / 0", "influence.russia.mali / (1 - 1)", "1e400", "1e308 * 10"])
def test_outcomes_refuse_a_constant_division_by_zero_or_overflow(text):
    from sim.scenario.outcomes import OutcomeError, parse_outcome

    with pytest.raises(OutcomeError, match=r"division by zero|not finite"):
        parse_outcome(text)


@pytest.mark.parametrize("text, expected", [
    ("a / b > 0", [False, False, True]),
    ("a / b == 0", [False, False, False]),  # 0 / 0 is undefined, not silently false-or-true
    ("a / b != 0", [False, False, True]),
    ("not (a / b > 1)", [False, False, False]),  # not undefined is undefined: does not hold
    ("a / b > 1 or step >= 0", [True, True, True]),  # decided by the other side
    ("a / b > 1 and step >= 0", [False, False, True]),
])
def test_a_run_time_division_by_zero_never_makes_a_condition_hold(text, expected):
    from sim.scenario.conditions import evaluate_condition, parse_condition
    from sim.scenario.expressions import UndefinedValueWarning

    values = {"a": np.array([1.0, 0.0, 3.0]), "b": np.array([0.0, 0.0, 1.0]), "step": np.zeros(3)}
    tree = parse_condition(text, lambda path: None)
    with pytest.warns(UndefinedValueWarning, match=r"division by zero in '(not \()?a / b"):
        holds = evaluate_condition(tree, values.__getitem__, 0)
    assert holds.dtype == bool and holds.tolist() == expected
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero: no warning
        assert evaluate_condition(tree, {**values, "b": np.ones(3)}.__getitem__, 0).dtype == bool


def test_a_numeric_outcome_divided_by_zero_is_nan_not_infinite():
    from sim.scenario.expressions import UndefinedValueWarning
    from sim.scenario.outcomes import parse_outcome

    class Trajectories:
        values = np.zeros((2, 2, 1))
        dates = ("2022-01", "2022-02")

        def get(self, metric, source, target):
            return np.array([[0.5, 0.2], [0.5, 0.0]]) if source == "morocco" else np.array([[0.1, 0.4], [0.1, 0.4]])

    outcome = parse_outcome("influence.russia.mali / influence.morocco.mali")
    with pytest.warns(UndefinedValueWarning):
        values = outcome.evaluate(Trajectories())
    assert values[0] == pytest.approx(2.0) and np.isnan(values[1])


# -- 6. runs dated past 9999-12 --------------------------------------------------------------------------

def test_a_run_past_9999_12_is_refused_before_it_starts(write_scenario, tmp_path, capsys):
    import sim

    path = write_scenario(HEAD.replace("start: 2022-01", "start: 9999-12"))
    with pytest.raises(InputError, match=r"start 9999-12 \+ horizon 6 months ends after 9999-12.*start by 9999-06"):
        sim.InfluenceModel(str(path), n_replicates=1)
    assert main(["run", str(path), "--replicates", "2", "--out", str(tmp_path / "out")]) == 2
    assert "ends after 9999-12" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert sim.InfluenceModel(str(write_scenario(HEAD.replace("start: 2022-01", "start: 9999-06"))), n_replicates=1)



def test_validate_locates_a_run_past_9999_12_at_its_start(write_scenario, capsys):
    path = write_scenario(HEAD.replace("start: 2022-01", "start: 9999-12"))
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"{path}:2:8: start 9999-12 + horizon 6 months ends after 9999-12")


# -- 7. control characters in a file and in its name ---------------------------------------------------------

@pytest.mark.parametrize("char, name", [("\x00", "0000"), ("\x01", "0001"), ("\x1b", "001B")])
def test_a_control_character_is_located(char, name, tmp_path, capsys):
    path = tmp_path / "ctl.yaml"
    path.write_text(HEAD + f"description: \"a{char}b\"\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"{path}:4:16: control character U+{name} ({char!r}) is not allowed in YAML; remove it\n"



def test_a_file_name_with_a_newline_is_shown_escaped_on_one_line(tmp_path, capsys):
    path = tmp_path / "new\nline.yaml"
    path.write_text(HEAD.replace("horizon: 6", "horizon: 014"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "new\\nline.yaml:3:10: 014 reads as an octal number" in err


# -- 8. a symbolic link loop -------------------------------------------------------------------------------

def test_reading_a_symlink_loop_is_an_input_error(tmp_path):
    from sim.scenario.yamlsafe import read_yaml_file

    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    with pytest.raises(InputError, match=r"a\.yaml: symbolic link loop"):
        read_yaml_file(tmp_path / "a.yaml")



def test_a_symlink_loop_as_the_scenario_is_refused_without_a_traceback(tmp_path, capsys):
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    assert main(["validate", str(tmp_path / "a.yaml")]) == 2
    assert "symbolic link loop" in capsys.readouterr().err
