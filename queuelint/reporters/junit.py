"""JUnit XML, for CI systems that show test reports: one test case per finding (failed), or
one passing case when there is none, so that a clean run still shows as a run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from queuelint.findings import Diagnostic
from queuelint.reporters.paths import printable, shown_path


def render(diagnostics: Sequence[Diagnostic], internal_errors: int = 0) -> str:
    # Text from the analysed code is escaped first (`printable`): XML 1.0 cannot hold control
    # characters even as entities, nor lone surrogates.
    cases = max(len(diagnostics), 1)
    suites = ET.Element("testsuites", name="queuelint", tests=str(cases), failures=str(len(diagnostics)),
                        errors=str(internal_errors))
    suite = ET.SubElement(suites, "testsuite", name="queuelint", tests=str(cases), failures=str(len(diagnostics)),
                          errors=str(internal_errors))
    if not diagnostics:
        ET.SubElement(suite, "testcase", name="queuelint", classname="queuelint")
    for d in diagnostics:
        path = shown_path(d.span.path)
        case = ET.SubElement(suite, "testcase", name=f"{d.code} {path}:{d.span.line}:{d.span.column}",
                             classname=path, file=path, line=str(d.span.line))
        failure = ET.SubElement(case, "failure", message=printable(d.message), type=f"{d.code} {d.name}")
        body = [f"{path}:{d.span.line}:{d.span.column}: {d.code} [{d.name}] {printable(d.message)}"]
        body += [f"related: {shown_path(r.span.path)}:{r.span.line}:{r.span.column}: {printable(r.message)}"
                 for r in d.related]
        body += [f"hint: {printable(d.hint)}"] if d.hint else []
        failure.text = "\n".join(body)
    if internal_errors:
        ET.SubElement(suite, "system-err").text = f"{internal_errors} internal error(s); the results are incomplete"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
