"""XML signatures: :class:`Signer` and :class:`SignatureVerifier`, for RSA and ECC.

Part one, round trips: every sample message signs and verifies back to itself; the signed
document is valid 2.0b; the :class:`VerifiedSignature` reports exactly what the signer used; and
signxml's own verifier, configured independently of the library, accepts the hand-assembled
signature. A signature built here from scratch (lxml c14n plus cryptography, no template of the
library's) is accepted too, which shows both sides follow the standard rather than each other.

Part two, attacks: tampering, wrong keys and certificates, replays, bad timestamps, missing or
shadowed ReplayProtect, extra signatures and signature wrapping. Each is refused with the exact
exception class, response code 463 and a message that says what is wrong. Wrapping variants are
also held to the property that matters whatever the outcome: a document either raises an
:class:`OpenADRError` or yields exactly the message that was signed, never a forged one.

Every clock is injected: timestamps and nonces are fixed, nothing sleeps.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree
from samples import SAMPLES
from signxml import (  # type: ignore[attr-defined]
    InvalidDigest,
    SignatureConfiguration,
    XMLVerifier,
)
from signxml.verifier import VerifyResult

from openadr_accel import model as m
from openadr_accel import xml
from openadr_accel.errors import (
    CertificateMismatchError,
    LocalProtocolError,
    OpenADRError,
    ReplayError,
    SchemaValidationError,
    SecurityConfigurationError,
    SignatureError,
)
from openadr_accel.security import (
    Credentials,
    KeyType,
    ReplayGuard,
    SignatureVerifier,
    Signer,
    TestPKI,
    VerifiedSignature,
    fingerprint,
    load_certificate,
    load_private_key,
)
from openadr_accel.xml.encode import DOCUMENT_PREFIX

DS = "http://www.w3.org/2000/09/xmldsig#"
DSP = "http://openadr.org/oadr-2.0b/2012/07/xmldsig-properties"
OADR = "http://openadr.org/oadr-2.0b/2012/07"
NS = {"ds": DS, "dsp": DSP, "oadr": OADR}
OADR_ID = f"{{{OADR}}}Id"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
INCLUSIVE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
WINDOW = timedelta(minutes=5)  # the ReplayGuard default
NOT_AUTHORIZED = "463"

MESSAGE = SAMPLES["oadrDistributeEvent"]
FORGED = m.OadrPoll(ven_id="attacker-ven")

Clock = Callable[[], datetime]


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(params=list(KeyType), ids=[key_type.value for key_type in KeyType])
def key_type(request: pytest.FixtureRequest) -> KeyType:
    return KeyType(request.param)


@pytest.fixture
def now() -> datetime:
    """The one instant of a test (certificates of the session PKIs are valid at it)."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def vtn(pki: TestPKI, key_type: KeyType) -> Credentials:
    return pki.vtn(key_type)


@pytest.fixture
def ven(pki: TestPKI, key_type: KeyType) -> Credentials:
    return pki.ven("ven1", key_type)


def fixed(instant: datetime) -> Clock:
    return lambda: instant


def counter(prefix: str = "nonce") -> Callable[[], str]:
    numbers = itertools.count()
    return lambda: f"{prefix}-{next(numbers):04d}"


def make_signer(credentials: Credentials, clock: Clock, nonce: Callable[[], str] | None = None) -> Signer:
    return Signer(credentials.certificate, credentials.key, clock=clock, nonce=nonce or counter())


def make_verifier(clock: Clock, guard: ReplayGuard | None = None) -> SignatureVerifier:
    return SignatureVerifier(guard if guard is not None else ReplayGuard(clock=clock), clock=clock)


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def assert_refused(error_type: type[OpenADRError], fragment: str, call: Callable[[], object]) -> OpenADRError:
    """``call`` raises exactly ``error_type`` (not a subclass, not a parent), 463, saying ``fragment``."""
    with pytest.raises(OpenADRError) as excinfo:
        call()
    error = excinfo.value
    assert type(error) is error_type, f"{type(error).__name__}: {error}"
    assert error.response_code == NOT_AUTHORIZED
    assert fragment in error.message, error.message
    return error


def signature_of(root: etree._Element) -> etree._Element:
    signature = root.find("ds:Signature", NS)
    assert signature is not None
    return signature


def signxml_accepts(data: bytes, certificate: Path) -> list[VerifyResult]:
    """signxml's verifier, with its own defaults and nothing but two references expected."""
    results = XMLVerifier().verify(
        etree.fromstring(data),
        x509_cert=load_certificate(certificate),
        expect_config=SignatureConfiguration(expect_references=2),
    )
    assert isinstance(results, list)
    assert len(results) == 2
    return results


def replay_protect(timestamp: str, nonce: str) -> etree._Element:
    element = etree.Element(f"{{{DSP}}}ReplayProtect", nsmap={"dsp": DSP})
    etree.SubElement(element, f"{{{DSP}}}timestamp").text = timestamp
    etree.SubElement(element, f"{{{DSP}}}nonce").text = nonce
    return element


def properties_object(*contents: etree._Element, object_id: str | None = "prop") -> etree._Element:
    """A ds:Object holding a SignatureProperty per element of ``contents``."""
    obj = etree.Element(f"{{{DS}}}Object", nsmap={"ds": DS})
    if object_id is not None:
        obj.set("Id", object_id)
    properties = etree.SubElement(obj, f"{{{DS}}}SignatureProperties")
    for content in contents:
        prop = etree.SubElement(properties, f"{{{DS}}}SignatureProperty", Target="#signature")
        prop.append(content)
    return obj


def hand_sign(
    unsigned: bytes,
    credentials: Credentials,
    *,
    references: tuple[str, ...] = ("#oadrSignedObject", "#prop"),
    objects: tuple[etree._Element, ...] = (),
    c14n: str = EXC_C14N,
) -> etree._Element:
    """Sign ``unsigned`` from scratch with arbitrary references and ds:Objects.

    Independent of the library's signer: every digest is taken over lxml's canonical form of the
    element in the finished tree, the signature value over SignedInfo's, in the ``c14n`` method.
    """
    key = load_private_key(credentials.key)
    certificate = load_certificate(credentials.certificate)
    is_ecc = isinstance(key, ec.EllipticCurvePrivateKey)
    exclusive = c14n == EXC_C14N

    root = etree.fromstring(unsigned)
    signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS}, Id="signature")
    signed_info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{DS}}}CanonicalizationMethod", Algorithm=c14n)
    etree.SubElement(
        signed_info, f"{{{DS}}}SignatureMethod", Algorithm=ECDSA_SHA256 if is_ecc else RSA_SHA256
    )
    digest_values = []
    for uri in references:
        reference = etree.SubElement(signed_info, f"{{{DS}}}Reference", URI=uri)
        transforms = etree.SubElement(reference, f"{{{DS}}}Transforms")
        etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=c14n)
        etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm=SHA256)
        digest_values.append(etree.SubElement(reference, f"{{{DS}}}DigestValue"))
    signature_value = etree.SubElement(signature, f"{{{DS}}}SignatureValue")
    key_info = etree.SubElement(signature, f"{{{DS}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{DS}}}X509Data")
    etree.SubElement(x509_data, f"{{{DS}}}X509Certificate").text = base64.b64encode(
        certificate.public_bytes(serialization.Encoding.DER)
    ).decode()
    for obj in objects:
        signature.append(obj)
    root.insert(0, signature)

    for uri, digest_value in zip(references, digest_values, strict=True):
        targets = root.xpath("//*[@*[local-name() = 'Id'] = $id]", id=uri.removeprefix("#"))
        assert isinstance(targets, list)
        assert targets, f"nothing to sign at {uri}"
        canonical = etree.tostring(targets[0], method="c14n", exclusive=exclusive)
        digest_value.text = base64.b64encode(hashlib.sha256(canonical).digest()).decode()
    data = etree.tostring(signed_info, method="c14n", exclusive=exclusive)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        size = (key.key_size + 7) // 8
        raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    signature_value.text = base64.b64encode(raw).decode()
    return root


