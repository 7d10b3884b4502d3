"""Mutual TLS between a VTN and a VEN over real sockets on 127.0.0.1.

Every exchange runs a real ``asyncio.start_server`` with :func:`vtn_ssl_context` and a real client.
The event loop runs in debug mode so that a failed server-side handshake reaches our exception
handler with its OpenSSL reason: a refusal is checked for *why* it happened, not only that it did.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from openadr_accel.errors import SecurityConfigurationError
from openadr_accel.security import (
    CIPHER_SUITES,
    OPENSSL_CIPHERS,
    Credentials,
    KeyType,
    TestPKI,
    fingerprint,
    peer_fingerprint,
    ven_ssl_context,
    vtn_ssl_context,
)

EXPECTED_SUITE = {KeyType.RSA: "AES128-SHA256", KeyType.ECC: "ECDHE-ECDSA-AES128-SHA256"}
GREETING = b"hello from the VTN"
TIMEOUT = 10.0


@dataclass
class Exchange:
    """What each end of one connection saw."""

    client_cipher: tuple[str, str, int] | None = None
    client_peer_fingerprint: str | None = None
    client_error: BaseException | None = None
    received: bytes | None = None
    server_calls: int = 0
    server_cipher: tuple[str, str, int] | None = None
    server_peer_fingerprint: str | None = None
    server_errors: list[BaseException] = field(default_factory=list)

    def assert_refused(self) -> None:
        """The handshake failed: the client got an error and the server never delivered data."""
        assert self.client_error is not None, "the client connected"
        assert isinstance(self.client_error, ssl.SSLError | ConnectionError), repr(self.client_error)
        assert self.received is None
        assert self.client_cipher is None
        assert self.server_calls == 0

    def server_reason(self) -> str:
        return " | ".join(str(error) for error in self.server_errors)


async def _exchange(server_context: ssl.SSLContext, client_context: ssl.SSLContext) -> Exchange:
    loop = asyncio.get_running_loop()
    loop.set_debug(True)  # asyncio reports failed incoming handshakes only in debug mode
    seen = Exchange()

    def on_error(_: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            seen.server_errors.append(error)

    loop.set_exception_handler(on_error)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.server_calls += 1
        ssl_object = writer.get_extra_info("ssl_object")
        seen.server_cipher = ssl_object.cipher()
        seen.server_peer_fingerprint = peer_fingerprint(ssl_object)
        writer.write(GREETING)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(
        serve, "127.0.0.1", 0, ssl=server_context, ssl_handshake_timeout=TIMEOUT
    )
    port = server.sockets[0].getsockname()[1]
    try:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, ssl=client_context, server_hostname="localhost"),
                TIMEOUT,
            )
        except (ssl.SSLError, ConnectionError) as exc:
            seen.client_error = exc
        else:
            ssl_object = writer.get_extra_info("ssl_object")
            seen.client_cipher = ssl_object.cipher()
            seen.client_peer_fingerprint = peer_fingerprint(ssl_object)
            try:
                seen.received = await asyncio.wait_for(reader.read(), TIMEOUT)
            except (ssl.SSLError, ConnectionError) as exc:
                seen.client_error = exc
            writer.close()
        # let the server side finish: its handler ran, or its handshake failure was reported
        for _ in range(200):
            if seen.server_calls or seen.server_errors:
                break
            await asyncio.sleep(0.01)
    finally:
        server.close()
        await server.wait_closed()
    return seen


def exchange(server_context: ssl.SSLContext, client_context: ssl.SSLContext) -> Exchange:
    return asyncio.run(asyncio.wait_for(_exchange(server_context, client_context), 3 * TIMEOUT))


def _other(key_type: KeyType) -> KeyType:
    return KeyType.ECC if key_type is KeyType.RSA else KeyType.RSA


# --- the contexts themselves ------------------------------------------------------------------


def test_cipher_suites_are_the_two_of_2_0b() -> None:
    assert CIPHER_SUITES == {
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": "ECDHE-ECDSA-AES128-SHA256",
        "TLS_RSA_WITH_AES_128_CBC_SHA256": "AES128-SHA256",
    }
    assert set(OPENSSL_CIPHERS.split(":")) == set(CIPHER_SUITES.values())


@pytest.mark.parametrize("key_type", list(KeyType))
def test_context_settings(pki: TestPKI, key_type: KeyType) -> None:
    server = vtn_ssl_context(pki.vtn(key_type), pki.ca_bundle)
    client = ven_ssl_context(pki.ven("ven1", key_type), pki.ca_bundle)
    for context in (server, client):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
        assert context.maximum_version == ssl.TLSVersion.TLSv1_2
        assert context.verify_mode == ssl.CERT_REQUIRED
        tls12 = {cipher["name"] for cipher in context.get_ciphers() if cipher["protocol"] == "TLSv1.2"}
        assert tls12 == set(CIPHER_SUITES.values())
        assert context.options & ssl.OP_NO_COMPRESSION
        assert context.options & ssl.OP_NO_RENEGOTIATION
    assert client.check_hostname
    assert not ven_ssl_context(pki.ven("ven1", key_type), pki.ca_bundle, check_hostname=False).check_hostname
    assert vtn_ssl_context(pki.vtn(key_type), pki.ca_bundle, allow_tls13=True).maximum_version == (
        ssl.TLSVersion.TLSv1_3
    )


# --- handshakes that succeed ------------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("client_type", list(KeyType))
@pytest.mark.parametrize("server_type", list(KeyType))
def test_each_server_key_type_negotiates_its_suite(
    pki: TestPKI, server_type: KeyType, client_type: KeyType
) -> None:
    client_credentials = pki.ven("ven1", client_type)
    seen = exchange(
        vtn_ssl_context(pki.vtn(server_type), pki.ca_bundle),
        ven_ssl_context(client_credentials, pki.ca_bundle),
    )
    assert seen.client_error is None, seen.client_error
    assert seen.received == GREETING
    assert seen.server_calls == 1
    assert seen.client_cipher is not None
    assert seen.server_cipher is not None
    assert seen.client_cipher[:2] == (EXPECTED_SUITE[server_type], "TLSv1.2")
    assert seen.server_cipher[:2] == (EXPECTED_SUITE[server_type], "TLSv1.2")
    # both ends know who the other is
    assert seen.server_peer_fingerprint == fingerprint(client_credentials.certificate)
    assert seen.client_peer_fingerprint == fingerprint(pki.vtn(server_type).certificate)
    assert seen.server_errors == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize("client_type", list(KeyType))
def test_server_with_both_credentials_accepts_clients(pki: TestPKI, client_type: KeyType) -> None:
    server = vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle)
    client_credentials = pki.ven("ven1", client_type)
    seen = exchange(server, ven_ssl_context(client_credentials, pki.ca_bundle))
    assert seen.received == GREETING
    assert seen.client_cipher is not None
    assert seen.client_cipher[0] in CIPHER_SUITES.values()
    assert seen.client_cipher[1] == "TLSv1.2"
    assert seen.server_peer_fingerprint == fingerprint(client_credentials.certificate)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("suite_type", list(KeyType))
def test_server_with_both_credentials_presents_the_one_that_fits_the_suite(
    pki: TestPKI, suite_type: KeyType
) -> None:
    """A client offering only one 2.0b suite gets the VTN certificate of that suite's key type."""
    server = vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle)
    client = ven_ssl_context(pki.ven("ven1", _other(suite_type)), pki.ca_bundle)
    client.set_ciphers(EXPECTED_SUITE[suite_type])
    seen = exchange(server, client)
    assert seen.received == GREETING
    assert seen.client_cipher is not None
    assert seen.client_cipher[:2] == (EXPECTED_SUITE[suite_type], "TLSv1.2")
    assert seen.client_peer_fingerprint == fingerprint(pki.vtn(suite_type).certificate)


