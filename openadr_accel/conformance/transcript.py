"""The messages a case exchanged with the device, and what was wrong with the device's.

Every document the device under test sends (a request to the harness, or its answer to one of
the harness's) is read by :func:`inspect_document`: schema-validated, its signature verified when
one is required, and checked against the conformance rules of :mod:`openadr_accel.rules`. Each
problem becomes a line in :attr:`Exchange.problems`, and any problem fails the case.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lxml import etree

from .. import rules, xml
from ..errors import OpenADRError
from ..model import Payload
from ..security.signature import SignatureVerifier
from ..security.tls import peer_fingerprint

__all__ = [
    "Direction",
    "Exchange",
    "Inspection",
    "TlsFacts",
    "Transcript",
    "check_http_headers",
    "inspect_document",
    "message_name",
    "tls_facts",
]

_DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsFacts:
    """The TLS connection a document of the device's came over, as the harness saw it (G1_4010).

    Attributes:
        version: the protocol version (``TLSv1.2``).
        cipher: the negotiated cipher suite, by its OpenSSL name (``AES128-SHA256``,
            ``ECDHE-ECDSA-AES128-SHA256``: see :data:`openadr_accel.security.tls.CIPHER_SUITES`).
        peer_fingerprint: the 2.0b fingerprint of the certificate the device presented (its
            client certificate on its requests, its server certificate on its push answers);
            None when it presented none.
    """

    version: str | None
    cipher: str | None
    peer_fingerprint: str | None


def tls_facts(connection: ssl.SSLObject | ssl.SSLSocket | None) -> TlsFacts | None:
    """What a TLS connection negotiated (None: the connection is not TLS)."""
    if connection is None:
        return None
    cipher = connection.cipher()
    return TlsFacts(
        version=connection.version(),
        cipher=None if cipher is None else cipher[0],
        peer_fingerprint=peer_fingerprint(connection),
    )


class Direction(StrEnum):
    """Which way a document went."""

    FROM_DEVICE = "device → harness"
    TO_DEVICE = "harness → device"


@dataclass(slots=True, kw_only=True)
class Exchange:
    """One document on the wire.

    Attributes:
        at: when it was sent or received (the run's clock).
        direction: from the device or to it.
        service: the simpleHttp service (``EiEvent``, ``OadrPoll``, ...).
        http: ``request`` (an HTTP request body) or ``response`` (the answer's body).
        status: the HTTP status of a response (None for a request).
        message: the message type (``oadrCreatedEvent``), or None when it could not be read.
        body: the document as sent.
        payload: the message read from it (None when it could not be read).
        problems: what is wrong with it (documents from the device only).
        tls: the TLS connection a document from the device came over (None: plain HTTP, or
            not recorded).
    """

    at: datetime
    direction: Direction
    service: str
    http: str
    body: bytes
    message: str | None = None
    status: int | None = None
    payload: Payload | None = None
    problems: list[str] = field(default_factory=list)
    tls: TlsFacts | None = None

    @property
    def text(self) -> str:
        """The document as text (invalid UTF-8 replaced)."""
        return self.body.decode("utf-8", "replace")


class Transcript:
    """The exchanges of one case, in order."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def add(self, exchange: Exchange) -> Exchange:
        """Append an exchange; returns it."""
        self.exchanges.append(exchange)
        return exchange

    def problems(self) -> list[str]:
        """Every problem found in the device's documents, with the message each was found in."""
        return [
            f"{exchange.message or 'document'} ({exchange.service}): {problem}"
            for exchange in self.exchanges
            for problem in exchange.problems
        ]


@dataclass(frozen=True, slots=True)
class Inspection:
    """What :func:`inspect_document` made of a document."""

    payload: Payload | None
    message: str | None
    problems: list[str]


def message_name(message: object) -> str:
    """The element name of a message or message type (``OadrCreatedEvent`` → ``oadrCreatedEvent``)."""
    name = (message if isinstance(message, type) else type(message)).__name__
    return name[0].lower() + name[1:]


def inspect_document(
    body: bytes,
    *,
    now: datetime,
    verifier: SignatureVerifier | None = None,
    fingerprint: str | None = None,
    signature_required: bool = False,
    max_bytes: int = xml.DEFAULT_MAX_BYTES,
) -> Inspection:
    """Read a document the device sent, with everything wrong with it.

    Args:
        body: the document.
        now: the instant to check time-dependent rules at (rule 14's currentValue).
        verifier: checks signatures (with ``fingerprint``, the device's certificate).
        fingerprint: the fingerprint the device's signatures must verify against.
        signature_required: XML signatures were negotiated: an unsigned document is a problem.
        max_bytes: the size cap.
    """
    try:
        root = xml.parse_tree(body, max_bytes=max_bytes)
    except OpenADRError as exc:
        return Inspection(None, _element_name(body), [f"not a valid 2.0b document: {exc}"])
    problems: list[str] = []
    signed = any(child.tag == _DS_SIGNATURE for child in root)
    if signed and verifier is not None and fingerprint is not None:
        try:
            verifier.verify(root, fingerprint=fingerprint)
        except OpenADRError as exc:
            problems.append(f"the XML signature does not verify: {exc}")
    elif signature_required and not signed:
        problems.append("XML signatures were negotiated but the document is not signed")
    try:
        payload = xml.decode(root)
    except OpenADRError as exc:
        return Inspection(None, _element_name(body), [*problems, f"cannot be read: {exc}"])
    problems.extend(
        f"rule {violation.rule}: {violation.message}" if violation.rule is not None else violation.message
        for violation in rules.check_payload(payload, now=now)
    )
    return Inspection(payload, message_name(payload), problems)


def check_http_headers(headers: Mapping[str, str], *, body_length: int, request: bool = True) -> list[str]:
    """The problems of a device's HTTP headers: a simpleHttp POST wants Host, a Content-Length
    matching the body and Content-Type application/xml (the catalogue's header checks).

    With ``request`` False the headers are those of the device's HTTP answer to a push of the
    harness's: it carries its document as application/xml too, and a Content-Length, when it
    gives one, must match the body (Host is a request header; an answer may be chunked).
    """
    problems = []
    lowered = {name.lower(): value for name, value in headers.items()}
    what = "request" if request else "response"
    if request and not lowered.get("host"):
        problems.append("the HTTP request has no Host header")
    content_type = lowered.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/xml":
        problems.append(f"Content-Type is {content_type or '(none)'!r}, not application/xml")
    length = lowered.get("content-length")
    if length is None:
        if request:
            problems.append("the HTTP request has no Content-Length (chunked bodies are not simpleHttp)")
    elif length.strip() != str(body_length):
        problems.append(
            f"the HTTP {what}'s Content-Length {length} does not match the body's {body_length} bytes"
        )
    return problems


def _element_name(body: bytes) -> str | None:
    """The message element's name, read leniently, for documents that failed to parse."""
    if len(body) > xml.DEFAULT_MAX_BYTES:
        return None
    try:
        root = etree.fromstring(
            body, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        )
    except etree.XMLSyntaxError:
        return None
    for element in root.iter():
        parent = element.getparent()
        if parent is not None and etree.QName(parent).localname == "oadrSignedObject":
            return etree.QName(element).localname
    return None
