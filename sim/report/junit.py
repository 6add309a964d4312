"""JUnit XML of ``sim regress`` verdicts, for CI dashboards."""

from __future__ import annotations

from sim.analysis.regress import Verdict


def junit_xml(verdicts: list[Verdict], seconds: float) -> str:
    """JUnit XML for CI dashboards, built with xml.etree (names and diffs escaped by the library)."""
    import xml.etree.ElementTree as ET

    suite = ET.Element("testsuite", name="sim regress", tests=str(len(verdicts)),
                       failures=str(sum(not v.passed for v in verdicts)), time=f"{seconds:.3f}")
    for v in verdicts:
        case = ET.SubElement(suite, "testcase", classname="sim.regress", name=v.name)
        if not v.passed:
            lines = v.lines()
            ET.SubElement(case, "failure", message=lines[0]).text = "\n".join(lines)
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
