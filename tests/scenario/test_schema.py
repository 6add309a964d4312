import jsonschema
import pytest
import yaml

from sim.scenario import loader as sc
from sim.scenario.format import change_range
from sim.scenario.schema import scenario_schema
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def schema():
    value = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(value)
    return value


def test_schema_covers_exactly_the_loader_keys(schema):
    assert set(schema["properties"]) == set(sc.TOP_LEVEL_KEYS)


# the library: scenarios with a blessed reference (a user's own what-if in scenarios/ is not held to these)
LIBRARY = sorted(p for p in SCENARIOS.glob("*.yaml") if (SCENARIOS.parent / "results" / "reference" / p.stem).is_dir())


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_every_library_scenario_validates(schema, path):
    jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_every_library_scenario_declares_the_schema_for_editors():
    assert len(LIBRARY) >= 10
    for path in LIBRARY:
        assert path.read_text().startswith("# yaml-language-server: $schema="), path.name


@pytest.mark.parametrize(
    "broken",
    [
        {"start": "2022-13"},
        {"horizon": 0},
        {"levers": {"morocco": {"medical_ad": 0.5}}},
        {"levers": {"morocco": {"medical_aid": 1.5}}},
        {"actors": {"marocco": {}}},
        {"parameters": {"influence.adjust_rate": 9}},
        {"horizn": 5},
    ],
)
def test_invalid_scenarios_fail_the_schema(schema, broken):
    data = {"name": "x", "start": "2022-01", "horizon": 6, **broken}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_generated_docs_are_current():
    """Run `python -m tools.docs_gen` after changing the catalogues or the scenario language."""
    from tools.docs_gen import ODD_FILE, SCENARIOS_DOC, SCHEMA_FILE, STRATEGY_DOC, fill_generated, schema_text

    assert SCHEMA_FILE.read_text() == schema_text()
    text = ODD_FILE.read_text()
    assert "<!-- BEGIN GENERATED: parameters -->" in text and "<!-- BEGIN GENERATED: levers -->" in text
    assert fill_generated(text) == text
    example = SCENARIOS_DOC.read_text()  # the example run's console is what the model prints now
    assert "<!-- BEGIN GENERATED: example_run -->" in example
    assert fill_generated(example) == example
    strategy = STRATEGY_DOC.read_text()  # sim optimize and sim discover at the seed, as they run now
    assert "<!-- BEGIN GENERATED: strategy_example -->" in strategy
    assert fill_generated(strategy) == strategy
    assert "| status quo |" in strategy and "happens in" in strategy


@pytest.mark.parametrize("path, additive", [("relation.mali.algeria", True), ("relation.mali.algeria", False),
                                            ("actors.morocco.budget", True), ("parameters.influence.adjust_rate", True),
                                            ("context.mali.threat", True), ("institution.mali.ecowas", False)])
def test_checker_and_schema_agree_on_change_ranges(write_scenario, path, additive):
    """One rule (format.change_range) for both: the edge of the range passes both, beyond it fails both."""
    import jsonschema

    from sim.errors import InputError
    from sim.scenario.catalogue import load_catalogue
    from sim.scenario.paths import parse_path

    low, high = change_range(parse_path(path), additive, load_catalogue())
    schema = scenario_schema()
    for value, valid in ((high, True), (high + 1, False), (low, True), (low - 1, False)):
        kind = "add" if additive else "set"
        text = (f"name: x\nstart: 2022-01\nhorizon: 6\nevents:\n  - {{id: e, date: 2022-02, assumption: test, "
                f"{kind}: {{{path}: {value}}}}}\n")
        file = write_scenario(text)
        try:
            sc.load_scenario(file)
            checker_ok = True
        except InputError:
            checker_ok = False
        import yaml

        schema_ok = jsonschema.Draft202012Validator(schema).is_valid(yaml.safe_load(text))
        assert checker_ok == schema_ok == valid, (path, additive, value, checker_ok, schema_ok)
