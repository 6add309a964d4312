"""Levers set from a month over the base's later settings (sim/scenario/variants.py)."""

from sim.scenario.loader import resolve_scenario
from sim.scenario.months import parse_month
from sim.scenario.variants import with_levers_from

BASE = resolve_scenario("baseline")


def test_a_lever_from_the_start_replaces_its_schedule_and_later_events():
    variant = with_levers_from(BASE, {"levers.morocco.medical_aid": 0.4, "levers.algeria.undermine_morocco": 0.1})
    data = variant.to_dict()
    assert data["levers"]["morocco"]["medical_aid"] == 0.4 and data["levers"]["algeria"]["undermine_morocco"] == 0.1
    assert "algeria_escalates" not in [e["id"] for e in data["events"]], "its only change was that lever"
    assert variant.path == BASE.path


def test_a_lever_from_a_month_keeps_what_came_before():
    month = parse_month("2024-01")
    data = with_levers_from(BASE, {"levers.morocco.medical_aid": 0.4}, month).to_dict()
    assert data["levers"]["morocco"]["medical_aid"] == {"schedule": {"2022-01": 0.3, "2022-05": 0.7, "2022-07": 0.9,
                                                                     "2024-01": 0.4}}


def test_a_malformed_lever_path_is_refused():
    import pytest

    from sim.errors import InputError

    with pytest.raises(InputError, match=r"expected levers\.<actor>\.<lever>"):
        with_levers_from(BASE, {"levers.morocco": 0.5})