@pytest.mark.timeout(30)
def test_tls13_when_both_sides_allow_it(pki: TestPKI) -> None:
    client_credentials = pki.ven("ven1", KeyType.ECC)
    seen = exchange(
        vtn_ssl_context(pki.vtn(KeyType.RSA), pki.ca_bundle, allow_tls13=True),
        ven_ssl_context(client_credentials, pki.ca_bundle, allow_tls13=True),
    )
    assert seen.received == GREETING
    assert seen.client_cipher is not None
    assert seen.server_cipher is not None
    assert seen.client_cipher[1] == "TLSv1.3"
    assert seen.server_cipher[1] == "TLSv1.3"
    assert seen.server_peer_fingerprint == fingerprint(client_credentials.certificate)


@pytest.mark.timeout(30)
def test_tls13_server_still_speaks_tls12_to_a_default_ven(pki: TestPKI) -> None:
    seen = exchange(
        vtn_ssl_context(pki.vtn(KeyType.ECC), pki.ca_bundle, allow_tls13=True),
        ven_ssl_context(pki.ven("ven1", KeyType.RSA), pki.ca_bundle),
    )
    assert seen.client_cipher is not None
    assert seen.client_cipher[:2] == ("ECDHE-ECDSA-AES128-SHA256", "TLSv1.2")


