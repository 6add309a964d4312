import numpy as np
import pytest

from sim.analysis.sensitivity import (
    default_factors,
    model_evaluator,
    problem_of,
    run_sensitivity,
    saltelli_sample,
    sample_count,
)
from sim.analysis.sweep import design_points, parse_vary
from sim.engine.experiments import Factor, evaluate_points
from sim.engine.runner import run_chunk
from sim.errors import InputError
from sim.model.trajectories import SeriesLayout, Trajectories
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import load_scenario
from sim.scenario.outcomes import OutcomeError, parse_outcome
from tests.conftest import SCENARIOS


def ishigami_trajectories(x: np.ndarray) -> Trajectories:
    """Ishigami's inputs recorded as three 'threat' series at one month, so the analysis runs
    through the same outcome expressions as the model's."""
    layout = SeriesLayout((("threat", "mali", ""), ("threat", "mauritania", ""), ("threat", "morocco", "")))
    return Trajectories("ishigami", ("2022-01",), np.arange(len(x)), layout, x[:, None, :])


def test_sobol_recovers_ishigami_analytic_indices():
    factors = [Factor(f"x{i}", -np.pi, np.pi) for i in range(3)]
    # the outcome grammar has no sin(): the inputs are read through parsed outcomes, Y built from them
    x1, x2, x3 = (parse_outcome(f"threat.{s}") for s in ("mali", "mauritania", "morocco"))

    def evaluate(x: np.ndarray) -> np.ndarray:
        t = ishigami_trajectories(x)
        a, b, c = x1.evaluate(t), x2.evaluate(t), x3.evaluate(t)
        return (np.sin(a) + 7 * np.sin(b) ** 2 + 0.1 * c**4 * np.sin(a))[:, None]

    result = run_sensitivity(factors, ["ishigami"], evaluate, "sobol", 4096, seed=1)
    s1, st = result.indices[0]["S1"], result.indices[0]["ST"]
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=0.03)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=0.03)


def test_model_sensitivity_equals_salib_on_the_same_samples():
    from SALib.analyze import sobol as salib_sobol
    from SALib.sample import sobol as salib_sample

    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=6"])
    factors = default_factors(["influence.adjust_rate", "agent.inertia", "relation.balance_rate"])
    outcome = [parse_outcome("mean(influence.russia.mali)")]
    ours = run_sensitivity(factors, ["m"], model_evaluator(scenario, factors, outcome, seed=5), "sobol", 32, seed=5)
    problem = problem_of(factors)
    x = salib_sample.sample(problem, 32, calc_second_order=False, seed=5)
    y = evaluate_points(scenario, factors, x, outcome, seed=5)[:, 0, 0]
    direct = salib_sobol.analyze(problem, y, calc_second_order=False, seed=5)
    for key in ("S1", "ST", "S1_conf", "ST_conf"):
        np.testing.assert_array_equal(ours.indices[0][key], direct[key])


def test_sweep_points_equal_individual_runs():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=8"])
    rate, n1 = parse_vary("parameters.influence.adjust_rate=0.05:0.25:3")
    lever, n2 = parse_vary("levers.morocco.investment=0:1:2")
    points = design_points([rate, lever], [n1, n2], "factorial", 0, seed=0)
    assert points.shape == (6, 2)
    outcome = parse_outcome("influence.morocco.mali")
    batched = evaluate_points(scenario, [rate, lever], points, [outcome], replicates_per_point=3, seed=2,
                              chunk_replicates=7)
    for p, (r, v) in enumerate(points):
        single = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=8", f"parameters.influence.adjust_rate={r}",
                                                             f"levers.morocco.investment={v}"])
        alone = run_chunk(single, 2, np.arange(3), parameters={"influence.adjust_rate": r})
        np.testing.assert_allclose(batched[p, :, 0], outcome.evaluate(alone), rtol=1e-12)


@pytest.mark.parametrize(("text", "offset", "message"), [
    ("influence.russia.mal", 0, "unknown actor 'mal'"),
    ("mean(influence.russia.mali@end)", 5, "takes a series without '@'"),
    ("influence.russia.mali@2024-13", 21, "expected @YYYY-MM"),
    ("relation.mali.algeria@end - ", 28, "ends too early"),
    ("influence.russia.mali ^ 2", 22, "unexpected character"),
])
def test_outcome_errors_point_at_the_column(text, offset, message):
    with pytest.raises(OutcomeError) as caught:
        parse_outcome(text)
    assert caught.value.offset == offset and message in str(caught.value)


