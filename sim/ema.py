"""The model as an EMA Workbench ``Model`` in one call (optional extra: ``pip install sahel-sim[ema]``).

    from ema_workbench import perform_experiments
    from sim.ema import BatchedEvaluator, ema_model

    model = ema_model("baseline", uncertainties=["influence.adjust_rate"], levers=["morocco.investment"],
                      outcomes={"mean(influence.morocco.mali)": "maximize"})
    experiments, outcomes = perform_experiments(model, scenarios=20, policies=2)  # one experiment at a time
    with BatchedEvaluator(model) as evaluator:  # the same numbers, the whole design as one ensemble
        experiments, outcomes = evaluator.perform_experiments(scenarios=20, policies=2)

Each experiment is one batched ensemble of ``n_replicates`` (common random numbers across
experiments) through ``sim.evaluate``; an outcome is its mean over the replicates.
``BatchedEvaluator`` runs every experiment of a design in a single ``sim.evaluate`` call.

EMA names must be Python identifiers, so every uncertainty, lever and outcome is known to EMA
by an identifier made from its sim name (``identifier``); ``model.sim_names`` maps each
identifier back to the sim name (``parameters.influence.adjust_rate``,
``levers.morocco.investment``, ``mean(influence.morocco.mali)``).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.analysis.sensitivity import default_factors
from sim.api import ScenarioLike, evaluate, outcomes_for, whole_number
from sim.engine.experiments import Factor, factor_bounds
from sim.errors import InputError, Problem
from sim.scenario.format import MAX_SEED
from sim.scenario.loader import Scenario, resolve_scenario

try:
    from ema_workbench import Model, RealParameter, ScalarOutcome
    from ema_workbench.em_framework.evaluators import BaseEvaluator
    from ema_workbench.em_framework.points import Sample
except ImportError as exc:  # pragma: no cover - the extra is installed wherever the tests run
    raise ImportError("sim.ema needs ema_workbench: pip install 'sahel-sim[ema]'") from exc

__all__ = ["DIRECTIONS", "BatchedEvaluator", "SimModel", "ema_model", "identifier"]

DIRECTIONS = {"maximize": ScalarOutcome.MAXIMIZE, "minimize": ScalarOutcome.MINIMIZE, "info": ScalarOutcome.INFO}


def identifier(name: str, taken: Iterable[str] = ()) -> str:
    """The Python identifier EMA knows a sim name by.

    Dots become ``__``; a run of any other characters that are not ASCII letters, digits or ``_``
    becomes one ``_`` (dropped at the end of the name); a name starting with a digit, or a Python
    keyword, gets a ``_`` before or after it; a name already in ``taken`` gets ``_2``, ``_3``, ...
    So ``parameters.influence.adjust_rate`` -> ``parameters__influence__adjust_rate``,
    ``levers.morocco.investment`` -> ``levers__morocco__investment``, and
    ``mean(influence.morocco.mali)`` -> ``mean_influence__morocco__mali``. Catalogue settings
    never hold ``__``, so for them the rule reverses (``__`` -> ``.``); for outcome expressions,
    read ``model.sim_names``.
    """
    text = re.sub(r"[^0-9A-Za-z_.]+$", "", name).replace(".", "__")
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text) or "_"
    if text[0].isdigit():
        text = f"_{text}"
    if keyword.iskeyword(text):
        text = f"{text}_"
    taken = set(taken)
    unique, n = text, 1
    while unique in taken:
        n += 1
        unique = f"{text}_{n}"
    return unique


@dataclass(frozen=True)
class _Evaluation:
    """The model's function: settings (sim names) -> outcome means over ``n_replicates``, for one
    experiment (EMA calls it with keyword arguments) or for many at once (``batch``)."""

    scenario: Scenario
    settings: tuple[str, ...]  # sim names of the uncertainties and levers, in the model's order
    outcomes: tuple[str, ...]  # outcome expressions
    n_replicates: int
    seed: int

    def __call__(self, **experiment: float) -> dict[str, float]:
        point = {name: experiment[name] for name in self.settings if name in experiment}
        return dict(zip(self.outcomes, self.batch([point])[0], strict=True))

    def batch(self, points: Sequence[Mapping[str, float]]) -> list[list[float]]:
        """Outcome means of each point (all with the same names), in one ``sim.evaluate`` call."""
        names = list(points[0]) if points else []
        values = evaluate(self.scenario, {n: [p[n] for p in points] for n in names}, self.outcomes,
                          replicates_per_point=self.n_replicates, seed=self.seed)
        return [[float(np.mean(values[p, :, j])) for j in range(len(self.outcomes))] for p in range(len(values))]


class SimModel(Model):
    """An ``ema_workbench.Model`` of a sim scenario, made by ``ema_model``.

    Attributes:
        sim_names: EMA identifier -> sim name, for every uncertainty, lever and outcome
            (``{"parameters__influence__adjust_rate": "parameters.influence.adjust_rate", ...}``).
        identifiers: the reverse, sim name -> EMA identifier.
        scenario, n_replicates, seed: what every experiment runs.
    """

    function: _Evaluation

    def __init__(self, name: str, function: _Evaluation, sim_names: Mapping[str, str]):
        super().__init__(name, function=function)
        self.sim_names = dict(sim_names)

    @property
    def identifiers(self) -> dict[str, str]:
        return {sim: ema for ema, sim in self.sim_names.items()}

    @property
    def scenario(self) -> Scenario:
        return self.function.scenario

    @property
    def n_replicates(self) -> int:
        return self.function.n_replicates

    @property
    def seed(self) -> int:
        return self.function.seed

    def point_of(self, scenario: Sample, policy: Sample) -> dict[str, float]:
        """The settings (sim names) an experiment runs with: what ``run_model`` passes the
        function, translated from EMA names by EMA's own ``_transform``."""
        scenario, policy = scenario.copy(), policy.copy()
        constants = Sample(**{c.name: c.value for c in self.constants})
        self._transform(scenario, self.uncertainties)
        self._transform(policy, self.levers)
        self._transform(constants, self.constants)
        given = {**constants, **policy, **scenario}
        return {name: given[name] for name in self.function.settings if name in given}

    def outcomes_of(self, means: Sequence[float]) -> dict[str, Any]:
        """EMA outcomes (by identifier) from the function's outcome means, as ``outcomes_output`` makes them."""
        by_expression = dict(zip(self.function.outcomes, means, strict=True))
        return {o.name: o.process([by_expression[v] for v in o.variable_name]) for o in self.outcomes}


