"""Where each state path lives in the model: one table of getters and setters, one table of ranges.

Conditions read the state through paths (``context.mali.threat``); events, triggers, shocks and
decisions write it through the same paths (sim/scenario/paths.py has the grammar and the ranges).
Each root has a getter (its value now, one per replicate), a setter (new values where a mask
holds) and, where ``add:`` starts from something other than the value now, a base (a lever's
scenario setting, an actor's base budget). ``apply`` clips every write to the root's range from
``sim.scenario.paths.value_range``, the same range the scenario checker and the summaries use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.model import dynamics as dyn
from sim.scenario.catalogue import ACTORS
from sim.scenario.paths import CONTEXT, StatePath, parse_path, value_range

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel

CONTEXT_FIELDS = {c.name: c.field for c in CONTEXT if c.field}  # sim.scenario.paths: the one table


@dataclass(frozen=True)
class Access:
    """How one root of the grammar is read and written."""

    get: Callable[[StatePath], np.ndarray]
    put: Callable[[StatePath, np.ndarray, np.ndarray], None] | None = None  # (path, new values, mask)
    base: Callable[[StatePath], np.ndarray] | None = None  # what ``add`` adds to; default: ``get``


class StatePaths:
    """The getters and setters of every root of the state-path grammar for one model."""

    def __init__(self, model: InfluenceModel):
        self.model = model
        self.table: dict[str, Access] = {
            "step": Access(self._month), "month": Access(self._month),
            "parameters": Access(self._parameter, self._put_parameter),
            "effort": Access(self._effort), "levers": Access(self._effort, self._put_lever, self._lever_setting),
            "institution": Access(self._institution, self._put_institution),
            "context": Access(self._context, self._put_context),
            "influence": Access(self._influence, self._put_influence),
            "relation": Access(self._relation, self._put_relation),
            "actors.budget": Access(self._base_budget, self._put_budget),
            "actors.objectives": Access(self._objective, self._put_objective),
        }

    def access(self, path: StatePath) -> Access:
        return self.table[f"actors.{'budget' if path.second == 'budget' else 'objectives'}"
                          if path.root == "actors" else path.root]

    def read(self, path: str) -> np.ndarray:
        """One value per replicate."""
        parsed = parse_path(path)
        return self.access(parsed).get(parsed)

    def apply(self, changes: Mapping[str, float | str], *, additive: bool, where: np.ndarray | None = None) -> None:
        """Set (or add to) each path, within its range, in the replicates ``where`` holds (all by default).
        A lever may also be set back to "adaptive" (its owner decides again)."""
        mask = np.ones(self.model.world.n_replicates, bool) if where is None else where
        for path, value in changes.items():
            parsed = parse_path(path)
            access = self.access(parsed)
            if value == "adaptive":  # levers only (the checker allows it nowhere else)
                new = np.full(mask.shape, np.nan)
            else:
                base = (access.base or access.get)(parsed)
                low, high = value_range(parsed, self.model.catalogue.parameters)
                new = np.clip(base + value if additive else value, low, high)
            access.put(parsed, new, mask)

    # -- getters -----------------------------------------------------------------

    def _month(self, _path: StatePath) -> np.ndarray:
        return np.full(self.model.world.n_replicates, float(self.model.month_index))

    def _parameter(self, path: StatePath) -> np.ndarray:
        return self.model.params[path.first]

    def _effort(self, path: StatePath) -> np.ndarray:
        return self.model.world.effort[:, self.model.lever_index[path.key]]

    def _lever_setting(self, path: StatePath) -> np.ndarray:
        """The scenario's setting where there is one, else the effort in force: what ``add`` moves."""
        column = self.model.lever_index[path.key]
        fixed = self.model.fixed_effort[:, column]
        return np.where(np.isnan(fixed), self.model.world.effort[:, column], fixed)

    def _institution(self, path: StatePath) -> np.ndarray:
        return self.model.world.institution[:, self.model.institution_index[path.key]]

    def _context(self, path: StatePath) -> np.ndarray:
        model, a = self.model, ACTORS.index(path.first)
        if path.second == "sanctions":  # derived: ECOWAS's coercive effort where Mali is a member
            return dyn.sanctions(model.world.effort, model.structure, model.gate("coercive"))[:, a]
        return getattr(model.world, CONTEXT_FIELDS[path.second])[:, a]

    def _influence(self, path: StatePath) -> np.ndarray:
        return self.model.world.influence[:, ACTORS.index(path.first), ACTORS.index(path.second)]

    def _relation(self, path: StatePath) -> np.ndarray:
        return self.model.world.relation[:, ACTORS.index(path.first), ACTORS.index(path.second)]

    def _base_budget(self, path: StatePath) -> np.ndarray:
        return self.model.actor_agents()[ACTORS.index(path.first)].base_budget

    def _objective(self, path: StatePath) -> np.ndarray:
        return self.model.objectives[:, ACTORS.index(path.first), ACTORS.index(path.parts[2])]

    # -- setters -----------------------------------------------------------------

    def _put_parameter(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        current = self.model.params[path.first]
        self.model.params.set(path.first, np.where(mask, new, current))

    def _put_lever(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        column = self.model.lever_index[path.key]
        self.model.fixed_effort[:, column] = np.where(mask, new, self.model.fixed_effort[:, column])

    def _put_institution(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        self.model.set_institution(self.model.institution_index[path.key], new, mask)

    def _put_context(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        array = getattr(self.model.world, CONTEXT_FIELDS[path.second])
        a = ACTORS.index(path.first)
        array[:, a] = np.where(mask, new, array[:, a])

    def _put_relation(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        a, b = ACTORS.index(path.first), ACTORS.index(path.second)
        old = self.model.world.relation[:, a, b]
        self.model.change_attitude(a, b, np.where(mask, new, old) - old)

    def _put_influence(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        """The others on the same state make room, keeping the sum of influences on it at most 1."""
        w = self.model.world
        a, b = ACTORS.index(path.first), ACTORS.index(path.second)
        old = w.influence[:, a, b]
        new = np.where(mask, new, old)
        others = dyn.ordered_sum(w.influence[:, :, b], axis=1) - old
        room = np.where(others > 1 - new, (1 - new) / np.maximum(others, 1e-12), 1.0)
        w.influence[:, :, b] *= room[:, None]
        w.influence[:, a, b] = new

    def _put_budget(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        agent = self.model.actor_agents()[ACTORS.index(path.first)]
        agent.base_budget = np.where(mask, new, agent.base_budget)
        agent.budget = np.where(mask, new, agent.budget)

    def _put_objective(self, path: StatePath, new: np.ndarray, mask: np.ndarray) -> None:
        a, b = ACTORS.index(path.first), ACTORS.index(path.parts[2])
        self.model.objectives[:, a, b] = np.where(mask, new, self.model.objectives[:, a, b])
