"""The bad-input corpus: every kind of broken or hostile document gets the right error, fast.

Each case states the input and what ``parse(data)`` must raise: the exact exception class (not a
subclass of it), the response code, the ``line`` and ``element`` it names (``None`` where the error
is about the document as a whole) and a fragment of its message. It states the same once more for
``parse(data, validate=False)``: the hardening (size cap, no DTD, no entities, no network) holds in
both modes, only the schema check differs, and without it the decoder either refuses with a
:class:`~openadr_accel.errors.RemoteProtocolError` of its own or is lenient and returns the message.

Every case runs between two traps that must stay untouched: a listening loopback socket (any
connection to it is a fetch) and a secret file watched with inotify (any open of it is a read), and
the text of the outcome must not contain the secret or ``/etc/passwd``. Every case must finish in
well under two seconds (entity bombs, deep nesting and huge nodes included), with a hard timeout
of ten.

Cases marked ``bug`` are known defects, expected to fail (strictly) until fixed.

Part two: ``serialize()`` refuses, with :class:`~openadr_accel.errors.LocalProtocolError`, what
2.0b cannot express.
"""

from __future__ import annotations

import base64
import ctypes
import os
import select
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from lxml import etree
from samples import SAMPLES

from openadr_accel import model as m
from openadr_accel.errors import (
    LocalProtocolError,
    MalformedXMLError,
    MessageTooLargeError,
    OpenADRError,
    RemoteProtocolError,
    SchemaValidationError,
    UnsafeXMLError,
    UnsupportedPayloadError,
)
from openadr_accel.xml import DEFAULT_MAX_BYTES, parse, serialize

EXAMPLES = Path(__file__).parent.parent / "examples" / "messages"
SECRET = "s3cr3t-7f0c2a91-never-read-me"
PASSWD_MARKERS = ("root:x:0:0", "root:*:0:0", "/bin/sh", "nologin")
MAX_SECONDS = 2.0
"""What any one parse may take, whatever the input (the cap on a 4 MiB document is far lower)."""

# --- the traps: a loopback listener and a watched secret file --------------------------------------


