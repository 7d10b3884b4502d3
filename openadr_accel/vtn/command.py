"""``openadr-accel vtn``: run a VTN, and operate one through its store.

``openadr-accel vtn [OPTIONS]`` serves. Its subcommands act on the store a running VTN uses
(the SQLite file, which allows a second process, or the PostgreSQL database), so they need no
network access to the VTN and no admin credentials beyond access to the store itself; the running
VTN picks the changes up on the VENs' next polls (and pushes within a second)::

    openadr-accel vtn --config vtn.toml                       # serve
    openadr-accel vtn --config vtn.toml vens                  # list VENs
    openadr-accel vtn --config vtn.toml event create --interval 30m=2 --start +5m --ven ven-1
    openadr-accel vtn --config vtn.toml event modify EVENT_ID --interval 30m=3
    openadr-accel vtn --config vtn.toml event cancel EVENT_ID
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import OpenADRError, SecurityConfigurationError
from ..model import EiTarget, PowerAttributes, PowerReal, ResponseRequired, SignalType, SiScaleCode
from ..settings_file import TLS_FLAGS, with_tls_flags
from .events import Signal
from .policies import OpenRegistration
from .server import VTN
from .settings import VtnSettings, parse_duration

__all__ = ["vtn"]

_T = TypeVar("_T")


@click.group(invoke_without_command=True)
@click.option(
    "--config", "config_file", type=click.Path(path_type=Path, dir_okay=False), help="TOML settings."
)
@click.option("--vtn-id", help="This VTN's vtnID.")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port to listen on (default 8080).")
@click.option("--prefix", help="Path before /OpenADR2/Simple/2.0b/<Service>.")
@click.option(
    "--store", type=click.Path(path_type=Path, dir_okay=False), help="SQLite file (default vtn.db)."
)
@click.option("--postgres", metavar="DSN", help="PostgreSQL DSN instead of the SQLite file.")
@click.option("--poll-frequency", help="oadrRequestedOadrPollFreq, e.g. 10s.")
@click.option("--near-window", help="How long before its start an event is 'near', e.g. 1h.")
@click.option("--registration", type=click.Choice(["allow-list", "open"]), help="Who may register.")
@click.option("--allow-list", type=click.Path(path_type=Path, dir_okay=False), help="Allow-list TOML file.")
@click.option(
    "--request-reports",
    "request_reports",
    multiple=True,
    metavar="NAME",
    help="Request this report (e.g. TELEMETRY_USAGE) from every VEN that offers it (repeatable).",
)
@click.option("--report-granularity", help="Sampling interval of requested reports, e.g. 1m.")
@click.option("--report-back-duration", help="How often VENs send requested reports, e.g. 1m.")
@click.option("--cert", type=click.Path(path_type=Path, dir_okay=False), help="TLS certificate chain (PEM).")
@click.option("--key", type=click.Path(path_type=Path, dir_okay=False), help="TLS private key (PEM).")
@click.option(
    "--ca", type=click.Path(path_type=Path, dir_okay=False), help="CA bundle VEN certificates chain to."
)
@click.option("--sign/--no-sign", default=None, help="Sign messages to VENs that negotiate XML signatures.")
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
@click.pass_context
def vtn(context: click.Context, /, config_file: Path | None, verbose: bool, **flags: Any) -> None:
    """Run an OpenADR 2.0b VTN (with no subcommand), or operate one through its store."""
    tls_flags = {name: flags.pop(name) for name in TLS_FLAGS}
    try:
        settings = VtnSettings.from_file(config_file) if config_file is not None else VtnSettings()
        flags["request_reports"] = flags["request_reports"] or None
        settings = settings.merged({key.replace("-", "_"): value for key, value in flags.items()})
        settings = _with_tls(settings, tls_flags)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    context.obj = settings
    if context.invoked_subcommand is None:
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s"
        )
        _serve(settings)


def _with_tls(settings: VtnSettings, flags: dict[str, Any]) -> VtnSettings:
    tls = with_tls_flags(settings.tls, flags)
    return settings if tls is None else settings.merged({"tls": tls})


def _serve(settings: VtnSettings) -> None:
    try:
        policy = settings.policy()
        tls = settings.tls
        server = VTN(
            settings.config(),
            settings.open_store(),
            registration=policy,
            handlers=settings.handlers(),
            signer=tls.signer() if tls is not None else None,
            push_ssl_context=tls.client_context() if tls is not None else None,
        )
        ssl_context = tls.server_context() if tls is not None else None
    except (ValueError, SecurityConfigurationError, OSError) as exc:
        raise click.UsageError(str(exc)) from exc

    async def serve_forever() -> None:
        async with server.running(settings.host, settings.port, ssl_context=ssl_context) as runner:
            scheme = "https" if ssl_context is not None else "http"
            for address in runner.addresses:
                host, port = address[0], address[1]
                click.echo(
                    f"VTN {settings.vtn_id} serving {scheme}://{host}:{port}{settings.prefix}/OpenADR2/Simple/2.0b/"
                )
            if isinstance(policy, OpenRegistration):
                click.echo("WARNING: open registration: any VEN that can connect may register", err=True)
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever())


def _operate(settings: VtnSettings, action: Callable[[VTN], Awaitable[_T]]) -> _T:
    """Run ``action`` on a VTN object over the configured store (no server)."""

    async def run() -> _T:
        server = VTN(settings.config(), settings.open_store(), registration=OpenRegistration())
        await server.open()
        try:
            return await action(server)
        finally:
            await server.close()

    try:
        return asyncio.run(run())
    except OpenADRError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


@vtn.command("vens")
@click.pass_obj
def list_vens(settings: VtnSettings) -> None:
    """List the VENs: venID, state, name, mode, queued messages, groups."""

    async def collect(server: VTN) -> list[str]:
        lines = []
        for ven in await server.registrations.list():
            queued = len(await server.store.list_queue(ven.ven_id))
            state = "registered" if ven.registered else "not registered"
            mode = "pull" if ven.http_pull_model else f"push to {ven.transport_address}"
            lines.append(
                f"{ven.ven_id}\t{state}\t{ven.ven_name or '-'}\t{mode}\tqueued={queued}\t"
                f"groups={','.join(ven.group_ids) or '-'}"
            )
        return lines

    for line in _operate(settings, collect):
        click.echo(line)


@vtn.command("reports")
@click.argument("ven_id", required=False)
@click.option("--last", type=click.IntRange(min=1), default=20, show_default=True, help="How many to show.")
@click.pass_obj
def list_reports(settings: VtnSettings, ven_id: str | None, last: int) -> None:
    """List the latest reports VENs delivered: time, venID, reportRequestID, rID=value..."""

    async def collect(server: VTN) -> list[str]:
        lines = []
        for stored in (await server.reports.data(ven_id))[-last:]:
            values = " ".join(
                f"{payload.r_id}={getattr(payload.payload, 'value', payload.payload)}"
                for interval in stored.report.intervals
                for payload in interval.payloads
            )
            lines.append(
                f"{stored.received_at.isoformat()}\t{stored.ven_id}\t{stored.report.report_request_id}\t{values}"
            )
        return lines

    for line in _operate(settings, collect):
        click.echo(line)


@vtn.command("assign")
@click.argument("ven_id")
@click.option("--group", "groups", multiple=True, help="Group ID (repeatable; replaces the VEN's groups).")
@click.option("--resource", "resources", multiple=True, help="Resource ID (repeatable).")
@click.option("--market-context", "market_contexts", multiple=True, help="Market context (repeatable).")
@click.pass_obj
def assign(
    settings: VtnSettings,
    ven_id: str,
    groups: tuple[str, ...],
    resources: tuple[str, ...],
    market_contexts: tuple[str, ...],
) -> None:
    """Place a VEN (known or not yet) in groups, resources and market contexts, for targeting."""
    ven = _operate(
        settings,
        lambda server: server.registrations.assign(
            ven_id,
            group_ids=groups or None,
            resource_ids=resources or None,
            market_contexts=market_contexts or None,
        ),
    )
    click.echo(f"{ven.ven_id}: groups={list(ven.group_ids)} resources={list(ven.resource_ids)}")


@vtn.group("event")
def event() -> None:
    """Create, modify, cancel and list events."""


_POWER_SCALES = {"W": SiScaleCode.NONE, "kW": SiScaleCode.KILO, "MW": SiScaleCode.MEGA}
"""The units ``--power-unit`` offers, with their SI scale."""


def _power_item_base(unit: str) -> PowerReal:
    attributes = PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True)
    return PowerReal(attributes=attributes, scale=_POWER_SCALES[unit])


def _duration_option(flag: str, text: str | None) -> timedelta | None:
    if text is None:
        return None
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise click.UsageError(f"{flag} {text!r}: {exc}") from exc
    if value <= timedelta(0):
        raise click.UsageError(f"{flag} {text!r}: give a positive duration")
    return value


def _signal_options(function: Callable[..., Any]) -> Callable[..., Any]:
    for decorator in reversed(
        [
            click.option("--signal-name", default="SIMPLE", show_default=True, help="signalName."),
            click.option(
                "--signal-type",
                type=click.Choice([member.value for member in SignalType]),
                default=SignalType.LEVEL.value,
                show_default=True,
            ),
            click.option(
                "--interval",
                "intervals",
                multiple=True,
                metavar="DURATION=VALUE",
                help="One interval, in order (repeatable), e.g. 30m=2.",
            ),
            click.option("--start", help="ISO 8601 start, 'now', or '+DURATION' from now (e.g. +5m)."),
        ]
    ):
        function = decorator(function)
    return function


@event.command("create")
@_signal_options
@click.option("--ven", "vens", multiple=True, help="Target venID (repeatable).")
@click.option("--group", "groups", multiple=True, help="Target group ID (repeatable).")
@click.option("--resource", "resources", multiple=True, help="Target resource ID (repeatable).")
@click.option("--market-context", help="The event's market context.")
@click.option("--priority", type=click.IntRange(min=0), help="Priority (1 highest, 0 none).")
@click.option("--response-required", type=click.Choice(["always", "never"]), default="always")
@click.option("--test", "test_event", is_flag=True, help="Mark as a test event.")
@click.option("--event-id", help="The eventID (default: a new random one).")
@click.option(
    "--power-unit",
    type=click.Choice(list(_POWER_SCALES)),
    help="The signal's itemBase: real power in this unit (a LOAD_DISPATCH setpoint, say; "
    "230 V, 50 Hz AC).",
)
@click.option("--start-after", help="Randomize each VEN's start within this window, e.g. 5m.")
@click.pass_obj
def event_create(settings: VtnSettings, /, **options: Any) -> None:
    """Create an event and distribute it to the VENs it targets (everyone without targets)."""
    signal = _signal(options)
    if signal is None:
        raise click.UsageError("give the event at least one --interval DURATION=VALUE")
    if options["power_unit"] is not None:
        signal = replace(signal, item_base=_power_item_base(options["power_unit"]))
    start_after = _duration_option("--start-after", options["start_after"])
    start = _start(options["start"]) if options["start"] else datetime.now(UTC)
    target = EiTarget(ven_ids=options["vens"], group_ids=options["groups"], resource_ids=options["resources"])
    created = _operate(
        settings,
        lambda server: server.events.create(
            signals=[signal],
            start=start,
            target=target,
            market_context=options["market_context"],
            priority=options["priority"],
            response_required=ResponseRequired(options["response_required"]),
            test_event=options["test_event"],
            event_id=options["event_id"],
            start_after=start_after,
        ),
    )
    click.echo(created.ei_event.event_descriptor.event_id)


@event.command("modify")
@click.argument("event_id")
@_signal_options
@click.pass_obj
def event_modify(settings: VtnSettings, /, event_id: str, **options: Any) -> None:
    """Change an event's intervals and/or start (modificationNumber + 1)."""
    signal = _signal(options)
    start = _start(options["start"]) if options["start"] else None
    if signal is None and start is None:
        raise click.UsageError("nothing to change: give --interval and/or --start")
    modified = _operate(
        settings,
        lambda server: server.events.modify(
            event_id, signals=None if signal is None else [signal], start=start
        ),
    )
    click.echo(f"{event_id} modificationNumber={modified.ei_event.event_descriptor.modification_number}")