def test_outcome_arithmetic_and_dates():
    scenario = load_scenario(SCENARIOS / "baseline.yaml", ["horizon=14"])
    t = run_chunk(scenario, 1, np.arange(4))
    change = parse_outcome("relation.mali.algeria@end - relation.mali.algeria@start").evaluate(t)
    rel = t.get("relation", "mali", "algeria")
    np.testing.assert_allclose(change, rel[:, -1] - rel[:, 0])
    np.testing.assert_allclose(parse_outcome("influence.morocco.mali@2022-06").evaluate(t),
                               t.get("influence", "morocco", "mali")[:, 5])
    np.testing.assert_allclose(parse_outcome("-2 * mean(threat.mali) / 4").evaluate(t),
                               -t.get("threat", "mali").mean(axis=1) / 2)


def test_factors_keep_the_users_order():
    names = [f.name for f in default_factors(["influence.saturation", "influence.adjust_rate", "influence.*"])]
    assert names[:2] == ["influence.saturation", "influence.adjust_rate"] and len(names) == len(set(names))


def test_replicates_per_sample_average_and_the_bar_advances(tmp_path, monkeypatch):
    import sim.cli.commands.sensitivity
    from sim.engine.progress import Progress

    seen = []

    class Counting(Progress):
        def close(self):
            seen.append((self.done, self.total))
            super().close()

    monkeypatch.setattr(sim.cli.commands.sensitivity, "Progress", Counting)
    from sim.cli.dispatch import main

    out = tmp_path / "sens"
    assert main(["sensitivity", str(SCENARIOS / "baseline.yaml"), "--method", "morris", "--n", "2",
                 "--params", "influence.saturation", "influence.adjust_rate", "--replicates-per-sample", "3",
                 "--out", str(out)]) == 0
    assert seen == [(6, 6)]  # Morris: N (D + 1) samples, every one counted
    assert "mean of 3 replicate(s)" in (out / "summary.md").read_text()
    rows = (out / "indices.csv").read_text().splitlines()
    assert [r.split(",")[1] for r in rows[1:]] == ["influence.saturation", "influence.adjust_rate"]


def test_params_matching_only_fixed_parameters_are_refused():
    fixed = [name for name, spec in load_catalogue().parameters.items() if spec.high <= spec.low]
    if not fixed:
        pytest.skip("every catalogue parameter has a range")
    with pytest.raises(InputError, match="no parameter with a range to vary"):
        default_factors([fixed[0]])


def test_second_order_indices_find_the_one_interaction():
    """y = a + b + 4ab (c inert) on [-1, 1]^3: the (a, b) interaction carries 16/22 of the variance."""
    factors = [Factor(name, -1.0, 1.0) for name in ("a", "b", "c")]

    def evaluate(x):
        return (x[:, 0] + x[:, 1] + 4 * x[:, 0] * x[:, 1])[:, None]

    result = run_sensitivity(factors, ["y"], evaluate, "sobol", 1024, 3, second_order=True)
    assert result.n_runs == sample_count("sobol", 1024, 3, second_order=True) == 1024 * 8
    pairs = {(row["parameter"], row["other"]): row["S2"] for row in result.pairs()}
    assert abs(pairs["a", "b"] - 16 / 22) < 0.1
    assert abs(pairs["a", "c"]) < 0.05 and abs(pairs["b", "c"]) < 0.05
    first_order_only = run_sensitivity(factors, ["y"], evaluate, "sobol", 64, 3)
    assert first_order_only.pairs() == [] and first_order_only.n_runs == 64 * 5


@pytest.mark.parametrize(("d", "n", "second_order"), [(30, 256, True), (4, 64, False), (1, 2, True), (7, 128, True)])
def test_the_saltelli_design_is_salibs_exactly(d, n, second_order):
    from SALib.sample import sobol as salib_sample

    problem = problem_of(default_factors()[:d])
    ours = saltelli_sample(problem, n, 11, second_order)
    np.testing.assert_array_equal(ours, salib_sample.sample(problem, n, calc_second_order=second_order, seed=11))


