"""A test PKI shaped like the OpenADR Alliance's: for labs, tests and demos, never production.

Two chains, one per key type 2.0b uses: RSA-2048 and ECC P-256. Each has a root CA, an
intermediate CA, a VTN certificate and any number of VEN certificates::

    DIR/
      ca-bundle.pem            both root CAs: what a VTN and a VEN trust
      rsa/  ecc/
        root-ca.pem  root-ca.key
        intermediate-ca.pem  intermediate-ca.key
        vtn.pem  vtn.key       leaf + intermediate (the chain a TLS peer sends), its key
        ven-NAME.pem  ven-NAME.key

Leaf certificates are good for TLS servers and clients both (a VTN pushes to VENs and a VEN may
serve push), name ``localhost`` and ``127.0.0.1`` by default, and carry the key usages their key
type needs: digital signature and key encipherment for RSA (the TLS_RSA suite), digital
signature and key agreement for ECC. Private keys are written unencrypted with mode 0600.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..errors import SecurityConfigurationError
from .certificates import Credentials, PrivateKey, load_certificate, load_private_key

__all__ = [
    "CA_BUNDLE",
    "DEFAULT_HOSTS",
    "KeyType",
    "TestPKI",
    "init_pki",
    "issue_certificate",
    "issue_ven",
]

CA_BUNDLE = "ca-bundle.pem"
"""The file name, in a test PKI's directory, of the bundle of both chains' CA certificates."""
DEFAULT_HOSTS = ("localhost", "127.0.0.1")
"""The host names (subjectAltName) a test PKI's certificates name unless told others."""
_ROOT_DAYS, _INTERMEDIATE_DAYS, _LEAF_DAYS = 3650, 1825, 365
_BACKDATE = timedelta(minutes=5)  # tolerate a little clock skew between the machines of a lab


class KeyType(StrEnum):
    """The two key types of OpenADR 2.0b certificates."""

    RSA = "rsa"
    """RSA-2048: TLS_RSA_WITH_AES_128_CBC_SHA256, signatures rsa-sha256."""
    ECC = "ecc"
    """ECC P-256: TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, signatures ecdsa-sha256."""


@dataclass(frozen=True, slots=True)
class TestPKI:
    """The files of a test PKI made by :func:`init_pki`."""

    __test__ = False  # not a pytest test class, despite the name

    directory: Path

    @property
    def ca_bundle(self) -> Path:
        """Both root certificates: the trust anchors of every VTN and VEN of this PKI."""
        return self.directory / CA_BUNDLE

    def vtn(self, key_type: KeyType | str) -> Credentials:
        """The VTN's certificate chain and key of one key type."""
        return self._credentials(KeyType(key_type), "vtn")

    def ven(self, name: str, key_type: KeyType | str) -> Credentials:
        """A VEN's certificate chain and key (issued with :func:`issue_ven`)."""
        return self._credentials(KeyType(key_type), f"ven-{name}")

    def intermediate(self, key_type: KeyType | str) -> Credentials:
        """An intermediate CA's certificate and key (they issue the leaves)."""
        return self._credentials(KeyType(key_type), "intermediate-ca")

    def root(self, key_type: KeyType | str) -> Credentials:
        """A root CA's certificate and key."""
        return self._credentials(KeyType(key_type), "root-ca")

    def _credentials(self, key_type: KeyType, stem: str) -> Credentials:
        folder = self.directory / key_type.value
        return Credentials(folder / f"{stem}.pem", folder / f"{stem}.key")


def init_pki(
    directory: Path | str,
    *,
    vtn_name: str = "vtn",
    hosts: Iterable[str] = DEFAULT_HOSTS,
    now: datetime | None = None,
    overwrite: bool = False,
) -> TestPKI:
    """Create root and intermediate CAs and a VTN certificate, RSA and ECC, in ``directory``.

    Raises:
        SecurityConfigurationError: if ``directory`` already holds a PKI and ``overwrite`` is
            False, or cannot be written.
    """
    pki = TestPKI(Path(directory))
    if pki.ca_bundle.exists() and not overwrite:
        raise SecurityConfigurationError(
            f"{pki.directory} already holds a test PKI; pass overwrite=True (--force) to replace it"
        )
    now = now or datetime.now(UTC)
    hosts = tuple(hosts)
    roots = []
    for key_type in KeyType:
        root_key = _new_key(key_type)
        root_name = _name(f"openadr_accel test root CA ({key_type.name})")
        root = _build(
            subject=root_name,
            issuer=root_name,
            public_key=root_key,
            signing_key=root_key,
            start=now,
            days=_ROOT_DAYS,
            ca_path_length=1,
        )
        _write(pki.root(key_type), [root], root_key)
        roots.append(root)

        intermediate_key = _new_key(key_type)
        intermediate = _build(
            subject=_name(f"openadr_accel test intermediate CA ({key_type.name})"),
            issuer=root.subject,
            public_key=intermediate_key,
            signing_key=root_key,
            start=now,
            days=_INTERMEDIATE_DAYS,
            ca_path_length=0,
            issuer_certificate=root,
        )
        _write(pki.intermediate(key_type), [intermediate], intermediate_key)
        issue_certificate(pki, key_type, "vtn", common_name=vtn_name, hosts=hosts, now=now)
    _write_private(pki.ca_bundle, b"".join(_pem(root) for root in roots), mode=0o644)
    return pki