class _FileWatch:
    """inotify on one file (Linux): tells whether anything opened or read it since the last look."""

    IN_ACCESS = 0x001
    IN_OPEN = 0x020

    def __init__(self, path: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if libc.inotify_add_watch(self._fd, os.fsencode(path), self.IN_OPEN | self.IN_ACCESS) < 0:
            os.close(self._fd)
            raise OSError(ctypes.get_errno(), "inotify_add_watch failed")

    def touched(self) -> bool:
        try:
            return bool(os.read(self._fd, 65536))
        except BlockingIOError:
            return False

    def close(self) -> None:
        os.close(self._fd)


@dataclass
class Traps:
    """Things no parse may touch. ``url`` and ``secret_uri`` are what hostile documents point at."""

    listener: socket.socket
    secret: Path
    watch: _FileWatch | None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    @property
    def secret_uri(self) -> str:
        return self.secret.as_uri()

    def connections(self) -> int:
        """Connections made to the listener since the last look (each one is accepted and closed)."""
        count = 0
        while select.select([self.listener], [], [], 0.01)[0]:
            connection, _ = self.listener.accept()
            connection.close()
            count += 1
        return count

    def assert_untouched(self, outcome_text: str) -> None:
        assert self.connections() == 0, "the parser connected to the network"
        if self.watch is not None:
            assert not self.watch.touched(), f"the parser opened {self.secret}"
        assert SECRET not in outcome_text, "the secret file's content leaked into the outcome"
        for marker in PASSWD_MARKERS:
            assert marker not in outcome_text, "/etc/passwd leaked into the outcome"


@pytest.fixture
def traps(tmp_path: Path) -> Iterator[Traps]:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n")
    watch: _FileWatch | None
    try:
        watch = _FileWatch(secret) if sys.platform == "linux" else None
    except (OSError, AttributeError):
        watch = None
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        yield Traps(listener, secret, watch)
    if watch is not None:
        watch.close()


@pytest.mark.skipif(sys.platform != "linux", reason="inotify is Linux only")
def test_the_traps_do_catch_a_read_and_a_connection(traps: Traps) -> None:
    """Guard against a vacuous proof: opening the secret or connecting to the port is seen."""
    assert traps.watch is not None
    assert traps.secret.read_text().startswith(SECRET)
    assert traps.watch.touched()
    with socket.create_connection(("127.0.0.1", traps.listener.getsockname()[1]), timeout=2):
        pass
    assert traps.connections() == 1


# --- building documents ----------------------------------------------------------------------------


@cache
def example(name: str) -> bytes:
    """``examples/messages/<name>.xml``: a pretty-printed, valid document (line numbers are stable)."""
    return (EXAMPLES / f"{name}.xml").read_bytes()


def edit(name: str, old: str, new: str) -> bytes:
    """The example ``name`` with the first ``old`` replaced by ``new``."""
    data = example(name)
    assert old.encode() in data, f"{old!r} is not in {name}.xml"
    return data.replace(old.encode(), new.encode(), 1)


def line_of(data: bytes, text: str) -> int:
    """The line on which ``text`` first occurs in ``data``."""
    return data[: data.index(text.encode())].count(b"\n") + 1


POLL = example("oadrPoll")
VEN_ID = "<ei:venID>ven-evse-0042</ei:venID>"
POLL_BODY = POLL.decode().split("\n", 1)[1]  # everything after the XML declaration
XINCLUDE = 'xmlns:xi="http://www.w3.org/2001/XInclude"'


def with_doctype(doctype: str, ven_id: str = "ven-evse-0042", *, encoding: str = "UTF-8") -> bytes:
    """The oadrPoll example behind ``doctype``, its venID text replaced (to reference entities)."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n'
    return (declaration + doctype + "\n" + POLL_BODY.replace("ven-evse-0042", ven_id, 1)).encode()


def subset(*declarations: str) -> str:
    """A DOCTYPE with an internal subset."""
    return "<!DOCTYPE oadr:oadrPayload [\n" + "\n".join(declarations) + "\n]>"


LAUGHS = subset(
    '<!ENTITY lol0 "lol">',
    *(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)),
)
"""Billion laughs: ``&lol9;`` is 10**9 times "lol", 3 GB."""
QUADRATIC = subset(f'<!ENTITY big "{"B" * 50_000}">')
QUADRATIC_REFS = "&big;" * 50_000
"""Quadratic blowup: 50,000 references to a 50,000-character entity, 2.5 GB."""


def utf7_hiding_markup(data: bytes) -> bytes:
    """UTF-7 that spells ``<``, ``!``, ``&`` ... in base64 (``+ADw-``), so no ``<!DOCTYPE`` byte run.

    The XML declaration stays in ASCII: it is how the parser learns the encoding.
    """
    declaration, _, rest = data.partition(b"\n")
    out: list[str] = [declaration.decode("ascii"), "\n"]
    for char in rest.decode():
        if char in '<>[]&!"%;':
            out.append("+" + base64.b64encode(char.encode("utf-16-be")).decode().rstrip("=") + "-")
        else:
            out.append(char)
    return "".join(out).encode("ascii")


def padded(data: bytes, size: int) -> bytes:
    """``data`` with newlines after its root element (still the same valid document) up to ``size``."""
    return data + b"\n" * (size - len(data))


def huge_text(size: int) -> Callable[[], bytes]:
    return lambda: POLL.replace(b"ven-evse-0042", b"v" * size, 1)


def deep(levels: int) -> Callable[[], bytes]:
    return lambda: POLL.replace(b"ven-evse-0042", b"<a>" * levels + b"x" + b"</a>" * levels, 1)


# --- the corpus ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raises:
    """``parse()`` raises exactly ``error`` (not a subclass), naming ``line`` and ``element``."""

    error: type[OpenADRError]
    line: int | None = None
    element: str | None = None
    says: str = ""
    """A fragment of the message: the error says what is wrong."""
    code: str = "454"


@dataclass(frozen=True)
class Accepted:
    """``parse()`` returns a message of this type (the decoder is lenient without the schema)."""

    payload_type: type[m.Payload]


@dataclass(frozen=True)
class Case:
    id: str
    document: bytes | Callable[[], bytes]
    """The input; ``@URL@`` and ``@SECRET_URI@`` become the traps' addresses before parsing."""
    validated: Raises
    unvalidated: Raises | Accepted | None = None
    """With ``validate=False``; None: the same as ``validated``."""
    encoding: str = "utf-8"
    """Re-encode the (UTF-8) document into this codec before parsing."""
    max_bytes: int = DEFAULT_MAX_BYTES
    bug: str | None = None

    def data(self, traps: Traps) -> bytes:
        raw = self.document() if callable(self.document) else self.document
        if b"@" in raw:
            raw = raw.replace(b"@URL@", traps.url.encode()).replace(
                b"@SECRET_URI@", traps.secret_uri.encode()
            )
        if self.encoding != "utf-8":
            raw = raw.decode("utf-8").encode(self.encoding)
        return raw

    def expected(self, validate: bool) -> Raises | Accepted:
        if validate or self.unvalidated is None:
            return self.validated
        return self.unvalidated


def malformed(line: int | None, says: str) -> Raises:
    return Raises(MalformedXMLError, line=line, says=says)


UNSAFE = Raises(UnsafeXMLError, says="not allowed")
TOO_LARGE = Raises(MessageTooLargeError, says="exceeds the cap")


# Documents whose expected lines are computed from where the edit was made.
_TRUNCATED = POLL[: POLL.index(b"ven-evse") + len(b"ven-evse")]
_UNCLOSED = POLL.replace(b"</oadr:oadrPoll>", b"", 1)
_MISMATCHED = edit("oadrPoll", "</ei:venID>", "</ei:vtnID>")
_BAD_UTF8 = POLL.replace(b"ven-evse-0042", b"ven-\xc3\x28-0042", 1)
_LATIN1_AS_UTF8 = POLL.replace(b"ven-evse-0042", "vén".encode("latin-1"), 1)
_SURROGATE_UTF8 = POLL.replace(b"ven-evse-0042", b"ven-\xed\xa0\x80", 1)
_RAW_CONTROL = POLL.replace(b"ven-evse-0042", b"ven-\x01", 1)
_CONTROL_REF = POLL.replace(b"ven-evse-0042", b"ven-&#1;", 1)
_NUL_REF = POLL.replace(b"ven-evse-0042", b"ven-&#0;", 1)
_UNDEFINED_ENTITY = POLL.replace(b"ven-evse-0042", b"ven-&undefined;", 1)
_TRAILING = POLL + b"<oadr:oadrPoll/>\n"
_DECLARATION_LATE = b"\n" + POLL
_HTML = b"<html>\n<body>Bad gateway</body>\n</html>\n"
_BARE_SIGNED = (
    b'<oadr:oadrSignedObject xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
    b'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110">\n'
    b'  <oadr:oadrPoll ei:schemaVersion="2.0b"><ei:venID>v</ei:venID></oadr:oadrPoll>\n'
    b"</oadr:oadrSignedObject>\n"
)
_BARE_MESSAGE = (
    b'<oadr:oadrPoll xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
    b'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110" ei:schemaVersion="2.0b">\n'
    b"  <ei:venID>v</ei:venID>\n</oadr:oadrPoll>\n"
)
_PAYLOAD_20A_NS = POLL.replace(b"oadr-2.0b/2012/07", b"oadr-2.0a/2012/07", 1)
_PAYLOAD_NO_NS = b"<oadrPayload>\n  <oadrSignedObject/>\n</oadrPayload>\n"
_MESSAGE_FOREIGN_NS = edit(
    "oadrPoll", "<oadr:oadrPoll ", '<x:oadrPoll xmlns:x="urn:example:not-openadr" '
).replace(b"</oadr:oadrPoll>", b"</x:oadrPoll>")
_MESSAGE_EI_NS = edit("oadrPoll", "<oadr:oadrPoll ", "<ei:oadrPoll ").replace(
    b"</oadr:oadrPoll>", b"</ei:oadrPoll>"
)
_TWO_MESSAGES = edit(
    "oadrPoll",
    "</oadr:oadrPoll>",
    '</oadr:oadrPoll>\n    <oadr:oadrPoll ei:schemaVersion="2.0b"><ei:venID>v2</ei:venID></oadr:oadrPoll>',
)
_EMPTY_SIGNED = POLL.replace(
    POLL[POLL.index(b"<oadr:oadrPoll ") : POLL.index(b"</oadr:oadrSignedObject>")], b""
)
_UNKNOWN_MESSAGE = POLL.replace(b"oadrPoll", b"oadrPing")
_GREEN_BUTTON = edit(
    "oadrUpdateReport", "<oadr:oadrReportPayload>", "<oadr:oadrGBPayload/><oadr:oadrReportPayload>"
)
_XINCLUDE_TEXT = edit(
    "oadrPoll",
    VEN_ID,
    f'<ei:venID><xi:include {XINCLUDE} href="file:///etc/passwd" parse="text"/></ei:venID>',
)
_XINCLUDE_SECRET = edit(
    "oadrPoll", VEN_ID, f'<ei:venID><xi:include {XINCLUDE} href="@SECRET_URI@" parse="text"/></ei:venID>'
)
_XINCLUDE_NETWORK = edit(
    "oadrPoll", "<oadr:oadrPoll ", f'<xi:include {XINCLUDE} href="@URL@/message.xml"/>\n    <oadr:oadrPoll '
)
_SIGNAL_TYPE = edit("oadrDistributeEvent", "<ei:signalType>level<", "<ei:signalType>loud<")
_SIGNAL_TYPE_X = edit("oadrDistributeEvent", "<ei:signalType>level<", "<ei:signalType>x-loud<")
_EVENT_STATUS = edit("oadrDistributeEvent", "<ei:eventStatus>far<", "<ei:eventStatus>FAR<")
_EVENT_STATUS_X = edit("oadrDistributeEvent", "<ei:eventStatus>far<", "<ei:eventStatus>x-paused<")
_OPT_TYPE = edit("oadrCreatedEvent", "<ei:optType>optIn<", "<ei:optType>optMaybe<")
_OPT_TYPE_X = edit("oadrCreatedEvent", "<ei:optType>optIn<", "<ei:optType>x-optMaybe<")
_CREATED = "<ei:createdDateTime>2026-06-30T14:00:00Z</ei:createdDateTime>"
_DATETIME = edit(
    "oadrDistributeEvent", _CREATED, "<ei:createdDateTime>2026-13-45T25:00:00Z</ei:createdDateTime>"
)
_DATETIME_WORDS = edit("oadrDistributeEvent", _CREATED, "<ei:createdDateTime>yesterday</ei:createdDateTime>")
_DATETIME_OFFSET = edit(
    "oadrDistributeEvent", _CREATED, "<ei:createdDateTime>2026-06-30T16:00:00+02:00</ei:createdDateTime>"
)
_DURATION_WORDS = edit("oadrDistributeEvent", ">PT4H<", ">4 hours<")
_DURATION_FRACTION = edit("oadrDistributeEvent", ">PT4H<", ">PT0.5S<")
_DURATION_MONTH = edit("oadrDistributeEvent", ">PT4H<", ">P1M<")
_DURATION_YEAR = edit("oadrDistributeEvent", ">PT4H<", ">P1Y<")
_DURATION_TOO_LONG = edit("oadrDistributeEvent", ">PT4H<", ">P99999999999999999999D<")
_MODIFICATION_NEGATIVE = edit("oadrCreatedEvent", "<ei:modificationNumber>0<", "<ei:modificationNumber>-1<")
_MODIFICATION_TOO_BIG = edit(
    "oadrDistributeEvent", "<ei:modificationNumber>0<", "<ei:modificationNumber>4294967296<"
)
_MODIFICATION_DIGITS = edit(
    "oadrCreatedEvent", "<ei:modificationNumber>0<", f"<ei:modificationNumber>{'9' * 5000}<"
)
_RESPONSE_CODE_2 = edit("oadrResponse", "<ei:responseCode>200<", "<ei:responseCode>20<")
_RESPONSE_CODE_4 = edit("oadrResponse", "<ei:responseCode>200<", "<ei:responseCode>2000<")
_RESPONSE_CODE_WORD = edit("oadrResponse", "<ei:responseCode>200<", "<ei:responseCode>OK<")
_RESPONSE_CODE_ARABIC = edit("oadrResponse", "<ei:responseCode>200<", "<ei:responseCode>\u0662\u0660\u0660<")
_MISSING_VEN_ID = edit("oadrPoll", VEN_ID, "")
_MISSING_EVENT_ID = edit("oadrCreatedEvent", "<ei:eventID>event-1</ei:eventID>", "")
_MISSING_REQUEST_ID = edit("oadrResponse", "<pyld:requestID>req-poll-1</pyld:requestID>", "")
_SWAPPED = edit(
    "oadrResponse",
    "<ei:responseCode>200</ei:responseCode>\n        <ei:responseDescription>OK</ei:responseDescription>",
    "<ei:responseDescription>OK</ei:responseDescription>\n        <ei:responseCode>200</ei:responseCode>",
)
_EXTRA_ELEMENT = edit("oadrPoll", VEN_ID, VEN_ID + "\n      <ei:venName>extra</ei:venName>")
_FOREIGN_ELEMENT = edit("oadrPoll", VEN_ID, VEN_ID + '\n      <x:extra xmlns:x="urn:example:x">1</x:extra>')
_DUPLICATE = edit("oadrPoll", VEN_ID, VEN_ID + "\n      <ei:venID>someone-else</ei:venID>")
_EXTRA_ATTRIBUTE = edit("oadrPoll", "<ei:venID>", '<ei:venID role="admin">')
_SCHEMA_VERSION = edit("oadrPoll", 'ei:schemaVersion="2.0b"', 'ei:schemaVersion="3.0"')
_CONFIDENCE_101 = edit("oadrUpdateReport", "<ei:confidence>100<", "<ei:confidence>101<")
_CONFIDENCE_NEGATIVE = edit("oadrUpdateReport", "<ei:confidence>100<", "<ei:confidence>-1<")
_BOOLEAN = edit("oadrCreatePartyRegistration", "<oadr:oadrReportOnly>false<", "<oadr:oadrReportOnly>no<")
_FLOAT = edit("oadrDistributeEvent", "<ei:value>1<", "<ei:value>one<")
_POSITIONS = edit("oadrDistributeEvent", "45.0 -122.6 45.1", "45.0 north 45.1")
_EMPTY_NUMBER = edit("oadrCreatedEvent", "<ei:modificationNumber>0<", "<ei:modificationNumber><")

CASES: list[Case] = [
    # -- not XML, or not well-formed -------------------------------------------------------------------
    Case("empty input", b"", malformed(1, "Document is empty")),
    Case("whitespace only", b"   ", malformed(1, "Start tag expected")),
    Case("JSON instead of XML", b'{"oadrPoll": {"venID": "v"}}', malformed(1, "Start tag expected")),
    Case(
        "garbage bytes (a PNG header)",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        malformed(1, "not well-formed"),
    ),
    Case("garbage bytes (all 256)", bytes(range(256)), malformed(1, "not well-formed")),
    Case("truncated document", _TRUNCATED, malformed(line_of(_TRUNCATED, "ven-evse"), "not well-formed")),
    Case("unclosed tag", _UNCLOSED, malformed(line_of(_UNCLOSED, "</oadr:oadrSignedObject>"), "mismatch")),
    Case("mismatched end tag", _MISMATCHED, malformed(line_of(_MISMATCHED, "</ei:vtnID>"), "mismatch")),
    Case("two root elements", _TRAILING, malformed(line_of(_TRAILING, "<oadr:oadrPoll/>"), "Extra content")),
    Case(
        "XML declaration not first",
        _DECLARATION_LATE,
        malformed(2, "XML declaration allowed only at the start"),
    ),
    Case("invalid UTF-8", _BAD_UTF8, malformed(line_of(_BAD_UTF8, "ven-"), "Invalid bytes")),
    Case("Latin-1 bytes declared UTF-8", _LATIN1_AS_UTF8, malformed(5, "Invalid bytes")),
    Case("UTF-8-encoded surrogate", _SURROGATE_UTF8, malformed(5, "Invalid bytes")),
    Case(
        "encoding declared UTF-16 on UTF-8 bytes",
        POLL.replace(b"encoding='UTF-8'", b"encoding='UTF-16'", 1),
        malformed(1, "not well-formed"),
    ),
    Case(
        "unknown encoding declared",
        POLL.replace(b"encoding='UTF-8'", b"encoding='x-no-such-charset'", 1),
        malformed(1, "unsupported encoding 'x-no-such-charset'"),
    ),
    Case("EBCDIC document", POLL.decode().encode("cp037"), malformed(1, "Unsupported encoding")),
    Case("XML version 2.0", POLL.replace(b"version='1.0'", b"version='2.0'", 1), malformed(1, "version")),
    Case("raw control character", _RAW_CONTROL, malformed(5, "invalid Char value 1")),
    Case("control character reference", _CONTROL_REF, malformed(5, "invalid xmlChar value 1")),
    Case("NUL character reference", _NUL_REF, malformed(5, "invalid xmlChar value 0")),
    Case("undefined entity reference", _UNDEFINED_ENTITY, malformed(5, "Entity 'undefined' not defined")),
    # -- DTDs and entities: refused before parsing (UTF-8) or after it (other encodings) ---------------
    Case("plain DOCTYPE", with_doctype("<!DOCTYPE oadr:oadrPayload>"), UNSAFE),
    Case("billion laughs", with_doctype(LAUGHS, "&lol9;"), UNSAFE),
    Case("quadratic blowup", with_doctype(QUADRATIC, QUADRATIC_REFS), UNSAFE),
    Case(
        "external entity to /etc/passwd",
        with_doctype(subset('<!ENTITY xxe SYSTEM "file:///etc/passwd">'), "&xxe;"),
        UNSAFE,
    ),
    Case(
        "external entity to a secret file",
        with_doctype(subset('<!ENTITY xxe SYSTEM "@SECRET_URI@">'), "&xxe;"),
        UNSAFE,
    ),
    Case(
        "external entity to loopback http",
        with_doctype(subset('<!ENTITY xxe SYSTEM "@URL@/xxe">'), "&xxe;"),
        UNSAFE,
    ),
    Case(
        "external parameter entity to loopback http",
        with_doctype(subset('<!ENTITY % remote SYSTEM "@URL@/evil.dtd">', "%remote;"), "&defined-remotely;"),
        UNSAFE,
    ),
    Case(
        "internal parameter entity",
        with_doctype(subset("<!ENTITY % def \"<!ENTITY inner 'expanded'>\">", "%def;"), "&inner;"),
        UNSAFE,
    ),
    Case(
        "external DTD over loopback http",
        with_doctype('<!DOCTYPE oadr:oadrPayload SYSTEM "@URL@/oadr.dtd">'),
        UNSAFE,
    ),
    Case(
        "DOCTYPE hidden by UTF-16",
        with_doctype(subset('<!ENTITY e "expanded">'), "&e;", encoding="UTF-16"),
        UNSAFE,
        encoding="utf-16",
    ),
    Case(
        "external entity to a secret file hidden by UTF-16",
        with_doctype(subset('<!ENTITY xxe SYSTEM "@SECRET_URI@">'), "&xxe;", encoding="UTF-16"),
        UNSAFE,
        encoding="utf-16",
    ),
    Case(
        "external entity to /etc/passwd hidden by UTF-16",
        with_doctype(subset('<!ENTITY xxe SYSTEM "file:///etc/passwd">'), "&xxe;", encoding="UTF-16"),
        UNSAFE,
        encoding="utf-16",
    ),
    Case(
        "external entity to loopback http hidden by UTF-16",
        with_doctype(subset('<!ENTITY xxe SYSTEM "@URL@/xxe">'), "&xxe;", encoding="UTF-16"),
        UNSAFE,
        encoding="utf-16",
    ),
    Case(
        "external parameter entity hidden by UTF-16",
        with_doctype(subset('<!ENTITY % remote SYSTEM "@URL@/evil.dtd">', "%remote;"), encoding="UTF-16"),
        UNSAFE,
        encoding="utf-16",
    ),
    Case(
        "external DTD hidden by UTF-32",
        with_doctype('<!DOCTYPE oadr:oadrPayload SYSTEM "@URL@/oadr.dtd">', encoding="UTF-32"),
        UNSAFE,
        encoding="utf-32",
    ),
    Case(
        "DOCTYPE hidden by UTF-7",
        lambda: utf7_hiding_markup(with_doctype(subset('<!ENTITY e "expanded">'), "&e;", encoding="UTF-7")),
        UNSAFE,
    ),
    Case(
        "billion laughs hidden by UTF-16",
        with_doctype(LAUGHS, "&lol9;", encoding="UTF-16"),
        UNSAFE,
        encoding="utf-16",
    ),
    Case(
        "quadratic blowup hidden by UTF-16",
        with_doctype(QUADRATIC, QUADRATIC_REFS, encoding="UTF-16"),
        UNSAFE,
        encoding="utf-16",
    ),
    Case(
        "billion laughs hidden by UTF-7",
        lambda: utf7_hiding_markup(with_doctype(LAUGHS, "&lol9;", encoding="UTF-7")),
        UNSAFE,
    ),
    # -- size ----------------------------------------------------------------------------------------
    Case("one byte over the default cap", lambda: padded(POLL, DEFAULT_MAX_BYTES + 1), TOO_LARGE),
    Case("huge text node over the default cap", huge_text(DEFAULT_MAX_BYTES), TOO_LARGE),
    Case("one byte over a custom max_bytes", POLL, TOO_LARGE, max_bytes=len(POLL) - 1),
    Case("a large event over a 1 KiB max_bytes", example("oadrDistributeEvent"), TOO_LARGE, max_bytes=1024),
    # -- libxml2's own limits (kept: no huge_tree) ----------------------------------------------------
    Case("nesting 100,000 deep", deep(100_000), malformed(5, "Excessive depth")),
    Case("nesting 300 deep", deep(300), malformed(5, "Excessive depth")),
    Case(
        "10 MB text node under a raised max_bytes",
        huge_text(11_000_000),
        malformed(5, "Text node too long"),
        max_bytes=16 * 1024 * 1024,
    ),
    Case(
        "10 MB attribute under a raised max_bytes",
        lambda: POLL.replace(b"<ei:venID>", b'<ei:venID a="' + b"v" * 11_000_000 + b'">', 1),
        malformed(5, "limit exceeded"),
        max_bytes=16 * 1024 * 1024,
    ),
    Case(
        "60,000-character element name",
        POLL.replace(VEN_ID.encode(), b"<" + b"n" * 60_000 + b"/>", 1),
        malformed(5, "Name too long"),
    ),
    # -- the wrong root, or not exactly one known message ----------------------------------------------
    Case(
        "HTML error page",
        _HTML,
        Raises(SchemaValidationError, 1, "html", "No matching global declaration"),
        Raises(RemoteProtocolError, 1, "html", "root element must be oadrPayload"),
    ),
    # The schema declares oadrSignedObject and every message globally, so it accepts them as roots;
    # the decoder refuses them (in both modes, with its own RemoteProtocolError).
    Case(
        "bare oadrSignedObject",
        _BARE_SIGNED,
        Raises(RemoteProtocolError, 1, "oadrSignedObject", "root element must be oadrPayload"),
    ),
    Case(
        "bare message without oadrPayload",
        _BARE_MESSAGE,
        Raises(RemoteProtocolError, 1, "oadrPoll", "root element must be oadrPayload"),
    ),
    Case(
        "oadrPayload in the 2.0a namespace",
        _PAYLOAD_20A_NS,
        Raises(SchemaValidationError, 2, "oadrPayload", "No matching global declaration"),
        Raises(RemoteProtocolError, 2, "oadrPayload", "root element must be oadrPayload"),
    ),
    Case(
        "oadrPayload in no namespace",
        _PAYLOAD_NO_NS,
        Raises(SchemaValidationError, 1, "oadrPayload", "No matching global declaration"),
        Raises(RemoteProtocolError, 1, "oadrPayload", "root element must be oadrPayload"),
    ),
    Case(
        "message element in a foreign namespace",
        _MESSAGE_FOREIGN_NS,
        Raises(SchemaValidationError, 4, "oadrPoll", "not expected"),
        Raises(RemoteProtocolError, 4, "oadrPoll", "not an OpenADR 2.0b message"),
    ),
    Case(
        "message element in the ei namespace",
        _MESSAGE_EI_NS,
        Raises(SchemaValidationError, 4, "oadrPoll", "not expected"),
        Raises(RemoteProtocolError, 4, "oadrPoll", "not an OpenADR 2.0b message"),
    ),
    Case(
        "two messages in one oadrSignedObject",
        _TWO_MESSAGES,
        Raises(SchemaValidationError, line_of(_TWO_MESSAGES, "<ei:venID>v2<"), "oadrPoll", "not expected"),
        Raises(RemoteProtocolError, 3, "oadrSignedObject", "exactly one message, found 2"),
    ),
    Case(
        "empty oadrSignedObject",
        _EMPTY_SIGNED,
        Raises(SchemaValidationError, 3, "oadrSignedObject", "Missing child"),
        Raises(RemoteProtocolError, 3, "oadrSignedObject", "exactly one message, found 0"),
    ),
    Case(
        "unknown message element",
        _UNKNOWN_MESSAGE,
        Raises(SchemaValidationError, 4, "oadrPing", "not expected"),
        Raises(RemoteProtocolError, 4, "oadrPing", "not an OpenADR 2.0b message"),
    ),
    Case(
        "Green Button payload",
        _GREEN_BUTTON,
        Raises(SchemaValidationError, line_of(_GREEN_BUTTON, "<oadr:oadrGBPayload/>"), "oadrGBPayload"),
        Raises(UnsupportedPayloadError, line_of(_GREEN_BUTTON, "<oadr:oadrGBPayload/>"), "oadrGBPayload"),
    ),
    # -- XInclude: never processed --------------------------------------------------------------------
    Case(
        "XInclude of /etc/passwd as text",
        _XINCLUDE_TEXT,
        Raises(SchemaValidationError, 5, "venID", "Element content is not allowed"),
        Accepted(m.OadrPoll),  # the decoder reads venID's own text: the xi:include is dropped, not run
    ),
    Case(
        "XInclude of a secret file as text",
        _XINCLUDE_SECRET,
        Raises(SchemaValidationError, 5, "venID", "Element content is not allowed"),
        Accepted(m.OadrPoll),
    ),
    Case(
        "XInclude over loopback http",
        _XINCLUDE_NETWORK,
        Raises(SchemaValidationError, 4, "include", "not expected"),
        Raises(RemoteProtocolError, 3, "oadrSignedObject", "exactly one message, found 2"),
    ),
    # -- schema-invalid values: closed vocabularies ---------------------------------------------------
    Case(
        "bad signalType",
        _SIGNAL_TYPE,
        Raises(SchemaValidationError, line_of(_SIGNAL_TYPE, ">loud<"), "signalType", "enumeration"),
        Raises(RemoteProtocolError, line_of(_SIGNAL_TYPE, ">loud<"), "signalType", "not a valid SignalType"),
    ),
    Case(
        "x- extension signalType (closed vocabulary)",
        _SIGNAL_TYPE_X,
        Raises(SchemaValidationError, line_of(_SIGNAL_TYPE_X, ">x-loud<"), "signalType", "enumeration"),
        Raises(
            RemoteProtocolError, line_of(_SIGNAL_TYPE_X, ">x-loud<"), "signalType", "not a valid SignalType"
        ),
    ),
    Case(
        "bad eventStatus (wrong case)",
        _EVENT_STATUS,
        Raises(SchemaValidationError, line_of(_EVENT_STATUS, ">FAR<"), "eventStatus", "enumeration"),
        Raises(
            RemoteProtocolError, line_of(_EVENT_STATUS, ">FAR<"), "eventStatus", "not a valid EventStatus"
        ),
    ),
    Case(
        "x- extension eventStatus (closed vocabulary)",
        _EVENT_STATUS_X,
        Raises(SchemaValidationError, line_of(_EVENT_STATUS_X, ">x-paused<"), "eventStatus", "enumeration"),
        Raises(RemoteProtocolError, line_of(_EVENT_STATUS_X, ">x-paused<"), "eventStatus", "EventStatus"),
    ),
    Case(
        "bad optType",
        _OPT_TYPE,
        Raises(SchemaValidationError, line_of(_OPT_TYPE, ">optMaybe<"), "optType", "enumeration"),
        Raises(RemoteProtocolError, line_of(_OPT_TYPE, ">optMaybe<"), "optType", "not a valid OptType"),
    ),
    Case(
        "x- extension optType (closed vocabulary)",
        _OPT_TYPE_X,
        Raises(SchemaValidationError, line_of(_OPT_TYPE_X, ">x-optMaybe<"), "optType", "enumeration"),
        Raises(RemoteProtocolError, line_of(_OPT_TYPE_X, ">x-optMaybe<"), "optType", "not a valid OptType"),
    ),
    # -- schema-invalid values: datetimes and durations -----------------------------------------------
    Case(
        "impossible datetime",
        _DATETIME,
        Raises(
            SchemaValidationError, line_of(_DATETIME, "2026-13-45"), "createdDateTime", "not a valid value"
        ),
        Raises(RemoteProtocolError, line_of(_DATETIME, "2026-13-45"), "createdDateTime", "not a date-time"),
    ),
    Case(
        "datetime in words",
        _DATETIME_WORDS,
        Raises(SchemaValidationError, line_of(_DATETIME_WORDS, "yesterday"), "createdDateTime"),
        Raises(
            RemoteProtocolError, line_of(_DATETIME_WORDS, "yesterday"), "createdDateTime", "not a date-time"
        ),
    ),
    Case(
        "datetime with a numeric offset (the schema's pattern wants Z or nothing)",
        _DATETIME_OFFSET,
        Raises(SchemaValidationError, line_of(_DATETIME_OFFSET, "+02:00"), "createdDateTime", "pattern"),
        Accepted(m.OadrDistributeEvent),
    ),
    Case(
        "duration in words",
        _DURATION_WORDS,
        Raises(SchemaValidationError, line_of(_DURATION_WORDS, "4 hours"), "duration", "pattern"),
        Raises(RemoteProtocolError, line_of(_DURATION_WORDS, "4 hours"), "duration", "not a duration"),
    ),
    Case(
        "duration with a fraction of a second",
        _DURATION_FRACTION,
        Raises(SchemaValidationError, line_of(_DURATION_FRACTION, "PT0.5S"), "duration", "pattern"),
        Raises(RemoteProtocolError, line_of(_DURATION_FRACTION, "PT0.5S"), "duration", "not a duration"),
    ),
    # P1M and P1Y are schema-valid but have no fixed length: the decoder refuses them (not a
    # SchemaValidationError: the schema accepted them) rather than guess a month's length.
    Case(
        "duration of one month (schema-valid, not representable)",
        _DURATION_MONTH,
        Raises(RemoteProtocolError, line_of(_DURATION_MONTH, ">P1M<"), "duration", "years or months"),
    ),
    Case(
        "duration of one year (schema-valid, not representable)",
        _DURATION_YEAR,
        Raises(RemoteProtocolError, line_of(_DURATION_YEAR, ">P1Y<"), "duration", "years or months"),
    ),
    Case(
        "duration beyond timedelta (schema-valid, not representable)",
        _DURATION_TOO_LONG,
        Raises(RemoteProtocolError, line_of(_DURATION_TOO_LONG, "P9999"), "duration", "too long"),
    ),
    # -- schema-invalid values: numbers, codes, booleans ----------------------------------------------
    Case(
        "negative modificationNumber",
        _MODIFICATION_NEGATIVE,
        Raises(
            SchemaValidationError,
            line_of(_MODIFICATION_NEGATIVE, ">-1<"),
            "modificationNumber",
            "unsignedInt",
        ),
        Raises(
            RemoteProtocolError, line_of(_MODIFICATION_NEGATIVE, ">-1<"), "modificationNumber", "unsigned"
        ),
    ),
    Case(
        "modificationNumber of 2**32",
        _MODIFICATION_TOO_BIG,
        Raises(SchemaValidationError, line_of(_MODIFICATION_TOO_BIG, "4294967296"), "modificationNumber"),
        # the model's constructor refuses it, so the error names the element being built
        Raises(
            RemoteProtocolError,
            line_of(_MODIFICATION_TOO_BIG, "<ei:eventDescriptor>"),
            "eventDescriptor",
            "32-bit",
        ),
    ),
    Case(
        "modificationNumber of 5,000 digits",
        _MODIFICATION_DIGITS,
        Raises(SchemaValidationError, line_of(_MODIFICATION_DIGITS, "9999"), "modificationNumber"),
        Raises(RemoteProtocolError, line_of(_MODIFICATION_DIGITS, "9999"), "modificationNumber", "digits"),
    ),
    Case(
        "empty modificationNumber",
        _EMPTY_NUMBER,
        Raises(
            SchemaValidationError, line_of(_EMPTY_NUMBER, "<ei:modificationNumber><"), "modificationNumber"
        ),
        Raises(
            RemoteProtocolError,
            line_of(_EMPTY_NUMBER, "<ei:modificationNumber><"),
            "modificationNumber",
            "not an unsigned integer",
        ),
    ),
    Case(
        "responseCode of two digits",
        _RESPONSE_CODE_2,
        Raises(SchemaValidationError, 6, "responseCode", "pattern"),
        Raises(RemoteProtocolError, 6, "responseCode", "not a valid ResponseCode"),
    ),
    Case(
        "responseCode of four digits",
        _RESPONSE_CODE_4,
        Raises(SchemaValidationError, 6, "responseCode", "pattern"),
        Raises(RemoteProtocolError, 6, "responseCode", "not a valid ResponseCode"),
    ),
    Case(
        "responseCode in words",
        _RESPONSE_CODE_WORD,
        Raises(SchemaValidationError, 6, "responseCode", "pattern"),
        Raises(RemoteProtocolError, 6, "responseCode", "not a valid ResponseCode"),
    ),
    Case(
        "responseCode in Arabic-Indic digits",
        _RESPONSE_CODE_ARABIC,
        Raises(SchemaValidationError, 6, "responseCode", "pattern"),
        Raises(RemoteProtocolError, 6, "responseCode", "not a valid ResponseCode"),
    ),
    Case(
        "confidence 101",
        _CONFIDENCE_101,
        Raises(SchemaValidationError, line_of(_CONFIDENCE_101, ">101<"), "confidence", "maxInclusive"),
        # the model's constructor refuses it, so the error names the report payload
        Raises(
            RemoteProtocolError,
            line_of(_CONFIDENCE_101, "<oadr:oadrReportPayload>"),
            "oadrReportPayload",
            "between 0 and 100",
        ),
    ),
    Case(
        "negative confidence",
        _CONFIDENCE_NEGATIVE,
        Raises(SchemaValidationError, line_of(_CONFIDENCE_NEGATIVE, ">-1<"), "confidence"),
        Raises(RemoteProtocolError, line_of(_CONFIDENCE_NEGATIVE, ">-1<"), "confidence", "unsigned"),
    ),
    Case(
        "boolean spelled no",
        _BOOLEAN,
        Raises(SchemaValidationError, line_of(_BOOLEAN, ">no<"), "oadrReportOnly", "boolean"),
        Raises(RemoteProtocolError, line_of(_BOOLEAN, ">no<"), "oadrReportOnly", "not a boolean"),
    ),
    Case(
        "float in words",
        _FLOAT,
        Raises(SchemaValidationError, line_of(_FLOAT, ">one<"), "value", "xs:float"),
        Raises(RemoteProtocolError, line_of(_FLOAT, ">one<"), "value", "not a number"),
    ),
    Case(
        "word in a gml:posList",
        _POSITIONS,
        Raises(SchemaValidationError, line_of(_POSITIONS, "north"), "posList", "xs:double"),
        Raises(RemoteProtocolError, line_of(_POSITIONS, "north"), "posList", "not a number"),
    ),
    # -- schema-invalid structure ---------------------------------------------------------------------
    Case(
        "missing required element (venID)",
        _MISSING_VEN_ID,
        Raises(SchemaValidationError, 4, "oadrPoll", "Missing child element"),
        Raises(RemoteProtocolError, 4, "oadrPoll", "missing required element <venID>"),
    ),
    Case(
        "missing required element (eventID)",
        _MISSING_EVENT_ID,
        Raises(
            SchemaValidationError, line_of(_MISSING_EVENT_ID, "<ei:modificationNumber>"), "modificationNumber"
        ),
        Raises(
            RemoteProtocolError,
            line_of(_MISSING_EVENT_ID, "<ei:qualifiedEventID>"),
            "qualifiedEventID",
            "missing required element <eventID>",
        ),
    ),
    Case(
        "missing required element (requestID)",
        _MISSING_REQUEST_ID,
        Raises(SchemaValidationError, 5, "eiResponse", "Missing child element"),
        Raises(RemoteProtocolError, 5, "eiResponse", "missing required element <requestID>"),
    ),
    Case(
        "element order swapped",
        _SWAPPED,
        Raises(SchemaValidationError, 6, "responseDescription", "not expected"),
        Accepted(m.OadrResponse),  # the decoder looks children up by name
    ),
    Case(
        "unknown extra element",
        _EXTRA_ELEMENT,
        Raises(SchemaValidationError, 6, "venName", "not expected"),
        Accepted(m.OadrPoll),
    ),
    Case(
        "extra element in a foreign namespace",
        _FOREIGN_ELEMENT,
        Raises(SchemaValidationError, 6, "extra", "not expected"),
        Accepted(m.OadrPoll),
    ),
    Case(
        "element repeated",
        _DUPLICATE,
        Raises(SchemaValidationError, 6, "venID", "not expected"),
        Accepted(m.OadrPoll),
    ),
    Case(
        "unknown attribute",
        _EXTRA_ATTRIBUTE,
        Raises(SchemaValidationError, 5, "venID", "attribute 'role'"),
        Accepted(m.OadrPoll),
    ),
    Case(
        "schemaVersion 3.0",
        _SCHEMA_VERSION,
        Raises(SchemaValidationError, 4, "oadrPoll", "schemaVersion"),
        Accepted(m.OadrPoll),
    ),
]


def _params() -> list[object]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(reason=f"BUG: {case.bug}", strict=True, raises=AssertionError)]
            if case.bug
            else [],
        )
        for case in CASES
    ]


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def _describe(exc: OpenADRError) -> str:
    return f"{type(exc).__name__}(line={exc.line}, element={exc.element}): {exc}"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("validate", [True, False], ids=["validate", "no-validate"])
