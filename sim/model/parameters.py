"""Resolved parameter values for a batch of replicates.

Every catalogue parameter becomes an array of shape (R,), so one model instance can run
replicates (or sweep points, or sensitivity samples) with different values side by side.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.scenario.catalogue import LEVER_PARAMETERS, Catalogue, lever_parameter_name


class ParameterSet:
    """Parameter values per replicate, and per-lever matrices (R, L) built from them."""

    def __init__(self, catalogue: Catalogue, n_replicates: int,
                 values: Mapping[str, float | np.ndarray] | None = None):
        """
        Args:
            catalogue: where defaults and names come from.
            n_replicates: R, the length of every value array.
            values: overrides by name; a scalar applies to all replicates, an array of
                shape (R,) gives each replicate its own value.
        """
        self.catalogue = catalogue
        self.n_replicates = n_replicates
        self.values: dict[str, np.ndarray] = {
            name: np.full(n_replicates, spec.default) for name, spec in catalogue.parameters.items()
        }
        for name, value in (values or {}).items():
            self.set(name, value)
        self._matrices: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def set(self, name: str, value: float | np.ndarray) -> None:
        if name not in self.values:
            raise KeyError(f"unknown parameter {name!r}")
        self.values[name] = np.broadcast_to(np.asarray(value, dtype=float), (self.n_replicates,)).copy()
        self._matrices = {}

    def lever_matrix(self, parameter: str) -> np.ndarray:
        """Values of one lever parameter for every lever, shape (R, L), cached."""
        if parameter not in LEVER_PARAMETERS:
            raise KeyError(parameter)
        if parameter not in self._matrices:
            names = [lever_parameter_name(lever, parameter) for lever in self.catalogue.levers]
            self._matrices[parameter] = np.stack([self.values[n] for n in names], axis=1)
        return self._matrices[parameter]