def standard_objects(instant: datetime, nonce: str) -> tuple[etree._Element, ...]:
    return (properties_object(replay_protect(xml_datetime(instant), nonce)),)


def xml_datetime(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def b64_certificate(credentials: Credentials) -> str:
    der = load_certificate(credentials.certificate).public_bytes(serialization.Encoding.DER)
    return base64.b64encode(der).decode()


# --- part one: round trips -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_sample_round_trips(name: str, vtn: Credentials, now: datetime) -> None:
    message = SAMPLES[name]
    signer = make_signer(vtn, fixed(now), nonce=lambda: f"nonce-{name}")
    data = signer.serialize(message)

    assert make_verifier(fixed(now)).parse(data, certificate=vtn.certificate) == message
    assert xml.parse(data) == message  # the signed document is valid 2.0b
    verified = make_verifier(fixed(now)).verify(xml.parse_tree(data), certificate=vtn.certificate)
    assert verified.fingerprint == signer.fingerprint == fingerprint(vtn.certificate)
    assert verified.timestamp == now
    assert verified.nonce == f"nonce-{name}"
    signxml_accepts(data, vtn.certificate)


def test_verified_signature_reports_what_the_signer_used(ven: Credentials, now: datetime) -> None:
    instant = now - timedelta(seconds=90, microseconds=250_000)  # sub-second precision survives
    signer = make_signer(ven, fixed(instant), nonce=lambda: "0123456789abcdef<&>")
    data = signer.serialize(SAMPLES["oadrPoll"])

    verified = make_verifier(fixed(now)).verify(xml.parse_tree(data), certificate=ven.certificate)

    assert isinstance(verified, VerifiedSignature)
    assert verified.signer == load_certificate(ven.certificate) == signer.certificate
    assert verified.fingerprint == signer.fingerprint == fingerprint(ven.certificate)
    assert verified.timestamp == instant
    assert verified.timestamp.utcoffset() == timedelta(0)
    assert verified.nonce == "0123456789abcdef<&>"  # escaped in the XML, read back as written


def test_default_nonces_are_random_and_distinct(vtn: Credentials, now: datetime) -> None:
    signer = Signer(vtn.certificate, vtn.key, clock=fixed(now))
    verifier = make_verifier(fixed(now))
    nonces = {
        verifier.verify(xml.parse_tree(signer.serialize(MESSAGE)), certificate=vtn.certificate).nonce
        for _ in range(5)
    }
    assert len(nonces) == 5
    assert all(len(nonce) >= 16 for nonce in nonces)


def test_signature_layout(vtn: Credentials, key_type: KeyType, now: datetime) -> None:
    data = make_signer(vtn, fixed(now), nonce=lambda: "n-1").serialize(MESSAGE)
    root = etree.fromstring(data)

    assert [child.tag for child in root] == [f"{{{DS}}}Signature", f"{{{OADR}}}oadrSignedObject"]
    assert root[1].get(OADR_ID) == "oadrSignedObject"
    signature = signature_of(root)
    assert [ref.get("URI") for ref in signature.iterfind("ds:SignedInfo/ds:Reference", NS)] == [
        "#oadrSignedObject",
        "#prop",
    ]
    method = signature.find("ds:SignedInfo/ds:SignatureMethod", NS)
    assert method is not None
    assert method.get("Algorithm") == {KeyType.RSA: RSA_SHA256, KeyType.ECC: ECDSA_SHA256}[key_type]
    algorithms = {
        element.get("Algorithm")
        for element in signature.findall(".//ds:Transform", NS)
        + signature.findall("ds:SignedInfo/ds:CanonicalizationMethod", NS)
    }
    assert algorithms == {EXC_C14N}
    (replay,) = signature.findall(
        "ds:Object[@Id='prop']/ds:SignatureProperties/ds:SignatureProperty/dsp:ReplayProtect", NS
    )
    assert replay.findtext("dsp:timestamp", namespaces=NS) == xml_datetime(now)
    assert replay.findtext("dsp:nonce", namespaces=NS) == "n-1"
    certificate = signature.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=NS)
    assert certificate is not None
    assert "".join(certificate.split()) == b64_certificate(vtn)


def test_fingerprint_instead_of_certificate(ven: Credentials, now: datetime) -> None:
    data = make_signer(ven, fixed(now)).serialize(SAMPLES["oadrRequestEvent"])
    payload = make_verifier(fixed(now)).parse(data, fingerprint=fingerprint(ven.certificate))
    assert payload == SAMPLES["oadrRequestEvent"]


@pytest.mark.parametrize("form", ["path", "str path", "pem bytes", "pem text", "der bytes", "object"])
def test_every_certificate_source_is_accepted(form: str, vtn: Credentials, now: datetime) -> None:
    leaf = load_certificate(vtn.certificate)
    source: object = {
        "path": vtn.certificate,  # leaf then intermediate: the leaf is the one meant
        "str path": str(vtn.certificate),
        "pem bytes": vtn.certificate.read_bytes(),
        "pem text": vtn.certificate.read_text(),
        "der bytes": leaf.public_bytes(serialization.Encoding.DER),
        "object": leaf,
    }[form]
    data = make_signer(vtn, fixed(now)).serialize(MESSAGE)
    assert make_verifier(fixed(now)).parse(data, certificate=source) == MESSAGE  # type: ignore[arg-type]


def test_neither_or_both_expectations_is_a_type_error(vtn: Credentials, now: datetime) -> None:
    data = make_signer(vtn, fixed(now)).serialize(MESSAGE)
    verifier = make_verifier(fixed(now))
    with pytest.raises(TypeError, match="one of them"):
        verifier.parse(data)
    with pytest.raises(TypeError, match="one of them"):
        verifier.parse(data, certificate=vtn.certificate, fingerprint=fingerprint(vtn.certificate))
    with pytest.raises(TypeError, match="one of them"):
        verifier.verify(xml.parse_tree(data))
    assert len(verifier.replay_guard) == 0  # nothing was consumed by the refused calls
    assert verifier.parse(data, certificate=vtn.certificate) == MESSAGE


