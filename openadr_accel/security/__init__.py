"""Security for OpenADR 2.0b: a test PKI, TLS contexts, fingerprints, XML signatures, replay guard.

- :func:`init_pki`, :func:`issue_ven`: a test PKI (RSA-2048 and ECC P-256 chains).
- :func:`vtn_ssl_context`, :func:`ven_ssl_context`: mutual TLS 1.2 with the two 2.0b suites.
- :func:`fingerprint`, :func:`peer_fingerprint`: the 2.0b certificate fingerprint.
- :class:`VenCertificateBindings`, :func:`check_sender`: venID to certificate, 463 on mismatch.
- :class:`Signer`, :class:`SignatureVerifier`, :class:`ReplayGuard`: signed messages.
"""

from __future__ import annotations

from .binding import VenCertificateBindings, check_sender, payload_ven_id
from .certificates import (
    CertificateSource,
    Credentials,
    PrivateKey,
    fingerprint,
    load_certificate,
    load_certificate_chain,
    load_private_key,
)
from .pki import CA_BUNDLE, DEFAULT_HOSTS, KeyType, TestPKI, init_pki, issue_certificate, issue_ven
from .replay import DEFAULT_MAX_NONCES, DEFAULT_REPLAY_WINDOW, ReplayGuard
from .signature import SIGNED_OBJECT_ID, SignatureVerifier, Signer, VerifiedSignature
from .tls import CIPHER_SUITES, OPENSSL_CIPHERS, peer_fingerprint, ven_ssl_context, vtn_ssl_context

__all__ = [
    "CA_BUNDLE",
    "CIPHER_SUITES",
    "DEFAULT_HOSTS",
    "DEFAULT_MAX_NONCES",
    "DEFAULT_REPLAY_WINDOW",
    "OPENSSL_CIPHERS",
    "SIGNED_OBJECT_ID",
    "CertificateSource",
    "Credentials",
    "KeyType",
    "PrivateKey",
    "ReplayGuard",
    "SignatureVerifier",
    "Signer",
    "TestPKI",
    "VenCertificateBindings",
    "VerifiedSignature",
    "check_sender",
    "fingerprint",
    "init_pki",
    "issue_certificate",
    "issue_ven",
    "load_certificate",
    "load_certificate_chain",
    "load_private_key",
    "payload_ven_id",
    "peer_fingerprint",
    "ven_ssl_context",
    "vtn_ssl_context",
]