def issue_ven(
    name: str,
    ca_directory: Path | str,
    *,
    key_types: Iterable[KeyType | str] = tuple(KeyType),
    hosts: Iterable[str] = DEFAULT_HOSTS,
    now: datetime | None = None,
    valid_days: int = _LEAF_DAYS,
) -> dict[KeyType, Credentials]:
    """Issue a VEN certificate (common name ``name``) from the test PKI in ``ca_directory``."""
    if not name or not all(char.isalnum() or char in "-_." for char in name):
        raise SecurityConfigurationError(f"a VEN name is letters, digits, '-', '_' and '.', not {name!r}")
    pki = TestPKI(Path(ca_directory))
    if not pki.ca_bundle.exists():
        raise SecurityConfigurationError(
            f"{pki.directory} holds no test PKI; run `openadr-accel certs init` first"
        )
    return {
        KeyType(key_type): issue_certificate(
            pki,
            KeyType(key_type),
            f"ven-{name}",
            common_name=name,
            hosts=hosts,
            now=now,
            valid_days=valid_days,
        )
        for key_type in key_types
    }


def issue_certificate(
    pki: TestPKI,
    key_type: KeyType,
    stem: str,
    *,
    common_name: str,
    hosts: Iterable[str] = DEFAULT_HOSTS,
    now: datetime | None = None,
    valid_days: int = _LEAF_DAYS,
) -> Credentials:
    """Issue a leaf certificate from ``pki``'s intermediate CA and write it as ``STEM.pem``/``.key``.

    ``now`` and ``valid_days`` set its validity (a test makes an expired one with a ``now`` in
    the past).
    """
    issuer = pki.intermediate(key_type)
    issuer_certificate = load_certificate(issuer.certificate)
    issuer_key = load_private_key(issuer.key)
    key = _new_key(key_type)
    certificate = _build(
        subject=_name(common_name),
        issuer=issuer_certificate.subject,
        public_key=key,
        signing_key=issuer_key,
        start=now or datetime.now(UTC),
        days=valid_days,
        issuer_certificate=issuer_certificate,
        hosts=tuple(hosts),
        key_type=key_type,
    )
    credentials = pki._credentials(key_type, stem)
    _write(credentials, [certificate, issuer_certificate], key)
    return credentials


# --- building ---------------------------------------------------------------------------------


def _new_key(key_type: KeyType) -> PrivateKey:
    if key_type is KeyType.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "openadr_accel test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _build(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: PrivateKey,
    signing_key: PrivateKey,
    start: datetime,
    days: int,
    ca_path_length: int | None = None,
    issuer_certificate: x509.Certificate | None = None,
    hosts: tuple[str, ...] = (),
    key_type: KeyType | None = None,
) -> x509.Certificate:
    is_ca = ca_path_length is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - _BACKDATE)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_length), critical=True)
        .add_extension(_key_usage(is_ca, key_type), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key.public_key()), critical=False)
    )
    if issuer_certificate is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    if not is_ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        ).add_extension(x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _key_usage(is_ca: bool, key_type: KeyType | None) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not is_ca,
        content_commitment=False,
        key_encipherment=key_type is KeyType.RSA,
        data_encipherment=False,
        key_agreement=key_type is KeyType.ECC,
        key_cert_sign=is_ca,
        crl_sign=is_ca,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


# --- writing ----------------------------------------------------------------------------------


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _write(credentials: Credentials, chain: list[x509.Certificate], key: PrivateKey) -> None:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(credentials.key, key_pem, mode=0o600)
    _write_private(credentials.certificate, b"".join(map(_pem, chain)), mode=0o644)


def _write_private(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to ``path`` with ``mode`` from the start (no window where a key is readable)."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        raise SecurityConfigurationError(f"cannot write {path}: {exc.strerror}") from exc