@pytest.mark.parametrize("case", _params())
def test_bad_input(case: Case, validate: bool, traps: Traps) -> None:
    data = case.data(traps)
    expected = case.expected(validate)

    start = time.perf_counter()
    try:
        result: m.Payload | OpenADRError = parse(data, validate=validate, max_bytes=case.max_bytes)
    except OpenADRError as exc:
        result = exc
    elapsed = time.perf_counter() - start

    traps.assert_untouched(_describe(result) if isinstance(result, OpenADRError) else repr(result))
    assert elapsed < MAX_SECONDS, f"parse took {elapsed:.2f} s"
    if isinstance(expected, Accepted):
        assert isinstance(result, expected.payload_type), f"expected a {expected.payload_type.__name__}"
        return
    assert isinstance(result, OpenADRError), (
        f"expected {expected.error.__name__}, got a {type(result).__name__}"
    )
    assert type(result) is expected.error, _describe(result)
    assert result.response_code == expected.code
    assert (result.line, result.element) == (expected.line, expected.element), _describe(result)
    assert expected.says in result.message
    assert result.message.strip()
    assert str(result).endswith(f"(response code {expected.code})")
    if isinstance(result, MalformedXMLError):  # lxml's (or the codec's) error is translated, and chained
        assert isinstance(result.__cause__, etree.XMLSyntaxError | LookupError | UnicodeDecodeError)


