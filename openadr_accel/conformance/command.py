"""``openadr-accel conformance``: run the OpenADR 2.0b conformance suite against a device.

::

    # a vendor's VEN: the harness plays the VTN at http://0.0.0.0:8080; configure the VEN with it
    openadr-accel conformance ven --host 0.0.0.0 --port 8080 --html report.html

    # a vendor's VTN: the harness plays a VEN against it
    openadr-accel conformance vtn --url https://vtn.example:8443 --cert th.pem --key th.key --ca ca.pem

    # our own VEN or VTN (a fresh one per case, on a compressed clock): trying the suite, and CI
    openadr-accel conformance ven --device ours --both --junit ven.xml --html ven.html
    openadr-accel conformance vtn --device ours -c N -c 'E1_10*' --tls --sign

    openadr-accel conformance ven --list -c R           # the selected cases, with their titles

Cases are selected with ``-c/--case`` (repeatable): a full ID (``N1_0010_TH_VTN``), a number
(``E1_1020``, or its push twin ``E0_6020``), a group (``N``, ``A_E``) or a shell wildcard
(``'R1_31*'``); none selects every case for the device's role. ``--pull`` (the default),
``--push`` or ``--both`` choose the transport; an external VEN runs in the one it is configured
for, so ``--both`` is for our own VEN and for VTNs (the harness VEN can do either).

The exit status is 0 only when every selected case **passed**; 1 when any did not (failed,
error, and also needs observation, not applicable or skipped: none of them is a pass);
``--tolerate`` lets chosen verdicts other than failed and error leave the status at 0 (a dry run
against an external device, whose observation cases always need a person, might use
``--tolerate needs-observation``); they are still reported as not passed. 2 is a usage error
(click's convention); 130 an interrupted run, which still prints and writes what it concluded,
the unfinished cases as skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.logging import RichHandler

from ..errors import SecurityConfigurationError
from ..security import KeyType, fingerprint, init_pki, issue_ven
from ..security.certificates import Credentials
from ..security.signature import Signer
from ..security.tls import ven_ssl_context, vtn_ssl_context
from ..settings_file import TlsFiles, with_tls_flags
from ..vtn.settings import parse_duration
from .case import REGISTRY, CaseResult, Role, Selected, Transport, Verdict
from .context import CompressedClock, Timeouts
from .devices import ExternalVen, ExternalVenFactory, ExternalVtnFactory
from .progress import DisplayOperator, RunDisplay, progress_for
from .results import RunInfo
from .results.console import print_results
from .results.html import write_html
from .results.junit import write_junit

_EXTERNAL_CASE_SECONDS = 1800.0
"""The default bound of one case against an external device: its clock runs in real time, and
the event-following cases (A_E1_0210, say) take several minutes."""

if TYPE_CHECKING:
    import ssl

    from .harness_vtn import HarnessVtn
    from .runner import HarnessSecurity, Runner, RunSettings, VenRunner, VtnRunner

__all__ = ["conformance"]

_F = TypeVar("_F", bound=Callable[..., Any])

OUR_VEN_ID = "openadr-accel-ven-1"
"""The venID our own VEN is provisioned with when it is the device under test."""

EXIT_NOT_PASSED = 1
EXIT_INTERRUPTED = 130

DEFAULT_OUR_SPEED = 60.0
"""The clock compression for our own devices (a two-minute report period lasts two seconds)."""
DEFAULT_HARNESS_VTN_PORT = 8080

_TOLERABLE = {
    "needs-observation": Verdict.NEEDS_OBSERVATION,
    "not-applicable": Verdict.NOT_APPLICABLE,
    "skipped": Verdict.SKIPPED,
}
_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{2}:){9}[0-9A-F]{2}$")
_file = click.Path(path_type=Path, dir_okay=False, exists=True, readable=True)
_output = click.Path(path_type=Path, dir_okay=False, writable=True)


def _common_options(command: _F) -> _F:
    """The options both subcommands share (applied bottom-up, so listed in reverse)."""
    options = [
        click.option(
            "--device",
            type=click.Choice(["external", "ours"]),
            default="external",
            show_default=True,
            help="The device under test: an external one (yours: a person makes it do what cases "
            "ask), or our own, started afresh for each case.",
        ),
        click.option(
            "--pull",
            "transport",
            flag_value="pull",
            default=True,
            help="Run the HTTP pull cases (the default).",
        ),
        click.option("--push", "transport", flag_value="push", help="Run the HTTP push cases."),
        click.option(
            "--both",
            "transport",
            flag_value="both",
            help="Run each selected case in pull, then in push (not for an external VEN).",
        ),
        click.option(
            "-c",
            "--case",
            "patterns",
            multiple=True,
            metavar="PATTERN",
            help="Select cases (repeatable): an ID, a number, a group or a wildcard "
            "(-c N -c E1_1020 -c 'R1_31*'). Default: every case.",
        ),
        click.option("--list", "list_only", is_flag=True, help="Print the selected cases and exit."),
        click.option("--cert", type=_file, help="The harness's TLS certificate chain (PEM)."),
        click.option("--key", type=_file, help="The harness's TLS private key (PEM)."),
        click.option("--ca", type=_file, help="The CA bundle the device's certificate chains to."),
        click.option(
            "--tls",
            is_flag=True,
            help="--device ours: mutual TLS with a throwaway test PKI made for the run.",
        ),
        click.option(
            "--sign",
            is_flag=True,
            help="XML signatures, with the TLS certificate (needs --cert/--key/--ca, or --tls).",
        ),
        click.option(
            "--device-fingerprint",
            metavar="AA:BB:…",
            help="The 2.0b fingerprint of the device's certificate: its TLS certificate and "
            "signatures must match it (needed with --sign).",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=30.0,
            show_default=True,
            help="Seconds to wait for a message the device sends by itself.",
        ),
        click.option(
            "--action-timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=300.0,
            show_default=True,
            help="Seconds to wait for the device after asking the operator to make it act.",
        ),
        click.option(
            "--case-timeout",
            type=click.FloatRange(min=0, min_open=True),
            help="The most seconds one case may take [default: 120 for our devices; for an "
            "external one, 1800 or 3 x --action-timeout, whichever is more: some cases follow an "
            "event for minutes in real time].",
        ),
        click.option(
            "--speed",
            type=click.FloatRange(min=0, min_open=True),
            help=f"--device ours: how much faster than the wall clock the run's clock goes "
            f"[default: {DEFAULT_OUR_SPEED:g}].",
        ),
        click.option(
            "--jobs",
            type=click.IntRange(min=1),
            help="--device ours: how many cases run at once [default: 1].",
        ),
        click.option("--junit", type=_output, help="Write the results as JUnit XML to this file."),
        click.option("--html", type=_output, help="Write the report as one self-contained HTML file."),
        click.option(
            "--tolerate",
            type=click.Choice(sorted(_TOLERABLE)),
            multiple=True,
            help="Leave the exit status at 0 for this verdict (repeatable; failed and error "
            "always make it 1). It is still reported as not passed.",
        ),
        click.option("-v", "--verbose", is_flag=True, help="Log the harness's debug lines."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group()
def conformance() -> None:
    """Run the OpenADR 2.0b conformance suite (the certification catalogue's cases) against a
    VEN or a VTN: yours (a dry run before certification) or ours.

    Every case ends passed, failed, error, needs observation, not applicable or skipped; only
    passed is a pass. The exit status is 0 only when every selected case passed (see
    --tolerate), 1 otherwise, 2 for a usage error.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class _Options:
    """The parsed options of a run."""

    role: Role
    ours: bool
    transports: tuple[Transport, ...]
    patterns: tuple[str, ...]
    list_only: bool
    tls: TlsFiles | None
    make_pki: bool
    sign: bool
    device_fingerprint: str | None
    timeouts: Timeouts
    case_seconds: float
    speed: float
    jobs: int
    host: str
    port: int
    poll_frequency: timedelta
    junit: Path | None
    html: Path | None
    tolerate: frozenset[Verdict]
    verbose: bool
    url: str | None = None
    settings: dict[str, str] = field(default_factory=dict)


@conformance.command("ven")
@_common_options
@click.option(
    "--host",
    help="External VEN: the address the harness VTN listens on [default: 127.0.0.1].",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help=f"External VEN: the port the harness VTN listens on (0: any free port) "
    f"[default: {DEFAULT_HARNESS_VTN_PORT}].",
)
@click.option(
    "--poll-frequency",
    default="1s",
    show_default=True,
    help="The oadrRequestedOadrPollFreq the harness VTN asks for (e.g. 10s; at least 1 s).",
)
def ven_command(**flags: Any) -> None:
    """Test a VEN: the harness plays the VTN.

    An external VEN (the default) connects to the harness VTN at --host/--port (its address is
    printed when the run starts); a person makes the VEN do what each case asks (the
    instructions are printed) within --action-timeout. --device ours runs our own VEN instead,
    a fresh one for each case.
    """
    options = _parse(Role.VEN, flags)
    _execute(options)


@conformance.command("vtn")
@click.option("--url", help="The VTN's base URL, before /OpenADR2/Simple/2.0b/ (an external VTN).")
@_common_options
@click.option(
    "--host",
    help="External VTN, --push: the address the harness VEN's push endpoint listens on (the VTN "
    "must reach it) [default: 127.0.0.1].",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="External VTN, --push: the port of that endpoint [default: any free port].",
)
def vtn_command(**flags: Any) -> None:
    """Test a VTN: the harness plays a VEN.

    An external VTN (at --url) is asked, through a person, to create events, request reports
    and so on (the instructions are printed); the harness VEN registers with it, polls it
    (--pull) or serves its push endpoint (--push). --device ours runs our own VTN instead, a
    fresh one for each case (no --url).
    """
    options = _parse(Role.VTN, flags)
    _execute(options)


# -- options ----------------------------------------------------------------------------------------


def _parse(role: Role, flags: dict[str, Any]) -> _Options:
    """Check the flags' combination and make the run's options (usage errors: exit 2)."""
    ours = flags["device"] == "ours"
    transport = flags["transport"]
    if transport is True:  # click hands the default of a flag_value group as True
        transport = "pull"
    if transport == "both" and role is Role.VEN and not ours and not flags["list_only"]:
        raise click.UsageError(
            "--both is not for an external VEN: it runs in the transport it is configured for "
            "(run once with --pull and once with --push)"
        )
    transports = (Transport.PULL, Transport.PUSH) if transport == "both" else (Transport(transport),)
    url = flags.get("url")
    host, port = flags["host"], flags["port"]
    if ours:
        for name in ("cert", "key", "ca", "device_fingerprint", "url", "host", "port"):
            if flags.get(name) is not None:
                option = "--" + name.replace("_", "-")
                raise click.UsageError(
                    f"{option} is not for --device ours (it runs on loopback; --tls makes a test PKI)"
                )
        host, port = "127.0.0.1", 0
    else:
        for name in ("speed", "jobs"):
            if flags[name] is not None:
                raise click.UsageError(
                    f"--{name} is only for --device ours (an external device keeps its own clock, "
                    "and runs one case at a time)"
                )
        if flags["tls"]:
            raise click.UsageError(
                "--tls is for --device ours: give the harness's --cert, --key and --ca instead"
            )
        if role is Role.VTN and not flags.get("list_only") and not url:
            raise click.UsageError("an external VTN needs --url (or test our own with --device ours)")
        host = host or "127.0.0.1"
        port = port if port is not None else (DEFAULT_HARNESS_VTN_PORT if role is Role.VEN else 0)
    if url is not None and not re.match(r"^https?://[^/\s]+", url):
        raise click.BadParameter(f"{url!r} is not an http:// or https:// URL", param_hint="'--url'")
    tls = _tls_files(flags) if not ours else None
    if flags["sign"] and not (tls is not None or flags["tls"]):
        raise click.UsageError("--sign needs TLS: --cert, --key and --ca (or --tls with --device ours)")
    device_fingerprint = _fingerprint(flags["device_fingerprint"])
    if flags["sign"] and not ours and device_fingerprint is None:
        raise click.UsageError(
            "--sign needs --device-fingerprint: the device's signatures are checked against it"
        )
    for name in ("junit", "html"):
        path: Path | None = flags[name]
        if path is not None and not path.resolve().parent.is_dir():
            raise click.BadParameter(f"the directory of {path} does not exist", param_hint=f"'--{name}'")
    poll_frequency = _poll_frequency(flags.get("poll_frequency") or "1s")
    timeouts = Timeouts(message=flags["timeout"], action=flags["action_timeout"])
    case_seconds = flags["case_timeout"]
    if case_seconds is None:
        case_seconds = 120.0 if ours else max(_EXTERNAL_CASE_SECONDS, 3 * timeouts.action)
    speed = flags["speed"] if flags["speed"] is not None else (DEFAULT_OUR_SPEED if ours else 1.0)
    tolerate = frozenset(_TOLERABLE[name] for name in flags["tolerate"])
    options = _Options(
        role=role,
        ours=ours,
        transports=transports,
        patterns=tuple(flags["patterns"]),
        list_only=flags["list_only"],
        tls=tls,
        make_pki=flags["tls"],
        sign=flags["sign"],
        device_fingerprint=device_fingerprint,
        timeouts=timeouts,
        case_seconds=case_seconds,
        speed=speed,
        jobs=flags["jobs"] or 1,
        host=host,
        port=port,
        poll_frequency=poll_frequency,
        junit=flags["junit"],
        html=flags["html"],
        tolerate=tolerate,
        verbose=flags["verbose"],
        url=url.rstrip("/") if url else None,
    )
    options.settings.update(_describe(options))
    return options


def _tls_files(flags: dict[str, Any]) -> TlsFiles | None:
    try:
        given = {name: flags[name] for name in ("cert", "key", "ca")}
        merged = with_tls_flags(None, {**given, "sign": flags["sign"] or None})
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if merged is None or "cert" not in merged:
        return None  # --sign alone: refused by the caller
    return TlsFiles(
        cert=Path(merged["cert"]),
        key=Path(merged["key"]),
        ca=Path(merged["ca"]),
        sign=bool(merged.get("sign", False)),
    )


def _fingerprint(text: str | None) -> str | None:
    if text is None:
        return None
    normalized = text.strip().upper()
    if not _FINGERPRINT.match(normalized):
        raise click.BadParameter(
            f"{text!r} is not a 2.0b fingerprint (10 bytes in hex with colons, AA:BB:...:JJ)",
            param_hint="'--device-fingerprint'",
        )
    return normalized


def _poll_frequency(text: str) -> timedelta:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--poll-frequency'") from exc
    if value < timedelta(seconds=1) or value.total_seconds() != int(value.total_seconds()):
        raise click.BadParameter(
            f"{text!r}: the poll frequency must be whole seconds, at least 1 s",
            param_hint="'--poll-frequency'",
        )
    return value


def _describe(options: _Options) -> dict[str, str]:
    """How the run goes, in words, for the reports."""
    described = {
        "transport": " and ".join(transport.value for transport in options.transports),
        "TLS": (
            "mutual TLS (a throwaway test PKI)"
            if options.make_pki
            else ("mutual TLS" if options.tls is not None else "none (plain HTTP)")
        ),
        "XML signatures": "yes" if options.sign else "no",
        "message timeout": f"{options.timeouts.message:g} s",
        "case timeout": f"{options.case_seconds:g} s",
    }
    if options.ours:
        described["clock speed"] = f"{options.speed:g}x"
        described["jobs"] = str(options.jobs)
    else:
        described["action timeout"] = f"{options.timeouts.action:g} s"
    if options.url:
        described["VTN URL"] = options.url
    if options.role is Role.VEN:
        described["requested poll frequency"] = f"{options.poll_frequency.total_seconds():g} s"
    if options.patterns:
        described["selected with"] = " ".join(options.patterns)
    return described


# -- running ----------------------------------------------------------------------------------------


def _select(options: _Options) -> list[Selected]:
    """The selected cases, transport by transport. With --both a pattern need only match in
    one of them (``N0_5020`` selects the push case alone); one that matches nowhere is an error."""
    from . import cases  # noqa: F401, PLC0415 (registers every case; heavy, so only when running)

    def matches(pattern: str, transport: Transport) -> bool:
        try:
            REGISTRY.select(options.role, transport, [pattern])
        except ValueError:
            return False
        return True

    unmatched = [
        pattern
        for pattern in options.patterns
        if not any(matches(pattern, transport) for transport in options.transports)
    ]
    if unmatched:
        where = " or ".join(options.transports)
        raise click.BadParameter(
            f"no {where} case for a {options.role} matches {', '.join(map(repr, unmatched))}",
            param_hint="'-c' / '--case'",
        )
    selection: list[Selected] = []
    for transport in options.transports:
        patterns = [pattern for pattern in options.patterns if matches(pattern, transport)]
        if patterns or not options.patterns:
            selection.extend(REGISTRY.select(options.role, transport, patterns))
    if not selection:
        raise click.UsageError(f"no case for a {options.role} in {' or '.join(options.transports)} yet")
    return selection


def _execute(options: _Options) -> None:
    selection = _select(options)
    if options.list_only:
        _list(selection)
        return
    console = _console()
    _configure_logging(options.verbose, console, ours=options.ours)
    started = datetime.now(UTC)
    with contextlib.ExitStack() as stack:
        display: RunDisplay = progress_for(len(selection), console, announce_start=not options.ours)
        stack.enter_context(display)
        runner, device = _runner(options, display, stack)
        results, interrupted = _run(runner, selection, display)
    info = RunInfo(
        role=options.role,
        device=device,
        started=started,
        seconds=(datetime.now(UTC) - started).total_seconds(),
        settings=options.settings,
    )
    print_results(results, info, console)
    for path, write, what in (
        (options.junit, write_junit, "JUnit XML"),
        (options.html, write_html, "HTML report"),
    ):
        if path is None:
            continue
        try:
            write(path, results, info)
        except OSError as exc:
            raise click.ClickException(f"cannot write the {what} to {path}: {exc.strerror or exc}") from exc
        console.print(f"{what}: {path}", highlight=False, markup=False)
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if any(not result.verdict.is_pass and result.verdict not in options.tolerate for result in results):
        sys.exit(EXIT_NOT_PASSED)


def _list(selection: Sequence[Selected]) -> None:
    width = max(len(selected.case_id) for selected in selection)
    for selected in selection:
        click.echo(f"{selected.case_id:<{width}}  {selected.transport.value:<4}  {selected.case.title}")
    click.echo(f"{len(selection)} case(s)")


def _console() -> Console:
    """Standard output; off a terminal, wide enough that a log keeps each row on one line."""
    terminal = sys.stdout.isatty()
    width = None if terminal else int(os.environ.get("COLUMNS", "") or 160)
    return Console(width=width, highlight=False, soft_wrap=False)


def _configure_logging(verbose: bool, console: Console, *, ours: bool) -> None:
    """Log lines go through the display on a terminal, to standard error elsewhere. Without
    -v, our own device's warnings are kept quiet (the cases provoke them on purpose)."""
    handler: logging.Handler
    if console.is_terminal:
        handler = RichHandler(console=console, show_path=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("openadr_accel").setLevel(logging.DEBUG if verbose else logging.WARNING)
    for device in ("openadr_accel.ven", "openadr_accel.vtn"):
        logging.getLogger(device).setLevel(
            logging.DEBUG if verbose else (logging.ERROR if ours else logging.NOTSET)
        )


def _run(runner: Runner, selection: Sequence[Selected], display: RunDisplay) -> tuple[list[CaseResult], bool]:
    """The results in the selection's order, and whether the run was interrupted (then the
    cases that did not finish are skipped)."""
    try:
        return asyncio.run(runner.run(selection)), False
    except KeyboardInterrupt:
        finished = {result.case_id: result for result in display.results}
        return [
            finished.get(selected.case_id)
            or CaseResult(
                case_id=selected.case_id,
                case=selected.case,
                transport=selected.transport,
                verdict=Verdict.SKIPPED,
                reason="the run was interrupted before this case finished",
            )
            for selected in selection
        ], True


def _settings(options: _Options, security: HarnessSecurity) -> RunSettings:
    from .runner import RunSettings  # noqa: PLC0415 (the runner pulls in both harnesses)

    return RunSettings(
        speed=options.speed,
        timeouts=options.timeouts,
        case_seconds=options.case_seconds,
        jobs=options.jobs if options.ours else 1,
        security=security,
        harness_host=options.host,
        harness_port=options.port,
        poll_frequency=options.poll_frequency,
    )


def _runner(options: _Options, display: RunDisplay, stack: contextlib.ExitStack) -> tuple[Runner, str]:
    """The runner for the options, and the device in words."""
    from .runner import VenRunner, VtnRunner  # noqa: PLC0415 (the runner pulls in both harnesses)

    try:
        if options.ours:
            pki = _TestPki(stack) if options.make_pki else None
            if options.role is Role.VEN:
                return _our_ven_runner(options, display, pki), "our own VEN (openadr_accel)"
            return _our_vtn_runner(options, display, pki), "our own VTN (openadr_accel)"
        security = _external_security(options)
        operator = DisplayOperator(display)
        if options.role is Role.VEN:
            factory = _AnnouncingVenFactory(ExternalVenFactory(operator), display, options)
            return VenRunner(factory, _settings(options, security), display), "the external VEN"
        assert options.url is not None
        display.say(
            f"The harness VEN tests the VTN at {options.url} in HTTP "
            f"{' and '.join(options.transports)}; it registers as venName TH_VEN."
            + _own_fingerprint(options.tls)
        )
        vtn_factory = ExternalVtnFactory(options.url, operator)
        return VtnRunner(vtn_factory, _settings(options, security), display), f"the VTN at {options.url}"
    except SecurityConfigurationError as exc:
        raise click.UsageError(f"TLS: {exc}") from exc


def _own_fingerprint(tls: TlsFiles | None) -> str:
    if tls is None:
        return ""
    try:
        return f" The harness's certificate fingerprint is {fingerprint(tls.cert)}."
    except (OSError, ValueError):
        return ""


def _external_security(options: _Options) -> HarnessSecurity:
    from .runner import HarnessSecurity  # noqa: PLC0415

    tls = options.tls
    if tls is None:
        return HarnessSecurity(device_fingerprint=options.device_fingerprint)
    return HarnessSecurity(
        server_ssl=tls.server_context(),
        client_ssl=tls.client_context(),
        signer=tls.signer(),
        device_fingerprint=options.device_fingerprint,
    )


class _AnnouncingVenFactory:
    """An external VEN whose operator is told the harness VTN's address once it listens."""

    shared_harness = True

    def __init__(self, inner: ExternalVenFactory, display: RunDisplay, options: _Options) -> None:
        self.inner = inner
        self.display = display
        self.options = options
        self.announced = False

    @contextlib.asynccontextmanager
    async def attach(
        self, selected: Selected, harness: HarnessVtn, clock: CompressedClock
    ) -> AsyncIterator[ExternalVen]:
        if not self.announced:
            self.announced = True
            transport = self.options.transports[0]
            self.display.say(
                f"The harness VTN (vtnID {harness.vtn_id}) listens at {harness.url} (the base URL, "
                f"before /OpenADR2/Simple/2.0b/). Configure the VEN under test with it, in HTTP "
                f"{transport}." + _own_fingerprint(self.options.tls)
            )
        async with self.inner.attach(selected, harness, clock) as device:
            yield device


@dataclass(frozen=True, slots=True)
class _Pair:
    """One party's credentials in the throwaway PKI."""

    credentials: Credentials
    ca: Path

    def server(self) -> ssl.SSLContext:
        return vtn_ssl_context(self.credentials, self.ca)

    def client(self) -> ssl.SSLContext:
        return ven_ssl_context(self.credentials, self.ca)

    def signer(self) -> Signer:
        return Signer.from_files(self.credentials.certificate, self.credentials.key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.credentials.certificate)


class _TestPki:
    """A throwaway test PKI in a temporary directory (removed when the run ends): a VTN
    certificate and a VEN certificate, ECC."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="openadr-conformance-pki-")))
        pki = init_pki(folder)
        issued = issue_ven("conformance-ven", folder, key_types=(KeyType.ECC,))
        self.vtn = _Pair(pki.vtn(KeyType.ECC), pki.ca_bundle)
        self.ven = _Pair(issued[KeyType.ECC], pki.ca_bundle)


def _our_ven_runner(options: _Options, display: RunDisplay, pki: _TestPki | None) -> VenRunner:
    from .our_ven import OurVenFactory, charger_reports  # noqa: PLC0415 (only when it is the device)
    from .runner import HarnessSecurity, VenRunner  # noqa: PLC0415

    # our VEN as a charger would run it: with a venID provisioned (N1_0025) and a meter's reports
    if pki is None:
        factory = OurVenFactory(ven_id=OUR_VEN_ID, reports=charger_reports)
        security = HarnessSecurity()
    else:
        factory = OurVenFactory(
            ven_id=OUR_VEN_ID,
            reports=charger_reports,
            client_ssl=pki.ven.client(),
            push_ssl=pki.ven.server(),
            signer=pki.ven.signer() if options.sign else None,
            vtn_fingerprint=pki.vtn.fingerprint,
        )
        security = HarnessSecurity(
            server_ssl=pki.vtn.server(),
            client_ssl=pki.vtn.client(),
            signer=pki.vtn.signer() if options.sign else None,
            device_fingerprint=pki.ven.fingerprint,
        )
    return VenRunner(factory, _settings(options, security), display)


def _our_vtn_runner(options: _Options, display: RunDisplay, pki: _TestPki | None) -> VtnRunner:
    from .our_vtn import OurVtnFactory  # noqa: PLC0415 (our VTN: only when it is the device)
    from .runner import HarnessSecurity, VtnRunner  # noqa: PLC0415

    if pki is None:
        factory = OurVtnFactory(clock_speed=options.speed)
        security = HarnessSecurity()
    else:
        factory = OurVtnFactory(
            clock_speed=options.speed,
            server_ssl=pki.vtn.server(),
            push_ssl=pki.vtn.client(),
            signer=pki.vtn.signer() if options.sign else None,
        )
        security = HarnessSecurity(
            server_ssl=pki.ven.server(),
            client_ssl=pki.ven.client(),
            signer=pki.ven.signer() if options.sign else None,
            device_fingerprint=pki.vtn.fingerprint,
        )
    return VtnRunner(factory, _settings(options, security), display)
