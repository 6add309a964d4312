"""The one description of the format: the checker and the JSON Schema read from it agree."""

import jsonschema
import pytest

from sim.errors import InputError
from sim.scenario.format import scenario_format
from sim.scenario.loader import scenario_from_data
from sim.scenario.schema import scenario_schema
from sim.scenario.validation import Integer, Number, Record, Table

BASE = {"name": "x", "start": "2022-01", "horizon": 6}


def _ranged_leaves(spec, path=()):
    """(path, spec) of every number in plain records and tables of the format."""
    if isinstance(spec, Number | Integer):
        yield path, spec
    elif isinstance(spec, Record):
        for name, child in spec.fields.items():
            yield from _ranged_leaves(child, (*path, name))
    elif isinstance(spec, Table):
        for name in spec.names:
            if name != spec.exclude:
                yield from _ranged_leaves(spec.value(name), (*path, name))


def _nested(path, value):
    data = value
    for name in reversed(path):
        data = {name: data}
    return data


LEAVES = list(_ranged_leaves(scenario_format()))
SAMPLE = LEAVES[::7]  # every leaf kind and section, at a test-suite cost


def test_the_format_reaches_every_section():
    sections = {path[0] for path, _ in LEAVES}
    assert {"horizon", "seed", "replicates", "actors", "context", "status_quo", "parameters"} <= sections
    assert len(LEAVES) > 200


@pytest.mark.parametrize("path, spec", SAMPLE, ids=lambda v: ".".join(v) if isinstance(v, tuple) else "")
def test_checker_and_schema_agree_at_the_edges(path, spec):
    schema = scenario_schema()
    step = 1 if isinstance(spec, Integer) else 1e-6 * max(1.0, abs(spec.high - spec.low))
    for value, valid in ((spec.low, True), (spec.high, True), (spec.low - step, False), (spec.high + step, False)):
        data = {**BASE, **_nested(path, value)} if path[0] not in BASE else {**BASE, path[0]: value}
        try:
            scenario_from_data(data, "test.yaml")
            checker_ok = True
        except InputError as exc:
            checker_ok = False
            assert ".".join(path) in str(exc), exc
        schema_ok = jsonschema.Draft202012Validator(schema).is_valid(data)
        assert (checker_ok, schema_ok) == (valid, valid), (path, value)


def test_defaults_are_declared_once_and_applied():
    """The schema shows a default that the checker applies when the key is absent."""
    schema = scenario_schema()["properties"]
    scenario = scenario_from_data(dict(BASE), "test.yaml")
    assert scenario.replicates == schema["replicates"]["default"] == 100
    assert scenario.seed == schema["seed"]["default"]
    assert scenario.context["mali"].threat == schema["context"]["properties"]["mali"]["properties"]["threat"]["default"]


def test_a_missing_required_key_names_what_it_should_be():
    data = {"name": "x", "start": "2022-01"}
    with pytest.raises(InputError) as caught:
        scenario_from_data(data, "test.yaml")
    assert "missing required key 'horizon'; expected a whole number 1..600" in str(caught.value)
