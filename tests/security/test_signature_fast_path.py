"""The verifier's fast path: signatures of the Signer's fixed 2.0b shape are checked without signxml.

Part one shows which path runs: our own signatures (and any built to exactly the same shape) never
reach signxml's ``XMLVerifier.verify``, while other shapes (inclusive C14N as OpenLEADR signs, an
extra transform, an InclusiveNamespaces prefix list, a pretty-printed SignedInfo) still go to it
and verify there. Part two is attacks aimed at the fast path itself: each is refused, 463, by the
fast path (signxml is made to fail the test if it is reached), or, for a shape the fast path does
not take, by signxml.

Helpers and fixtures (``vtn``, ``ven``, ``now``, ``key_type``, ``hand_sign`` ...) come from
``test_signature``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree
from signxml import XMLVerifier  # type: ignore[attr-defined]
from test_signature import (  # fixtures are used by name
    DS,
    DSP,
    EXC_C14N,
    FORGED,
    INCLUSIVE_C14N,
    MESSAGE,
    NS,
    OADR_ID,
    assert_never_forged,
    assert_refused,
    fixed,
    forged_signed_object,
    hand_sign,
    key_type,
    make_signer,
    make_verifier,
    now,
    signature_of,
    signxml_accepts,
    standard_objects,
    to_bytes,
    ven,
    vtn,
)

from openadr_accel import xml
from openadr_accel.errors import ReplayError, SignatureError
from openadr_accel.security import Credentials, KeyType, ReplayGuard, TestPKI, load_private_key

__all__ = ["key_type", "now", "ven", "vtn"]  # fixtures, imported to be found by pytest

ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


# --- which path runs ---------------------------------------------------------------------------


class SignxmlCalls:
    """Counts calls of signxml's ``XMLVerifier.verify``; with ``forbidden`` set, any call fails."""

    def __init__(self) -> None:
        self.count = 0
        self.forbidden = False


@pytest.fixture
def signxml_calls(monkeypatch: pytest.MonkeyPatch) -> SignxmlCalls:
    calls = SignxmlCalls()
    original = XMLVerifier.verify

    def spy(self: XMLVerifier, *args: Any, **kwargs: Any) -> Any:
        calls.count += 1
        if calls.forbidden:  # not one of signxml's errors: the verifier cannot swallow it
            raise AssertionError("signxml's XMLVerifier.verify was called on the fast path")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(XMLVerifier, "verify", spy)
    return calls


@pytest.fixture
def no_signxml(signxml_calls: SignxmlCalls) -> SignxmlCalls:
    signxml_calls.forbidden = True
    return signxml_calls


def test_our_signatures_take_the_fast_path(no_signxml: SignxmlCalls, vtn: Credentials, now: datetime) -> None:
    signer = make_signer(vtn, fixed(now))
    verifier = make_verifier(fixed(now))
    for _ in range(3):
        assert verifier.parse(signer.serialize(MESSAGE), certificate=vtn.certificate) == MESSAGE
    verified = make_verifier(fixed(now)).verify(
        xml.parse_tree(make_signer(vtn, fixed(now), nonce=lambda: "fast-1").serialize(MESSAGE)),
        certificate=vtn.certificate,
    )
    assert (verified.nonce, verified.timestamp) == ("fast-1", now)
    assert no_signxml.count == 0


def test_fast_path_refuses_a_replay(no_signxml: SignxmlCalls, vtn: Credentials, now: datetime) -> None:
    data = make_signer(vtn, fixed(now)).serialize(MESSAGE)
    verifier = make_verifier(fixed(now))
    assert verifier.parse(data, certificate=vtn.certificate) == MESSAGE
    assert_refused(ReplayError, "already used", lambda: verifier.parse(data, certificate=vtn.certificate))


