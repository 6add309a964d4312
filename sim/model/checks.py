"""Checks of what a program hands the model directly (parameter overrides, pinned levers, budgets):
the same ranges the scenario checker applies to files, so a sweep cannot run the model outside them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.scenario.catalogue import ACTORS
from sim.scenario.loader import BUDGET_RANGE

ULPS = 4  # how far outside a range a sampled value may round (a design's edge: low - 1e-17) and be taken


def exact(value: float) -> str:
    """A number as the message should show it: whole numbers plainly (5), others in full (0.039999999999999994),
    so a value just outside a range does not print as its bound."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def in_range(values: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """(values clipped into [low, high] where they miss it by at most ULPS floating-point steps,
    the values that miss it by more, NaN included): a sampling design at a range's edge is
    accepted, a value really outside is refused."""
    values = np.asarray(values, dtype=float)
    tolerance = ULPS * np.spacing(max(abs(low), abs(high), 1.0))
    near = (values >= low - tolerance) & (values <= high + tolerance)
    return np.clip(values, low, high), values[~near]


def check_parameters(catalogue, parameters: Mapping[str, float | np.ndarray]) -> None:
    """Parameter overrides must be catalogue names within their ranges, as ``--set`` requires
    (``influence.adjust_rate = 5`` would otherwise give negative influence)."""
    from sim.errors import InputError, Problem, did_you_mean

    problems = []
    for name, value in parameters.items():
        spec = catalogue.parameters.get(name)
        if spec is None:
            problems.append(Problem.about(f"parameters[{name!r}]", f"unknown parameter '{name}'"
                                                                   f"{did_you_mean(name, list(catalogue.parameters))}"))
            continue
        _, bad = in_range(value, spec.low, spec.high)
        if bad.size:
            shown = exact(bad.reshape(-1)[0])
            problems.append(Problem.about(f"parameters[{name!r}]", f"parameters.{name} = {shown} is outside "
                                                                   f"[{spec.low!r}, {spec.high!r}]"))
    if problems:
        raise InputError(problems)


def check_pins_and_budgets(catalogue, pinned: Mapping[str, object], budgets: Mapping[str, object]) -> None:
    """Pinned levers must be catalogue levers in [0, 1] (NaN: not pinned there); budgets known actors in range."""
    from sim.errors import InputError, Problem, did_you_mean

    keys = [lv.key for lv in catalogue.levers]
    problems = []
    for key, value in pinned.items():
        if key not in keys:
            problems.append(Problem.about(f"pinned_levers[{key!r}]", f"unknown lever '{key}'{did_you_mean(key, keys)}"))
            continue
        values = np.asarray(value, dtype=float)
        _, bad = in_range(values[~np.isnan(values)], 0.0, 1.0)  # NaN: not pinned in that replicate
        if bad.size:
            problems.append(Problem.about(f"pinned_levers[{key!r}]", f"levers.{key} = {exact(bad.reshape(-1)[0])} is "
                                                                     "outside [0.0, 1.0]"))
    for actor, value in budgets.items():
        if actor not in ACTORS:
            problems.append(Problem.about(f"budgets[{actor!r}]",
                                          f"unknown actor '{actor}'{did_you_mean(actor, ACTORS)}"))
            continue
        _, bad = in_range(value, *BUDGET_RANGE)
        if bad.size:
            shown = exact(bad.reshape(-1)[0])
            problems.append(Problem.about(f"budgets[{actor!r}]", f"actors.{actor}.budget = {shown} is "
                                                                 f"outside [{BUDGET_RANGE[0]}, {BUDGET_RANGE[1]}]"))
    if problems:
        raise InputError(problems)


def check_seed(seed: object) -> int:
    """A seed as scenario files and ``--seed`` take it: a whole number 0..2**63-1 (None is drawn before)."""
    from sim.errors import InputError, Problem
    from sim.scenario.format import MAX_SEED

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise InputError([Problem.about("seed", f"seed = {seed!r}; expected a whole number 0..{MAX_SEED} (2**63-1) "
                                                "or None")])
    return int(seed)


def check_replicates(n_replicates: object, months: int, series: int) -> int:
    """``n_replicates`` must be a whole number >= 1 whose model fits in the memory available now
    (a model records every replicate; large ensembles run in chunks: ``chunk_size``, ``--chunk-size``)."""
    from sim.errors import InputError, Problem
    from sim.model.memory import available_memory, model_bytes, size

    if isinstance(n_replicates, bool) or not isinstance(n_replicates, int | np.integer) or n_replicates < 1:
        raise InputError([Problem.about("n_replicates", f"n_replicates = {n_replicates!r}; expected a whole "
                                                        "number >= 1")])
    needed = model_bytes(int(n_replicates), months, series)
    available = available_memory()
    if available is not None and needed > available:
        raise InputError([Problem.about("n_replicates", f"n_replicates = {n_replicates}: {n_replicates} replicates x "
                                                        f"{months} months in one model "
                                                        f"would need about {size(needed)} of memory "
                                                        f"({size(available)} is available); ask for fewer, or run "
                                                        "them in chunks (chunk_size, --chunk-size)")])
    return int(n_replicates)