def test_grouped_problems_and_n_not_a_power_of_two_are_left_to_salib():
    from SALib.sample import sobol as salib_sample

    problem = {**problem_of(default_factors()[:4]), "groups": ["a", "a", "b", "b"]}
    np.testing.assert_array_equal(saltelli_sample(problem, 16, 3, True),
                                  salib_sample.sample(problem, 16, calc_second_order=True, seed=3))
    plain = problem_of(default_factors()[:3])
    with pytest.warns(UserWarning):  # SALib's (scipy's) own warning about the sequence's balance
        assert saltelli_sample(plain, 12, 3).shape == (12 * 5, 3)


def test_seed_zero_gives_the_same_confidence_intervals_every_run():
    """SALib reads seed 0 as 'no seed'; the analysis hands it a fixed stand-in instead."""
    factors = [Factor(f"x{i}", 0.0, 1.0) for i in range(3)]

    def evaluate(x: np.ndarray) -> np.ndarray:
        return (x[:, 0] + 2 * x[:, 1] * x[:, 2])[:, None]

    runs = [run_sensitivity(factors, ["y"], evaluate, "sobol", 64, seed=0, second_order=True) for _ in range(2)]
    for key in ("S1_conf", "ST_conf", "S2_conf"):
        np.testing.assert_array_equal(runs[0].indices[0][key], runs[1].indices[0][key])


def test_the_salib_internals_the_parallel_sobol_calls_are_still_there():
    """sim.analysis.sensitivity._sobol_on_workers calls SALib functions that are not its public API
    (pinned below 1.7 in pyproject.toml); if a SALib release moves them, this names what moved."""
    import inspect

    from SALib.analyze import sobol

    expected = {"create_task_list": ["D", "calc_second_order", "n_processors"],
                "sobol_parallel": ["Z", "A", "AB", "BA", "B", "r", "tasks"],
                "Si_list_to_dict": ["S_list", "D", "num_resamples", "keep_resamples", "calc_second_order"],
                "separate_output_values": ["Y", "D", "N", "calc_second_order"],
                "to_df": ["self"]}
    for name, parameters in expected.items():
        assert hasattr(sobol, name), f"SALib.analyze.sobol.{name} is gone: rewrite _sobol_on_workers"
        assert list(inspect.signature(getattr(sobol, name)).parameters) == parameters, \
            f"SALib.analyze.sobol.{name} changed its parameters: check _sobol_on_workers"


def _linear(x: np.ndarray) -> np.ndarray:
    """A cheap outcome with an interaction, so sigma has something to measure."""
    return (x[:, 0] + x[:, 0] * x[:, 1])[:, None]


def test_morris_with_one_trajectory_is_refused_before_any_run():
    """One trajectory gives each parameter one elementary effect: sigma is undefined (issue #33)."""
    factors = [Factor("a", 0.0, 1.0), Factor("b", 0.0, 1.0)]
    calls = []
    with pytest.raises(InputError) as caught:
        run_sensitivity(factors, ["y"], lambda x: calls.append(x) or _linear(x), "morris", 1, seed=1)
    assert calls == [], "the model ran before the design was refused"
    message = str(caught.value.problems[0])
    assert message.startswith("--n 1: a Morris design") and "--n 2 or more" in message and "sigma" in message, message
    with pytest.raises(InputError):
        sample_count("morris", 1, 2)  # the CLI's work estimate refuses it too, before --out is made


def test_morris_with_two_trajectories_gives_defined_indices_without_warnings():
    import warnings

    factors = [Factor("a", 0.0, 1.0), Factor("b", 0.0, 1.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = run_sensitivity(factors, ["y"], _linear, "morris", 2, seed=1)
    for key in ("mu_star", "sigma", "mu_star_conf"):
        assert np.isfinite(result.indices[0][key]).all(), key


def test_sim_sensitivity_morris_n_1_exits_2_naming_n(tmp_path, capsys):
    from sim.cli.dispatch import main

    out = tmp_path / "sens"
    assert main(["sensitivity", str(SCENARIOS / "baseline.yaml"), "--method", "morris", "--n", "1",
                 "--params", "influence.saturation", "influence.adjust_rate", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--n 1: a Morris design needs at least 2 trajectories" in err and "Traceback" not in err, err
    assert not out.exists()