def test_a_signature_of_the_same_shape_built_from_scratch_takes_the_fast_path(
    no_signxml: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    root = hand_sign(xml.serialize(MESSAGE), vtn, objects=standard_objects(now, "scratch-fast"))
    verified = make_verifier(fixed(now)).verify(xml.parse_tree(to_bytes(root)), certificate=vtn.certificate)
    assert verified.nonce == "scratch-fast"


def test_inclusive_c14n_goes_to_signxml(signxml_calls: SignxmlCalls, vtn: Credentials, now: datetime) -> None:
    """OpenLEADR's shape (inclusive C14N): left to signxml, which verifies it."""
    root = hand_sign(
        xml.serialize(MESSAGE), vtn, objects=standard_objects(now, "incl-2"), c14n=INCLUSIVE_C14N
    )
    assert make_verifier(fixed(now)).parse(to_bytes(root), certificate=vtn.certificate) == MESSAGE
    assert signxml_calls.count == 1


def resign(root: etree._Element, credentials: Credentials) -> None:
    """Recompute the SignatureValue over the exclusive canonical SignedInfo as it now is."""
    key = load_private_key(credentials.key)
    signed_info = signature_of(root).find("ds:SignedInfo", NS)
    assert signed_info is not None
    data = etree.tostring(signed_info, method="c14n", exclusive=True, with_comments=False)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        size = (key.key_size + 7) // 8
        raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    value = signature_of(root).find("ds:SignatureValue", NS)
    assert value is not None
    value.text = base64.b64encode(raw).decode()


def add_enveloped_transform(root: etree._Element) -> None:
    """An enveloped-signature transform in front of reference 0's C14N (it changes no digest:
    the signed object holds no signature)."""
    transforms = signature_of(root).find("ds:SignedInfo/ds:Reference/ds:Transforms", NS)
    assert transforms is not None
    transforms.insert(0, etree.Element(f"{{{DS}}}Transform", Algorithm=ENVELOPED))


def add_inclusive_namespaces(root: etree._Element) -> None:
    """An InclusiveNamespaces prefix list naming a prefix the signed object does not use."""
    transform = signature_of(root).find("ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform", NS)
    assert transform is not None
    etree.SubElement(transform, f"{{{EXC_C14N}}}InclusiveNamespaces", PrefixList="unused")


def pretty_print_signed_info(root: etree._Element) -> None:
    signed_info = signature_of(root).find("ds:SignedInfo", NS)
    assert signed_info is not None
    etree.indent(signed_info)


OTHER_SHAPES: dict[str, Callable[[etree._Element], None]] = {
    "extra transform": add_enveloped_transform,
    "InclusiveNamespaces": add_inclusive_namespaces,
    "pretty-printed SignedInfo": pretty_print_signed_info,
}


@pytest.mark.parametrize("shape", list(OTHER_SHAPES))
def test_other_shapes_go_to_signxml_and_verify(
    shape: str, signxml_calls: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now), nonce=lambda: "shape-1").serialize(MESSAGE))
    OTHER_SHAPES[shape](root)
    resign(root, vtn)
    data = to_bytes(root)
    signxml_accepts(data, vtn.certificate)
    signxml_calls.count = 0
    verified = make_verifier(fixed(now)).verify(
        xml.parse_tree(data, validate=False), certificate=vtn.certificate
    )
    assert verified.nonce == "shape-1"
    assert signxml_calls.count == 1