# --- hostile but harmless: accepted, unchanged, nothing fetched ------------------------------------


@pytest.mark.timeout(10)
@pytest.mark.parametrize("validate", [True, False], ids=["validate", "no-validate"])
@pytest.mark.parametrize(
    ("document", "ven_id"),
    [
        pytest.param(
            POLL.replace(
                b"<oadr:oadrPayload ",
                b'<oadr:oadrPayload xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                b'xsi:schemaLocation="http://openadr.org/oadr-2.0b/2012/07 @URL@/oadr_20b.xsd" ',
                1,
            ),
            "ven-evse-0042",
            id="xsi:schemaLocation pointing at loopback http is not fetched",
        ),
        pytest.param(
            POLL.replace(
                b"<oadr:oadrPayload ",
                b'<oadr:oadrPayload xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                b'xsi:noNamespaceSchemaLocation="@SECRET_URI@" ',
                1,
            ),
            "ven-evse-0042",
            id="xsi:noNamespaceSchemaLocation pointing at a file is not read",
        ),
        pytest.param(
            POLL.replace(b"ven-evse-0042", b"<![CDATA[ven-<evse>&-0042]]>", 1),
            "ven-<evse>&-0042",
            id="CDATA section with markup characters",
        ),
        pytest.param(
            POLL.replace(b"ven-evse-0042", b"ven-<!-- a comment -->evse-0042", 1),
            "ven-evse-0042",
            id="comment inside a text value",
        ),
        pytest.param(
            POLL.replace(b"ven-evse-0042", b"ven-&#x1F697;-&amp;-&#233;", 1),
            "ven-\U0001f697-&-\u00e9",
            id="character references",
        ),
        pytest.param(
            POLL.replace(b"ven-evse-0042", b"v" * (3 * 1024 * 1024), 1),
            "v" * (3 * 1024 * 1024),
            id="3 MiB text node under the cap is kept whole",
        ),
        pytest.param(
            padded(POLL, DEFAULT_MAX_BYTES),
            "ven-evse-0042",
            id="document of exactly the default cap",
        ),
        pytest.param(
            POLL.decode().replace("encoding='UTF-8'", "encoding='UTF-16'").encode("utf-16"),
            "ven-evse-0042",
            id="UTF-16 document without a DOCTYPE",
        ),
    ],
)
def test_hostile_but_harmless_input_is_read_unchanged(
    document: bytes, ven_id: str, validate: bool, traps: Traps
) -> None:
    data = document.replace(b"@URL@", traps.url.encode()).replace(b"@SECRET_URI@", traps.secret_uri.encode())
    start = time.perf_counter()
    result = parse(data, validate=validate)
    elapsed = time.perf_counter() - start
    traps.assert_untouched(repr(result))
    assert result == m.OadrPoll(ven_id=ven_id)
    assert elapsed < MAX_SECONDS


