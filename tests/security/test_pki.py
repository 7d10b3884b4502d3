"""The test PKI generator: layout, chains, key types, extensions, validity, file modes, refusals."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from openadr_accel.errors import SecurityConfigurationError
from openadr_accel.security import (
    CA_BUNDLE,
    DEFAULT_HOSTS,
    Credentials,
    KeyType,
    TestPKI,
    init_pki,
    issue_ven,
    load_certificate,
    load_certificate_chain,
    load_private_key,
)

NOW = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
"""The fixed issuing time of ``fixed_pki`` (whole seconds: X.509 times have no fractions)."""

STEMS = ("root-ca", "intermediate-ca", "vtn", "ven-alpha")


@pytest.fixture(scope="module")
def fixed_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    """A PKI issued at :data:`NOW`, with VEN ``alpha``."""
    made = init_pki(tmp_path_factory.mktemp("fixed-pki"), now=NOW)
    issue_ven("alpha", made.directory, now=NOW)
    return made


def _leaf(credentials: Credentials) -> x509.Certificate:
    return load_certificate(credentials.certificate)


def _all_credentials(pki: TestPKI, key_type: KeyType) -> dict[str, Credentials]:
    return {
        "root-ca": pki.root(key_type),
        "intermediate-ca": pki.intermediate(key_type),
        "vtn": pki.vtn(key_type),
        "ven-alpha": pki.ven("alpha", key_type),
    }


def _roots(pki: TestPKI) -> list[x509.Certificate]:
    return load_certificate_chain(pki.ca_bundle)


# --- layout -----------------------------------------------------------------------------------


def test_layout_is_the_documented_one(fixed_pki: TestPKI) -> None:
    """Exactly the files pki.py's docstring lists; no temporary file is left behind."""
    files = {path.relative_to(fixed_pki.directory).as_posix() for path in fixed_pki.directory.rglob("*")}
    expected = {"rsa", "ecc", CA_BUNDLE} | {
        f"{key_type.value}/{stem}.{suffix}"
        for key_type in KeyType
        for stem in STEMS
        for suffix in ("pem", "key")
    }
    assert files == expected
    assert CA_BUNDLE == "ca-bundle.pem"


@pytest.mark.parametrize("key_type", list(KeyType))
def test_accessors_name_the_files(fixed_pki: TestPKI, key_type: KeyType) -> None:
    folder = fixed_pki.directory / key_type.value
    assert fixed_pki.ca_bundle == fixed_pki.directory / "ca-bundle.pem"
    for stem, credentials in _all_credentials(fixed_pki, key_type).items():
        assert credentials == Credentials(folder / f"{stem}.pem", folder / f"{stem}.key")
    # a key type may be given as its string value too
    assert fixed_pki.vtn(key_type.value) == fixed_pki.vtn(key_type)


def test_ca_bundle_holds_exactly_both_roots(fixed_pki: TestPKI) -> None:
    bundle = _roots(fixed_pki)
    roots = [_leaf(fixed_pki.root(key_type)) for key_type in KeyType]
    assert bundle == roots
    for root in bundle:
        assert root.subject == root.issuer
        root.verify_directly_issued_by(root)  # self-signed


@pytest.mark.parametrize("key_type", list(KeyType))
def test_leaf_files_hold_leaf_then_intermediate(fixed_pki: TestPKI, key_type: KeyType) -> None:
    intermediate = _leaf(fixed_pki.intermediate(key_type))
    root = _leaf(fixed_pki.root(key_type))
    assert len(load_certificate_chain(fixed_pki.root(key_type).certificate)) == 1
    assert len(load_certificate_chain(fixed_pki.intermediate(key_type).certificate)) == 1
    intermediate.verify_directly_issued_by(root)
    for stem in ("vtn", "ven-alpha"):
        chain = load_certificate_chain(_all_credentials(fixed_pki, key_type)[stem].certificate)
        assert len(chain) == 2
        assert chain[1] == intermediate
        chain[0].verify_directly_issued_by(intermediate)


def test_private_keys_are_unencrypted_pkcs8_with_mode_0600(fixed_pki: TestPKI) -> None:
    keys = sorted(fixed_pki.directory.rglob("*.key"))
    assert len(keys) == 2 * len(STEMS)
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
        unencrypted_pkcs8 = load_private_key(key).private_bytes(  # loads without a password
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        assert key.read_bytes() == unencrypted_pkcs8, key


def test_certificate_files_are_readable_by_others(fixed_pki: TestPKI) -> None:
    """Certificates are public: written 0644 (less whatever the umask removes), never executable."""
    for certificate in [fixed_pki.ca_bundle, *fixed_pki.directory.rglob("*.pem")]:
        mode = stat.S_IMODE(certificate.stat().st_mode)
        assert mode & 0o600 == 0o600, certificate
        assert mode & 0o133 == 0, certificate


# --- chains -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", list(KeyType))
def test_vtn_chain_verifies_to_its_root_as_a_server(fixed_pki: TestPKI, key_type: KeyType) -> None:
    leaf, *intermediates = load_certificate_chain(fixed_pki.vtn(key_type).certificate)
    store = Store(_roots(fixed_pki))
    for name in (x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))):
        verifier = PolicyBuilder().store(store).time(NOW + timedelta(days=1)).build_server_verifier(name)
        chain = verifier.verify(leaf, intermediates)
        assert chain == [leaf, intermediates[0], _leaf(fixed_pki.root(key_type))]