def ema_model(scenario: ScenarioLike = "baseline", *, uncertainties: Sequence[str] | None = None,
              levers: Sequence[str] = (),
              outcomes: Sequence[str] | Mapping[str, str] = ("mean(influence.russia.mali)",),
              n_replicates: int = 20, seed: int | None = None, name: str | None = None) -> SimModel:
    """An ``ema_workbench.Model`` (a ``SimModel``) of ``scenario``.

    Args:
        uncertainties: catalogue parameters to vary (glob patterns allowed, with or without the
            ``parameters.`` prefix), each a ``RealParameter`` over a range:

            * None (the default): the scenario's own ``uncertainties:``. A ``uniform`` one keeps
              its ``low``..``high``; a ``normal``, ``triangular`` or ``choice`` one is varied over
              the parameter's catalogue range (EMA samples a range; the shape is not kept).
            * patterns: the catalogue range, except a parameter the scenario has as a ``uniform``
              uncertainty, which keeps the scenario's ``low``..``high``.

            A range of a single value is skipped. The scenario's other uncertainties are still
            drawn per replicate, so an outcome is also averaged over them.
        levers: policy levers, ``"actor.lever"`` (or ``"levers.actor.lever"``) intensities in
            [0, 1], or ``"actors.<actor>.budget"`` over the budget range; each pinned for the run.
        outcomes: outcome expressions, as a sequence (each an ``INFO`` outcome) or a mapping
            ``{expression: "maximize" | "minimize" | "info"}`` setting each ``ScalarOutcome``'s
            kind, so ``optimize`` knows what to search for.
        n_replicates: replicates per experiment (an outcome is its mean over them); the same
            replicates 0..n-1 in every experiment (common random numbers).
        seed: default, the scenario's.
        name: the EMA model name (a Python identifier); default, from the scenario's name.

    Every uncertainty, lever and outcome is named by ``identifier(sim name)`` in EMA (the
    experiments' columns, the outcomes' keys); ``model.sim_names`` maps them back.

    Raises:
        InputError: an unknown parameter, lever or outcome, or a direction that is none of
            ``maximize``, ``minimize``, ``info`` (every problem at once).
    """
    resolved = resolve_scenario(scenario)
    problems: list[Problem] = []
    factors: list[Factor] = []
    own = {u.parameter: u for u in resolved.uncertainties}
    uncertainties, levers = ([names] if isinstance(names, str) else names for names in (uncertainties, levers))
    patterns = list(uncertainties) if uncertainties is not None else list(own)
    if patterns:
        try:
            factors = default_factors(patterns, where="ema_model: uncertainties")
        except InputError as exc:
            problems += exc.problems
    factors = [_scenario_range(f, own.get(f.name)) for f in factors]
    factors = [f for f in factors if f.high > f.low]

    lever_factors = []
    for lever in levers:
        if not isinstance(lever, str):
            problems.append(Problem.about("ema_model: levers", f"{lever!r}; expected a name such as "
                                                               "'morocco.investment'"))
            continue
        full = lever if lever.startswith(("levers.", "actors.")) else f"levers.{lever}"
        try:
            lever_factors.append(Factor(full, *factor_bounds(full, where="ema_model: levers")))
        except InputError as exc:
            problems += exc.problems

    if not problems and not factors and not lever_factors:
        problems.append(Problem.about("ema_model", "nothing to vary: the scenario has no uncertainties with a range; "
                                                   "give uncertainties= or levers="))
    directions = _directions(outcomes, problems)
    try:
        parsed = outcomes_for(list(directions), resolved, "ema_model: outcomes")
    except InputError as exc:
        problems += exc.problems
        parsed = []
    if not directions:
        problems.append(Problem.about("ema_model: outcomes", "no outcomes; expected e.g. "
                                                             "{'mean(influence.russia.mali)': 'minimize'}"))
    if problems:
        raise InputError(problems)
    n_replicates = whole_number(n_replicates, "n_replicates", 20)
    seed = whole_number(seed, "seed", resolved.seed, minimum=0, maximum=MAX_SEED)
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        raise InputError([Problem.about("ema_model: name", f"name = {name!r}; expected a Python identifier "
                                                          "(EMA's rule), e.g. 'baseline'")])

    sim_names: dict[str, str] = {}

    def named(sim_name: str) -> str:
        ema_name = identifier(sim_name, sim_names)
        sim_names[ema_name] = sim_name
        return ema_name

    parameters = [(f"parameters.{f.name}", f) for f in factors]  # evaluate's spelling, as --set's
    policies = [(f.name, f) for f in lever_factors]
    model_uncertainties = [RealParameter(named(s), f.low, f.high, variable_name=s) for s, f in parameters]
    model_levers = [RealParameter(named(s), f.low, f.high, variable_name=s) for s, f in policies]
    texts = [o.text for o in parsed]
    model_outcomes = [ScalarOutcome(named(text), kind=DIRECTIONS[directions[text]], variable_name=text)
                      for text in texts]
    function = _Evaluation(resolved, tuple(s for s, _ in parameters + policies), tuple(texts), n_replicates, seed)
    model = SimModel(name or identifier(resolved.name), function, sim_names)
    model.uncertainties = model_uncertainties
    model.levers = model_levers
    model.outcomes = model_outcomes
    return model