@pytest.mark.timeout(10)
@pytest.mark.parametrize("validate", [True, False], ids=["validate", "no-validate"])
def test_processing_instructions_are_never_run(validate: bool, traps: Traps) -> None:
    """A processing instruction is refused or ignored, never acted on.

    errors.py says UnsafeXMLError covers "processing instruction refused"; the parser drops them
    instead (remove_pis=True). Either is safe, so either passes here; what must not happen is a fetch.
    """
    data = POLL.replace(
        b"<oadr:oadrPayload",
        f'<?xml-stylesheet type="text/xsl" href="{traps.url}/evil.xsl"?>\n<oadr:oadrPayload'.encode(),
        1,
    ).replace(b"<ei:venID>", f'<?php readfile("{traps.secret_uri}"); ?><ei:venID>'.encode(), 1)
    try:
        result: m.Payload | OpenADRError = parse(data, validate=validate)
    except UnsafeXMLError as exc:
        result = exc
    traps.assert_untouched(repr(result))
    if not isinstance(result, OpenADRError):
        assert result == m.OadrPoll(ven_id="ven-evse-0042")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(POLL, id="bytes"),
        pytest.param(bytearray(POLL), id="bytearray"),
        pytest.param(memoryview(POLL), id="memoryview"),
    ],
)
def test_bytes_like_input_is_accepted(data: bytes) -> None:
    assert parse(data) == m.OadrPoll(ven_id="ven-evse-0042")


