"""Our VEN (``openadr_accel.ven.VEN``) against OpenLEADR 0.5.36's VTN (``openleadr_vtn.py``).

The VTN runs as a child process in OpenLEADR's own environment; our VEN runs in this process, in
real time, with its handlers writing to a :class:`~ven_harness.Journal`. One scenario, over plain
HTTP and over mutual TLS with XML signatures both ways: the VEN registers and polls at the VTN's
frequency; three events come (one to opt into and follow through its lifecycle, one to opt out
of, one the VTN cancels); the VEN offers a TELEMETRY_USAGE report, which the VTN requests and
receives; an opt (OpenLEADR has no EiOpt) fails with HTTP 404 and the VEN carries on. Then
``openadr-accel ven`` as its own process, with a handler module, against the same peer.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openleadr_vtn_support import TlsFiles, VtnProcess, event_spec, openleadr_interpreter, start_vtn
from ven_harness import Journal, make_ven, ven_config

from openadr_accel.clock import system_clock
from openadr_accel.errors import RemoteProtocolError, TransportError
from openadr_accel.model import (
    EventStatus,
    OadrDistributeEvent,
    OadrRequestReregistration,
    OadrResponse,
    OptType,
    Payload,
)
from openadr_accel.security import KeyType, Signer, TestPKI, fingerprint, init_pki, issue_ven, ven_ssl_context
from openadr_accel.ven.node import VEN
from openadr_accel.ven.report_capabilities import telemetry_usage

pytestmark = [pytest.mark.interop, pytest.mark.timeout(60)]

VTN_ID = "OPENLEADR-VTN"
VEN_NAME = "accel-ven"
POLL_SECONDS = 1.0

# Bounds of each wait, in seconds.
REGISTRATION_WAIT = 10.0
LINE_WAIT = 8.0
LIFECYCLE_WAIT = 10.0

# The events the VTN queues for the VEN as soon as it registers, with the VEN's decision on each.
LIFECYCLE = "ev-lifecycle"  # starts 3 s after it is queued: two 2 s intervals, values 1 then 2
REFUSED = "ev-refused"  # opted out of
CANCELLED = "ev-cancelled"  # opted into, cancelled by the VTN 2 s after it is queued
EVENTS = (
    event_spec(event_id=LIFECYCLE, intervals=[(2, 1), (2, 2)], start_offset=3),
    event_spec(event_id=REFUSED, intervals=[(600, 1)], start_offset=120),
    event_spec(event_id=CANCELLED, intervals=[(600, 3)], start_offset=120, cancel_after=2),
)
DECISIONS = {LIFECYCLE: OptType.OPT_IN, REFUSED: OptType.OPT_OUT, CANCELLED: OptType.OPT_IN}

# What the VEN's telemetry reads.
POWER = Decimal("7.5")
ENERGY = Decimal("1234.25")


@pytest.fixture(scope="module")
def python() -> Path:
    return openleadr_interpreter()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("pki"))
    issue_ven(VEN_NAME, made.directory)
    return made


async def read_power() -> Decimal:
    await asyncio.sleep(0)
    return POWER


async def read_energy() -> Decimal:
    await asyncio.sleep(0)
    return ENERGY


def our_ven(tmp_path: Path, vtn: VtnProcess, journal: Journal, **security: Any) -> VEN:
    """Our VEN for ``vtn``: it would poll every 200 ms, the VTN asks for 1 s; telemetry offered
    with a 1 s sampling rate (what the VTN asks for)."""
    config = ven_config(vtn.base_url, ven_name=VEN_NAME, poll_frequency=timedelta(milliseconds=200))
    telemetry = telemetry_usage(
        "accel-telemetry", power=read_power, energy=read_energy, min_period=timedelta(seconds=1)
    )
    return make_ven(
        tmp_path, vtn.base_url, journal, clock=system_clock, config=config, reports=[telemetry], **security
    )


def record_polls(ven: VEN) -> list[tuple[float, Payload]]:
    """Wraps the VEN's poll: (monotonic time it was sent, what came) for every poll answered."""
    polls: list[tuple[float, Payload]] = []
    original = ven.session.poll

    async def poll() -> Payload:
        sent = time.monotonic()
        message = await original()
        polls.append((sent, message))
        return message

    ven.session.poll = poll  # type: ignore[method-assign]
    return polls