def test_signxml_accepts_our_signatures(vtn: Credentials, now: datetime) -> None:
    """Beyond the per-sample check: signxml finds the signed object and the ReplayProtect."""
    data = make_signer(vtn, fixed(now), nonce=lambda: "n-signxml").serialize(MESSAGE)
    results = signxml_accepts(data, vtn.certificate)
    assert results[0].signed_xml is not None
    assert results[0].signed_xml.tag == f"{{{OADR}}}oadrSignedObject"
    assert results[1].signed_xml is not None
    assert results[1].signed_xml.findtext(".//dsp:nonce", namespaces=NS) == "n-signxml"


def test_signxml_refuses_a_tampered_document(vtn: Credentials, now: datetime) -> None:
    """The independent check is not vacuous."""
    data = make_signer(vtn, fixed(now)).serialize(MESSAGE)
    with pytest.raises(InvalidDigest):
        signxml_accepts(data.replace(b"<ei:value>2</ei:value>", b"<ei:value>9</ei:value>"), vtn.certificate)


@pytest.mark.parametrize("layout", ["pretty-printed", "no declaration", "namespaces on the root"])
def test_sign_reserialized_documents(layout: str, vtn: Credentials, now: datetime) -> None:
    unsigned = xml.serialize(MESSAGE)
    if layout == "pretty-printed":
        document = etree.tostring(
            etree.fromstring(unsigned), pretty_print=True, xml_declaration=True, encoding="UTF-8"
        )
    elif layout == "no declaration":
        document = etree.tostring(etree.fromstring(unsigned))
    else:
        document = namespaces_on_root(unsigned)
    assert not document.startswith(DOCUMENT_PREFIX)
    assert xml.parse(document) == MESSAGE

    signed = make_signer(vtn, fixed(now)).sign(document)

    assert make_verifier(fixed(now)).parse(signed, certificate=vtn.certificate) == MESSAGE
    signxml_accepts(signed, vtn.certificate)


def namespaces_on_root(document: bytes) -> bytes:
    """The same document with the namespace declarations of oadrSignedObject moved to oadrPayload."""
    start = document.index(b"<oadr:oadrSignedObject ")
    declarations_start = start + len(b"<oadr:oadrSignedObject ")
    declarations_end = document.index(b' oadr:Id="oadrSignedObject"', start)
    declarations = document[declarations_start:declarations_end]
    assert declarations.startswith(b"xmlns:")
    without = document[:declarations_start] + document[declarations_end + 1 :]
    moved = without.replace(
        b'<oadr:oadrPayload xmlns:oadr="', b"<oadr:oadrPayload " + declarations + b' xmlns:oadr="', 1
    )
    assert moved != document
    return moved


def test_signature_does_not_depend_on_where_namespaces_are_declared(vtn: Credentials, now: datetime) -> None:
    """Exclusive C14N: moving namespace declarations to the root, after signing, changes nothing."""
    signed = make_signer(vtn, fixed(now)).serialize(MESSAGE)
    moved = namespaces_on_root(signed)
    assert make_verifier(fixed(now)).parse(moved, certificate=vtn.certificate) == MESSAGE

    # and both layouts, signed, carry the same digest of the signed object
    def object_digest(document: bytes) -> str | None:
        return signature_of(etree.fromstring(document)).findtext(
            "ds:SignedInfo/ds:Reference[@URI='#oadrSignedObject']/ds:DigestValue", namespaces=NS
        )

    resigned = make_signer(vtn, fixed(now)).sign(namespaces_on_root(xml.serialize(MESSAGE)))
    assert object_digest(resigned) == object_digest(signed)


def test_a_signature_built_from_scratch_verifies(vtn: Credentials, now: datetime) -> None:
    """The test's own signer (no library template) and the library agree on the format."""
    root = hand_sign(xml.serialize(MESSAGE), vtn, objects=standard_objects(now, "scratch-1"))
    data = to_bytes(root)
    signxml_accepts(data, vtn.certificate)
    verifier = make_verifier(fixed(now))
    assert verifier.parse(data, certificate=vtn.certificate) == MESSAGE


def test_inclusive_c14n_signatures_verify(vtn: Credentials, now: datetime) -> None:
    """As OpenLEADR signs: inclusive C14N for SignedInfo and both references."""
    root = hand_sign(
        xml.serialize(MESSAGE), vtn, objects=standard_objects(now, "incl-1"), c14n=INCLUSIVE_C14N
    )
    data = to_bytes(root)
    verified = make_verifier(fixed(now)).verify(xml.parse_tree(data), certificate=vtn.certificate)
    assert verified.nonce == "incl-1"
    assert make_verifier(fixed(now)).parse(data, certificate=vtn.certificate) == MESSAGE


def test_expired_certificate(
    expired_ven: dict[KeyType, Credentials], key_type: KeyType, now: datetime
) -> None:
    credentials = expired_ven[key_type]
    certificate = load_certificate(credentials.certificate)
    data = make_signer(credentials, fixed(now)).serialize(SAMPLES["oadrPoll"])
    verifier = make_verifier(fixed(now))
    error = assert_refused(
        SignatureError,
        f"is valid from {certificate.not_valid_before_utc.isoformat()}",
        lambda: verifier.parse(data, certificate=credentials.certificate),
    )
    assert f"not at {now.isoformat()}" in error.message
    assert error.element == "X509Certificate"
    assert len(verifier.replay_guard) == 0


@pytest.mark.parametrize("when", ["before", "after"])
def test_certificate_validity_follows_the_verifiers_clock(when: str, vtn: Credentials, now: datetime) -> None:
    """A certificate valid in real time is refused at a verifier clock outside its validity."""
    certificate = load_certificate(vtn.certificate)
    if when == "before":
        instant = certificate.not_valid_before_utc - timedelta(seconds=1)
    else:
        instant = certificate.not_valid_after_utc + timedelta(seconds=1)
    data = make_signer(vtn, fixed(instant)).serialize(MESSAGE)  # the ReplayProtect is in time
    assert_refused(
        SignatureError,
        f"not at {instant.isoformat()}",
        lambda: make_verifier(fixed(instant)).parse(data, certificate=vtn.certificate),
    )


def test_expired_certificate_verifies_at_a_clock_within_its_validity(
    expired_ven: dict[KeyType, Credentials], key_type: KeyType
) -> None:
    """Documented: ``clock`` is "the time at which the signer's certificate must be valid"."""
    credentials = expired_ven[key_type]
    then = load_certificate(credentials.certificate).not_valid_before_utc + timedelta(hours=12)
    data = make_signer(credentials, fixed(then)).serialize(SAMPLES["oadrPoll"])
    payload = make_verifier(fixed(then)).parse(data, certificate=credentials.certificate)
    assert payload == SAMPLES["oadrPoll"]


