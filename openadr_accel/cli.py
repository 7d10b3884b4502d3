"""The ``openadr-accel`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .conformance.command import conformance
from .errors import OpenADRError, SecurityConfigurationError
from .rules import check_payload
from .security import DEFAULT_HOSTS, KeyType, fingerprint, init_pki, issue_ven
from .ven.command import ven
from .vtn.command import vtn
from .xml import DEFAULT_MAX_BYTES, parse

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openadr-accel")
def main() -> None:
    """OpenADR 2.0b tools: a demo, a VTN, a VEN, message validation, a test PKI, the conformance suite."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--no-rules",
    is_flag=True,
    help="Check the XML and the schema only, not the conformance rules (2, 7, 8, 9, 14, 15, 21).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Refuse larger files.",
)
def validate(files: tuple[Path, ...], no_rules: bool, max_bytes: int) -> None:
    """Validate OpenADR 2.0b XML files.

    Prints one line per file: OK with the message type, or INVALID with the first problem, its
    line and element. Exits with 1 if any file is invalid or unreadable.
    """
    failed = 0
    for path in files:
        problem = _first_problem(path, check_rules=not no_rules, max_bytes=max_bytes)
        if problem is None:
            continue
        failed += 1
        click.echo(f"INVALID {path}: {problem}")
    if failed:
        click.echo(f"{failed} of {len(files)} file(s) invalid", err=True)
        sys.exit(1)


def _first_problem(path: Path, *, check_rules: bool, max_bytes: int) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot read the file: {exc.strerror or exc}"
    try:
        payload = parse(data, max_bytes=max_bytes)
    except OpenADRError as exc:
        return str(exc)
    if check_rules:
        for violation in check_payload(payload):
            rule = f"rule {violation.rule}: " if violation.rule is not None else ""
            return f"{rule}{violation.message} (response code {violation.response_code.value})"
    click.echo(f"OK {path}: {_element_name(payload)}")
    return None


def _element_name(payload: object) -> str:
    name = type(payload).__name__
    return name[0].lower() + name[1:]


@main.group()
def certs() -> None:
    """A test PKI for labs and tests (RSA-2048 and ECC P-256): never for production."""


@certs.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--vtn-name", default="vtn", show_default=True, help="Common name of the VTN certificate.")
@click.option(
    "--host",
    "hosts",
    multiple=True,
    default=DEFAULT_HOSTS,
    show_default=True,
    help="A DNS name or IP address the certificates are good for (repeat the option for several).",
)
@click.option("--force", is_flag=True, help="Replace a PKI that DIRECTORY already holds.")
def certs_init(directory: Path, vtn_name: str, hosts: tuple[str, ...], force: bool) -> None:
    """Create root and intermediate CAs and a VTN certificate in DIRECTORY."""
    try:
        pki = init_pki(directory, vtn_name=vtn_name, hosts=hosts, overwrite=force)
    except SecurityConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"test PKI written to {pki.directory}")
    click.echo(f"  CA bundle (trust anchors): {pki.ca_bundle}")
    for key_type in KeyType:
        credentials = pki.vtn(key_type)
        click.echo(
            f"  VTN {key_type.name}: {credentials.certificate} (key {credentials.key.name}), "
            f"fingerprint {fingerprint(credentials.certificate)}"
        )


@certs.command("ven")
@click.argument("name")
@click.option(
    "--ca",
    "ca_directory",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The directory of a PKI made by `certs init`.",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    default=DEFAULT_HOSTS,
    show_default=True,
    help="A DNS name or IP address the certificate is good for (for push: the VEN serves TLS).",
)
def certs_ven(name: str, ca_directory: Path, hosts: tuple[str, ...]) -> None:
    """Issue VEN certificates (RSA and ECC) named NAME; prints their fingerprints for the VTN."""
    try:
        issued = issue_ven(name, ca_directory, hosts=hosts)
    except SecurityConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    for key_type, credentials in issued.items():
        click.echo(
            f"VEN {name} {key_type.name}: {credentials.certificate} (key {credentials.key.name}), "
            f"fingerprint {fingerprint(credentials.certificate)}"
        )


main.add_command(vtn)
main.add_command(ven)
main.add_command(conformance)


@main.command()
@click.option(
    "--store",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The SQLite file of the demo's VTN (default: a temporary file, removed at the end).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=12),
    default=45.0,
    show_default=True,
    help="About how many seconds the demo takes (its clock runs faster to fit the event in).",
)
def demo(store: Path | None, duration: float) -> None:
    """Run a VTN, a VEN with two simulated EV chargers (OCPP 2.0.1 and 1.6) and one event, live.

    The VTN (on SQLite) creates an event of three SIMPLE intervals; the VEN turns it into
    charging limits for the chargers and reports their meters back. Needs the evse extra.
    """
    try:
        from .demo import main as run  # noqa: PLC0415 - the demo pulls in the VTN, the VEN and OCPP
    except ImportError as exc:
        if "evse" not in str(exc):
            raise
        raise click.ClickException(
            f"{exc}\nThe demo runs simulated OCPP chargers: install the extra with "
            "pip install 'openadr-accel[evse]' (from a checkout: pip install '.[evse]')."
        ) from exc
    run(store, duration)
