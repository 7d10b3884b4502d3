"""The 2.0b certificate fingerprint, certificate loading, and venID binding (response 463)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import ssl
import struct
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from samples import SAMPLES, VEN_ID, ok

from openadr_accel import model as m
from openadr_accel.errors import (
    CertificateMismatchError,
    NotAuthorizedError,
    OpenADRError,
    SecurityConfigurationError,
)
from openadr_accel.security import (
    Credentials,
    KeyType,
    TestPKI,
    VenCertificateBindings,
    check_sender,
    fingerprint,
    issue_ven,
    load_certificate,
    load_certificate_chain,
    load_private_key,
    payload_ven_id,
    peer_fingerprint,
    ven_ssl_context,
    vtn_ssl_context,
)
from openadr_accel.xml import parse, serialize

FINGERPRINT_FORMAT = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){9}$")
TIMEOUT = 10.0


def _pem_blocks(path: Path) -> list[str]:
    return re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", path.read_text(), re.S)


def expected_fingerprint(pem_block: str) -> str:
    """2.0b: SHA-256 over the DER certificate, its last 10 bytes, upper-case hex joined by colons.

    Computed with the standard library only (``ssl`` for PEM to DER, ``hashlib``), independently of
    the library and of ``cryptography``.
    """
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem_block)).digest()
    return ":".join(digest[-10:].hex().upper()[i : i + 2] for i in range(0, 20, 2))


@pytest.fixture(scope="module")
def ven_b(pki: TestPKI) -> dict[KeyType, Credentials]:
    """A second VEN of the session PKI (certificate "B" of the binding tests)."""
    return issue_ven("binding-b", pki.directory)


# --- fingerprint ------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", list(KeyType))
@pytest.mark.parametrize("stem", ["vtn", "ven-ven1", "intermediate-ca", "root-ca"])
def test_fingerprint_is_the_2_0b_one(pki: TestPKI, key_type: KeyType, stem: str) -> None:
    path = pki.directory / key_type.value / f"{stem}.pem"
    expected = expected_fingerprint(_pem_blocks(path)[0])
    assert FINGERPRINT_FORMAT.match(expected)
    assert fingerprint(path) == expected


@pytest.mark.parametrize("key_type", list(KeyType))
def test_every_source_form_gives_the_same_fingerprint(
    pki: TestPKI, tmp_path: Path, key_type: KeyType
) -> None:
    path = pki.ven("ven1", key_type).certificate
    chain_pem = path.read_bytes()
    leaf_pem = _pem_blocks(path)[0]
    certificate = x509.load_pem_x509_certificate(leaf_pem.encode())
    der = certificate.public_bytes(serialization.Encoding.DER)
    der_file = tmp_path / "leaf.der"
    der_file.write_bytes(der)
    expected = expected_fingerprint(leaf_pem)
    sources: dict[str, x509.Certificate | bytes | str | Path] = {
        "Path of the chain file": path,
        "str path": str(path),
        "PEM bytes of the chain": chain_pem,
        "PEM bytes of the leaf": leaf_pem.encode(),
        "PEM text of the chain": chain_pem.decode(),
        "PEM text of the leaf": leaf_pem,
        "PEM bytes with leading blank lines": b"\n\n" + chain_pem,
        "DER bytes": der,
        "DER file": der_file,
        "x509 object": certificate,
        "loaded certificate": load_certificate(path),
    }
    assert {name: fingerprint(source) for name, source in sources.items()} == dict.fromkeys(sources, expected)


@pytest.mark.parametrize("key_type", list(KeyType))
def test_chain_file_gives_the_leafs_fingerprint(pki: TestPKI, key_type: KeyType) -> None:
    chain = pki.vtn(key_type).certificate
    leaf_block, intermediate_block = _pem_blocks(chain)
    assert fingerprint(chain) == expected_fingerprint(leaf_block)
    assert fingerprint(chain) != expected_fingerprint(intermediate_block)
    assert fingerprint(pki.intermediate(key_type).certificate) == expected_fingerprint(intermediate_block)


def test_distinct_certificates_have_distinct_fingerprints(
    pki: TestPKI, other_pki: TestPKI, ven_b: dict[KeyType, Credentials]
) -> None:
    paths = [
        credentials.certificate
        for made in (pki, other_pki)
        for key_type in KeyType
        for credentials in (made.vtn(key_type), made.ven("ven1", key_type), made.root(key_type))
    ] + [credentials.certificate for credentials in ven_b.values()]
    assert len({fingerprint(path) for path in paths}) == len(paths)


def test_pem_bytes_with_a_preamble(pki: TestPKI, tmp_path: Path) -> None:
    path = pki.ven("ven1", KeyType.RSA).certificate
    with_preamble = b"subject=CN=ven1\nissuer=CN=intermediate\n" + path.read_bytes()
    copy = tmp_path / "with-preamble.pem"
    copy.write_bytes(with_preamble)
    assert fingerprint(copy) == fingerprint(path)  # the Path route parses PEM anywhere in the file
    assert fingerprint(with_preamble.decode()) == fingerprint(path)  # so does PEM text
    assert fingerprint(with_preamble) == fingerprint(path)  # the bytes route does not


def test_unreadable_or_invalid_certificate_is_a_configuration_error(tmp_path: Path) -> None:
    absent = tmp_path / "absent.pem"
    with pytest.raises(SecurityConfigurationError, match="cannot read"):
        fingerprint(absent)
    with pytest.raises(SecurityConfigurationError, match="not a PEM or DER certificate"):
        fingerprint("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    garbage = tmp_path / "garbage.der"
    garbage.write_bytes(b"\x30\x03\x02\x01\x00 not a certificate")
    with pytest.raises(SecurityConfigurationError, match="not a PEM or DER certificate"):
        fingerprint(garbage)


# --- loading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", list(KeyType))
def test_load_certificate_chain_and_key(pki: TestPKI, key_type: KeyType) -> None:
    credentials = pki.ven("ven1", key_type)
    chain = load_certificate_chain(credentials.certificate)
    assert [certificate.subject for certificate in chain] == [
        load_certificate(credentials.certificate).subject,
        load_certificate(pki.intermediate(key_type).certificate).subject,
    ]
    key = load_private_key(credentials.key)
    assert isinstance(key, rsa.RSAPrivateKey if key_type is KeyType.RSA else ec.EllipticCurvePrivateKey)
    assert key.public_key() == chain[0].public_key()
    assert load_private_key(key) is key
    # from PEM bytes and from DER bytes too
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert load_private_key(credentials.key.read_bytes()).public_key() == key.public_key()
    assert load_private_key(der).public_key() == key.public_key()


def test_encrypted_key_needs_its_password(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "encrypted.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    with pytest.raises(SecurityConfigurationError, match="cannot load the private key"):
        load_private_key(path)
    assert load_private_key(path, password=b"s3cret").public_key() == key.public_key()


def test_key_type_outside_2_0b_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ed25519.key"
    path.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(SecurityConfigurationError, match="RSA or ECC keys, not Ed25519PrivateKey"):
        load_private_key(path)
    good = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    begin, *_, end, _ = good.split(b"\n")
    with pytest.raises(SecurityConfigurationError, match="cannot load the private key"):
        load_private_key(b"\n".join([begin, b"AAAA", end, b""]))  # PEM armour around a non-key


# --- binding: check_sender and VenCertificateBindings -----------------------------------------


@pytest.fixture(scope="module")
def fingerprints(pki: TestPKI, ven_b: dict[KeyType, Credentials]) -> tuple[str, str]:
    """Fingerprints of certificate A (VEN ven1, RSA) and B (VEN binding-b, RSA)."""
    return fingerprint(pki.ven("ven1", KeyType.RSA).certificate), fingerprint(ven_b[KeyType.RSA].certificate)


def test_matching_ven_id_passes(fingerprints: tuple[str, str]) -> None:
    a, _ = fingerprints
    bindings = VenCertificateBindings({VEN_ID: a})
    poll = SAMPLES["oadrPoll"]
    assert payload_ven_id(poll) == VEN_ID
    bindings.check(poll, a)
    bindings.check(SAMPLES["oadrCreatedEvent"], a)
    check_sender(poll, a, a)


def test_ven_id_bound_to_another_certificate_is_463(fingerprints: tuple[str, str]) -> None:
    a, b = fingerprints
    bindings = VenCertificateBindings({VEN_ID: a})
    with pytest.raises(CertificateMismatchError) as caught:
        bindings.check(SAMPLES["oadrCreatedEvent"], b)
    error = caught.value
    assert isinstance(error, NotAuthorizedError)
    assert isinstance(error, OpenADRError)
    assert error.response_code == "463"
    assert error.response_code == m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED.value
    assert error.element == "venID"
    assert VEN_ID in error.message
    assert a in error.message
    assert b in error.message


def test_unbound_ven_id_is_463(fingerprints: tuple[str, str]) -> None:
    a, _ = fingerprints
    bindings = VenCertificateBindings({"some-other-ven": a})
    with pytest.raises(NotAuthorizedError, match="not bound to any certificate") as caught:
        bindings.check(SAMPLES["oadrPoll"], a)
    assert not isinstance(caught.value, CertificateMismatchError)
    assert caught.value.response_code == "463"
    with pytest.raises(NotAuthorizedError) as direct:
        check_sender(SAMPLES["oadrPoll"], None, a)
    assert direct.value.response_code == "463"


def test_no_peer_certificate_is_463(fingerprints: tuple[str, str]) -> None:
    a, _ = fingerprints
    bindings = VenCertificateBindings({VEN_ID: a})
    with pytest.raises(NotAuthorizedError, match="without a client certificate") as caught:
        bindings.check(SAMPLES["oadrPoll"], None)
    assert caught.value.response_code == "463"
    with pytest.raises(NotAuthorizedError):
        check_sender(SAMPLES["oadrPoll"], a, None)


@pytest.mark.parametrize(
    "payload",
    [
        m.OadrResponse(ei_response=ok("req-1")),
        SAMPLES["oadrCanceledOpt"],
        SAMPLES["oadrCreatePartyRegistration"],
        SAMPLES["oadrQueryRegistration"],
    ],
    ids=["oadrResponse-without-venID", "oadrCanceledOpt", "oadrCreatePartyRegistration", "oadrQuery"],
)
def test_payload_without_ven_id_passes(payload: m.Payload, fingerprints: tuple[str, str]) -> None:
    a, _ = fingerprints
    assert payload_ven_id(payload) is None
    VenCertificateBindings().check(payload, None)
    VenCertificateBindings({VEN_ID: a}).check(payload, a)
    check_sender(payload, None, None)


def test_oadr_response_with_a_ven_id_is_checked(fingerprints: tuple[str, str]) -> None:
    """oadrResponse's venID is optional; when present it is held to the binding like any other."""
    a, b = fingerprints
    response = SAMPLES["oadrResponse"]
    assert payload_ven_id(response) == VEN_ID
    bindings = VenCertificateBindings({VEN_ID: a})
    bindings.check(response, a)
    with pytest.raises(CertificateMismatchError):
        bindings.check(response, b)


