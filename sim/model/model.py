"""InfluenceModel: a Mesa model that advances R replicates of the Sahel at once.

Read ``step()`` as the schedule (ODD, Process overview): the month's events apply, every
actor re-allocates its effort, then lever stocks, influence, relations, context and shocks
move, and the month is recorded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import mesa
import numpy as np

from sim.errors import InputError, Problem
from sim.interrupts import raise_if_interrupted
from sim.model import dynamics as dyn
from sim.model.agents import ActorAgent, plan_efforts, value_levers
from sim.model.checks import check_parameters, check_pins_and_budgets, check_replicates, check_seed
from sim.model.memory import tune_allocator
from sim.model.mesa_support import data_collector, from_mesa, mesa_run
from sim.model.parameters import ParameterSet
from sim.model.sampling import draw_uncertainties
from sim.model.seeding import STREAM_BUILTIN_SHOCKS, replicate_keys, stream_for, uniforms
from sim.model.start import solve_start
from sim.model.state_paths import CONTEXT_FIELDS, StatePaths
from sim.model.trajectories import Trajectories, series_layout
from sim.scenario.catalogue import ACTORS, load_catalogue
from sim.scenario.conditions import evaluate_condition
from sim.scenario.institutions import load_institutions
from sim.scenario.loader import Scenario, resolve_scenario
from sim.scenario.months import run_end_problem

A = len(ACTORS)


def _blocks(scenario: Scenario, blocks: Sequence[Scenario] | None, n: int) -> list[tuple[Scenario, np.ndarray]]:
    """(scenario, row mask) per block; one block holding every row unless variants are given."""
    if not blocks:
        return [(scenario, np.ones(n, bool))]
    if n % len(blocks):
        raise ValueError(f"{n} replicates do not split into {len(blocks)} equal blocks")
    size = n // len(blocks)
    for variant in blocks:
        if variant.starting_state() != scenario.starting_state():
            raise ValueError(f"block '{variant.name}' differs from '{scenario.name}' in start, horizon or "
                             "starting state; run it separately")
    out = []
    for b, variant in enumerate(blocks):
        rows = np.zeros(n, bool)
        rows[b * size:(b + 1) * size] = True
        out.append((variant, rows))
    return out


class InfluenceModel(mesa.Model):
    """The influence model for ``n_replicates`` replicates of one scenario.

    Args:
        scenario: a :class:`~sim.scenario.loader.Scenario`, a scenario file, or a library name
            (``"baseline"``), so ``mesa.batch_run(InfluenceModel, {"scenario": "baseline", ...})`` works.
        n_replicates: R, how many replicates advance together.
        seed: the run's seed; replicate ``r`` depends only on (scenario, seed, r). None draws
            one from the OS and records it in ``self.seed``, so the run can be repeated.
        replicate_ids: which replicate indices this instance holds (default 0..R-1), so a
            chunk of a large ensemble reproduces exactly the same replicates.
        parameters: per-name overrides, scalars or arrays of shape (R,), on top of the
            catalogue defaults and the scenario's ``parameters:``.
        pinned_levers: ``actor.lever`` -> intensity (scalar or (R,)), fixed for the whole run
            over whatever the scenario says (sweeps over lever intensities). NaN in a replicate
            leaves the lever to the scenario or the agent there.
        pinned_from: ``actor.lever`` -> the step (scalar or (R,)) from which its pin holds; before
            it the scenario or the agent sets the lever (``sim optimize --search-start``). Default 0.
        budgets: ``actor`` -> budget (scalar or (R,)) over the scenario's ``actors.<a>.budget``
            (sweeps over budgets).
        blocks: variants of ``scenario`` that run side by side as equal blocks of the replicate
            axis (block b holds rows b*R/len(blocks) ...). They must share start, horizon and
            starting state (actors, context, status quo) and may differ in levers, events,
            triggers, shocks, parameters and uncertainties. Used to batch ablations.
        record: which series to record, as a test on ``(metric, source, target)`` (default: all);
            a run that needs a few series (a sensitivity outcome) records only those.
        collect: keep a Mesa ``DataCollector`` with the ensemble mean of every recorded series
            (``"influence.russia.mali"``, ``"threat.mali"``) each month; the batched engine turns
            it off, since it records every replicate itself.

    After construction the state is at month 0; each ``step()`` advances one month, and
    ``running`` turns False at the scenario's horizon (Mesa's ``batch_run`` stops there).
    """

    def __init__(self, scenario: Scenario | str | os.PathLike = "baseline", n_replicates: int = 1,
                 seed: int | None = 0, replicate_ids: np.ndarray | None = None,
                 parameters: Mapping[str, float | np.ndarray] | None = None,
                 pinned_levers: Mapping[str, float | np.ndarray] | None = None,
                 pinned_from: Mapping[str, int | np.ndarray] | None = None,
                 budgets: Mapping[str, float | np.ndarray] | None = None,
                 blocks: Sequence[Scenario] | None = None, collect: bool = True,
                 record: Callable[[tuple[str, str, str]], bool] | None = None):
        tune_allocator()  # the month's temporaries stay in the heap (sim.model.memory)
        scenario, seed = from_mesa(scenario, seed)  # Mesa's visualisation hands its scenario back on Reset
        scenario = resolve_scenario(scenario)
        if seed is None:
            import secrets

            seed = secrets.randbits(32)
        seed = check_seed(seed)
        # what will be recorded (structure.keys is the catalogue's lever order): sized before any allocation
        layout = series_layout(tuple(lv.key for lv in load_catalogue().levers), load_institutions().keys,
                               tuple(f"{d.actor}.{d.id}" for d in load_institutions().decisions), only=record)
        n_replicates = check_replicates(n_replicates, scenario.horizon, len(layout))
        end_problem = run_end_problem(scenario.start, scenario.horizon)
        if end_problem:
            raise InputError([Problem.about(scenario.path or scenario.name, end_problem)])
        super().__init__(scenario=mesa_run(scenario, seed))  # Mesa's rng is seeded with the same seed
        self.spec = scenario  # Mesa's Model keeps its own `scenario` attribute
        self.seed = seed
        ids = np.arange(n_replicates) if replicate_ids is None else np.asarray(replicate_ids)
        if len(ids) != n_replicates:
            raise ValueError("replicate_ids must have n_replicates entries")
        self.replicate_ids = ids
        self.keys = replicate_keys(seed, ids)
        self.catalogue = load_catalogue()
        check_parameters(self.catalogue, parameters or {})
        check_pins_and_budgets(self.catalogue, pinned_levers or {}, budgets or {})
        unpinned = [key for key in (pinned_from or {}) if key not in (pinned_levers or {})]
        if unpinned:
            raise InputError([Problem.about("pinned_from", f"{unpinned[0]!r} has no pin in pinned_levers; a start "
                                                           "step applies to a pinned lever")])
        self.institutions = load_institutions()
        self.institution_index = {key: i for i, key in enumerate(self.institutions.keys)}
        self.institution_holder = np.array([ACTORS.index(i.holder) for i in self.institutions.institutions], int)
        # the partner whose pull an institution in force opens (7.12); a measure imposed on the holder
        # (sanctions) opens nothing
        self.institution_partner = np.array([ACTORS.index(i.partner) if i.partner and i.kind != "measure" else -1
                                              for i in self.institutions.institutions], int)
        self.structure = dyn.Structure.from_catalogue(self.catalogue)
        # which (lever, target) pairs each institution enables, per pair set (ODD 7.12)
        self.gated_pairs = {"targets": self.structure.targets, "coercive": self.structure.coercive_targets,
                            "relief": self.structure.relief}
        self.gated = {name: self._enabled_pairs(pairs) for name, pairs in self.gated_pairs.items()}
        self._gates: dict[str, tuple[int, np.ndarray]] = {}  # per pair set: (institution version, gate)
        self._institution_version = 0  # bumped whenever an institution changes, so gates are reused until then
        self.blocks = _blocks(scenario, blocks, n_replicates)
        self.params = ParameterSet(self.catalogue, n_replicates,
                                   {**self._block_parameters(n_replicates), **(parameters or {})})
        self.month_index = 0
        self.planned_effort: np.ndarray | None = None  # set during step() (agents.plan_efforts)
        self.shock_counts = np.zeros((n_replicates, 3))
        self.fixed_effort = np.full((n_replicates, len(self.structure.keys)), np.nan)
        self.world = self._initial_world(n_replicates)
        self.trigger_armed = {(b, t.id): np.ones(n_replicates, bool)
                              for b, (spec, _) in enumerate(self.blocks) for t in spec.triggers}
        self.trigger_due = {(b, t.id): np.full(n_replicates, -1)
                            for b, (spec, _) in enumerate(self.blocks) for t in spec.triggers}
        self.fired = {name: np.zeros(n_replicates, int) for spec, _ in self.blocks for name in
                      [t.id for t in spec.triggers] + [k.id for k in spec.shocks]}
        self.lever_index = {key: i for i, key in enumerate(self.structure.keys)}
        self.state_paths = StatePaths(self)  # where each state path lives (getters, setters, ranges)
        self.mediation_lever = {lever.actor: self.lever_index[lever.key] for lever in self.catalogue.levers
                                if lever.channel == "mediation"}  # a settlement's mediators' effort
        self.pinned = {self.lever_index[key]: np.broadcast_to(np.asarray(value, float), (n_replicates,))
                       for key, value in (pinned_levers or {}).items()}
        # the step from which each pin holds, per replicate (0: the whole run)
        self.pinned_from = {self.lever_index[key]: np.broadcast_to(np.asarray(value, float), (n_replicates,))
                            for key, value in (pinned_from or {}).items()}
        for actor in ACTORS:
            setup = scenario.actors[actor]
            objectives = np.array([setup.objectives.get(other, 0.0) for other in ACTORS])
            if not objectives.any():  # no stated priorities: care equally about every target
                own = self.structure.owner == ACTORS.index(actor)
                objectives = (self.structure.target_mask[own].sum(axis=0) > 0).astype(float)
            budget = self._per_block(lambda spec, a=actor: spec.actors[a].budget)
            if budgets and actor in budgets:
                budget = np.broadcast_to(np.asarray(budgets[actor], float), (n_replicates,)).copy()
            extend = self._per_block(lambda spec, a=actor: spec.actors[a].budget_policy == "extend").astype(bool)
            ActorAgent(self, actor, objectives, budget, extend)
        # (R, A, A): objectives[r, i, j], the weight actor i puts on j; events may change it
        self.objectives = np.broadcast_to(np.stack([agent.objectives for agent in self.actor_agents()]),
                                           (n_replicates, A, A)).copy()
        decisions = self.institutions.decisions
        self.decided = np.zeros((n_replicates, len(decisions)))  # 1 once a decision has been taken
        # (R, D): the first month each rule may fire in each replicate (its scenario's ``decisions:``)
        self.decision_from = np.stack([self._per_block(lambda spec, d=d.id: spec.decision_from(d)) for d in decisions],
                                      axis=1)
        self._apply_month(0)
        self._fire_triggers_and_shocks(0)
        solve_start(self)
        self.layout = layout
        # recorded values [r, t, series], preallocated for the horizon (grows if stepped beyond)
        self._recorded = np.empty((n_replicates, scenario.horizon + 1, len(self.layout)))
        self._n_recorded = 0
        self.lever_value = value_levers(self, self.objectives)  # so agents can be stepped before the model is
        self.datacollector = data_collector(self) if collect else None
        self._record()

    # -- the schedule --------------------------------------------------------------

    def step(self) -> None:
        """Advance every replicate by one month."""
        raise_if_interrupted()  # a recorded termination signal stops the run between months
        self.month_index += 1
        self._apply_month(self.month_index)
        self._fire_triggers_and_shocks(self.month_index)
        self._sense()
        self.lever_value = value_levers(self, self.objectives)
        self.agents.do("adjust_budget")  # every actor weighs its opportunity before anyone allocates
        self.planned_effort = plan_efforts(self)  # each agent's allocation, unless a decision intervenes
        self.agents.do("step")
        self.planned_effort = None
        self._advance()
        self._record()
        if self.month_index >= self.spec.horizon:
            self.running = False

    # -- state access for Mesa users ------------------------------------------------

    @property
    def date(self) -> str:
        return self.spec.date_of(self.month_index)

    @property
    def influence(self) -> np.ndarray:
        """(R, A, A): influence[r, i, j] of actor i on actor j."""
        return self.world.influence

    @property
    def relation(self) -> np.ndarray:
        """(R, A, A): relation[r, i, j], attitude of actor i towards actor j."""
        return self.world.relation

    def release(self) -> None:
        """Drop the recorded history, the agents and the state: the model and its agents
        reference each other, so without this a finished chunk's arrays would wait for the
        cyclic garbage collector while the next chunk runs. The model cannot step after it."""
        self._recorded = np.empty((0, 0, 0))  # not a slice: a view would keep the buffer alive
        self._n_recorded = 0
        self.remove_all_agents()
        self.world = self.params = self.planned_effort = None
        self.fixed_effort = self.lever_value = self.lever_value_0 = self.receptivity = self.pair_rec = None
        self.sanction = self.objectives = self.decided = self.decision_from = self.shock_counts = None
        self.trigger_armed, self.trigger_due, self.fired, self.pinned, self.pinned_from = {}, {}, {}, {}, {}

    def trajectories(self) -> Trajectories:
        """Everything recorded so far, as one array with named series."""
        return Trajectories(
            scenario=self.spec.name,
            dates=tuple(self.spec.date_of(t) for t in range(self._n_recorded)),
            replicate_ids=self.replicate_ids,
            series=self.layout,
            values=self._recorded[:, : self._n_recorded],
        )

    # -- internals -----------------------------------------------------------------

    def _initial_world(self, n: int) -> dyn.World:
        spec = self.spec
        influence0 = np.array([[spec.actors[i].influence.get(j, 0.0) for j in ACTORS] for i in ACTORS])
        relation0 = np.array([[spec.actors[i].relations.get(j, 0.0) for j in ACTORS] for i in ACTORS])
        ctx = {f: np.array([getattr(spec.context[a], f) for a in ACTORS]) for f in CONTEXT_FIELDS}
        effort = np.array([spec.status_quo.get(lever.actor, {}).get(lever.id, lever.initial_effort)
                           for lever in self.catalogue.levers])

        def per_replicate(x: np.ndarray) -> np.ndarray:
            return np.broadcast_to(x, (n, *x.shape)).copy()

        return dyn.World(
            influence=per_replicate(influence0),
            relation=per_replicate(relation0),
            effort=per_replicate(effort),
            stock=per_replicate(effort),
            reference=per_replicate(effort),
            legacy=np.zeros((n, A, dyn.C, A)),
            threat=per_replicate(ctx["threat"]),
            stability=per_replicate(ctx["stability"]),
            western=per_replicate(ctx["western_presence"]),
            commitment=per_replicate(ctx["western_commitment"]),
            sanctions_endured=per_replicate(ctx["sanctions_endured"]),
            insecurity_endured=per_replicate(ctx["insecurity_endured"]),
            institution=per_replicate(np.array([float(spec.institutions.get(i.key, i.initial))
                                                for i in self.institutions.institutions])),
            anchor=per_replicate(relation0),
            threat_base=per_replicate(ctx["threat"]),
            stability_base=per_replicate(ctx["stability"]),
            western_0=ctx["western_presence"],
            outside_0=np.zeros((n, dyn.C, A)),
        )

    def _pull(self, effective: np.ndarray) -> np.ndarray:
        """Pull of every actor on every state in every arena, [r, actor, arena, state]: (legacy +
        levers) times liking, openness, undermining. Moves the legacy stocks first (7.5).

        ``effective`` is the saturated stock (``effective_stock()``)."""
        w, s, p = self.world, self.structure, self.params
        weight = p.lever_matrix("weight")
        levers = dyn.arena_pull(effective, self.pair_rec, s, weight)
        w.legacy = dyn.update_legacy(w, levers, dyn.attitude_gate(w.relation, p), p)
        return (w.legacy + levers) * self.pull_multiplier(effective, weight)[:, :, None, :]

    def pull_multiplier(self, effective: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Liking, welcome levers, undermining, and the openness that institutions in force bring."""
        institutions = dyn.institutional_openness(self.world.institution, self.institution_holder,
                                                  self.institution_partner, self.params["institution.openness"])
        return dyn.pull_multiplier(self.world, effective, self.structure, self.params, weight) * institutions

    def goodwill_flows(self, effective: np.ndarray) -> np.ndarray:
        """Levers' goodwill plus the credit for security delivered, before saturation (7.6)."""
        p, w = self.params, self.world
        goodwill = p.lever_matrix("goodwill") * p["relation.goodwill_scale"][:, None]
        gate = self.gate("targets")
        credit = dyn.relief_credit(effective, p.lever_matrix("threat_relief"), w.threat, self.structure, p, gate)
        return dyn.goodwill_flows(effective, goodwill, self.structure, w.relation, gate) + credit

    def impose_fixed_efforts(self) -> None:
        """Scenario-fixed intensities replace the agents' choices, then budgets bind as each policy says."""
        fixed = ~np.isnan(self.fixed_effort)
        effort = np.clip(np.where(fixed, self.fixed_effort, self.world.effort), 0.0, 1.0)
        self.world.effort = dyn.enforce_budgets(effort, fixed, self.world.reference, self.structure,
                                                self.budgets(), self.extend_policies())

    def budgets(self) -> np.ndarray:
        return np.stack([agent.budget for agent in self.actor_agents()], axis=1)

    def extend_policies(self) -> np.ndarray:
        return np.stack([agent.extend for agent in self.actor_agents()], axis=1)

    def _per_block(self, value_of) -> np.ndarray:
        """One value per replicate from each block's scenario (the same for every row of a block)."""
        out = np.empty(len(self.replicate_ids))
        for spec, rows in self.blocks:
            out[rows] = value_of(spec)
        return out

    def actor_agents(self) -> list[ActorAgent]:
        agents = {agent.actor: agent for agent in self.agents}
        return [agents[a] for a in ACTORS]

    def effective_stock(self) -> np.ndarray:
        return dyn.saturate(self.world.stock, self.params["influence.saturation"][:, None])

    def _sense(self) -> None:
        """What every actor can see this month: sanctions in force and receptivity."""
        self.sense_with(self.world.effort)

    def sense_with(self, effort: np.ndarray) -> None:
        self.sanction = dyn.sanctions(effort, self.structure, self.gate("coercive"))
        rec = dyn.receptivity(self.world, self.sanction, self.params)
        self.receptivity = rec  # (R, C, A)
        # (R, P): what each lever meets at each target, nothing where an institution it needs is not in force
        self.pair_rec = dyn.pair_receptivity(rec, self.structure) * self.gate("targets")

    def gate(self, pairs: str) -> np.ndarray:
        """(R, P) for one set of (lever, target) pairs ("targets", "coercive", "relief"): 0 where an
        institution that enables the lever on that target is not in force (ODD 7.12). Recomputed only
        after an institution has changed (several reads a month, few changes a run)."""
        cached = self._gates.get(pairs)
        if cached is None or cached[0] != self._institution_version:
            gate = dyn.institution_gate(self.world.institution, self.gated[pairs], len(self.gated_pairs[pairs].lever))
            cached = self._gates[pairs] = (self._institution_version, gate)
        return cached[1]

    def _enabled_pairs(self, pairs: dyn.Pairs) -> tuple[tuple[int, np.ndarray], ...]:
        """(institution column, the indices of ``pairs`` it enables: its levers on its holder) for
        every institution that enables some lever."""
        out = []
        for column, institution in enumerate(self.institutions.institutions):
            if institution.enables:
                levers = [self.structure.keys.index(key) for key in institution.enables]
                holder = ACTORS.index(institution.holder)
                out.append((column, np.flatnonzero(np.isin(pairs.lever, levers) & (pairs.actor == holder))))
        return tuple(out)

    def _advance(self) -> None:
        w, s, p = self.world, self.structure, self.params
        self.impose_fixed_efforts()
        self._sense()
        w.stock = dyn.update_stocks(w.stock, w.effort, p.lever_matrix("tau_up"), p.lever_matrix("tau_down"))
        effective = self.effective_stock()
        w.influence = dyn.update_influence(w, self._pull(effective), dyn.outside_pull(w, p),
                                           dyn.arena_weights(w.threat, p), p)
        flows = dyn.earned_goodwill(self.goodwill_flows(effective), w.flows_0, p)
        w.relation = dyn.update_relations(w, dyn.relation_forcing(w, flows, p), p)
        dyn.update_context(w, dyn.threat_relief(effective, p.lever_matrix("threat_relief"), s, self.gate("relief")),
                           self.sanction, p)
        dyn.update_memories(w, self.sanction, p)
        draws = uniforms(self.keys, STREAM_BUILTIN_SHOCKS, self.month_index, 2 * A + 1)
        self.shock_counts += dyn.apply_shocks(w, draws, s, p)

    def _block_parameters(self, n: int) -> dict[str, np.ndarray]:
        """Each block's ``parameters:`` and uncertainty draws, as per-replicate arrays."""
        names = {name for spec, _ in self.blocks for name in (*spec.parameters, *(u.parameter for u in
                                                                                  spec.uncertainties))}
        values = {name: np.full(n, self.catalogue.parameters[name].default) for name in names}
        for spec, rows in self.blocks:
            drawn = draw_uncertainties(spec.uncertainties, dict(self.catalogue.parameters), self.keys[rows])
            for name, value in {**spec.parameters, **drawn}.items():
                values[name][rows] = value
        return values

    def _apply_month(self, t: int) -> None:
        """Lever schedules and events dated at month ``t`` take effect (each block its own)."""
        month = self.spec.start + t
        for spec, rows in self.blocks:
            for actor, settings in spec.levers.items():
                for lever_id, setting in settings.items():
                    # a setting takes effect at the start and at its schedule points only, so an
                    # event that later sets the same lever is not undone the month after
                    if t > 0 and not any(when == month for when, _ in setting.schedule):
                        continue
                    column = self.lever_index[f"{actor}.{lever_id}"]
                    value = setting.intensity_at(month)
                    self.fixed_effort[rows, column] = np.nan if value is None else value
            for event in spec.events:
                if event.month == month:
                    self.apply_changes(event.changes.set, additive=False, where=rows)
                    self.apply_changes(event.changes.add, additive=True, where=rows)
        for column, values in self.pinned.items():  # NaN rows: the scenario's setting stands there
            waiting = self.pinned_from[column] > t if column in self.pinned_from else False
            self.fixed_effort[:, column] = np.where(np.isnan(values) | waiting, self.fixed_effort[:, column], values)

    def _fire_triggers_and_shocks(self, t: int) -> None:
        """Scenario triggers (conditions on the state) and shocks (random draws), per replicate."""
        month = self.spec.start + t
        for b, (spec, rows) in enumerate(self.blocks):
            for trigger in spec.triggers:
                holds = np.broadcast_to(evaluate_condition(trigger.condition, self.read_state, month),
                                        rows.shape) & rows
                armed, due = self.trigger_armed[(b, trigger.id)], self.trigger_due[(b, trigger.id)]
                starting = holds & armed & (due < 0)
                due[starting] = t + trigger.delay
                if trigger.once:
                    armed &= ~starting
                firing = due == t
                if firing.any():
                    self.apply_changes(trigger.changes.set, additive=False, where=firing)
                    self.apply_changes(trigger.changes.add, additive=True, where=firing)
                    self.fired[trigger.id] += firing
                due[firing] = -1
            for shock in spec.shocks:
                hit = (uniforms(self.keys, stream_for(f"shock:{shock.id}"), t, 1)[:, 0] < shock.probability) & rows
                if shock.condition is not None:
                    hit &= evaluate_condition(shock.condition, self.read_state, month)
                if hit.any():
                    self.apply_changes(shock.changes.set, additive=False, where=hit)
                    self.apply_changes(shock.changes.add, additive=True, where=hit)
                    self.fired[shock.id] += hit

    def read_state(self, path: str) -> np.ndarray:
        """One value per replicate for a condition path (grammar: sim.scenario.paths; where each path
        lives: sim.model.state_paths)."""
        return self.state_paths.read(path)

    def apply_changes(self, changes: Mapping[str, float | str], *, additive: bool,
                      where: np.ndarray | None = None) -> None:
        """Set or add to state paths (``context.mali.threat``, ``levers.ecowas.sanctions``, ...), each
        within its range. ``where`` (R,) bool limits the change to some replicates (triggers and shocks).
        """
        self.state_paths.apply(changes, additive=additive, where=where)

    def set_institution(self, column: int, new: np.ndarray, where: np.ndarray) -> None:
        """Institution ``column`` takes ``new`` (0 or 1) where ``where`` holds. The gates are recomputed
        from then on, and a settlement's mediators gain or lose standing with it (ODD 7.12)."""
        old = self.world.institution[:, column].copy()
        self.world.institution[:, column] = np.where(where, new, old)
        self._institution_version += 1
        if self.institutions.institutions[column].mediators:
            self._move_mediator_standing(column, self.world.institution[:, column] - old)

    def change_attitude(self, a: int, b: int, change: np.ndarray) -> None:
        """Move actor a's attitude towards b by ``change`` (R,), within [-1, 1]. Part of a dated, random
        or decided change lasts (``relation.shock_persistence``): it moves the anchor too (ODD 7.6)."""
        w = self.world
        old = w.relation[:, a, b].copy()
        w.relation[:, a, b] = np.clip(old + change, -1.0, 1.0)
        w.anchor[:, a, b] += self.params["relation.shock_persistence"] * (w.relation[:, a, b] - old)

    def _move_mediator_standing(self, column: int, change: np.ndarray) -> None:
        """A settlement concluded (change +1) or denounced (-1) moves both parties' attitudes to its
        mediators by ``settlement.standing``, shared by the mediation effort each put in (ODD 7.12)."""
        settlement = self.institutions.institutions[column]
        efforts = np.stack([self.world.effort[:, self.mediation_lever[m]] for m in settlement.mediators], axis=1)
        total = dyn.ordered_sum(efforts, axis=1)[:, None]
        shares = np.where(total > 0, efforts / np.where(total > 0, total, 1.0), 1.0 / len(settlement.mediators))
        moves = self.params["settlement.standing"][:, None] * shares * change[:, None]
        for party in (settlement.holder, settlement.partner):
            for k, mediator in enumerate(settlement.mediators):
                self.change_attitude(ACTORS.index(party), ACTORS.index(mediator), moves[:, k])

    def _record(self) -> None:
        w = self.world
        if self._n_recorded == self._recorded.shape[1]:  # stepped past the horizon by hand
            self._recorded = np.concatenate([self._recorded, np.empty_like(self._recorded)], axis=1)
        state = dict(influence=w.influence, relation=w.relation, effort=w.effort, institution=w.institution,
                     decided=self.decided, threat=w.threat, stability=w.stability, western_presence=w.western,
                     sanctions_endured=w.sanctions_endured, insecurity_endured=w.insecurity_endured)
        if self.layout.reads("sanctions"):
            state["sanctions"] = dyn.sanctions(w.effort, self.structure, self.gate("coercive"))
        self._recorded[:, self._n_recorded] = self.layout.gather(**state)
        self._n_recorded += 1
        if self.datacollector is not None:
            self.month_means = self._recorded[:, self._n_recorded - 1].mean(axis=0)
            self.datacollector.collect(self)
