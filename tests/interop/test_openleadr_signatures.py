"""XML signature interop with OpenLEADR 0.5.36, both ways, with RSA and ECC certificates.

(a) We sign (:class:`~openadr_accel.security.Signer`); OpenLEADR's ``validate_xml_schema`` and
    ``validate_xml_signature(tree, cert_fingerprint=...)`` accept the document and
    ``parse_message`` reads it, while it refuses a tampered copy, a wrong fingerprint and a replay.
(b) OpenLEADR signs (``create_message(type, cert=..., key=..., **dict)``) with the certificates
    and keys of our test PKI; :class:`~openadr_accel.security.SignatureVerifier` returns the very
    model object the dict was derived from, and refuses a tampered copy (SignatureError), another
    expected certificate (CertificateMismatchError, 463) and a replay (ReplayError).
(c) The two fingerprint functions agree.

The signer's certificate is the one its role would use (VTN or VEN); the PKI is made once per
module with the library's own generator. OpenLEADR runs in its own process (``conftest.py``);
its replay window is 5 seconds and its nonce memory belongs to the worker process, so every
document sent to it here is signed just before and verified by it at most once, except to show
the replay refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from openleadr_client import OpenLEADRRefused, OpenLEADRWorker
from openleadr_dicts import create_arguments, message_type, parsed_payload
from openleadr_samples import BOTH_WAYS, PARSE_ONLY
from samples import VEN_ID, VTN_ID

from openadr_accel import model as m
from openadr_accel.errors import CertificateMismatchError, ReplayError, SignatureError
from openadr_accel.security import (
    Credentials,
    KeyType,
    SignatureVerifier,
    Signer,
    TestPKI,
    fingerprint,
    init_pki,
    issue_ven,
    load_certificate,
)
from openadr_accel.xml.namespaces import DS, DSP

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

INCLUSIVE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SIGNATURE_METHODS = {
    KeyType.RSA: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    KeyType.ECC: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
}
# What OpenLEADR answers when signxml finds the signed object changed.
TAMPERED = r"^InvalidDigest: Digest mismatch for reference 0 \(#oadrSignedObject\)"
REPLAYED = r"^ValueError: This combination of timestamp and nonce was already used\.$"


class Role(StrEnum):
    VTN = "vtn"
    VEN = "ven"

    @property
    def other(self) -> Role:
        return Role.VEN if self is Role.VTN else Role.VTN


@dataclass(frozen=True)
class Case:
    """A message, who sends it, and a text of its signed object to tamper with."""

    payload: m.Payload
    sender: Role
    text: str


_BY_ID = dict(BOTH_WAYS)
CASES: dict[str, Case] = {
    "oadrPoll": Case(_BY_ID["oadrPoll"], Role.VEN, VEN_ID),
    "oadrDistributeEvent": Case(_BY_ID["oadrDistributeEvent-two-events"], Role.VTN, VTN_ID),
    "oadrCreatedEvent": Case(_BY_ID["oadrCreatedEvent"], Role.VEN, VEN_ID),
    "oadrUpdateReport": Case(_BY_ID["oadrUpdateReport-telemetry"], Role.VEN, VEN_ID),
    "oadrCreatePartyRegistration": Case(_BY_ID["oadrCreatePartyRegistration"], Role.VEN, "req-reg-1"),
    "oadrResponse": Case(_BY_ID["oadrResponse"], Role.VTN, "req-poll-1"),
}
KEY_TYPES = [pytest.param(key_type, id=key_type.value) for key_type in KeyType]
ROLES = [pytest.param(role, id=role.value) for role in Role]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    """A test PKI (RSA and ECC) with VEN ``ven1``."""
    made = init_pki(tmp_path_factory.mktemp("signature-pki"))
    issue_ven("ven1", made.directory)
    return made


def _credentials(pki: TestPKI, role: Role, key_type: KeyType) -> Credentials:
    return pki.vtn(key_type) if role is Role.VTN else pki.ven("ven1", key_type)


def _openleadr_sign(openleadr: OpenLEADRWorker, payload: m.Payload, credentials: Credentials) -> bytes:
    """OpenLEADR's signed document for ``payload``, given our PEM files as they are (leaf + CA)."""
    xml = openleadr.sign(
        message_type(payload),
        create_arguments(payload),
        cert=credentials.certificate.read_bytes(),
        key=credentials.key.read_bytes(),
    )
    return xml.encode("utf-8")


def _tampered(document: bytes, text: str) -> bytes:
    """``document`` with the element text ``text`` changed (still schema-valid)."""
    old = f">{text}<".encode()
    assert old in document, f"{text!r} is not an element text of the document"
    return document.replace(old, f">{text}x<".encode())


def _leaf_pem(credentials: Credentials) -> bytes:
    return load_certificate(credentials.certificate).public_bytes(serialization.Encoding.PEM)