@pytest.mark.parametrize("tls", [False, True], ids=["http", "mtls-signed"])
async def test_our_ven_against_openleadr_vtn(tls: bool, python: Path, pki: TestPKI, tmp_path: Path) -> None:
    vtn_options: dict[str, Any] = {}
    security: dict[str, Any] = {}
    if tls:
        ven_credentials = pki.ven(VEN_NAME, KeyType.ECC)
        vtn_credentials = pki.vtn(KeyType.ECC)
        vtn_options = {
            "tls": TlsFiles(vtn_credentials.certificate, vtn_credentials.key, pki.ca_bundle),
            "sign": True,
            "ven_fingerprint": fingerprint(ven_credentials.certificate),
        }
        security = {
            "ssl_context": ven_ssl_context(ven_credentials, pki.ca_bundle),
            "signer": Signer.from_files(ven_credentials.certificate, ven_credentials.key),
            "vtn_fingerprint": fingerprint(vtn_credentials.certificate),
        }
    journal = Journal(decisions=dict(DECISIONS))
    async with start_vtn(
        python, vtn_id=VTN_ID, poll_seconds=POLL_SECONDS, events=EVENTS, report=True, **vtn_options
    ) as vtn:
        ven = our_ven(tmp_path, vtn, journal, **security)
        polls = record_polls(ven)
        async with ven.running():
            [registration] = await journal.wait_for_entry("registered", timeout=REGISTRATION_WAIT)
            registered = await vtn.wait_kind("registered", timeout=LINE_WAIT, ven_name=VEN_NAME)
            assert (registration.ven_id, registration.registration_id) == (
                registered["ven_id"],
                registered["registration_id"],
            )
            assert registration.vtn_id == VTN_ID
            assert registration.poll_frequency == timedelta(seconds=POLL_SECONDS)
            assert registered["xml_signature"] is tls
            assert registered["http_pull_model"] is True
            ven_id = registration.ven_id

            # The three events, answered as decided.
            for event_id, decision in DECISIONS.items():
                response = await vtn.wait_kind("event_response", timeout=LINE_WAIT, event_id=event_id)
                assert (response["ven_id"], response["opt_type"]) == (ven_id, decision.value)
                created = await vtn.wait_kind("created_event", timeout=LINE_WAIT, event_id=event_id)
                assert (created["modification_number"], created["opt_type"]) == (0, decision.value)

            # The report: offered, requested, its data comes with our values.
            offered = await vtn.wait_kind("report_registered", timeout=LINE_WAIT, ven_id=ven_id)
            assert offered["reports"] == [
                {
                    "report_specifier_id": "accel-telemetry",
                    "report_name": "METADATA_TELEMETRY_USAGE",
                    "r_ids": ["power", "energy"],
                }
            ]
            await vtn.wait_kind("report_requested", timeout=LINE_WAIT, ven_id=ven_id)
            for r_id, value in (("power", POWER), ("energy", ENERGY)):
                data = await vtn.wait_kind("report_data", timeout=LINE_WAIT, ven_id=ven_id, r_id=r_id)
                assert data["values"]
                assert {reading for _, reading in data["values"]} == {float(value)}

            # The cancellation reaches on_event_cancelled, and is answered (modification 1).
            assert await journal.wait_for_entry("cancelled", timeout=LINE_WAIT) == [CANCELLED]
            created = await vtn.wait_kind(
                "created_event", timeout=LINE_WAIT, event_id=CANCELLED, modification_number=1
            )
            assert created["opt_type"] == "optIn"

            # No EiOpt at OpenLEADR: a clear TransportError (HTTP 404), and the VEN carries on.
            with pytest.raises(TransportError, match="HTTP 404"):
                await ven.create_opt(OptType.OPT_OUT, event_id=LIFECYCLE)
            with pytest.raises(TransportError, match="HTTP 404"):
                await ven.create_opt(
                    OptType.OPT_OUT, schedule=[(datetime.now(UTC) + timedelta(hours=1), timedelta(hours=2))]
                )
            assert ven.opts() == {}

            # The lifecycle of the event opted into, in real time.
            await journal.wait_for_entry("ended", timeout=LIFECYCLE_WAIT)
            polls_before = len(polls)
            await asyncio.sleep(POLL_SECONDS * 1.5)
            assert len(polls) > polls_before, "the VEN stopped polling"
            assert ven.registration == registration

    assert journal.of("pending") == [LIFECYCLE, CANCELLED]
    assert journal.of("started") == [(LIFECYCLE, (1,))]
    assert journal.of("interval") == [(LIFECYCLE, (2,))]
    assert journal.of("ended") == [LIFECYCLE]
    names = journal.names()
    assert names.index("started") < names.index("interval") < names.index("ended")
    assert ven.known_events()[REFUSED].opt_type == OptType.OPT_OUT
    # The VEN ran the event by its dtstart and intervals: the VTN never said it was completed.
    lifecycle = ven.known_events()[LIFECYCLE].event.ei_event.event_descriptor
    assert lifecycle.event_status != EventStatus.COMPLETED
    await ven.close()

    # Polls at the VTN's frequency, from the start of one round (polls until an empty answer:
    # what is queued comes at once) to the next: 1 s apart, not 200 ms (docs/ven.md).
    rounds = [polls[0][0]] + [
        sent for (_, message), (sent, _) in itertools.pairwise(polls) if isinstance(message, OadrResponse)
    ]
    gaps = [later - earlier for earlier, later in itertools.pairwise(rounds)]
    assert gaps, polls
    assert min(gaps) >= POLL_SECONDS * 0.9, gaps
    assert vtn.problems() == [], vtn.transcript()
    assert [line["status"] for line in vtn.wire("out") if line["service"] == "EiOpt"] == [404, 404]
    if tls:  # every message signed, both ways (the 404s aside)
        assert all("SignatureValue" in line["xml"] for line in vtn.wire("in"))
        assert all("SignatureValue" in line["xml"] for line in vtn.wire("out") if line["status"] == 200)