def test_size_cap_counts_bytes_of_a_memoryview() -> None:
    """The cap is on bytes: a memoryview of 8-byte items is measured by nbytes, not len()."""
    document = padded(POLL, DEFAULT_MAX_BYTES + 8 + (-(DEFAULT_MAX_BYTES + 8) % 8))
    view = memoryview(document).cast("Q")
    assert view.nbytes > DEFAULT_MAX_BYTES >= len(view)
    with pytest.raises(MessageTooLargeError):
        parse(view)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(POLL.decode(), id="str"),
        pytest.param(None, id="None"),
        pytest.param(42, id="int"),
        pytest.param([POLL], id="list"),
    ],
)
def test_text_instead_of_bytes_is_a_type_error(data: object) -> None:
    """A caller's mistake, not a peer's: TypeError (deliberately not an OpenADRError), saying why.

    ``str`` is refused because the XML declaration names the encoding of the bytes; decoding them
    first is exactly the mistake that makes ``encoding=`` declarations lie.
    """
    with pytest.raises(TypeError, match=f"takes bytes, not {type(data).__name__}"):
        parse(data)  # type: ignore[arg-type]


# --- serialize() refuses what 2.0b cannot express ----------------------------------------------------

_T0 = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


def _with_gml_id(gml_id: str) -> m.OadrDistributeEvent:
    event = SAMPLES["oadrDistributeEvent"]
    assert isinstance(event, m.OadrDistributeEvent)
    price = event.events[1]
    area = m.FeatureCollection(positions=(45.0, -122.6, 45.1, -122.5, 45.0, -122.6), id=gml_id)
    target = replace(price.ei_event.target, service_areas=(area,))
    return replace(event, events=(replace(price, ei_event=replace(price.ei_event, target=target)),))


