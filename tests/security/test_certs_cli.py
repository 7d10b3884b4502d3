"""``openadr-accel certs init`` and ``openadr-accel certs ven``."""

from __future__ import annotations

import re
import stat
from ipaddress import ip_address
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.x509.oid import NameOID

from openadr_accel.cli import main
from openadr_accel.security import KeyType, TestPKI, fingerprint, load_certificate, load_certificate_chain

FINGERPRINT = r"[0-9A-F]{2}(?::[0-9A-F]{2}){9}"


def run(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments))


def printed_fingerprints(output: str, prefix: str) -> dict[KeyType, tuple[Path, str]]:
    """``{key type: (path, fingerprint)}`` from lines ``PREFIX RSA: PATH (key ...), fingerprint FP``."""
    found = {}
    for key_type, path, value in re.findall(
        rf"^ *{re.escape(prefix)} (RSA|ECC): (\S+) \(key [^)]+\), fingerprint ({FINGERPRINT})$", output, re.M
    ):
        found[KeyType[key_type]] = (Path(path), value)
    return found


def _snapshot(directory: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def cli_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    """A PKI made by ``certs init`` once for the ``certs ven`` tests."""
    directory = tmp_path_factory.mktemp("cli-pki")
    result = run("certs", "init", str(directory))
    assert result.exit_code == 0, result.output
    return TestPKI(directory)


# --- certs init -------------------------------------------------------------------------------


def test_init_creates_the_pki_and_prints_fingerprints(tmp_path: Path) -> None:
    directory = tmp_path / "pki"
    result = run("certs", "init", str(directory))
    assert result.exit_code == 0, result.output
    pki = TestPKI(directory)
    assert pki.ca_bundle.is_file()
    for key_type in KeyType:
        for credentials in (pki.root(key_type), pki.intermediate(key_type), pki.vtn(key_type)):
            assert credentials.certificate.is_file()
            assert credentials.key.is_file()
            assert stat.S_IMODE(credentials.key.stat().st_mode) == 0o600
    assert f"test PKI written to {directory}" in result.output
    assert f"CA bundle (trust anchors): {pki.ca_bundle}" in result.output
    printed = printed_fingerprints(result.output, "VTN")
    assert set(printed) == set(KeyType)
    for key_type, (path, value) in printed.items():
        assert path == pki.vtn(key_type).certificate
        assert value == fingerprint(pki.vtn(key_type).certificate)
    assert printed[KeyType.RSA][1] != printed[KeyType.ECC][1]


def test_init_refuses_an_existing_pki_then_force_replaces_it(tmp_path: Path) -> None:
    first = run("certs", "init", str(tmp_path))
    assert first.exit_code == 0, first.output
    before = _snapshot(tmp_path)

    again = run("certs", "init", str(tmp_path))
    assert again.exit_code != 0
    assert again.exit_code == 1
    assert isinstance(again.exception, SystemExit)  # a ClickException, not a crash
    assert f"Error: {tmp_path} already holds a test PKI" in again.output
    assert "--force" in again.output
    assert printed_fingerprints(again.output, "VTN") == {}
    assert _snapshot(tmp_path) == before

    forced = run("certs", "init", str(tmp_path), "--force")
    assert forced.exit_code == 0, forced.output
    pki = TestPKI(tmp_path)
    old = printed_fingerprints(first.output, "VTN")
    new = printed_fingerprints(forced.output, "VTN")
    for key_type in KeyType:
        assert new[key_type][1] == fingerprint(pki.vtn(key_type).certificate)
        assert new[key_type][1] != old[key_type][1]
        assert pki.root(key_type).certificate.read_bytes() != before[pki.root(key_type).certificate]


def test_init_vtn_name_and_hosts(tmp_path: Path) -> None:
    result = run(
        "certs",
        "init",
        str(tmp_path),
        "--vtn-name",
        "vtn.lab",
        "--host",
        "vtn.lab.example",
        "--host",
        "192.0.2.10",
    )
    assert result.exit_code == 0, result.output
    pki = TestPKI(tmp_path)
    for key_type in KeyType:
        vtn = load_certificate(pki.vtn(key_type).certificate)
        assert vtn.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "vtn.lab"
        san = vtn.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert list(san) == [x509.DNSName("vtn.lab.example"), x509.IPAddress(ip_address("192.0.2.10"))]


def test_init_default_hosts(cli_pki: TestPKI) -> None:
    vtn = load_certificate(cli_pki.vtn(KeyType.ECC).certificate)
    san = vtn.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]


def test_init_refuses_a_file_as_directory(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    result = run("certs", "init", str(a_file))
    assert result.exit_code == 2
    assert "is a file" in result.output
    assert a_file.read_text() == "x"


def test_init_unwritable_directory_fails_cleanly(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    result = run("certs", "init", str(a_file / "pki"))
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Error: cannot write" in result.output


def test_help_says_never_for_production() -> None:
    result = run("certs", "--help")
    assert result.exit_code == 0
    assert "never for production" in result.output
    assert "init" in result.output
    assert "ven" in result.output


# --- certs ven --------------------------------------------------------------------------------


def test_ven_writes_both_key_types_and_prints_fingerprints(cli_pki: TestPKI) -> None:
    result = run("certs", "ven", "evse-42", "--ca", str(cli_pki.directory))
    assert result.exit_code == 0, result.output
    printed = printed_fingerprints(result.output, "VEN evse-42")
    assert set(printed) == set(KeyType)
    for key_type, (path, value) in printed.items():
        credentials = cli_pki.ven("evse-42", key_type)
        assert path == credentials.certificate
        assert credentials.key.is_file()
        assert stat.S_IMODE(credentials.key.stat().st_mode) == 0o600
        assert value == fingerprint(credentials.certificate)
        leaf, intermediate = load_certificate_chain(credentials.certificate)
        assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "evse-42"
        assert intermediate == load_certificate(cli_pki.intermediate(key_type).certificate)
        leaf.verify_directly_issued_by(intermediate)


def test_ven_hosts(cli_pki: TestPKI) -> None:
    result = run("certs", "ven", "pushy", "--ca", str(cli_pki.directory), "--host", "ven.example.net")
    assert result.exit_code == 0, result.output
    leaf = load_certificate(cli_pki.ven("pushy", KeyType.RSA).certificate)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.DNSName("ven.example.net")]


@pytest.mark.parametrize("name", ["../escape", "a b", "a/b", "x;y"])
def test_ven_refuses_a_bad_name(cli_pki: TestPKI, name: str) -> None:
    before = _snapshot(cli_pki.directory)
    result = run("certs", "ven", name, "--ca", str(cli_pki.directory))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert f"Error: a VEN name is letters, digits, '-', '_' and '.', not {name!r}" in result.output
    assert _snapshot(cli_pki.directory) == before


def test_ven_without_a_pki_fails_clearly(tmp_path: Path) -> None:
    result = run("certs", "ven", "ven1", "--ca", str(tmp_path))
    assert result.exit_code == 1
    assert f"Error: {tmp_path} holds no test PKI; run `openadr-accel certs init` first" in result.output
    assert list(tmp_path.iterdir()) == []


def test_ven_with_a_missing_ca_directory_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = run("certs", "ven", "ven1", "--ca", str(missing))
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert not missing.exists()


def test_ven_needs_the_ca_option() -> None:
    result = run("certs", "ven", "ven1")
    assert result.exit_code == 2
    assert "Missing option '--ca'" in result.output
