"""PKI fixtures and TLS helpers for the VTN tests that run over mutual TLS.

A test module uses the fixture by importing it (``from security_fixtures import vtn_pki``); the
PKI is generated once per session, at test time, with the library's own generator: VENs ``ven1``
and ``ven2`` (RSA and ECC each) under the same CAs as the VTN's certificates.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

import pytest
from vtn_harness import SettableClock

from openadr_accel.security import Credentials, KeyType, TestPKI, init_pki, issue_ven
from openadr_accel.security.certificates import fingerprint
from openadr_accel.security.signature import Signer
from openadr_accel.security.tls import ven_ssl_context, vtn_ssl_context

__all__ = [
    "fingerprint_of",
    "no_certificate_context",
    "real_time_clock",
    "server_context",
    "signer_of",
    "client_context",
    "vtn_pki",
]


@pytest.fixture(scope="session")
def vtn_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    """A test PKI with the VTN's certificates and VENs ``ven1`` and ``ven2`` (RSA and ECC)."""
    made = init_pki(tmp_path_factory.mktemp("vtn-pki"))
    issue_ven("ven1", made.directory)
    issue_ven("ven2", made.directory)
    return made


def server_context(credentials: Credentials, pki: TestPKI) -> ssl.SSLContext:
    """A 2.0b server context (client certificates required) with these credentials."""
    return vtn_ssl_context(credentials, pki.ca_bundle)


def client_context(credentials: Credentials, pki: TestPKI) -> ssl.SSLContext:
    """A 2.0b client context presenting these credentials and trusting ``pki``'s CAs."""
    return ven_ssl_context(credentials, pki.ca_bundle)


def no_certificate_context(pki: TestPKI) -> ssl.SSLContext:
    """A TLS 1.2 client context that trusts ``pki``'s CAs but presents no certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(cafile=str(pki.ca_bundle))
    return context


def fingerprint_of(credentials: Credentials) -> str:
    """The 2.0b fingerprint of a certificate."""
    return fingerprint(credentials.certificate)


def signer_of(credentials: Credentials, clock: SettableClock) -> Signer:
    """A signer whose ReplayProtect timestamps follow the test's clock."""
    return Signer(credentials.certificate, credentials.key, clock=clock)


def real_time_clock() -> SettableClock:
    """A settable clock starting now: certificates made now are valid at it, whatever the date
    the tests run on (the harness's fixed START could fall before them)."""
    return SettableClock(datetime.now(UTC))


ALL_KEY_TYPES = tuple(KeyType)