@pytest.mark.parametrize("key_type", list(KeyType))
def test_ven_chain_verifies_to_its_root_as_a_client(fixed_pki: TestPKI, key_type: KeyType) -> None:
    leaf, *intermediates = load_certificate_chain(fixed_pki.ven("alpha", key_type).certificate)
    verifier = PolicyBuilder().store(Store(_roots(fixed_pki))).time(NOW).build_client_verifier()
    verified = verifier.verify(leaf, intermediates)
    assert verified.chain == [leaf, intermediates[0], _leaf(fixed_pki.root(key_type))]
    assert set(verified.subjects or ()) == {
        x509.DNSName("localhost"),
        x509.IPAddress(ip_address("127.0.0.1")),
    }


@pytest.mark.parametrize("key_type", list(KeyType))
def test_session_pki_chains_verify_now(pki: TestPKI, key_type: KeyType) -> None:
    """The session PKI, issued at the real current time, verifies at the real current time."""
    store = Store(_roots(pki))
    leaf, *intermediates = load_certificate_chain(pki.ven("ven1", key_type).certificate)
    assert len(PolicyBuilder().store(store).build_client_verifier().verify(leaf, intermediates).chain) == 3
    leaf, *intermediates = load_certificate_chain(pki.vtn(key_type).certificate)
    server = PolicyBuilder().store(store).build_server_verifier(x509.DNSName("localhost"))
    assert len(server.verify(leaf, intermediates)) == 3


@pytest.mark.parametrize("key_type", list(KeyType))
def test_a_chain_does_not_verify_against_the_other_key_types_root(
    fixed_pki: TestPKI, key_type: KeyType
) -> None:
    other = KeyType.ECC if key_type is KeyType.RSA else KeyType.RSA
    leaf, *intermediates = load_certificate_chain(fixed_pki.ven("alpha", key_type).certificate)
    verifier = PolicyBuilder().store(Store([_leaf(fixed_pki.root(other))])).time(NOW).build_client_verifier()
    with pytest.raises(VerificationError):
        verifier.verify(leaf, intermediates)


@pytest.mark.parametrize("key_type", list(KeyType))
def test_another_pkis_chain_does_not_verify(pki: TestPKI, other_pki: TestPKI, key_type: KeyType) -> None:
    leaf, *intermediates = load_certificate_chain(other_pki.ven("ven1", key_type).certificate)
    verifier = PolicyBuilder().store(Store(_roots(pki))).build_client_verifier()
    with pytest.raises(VerificationError):
        verifier.verify(leaf, intermediates)


@pytest.mark.parametrize("key_type", list(KeyType))
def test_expired_certificate_is_refused_by_path_validation(
    pki: TestPKI, expired_ven: dict[KeyType, Credentials], key_type: KeyType
) -> None:
    """Its chain is sound (issued by the intermediate), only its time is wrong."""
    leaf, *intermediates = load_certificate_chain(expired_ven[key_type].certificate)
    leaf.verify_directly_issued_by(intermediates[0])
    assert leaf.not_valid_after_utc < datetime.now(UTC)
    store = Store(_roots(pki))
    with pytest.raises(VerificationError, match="not valid at validation time"):
        PolicyBuilder().store(store).build_client_verifier().verify(leaf, intermediates)


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_rsa_keys_are_2048_bits(fixed_pki: TestPKI, stem: str) -> None:
    credentials = _all_credentials(fixed_pki, KeyType.RSA)[stem]
    key = load_private_key(credentials.key)
    certificate = _leaf(credentials)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    assert key.public_key().public_numbers().e == 65537
    assert certificate.public_key() == key.public_key()
    assert certificate.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSA_WITH_SHA256


@pytest.mark.parametrize("stem", STEMS)
def test_ecc_keys_are_p256(fixed_pki: TestPKI, stem: str) -> None:
    credentials = _all_credentials(fixed_pki, KeyType.ECC)[stem]
    key = load_private_key(credentials.key)
    certificate = _leaf(credentials)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert isinstance(key.curve, ec.SECP256R1)
    assert certificate.public_key() == key.public_key()
    assert certificate.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert isinstance(certificate.signature_hash_algorithm, hashes.SHA256)