async def test_request_events_quirk_and_cancelled_registration(python: Path, tmp_path: Path) -> None:
    """Two of OpenLEADR's ways, one by one (no running loop). oadrRequestEvent leaves its "events
    changed" flag set, so the next oadrPoll brings the same event again (same
    modificationNumber): our VEN answers it once and asks ``on_event`` once. And OpenLEADR answers
    oadrCancelPartyRegistration with a bare oadrResponse, not the oadrCanceledPartyRegistration
    2.0b requires: our VEN reports it as a RemoteProtocolError and keeps its registration (the
    VTN forgot it: the next poll asks the VEN to register again)."""
    journal = Journal()
    asked_id = "ev-asked"
    event = event_spec(event_id=asked_id, intervals=[(600, 1)], start_offset=120)
    async with start_vtn(python, vtn_id=VTN_ID, poll_seconds=POLL_SECONDS, events=[event]) as vtn:
        ven = our_ven(tmp_path, vtn, journal)
        try:
            registration = await ven.register()
            queried = await ven.query()  # empty IDs, even for a registered VEN
            assert (queried.ven_id, queried.registration_id, queried.vtn_id) == ("", "", VTN_ID)
            await vtn.wait_kind("event_added", timeout=LINE_WAIT, event_id=asked_id)
            asked = await ven.request_events()
            assert [e.ei_event.event_descriptor.event_id for e in asked.events] == [asked_id]
            again = await ven.poll()
            assert isinstance(again, OadrDistributeEvent)
            assert [
                (e.ei_event.event_descriptor.event_id, e.ei_event.event_descriptor.modification_number)
                for e in again.events
            ] == [(asked_id, 0)]
            assert isinstance(await ven.poll(), OadrResponse)
            await vtn.wait_for(
                lambda line: len(vtn.wire("in", "oadrPoll")) >= 2,
                timeout=LINE_WAIT,
                what="the second oadrPoll",
            )
            assert journal.of("event") == [(asked_id, 0)]
            assert len(vtn.wire("in", "oadrCreatedEvent")) == 1

            with pytest.raises(
                RemoteProtocolError, match="with OadrResponse, expected OadrCanceledPartyRegistration"
            ):
                await ven.cancel_registration()
            cancelled = await vtn.wait_kind("registration_cancelled", timeout=LINE_WAIT)
            assert (cancelled["ven_id"], cancelled["registration_id"]) == (
                registration.ven_id,
                registration.registration_id,
            )
            assert ven.registration == registration
            # The VTN asks for a re-registration; our oadrResponse to that is answered with an
            # empty HTTP 200 (as 2.0b's pull exchange has it), which ends the exchange.
            assert isinstance(await ven.poll(), OadrRequestReregistration)
            assert ven.session.reregister_requested
            async with ven.running():
                renewed = await vtn.wait_kind("registered", timeout=REGISTRATION_WAIT, reregistration=True)
                await journal.wait_for_entry("registered", 2, timeout=LINE_WAIT)
        finally:
            await ven.close()
    assert (renewed["ven_id"], renewed["registration_id"]) == (registration.ven_id, "reg-2")
    assert ven.registration is not None
    assert ven.registration.registration_id == "reg-2"
    [reply] = [line for line in vtn.wire("out") if line["service"] == "EiRegisterParty" and not line["xml"]]
    assert (reply["status"], reply["type"]) == (200, None)
    assert vtn.problems() == [], vtn.transcript()