@event.command("cancel")
@click.argument("event_id")
@click.pass_obj
def event_cancel(settings: VtnSettings, event_id: str) -> None:
    """Cancel an event."""
    cancelled = _operate(settings, lambda server: server.events.cancel(event_id))
    click.echo(
        f"{event_id} cancelled (modificationNumber={cancelled.ei_event.event_descriptor.modification_number})"
    )


@event.command("list")
@click.pass_obj
def event_list(settings: VtnSettings) -> None:
    """List the current events: eventID, modificationNumber, status, start, duration, answers."""

    async def collect(server: VTN) -> list[str]:
        lines = []
        for current in await server.events.current():
            descriptor = current.ei_event.event_descriptor
            period = current.ei_event.active_period
            answers = await server.events.responses(descriptor.event_id)
            opted = ",".join(f"{answer.ven_id}:{answer.opt_type}" for answer in answers) or "-"
            lines.append(
                f"{descriptor.event_id}\tmod={descriptor.modification_number}\t{descriptor.event_status}\t"
                f"{period.dtstart.isoformat()}\t{period.duration}\t{opted}"
            )
        return lines

    for line in _operate(settings, collect):
        click.echo(line)


@vtn.command("cancel-registration")
@click.argument("ven_id")
@click.pass_obj
def cancel_registration(settings: VtnSettings, ven_id: str) -> None:
    """Ask a VEN to end its registration (oadrCancelPartyRegistration)."""
    _operate(settings, lambda server: server.registrations.cancel(ven_id))
    click.echo(f"cancellation queued for {ven_id}")