@pytest.mark.parametrize("name", sorted(name for name, sample in SAMPLES.items() if payload_ven_id(sample)))
def test_every_message_naming_a_ven_id_is_checked(name: str, fingerprints: tuple[str, str]) -> None:
    a, b = fingerprints
    bindings = VenCertificateBindings({VEN_ID: a})
    bindings.check(SAMPLES[name], a)
    with pytest.raises(CertificateMismatchError) as caught:
        bindings.check(SAMPLES[name], b)
    assert caught.value.response_code == "463"


def test_bind_unbind_and_lookup(fingerprints: tuple[str, str]) -> None:
    a, b = fingerprints
    bindings = VenCertificateBindings()
    assert bindings.fingerprint_of(VEN_ID) is None
    bindings.bind(VEN_ID, a.lower())  # an operator may paste it in lower case
    assert bindings.fingerprint_of(VEN_ID) == a
    bindings.check(SAMPLES["oadrPoll"], a)
    bindings.bind(VEN_ID, b)  # rebinding replaces (a VEN got a new certificate)
    assert bindings.fingerprint_of(VEN_ID) == b
    with pytest.raises(CertificateMismatchError):
        bindings.check(SAMPLES["oadrPoll"], a)
    bindings.check(SAMPLES["oadrPoll"], b)
    bindings.unbind(VEN_ID)
    bindings.unbind(VEN_ID)  # forgetting twice is harmless
    assert bindings.fingerprint_of(VEN_ID) is None
    with pytest.raises(NotAuthorizedError, match="not bound"):
        bindings.check(SAMPLES["oadrPoll"], b)


