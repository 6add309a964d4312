"""Global sensitivity analysis with SALib (Sobol', Morris) on the batched engine.

Sampling and analysis are SALib's; this module only turns samples into one batched run of
the model (``sim.engine.experiments``) and outcome values back into SALib's analysis. Each sample
averages K replicates (``--replicates-per-sample``, default 1) with the same random streams
(replicates 0..K-1) for every sample, so the model is a deterministic function of the
parameters and the indices measure the parameters alone.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.engine.executors import Executor
from sim.engine.experiments import Factor, evaluate_points
from sim.errors import InputError, Problem
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import Outcome

METHODS = ("sobol", "morris")


def default_factors(patterns: Sequence[str] = (), where: str = "parameters") -> list[Factor]:
    """Catalogue parameters to vary: those matching the glob patterns in the order given, or every
    global (non-lever) parameter; parameters whose range is a single value are skipped."""
    specs = load_catalogue().parameters
    if patterns:  # the user's order: each pattern's matches (catalogue order within a glob), first mention wins
        names = list(dict.fromkeys(n for p in patterns for n in specs if fnmatch.fnmatchcase(n, p)))
        unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in specs)]
        if unmatched:
            raise InputError([Problem(where, 1, 1, f"'{unmatched[0]}' matches no parameter (see sim parameters)")])
    else:
        names = [n for n in specs if not n.startswith("levers.")]
    factors = [Factor(n, specs[n].low, specs[n].high) for n in names if specs[n].high > specs[n].low]
    if not factors:
        raise InputError([Problem(where, 1, 1, "no parameter with a range to vary among those matched "
                                               "(each has a single value in the catalogue)")])
    return factors


def problem_of(factors: Sequence[Factor]) -> dict:
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [[f.low, f.high] for f in factors]}


def sample_count(method: str, n: int, n_factors: int, second_order: bool = False) -> int:
    """Model runs a design needs: Sobol' N(D+2), N(2D+2) with second-order indices; Morris N(D+1)."""
    if method == "sobol":
        return n * (2 * n_factors + 2 if second_order else n_factors + 2)
    return n * (n_factors + 1)


def sample(problem: dict, method: str, n: int, seed: int, second_order: bool = False) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=4, seed=seed)


def analyse(problem: dict, method: str, x: np.ndarray, y: np.ndarray, seed: int, second_order: bool = False) -> dict:
    if method == "sobol":
        from SALib.analyze import sobol

        return sobol.analyze(problem, y, calc_second_order=second_order, seed=seed)
    from SALib.analyze import morris

    return morris.analyze(problem, x, y, num_levels=4, seed=seed)


@dataclass(frozen=True)
class SensitivityResult:
    method: str
    names: list[str]
    outcomes: list[str]
    indices: list[dict]  # one SALib result per outcome
    n_runs: int  # samples evaluated
    seconds: float
    replicates_per_sample: int = 1
    second_order: bool = False  # Sobol' S2 for every pair of factors

    def table(self) -> list[dict]:
        rows = []
        keys = ("S1", "S1_conf", "ST", "ST_conf") if self.method == "sobol" else ("mu_star", "mu_star_conf", "sigma")
        for outcome, result in zip(self.outcomes, self.indices, strict=True):
            for i, name in enumerate(self.names):
                rows.append({"outcome": outcome, "parameter": name, **{k: float(result[k][i]) for k in keys}})
        return rows

    def pairs(self) -> list[dict]:
        """Second-order Sobol' indices, one row per outcome and pair of factors (empty without them)."""
        if not self.second_order:
            return []
        rows = []
        for outcome, result in zip(self.outcomes, self.indices, strict=True):
            for i, first in enumerate(self.names):
                for j in range(i + 1, len(self.names)):
                    rows.append({"outcome": outcome, "parameter": first, "other": self.names[j],
                                 "S2": float(result["S2"][i, j]), "S2_conf": float(result["S2_conf"][i, j])})
        return rows

    def confidence(self, outcome_index: int = 0) -> dict[str, float]:
        """95% confidence half-width of the ranking index, per parameter."""
        key = "ST_conf" if self.method == "sobol" else "mu_star_conf"
        return {name: float(v) for name, v in zip(self.names, self.indices[outcome_index][key], strict=True)}

    def ranking(self, outcome_index: int = 0) -> list[tuple[str, float]]:
        key = "ST" if self.method == "sobol" else "mu_star"
        values = self.indices[outcome_index][key]
        return sorted(zip(self.names, (float(v) for v in values), strict=True), key=lambda item: -item[1])


def run_sensitivity(factors: Sequence[Factor], outcome_names: Sequence[str],
                    evaluate: Callable[[np.ndarray], np.ndarray], method: str, n: int, seed: int,
                    replicates_per_sample: int = 1, second_order: bool = False) -> SensitivityResult:
    """Sample, evaluate (``evaluate(X) -> Y`` with Y of shape (samples, outcomes)), analyse."""
    import time

    start = time.perf_counter()
    problem = problem_of(factors)
    x = sample(problem, method, n, seed, second_order)
    y = evaluate(x)
    indices = [analyse(problem, method, x, y[:, j], seed, second_order) for j in range(y.shape[1])]
    return SensitivityResult(method, problem["names"], list(outcome_names), indices, len(x),
                             time.perf_counter() - start, replicates_per_sample, second_order)


def model_evaluator(scenario: Scenario, factors: Sequence[Factor], outcomes: Sequence[Outcome], seed: int,
                    on_chunk: Callable[[int], None] | None = None,
                    replicates_per_sample: int = 1,
                    executor: Executor | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """``X -> Y``: each sample's outcomes averaged over replicates 0..K-1 (the same K random
    streams for every sample, so the indices measure the parameters, not the noise)."""
    def evaluate(x: np.ndarray) -> np.ndarray:
        return evaluate_points(scenario, factors, x, outcomes, replicates_per_point=replicates_per_sample, seed=seed,
                               on_chunk=on_chunk, executor=executor).mean(axis=1)

    return evaluate