@pytest.mark.parametrize("shape", list(OTHER_SHAPES))
def test_other_shapes_not_resigned_are_refused_by_signxml(
    shape: str, signxml_calls: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    OTHER_SHAPES[shape](root)
    tree = xml.parse_tree(to_bytes(root), validate=False)
    assert_refused(
        SignatureError,
        "Signature verification failed",
        lambda: make_verifier(fixed(now)).verify(tree, certificate=vtn.certificate),
    )
    assert signxml_calls.count == 1


def test_comment_in_signed_info_leaves_the_fast_path_and_verifies(
    signxml_calls: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """A tree not from parse_tree may hold comments: one splitting a DigestValue is not read as
    a short digest; the shape no longer matches its template, and signxml (which ignores
    comments, as C14N does) verifies it."""
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    digest = signature_of(root).find("ds:SignedInfo/ds:Reference/ds:DigestValue", NS)
    assert digest is not None
    assert digest.text is not None
    text = digest.text
    digest.text = text[:10]
    comment = etree.Comment("split")
    comment.tail = text[10:]
    digest.append(comment)
    assert make_verifier(fixed(now)).verify(root, certificate=vtn.certificate).nonce == "nonce-0000"
    assert signxml_calls.count == 1


# --- attacks on the fast path --------------------------------------------------------------------


def verify_tree(
    data: bytes, vtn: Credentials, now: datetime, guard: ReplayGuard | None = None
) -> Callable[[], object]:
    tree = xml.parse_tree(data, validate=False)
    return lambda: make_verifier(fixed(now), guard).verify(tree, certificate=vtn.certificate)


def test_changed_digest_value(no_signxml: SignxmlCalls, vtn: Credentials, now: datetime) -> None:
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    for digest in signature_of(root).iterfind("ds:SignedInfo/ds:Reference/ds:DigestValue", NS):
        original = digest.text
        assert original is not None
        raw = bytearray(base64.b64decode(original))
        raw[-1] ^= 0x80
        digest.text = base64.b64encode(bytes(raw)).decode()
        assert_refused(SignatureError, "Signature verification failed", verify_tree(to_bytes(root), vtn, now))
        digest.text = original
    make_verifier(fixed(now)).verify(root, certificate=vtn.certificate)  # restored: sound


def test_changed_signature_method_uri_keeps_the_key_type(
    no_signxml: SignxmlCalls, vtn: Credentials, key_type: KeyType, now: datetime
) -> None:
    """RSA-SHA256 named for an ECC key (and the reverse) is refused before any key operation."""
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    method = signature_of(root).find("ds:SignedInfo/ds:SignatureMethod", NS)
    assert method is not None
    other = "ecdsa-sha256" if key_type is KeyType.RSA else "rsa-sha256"
    method.set("Algorithm", f"http://www.w3.org/2001/04/xmldsig-more#{other}")
    assert_refused(
        SignatureError, "does not match specified signature algorithm", verify_tree(to_bytes(root), vtn, now)
    )


def test_signature_value_of_another_key(
    no_signxml: SignxmlCalls, vtn: Credentials, ven: Credentials, now: datetime
) -> None:
    """The SignatureValue that another key made over this very SignedInfo."""
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    resign(root, ven)
    assert_refused(SignatureError, "Signature verification failed", verify_tree(to_bytes(root), vtn, now))


@pytest.mark.parametrize("change", ["one byte short", "one byte more", "DER", "empty", "not base64"])
def test_malformed_signature_value(
    change: str, no_signxml: SignxmlCalls, pki_ecc_vtn: Credentials, now: datetime
) -> None:
    vtn = pki_ecc_vtn
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    value = signature_of(root).find("ds:SignatureValue", NS)
    assert value is not None
    assert value.text is not None
    raw = base64.b64decode(value.text)
    assert len(raw) == 64  # P-256: r || s, 32 bytes each
    fragment = "expected 64 byte SignatureValue"
    if change == "one byte short":
        value.text = base64.b64encode(raw[:-1]).decode()
    elif change == "one byte more":
        value.text = base64.b64encode(raw + b"\0").decode()
    elif change == "DER":  # what cryptography returns: not XML DSig's encoding
        signed_info = signature_of(root).find("ds:SignedInfo", NS)
        assert signed_info is not None
        key = load_private_key(vtn.key)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        der = key.sign(etree.tostring(signed_info, method="c14n", exclusive=True), ec.ECDSA(hashes.SHA256()))
        value.text = base64.b64encode(der).decode()
        fragment = "byte SignatureValue"
    elif change == "empty":
        value.text = ""
        fragment = "got 0"
    else:
        value.text = "not*base64"
        fragment = "SignatureValue: not base64"
    assert_refused(SignatureError, fragment, verify_tree(to_bytes(root), vtn, now))


@pytest.fixture
def pki_ecc_vtn(pki: TestPKI) -> Credentials:
    return pki.vtn(KeyType.ECC)


def test_signed_object_swapped_for_a_forged_one_with_the_original_under_id(
    no_signxml: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """The original kept under an attribute named ID (signxml's second choice, not looked at
    while an Id matches): the reference resolves to the forged object, whose digest differs."""
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    original = root[1]
    root.remove(original)
    del original.attrib[OADR_ID]
    keeper = etree.SubElement(signature_of(root), f"{{{DS}}}Object", ID="oadrSignedObject")
    keeper.append(original)
    root.append(forged_signed_object(with_id=True))
    data = to_bytes(root)
    assert_never_forged(data, vtn, now)
    assert_refused(
        SignatureError, "Digest mismatch for reference 0 (#oadrSignedObject)", verify_tree(data, vtn, now)
    )


@pytest.mark.parametrize(
    "holder",
    ["namespaced Id on a ds:Object", "plain Id inside the message", "Id on the signature"],
)
def test_second_element_with_the_signed_object_id(
    holder: str, no_signxml: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """Any second element carrying the referenced Id (any namespace, local name Id) is refused as
    ambiguous, as signxml does, even where it holds the genuine signed object."""
    root = etree.fromstring(make_signer(vtn, fixed(now)).serialize(MESSAGE))
    if holder == "namespaced Id on a ds:Object":
        original = root[1]
        root.remove(original)
        keeper = etree.SubElement(signature_of(root), f"{{{DS}}}Object")
        keeper.set("{urn:example:attacker}Id", "oadrSignedObject")
        keeper.append(original)
        root.append(forged_signed_object(with_id=True))
    elif holder == "plain Id inside the message":
        root[1][0][0].set("Id", "oadrSignedObject")
    else:
        signature_of(root).set("Id", "oadrSignedObject")
    data = to_bytes(root)
    assert_never_forged(data, vtn, now)
    assert_refused(SignatureError, "Ambiguous reference URI #oadrSignedObject", verify_tree(data, vtn, now))


def test_second_element_with_the_properties_id(
    no_signxml: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """A fresh ReplayProtect in the signature's ds:Object, the signed one kept under the same Id
    elsewhere: ambiguous, refused."""
    data = make_signer(vtn, fixed(now), nonce=lambda: "used").serialize(MESSAGE)
    root = etree.fromstring(data)
    signature = signature_of(root)
    signed_properties = signature.find("ds:Object", NS)
    assert signed_properties is not None
    key_info = signature.find("ds:KeyInfo", NS)
    assert key_info is not None
    fresh = etree.fromstring(etree.tostring(signed_properties))
    nonce = fresh.find(".//dsp:nonce", NS)
    assert nonce is not None
    nonce.text = "fresh"
    signature.replace(signed_properties, fresh)
    key_info.append(signed_properties)  # the signed one, with Id="prop", inside KeyInfo
    assert_refused(SignatureError, "Ambiguous reference URI #prop", verify_tree(to_bytes(root), vtn, now))


def test_properties_id_also_on_an_element_of_the_message(
    no_signxml: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """Signed with the message already holding an element with Id="prop" (every digest sound):
    the second reference is ambiguous, refused."""
    unsigned = etree.fromstring(xml.serialize(MESSAGE))
    unsigned[0][0][0].set("Id", "prop")
    root = hand_sign(to_bytes(unsigned), vtn, objects=standard_objects(now, "ambiguous"))
    assert_refused(SignatureError, "Ambiguous reference URI #prop", verify_tree(to_bytes(root), vtn, now))


def test_digest_of_a_decoy_with_the_same_id(
    no_signxml: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """SignedInfo correctly signed over the digest of a forged object; the document carries the
    forged object under another Id and the genuine one under oadrSignedObject: the digest is
    taken over the element the reference resolves to, so it does not match."""
    signer = make_signer(vtn, fixed(now))
    forged = etree.fromstring(xml.serialize(FORGED))[0]
    root = etree.fromstring(signer.serialize(MESSAGE))
    digest = signature_of(root).find("ds:SignedInfo/ds:Reference/ds:DigestValue", NS)
    assert digest is not None
    digest.text = base64.b64encode(
        hashlib.sha256(etree.tostring(forged, method="c14n", exclusive=True)).digest()
    ).decode()
    resign(root, vtn)  # the attacker holds the key here: only the digest can tell
    forged.set(OADR_ID, "decoy")
    decoy_holder = etree.SubElement(signature_of(root), f"{{{DS}}}Object")
    decoy_holder.append(forged)
    assert_refused(
        SignatureError,
        "Digest mismatch for reference 0 (#oadrSignedObject)",
        verify_tree(to_bytes(root), vtn, now),
    )


def test_replay_protect_is_read_from_the_signed_bytes(
    no_signxml: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """A comment splitting the nonce (kept in a tree that did not come from parse_tree) does not
    change the digest, nor the nonce read: the replay is caught."""
    data = make_signer(vtn, fixed(now), nonce=lambda: "split-me").serialize(MESSAGE)
    guard = ReplayGuard(clock=fixed(now))
    make_verifier(fixed(now), guard).verify(etree.fromstring(data), certificate=vtn.certificate)
    root = etree.fromstring(data)
    nonce = root.find(".//dsp:nonce", NS)
    assert nonce is not None
    nonce.text = "split"
    comment = etree.Comment("x")
    comment.tail = "-me"
    nonce.append(comment)
    assert root.findtext(f".//{{{DSP}}}nonce") == "split"
    assert_refused(
        ReplayError,
        "'split-me' was already used",
        lambda: make_verifier(fixed(now), guard).verify(root, certificate=vtn.certificate),
    )


def test_signed_info_with_an_extra_attribute_leaves_the_fast_path(
    signxml_calls: SignxmlCalls, vtn: Credentials, now: datetime
) -> None:
    """An Id on SignedInfo (allowed by XML DSig) is not the Signer's shape: signxml decides."""
    root = etree.fromstring(make_signer(vtn, fixed(now), nonce=lambda: "attr").serialize(MESSAGE))
    signed_info = signature_of(root).find("ds:SignedInfo", NS)
    assert signed_info is not None
    signed_info.set("Id", "si")
    assert_refused(SignatureError, "Signature verification failed", verify_tree(to_bytes(root), vtn, now))
    assert signxml_calls.count == 1
    resign(root, vtn)
    assert make_verifier(fixed(now)).verify(root, certificate=vtn.certificate).nonce == "attr"
    assert signxml_calls.count == 2
