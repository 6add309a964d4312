"""Sahel influence simulator: an agent-based model on Mesa, vectorised over replicates.

Public API: ``load_scenario``, ``run``, ``InfluenceModel``. They are imported lazily so
that ``sim --help`` and ``sim validate`` stay fast and never import Mesa or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
# Bump when the model's dynamics change on purpose (regression references record it).
MODEL_VERSION = "3"

__all__ = ["MODEL_VERSION", "InfluenceModel", "__version__", "load_scenario", "run"]

if TYPE_CHECKING:
    from sim.model import InfluenceModel
    from sim.runner import run
    from sim.scenario import load_scenario

_LAZY = {"load_scenario": "sim.scenario", "run": "sim.runner", "InfluenceModel": "sim.model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