def _cases() -> list[object]:
    return [pytest.param(case, id=case_id) for case_id, case in CASES.items()]


def _payloads(cases: list[tuple[str, m.Payload]]) -> list[object]:
    return [pytest.param(payload, id=case_id) for case_id, payload in cases]


# --- (a) we sign, OpenLEADR verifies ------------------------------------------------------------


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("case", _cases())
def test_openleadr_verifies_our_signature(
    openleadr: OpenLEADRWorker, pki: TestPKI, case: Case, key_type: KeyType
) -> None:
    credentials = _credentials(pki, case.sender, key_type)
    signer = Signer(credentials.certificate, credentials.key)
    assert signer.fingerprint == fingerprint(credentials.certificate)
    other = fingerprint(_credentials(pki, case.sender.other, key_type).certificate)
    data = signer.serialize(case.payload)

    # The refusals first: they happen before OpenLEADR's nonce check, so cannot be replay refusals.
    with pytest.raises(OpenLEADRRefused, match=TAMPERED):
        openleadr.verify_signature(_tampered(data, case.text), fingerprint=signer.fingerprint)
    with pytest.raises(OpenLEADRRefused, match=r"^FingerprintMismatch: "):
        openleadr.verify_signature(data, fingerprint=other)

    parsed = openleadr.verify_signature(data, fingerprint=signer.fingerprint)
    assert parsed.message_type == message_type(case.payload)
    assert parsed.payload == parsed_payload(case.payload)
    assert parsed.warnings == []

    with pytest.raises(OpenLEADRRefused, match=REPLAYED):
        openleadr.verify_signature(data, fingerprint=signer.fingerprint)


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("payload", _payloads(BOTH_WAYS + PARSE_ONLY))
def test_openleadr_verifies_every_message_we_sign(
    openleadr: OpenLEADRWorker, pki: TestPKI, payload: m.Payload, key_type: KeyType
) -> None:
    """Every interop case, signed by us: the canonical form does not depend on the message."""
    credentials = _credentials(pki, Role.VEN, key_type)
    signer = Signer(credentials.certificate, credentials.key)
    parsed = openleadr.verify_signature(signer.serialize(payload), fingerprint=signer.fingerprint)
    assert parsed.message_type == message_type(payload)
    assert parsed.payload == parsed_payload(payload)


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("payload", _payloads(BOTH_WAYS))
def test_openleadr_verifies_its_documents_signed_by_us(
    openleadr: OpenLEADRWorker, pki: TestPKI, payload: m.Payload, key_type: KeyType
) -> None:
    """A document OpenLEADR wrote unsigned (its namespace declarations, its blanks), signed by
    :meth:`Signer.sign` (which re-serializes documents it did not write)."""
    credentials = _credentials(pki, Role.VEN, key_type)
    signer = Signer(credentials.certificate, credentials.key)
    unsigned = openleadr.create(message_type(payload), create_arguments(payload)).xml.encode("utf-8")
    parsed = openleadr.verify_signature(signer.sign(unsigned), fingerprint=signer.fingerprint)
    assert parsed.message_type == message_type(payload)
    assert parsed.payload == parsed_payload(payload)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Timing:
    """When a document is signed, and who accepts it (we with our default 5-minute window)."""

    clock: Callable[[], datetime]
    openleadr_accepts: bool
    we_accept: bool


TIMINGS = [
    pytest.param(Timing(lambda: _utc_now().replace(microsecond=0), True, True), id="no-fraction"),
    pytest.param(Timing(lambda: _utc_now() - timedelta(seconds=2), True, True), id="2s-ago"),
    pytest.param(Timing(lambda: _utc_now() - timedelta(seconds=10), False, True), id="10s-ago"),
    pytest.param(Timing(lambda: _utc_now() + timedelta(hours=1), True, False), id="1h-ahead"),
]


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("timing", TIMINGS)
def test_replay_windows(openleadr: OpenLEADRWorker, pki: TestPKI, key_type: KeyType, timing: Timing) -> None:
    """OpenLEADR refuses signatures older than 5 seconds and accepts any from the future; we
    refuse both only beyond our window. It reads our timestamps without a fraction of a second
    too (we write those when the microseconds are 0)."""
    credentials = _credentials(pki, Role.VEN, key_type)
    signer = Signer(credentials.certificate, credentials.key, clock=timing.clock)
    payload = CASES["oadrPoll"].payload
    data = signer.serialize(payload)
    if timing.openleadr_accepts:
        assert openleadr.verify_signature(data, fingerprint=signer.fingerprint).message_type == "oadrPoll"
    else:
        with pytest.raises(OpenLEADRRefused, match=r"^ValueError: The message was signed too long ago\.$"):
            openleadr.verify_signature(data, fingerprint=signer.fingerprint)
    if timing.we_accept:
        assert SignatureVerifier().parse(data, certificate=credentials.certificate) == payload
    else:
        with pytest.raises(ReplayError, match="ahead of our clock"):
            SignatureVerifier().parse(data, certificate=credentials.certificate)