def test_comments_and_whitespace_outside_the_signed_object(vtn: Credentials, now: datetime) -> None:
    """XML DSig does not cover what lies between oadrPayload's children: it may change."""
    data = make_signer(vtn, fixed(now)).serialize(MESSAGE)
    root = etree.fromstring(data)
    root.text = "\n  "
    signature_of(root).tail = "\n  "
    root.insert(0, etree.Comment(" leading "))
    root.append(etree.Comment(" trailing "))
    assert make_verifier(fixed(now)).parse(to_bytes(root), certificate=vtn.certificate) == MESSAGE


@pytest.mark.parametrize("nonce", ["é✓-ü", "x" * 2000, "a]]>b"], ids=["non-ascii", "long", "cdata end"])
def test_unusual_nonces_round_trip(nonce: str, vtn: Credentials, now: datetime) -> None:
    data = make_signer(vtn, fixed(now), nonce=lambda: nonce).serialize(MESSAGE)
    verified = make_verifier(fixed(now)).verify(xml.parse_tree(data), certificate=vtn.certificate)
    assert verified.nonce == nonce


def test_signer_clock_in_another_time_zone(vtn: Credentials, now: datetime) -> None:
    east = now.astimezone(timezone(timedelta(hours=5, minutes=30)))
    data = make_signer(vtn, fixed(east)).serialize(MESSAGE)
    assert f"<dsp:timestamp>{xml_datetime(now)}</dsp:timestamp>".encode() in data
    verified = make_verifier(fixed(now)).verify(xml.parse_tree(data), certificate=vtn.certificate)
    assert verified.timestamp == east == now


def test_signer_refuses_a_nonce_xml_cannot_carry(vtn: Credentials, now: datetime) -> None:
    signer = make_signer(vtn, fixed(now), nonce=lambda: "bad\x01nonce")
    with pytest.raises((ValueError, LocalProtocolError), match="cannot carry"):
        signer.serialize(MESSAGE)


def test_signer_refuses_a_key_of_another_certificate(vtn: Credentials, ven: Credentials) -> None:
    with pytest.raises(SecurityConfigurationError, match="does not belong"):
        Signer(vtn.certificate, ven.key)


def test_signer_from_files(ven: Credentials, now: datetime) -> None:
    signer = Signer.from_files(ven.certificate, str(ven.key))
    assert signer.fingerprint == fingerprint(ven.certificate)
    data = signer.serialize(SAMPLES["oadrPoll"])
    assert SignatureVerifier().parse(data, certificate=ven.certificate) == SAMPLES["oadrPoll"]


def test_signer_refuses_what_it_cannot_sign(vtn: Credentials, now: datetime) -> None:
    signer = make_signer(vtn, fixed(now))
    signed = signer.serialize(MESSAGE)
    with pytest.raises(LocalProtocolError, match="unsigned oadrPayload"):
        signer.sign(signed)
    without_id = xml.serialize(MESSAGE).replace(b' oadr:Id="oadrSignedObject"', b"")
    with pytest.raises(LocalProtocolError, match='oadr:Id="oadrSignedObject"'):
        signer.sign(without_id)


# --- part two: attacks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "original", "tampered"),
    [
        ("oadrCreatedEvent", b"<ei:venID>ven-evse-0042</ei:venID>", b"<ei:venID>ven-evse-0666</ei:venID>"),
        ("oadrDistributeEvent", b"<ei:value>2</ei:value>", b"<ei:value>9</ei:value>"),
        (
            "oadrDistributeEvent",
            b"<ei:eventStatus>far</ei:eventStatus>",
            b"<ei:eventStatus>active</ei:eventStatus>",
        ),
    ],
    ids=["venID", "interval value", "event status"],
)
def test_tampered_payload(
    sample: str, original: bytes, tampered: bytes, vtn: Credentials, now: datetime
) -> None:
    data = make_signer(vtn, fixed(now)).serialize(SAMPLES[sample])
    assert data.count(original) == 1
    forged = data.replace(original, tampered)
    assert xml.parse(forged) != SAMPLES[sample]  # still valid 2.0b: only the signature can tell
    verifier = make_verifier(fixed(now))
    assert_refused(
        SignatureError,
        "Digest mismatch for reference 0 (#oadrSignedObject)",
        lambda: verifier.parse(forged, certificate=vtn.certificate),
    )
    assert len(verifier.replay_guard) == 0  # a refused message consumes no nonce
    assert verifier.parse(data, certificate=vtn.certificate) == SAMPLES[sample]


def test_tampered_payload_with_its_digest_recomputed(vtn: Credentials, now: datetime) -> None:
    """The attacker fixes up DigestValue: SignedInfo no longer matches SignatureValue."""
    data = make_signer(vtn, fixed(now)).serialize(MESSAGE)
    root = etree.fromstring(data.replace(b"<ei:value>2</ei:value>", b"<ei:value>9</ei:value>"))
    digest = base64.b64encode(
        hashlib.sha256(etree.tostring(root[1], method="c14n", exclusive=True)).digest()
    ).decode()
    digest_value = signature_of(root).find(
        "ds:SignedInfo/ds:Reference[@URI='#oadrSignedObject']/ds:DigestValue", NS
    )
    assert digest_value is not None
    assert digest_value.text != digest
    digest_value.text = digest
    forged = to_bytes(root)
    assert_refused(
        SignatureError,
        "Signature verification failed",
        lambda: make_verifier(fixed(now)).parse(forged, certificate=vtn.certificate),
    )


@pytest.mark.parametrize(
    "change",
    ["digest value", "signature method", "canonicalization", "transform"],
)
def test_tampered_signed_info(change: str, vtn: Credentials, key_type: KeyType, now: datetime) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    signed_info = signature_of(root).find("ds:SignedInfo", NS)
    assert signed_info is not None
    if change == "digest value":
        digest = signed_info.find("ds:Reference/ds:DigestValue", NS)
        assert digest is not None
        assert digest.text is not None
        raw = bytearray(base64.b64decode(digest.text))
        raw[0] ^= 1
        digest.text = base64.b64encode(bytes(raw)).decode()
        fragment = "Signature verification failed"  # SignedInfo is checked before the digests
    elif change == "signature method":
        method = signed_info.find("ds:SignatureMethod", NS)
        assert method is not None
        other = {KeyType.RSA: ECDSA_SHA256, KeyType.ECC: RSA_SHA256}[key_type]
        method.set("Algorithm", other)
        fragment = "does not match specified signature algorithm"
    elif change == "canonicalization":
        method = signed_info.find("ds:CanonicalizationMethod", NS)
        assert method is not None
        method.set("Algorithm", INCLUSIVE_C14N)
        fragment = "Signature verification failed"
    else:
        transform = signed_info.find("ds:Reference/ds:Transforms/ds:Transform", NS)
        assert transform is not None
        transform.set("Algorithm", INCLUSIVE_C14N)
        fragment = "Signature verification failed"
    forged = to_bytes(root)
    assert_refused(
        SignatureError, fragment, lambda: make_verifier(fixed(now)).parse(forged, certificate=vtn.certificate)
    )