# --- handshakes the VTN refuses ---------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("server_type", list(KeyType))
def test_client_without_certificate_is_refused(pki: TestPKI, server_type: KeyType) -> None:
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cafile=str(pki.ca_bundle))
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.set_ciphers(OPENSSL_CIPHERS)  # Python's defaults lack AES128-SHA256: only the certificate differs
    seen = exchange(vtn_ssl_context(pki.vtn(server_type), pki.ca_bundle), client)
    seen.assert_refused()
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in seen.server_reason()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("client_type", list(KeyType))
def test_client_certificate_of_another_pki_is_refused(
    pki: TestPKI, other_pki: TestPKI, client_type: KeyType
) -> None:
    """The client trusts the VTN (our CA bundle) but its own certificate is from elsewhere."""
    seen = exchange(
        vtn_ssl_context(pki.vtn(client_type), pki.ca_bundle),
        ven_ssl_context(other_pki.ven("ven1", client_type), pki.ca_bundle),
    )
    seen.assert_refused()
    assert "unable to get local issuer certificate" in seen.server_reason()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("client_type", list(KeyType))
def test_expired_client_certificate_is_refused(
    pki: TestPKI, expired_ven: dict[KeyType, Credentials], client_type: KeyType
) -> None:
    seen = exchange(
        vtn_ssl_context(pki.vtn(KeyType.ECC), pki.ca_bundle),
        ven_ssl_context(expired_ven[client_type], pki.ca_bundle),
    )
    seen.assert_refused()
    reason = seen.server_reason()
    assert "CERTIFICATE_VERIFY_FAILED" in reason
    # the expired leaf is older than its intermediate, so OpenSSL may name either time problem
    assert "expired" in reason or "not yet valid" in reason


@pytest.mark.timeout(30)
def test_non_2_0b_cipher_is_refused(pki: TestPKI) -> None:
    client = ven_ssl_context(pki.ven("ven1", KeyType.RSA), pki.ca_bundle)
    client.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256")
    assert client.maximum_version == ssl.TLSVersion.TLSv1_2
    seen = exchange(vtn_ssl_context([pki.vtn(KeyType.RSA), pki.vtn(KeyType.ECC)], pki.ca_bundle), client)
    seen.assert_refused()
    assert "NO_SHARED_CIPHER" in seen.server_reason()


@pytest.mark.timeout(30)
def test_tls13_only_client_is_refused_by_default(pki: TestPKI) -> None:
    client = ven_ssl_context(pki.ven("ven1", KeyType.RSA), pki.ca_bundle)
    client.maximum_version = ssl.TLSVersion.TLSv1_3
    client.minimum_version = ssl.TLSVersion.TLSv1_3
    seen = exchange(vtn_ssl_context(pki.vtn(KeyType.RSA), pki.ca_bundle), client)
    seen.assert_refused()
    assert "UNSUPPORTED_PROTOCOL" in seen.server_reason()


# --- handshakes the VEN refuses ---------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("server_type", list(KeyType))
def test_ven_trusting_another_pki_refuses_the_vtn(
    pki: TestPKI, other_pki: TestPKI, server_type: KeyType
) -> None:
    seen = exchange(
        vtn_ssl_context(pki.vtn(server_type), pki.ca_bundle),
        ven_ssl_context(pki.ven("ven1", server_type), other_pki.ca_bundle),
    )
    seen.assert_refused()
    assert isinstance(seen.client_error, ssl.SSLCertVerificationError)
    assert "unable to get local issuer certificate" in str(seen.client_error)


