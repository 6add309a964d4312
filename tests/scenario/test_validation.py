"""The one validation toolkit: the catalogues are read by the same specs as scenarios, located alike."""

import pytest

from sim.errors import InputError
from sim.scenario.catalogue import load_catalogue, read_catalogue
from sim.scenario.institutions import read_institutions
from sim.scenario.validation import ArgumentReport, Numbers
from sim.scenario.yamlsafe import parse_yaml_bytes

PARAMETERS = b"parameters:\n  a.b:\n    default: 0.5\n    range: [0, 1]\n"
LEVER = """levers:
- id: talks
  actor: morocco
  channel: {channel}
  kind: pull
  targets: [mali]
  initial_effort: {effort}
  parameters:
    weight: {{default: 0.6, range: [0.3, 1.2]}}
    goodwill: {{default: 0.02, range: [0.005, 0.04]}}
    tau_up: {{default: 2, range: [1, 4]}}
    tau_down: {{default: 6, range: [3, 12]}}
  evidence:
  - {{source: a.txt, quote: Morocco offers to mediate}}
"""


def _catalogue(channel="mediation", effort=0.5):
    levers = parse_yaml_bytes(LEVER.format(channel=channel, effort=effort).encode(), "levers.yaml")
    return read_catalogue(parse_yaml_bytes(PARAMETERS, "parameters.yaml"), levers)


def test_a_good_lever_reads_with_its_parameters():
    catalogue = _catalogue()
    assert [lever.key for lever in catalogue.levers] == ["morocco.talks"]
    assert {"a.b", "levers.morocco.talks.weight", "levers.morocco.talks.threat_relief"} <= set(catalogue.parameters)


def test_a_bad_lever_is_located_and_lists_the_choices_in_words():
    with pytest.raises(InputError) as caught:
        _catalogue(channel="telepathy", effort=1.5)
    messages = [str(p) for p in caught.value.problems]
    assert messages[0] == ("levers.yaml:4:12: levers.0.channel = 'telepathy'; expected one of diplomatic, mediation, "
                           "economic, security, religious-cultural, educational, humanitarian, coercive")
    assert messages[1] == "levers.yaml:7:19: levers.0.initial_effort = 1.5 is outside [0.0, 1.0]"


def test_an_institution_of_an_unknown_holder_is_located_with_a_hint():
    doc = parse_yaml_bytes(b"institutions:\n- id: ecowas\n  holder: mallli\n  kind: membership\n  initial: 1\n"
                           b"  evidence: [{source: a.txt, quote: q}]\n", "institutions.yaml")
    with pytest.raises(InputError) as caught:
        read_institutions(doc, load_catalogue())
    assert [str(p) for p in caught.value.problems] == [
        "institutions.yaml:3:11: unknown holder 'mallli' (did you mean 'mali'?)"]


def test_an_argument_has_no_position_and_a_rounding_step_outside_is_taken_at_the_bound():
    report = ArgumentReport(lambda key: f"points[{key[0]!r}]")
    assert Numbers(0.0, 1.0).read(report, ("x",), [1.0 + 1e-17, 0.5]).tolist() == [1.0, 0.5]
    Numbers(0.0, 1.0).read(report, ("x",), [0.5, 1.25])
    assert [str(p) for p in report.problems] == ["points['x']: x = 1.25 is outside [0.0, 1.0]"]


def test_number_messages_say_what_is_expected_in_words():
    from sim.scenario.validation import Number

    def problem(spec, value):
        report = ArgumentReport(lambda key: "x")
        spec.read(report, ("weight",), value)
        return str(report.problems[0])

    assert problem(Number(0.0, open_low=True), 0) == "x: weight = 0; expected a number > 0.0"
    assert problem(Number(), True) == "x: weight = True is not a number; expected a finite number"
    assert problem(Number(0.0, 1.0), 1.5) == "x: weight = 1.5 is outside [0.0, 1.0]"
    assert problem(Number(0.0, 1.0), "a") == "x: weight = 'a' is not a number; expected one in [0.0, 1.0]"