def test_tampered_signature_value(vtn: Credentials, now: datetime) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    value = signature_of(root).find("ds:SignatureValue", NS)
    assert value is not None
    assert value.text is not None
    raw = bytearray(base64.b64decode(value.text))
    raw[len(raw) // 2] ^= 0x40
    value.text = base64.b64encode(bytes(raw)).decode()
    forged = to_bytes(root)
    assert_refused(
        SignatureError,
        "Signature verification failed",
        lambda: make_verifier(fixed(now)).parse(forged, certificate=vtn.certificate),
    )


@pytest.mark.parametrize("field", ["nonce", "timestamp"])
def test_tampered_replay_protect(field: str, vtn: Credentials, now: datetime) -> None:
    signer = make_signer(vtn, fixed(now), nonce=lambda: "nonce-original")
    data = signer.serialize(MESSAGE)
    if field == "nonce":
        forged = data.replace(b"<dsp:nonce>nonce-original<", b"<dsp:nonce>nonce-fresh-one<")
    else:
        stamp = xml_datetime(now).encode()
        forged = data.replace(stamp, xml_datetime(now + timedelta(seconds=1)).encode())
    assert forged != data
    verifier = make_verifier(fixed(now))
    assert_refused(
        SignatureError,
        "Digest mismatch for reference 1 (#prop)",
        lambda: verifier.parse(forged, certificate=vtn.certificate),
    )
    assert len(verifier.replay_guard) == 0


def test_signed_by_another_party(vtn: Credentials, ven: Credentials, now: datetime) -> None:
    data = make_signer(ven, fixed(now)).serialize(MESSAGE)
    error = assert_refused(
        CertificateMismatchError,
        f"signed with the certificate {fingerprint(ven.certificate)}, "
        f"expected {fingerprint(vtn.certificate)}",
        lambda: make_verifier(fixed(now)).parse(data, certificate=vtn.certificate),
    )
    assert error.element == "Signature"
    assert_refused(
        CertificateMismatchError,
        "expected",
        lambda: make_verifier(fixed(now)).parse(data, fingerprint=fingerprint(vtn.certificate)),
    )


def test_signed_with_the_other_key_type(pki: TestPKI, key_type: KeyType, now: datetime) -> None:
    other = KeyType.ECC if key_type is KeyType.RSA else KeyType.RSA
    data = make_signer(pki.vtn(other), fixed(now)).serialize(MESSAGE)
    assert_refused(
        CertificateMismatchError,
        "signed with the certificate",
        lambda: make_verifier(fixed(now)).parse(data, certificate=pki.vtn(key_type).certificate),
    )


def swap_certificate(data: bytes, replacement: Credentials) -> bytes:
    root = etree.fromstring(data)
    element = signature_of(root).find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    assert element is not None
    element.text = b64_certificate(replacement)
    return to_bytes(root)


def test_embedded_certificate_swapped_for_the_expected_one(
    vtn: Credentials, ven: Credentials, now: datetime
) -> None:
    """Signed by ven1's key, claiming the VTN's certificate: the key does not match."""
    forged = swap_certificate(make_signer(ven, fixed(now)).serialize(MESSAGE), vtn)
    verifier = make_verifier(fixed(now))
    assert_refused(
        SignatureError,
        "Signature verification failed",
        lambda: verifier.parse(forged, certificate=vtn.certificate),
    )
    assert_refused(
        SignatureError,
        "Signature verification failed",
        lambda: verifier.parse(forged, fingerprint=fingerprint(vtn.certificate)),
    )
    assert len(verifier.replay_guard) == 0


def test_certificate_of_another_pki(
    pki: TestPKI, other_pki: TestPKI, key_type: KeyType, now: datetime
) -> None:
    """A VEN of the same name from an unrelated PKI is not the VEN bound here."""
    ours, theirs = pki.ven("ven1", key_type), other_pki.ven("ven1", key_type)
    assert load_certificate(ours.certificate).subject == load_certificate(theirs.certificate).subject
    data = make_signer(theirs, fixed(now)).serialize(SAMPLES["oadrPoll"])
    verifier = make_verifier(fixed(now))

    assert_refused(
        CertificateMismatchError,
        f"signed with the certificate {fingerprint(theirs.certificate)}",
        lambda: verifier.parse(data, certificate=ours.certificate),
    )
    assert_refused(
        CertificateMismatchError,
        "signed with the certificate",
        lambda: verifier.parse(data, fingerprint=fingerprint(ours.certificate)),
    )
    assert_refused(
        SignatureError,
        "Signature verification failed",
        lambda: verifier.parse(swap_certificate(data, ours), certificate=ours.certificate),
    )


def test_unreadable_embedded_certificate(vtn: Credentials, now: datetime) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    element = signature_of(root).find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS)
    assert element is not None
    element.text = base64.b64encode(b"not a certificate").decode()
    assert_refused(
        SignatureError,
        "cannot be read",
        lambda: make_verifier(fixed(now)).parse(to_bytes(root), certificate=vtn.certificate),
    )


def test_no_embedded_certificate(vtn: Credentials, now: datetime) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    signature = signature_of(root)
    key_info = signature.find("ds:KeyInfo", NS)
    assert key_info is not None
    signature.remove(key_info)
    assert_refused(
        SignatureError,
        "carries no X509Certificate",
        lambda: make_verifier(fixed(now)).parse(to_bytes(root), certificate=vtn.certificate),
    )


@pytest.mark.parametrize("name", ["oadrDistributeEvent", "oadrPoll", "oadrCreatedEvent"])
def test_unsigned_payload_where_a_signature_is_required(name: str, vtn: Credentials, now: datetime) -> None:
    verifier = make_verifier(fixed(now))
    assert_refused(
        SignatureError,
        "not signed",
        lambda: verifier.parse(xml.serialize(SAMPLES[name]), certificate=vtn.certificate),
    )
    assert_refused(
        SignatureError,
        "not signed",
        lambda: verifier.parse(xml.serialize(SAMPLES[name]), fingerprint=fingerprint(vtn.certificate)),
    )


def test_replayed_document(vtn: Credentials, now: datetime) -> None:
    data = make_signer(vtn, fixed(now), nonce=lambda: "once").serialize(MESSAGE)
    guard = ReplayGuard(clock=fixed(now))
    verifier = make_verifier(fixed(now), guard)
    assert verifier.parse(data, certificate=vtn.certificate) == MESSAGE
    assert_refused(ReplayError, "already used", lambda: verifier.parse(data, certificate=vtn.certificate))
    # a second verifier sharing the guard (another endpoint of the same party) refuses it too
    assert_refused(
        ReplayError,
        "'once'",
        lambda: make_verifier(fixed(now), guard).parse(data, certificate=vtn.certificate),
    )
    assert len(guard) == 1