def _scenario_range(factor: Any, uncertainty: Any) -> Any:
    """The factor over the scenario's uniform ``low``..``high`` when it has one, else as it is."""
    if uncertainty is None or uncertainty.distribution != "uniform":
        return factor
    return type(factor)(factor.name, float(uncertainty.arguments["low"]), float(uncertainty.arguments["high"]))


def _directions(outcomes: Sequence[str] | Mapping[str, str], problems: list[Problem]) -> dict[str, str]:
    """Outcome expression -> direction (``info`` for a sequence); a bad direction is a problem."""
    if isinstance(outcomes, str):
        return {outcomes: "info"}
    if not isinstance(outcomes, Mapping):
        return dict.fromkeys((str(text) for text in outcomes), "info")
    directions = {}
    for text, direction in outcomes.items():
        known = isinstance(direction, str) and direction in DIRECTIONS
        if not known:
            problems.append(Problem.about(f"ema_model: outcomes[{str(text)!r}]", f"direction {direction!r}; "
                                                                                 "expected 'maximize', 'minimize' "
                                                                                 "or 'info'"))
        directions[str(text)] = direction if known else "info"
    return directions


class BatchedEvaluator(BaseEvaluator):
    """An EMA evaluator that runs a whole experiment design as one ``sim.evaluate`` call.

        with BatchedEvaluator(model) as evaluator:
            experiments, outcomes = evaluator.perform_experiments(scenarios=100, policies=4)

    The experiments of a ``SimModel`` (made by ``ema_model``) become the points of one batched
    ensemble; each experiment's outcomes then reach EMA's callback as its own run would, so the
    results are EMA's usual ``(experiments, outcomes)`` with the same numbers as
    ``perform_experiments(model, ...)``. ``optimize`` through this evaluator batches each
    generation. Several models: one call per model (and per set of names, should explicit
    scenarios or policies leave some uncertainty or lever out).
    """

    def initialize(self) -> None:
        """Nothing to start: the ensemble runs in this process."""

    def finalize(self) -> None:
        """Nothing to stop."""

    def evaluate_experiments(self, experiments: Iterable[Any], callback: Callable, **kwargs: Any) -> None:
        experiments = list(experiments)
        models = {model.name: model for model in self._msis}
        points, batches = [], {}
        for index, experiment in enumerate(experiments):
            model = models[experiment.model_name]
            if not isinstance(model, SimModel):
                raise TypeError(f"BatchedEvaluator runs models made by sim.ema.ema_model; {model.name!r} is a "
                                f"{type(model).__name__}")
            point = model.point_of(experiment.scenario, experiment.policy)
            points.append(point)
            batches.setdefault((model.name, tuple(point)), []).append(index)  # same columns: one call
        results: list[dict[str, Any]] = [{} for _ in experiments]
        for (model_name, _), members in batches.items():
            model = models[model_name]
            for index, means in zip(members, model.function.batch([points[i] for i in members]), strict=True):
                results[index] = model.outcomes_of(means)
        for experiment, outcomes in zip(experiments, results, strict=True):
            callback(experiment, outcomes)