@pytest.mark.timeout(30)
def test_ven_refuses_a_vtn_certificate_for_another_name(pki: TestPKI) -> None:
    """Hostname checking is on: the VTN certificate names localhost and 127.0.0.1 only."""

    async def connect() -> BaseException | None:
        server = await asyncio.start_server(
            lambda _r, w: w.close(),
            "127.0.0.1",
            0,
            ssl=vtn_ssl_context(pki.vtn(KeyType.RSA), pki.ca_bundle),
        )
        port = server.sockets[0].getsockname()[1]
        client = ven_ssl_context(pki.ven("ven1", KeyType.RSA), pki.ca_bundle)
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, ssl=client, server_hostname="vtn.example.com"),
                TIMEOUT,
            )
            writer.close()
        except ssl.SSLError as exc:
            return exc
        finally:
            server.close()
            await server.wait_closed()
        return None

    error = asyncio.run(asyncio.wait_for(connect(), 3 * TIMEOUT))
    assert isinstance(error, ssl.SSLCertVerificationError)
    assert "vtn.example.com" in str(error)


# --- configuration errors ---------------------------------------------------------------------


@pytest.mark.parametrize("make", [vtn_ssl_context, ven_ssl_context])
def test_key_of_another_certificate_is_a_configuration_error(
    pki: TestPKI, make: Callable[..., ssl.SSLContext]
) -> None:
    mismatched = Credentials(pki.vtn(KeyType.RSA).certificate, pki.ven("ven1", KeyType.RSA).key)
    with pytest.raises(SecurityConfigurationError, match="does not belong to the certificate") as caught:
        make(mismatched, pki.ca_bundle)
    assert str(mismatched.certificate) in str(caught.value)
    assert str(mismatched.key) in str(caught.value)


def test_key_of_the_other_key_type_is_a_configuration_error(pki: TestPKI) -> None:
    mismatched = Credentials(pki.vtn(KeyType.RSA).certificate, pki.vtn(KeyType.ECC).key)
    with pytest.raises(SecurityConfigurationError, match="does not belong to the certificate"):
        vtn_ssl_context(mismatched, pki.ca_bundle)
    with pytest.raises(SecurityConfigurationError, match="does not belong to the certificate"):
        vtn_ssl_context([mismatched, pki.vtn(KeyType.ECC)], pki.ca_bundle)


def test_mismatched_pair_after_a_good_pair_is_a_configuration_error(pki: TestPKI) -> None:
    mismatched = Credentials(pki.vtn(KeyType.RSA).certificate, pki.vtn(KeyType.ECC).key)
    with pytest.raises(SecurityConfigurationError):
        vtn_ssl_context([pki.vtn(KeyType.ECC), mismatched], pki.ca_bundle)


@pytest.mark.parametrize("missing", ["certificate", "key"])
def test_missing_credential_file_is_a_configuration_error(pki: TestPKI, tmp_path: Path, missing: str) -> None:
    good = pki.ven("ven1", KeyType.ECC)
    absent = tmp_path / "absent.pem"
    credentials = Credentials(
        absent if missing == "certificate" else good.certificate,
        absent if missing == "key" else good.key,
    )
    with pytest.raises(SecurityConfigurationError, match=str(absent)):
        ven_ssl_context(credentials, pki.ca_bundle)
    with pytest.raises(SecurityConfigurationError, match=str(absent)):
        vtn_ssl_context(credentials, pki.ca_bundle)


def test_missing_or_bad_ca_bundle_is_a_configuration_error(pki: TestPKI, tmp_path: Path) -> None:
    absent = tmp_path / "no-bundle.pem"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("this is not a certificate\n")
    for bundle in (absent, garbage):
        with pytest.raises(SecurityConfigurationError, match="cannot load the CA bundle") as caught:
            vtn_ssl_context(pki.vtn(KeyType.RSA), bundle)
        assert str(bundle) in str(caught.value)
        with pytest.raises(SecurityConfigurationError, match="cannot load the CA bundle"):
            ven_ssl_context(pki.ven("ven1", KeyType.RSA), bundle)


def test_configuration_error_is_a_value_error() -> None:
    assert issubclass(SecurityConfigurationError, ValueError)


def test_peer_fingerprint_without_connection() -> None:
    assert peer_fingerprint(None) is None
