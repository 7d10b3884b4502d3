"""``openadr-accel ven``: run a VEN until SIGINT or SIGTERM, logging every event.

::

    openadr-accel ven --vtn-url http://127.0.0.1:8080 --ven-name lab-ven         # development
    openadr-accel ven --config ven.toml                                          # production
    openadr-accel ven --config ven.toml --handlers examples/ven_handlers.py      # vendor callbacks

The VEN registers (unless its store already holds a registration), polls (or, with
``--transport-address``, serves its push endpoint), answers events and logs each registration,
decision and event moment on stdout. SIGINT or SIGTERM stops it cleanly (exit status 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
import ssl
import sys
from pathlib import Path
from typing import Any

import click
from aiohttp import web

from ..errors import OpenADRError, SecurityConfigurationError
from ..settings_file import TLS_FLAGS, with_tls_flags
from .node import VEN
from .settings import HandlerModule, VenSettings, combined_handlers

__all__ = ["ven"]

_path = click.Path(path_type=Path, dir_okay=False)


@click.command(
    epilog="A handler module defines 'handlers' (a VenHandlers) or 'make_handlers()', and optionally "
    "'reports' (ReportCapability objects) and 'supports(signal) -> bool'; the callbacks it leaves out "
    "keep logging. Example: examples/ven_handlers.py (opts out of test events, prints signal levels, "
    "offers TELEMETRY_USAGE from a fake meter). See docs/ven.md."
)
@click.option("--config", "config_file", type=_path, help="TOML settings (a [ven] table).")
@click.option("--vtn-url", help="The VTN's base URL, before /OpenADR2/Simple/2.0b/ (required).")
@click.option("--ven-name", help="oadrVenName (default openadr-accel-ven).")
@click.option("--ven-id", help="A venID allocated beforehand (default: the VTN assigns one).")
@click.option("--vtn-id", help="The vtnID to expect (default: learnt at registration).")
@click.option("--poll-frequency", help="Poll at most this often, e.g. 10s (never faster than the VTN asks).")
@click.option("--store", type=_path, help="SQLite file of the VEN's state (default ven.db).")
@click.option(
    "--handlers",
    metavar="MODULE_OR_FILE.py",
    help="Vendor callbacks: a dotted module name or a .py file (e.g. examples/ven_handlers.py).",
)
@click.option(
    "--transport-address",
    metavar="URL",
    help="Push mode: this VEN's endpoint URL, sent to the VTN (the VEN then does not poll).",
)
@click.option("--listen-host", help="Push mode: address to listen on (default 127.0.0.1).")
@click.option(
    "--listen-port",
    type=click.IntRange(0, 65535),
    help="Push mode: port to listen on (default: the port of --transport-address).",
)
@click.option("--cert", type=_path, help="TLS certificate chain (PEM) of this VEN.")
@click.option("--key", type=_path, help="TLS private key (PEM).")
@click.option("--ca", type=_path, help="CA bundle the VTN's certificate chains to.")
@click.option(
    "--sign/--no-sign", default=None, help="Sign messages with the TLS certificate (XML signatures)."
)
@click.option("--vtn-fingerprint", help="Fingerprint of the VTN's certificate (checks its signatures).")
@click.option("--report-only/--no-report-only", default=None, help="oadrReportOnly.")
@click.option("-v", "--verbose", is_flag=True, help="Log more (the library's info and debug lines).")
def ven(config_file: Path | None, verbose: bool, **flags: Any) -> None:
    """Run an OpenADR 2.0b VEN until SIGINT or SIGTERM, logging every event it gets.

    Settings come from --config (a [ven] table) and flags, flags winning. --handlers loads the
    vendor's callbacks, reports and supported signals from a module.
    """
    tls_flags = {name: flags.pop(name) for name in TLS_FLAGS}
    try:
        settings = VenSettings.from_file(config_file) if config_file is not None else VenSettings()
        settings = settings.merged(flags)
        settings = _with_tls(settings, tls_flags)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    _configure_logging(verbose)
    _serve(settings)


def _with_tls(settings: VenSettings, flags: dict[str, Any]) -> VenSettings:
    tls = with_tls_flags(settings.tls, flags)
    return settings if tls is None else settings.merged({"tls": tls})


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
        stream=sys.stdout,
    )
    logging.getLogger("openadr_accel.ven").setLevel(logging.DEBUG if verbose else logging.INFO)


def _serve(settings: VenSettings) -> None:
    try:
        config = settings.config()
        for name, path in _files(settings):
            if not path.is_file():
                raise click.BadParameter(f"cannot read {path}", param_hint=name)
        ssl_context = settings.client_context()
        server_context = settings.server_context()
        signer = settings.signer()
    except (ValueError, SecurityConfigurationError, OSError) as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        module = settings.handler_module()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--handlers' / handlers") from exc
    if not settings.store.parent.is_dir():
        raise click.BadParameter(
            f"the directory of {settings.store} does not exist", param_hint="'--store' / store"
        )
    try:
        node = VEN(
            config,
            settings.store,
            handlers=combined_handlers(module.handlers if module is not None else None),
            reports=module.reports if module is not None else (),
            supports=module.supports if module is not None else None,
            ssl_context=ssl_context,
            signer=signer,
            vtn_fingerprint=settings.vtn_fingerprint,
        )
    except (sqlite3.Error, OpenADRError) as exc:
        raise click.ClickException(f"cannot open the store {settings.store}: {exc}") from exc
    try:
        asyncio.run(_run(node, settings, server_context, module))
    except OSError as exc:  # the push endpoint cannot listen
        raise click.ClickException(f"cannot serve the push endpoint: {exc}") from exc


def _files(settings: VenSettings) -> list[tuple[str, Path]]:
    if settings.tls is None:
        return []
    return [("--cert", settings.tls.cert), ("--key", settings.tls.key), ("--ca", settings.tls.ca)]


async def _run(
    node: VEN, settings: VenSettings, server_context: ssl.SSLContext | None, module: HandlerModule | None
) -> None:
    """Run ``node`` until SIGINT/SIGTERM (or until it stops by itself, e.g. when the VTN
    cancels its registration); then close it."""
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop_requested.set)
    runner: web.AppRunner | None = None
    try:
        listen = settings.listen_address()
        if listen is not None:
            runner = web.AppRunner(node.app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, listen[0], listen[1], ssl_context=server_context).start()
        running = asyncio.create_task(node.run(), name="openadr-ven")
        waiting = asyncio.create_task(stop_requested.wait())
        mode = (
            "pull"
            if listen is None
            else f"push at {settings.transport_address} (listening on {listen[0]}:{listen[1]})"
        )
        click.echo(
            f"VEN {settings.ven_name} started: VTN {settings.vtn_url}, {mode}, store {settings.store}"
            + (f", handlers {settings.handlers}" if module is not None else "")
        )
        await asyncio.wait({running, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if stop_requested.is_set():
            logging.getLogger("openadr_accel.ven").info("stopping")
        node.stop()
        await running
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
        if runner is not None:
            await runner.cleanup()
        await node.close()
    click.echo(f"VEN {settings.ven_name} stopped")
