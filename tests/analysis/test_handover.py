"""The baseline starts where the calibrated history replay is at 2022-01 (sim/analysis/handover.py)."""

import numpy as np

from sim.analysis.handover import HANDOVER_MONTH, REPLAY_FILE, START_FILE, replay_state, start_file_text
from sim.scenario.catalogue import ACTORS
from sim.scenario.loader import load_scenario
from tests.conftest import SCENARIOS


def test_start_file_is_current_with_the_replay():
    """Run `python -m sim.analysis.handover` after a model, replay or catalogue change."""
    replay = load_scenario(REPLAY_FILE)
    assert START_FILE.read_text() == start_file_text(replay_state(replay), replay), \
        "scenarios/parts/start_2022.yaml is stale: run `python -m sim.analysis.handover`"


def test_replay_and_baseline_agree_at_the_handover_month():
    from sim.engine.runner import run

    replay, baseline = load_scenario(REPLAY_FILE), load_scenario(SCENARIOS / "baseline.yaml")
    assert baseline.date_of(0) == HANDOVER_MONTH
    trajectories = run(replay, 100, replay.seed)
    step = trajectories.dates.index(HANDOVER_MONTH)
    for a in ACTORS:
        for b in ACTORS:
            if a == b:
                continue
            setup = baseline.actors[a]
            for metric, table in (("influence", setup.influence), ("relation", setup.relations)):
                replayed = np.median(trajectories.get(metric, a, b)[:, step])
                assert abs(table.get(b, 0.0) - replayed) <= 0.0005 + 1e-12, (metric, a, b)
        assert abs(baseline.context[a].threat - np.median(trajectories.get("threat", a, "")[:, step])) <= 0.0005
    assert baseline.uncertainties == replay.uncertainties  # one posterior for the replay and the forecast