def test_bindings_copy_their_initial_mapping(fingerprints: tuple[str, str]) -> None:
    a, _ = fingerprints
    initial = {VEN_ID: a}
    bindings = VenCertificateBindings(initial)
    initial.clear()
    assert bindings.fingerprint_of(VEN_ID) == a


def test_bindings_given_to_the_constructor_are_normalized_like_bind(fingerprints: tuple[str, str]) -> None:
    a, _ = fingerprints
    bindings = VenCertificateBindings({VEN_ID: a.lower()})
    assert bindings.fingerprint_of(VEN_ID) == a
    bindings.check(SAMPLES["oadrPoll"], a)


# --- binding end to end over mutual TLS -------------------------------------------------------


async def _send(
    pki: TestPKI, bindings: VenCertificateBindings, client: Credentials, payload: m.Payload
) -> tuple[bytes, list[tuple[m.Payload, str | None]]]:
    """One VEN-to-VTN message over mTLS; the VTN answers the response code of its check."""
    received: list[tuple[m.Payload, str | None]] = []

    async def vtn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            (length,) = struct.unpack("!I", await asyncio.wait_for(reader.readexactly(4), TIMEOUT))
            document = await asyncio.wait_for(reader.readexactly(length), TIMEOUT)
            message = parse(document)
            sender = peer_fingerprint(writer.get_extra_info("ssl_object"))
            received.append((message, sender))
            try:
                bindings.check(message, sender)
            except OpenADRError as exc:
                writer.write(exc.response_code.encode())
            else:
                writer.write(b"200")
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(
        vtn, "127.0.0.1", 0, ssl=vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle)
    )
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                "127.0.0.1", port, ssl=ven_ssl_context(client, pki.ca_bundle), server_hostname="localhost"
            ),
            TIMEOUT,
        )
        document = serialize(payload)
        writer.write(struct.pack("!I", len(document)) + document)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), TIMEOUT)
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    return answer, received