@vtn.command("reregister")
@click.argument("ven_id")
@click.pass_obj
def reregister(settings: VtnSettings, ven_id: str) -> None:
    """Ask a VEN to register again (oadrRequestReregistration)."""
    _operate(settings, lambda server: server.registrations.request_reregistration(ven_id))
    click.echo(f"reregistration request queued for {ven_id}")


def _signal(options: dict[str, Any]) -> Signal | None:
    intervals = []
    for text in options["intervals"]:
        duration, separator, value = text.partition("=")
        if not separator:
            raise click.UsageError(f"--interval {text!r}: use DURATION=VALUE, e.g. 30m=2")
        try:
            intervals.append((parse_duration(duration), Decimal(value)))
        except (ValueError, InvalidOperation) as exc:
            raise click.UsageError(f"--interval {text!r}: {exc}") from exc
    if not intervals:
        return None
    return Signal(name=options["signal_name"], type=SignalType(options["signal_type"]), intervals=intervals)


def _start(text: str) -> datetime:
    now = datetime.now(UTC)
    if text == "now":
        return now
    try:
        if text.startswith("+"):
            return now + parse_duration(text[1:])
        start = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.UsageError(f"--start {text!r}: {exc}") from exc
    if start.tzinfo is None:
        raise click.UsageError(f"--start {text!r}: give a time zone (e.g. 2026-12-01T17:00:00+00:00)")
    return start
