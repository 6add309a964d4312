"""One grammar for conditions and outcomes: the same text gives the same tree in both dialects."""

import numpy as np
import pytest

from sim.errors import ExpressionError
from sim.scenario.conditions import parse_condition
from sim.scenario.expressions import Node, evaluate_expression
from sim.scenario.outcomes import parse_outcome


@pytest.mark.parametrize("text", [
    "(1 + 2) * 3 > 4 and not 1 > 2",
    "1 - 2 - 3 < -4 or 2 / 4 * 2 == 1",
    "not not 1 >= 1",
])
def test_both_dialects_share_the_grammar(text):
    condition = parse_condition(text, lambda path: None)
    outcome = parse_outcome(text).tree
    assert condition == outcome
    assert evaluate_expression(condition, lambda node: None) == evaluate_expression(outcome, lambda node: None)


def test_precedence_and_associativity():
    tree = parse_outcome("1 - 2 - 3 * 4").tree
    assert tree == Node("-", (Node("-", (Node("num", value=1.0), Node("num", value=2.0))),
                              Node("*", (Node("num", value=3.0), Node("num", value=4.0)))))
    assert evaluate_expression(tree, lambda node: None) == -13.0


def test_a_comparison_outcome_counts_replicates_where_it_holds():
    class Trajectories:
        values = np.zeros((3, 1, 2))
        dates = ("2022-01", "2022-02")

        def get(self, metric, source, target):
            return {"russia": np.array([[0.1, 0.5], [0.1, 0.2], [0.1, 0.6]]),
                    "morocco": np.array([[0.2, 0.3], [0.2, 0.3], [0.2, 0.3]])}[source]

    outcome = parse_outcome("influence.russia.mali > influence.morocco.mali")
    assert outcome.evaluate(Trajectories()).tolist() == [1.0, 0.0, 1.0]
    assert outcome.series() == [("influence", "russia", "mali"), ("influence", "morocco", "mali")]
    both = parse_outcome("influence.russia.mali@2022-01 < 0.2 and mean(influence.morocco.mali) > 0.2")
    assert both.evaluate(Trajectories()).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("text", ["", "1 +", "(1", "1 2", "mean(1)", "2022-01 > 1", "and 1"])
def test_outcome_syntax_errors_are_located(text):
    with pytest.raises(ExpressionError) as caught:
        parse_outcome(text)
    assert 0 <= caught.value.offset <= len(text)