def send(
    pki: TestPKI, bindings: VenCertificateBindings, client: Credentials, payload: m.Payload
) -> tuple[bytes, list[tuple[m.Payload, str | None]]]:
    return asyncio.run(asyncio.wait_for(_send(pki, bindings, client, payload), 3 * TIMEOUT))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("key_type", list(KeyType))
def test_end_to_end_ven_id_binding_over_mtls(
    pki: TestPKI, ven_b: dict[KeyType, Credentials], key_type: KeyType
) -> None:
    """A VEN with certificate A may speak for the venID bound to A, not for the one bound to B."""
    cert_a, cert_b = pki.ven("ven1", key_type), ven_b[key_type]
    bindings = VenCertificateBindings({"ven-a": fingerprint(cert_a.certificate)})
    bindings.bind("ven-b", fingerprint(cert_b.certificate))

    as_a = m.OadrPoll(ven_id="ven-a")
    answer, received = send(pki, bindings, cert_a, as_a)
    assert answer == b"200"
    assert received == [(as_a, fingerprint(cert_a.certificate))]

    answer, received = send(pki, bindings, cert_a, m.OadrPoll(ven_id="ven-b"))
    assert answer == b"463"
    assert received[0][1] == fingerprint(cert_a.certificate)

    answer, _ = send(pki, bindings, cert_b, m.OadrPoll(ven_id="ven-b"))
    assert answer == b"200"

    answer, _ = send(pki, bindings, cert_a, m.OadrPoll(ven_id="ven-unknown"))
    assert answer == b"463"

    created = SAMPLES["oadrCreatedEvent"]
    bindings.bind(VEN_ID, fingerprint(cert_b.certificate))
    answer, received = send(pki, bindings, cert_a, created)
    assert answer == b"463"
    assert received[0][0] == created  # the message itself crossed intact
    answer, _ = send(pki, bindings, cert_b, created)
    assert answer == b"200"
