"""``openadr-accel demo``: a VTN on the embedded SQLite store and a scripted VEN, over loopback.

The demo shows one whole exchange as it happens on the wire: the VEN registers, offers a
telemetry report, receives an event on its next poll, opts in, and delivers the report the VTN
asked for. The VEN side here is a short script of raw 2.0b messages (just enough to drive the
VTN); it is not the library's VEN role.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp

from . import xml
from .model import (
    EiResponse,
    EiTarget,
    EventResponse,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreatedReport,
    OadrCreatePartyRegistration,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisterReport,
    OadrReport,
    OadrReportDescription,
    OadrReportPayload,
    OadrResponse,
    OadrUpdateReport,
    OptType,
    Payload,
    PayloadFloat,
    PowerAttributes,
    PowerReal,
    ProfileName,
    ReadingType,
    ReportInterval,
    ReportName,
    ReportType,
    ResponseCode,
    SignalType,
    TransportName,
)
from .vtn import VTN, OpenRegistration, Signal, VtnConfig, VtnHandlers
from .vtn.reports import RequestOffered
from .vtn.store.sqlite import SqliteStore

__all__ = ["run_demo"]

_SPECIFIER = "charger-1-telemetry"


async def run_demo(store_path: Path, say: Callable[[str], None]) -> None:
    """Run the demo against a VTN on ``store_path``, narrating with ``say``."""
    vtn = VTN(
        VtnConfig(vtn_id="DEMO-VTN", poll_frequency=timedelta(seconds=1)),
        SqliteStore(store_path),
        registration=OpenRegistration(),
        handlers=VtnHandlers(
            on_report_capabilities=RequestOffered(
                [ReportName.METADATA_TELEMETRY_USAGE],
                granularity=timedelta(seconds=10),
                report_back_duration=timedelta(seconds=10),
            )
        ),
    )
    async with vtn.running("127.0.0.1", 0) as runner, aiohttp.ClientSession() as session:
        base = f"http://127.0.0.1:{runner.addresses[0][1]}/OpenADR2/Simple/2.0b"
        say(f"VTN DEMO-VTN on {base}, store {store_path}")

        async def send(service: str, payload: Payload) -> Payload:
            say(f"  VEN -> {service}: {type(payload).__name__}")
            async with session.post(f"{base}/{service}", data=xml.serialize(payload)) as response:
                answer = xml.parse(await response.read())
            say(f"  VEN <- {type(answer).__name__} ({_code(answer)})")
            return answer

        await send("EiRegisterParty", OadrQueryRegistration(request_id="q-1"))
        created = await send(
            "EiRegisterParty",
            OadrCreatePartyRegistration(
                request_id="r-1",
                profile_name=ProfileName.B,
                transport_name=TransportName.SIMPLE_HTTP,
                report_only=False,
                xml_signature=False,
                http_pull_model=True,
                ven_name="demo-charger",
            ),
        )
        assert isinstance(created, OadrCreatedPartyRegistration)
        assert created.ven_id is not None
        ven_id = created.ven_id
        say(f"registered as venID {ven_id}")

        registered = await send(
            "EiReport", OadrRegisterReport(request_id="rr-1", reports=(_telemetry(),), ven_id=ven_id)
        )
        requests = getattr(registered, "report_requests", ())
        say(f"the VTN asked for {len(requests)} report(s) in its answer")

        event = await vtn.events.create(
            signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 2)])],
            start=datetime.now(UTC) + timedelta(minutes=5),
            target=EiTarget(ven_ids=(ven_id,)),
        )
        say(f"operator: created event {event.ei_event.event_descriptor.event_id} (SIMPLE level 2, in 5 min)")

        for _ in range(5):
            message = await send("OadrPoll", OadrPoll(ven_id=ven_id))
            if isinstance(message, OadrResponse):
                break
            if isinstance(message, OadrDistributeEvent):
                await send("EiEvent", _opt_in(message, ven_id))
            elif isinstance(message, OadrRegisterReport):
                say(f"  (the VTN offers {len(message.reports)} report(s) of its own)")
            elif isinstance(message, OadrCreateReport):
                await send("EiReport", _created_report(message, ven_id))

        for request in requests:
            await send("EiReport", _update(request.report_request_id, ven_id))

        answers = await vtn.events.responses(event.ei_event.event_descriptor.event_id)
        data = await vtn.reports.data(ven_id)
        say(
            f"VTN store: {len(answers)} answer(s) to the event ({answers[0].opt_type}), {len(data)} report(s)"
        )


def _code(answer: Payload) -> str:
    response = getattr(answer, "ei_response", None)
    return response.response_code.value if isinstance(response, EiResponse) else "queued by the VTN"


def _telemetry() -> OadrReport:
    return OadrReport(
        report_request_id="0",
        report_specifier_id=_SPECIFIER,
        report_name=ReportName.METADATA_TELEMETRY_USAGE,
        created_date_time=datetime.now(UTC),
        descriptions=(
            OadrReportDescription(
                r_id="charger-1-power",
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                item_base=PowerReal(
                    attributes=PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True)
                ),
            ),
        ),
    )


def _opt_in(message: OadrDistributeEvent, ven_id: str) -> OadrCreatedEvent:
    return OadrCreatedEvent(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
        ven_id=ven_id,
        event_responses=tuple(
            EventResponse(
                response_code=ResponseCode.OK,
                request_id=message.request_id,
                qualified_event_id=event.qualified_event_id,
                opt_type=OptType.OPT_IN,
            )
            for event in message.events
        ),
    )


def _created_report(message: OadrCreateReport, ven_id: str) -> OadrCreatedReport:
    return OadrCreatedReport(
        ei_response=EiResponse(response_code=ResponseCode.OK, request_id=message.request_id),
        pending_reports=tuple(request.report_request_id for request in message.report_requests),
        ven_id=ven_id,
    )


def _update(report_request_id: str, ven_id: str) -> OadrUpdateReport:
    now = datetime.now(UTC)
    return OadrUpdateReport(
        request_id="u-1",
        ven_id=ven_id,
        reports=(
            OadrReport(
                report_request_id=report_request_id,
                report_specifier_id=_SPECIFIER,
                report_name=ReportName.TELEMETRY_USAGE,
                created_date_time=now,
                dtstart=now,
                duration=timedelta(seconds=10),
                intervals=(
                    ReportInterval(
                        dtstart=now,
                        duration=timedelta(seconds=10),
                        payloads=(
                            OadrReportPayload(
                                r_id="charger-1-power", payload=PayloadFloat(value=Decimal("7400"))
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )


def main(store_path: Path) -> None:
    """Run the demo, printing as it goes."""
    asyncio.run(run_demo(store_path, print))
