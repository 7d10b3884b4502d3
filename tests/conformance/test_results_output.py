"""The outward face of a conformance run: the terminal table, JUnit XML, the HTML report and the
progress display, on results of real cases run against our VEN and on hand-made results whose
content is hostile (markup, control characters, entities, broken documents)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from rich.console import Console

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from openadr_accel.conformance.context import Timeouts
from openadr_accel.conformance.our_ven import OurVenFactory
from openadr_accel.conformance.progress import DisplayOperator, LineProgress, LiveProgress, progress_for
from openadr_accel.conformance.results import RunInfo, count_verdicts, printable, summary_line
from openadr_accel.conformance.results.console import print_results
from openadr_accel.conformance.results.html import html_document, pretty_document, write_html
from openadr_accel.conformance.results.junit import junit_document, write_junit
from openadr_accel.conformance.runner import RunSettings, VenRunner
from openadr_accel.conformance.transcript import Direction, Exchange

HOSTILE = '<script>alert("x")</script> & <img src="http://evil.example/x.png"> \x1b[2J\x00 ]]> --> \ud800'
"""Text a device might get into a reason, a problem or a message name."""

HOSTILE_DOCUMENT = (
    b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY boom "BOOM-EXPANDED">]>\n'
    b"<oadrPayload><note>&boom;</note><script>alert(1)</script>"
    b'<a href="javascript:alert(2)">x</a><img src="http://evil.example/y.png"/></oadrPayload>'
)

RUN_SETTINGS = RunSettings(speed=60, timeouts=Timeouts(message=10, action=10), case_seconds=30, jobs=2)


def _selected(number: str, transport: Transport = Transport.PULL) -> Selected:
    return Selected(REGISTRY.get(number, Role.VEN), transport)


@pytest.fixture(scope="module")
def real_results() -> list[CaseResult]:
    """N1_0010 and N1_0020, pull, against our own VEN (a few seconds)."""
    runner = VenRunner(OurVenFactory(), RUN_SETTINGS)
    results = asyncio.run(runner.run([_selected("N1_0010"), _selected("N1_0020")]))
    assert [result.verdict for result in results] == [Verdict.PASSED, Verdict.PASSED], [
        result.reason for result in results
    ]
    assert all(result.exchanges for result in results)
    return results


def _exchange(body: bytes, *, message: str | None, problems: Sequence[str] = ()) -> Exchange:
    return Exchange(
        at=datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
        direction=Direction.FROM_DEVICE,
        service="EiEvent",
        http="request",
        body=body,
        message=message,
        problems=list(problems),
    )


def _made(number: str, verdict: Verdict, reason: str, **extra: object) -> CaseResult:
    found = REGISTRY.get(number, Role.VEN)
    return CaseResult(
        case_id=found.case_id(Transport.PULL),
        case=found,
        transport=Transport.PULL,
        verdict=verdict,
        reason=reason,
        seconds=0.25,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def made_results() -> list[CaseResult]:
    """One result of every verdict but passed, hand-made, with hostile content."""
    return [
        _made(
            "N1_0015",
            Verdict.FAILED,
            f"the VEN answered 200 to an invalid ID: {HOSTILE}",
            checks=[f"the VEN registered {HOSTILE}"],
            exchanges=[
                _exchange(HOSTILE_DOCUMENT, message=HOSTILE, problems=[f"rule 21: {HOSTILE}"]),
                _exchange(b"\xff\xfe not XML at all <script>alert(3)</script>", message=None),
            ],
        ),
        _made("N1_0025", Verdict.ERROR, f"KeyError: 'harness'\n  File x.py, line 3\n{HOSTILE}"),
        _made(
            "N1_0030",
            Verdict.NEEDS_OBSERVATION,
            "a person must confirm: the charger stops",
            observations=["the charger stops <b>now</b>"],
            checks=["the VEN cancelled its registration"],
        ),
        _made("N1_0040", Verdict.NOT_APPLICABLE, "the VEN does not offer reports"),
        _made("N1_0050", Verdict.SKIPPED, ""),
    ]


@pytest.fixture(scope="module")
def all_results(real_results: list[CaseResult], made_results: list[CaseResult]) -> list[CaseResult]:
    return [*real_results, *made_results]


INFO = RunInfo(
    role=Role.VEN,
    device="our own VEN",
    started=datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC),
    seconds=12.5,
    settings={"transport": "pull", "TLS": HOSTILE},
)


# -- the summary ------------------------------------------------------------------------------------


def test_the_summary_counts_every_verdict_and_only_passed_is_a_pass(all_results: list[CaseResult]) -> None:
    counts = count_verdicts(all_results)
    assert counts[Verdict.PASSED] == 2
    assert all(counts[verdict] == 1 for verdict in Verdict if verdict is not Verdict.PASSED)
    line = summary_line(all_results)
    assert line.startswith("NOT A PASS: 2 of 7 case(s) passed")
    assert "1 needs observation" in line
    assert "Only 'passed' counts as a pass" in line
    assert summary_line(all_results[:2]).startswith("PASS: all 2 case(s) passed")
    assert summary_line(all_results[2:3]).startswith("NOT A PASS")  # one needs observation
    assert summary_line([]).startswith("NOT A PASS: 0 of 0")


def test_printable_makes_controls_visible_and_keeps_text() -> None:
    assert printable("a\tb\nc\x1b[31m\x00\x85\ud800\uffff é") == "a\tb\nc\\x1b[31m\\x00\\x85\\ud800\\uffff é"


# -- the terminal -----------------------------------------------------------------------------------


def test_the_console_table_lists_every_case_with_its_verdict(all_results: list[CaseResult]) -> None:
    out = io.StringIO()
    print_results(all_results, INFO, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    for result in all_results:
        assert result.case_id in text
        assert result.verdict.value.upper() in text
    assert "NOT A PASS: 2 of 7" in text
    assert "\x1b" not in text  # the device's escape sequence is shown, not sent to the terminal
    assert "\\x1b[2J" in text
    assert '<script>alert("x")</script>' in text  # rich markup from the device is printed as is


def test_colours_reach_a_terminal(all_results: list[CaseResult]) -> None:
    out = io.StringIO()
    print_results(
        all_results, INFO, Console(file=out, width=200, force_terminal=True, color_system="standard")
    )
    text = out.getvalue()
    assert "\x1b[" in text  # styled
    assert "\x1b[2J" not in text  # but never the device's own sequences


# -- JUnit ------------------------------------------------------------------------------------------

JUNIT_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- The JUnit XML that CI tools read (Jenkins, GitLab, GitHub reporters, Ant's junitreport):
     written for this test from the structure they share; stricter than any one of them. -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <xs:simpleType name="seconds">
    <xs:restriction base="xs:decimal"><xs:minInclusive value="0"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="count">
    <xs:restriction base="xs:nonNegativeInteger"/>
  </xs:simpleType>
  <xs:simpleType name="timestamp">
    <xs:restriction base="xs:dateTime">
      <xs:pattern value="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="problem">
    <xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attribute name="message" type="xs:string"/>
        <xs:attribute name="type" type="xs:string" use="required"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="testsuite" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="tests" type="count" use="required"/>
      <xs:attribute name="failures" type="count" use="required"/>
      <xs:attribute name="errors" type="count" use="required"/>
      <xs:attribute name="skipped" type="count"/>
      <xs:attribute name="time" type="seconds"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="properties" minOccurs="0">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                <xs:complexType>
                  <xs:attribute name="name" type="xs:string" use="required"/>
                  <xs:attribute name="value" type="xs:string" use="required"/>
                </xs:complexType>
              </xs:element>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="testcase" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:choice minOccurs="0">
                <xs:element name="failure" type="problem"/>
                <xs:element name="error" type="problem"/>
                <xs:element name="skipped">
                  <xs:complexType>
                    <xs:simpleContent>
                      <xs:extension base="xs:string">
                        <xs:attribute name="message" type="xs:string"/>
                      </xs:extension>
                    </xs:simpleContent>
                  </xs:complexType>
                </xs:element>
              </xs:choice>
              <xs:element name="system-out" type="xs:string" minOccurs="0"/>
              <xs:element name="system-err" type="xs:string" minOccurs="0"/>
            </xs:sequence>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="classname" type="xs:string" use="required"/>
            <xs:attribute name="time" type="seconds" use="required"/>
          </xs:complexType>
        </xs:element>
        <xs:element name="system-out" type="xs:string" minOccurs="0"/>
        <xs:element name="system-err" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="count" use="required"/>
      <xs:attribute name="failures" type="count" use="required"/>
      <xs:attribute name="errors" type="count" use="required"/>
      <xs:attribute name="skipped" type="count"/>
      <xs:attribute name="time" type="seconds" use="required"/>
      <xs:attribute name="timestamp" type="timestamp"/>
      <xs:attribute name="hostname" type="xs:string"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def _parse_junit(data: bytes) -> etree._Element:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    schema = etree.XMLSchema(etree.fromstring(JUNIT_XSD))
    schema.assertValid(root)
    return root


def test_junit_is_valid_and_counts_each_verdict(all_results: list[CaseResult]) -> None:
    root = _parse_junit(junit_document(all_results, INFO))
    [suite] = root.findall("testsuite")
    for element in (root, suite):
        assert element.get("tests") == "7"
        assert element.get("failures") == "1"
        assert element.get("errors") == "1"
        assert element.get("skipped") == "3"
    assert suite.get("time") == "12.500"
    assert suite.get("timestamp") == "2024-05-01T12:00:00"
    cases_ = suite.findall("testcase")
    assert [case.get("name") for case in cases_] == [result.case_id for result in all_results]
    assert {case.get("classname") for case in cases_} == {"registration"}
    by_name = {case.get("name"): case for case in cases_}
    for result in all_results:
        case = by_name[result.case_id]
        outcome = [child.tag for child in case if child.tag != "system-out"]
        expected = {
            Verdict.PASSED: [],
            Verdict.FAILED: ["failure"],
            Verdict.ERROR: ["error"],
        }.get(result.verdict, ["skipped"])
        assert outcome == expected, result.case_id
        out = case.findtext("system-out")
        assert out is not None
        assert result.case.title in out
        for check in result.checks:
            assert printable(check) in out
    skipped = [case.find("skipped") for case in cases_ if case.find("skipped") is not None]
    assert len(skipped) == 3
    for element in skipped:
        assert element is not None
        assert "not a pass" in (element.get("message") or "")
    properties = {prop.get("name"): prop.get("value") for prop in suite.iter("property")}
    assert properties["device"] == "our own VEN"
    assert properties["transport"] == "pull"


def test_junit_carries_hostile_text_as_text(made_results: list[CaseResult]) -> None:
    root = _parse_junit(junit_document(made_results, INFO))
    assert not list(root.iter("script", "img"))
    failure = root.find(".//failure")
    assert failure is not None
    assert '<script>alert("x")</script>' in (failure.text or "")
    assert "\\x1b[2J\\x00" in (failure.text or "")
    assert '<script>alert("x")</script>' in (failure.get("message") or "")
    error = root.find(".//error")
    assert error is not None
    assert (error.get("message") or "") == "KeyError: 'harness'"  # the first line; the rest in the text
    assert "line 3" in (error.text or "")


def test_write_junit_writes_the_document(real_results: list[CaseResult], tmp_path: Path) -> None:
    path = tmp_path / "results.xml"
    write_junit(path, real_results, INFO)
    root = _parse_junit(path.read_bytes())
    assert root.get("tests") == "2"
    assert root.get("failures") == "0"


# -- HTML -------------------------------------------------------------------------------------------


def _parse_html(text: str) -> lxml.html.HtmlElement:
    assert text.startswith("<!DOCTYPE html>")
    return lxml.html.document_fromstring(text)


def _assert_self_contained(page: lxml.html.HtmlElement) -> None:
    assert not page.xpath("//script"), "a script element"
    assert not page.xpath("//@src"), "something loaded from elsewhere"
    assert not page.xpath("//link | //iframe | //object | //embed | //img")
    ids = set(page.xpath("//@id"))
    for href in page.xpath("//@href"):
        assert href.startswith("#"), href
        assert href[1:] in ids, href
    for attribute in page.xpath("//@*"):
        assert not attribute.attrname.lower().startswith("on"), attribute.attrname
    style = "".join(page.xpath("//style/text()"))
    assert style, "the CSS is inline"
    assert "url(" not in style
    assert "@import" not in style


def test_html_is_self_contained_and_shows_every_case_and_message(all_results: list[CaseResult]) -> None:
    page = _parse_html(html_document(all_results, INFO))
    _assert_self_contained(page)
    text = page.text_content()
    assert "NOT A PASS: 2 of 7 case(s) passed" in text
    assert "Only 'passed' counts as a pass" in text
    sections = page.xpath("//section[contains(@class, 'case')]")
    assert len(sections) == len(all_results)
    for section, result in zip(sections, all_results, strict=True):
        shown = section.text_content()
        assert result.case_id in shown
        assert result.case.title in shown
        assert result.verdict.value.upper() in shown
        assert "case-" + result.verdict.value.replace(" ", "-") in section.get("class").split()
        assert " ".join(result.case.description.split()) in " ".join(shown.split())
        for check in result.checks:
            assert printable(check) in shown
        for observation in result.observations:
            assert observation in shown
        items = section.xpath(".//li[contains(@class, 'exchange')]")
        assert len(items) == len(result.exchanges)
        for item, exchange in zip(items, result.exchanges, strict=True):
            summary = item.xpath("./details/summary")[0].text_content()
            assert exchange.service in summary
            assert (printable(exchange.message) if exchange.message else "unreadable") in summary
            assert str(exchange.direction) in summary
            assert exchange.at.isoformat(timespec="milliseconds") in summary
            if exchange.status is not None:
                assert str(exchange.status) in summary
            [pre] = item.xpath(".//pre")
            if exchange.message is not None and exchange.payload is not None:
                assert exchange.message in pre.text_content()
        # cases that did not pass are unfolded
        assert (section.xpath("./details/@open") == []) is result.verdict.is_pass


def test_html_pretty_prints_the_real_documents(real_results: list[CaseResult]) -> None:
    page = _parse_html(html_document(real_results, INFO))
    documents = page.xpath("//pre[contains(@class, 'xml')]")
    assert len(documents) == sum(len(result.exchanges) for result in real_results)
    first = documents[0].text_content()
    assert "oadrPayload" in first
    assert "\n  <" in first  # indented
    messages = {exchange.message for result in real_results for exchange in result.exchanges}
    assert {"oadrQueryRegistration", "oadrCreatedPartyRegistration", "oadrPoll"} <= messages
    text = page.text_content()
    assert all(message in text for message in messages if message)


def test_html_escapes_everything_from_the_device(made_results: list[CaseResult]) -> None:
    source = html_document(made_results, INFO)
    page = _parse_html(source)
    _assert_self_contained(page)
    assert "<script>" not in source
    assert "<img" not in source
    text = page.text_content()
    assert '<script>alert("x")</script>' in text  # shown as text
    assert "<script>alert(1)</script>" in text  # inside the device's document
    assert "\\x1b[2J\\x00" in text
    assert "BOOM-EXPANDED" not in text  # the entity is never expanded
    assert "&boom;" in text
    problems = page.xpath("//ul[contains(@class, 'problems')]/li")
    assert [li.text_content() for li in problems] == [printable(f"rule 21: {HOSTILE}")]
    assert "not XML at all" in text  # an unreadable document is shown as received
    assert "(unreadable document)" in text


def test_pretty_document_is_hardened_and_bounded() -> None:
    shown = pretty_document(HOSTILE_DOCUMENT)
    assert "&boom;" in shown
    assert "BOOM-EXPANDED</note>" not in shown
    big = b"<a>" + b"x" * 5000 + b"</a>"
    cut = pretty_document(big, limit=1000)
    assert cut.endswith("(4007 more bytes not shown)")
    assert len(cut) < 1100
    assert pretty_document(b"\xff\xfe<") == "\ufffd\ufffd<"


def test_write_html_writes_utf8(real_results: list[CaseResult], tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(path, real_results, INFO)
    page = _parse_html(path.read_text(encoding="utf-8"))
    assert "PASS: all 2 case(s) passed" in page.text_content()
    assert "device → harness" in page.text_content()


# -- progress ---------------------------------------------------------------------------------------


def test_line_progress_prints_a_line_per_case(all_results: list[CaseResult]) -> None:
    out = io.StringIO()
    with LineProgress(len(all_results), stream=out, announce_start=True) as progress:
        for result in all_results:
            progress.started(Selected(result.case, result.transport))
            progress.finished(result)
        DisplayOperator(progress).ask("Restart the VEN")
    lines = [line for line in out.getvalue().splitlines() if line]
    assert len(lines) == 2 * len(all_results) + 1
    assert lines[0].startswith("[0/7] running")
    assert all_results[0].case_id in lines[0]
    assert lines[1].startswith("[1/7] PASSED")
    assert all_results[0].case_id in lines[1]
    failed = next(line for line in lines if "FAILED" in line)
    assert "the VEN answered 200 to an invalid ID" in failed
    assert "\x1b" not in out.getvalue()
    assert lines[-1] == ">>> ACTION NEEDED: Restart the VEN"
    assert progress.results == all_results


def test_live_progress_on_a_terminal(all_results: list[CaseResult]) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system="standard")
    display = progress_for(len(all_results), console)
    assert isinstance(display, LiveProgress)
    with display:
        for result in all_results:
            display.started(Selected(result.case, result.transport))
        display.say("The harness VTN listens at http://127.0.0.1:8080")
        for result in all_results:
            display.finished(result)
    assert display.results == all_results
    assert display.counts[Verdict.PASSED] == 2
    assert not display.running
    text = out.getvalue()
    assert "listens at http://127.0.0.1:8080" in text
    for result in all_results:
        assert result.case_id in text
    assert "\x1b[2J" not in text


def test_progress_off_a_terminal_is_lines() -> None:
    console = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(progress_for(3, console), LineProgress)


def test_run_info_title_names_both_roles() -> None:
    assert INFO.title == "OpenADR 2.0b conformance: our own VEN (a VEN; the harness plays the VTN)"
    later = RunInfo(role=Role.VTN, device="x", started=INFO.started + timedelta(1), seconds=0)
    assert "the harness plays the VEN" in later.title