def test_replayed_nonce_in_a_new_message(vtn: Credentials, now: datetime) -> None:
    """The nonce, not the document, is what counts: another message with a used nonce is refused."""
    signer = make_signer(vtn, fixed(now), nonce=lambda: "same")
    verifier = make_verifier(fixed(now))
    verifier.parse(signer.serialize(MESSAGE), certificate=vtn.certificate)
    assert_refused(
        ReplayError,
        "already used",
        lambda: verifier.parse(signer.serialize(SAMPLES["oadrPoll"]), certificate=vtn.certificate),
    )


def test_same_nonce_from_two_signers_is_no_replay(vtn: Credentials, ven: Credentials, now: datetime) -> None:
    guard = ReplayGuard(clock=fixed(now))
    verifier = make_verifier(fixed(now), guard)
    for credentials in (vtn, ven):
        data = make_signer(credentials, fixed(now), nonce=lambda: "shared").serialize(MESSAGE)
        assert verifier.parse(data, certificate=credentials.certificate) == MESSAGE
    assert len(guard) == 2


@pytest.mark.parametrize(
    ("offset", "fragment"),
    [
        (-WINDOW - timedelta(seconds=1), "(stale)"),
        (-timedelta(days=3), "(stale)"),
        (WINDOW + timedelta(seconds=1), "ahead of our clock"),
        (timedelta(days=3), "ahead of our clock"),
    ],
    ids=["just stale", "days old", "just ahead", "days ahead"],
)
def test_timestamp_outside_the_window(
    offset: timedelta, fragment: str, vtn: Credentials, now: datetime
) -> None:
    data = make_signer(vtn, fixed(now + offset)).serialize(MESSAGE)
    signxml_accepts(data, vtn.certificate)  # a sound signature, only its time is wrong
    assert_refused(
        ReplayError, fragment, lambda: make_verifier(fixed(now)).parse(data, certificate=vtn.certificate)
    )


@pytest.mark.parametrize("offset", [-WINDOW, -WINDOW + timedelta(seconds=1), WINDOW], ids=str)
def test_timestamp_at_the_window_edge(offset: timedelta, vtn: Credentials, now: datetime) -> None:
    data = make_signer(vtn, fixed(now + offset)).serialize(MESSAGE)
    assert make_verifier(fixed(now)).parse(data, certificate=vtn.certificate) == MESSAGE


def test_replay_protect_object_removed_after_signing(vtn: Credentials, now: datetime) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    prop = signature_of(root).find("ds:Object", NS)
    assert prop is not None
    signature_of(root).remove(prop)
    data = to_bytes(root)
    assert xml.parse(data) == MESSAGE  # still valid 2.0b
    assert_refused(
        SignatureError,
        "the second reference must point at a ds:Object of the signature itself",
        lambda: make_verifier(fixed(now)).parse(data, certificate=vtn.certificate),
    )


def test_replay_protect_replaced_after_signing(vtn: Credentials, now: datetime) -> None:
    """The ReplayProtect swapped for another property: the signed ds:Object no longer matches."""
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    (replay,) = root.iterfind(".//dsp:ReplayProtect", NS)
    note = etree.Element("{urn:example:props}note", nsmap={"x": "urn:example:props"})
    replay.getparent().replace(replay, note)  # type: ignore[union-attr]
    data = to_bytes(root)
    assert xml.parse(data) == MESSAGE
    assert_refused(
        SignatureError,
        "Digest mismatch for reference 1 (#prop)",
        lambda: make_verifier(fixed(now)).parse(data, certificate=vtn.certificate),
    )


def strip_replay_protect(data: bytes) -> bytes:
    """The ReplayProtect removed, leaving an empty ds:SignatureProperty (invalid XML DSig)."""
    root = etree.fromstring(data)
    (replay,) = root.iterfind(".//dsp:ReplayProtect", NS)
    replay.getparent().remove(replay)  # type: ignore[union-attr]
    return to_bytes(root)


def test_replay_protect_removed_after_signing(vtn: Credentials, now: datetime) -> None:
    stripped = strip_replay_protect(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    with pytest.raises(SchemaValidationError, match="SignatureProperty"):
        make_verifier(fixed(now)).parse(stripped, certificate=vtn.certificate)


def test_schema_invalid_signature_in_an_unvalidated_tree(vtn: Credentials, now: datetime) -> None:
    stripped = strip_replay_protect(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    tree = xml.parse_tree(stripped, validate=False)
    assert_refused(
        SignatureError,
        "",
        lambda: make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate),
    )


def test_signature_without_replay_protect(vtn: Credentials, now: datetime) -> None:
    """Signed by the right key, but its signed ds:Object holds no ReplayProtect."""
    other_property = etree.Element("{urn:example:props}note", nsmap={"x": "urn:example:props"})
    other_property.text = "no replay protection here"
    root = hand_sign(xml.serialize(MESSAGE), vtn, objects=(properties_object(other_property),))
    data = to_bytes(root)
    signxml_accepts(data, vtn.certificate)
    assert_refused(
        ReplayError,
        "no ReplayProtect",
        lambda: make_verifier(fixed(now)).parse(data, certificate=vtn.certificate),
    )


def test_signature_with_one_reference_only(vtn: Credentials, now: datetime) -> None:
    root = hand_sign(xml.serialize(MESSAGE), vtn, references=("#oadrSignedObject",))
    assert_refused(
        SignatureError,
        "must reference",
        lambda: make_verifier(fixed(now)).parse(to_bytes(root), certificate=vtn.certificate),
    )


def test_signature_with_two_replay_protects(vtn: Credentials, now: datetime) -> None:
    objects = (
        properties_object(
            replay_protect(xml_datetime(now), "first"), replay_protect(xml_datetime(now), "second")
        ),
    )
    root = hand_sign(xml.serialize(MESSAGE), vtn, objects=objects)
    assert_refused(
        ReplayError,
        "more than one",
        lambda: make_verifier(fixed(now)).parse(to_bytes(root), certificate=vtn.certificate),
    )


@pytest.mark.parametrize(
    ("timestamp", "nonce", "fragment"),
    [
        ("yesterday", "n-1", "timestamp cannot be read"),
        (None, "n-1", "lacks its timestamp or nonce"),
        ("NOW", "", "nonce is empty"),
        ("NOW", "   ", "nonce is empty"),
    ],
    ids=["unreadable timestamp", "no timestamp", "empty nonce", "blank nonce"],
)
def test_malformed_replay_protect(
    timestamp: str | None, nonce: str, fragment: str, vtn: Credentials, now: datetime
) -> None:
    """Soundly signed, but the ReplayProtect is unusable: refused at the signature layer even
    without schema validation (validated, some of them are already invalid 2.0b)."""
    replay = replay_protect(xml_datetime(now) if timestamp == "NOW" else (timestamp or ""), nonce)
    if timestamp is None:
        replay.remove(replay[0])
    root = hand_sign(xml.serialize(MESSAGE), vtn, objects=(properties_object(replay),))
    tree = xml.parse_tree(to_bytes(root), validate=False)
    assert_refused(
        ReplayError, fragment, lambda: make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate)
    )
    with pytest.raises(OpenADRError):
        make_verifier(fixed(now)).parse(to_bytes(root), certificate=vtn.certificate)


