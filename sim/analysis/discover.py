"""Scenario discovery: under which conditions does a yes/no outcome happen? (``sim discover``)

The scenario's uncertainties (what we do not know, each with its range) are sampled by a Latin
hypercube; every point runs a few replicates (the same random streams at every point); each run
says whether the outcome happened (``decision.mali.mali_leaves_ecowas@end > 0``,
``influence.russia.mali@2024-01 > influence.algeria.mali@2024-01``). PRIM (EMA Workbench's
implementation) then peels the parameter box towards the runs where it happened. The box reported
starts as the densest box on PRIM's peeling trajectory that keeps at least ``min_coverage`` of the
runs where it happens; the last peels restrict every uncertainty a little and fit noise, so only
the ``max_dims`` restrictions that matter most are kept (each ranked by how much density the box
loses without it), and the reduced box's coverage and density are measured on the runs again: a
box a strategist can read ("it happens in 82% of runs where X > a; these are 64% of all runs
where it happens").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sim.engine.experiments import Factor, evaluate_points, factor_bounds
from sim.errors import InputError, Problem
from sim.scenario.catalogue import load_catalogue
from sim.scenario.format import threshold_parts
from sim.scenario.loader import Scenario
from sim.scenario.outcomes import OutcomeError, parse_outcome


@dataclass(frozen=True)
class Restriction:
    name: str
    low: float
    high: float
    full_low: float  # the uncertainty's own range
    full_high: float

    def sentence(self) -> str:
        if self.low > self.full_low and self.high < self.full_high:
            return f"{self.name} is between {self.low:.3g} and {self.high:.3g}"
        if self.low > self.full_low:
            return f"{self.name} > {self.low:.3g}"
        return f"{self.name} < {self.high:.3g}"


@dataclass(frozen=True)
class Discovery:
    outcome: str
    runs: int
    happened: int
    coverage: float  # share of the runs where it happened that fall in the box
    density: float  # share of the runs in the box where it happened
    mass: float  # share of all runs in the box
    restrictions: tuple[Restriction, ...]
    trajectory: tuple[tuple[float, float, int], ...]  # (coverage, density, restricted dims) along the peel

    def sentence(self) -> str:
        base = self.happened / self.runs
        if not self.restrictions:
            return (f"{self.outcome} happens in {base:.0%} of {self.runs} runs; no box of conditions concentrates "
                    "it (PRIM restricted nothing).")
        where = " and ".join(r.sentence() for r in self.restrictions)
        return (f"{self.outcome} happens in {self.density:.0%} of runs where {where}; these are {self.coverage:.0%} "
                f"of all runs where it happens ({self.happened} of {self.runs} runs, {base:.0%}; the box holds "
                f"{self.mass:.0%} of the runs).")


def uncertainty_factors(scenario: Scenario) -> list[Factor]:
    """The scenario's uncertainties as factors: a uniform draw's own range, else the catalogue's."""
    out = []
    for u in scenario.uncertainties:
        if u.distribution == "uniform":
            out.append(Factor(u.parameter, float(u.arguments["low"]), float(u.arguments["high"])))
        else:
            out.append(Factor(u.parameter, *factor_bounds(u.parameter)))
    return out


def parse_condition(text: str, lever_ids) -> tuple:
    """``EXPR OP EXPR|NUMBER`` -> (left outcome, op, right outcome or number); InputError located on --outcome."""
    parts = threshold_parts(text)  # the project's one reading of "A op B" (question thresholds too)
    if parts is None:
        raise InputError([Problem.about("--outcome", f"{text!r}: expected a comparison, e.g. "
                                                     "'decision.mali.mali_leaves_ecowas@end > 0'")])
    left, op, right = parts
    if isinstance(left, float):
        raise InputError([Problem.about("--outcome", f"{text!r}: put the outcome on the left, e.g. "
                                                     "'influence.russia.mali@end > 0.1'")])
    try:
        sides = [side if isinstance(side, float) else parse_outcome(side, lever_ids) for side in (left, right)]
    except OutcomeError as exc:
        raise InputError([Problem.about("--outcome", f"{exc} in {text!r}")]) from None
    return sides[0], op, sides[1]


def discover(scenario: Scenario, condition: str, *, points: int, replicates: int, seed: int,
             factors: list[Factor] | None = None, max_dims: int = 3, min_coverage: float = 0.5) -> Discovery:
    """Sample the uncertainties, run, and find the box of conditions where ``condition`` holds."""
    import pandas as pd
    from scipy.stats import qmc

    factors = factors if factors is not None else uncertainty_factors(scenario)
    if not factors:
        raise InputError([Problem.about(scenario.path or scenario.name, "nothing to discover over: the scenario has "
                                                                       "no uncertainties")])
    left, op, right = parse_condition(condition, load_catalogue().lever_ids())
    outcomes = [left] if isinstance(right, float) else [left, right]
    low, high = np.array([f.low for f in factors]), np.array([f.high for f in factors])
    design = low + qmc.LatinHypercube(d=len(factors), seed=seed).random(points) * (high - low)
    values = evaluate_points(scenario, factors, design, outcomes, replicates_per_point=replicates, seed=seed)
    a = values[:, :, 0].reshape(-1)
    b = right if isinstance(right, float) else values[:, :, 1].reshape(-1)
    y = {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    x = pd.DataFrame(np.repeat(design, replicates, axis=0), columns=[f.name for f in factors])
    return _prim(condition, x, y, factors, max_dims, min_coverage)


def _prim(condition: str, x, y: np.ndarray, factors: list[Factor], max_dims: int, min_coverage: float) -> Discovery:
    happened = int(y.sum())
    if happened == 0 or happened == len(y):
        return Discovery(condition, len(y), happened, float(happened > 0), happened / len(y), 1.0, (), ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EMA's import-time and deprecation notes
        from ema_workbench.analysis import prim

        box = prim.Prim(x, y).find_box()
    trajectory = box.peeling_trajectory
    covering = trajectory[trajectory["coverage"] >= min_coverage]
    chosen = int((covering if len(covering) else trajectory)["density"].idxmax())
    limits = box.box_lims[chosen]
    bounds = {f.name: (float(limits[f.name].iloc[0]), float(limits[f.name].iloc[1])) for f in factors}
    full = {f.name: (float(x[f.name].min()), float(x[f.name].max())) for f in factors}
    restricted = [name for name in bounds if bounds[name] != full[name]]

    def inside(names) -> np.ndarray:
        mask = np.ones(len(y), bool)
        for name in names:
            mask &= (x[name].to_numpy() >= bounds[name][0]) & (x[name].to_numpy() <= bounds[name][1])
        return mask

    def density(names) -> float:
        mask = inside(names)
        return float(y[mask].mean()) if mask.any() else 0.0

    whole = density(restricted)
    kept = sorted(restricted, key=lambda name: density([n for n in restricted if n != name]) - whole)[:max_dims]
    mask = inside(kept)
    restrictions = tuple(Restriction(name, *bounds[name], *full[name]) for name in kept)
    steps = tuple((float(r.coverage), float(r.density), int(r.res_dim)) for r in trajectory.itertuples())
    return Discovery(condition, len(y), happened, float(y[mask].sum() / happened), float(y[mask].mean()),
                     float(mask.mean()), restrictions, steps)
