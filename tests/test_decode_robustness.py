"""Property tests: a mutated valid document gives a message or an OpenADRError, never anything else.

Every sample of ``tests/samples.py`` is mutated (an element deleted, renamed, duplicated or moved,
a text replaced by junk, the bytes truncated or a control character inserted) and fed to
``parse(data)`` and to ``parse(data, validate=False)``. The only acceptable outcomes are a payload
object or a subclass of :class:`~openadr_accel.errors.OpenADRError` with a message and a
three-digit response code; any other exception fails the test. When the validated parse accepts a
document, the unvalidated one must return the same message, and that message must serialize to a
valid document that reads back the same (nothing lost on the way).

The second part checks that strings holding XML's special characters survive serialize-then-parse
exactly.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from samples import SAMPLES

from openadr_accel import model as m
from openadr_accel.errors import OpenADRError
from openadr_accel.xml import parse, serialize

EXAMPLES = Path(__file__).parent.parent / "examples" / "messages"

DOCUMENTS: dict[str, bytes] = {
    **{f"{name} (compact)": serialize(payload) for name, payload in SAMPLES.items()},
    **{f"{name} (pretty)": (EXAMPLES / f"{name}.xml").read_bytes() for name in SAMPLES},
}
"""Every sample as serialize() writes it (one line) and as examples/ holds it (one element a line)."""

ALL_TAGS: list[str] = sorted(
    {str(element.tag) for data in DOCUMENTS.values() for element in etree.fromstring(data).iter()}
)
"""Every element name the samples use: renaming to one of them makes a plausible wrong document."""

CONTROL_BYTES = [bytes([code]) for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
TRICKY_TEXTS = [
    "",
    " ",
    "-1",
    "0",
    "4294967296",
    "99999999999999999999",
    "1e999999",
    "1e999999999999999999999",
    "NaN",
    "-INF",
    "P1M",
    "P",
    "PT",
    "2W",
    "PT0.5S",
    "P99999999999999999999D",
    "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00:00+05:30",
    "true",
    "yes",
    "x-custom",
    "x-",
    "200",
    "2000",
    "optIn",
    "far",
    "SIMPLE",
    "\u00e9\U0001f600",
    " \t\n padded \r\n",
    "9" * 5000,
]

RESULT_TIMEOUT = pytest.mark.timeout(60)
PROPERTY = settings(
    max_examples=200,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- what every outcome must look like -------------------------------------------------------------


def _same(a: m.Payload, b: m.Payload) -> bool:
    """Equal, with NaN equal to itself (Decimal('NaN') != Decimal('NaN'), so dataclass == fails)."""
    return a == b or serialize(a) == serialize(b)


def check_error(exc: OpenADRError) -> None:
    """A clear error: a message, a three-digit response code, and a sane line and element if any."""
    assert exc.message.strip(), f"{type(exc).__name__} without a message"
    assert re.fullmatch(r"[0-9]{3}", exc.response_code), exc.response_code
    assert exc.line is None or (isinstance(exc.line, int) and exc.line >= 1), exc.line
    assert exc.element is None or (isinstance(exc.element, str) and exc.element), exc.element
    assert exc.message in str(exc)


def outcome(data: bytes, *, validate: bool) -> m.Payload | None:
    """Parse ``data``; return the message, or None after checking the OpenADRError it raised.

    Any exception that is not an OpenADRError propagates and fails the test.
    """
    try:
        payload = parse(data, validate=validate)
    except OpenADRError as exc:
        check_error(exc)
        return None
    assert isinstance(payload, m.PAYLOAD_TYPES), type(payload)
    return payload


def check(data: bytes) -> None:
    """Both modes behave; what validation accepts, the decoder alone accepts too, and it round-trips."""
    validated = outcome(data, validate=True)
    unvalidated = outcome(data, validate=False)
    if currently_in_test_context():  # statistics for --hypothesis-show-statistics
        event(f"validated: {'accepted' if validated is not None else 'refused'}")
        event(f"unvalidated: {'accepted' if unvalidated is not None else 'refused'}")
    if validated is None:
        return
    assert unvalidated is not None, "accepted with validation, refused without it"
    assert _same(validated, unvalidated), "validation changed what the decoder read"
    again = parse(serialize(validated, validate=True))
    assert _same(again, validated), "the message lost or changed data through serialize and parse"


# --- mutations ---------------------------------------------------------------------------------

documents = st.sampled_from(sorted(DOCUMENTS))
xml_chars = st.characters(
    codec="utf-8",
    exclude_categories=["Cs"],  # surrogates
    exclude_characters=[chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"]
    + ["\ufffe", "\uffff"],
)
"""The characters XML 1.0 can carry."""
junk_texts = st.one_of(st.sampled_from(TRICKY_TEXTS), st.text(xml_chars, max_size=30))
local_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,24}", fullmatch=True)


@st.composite
def document_and_element(draw: st.DrawFn, *, skip_root: bool = True) -> tuple[etree._Element, etree._Element]:
    """A freshly parsed sample and one of its elements (never the root when ``skip_root``)."""
    root = etree.fromstring(DOCUMENTS[draw(documents)])
    elements = list(root.iter())
    first = 1 if skip_root else 0
    return root, elements[draw(st.integers(min_value=first, max_value=len(elements) - 1))]


def _namespace(tag: str) -> str:
    return tag[1 : tag.index("}")] if tag.startswith("{") else ""


@RESULT_TIMEOUT
@PROPERTY
@given(document_and_element())
def test_deleting_an_element(picked: tuple[etree._Element, etree._Element]) -> None:
    root, element = picked
    parent = element.getparent()
    assert parent is not None
    parent.remove(element)
    check(etree.tostring(root))


@RESULT_TIMEOUT
@PROPERTY
@given(document_and_element(skip_root=False), st.data())
def test_renaming_an_element(picked: tuple[etree._Element, etree._Element], data: st.DataObject) -> None:
    root, element = picked
    own_namespace = _namespace(str(element.tag))
    element.tag = data.draw(
        st.one_of(
            st.sampled_from(ALL_TAGS),  # a real OpenADR element, in the wrong place
            local_names.map(lambda name: f"{{{own_namespace}}}{name}" if own_namespace else name),
            local_names.map(lambda name: f"{{urn:example:elsewhere}}{name}"),
            st.just(str(element.tag).rpartition("}")[2]),  # the right name in no namespace
        ),
        label="new tag",
    )
    check(etree.tostring(root))


@RESULT_TIMEOUT
@PROPERTY
@given(document_and_element(), st.booleans())
def test_duplicating_an_element(picked: tuple[etree._Element, etree._Element], at_the_end: bool) -> None:
    root, element = picked
    parent = element.getparent()
    assert parent is not None
    twin = copy.deepcopy(element)
    if at_the_end:
        parent.append(twin)
    else:
        element.addnext(twin)
    check(etree.tostring(root))


@RESULT_TIMEOUT
@PROPERTY
@given(document_and_element(), st.data())
def test_moving_an_element_elsewhere(
    picked: tuple[etree._Element, etree._Element], data: st.DataObject
) -> None:
    root, element = picked
    parent = element.getparent()
    assert parent is not None
    targets = [
        other for other in root.iter() if other is not element and element not in other.iterancestors()
    ]
    target = data.draw(st.sampled_from(targets), label="new parent")
    target.insert(data.draw(st.integers(min_value=0, max_value=len(target)), label="position"), element)
    check(etree.tostring(root))


@RESULT_TIMEOUT
@PROPERTY
@given(document_and_element(skip_root=False), junk_texts)
def test_replacing_a_text_with_junk(picked: tuple[etree._Element, etree._Element], junk: str) -> None:
    root, element = picked
    element.text = junk
    check(etree.tostring(root))


@RESULT_TIMEOUT
@PROPERTY
@given(documents, st.data())
def test_truncating_the_bytes(name: str, data: st.DataObject) -> None:
    document = DOCUMENTS[name]
    cut = data.draw(st.integers(min_value=0, max_value=len(document) - 1), label="cut at")
    check(document[:cut])


@RESULT_TIMEOUT
@PROPERTY
@given(documents, st.data())
def test_inserting_a_control_character(name: str, data: st.DataObject) -> None:
    document = DOCUMENTS[name]
    at = data.draw(st.integers(min_value=0, max_value=len(document)), label="insert at")
    code = data.draw(st.sampled_from(CONTROL_BYTES), label="control character")
    form = data.draw(st.sampled_from(["raw", "decimal reference", "hex reference"]), label="form")
    inserted = {
        "raw": code,
        "decimal reference": f"&#{code[0]};".encode(),
        "hex reference": f"&#x{code[0]:x};".encode(),
    }[form]
    check(document[:at] + inserted + document[at:])


@RESULT_TIMEOUT
@PROPERTY
@given(documents, st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4))
def test_overwriting_random_bytes(name: str, changes: list[tuple[int, int]]) -> None:
    document = bytearray(DOCUMENTS[name])
    for position, value in changes:
        document[position % len(document)] = value
    check(bytes(document))


@RESULT_TIMEOUT
@PROPERTY
@given(documents, st.data())
def test_splicing_a_fragment_of_another_sample(name: str, data: st.DataObject) -> None:
    document = DOCUMENTS[name]
    donor = DOCUMENTS[data.draw(documents, label="donor")]
    start = data.draw(st.integers(min_value=0, max_value=len(donor) - 1), label="from")
    end = data.draw(st.integers(min_value=start, max_value=min(len(donor), start + 400)), label="to")
    at = data.draw(st.integers(min_value=0, max_value=len(document)), label="insert at")
    check(document[:at] + donor[start:end] + document[at:])


def test_every_unmutated_sample_passes_the_check() -> None:
    """The baseline: the property's own check holds for the documents it starts from."""
    for data in DOCUMENTS.values():
        check(data)