# --- part two, continued: extra signatures and signature wrapping -----------------------------


def assert_never_forged(data: bytes, expected: Credentials, now: datetime) -> OpenADRError | None:
    """The wrapping property, checked with and without schema validation.

    Either an OpenADRError is raised, or the message returned is exactly the signed one. Returns
    the error of the validating path (None if it verified).
    """
    outcome: OpenADRError | None = None
    try:
        payload = make_verifier(fixed(now)).parse(data, certificate=expected.certificate)
    except OpenADRError as exc:
        outcome = exc
    else:
        assert payload == MESSAGE

    # the signature layer on its own, schema validation off
    tree = xml.parse_tree(data, validate=False)
    error: OpenADRError | None = None
    try:
        make_verifier(fixed(now)).verify(tree, certificate=expected.certificate)
    except OpenADRError as exc:
        error = exc
    if error is None:
        assert xml.decode(tree) == MESSAGE
    else:
        assert error.response_code == NOT_AUTHORIZED, error
    return outcome


def forged_signed_object(with_id: bool) -> etree._Element:
    signed_object = etree.fromstring(xml.serialize(FORGED))[0]
    if not with_id:
        del signed_object.attrib[OADR_ID]
    return signed_object


def new_object(parent: etree._Element, object_id: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{DS}}}Object")
    if object_id is not None:
        element.set("Id", object_id)
    return element


WrapAttack = Callable[[etree._Element], None]


def wrap_into_new_object(with_id: bool) -> WrapAttack:
    def attack(root: etree._Element) -> None:
        original = root[1]
        new_object(signature_of(root)).append(original)  # moves it
        root.append(forged_signed_object(with_id))

    return attack


def wrap_into_key_info(with_id: bool) -> WrapAttack:
    def attack(root: etree._Element) -> None:
        original = root[1]
        key_info = signature_of(root).find("ds:KeyInfo", NS)
        assert key_info is not None
        key_info.append(original)
        root.append(forged_signed_object(with_id))

    return attack


def wrap_into_signed_object(root: etree._Element) -> None:
    """The original moved inside a forged oadrSignedObject, after the forged message."""
    original = root[1]
    forged = forged_signed_object(with_id=True)
    root.remove(original)
    forged.append(original)
    root.append(forged)


def wrap_forged_message_alongside(root: etree._Element) -> None:
    """The forged message added in front of the signed one, inside the signed object."""
    root[1].insert(0, etree.fromstring(xml.serialize(FORGED))[0][0])


def duplicate_id_on_ds_object(root: etree._Element) -> None:
    forged_container = new_object(signature_of(root), "oadrSignedObject")
    forged_container.append(etree.fromstring(xml.serialize(FORGED))[0][0])


def duplicate_oadr_id_on_the_root(root: etree._Element) -> None:
    root.set(OADR_ID, "oadrSignedObject")


def duplicate_id_inside_the_message(root: etree._Element) -> None:
    """A non-xs:ID attribute named Id, which signxml's lookup still counts."""
    message = root[1][0]
    message[0].set("Id", "oadrSignedObject")


def second_signature_in_object(keep_id: bool) -> WrapAttack:
    def attack(root: etree._Element) -> None:
        second = copy.deepcopy(signature_of(root))
        if not keep_id:  # no duplicate xs:ID for the schema to find
            for element in second.iter():
                element.attrib.pop("Id", None)
        new_object(signature_of(root)).append(second)

    return attack


def second_signature_at_the_end(root: etree._Element) -> None:
    root.append(copy.deepcopy(signature_of(root)))


def signature_after_signed_object(root: etree._Element) -> None:
    root.append(signature_of(root))


def reference_to_the_properties(root: etree._Element) -> None:
    reference = signature_of(root).find("ds:SignedInfo/ds:Reference", NS)
    assert reference is not None
    reference.set("URI", "#prop")


def reference_to_a_kept_copy(root: etree._Element) -> None:
    """Reference pointed at a copy of the original kept aside; the message is forged."""
    reference = signature_of(root).find("ds:SignedInfo/ds:Reference", NS)
    assert reference is not None
    reference.set("URI", "#kept")
    kept = new_object(signature_of(root), "kept")
    kept.append(root[1])
    root.append(forged_signed_object(with_id=True))


@dataclass(frozen=True)
class Wrapping:
    attack: WrapAttack
    parse_error: type[OpenADRError]
    """What ``parse`` (schema validation, then the signature) raises."""
    verify_error: type[OpenADRError]
    """What ``verify`` alone raises, on a tree that was not validated."""
    fragment: str
    """A fragment of the message of ``verify``'s error."""


AMBIGUOUS = "Ambiguous reference URI #oadrSignedObject"
NO_ID = 'must carry oadr:Id="oadrSignedObject"'

WRAPPING: dict[str, Wrapping] = {
    "original in a new ds:Object, forged with Id": Wrapping(
        wrap_into_new_object(with_id=True), SchemaValidationError, SignatureError, AMBIGUOUS
    ),
    "original in a new ds:Object, forged without Id": Wrapping(
        wrap_into_new_object(with_id=False), SignatureError, SignatureError, NO_ID
    ),
    "original in KeyInfo, forged with Id": Wrapping(
        wrap_into_key_info(with_id=True), SchemaValidationError, SignatureError, AMBIGUOUS
    ),
    "original in KeyInfo, forged without Id": Wrapping(
        wrap_into_key_info(with_id=False), SignatureError, SignatureError, NO_ID
    ),
    "original inside a forged oadrSignedObject": Wrapping(
        wrap_into_signed_object, SchemaValidationError, SignatureError, AMBIGUOUS
    ),
    "forged message inside the signed object": Wrapping(
        wrap_forged_message_alongside,
        SchemaValidationError,
        SignatureError,
        "Digest mismatch for reference 0 (#oadrSignedObject)",
    ),
    "duplicate Id on a ds:Object holding a forged message": Wrapping(
        duplicate_id_on_ds_object, SchemaValidationError, SignatureError, AMBIGUOUS
    ),
    "duplicate oadr:Id on oadrPayload": Wrapping(
        duplicate_oadr_id_on_the_root, SchemaValidationError, SignatureError, AMBIGUOUS
    ),
    "duplicate plain Id inside the message": Wrapping(
        duplicate_id_inside_the_message, SchemaValidationError, SignatureError, AMBIGUOUS
    ),
    "second signature inside a ds:Object": Wrapping(
        second_signature_in_object(keep_id=True), SchemaValidationError, SignatureError, "2 signatures"
    ),
    "second signature without Ids inside a ds:Object": Wrapping(
        second_signature_in_object(keep_id=False), SignatureError, SignatureError, "2 signatures"
    ),
    "second signature after the signed object": Wrapping(
        second_signature_at_the_end, SchemaValidationError, SignatureError, "2 signatures"
    ),
    "signature after the signed object": Wrapping(
        signature_after_signed_object, SchemaValidationError, SignatureError, "first child of oadrPayload"
    ),
    "reference URI to the properties": Wrapping(
        reference_to_the_properties, SignatureError, SignatureError, "must reference"
    ),
    "reference URI to a kept copy": Wrapping(
        reference_to_a_kept_copy, SchemaValidationError, SignatureError, "must reference"
    ),
}


