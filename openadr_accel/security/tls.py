"""TLS for OpenADR 2.0b: one call builds the context of a VTN or of a VEN.

2.0b requires TLS 1.2 with mutual authentication and exactly two cipher suites, chosen by the
certificate's key type:

- ``TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256`` (OpenSSL: ``ECDHE-ECDSA-AES128-SHA256``) with ECC
  P-256 certificates;
- ``TLS_RSA_WITH_AES_128_CBC_SHA256`` (OpenSSL: ``AES128-SHA256``) with RSA-2048 certificates.

That is the default here. ``allow_tls13=True`` also admits TLS 1.3 (with OpenSSL's TLS 1.3 suites,
which this setting does not restrict) for deployments that have agreed on it; certification
expects TLS 1.2.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

from ..errors import SecurityConfigurationError
from .certificates import Credentials, der_fingerprint, load_certificate, load_private_key

__all__ = [
    "CIPHER_SUITES",
    "OPENSSL_CIPHERS",
    "peer_fingerprint",
    "ven_ssl_context",
    "vtn_ssl_context",
]

CIPHER_SUITES = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": "ECDHE-ECDSA-AES128-SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA256": "AES128-SHA256",
}
"""The two 2.0b cipher suites: IANA name to OpenSSL name."""

OPENSSL_CIPHERS = ":".join(CIPHER_SUITES.values())
"""The two suites as an OpenSSL cipher list (for ``SSLContext.set_ciphers``)."""


def vtn_ssl_context(
    credentials: Credentials | Sequence[Credentials],
    ca_bundle: Path | str,
    *,
    allow_tls13: bool = False,
) -> ssl.SSLContext:
    """The server context of a VTN (or of a VEN that serves push): client certificates required.

    Args:
        credentials: the server's certificate chain and key; give an RSA and an ECC pair to
            serve both kinds of client (OpenSSL picks the one that fits the negotiated suite).
        ca_bundle: the CA certificates that client certificates must chain to.
        allow_tls13: also admit TLS 1.3 (default: TLS 1.2 only, as 2.0b specifies).

    Raises:
        SecurityConfigurationError: if a file is missing or a key does not match its certificate.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _restrict(context, allow_tls13)
    context.verify_mode = ssl.CERT_REQUIRED
    _load_trust(context, ca_bundle)
    for pair in [credentials] if isinstance(credentials, Credentials) else credentials:
        _load_credentials(context, pair)
    return context


def ven_ssl_context(
    credentials: Credentials,
    ca_bundle: Path | str,
    *,
    allow_tls13: bool = False,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """The client context of a VEN (or of a VTN that pushes): verifies the server, presents ours.

    Args:
        credentials: the client's certificate chain and key (2.0b requires a client certificate).
        ca_bundle: the CA certificates the server's certificate must chain to.
        allow_tls13: also admit TLS 1.3 (default: TLS 1.2 only, as 2.0b specifies).
        check_hostname: check the server's name against its certificate (keep it on).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _restrict(context, allow_tls13)
    context.check_hostname = check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    _load_trust(context, ca_bundle)
    _load_credentials(context, credentials)
    return context


def peer_fingerprint(connection: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """The 2.0b fingerprint of the certificate the peer presented, or None without one."""
    if connection is None:
        return None
    der = connection.getpeercert(binary_form=True)  # verified by OpenSSL: no need to parse it again
    return der_fingerprint(der) if der else None


def _restrict(context: ssl.SSLContext, allow_tls13: bool) -> None:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3 if allow_tls13 else ssl.TLSVersion.TLSv1_2
    context.set_ciphers(OPENSSL_CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION


def _load_trust(context: ssl.SSLContext, ca_bundle: Path | str) -> None:
    try:
        context.load_verify_locations(cafile=str(ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        raise SecurityConfigurationError(f"cannot load the CA bundle {ca_bundle}: {exc}") from exc


def _load_credentials(context: ssl.SSLContext, credentials: Credentials) -> None:
    # OpenSSL checks a key only against the loaded certificate of its own key type, so a pair
    # loaded after another could pass unmatched: check each pair here.
    if (
        load_private_key(credentials.key).public_key()
        != load_certificate(credentials.certificate).public_key()
    ):
        raise SecurityConfigurationError(
            f"the key {credentials.key} does not belong to the certificate {credentials.certificate}"
        )
    try:
        context.load_cert_chain(str(credentials.certificate), str(credentials.key))
    except (OSError, ssl.SSLError) as exc:
        raise SecurityConfigurationError(
            f"cannot load the certificate {credentials.certificate} with the key {credentials.key}: {exc}"
        ) from exc
