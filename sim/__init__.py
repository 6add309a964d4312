"""Sahel influence simulator: an agent-based model on Mesa, vectorised over replicates.

Public API (docs/api.md): ``simulate`` and ``evaluate`` (the entry points), ``read_run`` (a run
folder back as a result), ``SimulationResult``,
``load_scenario``, ``run`` and the Mesa model ``InfluenceModel``. They are imported lazily so
that ``sim --help`` and ``sim validate`` stay fast and never import Mesa or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
# Bump when the model's dynamics change on purpose (regression references record it).
MODEL_VERSION = "4"

__all__ = ["MODEL_VERSION", "InfluenceModel", "InputError", "SimulationResult", "__version__", "evaluate",
           "load_scenario", "read_run", "run", "simulate"]

if TYPE_CHECKING:
    from sim.api import evaluate, read_run, simulate
    from sim.engine.runner import run
    from sim.errors import InputError
    from sim.model.model import InfluenceModel
    from sim.result import SimulationResult
    from sim.scenario.loader import load_scenario

_LAZY = {"load_scenario": "sim.scenario.loader", "run": "sim.engine.runner", "InfluenceModel": "sim.model.model",
         "simulate": "sim.api", "evaluate": "sim.api", "read_run": "sim.api", "SimulationResult": "sim.result",
         "InputError": "sim.errors"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