# --- strings with XML's special characters round-trip exactly --------------------------------------

SPECIAL_STRINGS = [
    "a & b",
    "<oadrPoll/>",
    "a > b",
    'double "quotes"',
    "single 'quotes'",
    "carriage\rreturn",
    "windows\r\nline end",
    "\ttab\tseparated\t",
    "\n",
    "  leading and trailing  ",
    "",
    "]]>",
    "&amp; already escaped &lt;",
    "&#13; a reference, as text",
    "caf\u00e9 na\u00efve \u00fcber \u4e2d\u6587 \u0639\u0631\u0628\u064a",
    "emoji \U0001f600 \U0001f697\u26a1 \U0001f1e9\U0001f1ea",
    "\x7f\x85\u2028\u2029 delete, NEL and separators",
    "\ufffd replacement character",
]


def _with_texts(text: str) -> m.OadrResponse:
    return m.OadrResponse(
        ei_response=m.EiResponse(response_code=m.ResponseCode.OK, request_id=text, response_description=text),
        ven_id=text,
    )


def _with_gml_ids(text: str) -> m.OadrDistributeEvent:
    """The price event with its service area's gml:id attributes set to ``text``."""
    event = SAMPLES["oadrDistributeEvent"]
    assert isinstance(event, m.OadrDistributeEvent)
    price = event.events[1]
    area = m.FeatureCollection(positions=(45.0, -122.6, 45.1, -122.5), id=text, polygon_id=text)
    target = replace(price.ei_event.target, service_areas=(area,))
    return replace(event, events=(replace(price, ei_event=replace(price.ei_event, target=target)),))


@pytest.mark.parametrize("text", SPECIAL_STRINGS)
def test_special_strings_round_trip_in_element_text(text: str) -> None:
    message = _with_texts(text)
    data = serialize(message, validate=True)
    assert parse(data) == message
    assert parse(data, validate=False) == message


@pytest.mark.parametrize("text", SPECIAL_STRINGS)
def test_special_strings_round_trip_in_attributes(text: str) -> None:
    """gml:id is an xs:ID, so most of these are not schema-valid there; the codec still keeps them."""
    message = _with_gml_ids(text)
    assert parse(serialize(message), validate=False) == message


@RESULT_TIMEOUT
@settings(max_examples=300, deadline=timedelta(seconds=2))
@given(st.text(xml_chars, max_size=60))
def test_any_xml_text_round_trips(text: str) -> None:
    message = _with_texts(text)
    assert parse(serialize(message, validate=True)) == message
    assert parse(serialize(_with_gml_ids(text)), validate=False) == _with_gml_ids(text)