# --- (b) OpenLEADR signs, we verify -------------------------------------------------------------


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("case", _cases())
def test_we_verify_openleadr_signature(
    openleadr: OpenLEADRWorker, pki: TestPKI, case: Case, key_type: KeyType
) -> None:
    credentials = _credentials(pki, case.sender, key_type)
    other = _credentials(pki, case.sender.other, key_type)
    data = _openleadr_sign(openleadr, case.payload, credentials)
    verifier = SignatureVerifier()

    # The refusals first: they happen before our nonce check, so cannot be replay refusals.
    with pytest.raises(CertificateMismatchError) as mismatch:
        verifier.parse(data, certificate=other.certificate)
    assert mismatch.value.response_code == m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED.value == "463"
    with pytest.raises(SignatureError, match="does not verify") as tampered:
        verifier.parse(_tampered(data, case.text), certificate=credentials.certificate)
    assert tampered.value.response_code == "463"

    payload = verifier.parse(data, certificate=credentials.certificate)
    assert type(payload) is type(case.payload)
    assert payload == case.payload  # every field, the venID included

    with pytest.raises(ReplayError, match="already used"):
        verifier.parse(data, certificate=credentials.certificate)


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("payload", _payloads(BOTH_WAYS))
def test_we_verify_every_message_openleadr_signs(
    openleadr: OpenLEADRWorker, pki: TestPKI, payload: m.Payload, key_type: KeyType
) -> None:
    credentials = _credentials(pki, Role.VEN, key_type)
    data = _openleadr_sign(openleadr, payload, credentials)
    assert SignatureVerifier().parse(data, certificate=credentials.certificate) == payload


@pytest.mark.parametrize("key_type", KEY_TYPES)
def test_openleadr_signature_shape(openleadr: OpenLEADRWorker, pki: TestPKI, key_type: KeyType) -> None:
    """What OpenLEADR's signatures look like, next to ours (docs/interop-openleadr.md)."""
    credentials = _credentials(pki, Role.VEN, key_type)
    payload = CASES["oadrPoll"].payload
    theirs = etree.fromstring(_openleadr_sign(openleadr, payload, credentials))
    ours = etree.fromstring(Signer(credentials.certificate, credentials.key).serialize(payload))
    ns = {"ds": DS, "dsp": DSP}

    def algorithms(root: etree._Element, path: str) -> list[str]:
        return [str(element.get("Algorithm")) for element in root.iterfind(path, ns)]

    c14n = "ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod"
    transforms = "ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform"
    method = "ds:Signature/ds:SignedInfo/ds:SignatureMethod"
    assert algorithms(theirs, c14n) == [INCLUSIVE_C14N]
    assert algorithms(theirs, transforms) == [INCLUSIVE_C14N] * 2
    assert algorithms(ours, c14n) == [EXCLUSIVE_C14N]
    assert algorithms(ours, transforms) == [EXCLUSIVE_C14N] * 2
    assert algorithms(theirs, method) == algorithms(ours, method) == [SIGNATURE_METHODS[key_type]]

    def property_of(root: etree._Element) -> dict[str, str | None]:
        (found,) = root.iterfind("ds:Signature/ds:Object/ds:SignatureProperties/ds:SignatureProperty", ns)
        signature = root.find("ds:Signature", ns)
        assert signature is not None
        return {"Id": found.get("Id"), "Target": found.get("Target"), "signature Id": signature.get("Id")}

    # OpenLEADR's property keeps the placeholders it gives its ReplayProtect; its Target names
    # nothing (the signature has no Id). Ours targets the signature.
    assert property_of(theirs) == {"Id": "myid", "Target": "#mytarget", "signature Id": None}
    assert property_of(ours) == {"Id": "replayProtect", "Target": "#signature", "signature Id": "signature"}

    # Given a PEM bundle, OpenLEADR (signxml) sends the whole chain; we send the leaf.
    certificates = "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
    assert len(list(theirs.iterfind(certificates, ns))) == 2
    assert len(list(ours.iterfind(certificates, ns))) == 1


# --- (c) fingerprints -----------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("role", ROLES)
def test_fingerprints_agree(openleadr: OpenLEADRWorker, pki: TestPKI, role: Role, key_type: KeyType) -> None:
    credentials = _credentials(pki, role, key_type)
    theirs = openleadr.fingerprint(_leaf_pem(credentials))
    assert theirs == fingerprint(credentials.certificate)
    # and each side's fingerprint selects the signer on the other side
    data = _openleadr_sign(openleadr, CASES["oadrPoll"].payload, credentials)
    assert SignatureVerifier().parse(data, fingerprint=theirs) == CASES["oadrPoll"].payload
