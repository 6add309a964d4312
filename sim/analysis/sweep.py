"""Parameter sweeps: a factorial grid or a Latin hypercube, run as one batched ensemble."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from sim.engine.experiments import Factor, factor_bounds, setting_name
from sim.errors import InputError, Problem

DESIGNS = ("factorial", "lhs")


def parse_vary(text: str) -> tuple[Factor, int | None]:
    """``NAME=LOW:HIGH[:N]`` (LOW/HIGH may be omitted: ``NAME=::5`` uses the catalogue range)."""
    name, sep, spec = text.partition("=")
    parts = spec.split(":") if sep else []
    if not sep or len(parts) not in (2, 3):
        raise InputError([Problem.about(f"--vary {text}", "expected NAME=LOW:HIGH[:N], e.g. "
                                                          "parameters.influence.adjust_rate=0.05:0.3:6")])
    name = setting_name(name.strip(), f"--vary {text}")
    low_bound, high_bound = factor_bounds(name, where=f"--vary {text}")
    try:
        low = float(parts[0]) if parts[0] else low_bound
        high = float(parts[1]) if parts[1] else high_bound
        count = int(parts[2]) if len(parts) == 3 and parts[2] else None
    except ValueError:
        raise InputError([Problem(f"--vary {text}", 1, len(name) + 2, f"'{spec}' is not LOW:HIGH[:N]")]) from None
    if not low_bound <= low < high <= high_bound:
        raise InputError([Problem(f"--vary {text}", 1, len(name) + 2,
                                  f"{low}:{high} must satisfy {low_bound} <= LOW < HIGH <= {high_bound}")])
    if count is not None and count < 2:
        raise InputError([Problem(f"--vary {text}", 1, len(name) + 2, f"N = {count}; expected at least 2")])
    return Factor(name, low, high), count


def design_size(counts: Sequence[int | None], design: str, n_points: int) -> int:
    """How many points a design has, computed without building it (a 1000^4 grid is refused, not built)."""
    return math.prod(c or 5 for c in counts) if design == "factorial" else n_points


def design_points(factors: Sequence[Factor], counts: Sequence[int | None], design: str, n_points: int,
                  seed: int) -> np.ndarray:
    """Points (P, D): the full grid of each factor's levels, or an LHS of ``n_points``."""
    if design == "factorial":
        levels = [np.linspace(f.low, f.high, c or 5) for f, c in zip(factors, counts, strict=True)]
        return np.array(list(itertools.product(*levels)))
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(factors), seed=seed).random(n_points)
    return qmc.scale(unit, [f.low for f in factors], [f.high for f in factors])