@pytest.mark.parametrize("attack", list(WRAPPING))
def test_signature_wrapping(attack: str, vtn: Credentials, now: datetime) -> None:
    wrapping = WRAPPING[attack]
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    wrapping.attack(root)
    data = to_bytes(root)

    error = assert_never_forged(data, vtn, now)
    # none of these verifies at all: with the schema, the first check to fail says why ...
    assert type(error) is wrapping.parse_error, error
    # ... and without it, the signature layer alone refuses, 463, saying why
    tree = xml.parse_tree(data, validate=False)
    assert_refused(
        wrapping.verify_error,
        wrapping.fragment,
        lambda: make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate),
    )


def test_forged_signed_object_before_the_signed_one(vtn: Credentials, now: datetime) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    root.insert(1, forged_signed_object(with_id=False))
    data = to_bytes(root)
    with pytest.raises(SchemaValidationError):  # parse() is safe: the schema allows one
        make_verifier(fixed(now)).parse(data, certificate=vtn.certificate)
    tree = xml.parse_tree(data, validate=False)
    try:
        make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate)
    except OpenADRError:
        return
    assert xml.decode(tree) == MESSAGE  # fails: the forged OadrPoll is read


def test_wrapping_with_a_correctly_signed_decoy(vtn: Credentials, now: datetime) -> None:
    """The right key signed a copy kept under another Id, with a ReplayProtect; the message is
    forged. Every digest and the signature are sound: only the reference check can refuse it."""
    kept = new_object_detached("kept")
    kept.append(etree.fromstring(xml.serialize(MESSAGE))[0][0])
    unsigned = etree.fromstring(xml.serialize(FORGED))
    data = to_bytes(
        hand_sign(
            to_bytes(unsigned),
            vtn,
            references=("#kept", "#prop"),
            objects=(kept, *standard_objects(now, "decoy")),
        )
    )
    XMLVerifier().verify(
        etree.fromstring(data),
        x509_cert=load_certificate(vtn.certificate),
        expect_config=SignatureConfiguration(expect_references=2),
    )  # sound, as far as XML DSig goes
    assert_never_forged(data, vtn, now)
    assert_refused(
        SignatureError,
        "must reference",
        lambda: make_verifier(fixed(now)).parse(data, certificate=vtn.certificate),
    )


def test_properties_reference_outside_the_signature(vtn: Credentials, now: datetime) -> None:
    """Second reference at an element of the message rather than the signature's ds:Object."""
    unsigned = etree.fromstring(xml.serialize(MESSAGE))
    unsigned[0][0][0].set("Id", "elsewhere")  # pyld:requestID, outside the signature
    root = hand_sign(to_bytes(unsigned), vtn, references=("#oadrSignedObject", "#elsewhere"))
    tree = xml.parse_tree(to_bytes(root), validate=False)
    assert_refused(
        SignatureError,
        "ds:Object of the signature itself",
        lambda: make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate),
    )


def new_object_detached(object_id: str) -> etree._Element:
    return etree.Element(f"{{{DS}}}Object", nsmap={"ds": DS}, Id=object_id)


@pytest.mark.parametrize("place", ["new ds:Object", "KeyInfo", "ds:Object without Id in prop"])
def test_shadow_replay_protect_is_ignored(place: str, vtn: Credentials, now: datetime) -> None:
    """A ReplayProtect added outside the signed ds:Object neither replaces nor renews the real one."""
    data = make_signer(vtn, fixed(now - timedelta(minutes=1)), nonce=lambda: "real").serialize(MESSAGE)
    guard = ReplayGuard(clock=fixed(now))
    assert make_verifier(fixed(now), guard).parse(data, certificate=vtn.certificate) == MESSAGE

    root = etree.fromstring(data)
    shadow = replay_protect(xml_datetime(now), "fresh-shadow")
    signature = signature_of(root)
    if place == "new ds:Object":
        signature.append(properties_object(shadow, object_id=None))
    elif place == "KeyInfo":
        key_info = signature.find("ds:KeyInfo", NS)
        assert key_info is not None
        key_info.append(shadow)
    else:
        signature.append(properties_object(shadow, object_id=None))
        signature.append(new_object_detached("prop2"))
    replayed = to_bytes(root)

    assert_never_forged(replayed, vtn, now)
    # the signature layer reads the signed ReplayProtect: the replay is caught
    tree = xml.parse_tree(replayed, validate=False)
    assert_refused(
        ReplayError,
        "'real' was already used",
        lambda: make_verifier(fixed(now), guard).verify(tree, certificate=vtn.certificate),
    )
    # with a fresh guard, it verifies, reporting the real nonce and timestamp, not the shadow's
    verified = make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate)
    assert (verified.nonce, verified.timestamp) == ("real", now - timedelta(minutes=1))


def test_shadow_replay_protect_cannot_revive_a_stale_message(vtn: Credentials, now: datetime) -> None:
    stale = make_signer(vtn, fixed(now - timedelta(hours=1)), nonce=lambda: "old").serialize(MESSAGE)
    root = etree.fromstring(stale)
    signature_of(root).append(properties_object(replay_protect(xml_datetime(now), "new"), object_id=None))
    tree = xml.parse_tree(to_bytes(root), validate=False)
    assert_refused(
        ReplayError, "(stale)", lambda: make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate)
    )


def test_duplicate_prop_object(vtn: Credentials, now: datetime) -> None:
    """A second ds:Object with the properties' Id, holding a shadow ReplayProtect."""
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    signature_of(root).append(properties_object(replay_protect(xml_datetime(now), "shadow")))
    data = to_bytes(root)
    assert_never_forged(data, vtn, now)
    assert_refused(
        SignatureError,
        "ds:Object of the signature itself",
        lambda: make_verifier(fixed(now)).verify(
            xml.parse_tree(data, validate=False), certificate=vtn.certificate
        ),
    )


def test_attacks_leave_the_guard_usable(vtn: Credentials, now: datetime) -> None:
    """After a run of refused forgeries the genuine message still verifies once."""
    data = make_signer(vtn, fixed(now), nonce=lambda: "genuine").serialize(MESSAGE)
    guard = ReplayGuard(clock=fixed(now))
    verifier = make_verifier(fixed(now), guard)
    for wrapping in WRAPPING.values():
        root = etree.fromstring(data)
        wrapping.attack(root)
        with pytest.raises(OpenADRError):
            verifier.parse(to_bytes(root), certificate=vtn.certificate)
    assert len(guard) == 0
    assert verifier.parse(data, certificate=vtn.certificate) == MESSAGE
    with pytest.raises(ReplayError):
        verifier.parse(data, certificate=vtn.certificate)
