"""Loading certificates and keys, and the OpenADR 2.0b certificate fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import SecurityConfigurationError

__all__ = [
    "CertificateSource",
    "Credentials",
    "PrivateKey",
    "certificate_der",
    "der_fingerprint",
    "fingerprint",
    "load_certificate",
    "load_certificate_chain",
    "load_private_key",
]

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""The key types 2.0b uses: RSA (2048 bits) and ECC (P-256)."""

CertificateSource: TypeAlias = x509.Certificate | bytes | str | Path
"""A certificate as an object, PEM or DER bytes, PEM text, or the path of a PEM or DER file."""

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A certificate file (leaf first, then its intermediates) and its private key file, both PEM."""

    certificate: Path
    key: Path


def _read(source: bytes | str | Path) -> bytes:
    if isinstance(source, Path):
        try:
            return source.read_bytes()
        except OSError as exc:
            raise SecurityConfigurationError(f"cannot read {source}: {exc.strerror}") from exc
    if isinstance(source, str):
        if "-----BEGIN" in source:
            return source.encode("ascii")
        return _read(Path(source))
    return bytes(source)


def load_certificate_chain(source: bytes | str | Path) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle (leaf first, as written), or the one of a DER file."""
    data = _read(source)
    try:
        if _PEM_BEGIN in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SecurityConfigurationError(f"not a PEM or DER certificate: {exc}") from exc


def load_certificate(source: CertificateSource) -> x509.Certificate:
    """A certificate from any :data:`CertificateSource`; of a PEM bundle, the first (the leaf)."""
    if isinstance(source, x509.Certificate):
        return source
    return load_certificate_chain(source)[0]


def certificate_der(source: CertificateSource) -> bytes:
    """The DER encoding of a certificate (checked to be one)."""
    if isinstance(source, bytes | bytearray) and _PEM_BEGIN not in source:
        der = bytes(source)
        try:
            x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise SecurityConfigurationError(f"not a PEM or DER certificate: {exc}") from exc
        return der
    return load_certificate(source).public_bytes(serialization.Encoding.DER)


def fingerprint(source: CertificateSource) -> str:
    """The OpenADR 2.0b fingerprint of a certificate.

    SHA-256 over the DER certificate, its last 10 bytes, upper-case hex separated by colons:
    ``"A1:B2:C3:D4:E5:F6:07:18:29:3A"``. This is what a VEN's owner tells the VTN's operator out of
    band, and what the VTN binds a venID to.
    """
    return der_fingerprint(certificate_der(source))


def der_fingerprint(der: bytes) -> str:
    """:func:`fingerprint` of DER bytes known to be a certificate (a TLS peer's), without parsing them."""
    digest = hashlib.sha256(der).digest()
    return ":".join(f"{byte:02X}" for byte in digest[-10:])


def load_private_key(source: PrivateKey | bytes | str | Path, *, password: bytes | None = None) -> PrivateKey:
    """An RSA or ECC private key from a PEM or DER file or bytes (loaded once, then reused)."""
    if isinstance(source, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return source
    data = _read(source)
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=password)
        else:
            key = serialization.load_der_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise SecurityConfigurationError(f"cannot load the private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SecurityConfigurationError(
            f"OpenADR 2.0b uses RSA or ECC keys, not {type(key).__name__.removeprefix('_')}"
        )
    return key
