"""The results of a run as one self-contained HTML file.

The file needs nothing else: its CSS is inline, it loads no image, font or script, and it works
without JavaScript (the cases and messages fold with ``<details>``). At the top: the run (device,
role, when, how) and its summary (the count of each verdict, and whether the run is a pass: only
"passed" counts as one), then an index of the cases. Then every case: its verdict (in colour and
in words), the catalogue title, its description (the case script's docstring), the conformance
rules it touches, the checks that held, the observations a person must make, the reason, and every
message exchanged with the device in order (direction, service, message type, HTTP status, time,
the problems found in it, and the document pretty-printed).

Everything from the device is untrusted. The page is built as an lxml tree and serialized by
lxml, so every text is escaped (a document holding ``<script>`` shows as text and never becomes
an element); control characters are made visible first
(:func:`~openadr_accel.conformance.results.printable`). Documents are parsed for pretty-printing
with a hardened parser (no entities resolved, no DTD or network access) and shown as received
when they cannot be parsed.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from lxml import etree

from ..case import CaseResult, Verdict
from ..transcript import Direction, Exchange
from . import RunInfo, count_verdicts, first_line, overall_passed, printable, summary_line

__all__ = ["MAX_SHOWN_BYTES", "html_document", "pretty_document", "write_html"]

MAX_SHOWN_BYTES = 256 * 1024
"""The most of one document the report shows (the rest is cut, saying how much)."""

_CSS = """
:root { --passed:#1a7f37; --failed:#cf222e; --error:#8250df; --observe:#9a6700; --grey:#57606a; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem auto;
       max-width: 78rem; padding: 0 1rem; color: #1f2328; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.overall { font-size: 1.1rem; font-weight: 600; padding: .5rem .75rem; border-radius: 6px; }
.overall.pass { background: #dafbe1; color: var(--passed); }
.overall.fail { background: #ffebe9; color: var(--failed); }
.badge { display: inline-block; min-width: 9.5em; text-align: center; font-weight: 600;
           border-radius: 4px; padding: 0 .4em; color: #fff; font-size: .85rem; }
.badge-passed { background: var(--passed); }
.badge-failed { background: var(--failed); }
.badge-error { background: var(--error); }
.badge-needs-observation { background: #fff8c5; color: var(--observe); border: 1px solid var(--observe); }
.badge-not-applicable, .badge-skipped { background: #eaeef2; color: var(--grey); }
section.case { border: 1px solid #d0d7de; border-left-width: 6px; border-radius: 6px;
               margin: .75rem 0; padding: .25rem .75rem; }
section.case.case-passed { border-left-color: var(--passed); }
section.case.case-failed { border-left-color: var(--failed); }
section.case.case-error { border-left-color: var(--error); }
section.case.case-needs-observation { border-left-color: var(--observe); }
section.case.case-not-applicable, section.case.case-skipped { border-left-color: var(--grey); }
section.case > details > summary { cursor: pointer; padding: .4rem 0; font-weight: 600; }
.case-id, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: .5rem;
      white-space: pre-wrap; word-break: break-all; font-size: .8rem; max-height: 40rem; overflow: auto; }
.description { white-space: pre-wrap; }
ol.exchanges { padding-left: 1.5rem; }
ol.exchanges > li { margin: .3rem 0; }
li.from-device > details > summary::before { content: "⬅ "; }
li.to-device > details > summary::before { content: "➡ "; }
.direction { font-weight: 600; }
ul.problems { color: var(--failed); margin: .2rem 0; }
.has-problems > details > summary { color: var(--failed); }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.muted { color: var(--grey); }
"""


def _css_class(verdict: Verdict, kind: str) -> str:
    return f"{kind}-" + verdict.value.replace(" ", "-")


def _add(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    """A child element; ``class_`` is the class attribute. Text and attribute values are made
    printable (lxml escapes them when it serializes)."""
    element = etree.SubElement(parent, tag)
    for name, value in attributes.items():
        element.set(name.rstrip("_"), printable(value))
    if text is not None:
        element.text = printable(text)
    return element


def _verdict_badge(parent: etree._Element, verdict: Verdict) -> etree._Element:
    return _add(parent, "span", verdict.value.upper(), class_=f"badge {_css_class(verdict, 'badge')}")


def _anchor(result: CaseResult) -> str:
    return "case-" + "".join(char if char.isalnum() or char in "_-" else "-" for char in result.case_id)


def pretty_document(body: bytes, *, limit: int = MAX_SHOWN_BYTES) -> str:
    """A document as text for people: pretty-printed XML when it parses (a hardened parser:
    entities are not expanded, no DTD is loaded, nothing is fetched), else as received (invalid
    UTF-8 replaced); cut at ``limit`` bytes, saying how much more there was."""
    if len(body) > limit:
        shown = body[:limit].decode("utf-8", "replace")
        return f"{shown}\n… ({len(body) - limit} more bytes not shown)"
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_blank_text=True,
        huge_tree=False,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return body.decode("utf-8", "replace")
    return etree.tostring(root, pretty_print=True, encoding="unicode").rstrip("\n")


def _time(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def _facts(parent: etree._Element, facts: Mapping[str, str]) -> None:
    listing = _add(parent, "dl", class_="facts")
    for name, value in facts.items():
        _add(listing, "dt", name)
        _add(listing, "dd", value)


def _summary(body: etree._Element, results: Sequence[CaseResult], info: RunInfo) -> None:
    header = _add(body, "header")
    _add(header, "h1", info.title)
    _add(
        header,
        "p",
        summary_line(results),
        class_="overall " + ("pass" if overall_passed(results) else "fail"),
    )
    counts = _add(header, "table", class_="counts")
    row = _add(counts, "tr")
    for verdict in Verdict:
        cell = _add(row, "th")
        _verdict_badge(cell, verdict)
    row = _add(counts, "tr")
    for count in count_verdicts(results).values():
        _add(row, "td", str(count), class_="num")
    _facts(
        header,
        {
            "device under test": info.device,
            "its role": str(info.role),
            "started": info.started.isoformat(timespec="seconds"),
            "took": f"{info.seconds:.1f} s",
            "cases": str(len(results)),
            **info.settings,
        },
    )


def _index(body: etree._Element, results: Sequence[CaseResult]) -> None:
    nav = _add(body, "nav")
    _add(nav, "h2", "Cases")
    table = _add(nav, "table", class_="index")
    head = _add(table, "tr")
    for name in ("case", "transport", "verdict", "seconds", "reason"):
        _add(head, "th", name)
    for result in results:
        row = _add(table, "tr")
        _add(_add(row, "td"), "a", result.case_id, href="#" + _anchor(result), class_="case-id")
        _add(row, "td", result.transport.value)
        _verdict_badge(_add(row, "td"), result.verdict)
        _add(row, "td", f"{result.seconds:.1f}", class_="num")
        _add(row, "td", first_line(result.reason))


def _tls(exchange: Exchange) -> dict[str, str]:
    facts = exchange.tls
    if facts is None:
        return {}
    certificate = facts.peer_fingerprint or "none presented"
    return {
        "TLS": f"{facts.version or '?'}, {facts.cipher or '?'}",
        "device certificate": certificate,
    }


def _exchange(parent: etree._Element, exchange: Exchange, index: int) -> None:
    direction = "from-device" if exchange.direction is Direction.FROM_DEVICE else "to-device"
    classes = f"exchange {direction}" + (" has-problems" if exchange.problems else "")
    item = _add(parent, "li", class_=classes)
    details = _add(item, "details")
    summary = _add(details, "summary")
    _add(summary, "span", _time(exchange.at), class_="muted").tail = " "
    _add(summary, "span", str(exchange.direction), class_="direction").tail = " "
    status = f" {exchange.status}" if exchange.status is not None else ""
    _add(summary, "code", exchange.service).tail = f" · HTTP {exchange.http}{status} · "
    _add(summary, "code", exchange.message or "(unreadable document)")
    if exchange.problems:
        _add(summary, "span", f" · {len(exchange.problems)} problem(s)")
    _facts(
        details,
        {
            "message": f"#{index}",
            "time": _time(exchange.at),
            "direction": str(exchange.direction),
            "service": exchange.service,
            "HTTP": exchange.http + status,
            "message type": exchange.message or "(unreadable document)",
            "size": f"{len(exchange.body)} bytes",
            **_tls(exchange),
        },
    )
    if exchange.problems:
        problems = _add(item, "ul", class_="problems")
        for problem in exchange.problems:
            _add(problems, "li", problem)
    _add(details, "pre", pretty_document(exchange.body), class_="xml")


def _case(main: etree._Element, result: CaseResult) -> None:
    section = _add(main, "section", class_=f"case {_css_class(result.verdict, 'case')}", id=_anchor(result))
    details = _add(section, "details")
    if not result.verdict.is_pass:
        details.set("open", "open")
    summary = _add(details, "summary")
    _verdict_badge(summary, result.verdict).tail = " "
    _add(summary, "span", result.case_id, class_="case-id").tail = f" — {printable(result.case.title)}"
    case = result.case
    _facts(
        details,
        {
            "case": result.case_id,
            "title": case.title,
            "verdict": result.verdict.value + ("" if result.verdict.is_pass else " (not a pass)"),
            "transport": result.transport.value,
            "group": case.group.name.lower().replace("_", " "),
            "rules": ", ".join(str(rule) for rule in case.rules) or "(none listed)",
            "seconds": f"{result.seconds:.2f}",
        },
    )
    _add(details, "h3", "How the case goes")
    _add(details, "p", inspect.cleandoc(case.description) or "(no description)", class_="description")
    if result.reason:
        _add(details, "h3", "Reason")
        _add(details, "pre", result.reason, class_="reason")
    _add(details, "h3", f"Checks that held ({len(result.checks)})")
    if result.checks:
        checks = _add(details, "ol", class_="checks")
        for check in result.checks:
            _add(checks, "li", check)
    else:
        _add(details, "p", "(none)", class_="muted")
    if result.observations:
        _add(details, "h3", f"Observations a person must confirm ({len(result.observations)})")
        observations = _add(details, "ol", class_="observations")
        for observation in result.observations:
            _add(observations, "li", observation)
    _add(details, "h3", f"Messages ({len(result.exchanges)})")
    if result.exchanges:
        exchanges = _add(details, "ol", class_="exchanges")
        for index, exchange in enumerate(result.exchanges, start=1):
            _exchange(exchanges, exchange, index)
    else:
        _add(details, "p", "(no message was exchanged)", class_="muted")


def html_document(results: Sequence[CaseResult], info: RunInfo) -> str:
    """The HTML report of a run, as text (with its doctype)."""
    root = etree.Element("html", lang="en")
    head = _add(root, "head")
    _add(head, "meta", charset="utf-8")
    _add(head, "meta", name="viewport", content="width=device-width, initial-scale=1")
    _add(head, "title", info.title)
    style = etree.SubElement(head, "style")
    style.text = _CSS
    body = _add(root, "body")
    _summary(body, results, info)
    _index(body, results)
    main = _add(body, "main")
    _add(main, "h2", "Details")
    for result in results:
        _case(main, result)
    text: str = etree.tostring(root, method="html", encoding="unicode", doctype="<!DOCTYPE html>")
    return text + "\n"


def write_html(path: Path, results: Sequence[CaseResult], info: RunInfo) -> None:
    """Write the HTML report of a run to ``path`` (UTF-8)."""
    path.write_text(html_document(results, info), encoding="utf-8")
