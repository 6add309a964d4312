import numpy as np
import pytest

from sim.scenario.conditions import ConditionError, check_state_path, evaluate_condition, parse_condition
from sim.scenario.months import parse_month

ACTORS = ("morocco", "algeria", "mali", "mauritania", "ecowas", "russia")
LEVERS = {"morocco": ["investment"]}


def check(path):
    return check_state_path(path, ACTORS, LEVERS, ["influence.adjust_rate"])


def parse(text):
    return parse_condition(text, check)


STATE = {
    "influence.russia.mali": np.array([0.3, 0.5, 0.45]),
    "relation.mali.algeria": np.array([-0.2, 0.1, -0.5]),
}


def run(text, month="2023-02"):
    return evaluate_condition(parse(text), STATE.__getitem__, parse_month(month)).tolist()


def test_comparisons_and_logic_per_replicate():
    assert run("influence.russia.mali > 0.4") == [False, True, True]
    assert run("influence.russia.mali > 0.4 and relation.mali.algeria < 0") == [False, False, True]
    assert run("not (influence.russia.mali > 0.4) or relation.mali.algeria >= 0.1") == [True, True, False]
    assert run("relation.mali.algeria < -0.3") == [False, False, True]


def test_month_literals():
    assert run("month >= 2023-01") is True
    assert run("month >= 2023-01", month="2022-12") is False


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("influence.russia.mali >", 23, "condition ends too early"),
        ("influence.russia.mali > 0.4 and", 31, "condition ends too early"),
        ("influence.rusia.mali > 0.4", 0, "unknown actor 'rusia' (did you mean 'russia'?)"),
        ("influence.russia.mali > 0.4 xor 1", 28, "unexpected 'xor'"),
        ("(influence.russia.mali > 0.4", 28, "missing ')'"),
        ("influence.russia.mali ? 3", 22, "unexpected character '?'"),
        ("influence.russia.mali", 21, "expected a comparison"),
        ("effort.morocco.invest > 0", 0, "unknown lever 'invest' for morocco (did you mean 'investment'?)"),
        ("__import__('os') > 1", 11, "unexpected character"),
    ],
)
def test_syntax_errors_point_at_the_column(text, offset, message):
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert caught.value.offset == offset
    assert message in str(caught.value)


def test_conditions_take_arithmetic_from_the_one_grammar():
    assert run("influence.russia.mali - relation.mali.algeria > 0.5") == [False, False, True]
    assert run("-relation.mali.algeria * 2 >= 0.4") == [True, False, True]
    assert run("(influence.russia.mali + 0.1) / 2 > 0.25") == [False, True, True]


@pytest.mark.parametrize(("text", "offset", "message"), [
    ("influence.russia.mali@2023-01 > 0", 21, "'@' belongs to outcomes"),
    ("influence.russia.mali + 1", 25, "expected a comparison"),
    ("influence.russia.mali > 0.4 and relation.mali.algeria", 53, "expected a comparison"),
    ("mean(influence.russia.mali) > 1", 0, "unknown"),
])
def test_condition_only_errors(text, offset, message):
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert (caught.value.offset, message in str(caught.value)) == (offset, True), str(caught.value)
