"""Per-replicate parameter draws for a scenario's ``uncertainties:`` (the sample stage).

Each parameter has its own stream, so adding an uncertainty leaves the draws of the
others unchanged, and replicate r's draw depends only on (seed, r, parameter name).
Draws are inverse-CDF transforms of the replicate's uniforms.
"""

from __future__ import annotations

import numpy as np

from sim.model.seeding import stream_for, uniforms
from sim.scenario.catalogue import ParameterSpec
from sim.scenario.loader import Uncertainty


def transform(u: np.ndarray, uncertainty: Uncertainty, spec: ParameterSpec) -> np.ndarray:
    """Map uniforms in [0, 1) to the uncertainty's distribution (within the parameter's range)."""
    args = uncertainty.arguments
    kind = uncertainty.distribution
    if kind == "uniform":
        return args["low"] + u * (args["high"] - args["low"])
    if kind == "triangular":
        low, mode, high = args["low"], args["mode"], args["high"]
        cut = (mode - low) / (high - low)
        left = low + np.sqrt(u * (high - low) * (mode - low))
        right = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
        return np.where(u < cut, left, right)
    if kind == "normal":
        from scipy.special import ndtr, ndtri

        mean, sd = args["mean"], args["sd"]
        lo, hi = ndtr((spec.low - mean) / sd), ndtr((spec.high - mean) / sd)
        return np.clip(mean + sd * ndtri(lo + u * (hi - lo)), spec.low, spec.high)
    if kind == "choice":
        values = np.asarray(args["values"], dtype=float)
        cumulative = np.cumsum(args["weights"]) / np.sum(args["weights"])
        return values[np.minimum(np.searchsorted(cumulative, u, side="right"), len(values) - 1)]
    raise ValueError(f"unknown distribution {kind!r}")


def draw_uncertainties(uncertainties: tuple[Uncertainty, ...], specs: dict[str, ParameterSpec],
                       keys: np.ndarray) -> dict[str, np.ndarray]:
    """One value per replicate for each uncertain parameter."""
    return {
        unc.parameter: transform(uniforms(keys, stream_for(f"uncertainty:{unc.parameter}"), 0, 1)[:, 0],
                                 unc, specs[unc.parameter])
        for unc in uncertainties
    }