# -- the command-line VEN -------------------------------------------------------------------------

CLI_HANDLERS = """
from datetime import timedelta
from decimal import Decimal

from openadr_accel.model import OptType
from openadr_accel.ven.handlers import VenHandlers
from openadr_accel.ven.report_capabilities import telemetry_usage


async def decide(event):
    return OptType.OPT_OUT


async def read_power():
    return Decimal("3.25")


handlers = VenHandlers(on_event=decide)
reports = [telemetry_usage("cli-telemetry", power=read_power, min_period=timedelta(seconds=1))]
"""
CLI_STOP_WAIT = 15.0


async def stop(process: asyncio.subprocess.Process) -> bytes:
    """SIGTERM, then (after 15 s) SIGKILL; its output."""
    if process.returncode is None:
        process.terminate()
    try:
        output, _ = await asyncio.wait_for(process.communicate(), CLI_STOP_WAIT)
    except TimeoutError:
        process.kill()
        output, _ = await process.communicate()
    return output


async def test_cli_ven_against_openleadr_vtn(python: Path, tmp_path: Path) -> None:
    """``openadr-accel ven`` as its own process, with a handler module that opts out and offers
    telemetry: OpenLEADR's VTN registers it, gets its optOut and its report data; SIGTERM stops
    it cleanly."""
    handlers = tmp_path / "cli_handlers.py"
    handlers.write_text(CLI_HANDLERS, encoding="utf-8")
    event = event_spec(event_id="ev-cli", intervals=[(600, 1)], start_offset=120)
    async with start_vtn(
        python, vtn_id=VTN_ID, poll_seconds=POLL_SECONDS, events=[event], report=True
    ) as vtn:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "openadr_accel",
            "ven",
            "--vtn-url",
            vtn.base_url,
            "--ven-name",
            "cli-ven",
            "--store",
            str(tmp_path / "cli-ven.db"),
            "--poll-frequency",
            "1s",
            "--handlers",
            str(handlers),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        failure: AssertionError | None = None
        try:
            registered = await vtn.wait_kind("registered", timeout=REGISTRATION_WAIT, ven_name="cli-ven")
            ven_id = registered["ven_id"]
            response = await vtn.wait_kind("event_response", timeout=LINE_WAIT, event_id="ev-cli")
            assert (response["ven_id"], response["opt_type"]) == (ven_id, "optOut")
            data = await vtn.wait_kind("report_data", timeout=LINE_WAIT, ven_id=ven_id, r_id="power")
            assert {value for _, value in data["values"]} == {3.25}
        except AssertionError as exc:
            failure = exc
        finally:
            output = await stop(process)
    text = output.decode("utf-8", "replace")
    if failure is not None:
        raise AssertionError(f"{failure}\nthe CLI VEN's output:\n{text}") from failure
    assert process.returncode == 0, text
    assert "VEN cli-ven started" in text
    assert "eventID=ev-cli" in text, text
    assert "VEN cli-ven stopped" in text, text
    assert vtn.problems() == [], vtn.transcript()
