"""Checks of what a program hands the model directly (parameter overrides, pinned levers, budgets):
the same ranges the scenario checker applies to files, read by the same specs
(``sim.scenario.validation``), so a sweep cannot run the model outside them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.errors import InputError, Problem
from sim.model import memory
from sim.scenario.catalogue import ACTORS, Catalogue
from sim.scenario.format import MAX_SEED
from sim.scenario.paths import BUDGET_RANGE
from sim.scenario.validation import ArgumentReport, Numbers, Record, Table


def check_parameters(catalogue: Catalogue, parameters: Mapping[str, float | np.ndarray]) -> None:
    """Parameter overrides must be catalogue names within their ranges, as ``--set`` requires
    (``influence.adjust_rate = 5`` would otherwise give negative influence)."""
    specs = catalogue.parameters
    report = ArgumentReport(lambda key: f"parameters[{key[1]!r}]")
    Table(tuple(specs), lambda name: Numbers(specs[name].low, specs[name].high), noun="parameter",
          listed=False).read(report, ("parameters",), dict(parameters))
    report.raise_any()


def check_pins_and_budgets(catalogue: Catalogue, pinned: Mapping[str, object], budgets: Mapping[str, object]) -> None:
    """Pinned levers must be catalogue levers in [0, 1] (NaN: not pinned there); budgets known actors in range."""
    pins = ArgumentReport(lambda key: f"pinned_levers[{key[1]!r}]")
    Table(tuple(lv.key for lv in catalogue.levers), lambda _: Numbers(0.0, 1.0, nan_absent=True), noun="lever",
          listed=False).read(pins, ("levers",), dict(pinned))
    # read as a scenario's actors.<a>.budget, so the message names the setting as --set does
    spent = ArgumentReport(lambda key: f"budgets[{key[1]!r}]")
    Table(ACTORS, lambda _: Record({"budget": Numbers(*BUDGET_RANGE)}), noun="actor", listed=False).read(
        spent, ("actors",), {actor: {"budget": value} for actor, value in budgets.items()})
    pins.problems += spent.problems
    pins.raise_any()


def check_seed(seed: object) -> int:
    """A seed as scenario files and ``--seed`` take it: a whole number 0..2**63-1 (None is drawn before)."""

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise InputError([Problem.about("seed", f"seed = {seed!r}; expected a whole number 0..{MAX_SEED} (2**63-1) "
                                                "or None")])
    return int(seed)


def check_replicates(n_replicates: object, months: int, series: int) -> int:
    """``n_replicates`` must be a whole number >= 1 whose model fits in the memory available now
    (a model records every replicate; large ensembles run in chunks: ``chunk_size``, ``--chunk-size``)."""

    if isinstance(n_replicates, bool) or not isinstance(n_replicates, int | np.integer) or n_replicates < 1:
        raise InputError([Problem.about("n_replicates", f"n_replicates = {n_replicates!r}; expected a whole "
                                                        "number >= 1")])
    needed = memory.model_bytes(int(n_replicates), months, series)
    available = memory.available_memory()  # through the module: a test stands in a machine of known size
    if available is not None and needed > available:
        raise InputError([Problem.about("n_replicates", f"n_replicates = {n_replicates}: {n_replicates} replicates x "
                                                        f"{months} months in one model "
                                                        f"would need about {memory.size(needed)} of memory "
                                                        f"({memory.size(available)} is available); ask for fewer, or "
                                                        "run them in chunks (chunk_size, --chunk-size)")])
    return int(n_replicates)
