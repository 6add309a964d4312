"""Global sensitivity analysis with SALib (Sobol', Morris) on the batched engine.

Sampling and analysis are SALib's; this module only turns samples into one batched run of
the model (``sim.engine.experiments``) and outcome values back into SALib's analysis. Each sample
averages K replicates (``--replicates-per-sample``, default 1) with the same random streams
(replicates 0..K-1) for every sample, so the model is a deterministic function of the
parameters and the indices measure the parameters alone.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MethodType

import numpy as np

from sim.engine.executors import Executor
from sim.engine.experiments import Factor, evaluate_points
from sim.errors import InputError, Problem
from sim.model.memory import tune_allocator
from sim.scenario.catalogue import load_catalogue
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import Outcome

# SALib and scipy are imported inside the functions that use them: a command that only lists
# default_factors (calibrate, backtest, the EMA adapter) should not pay for them.

METHODS = ("sobol", "morris")


def default_factors(patterns: Sequence[str] = (), where: str = "parameters") -> list[Factor]:
    """Catalogue parameters to vary: those matching the glob patterns in the order given, or every
    global (non-lever) parameter; parameters whose range is a single value are skipped."""
    specs = load_catalogue().parameters
    patterns = [p.removeprefix("parameters.") for p in patterns]  # the full spelling, as --set writes it
    if patterns:  # the user's order: each pattern's matches (catalogue order within a glob), first mention wins
        names = list(dict.fromkeys(n for p in patterns for n in specs if fnmatch.fnmatchcase(n, p)))
        unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in specs)]
        if unmatched:
            raise InputError([Problem.about(where, f"'{unmatched[0]}' matches no parameter (see sim parameters)")])
    else:
        names = [n for n in specs if not n.startswith("levers.")]
    factors = [Factor(n, specs[n].low, specs[n].high) for n in names if specs[n].high > specs[n].low]
    if not factors:
        raise InputError([Problem.about(where, "no parameter with a range to vary among those matched "
                                               "(each has a single value in the catalogue)")])
    return factors


def problem_of(factors: Sequence[Factor]) -> dict:
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [[f.low, f.high] for f in factors]}


MIN_MORRIS_N = 2  # trajectories: one gives each parameter one elementary effect, and no spread


def check_design(method: str, n: int) -> None:
    """Refuse (exit 2) a Morris design of fewer than MIN_MORRIS_N trajectories, before any run.

    Refused rather than computed: with one trajectory each parameter has a single elementary
    effect, so sigma (what tells interactions and non-linearity apart from a plain effect) is
    undefined and the bootstrap confidence of mu* is a zero that claims certainty. Computing
    anyway prints numpy warnings and writes NaN and a false 0 into indices.csv; a modeller asking
    for Morris wants mu* and sigma both, and a second trajectory costs only D+1 more runs.
    """
    if method == "morris" and n < MIN_MORRIS_N:
        raise InputError([Problem.about(f"--n {n}", f"a Morris design needs at least {MIN_MORRIS_N} "
                                               "trajectories (with one, each parameter has a single elementary "
                                               "effect, so its spread sigma and the confidence of mu* are "
                                               f"undefined); use --n {MIN_MORRIS_N} or more (10 or more for a "
                                               "stable ranking)")])


def sample_count(method: str, n: int, n_factors: int, second_order: bool = False) -> int:
    """Model runs a design needs: Sobol' N(D+2), N(2D+2) with second-order indices; Morris N(D+1).
    A design that cannot give defined indices is refused here, before its work is estimated."""
    check_design(method, n)
    if method == "sobol":
        return n * (2 * n_factors + 2 if second_order else n_factors + 2)
    return n * (n_factors + 1)


def sample(problem: dict, method: str, n: int, seed: int, second_order: bool = False) -> np.ndarray:
    check_design(method, n)
    if method == "sobol":
        return saltelli_sample(problem, n, seed, second_order)
    from SALib.sample import morris

    return morris.sample(problem, n, num_levels=4, seed=seed)


def saltelli_sample(problem: dict, n: int, seed: int, second_order: bool = False) -> np.ndarray:
    """SALib's Saltelli design (``SALib.sample.sobol.sample``), the same numbers, built by slicing.

    SALib fills its design matrix one element at a time in Python: about 1 s of a 30-factor,
    second-order design at N = 1024 (1.9 million assignments). Here the same copies are made as
    whole-array operations from the same scrambled Sobol' base sequence; tests check the result
    equals SALib's exactly. Grouped problems, and N not a power of two (SALib warns about its
    convergence), go to SALib itself.
    """
    from SALib.sample import sobol

    if problem.get("groups") or n & (n - 1) or n < 2:
        return sobol.sample(problem, n, calc_second_order=second_order, seed=seed)
    from SALib.util import scale_samples
    from scipy.stats import qmc

    d = problem["num_vars"]
    base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)
    a, b = base[:, :d], base[:, d:]
    diagonal = np.arange(d)
    ab = np.repeat(a[:, None, :], d, axis=1)  # row k: A with column k taken from B
    ab[:, diagonal, diagonal] = b
    blocks = [a[:, None, :], ab]
    if second_order:
        ba = np.repeat(b[:, None, :], d, axis=1)  # row k: B with column k taken from A
        ba[:, diagonal, diagonal] = a
        blocks.append(ba)
    blocks.append(b[:, None, :])
    return scale_samples(np.concatenate(blocks, axis=1).reshape(-1, d), problem)


def analyse(problem: dict, method: str, x: np.ndarray, y: np.ndarray, seed: int, second_order: bool = False,
            executor: Executor | None = None) -> dict:
    """SALib's analysis of one outcome; a Sobol' analysis with second order runs on ``executor``'s workers."""
    tune_allocator()  # the bootstrap's 800 KB temporaries, reused rather than faulted in (sim.model.memory)
    if method == "sobol":
        from SALib.analyze import sobol

        seed = salib_seed(seed)
        if second_order and executor is not None and executor.workers > 1 and not problem.get("groups"):
            return _sobol_on_workers(problem, y, seed, executor)
        return sobol.analyze(problem, y, calc_second_order=second_order, seed=seed)
    from SALib.analyze import morris

    return morris.analyze(problem, x, y, num_levels=4, seed=seed)


