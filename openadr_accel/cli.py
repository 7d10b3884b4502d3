"""The ``openadr-accel`` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import OpenADRError
from .rules import check_payload
from .xml import DEFAULT_MAX_BYTES, parse

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openadr-accel")
def main() -> None:
    """OpenADR 2.0b tools: validate messages (more to come: VTN, VEN, certificates, conformance)."""


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