def test_every_key_and_serial_is_distinct(fixed_pki: TestPKI) -> None:
    certificates = [
        _leaf(credentials)
        for key_type in KeyType
        for credentials in _all_credentials(fixed_pki, key_type).values()
    ]
    assert len({certificate.serial_number for certificate in certificates}) == len(certificates)
    keys = {
        certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        for certificate in certificates
    }
    assert len(keys) == len(certificates)


# --- extensions -------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", list(KeyType))
@pytest.mark.parametrize(
    ("stem", "ca", "path_length"),
    [("root-ca", True, 1), ("intermediate-ca", True, 0), ("vtn", False, None), ("ven-alpha", False, None)],
)
def test_basic_constraints(
    fixed_pki: TestPKI, key_type: KeyType, stem: str, ca: bool, path_length: int | None
) -> None:
    extension = _leaf(_all_credentials(fixed_pki, key_type)[stem]).extensions.get_extension_for_class(
        x509.BasicConstraints
    )
    assert extension.critical
    assert extension.value == x509.BasicConstraints(ca=ca, path_length=path_length)


def _usage(**set_bits: bool) -> x509.KeyUsage:
    bits = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return x509.KeyUsage(**(bits | set_bits))


@pytest.mark.parametrize("key_type", list(KeyType))
@pytest.mark.parametrize("stem", ["root-ca", "intermediate-ca"])
def test_ca_key_usage(fixed_pki: TestPKI, key_type: KeyType, stem: str) -> None:
    extension = _leaf(_all_credentials(fixed_pki, key_type)[stem]).extensions.get_extension_for_class(
        x509.KeyUsage
    )
    assert extension.critical
    assert extension.value == _usage(key_cert_sign=True, crl_sign=True)


@pytest.mark.parametrize(
    ("key_type", "expected"),
    [
        (KeyType.RSA, _usage(digital_signature=True, key_encipherment=True)),
        (KeyType.ECC, _usage(digital_signature=True, key_agreement=True)),
    ],
)
@pytest.mark.parametrize("stem", ["vtn", "ven-alpha"])
def test_leaf_key_usage(fixed_pki: TestPKI, key_type: KeyType, expected: x509.KeyUsage, stem: str) -> None:
    extension = _leaf(_all_credentials(fixed_pki, key_type)[stem]).extensions.get_extension_for_class(
        x509.KeyUsage
    )
    assert extension.critical
    assert extension.value == expected


@pytest.mark.parametrize("key_type", list(KeyType))
@pytest.mark.parametrize("stem", ["vtn", "ven-alpha"])
def test_leaf_extended_key_usage_and_names(fixed_pki: TestPKI, key_type: KeyType, stem: str) -> None:
    certificate = _leaf(_all_credentials(fixed_pki, key_type)[stem])
    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ip_address("127.0.0.1")]
    assert DEFAULT_HOSTS == ("localhost", "127.0.0.1")


@pytest.mark.parametrize("key_type", list(KeyType))
@pytest.mark.parametrize("stem", ["root-ca", "intermediate-ca"])
def test_cas_have_no_leaf_extensions(fixed_pki: TestPKI, key_type: KeyType, stem: str) -> None:
    extensions = _leaf(_all_credentials(fixed_pki, key_type)[stem]).extensions
    for kind in (x509.ExtendedKeyUsage, x509.SubjectAlternativeName):
        with pytest.raises(x509.ExtensionNotFound):
            extensions.get_extension_for_class(kind)


@pytest.mark.parametrize("key_type", list(KeyType))
def test_key_identifiers_link_each_certificate_to_its_issuer(fixed_pki: TestPKI, key_type: KeyType) -> None:
    credentials = _all_credentials(fixed_pki, key_type)
    issuers = {"intermediate-ca": "root-ca", "vtn": "intermediate-ca", "ven-alpha": "intermediate-ca"}
    for stem, issuer_stem in issuers.items():
        certificate, issuer = _leaf(credentials[stem]), _leaf(credentials[issuer_stem])
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert aki.key_identifier == ski.digest
        assert certificate.issuer == issuer.subject


@pytest.mark.parametrize("key_type", list(KeyType))
def test_common_names(fixed_pki: TestPKI, key_type: KeyType) -> None:
    def common_name(stem: str) -> str:
        name = _leaf(_all_credentials(fixed_pki, key_type)[stem]).subject
        return str(name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)

    assert common_name("vtn") == "vtn"
    assert common_name("ven-alpha") == "alpha"
    assert key_type.name in common_name("root-ca")
    assert key_type.name in common_name("intermediate-ca")
    assert common_name("root-ca") != common_name("intermediate-ca")