SEED_ZERO_STANDIN = 2**32 - 1  # SALib's Sobol' analysis treats seed 0 as "no seed" (fresh draws each run)


def salib_seed(seed: int) -> int:
    """The seed handed to SALib's Sobol' analysis: ``seed``, except 0, which SALib reads as
    unseeded (confidence intervals would change from run to run); 0 becomes a fixed stand-in."""
    return seed or SEED_ZERO_STANDIN


def _sobol_on_workers(problem: dict, y: np.ndarray, seed: int, executor: Executor) -> dict:
    """``sobol.analyze(..., calc_second_order=True)`` with its index tasks on the executor.

    SALib's own parallel mode forks a ``multiprocessing.Pool`` of its own; this hands the same
    tasks (SALib's ``create_task_list`` and ``sobol_parallel``) to the backend already running,
    local or Dask, and assembles them with SALib's ``Si_list_to_dict``. The preparation below
    is ``analyze``'s, step for step (defaults: 100 resamples, 95% confidence); a test checks
    that every index equals the serial analysis exactly.
    """
    from SALib.analyze import sobol
    from scipy.stats import norm

    d, resamples = problem["num_vars"], 100
    n = y.size // (2 * d + 2)
    if n * (2 * d + 2) != y.size:  # let SALib report the mismatch
        return sobol.analyze(problem, y, calc_second_order=True, seed=seed)
    normalised = (y - y.mean()) / y.std()
    a, b, ab, ba = sobol.separate_output_values(normalised, d, n, True)
    r = np.random.default_rng(seed).integers(n, size=(n, resamples))
    z = norm.ppf(0.5 + 0.95 / 2)
    n_tasks = 4 * d + d * (d - 1)  # S1, S1_conf, ST, ST_conf per factor; S2, S2_conf per pair
    # a few shares per worker, each carrying the arrays: capped, so a large cluster is not sent
    # hundreds of copies of them
    tasks, _ = sobol.create_task_list(d, True, max(1, min(4 * executor.workers, 32, n_tasks)))
    parts = executor.map(sobol_indices, ((z, a, ab, ba, b, r, list(chunk)) for chunk in tasks))
    result = sobol.Si_list_to_dict(list(parts), d, resamples, False, True)
    result.problem = problem
    result.to_df = MethodType(sobol.to_df, result)
    return result


def sobol_indices(*args) -> list:
    """One share of the index tasks, on a worker: SALib's ``sobol_parallel`` (a pure function)."""
    from SALib.analyze import sobol

    tune_allocator()
    return sobol.sobol_parallel(*args)


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
                    replicates_per_sample: int = 1, second_order: bool = False,
                    executor: Executor | None = None) -> SensitivityResult:
    """Sample, evaluate (``evaluate(X) -> Y`` with Y of shape (samples, outcomes)), analyse
    (second-order Sobol' analyses on ``executor``, if given)."""
    start = time.perf_counter()
    problem = problem_of(factors)
    x = sample(problem, method, n, seed, second_order)
    y = evaluate(x)
    indices = [analyse(problem, method, x, y[:, j], seed, second_order, executor) for j in range(y.shape[1])]
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
