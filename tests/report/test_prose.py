from sim.analysis.compare import Effect
from sim.report.prose import describe, effect_sentence, number, percent


def test_numbers_never_round_a_change_to_zero():
    assert [number(x) for x in (0.0, 0.0036, 0.036, 0.36, 36.4, 4.1e-5)] == ["0", "0.0036", "0.036", "0.36", "36",
                                                                          "4.1e-05"]
    assert number(0.2, signed=True) == "+0.20" and number(-0.2, signed=True) == "-0.20"
    assert [percent(x) for x in (0.0, 0.004, 0.5, 0.996, 1.0)] == ["0%", "<1%", "50%", ">99%", "100%"]


def test_series_and_effects_read_as_english():
    assert describe("influence", "morocco", "mali") == "Morocco's influence on Mali"
    assert describe("threat", "mali", "") == "Threat in Mali"
    effect = Effect("influence", "morocco", "mali", "2024-06", 0.02, 0.01, 0.03, 0.97, 0.10, 0.12)
    assert effect_sentence(effect) == ("In 2024-06, Morocco's influence on Mali is 0.020 higher (90%: 0.010 to 0.030; "
                                       "0.10 in the baseline, 0.12 in the what-if; higher in 97% of paired replicates)")
    unsure = Effect("relation", "mali", "algeria", "2023-01", -0.01, -0.03, 0.01, 0.4)
    assert "includes no change" in effect_sentence(unsure) and "lower" in effect_sentence(unsure)