def test_vtn_name_and_hosts_are_used(tmp_path: Path) -> None:
    made = init_pki(tmp_path, vtn_name="vtn.utility.example", hosts=["vtn.example.com", "10.0.0.7", "::1"])
    issue_ven("beta", tmp_path, hosts=["ven-beta.example.com"], key_types=["ecc"])
    for key_type in KeyType:
        vtn = _leaf(made.vtn(key_type))
        assert vtn.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "vtn.utility.example"
        san = vtn.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["vtn.example.com"]
        assert san.get_values_for_type(x509.IPAddress) == [ip_address("10.0.0.7"), ip_address("::1")]
    ven = _leaf(made.ven("beta", KeyType.ECC))
    san = ven.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.DNSName("ven-beta.example.com")]
    # key_types=["ecc"]: no RSA certificate was issued
    assert not made.ven("beta", KeyType.RSA).certificate.exists()
    assert not made.ven("beta", KeyType.RSA).key.exists()


# --- validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key_type", list(KeyType))
@pytest.mark.parametrize(
    ("stem", "days"), [("root-ca", 3650), ("intermediate-ca", 1825), ("vtn", 365), ("ven-alpha", 365)]
)
def test_validity_windows(fixed_pki: TestPKI, key_type: KeyType, stem: str, days: int) -> None:
    """Backdated five minutes for clock skew; each lasts as documented, nested in its issuer's."""
    certificate = _leaf(_all_credentials(fixed_pki, key_type)[stem])
    assert certificate.not_valid_before_utc == NOW - timedelta(minutes=5)
    assert certificate.not_valid_after_utc == NOW + timedelta(days=days)


def test_issue_ven_valid_days(tmp_path: Path) -> None:
    init_pki(tmp_path, now=NOW)
    issued = issue_ven("short", tmp_path, now=NOW, valid_days=7)
    assert set(issued) == set(KeyType)
    for credentials in issued.values():
        assert _leaf(credentials).not_valid_after_utc == NOW + timedelta(days=7)


# --- refusals ---------------------------------------------------------------------------------


def test_refuses_to_overwrite_an_existing_pki(tmp_path: Path) -> None:
    made = init_pki(tmp_path)
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    with pytest.raises(SecurityConfigurationError, match="already holds a test PKI") as caught:
        init_pki(tmp_path)
    assert "overwrite=True" in str(caught.value)
    assert str(tmp_path) in str(caught.value)
    after = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert after == before

    replaced = init_pki(tmp_path, overwrite=True)
    assert replaced == made
    for key_type in KeyType:
        assert made.root(key_type).certificate.read_bytes() != before[made.root(key_type).certificate]
        assert made.vtn(key_type).key.read_bytes() != before[made.vtn(key_type).key]
        assert stat.S_IMODE(made.vtn(key_type).key.stat().st_mode) == 0o600
    assert _roots(replaced) == [_leaf(replaced.root(key_type)) for key_type in KeyType]


def test_creates_a_missing_directory(tmp_path: Path) -> None:
    made = init_pki(tmp_path / "a" / "b")
    assert made.ca_bundle.is_file()


@pytest.mark.parametrize("name", ["", "../escape", "a/b", "a b", "ven\n", "x;y", "ven*", "/abs"])
def test_issue_ven_refuses_bad_names(pki: TestPKI, name: str) -> None:
    before = set(pki.directory.rglob("*"))
    with pytest.raises(SecurityConfigurationError, match="a VEN name is letters, digits") as caught:
        issue_ven(name, pki.directory)
    assert repr(name) in str(caught.value)
    assert set(pki.directory.rglob("*")) == before


@pytest.mark.parametrize("name", ["ven1", "ven-2_b.site", "X"])
def test_issue_ven_accepts_good_names(tmp_path: Path, name: str) -> None:
    made = init_pki(tmp_path)
    issued = issue_ven(name, tmp_path, key_types=[KeyType.RSA])
    assert issued == {KeyType.RSA: made.ven(name, KeyType.RSA)}
    assert issued[KeyType.RSA].certificate.is_file()


@pytest.mark.parametrize("subdirectory", ["empty", "missing"])
def test_issue_ven_needs_a_pki(tmp_path: Path, subdirectory: str) -> None:
    directory = tmp_path / subdirectory
    if subdirectory == "empty":
        directory.mkdir()
    with pytest.raises(SecurityConfigurationError, match="holds no test PKI") as caught:
        issue_ven("ven1", directory)
    assert "certs init" in str(caught.value)
    assert str(directory) in str(caught.value)
    assert list(tmp_path.rglob("*.pem")) == []


def test_unwritable_directory_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SecurityConfigurationError, match="cannot write"):
        init_pki(blocker / "pki")