@pytest.mark.parametrize("validate", [False, True], ids=["plain", "validate"])
@pytest.mark.parametrize(
    ("build", "says"),
    [
        pytest.param(
            lambda: m.OadrPoll(ven_id="ven-\x01"), "XML 1.0 cannot carry", id="control character x01"
        ),
        pytest.param(lambda: m.OadrPoll(ven_id="ven-\x00"), "XML 1.0 cannot carry", id="NUL"),
        pytest.param(lambda: m.OadrPoll(ven_id="ven-\x1b[31m"), "XML 1.0 cannot carry", id="ANSI escape"),
        pytest.param(lambda: m.OadrPoll(ven_id="ven-\ud800"), "XML 1.0 cannot carry", id="lone surrogate"),
        pytest.param(lambda: m.OadrPoll(ven_id="ven-\ufffe"), "XML 1.0 cannot carry", id="U+FFFE"),
        pytest.param(
            lambda: m.OadrResponse(
                ei_response=m.EiResponse(
                    response_code=m.ResponseCode.OK, request_id="r", response_description="ok\x0c"
                )
            ),
            "XML 1.0 cannot carry",
            id="form feed in a description",
        ),
        pytest.param(
            lambda: _with_gml_id("area\x02"), "XML 1.0 cannot carry", id="control character in an attribute"
        ),
        pytest.param(
            lambda: replace(
                SAMPLES["oadrCreatedPartyRegistration"],
                requested_poll_freq=timedelta(seconds=10, microseconds=1),
            ),
            "fractional seconds",
            id="poll frequency with microseconds",
        ),
        pytest.param(
            lambda: replace(
                SAMPLES["oadrCreateOpt"],
                availability=(m.Available(dtstart=_T0, duration=timedelta(seconds=1.5)),),
            ),
            "fractional seconds",
            id="availability of 1.5 s",
        ),
        pytest.param(
            lambda: m.EiResponse(response_code=m.ResponseCode.OK, request_id="r"),
            "EiResponse is not an OpenADR 2.0b message",
            id="a part, not a message",
        ),
        pytest.param(
            lambda: m.OadrPoll, "type is not an OpenADR 2.0b message", id="the class, not an instance"
        ),
        pytest.param(lambda: "<oadrPoll/>", "str is not an OpenADR 2.0b message", id="a string"),
        pytest.param(
            lambda: POLL, "bytes is not an OpenADR 2.0b message", id="an already serialized document"
        ),
        pytest.param(lambda: None, "NoneType is not an OpenADR 2.0b message", id="None"),
        pytest.param(lambda: {"ven_id": "v"}, "dict is not an OpenADR 2.0b message", id="a dict"),
    ],
)
def test_serialize_refuses_what_2_0b_cannot_express(
    build: Callable[[], object], says: str, validate: bool
) -> None:
    payload = build()
    with pytest.raises(LocalProtocolError) as info:
        serialize(payload, validate=validate)  # type: ignore[arg-type]
    assert type(info.value) is LocalProtocolError
    assert info.value.response_code == "454"
    assert says in info.value.message
