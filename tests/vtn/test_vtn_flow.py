"""The VTN end to end over loopback HTTP: register, get an event, answer it, opt, report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
from vtn_harness import START, VenClient, answer_event, ok, running_vtn, telemetry_metadata

from openadr_accel.model import (
    EiTarget,
    EventStatus,
    OadrCreatedOpt,
    OadrCreatedReport,
    OadrCreateOpt,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrReport,
    OadrReportPayload,
    OadrResponse,
    OadrUpdatedReport,
    OadrUpdateReport,
    OptReason,
    OptType,
    PayloadFloat,
    QualifiedEventID,
    ReportInterval,
    ReportName,
    ResponseCode,
    SignalType,
)
from openadr_accel.vtn import Signal


async def test_register_event_answer_opt_and_report(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = VenClient(session, server.url)
        created = await ven.register(ven_name="charger-1")
        assert created.ei_response.response_code == ResponseCode.OK
        assert created.vtn_id == "test-vtn"
        assert created.requested_poll_freq == timedelta(seconds=10)
        assert ven.ven_id
        assert ven.registration_id

        # The VTN's own oadrRegisterReport is the first thing queued.
        queued = await ven.drain()
        assert [type(message) for message in queued] == [OadrRegisterReport]

        event = await server.vtn.events.create(
            signals=[Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 2)])],
            start=START + timedelta(minutes=10),
            target=EiTarget(ven_ids=(ven.ven_id,)),
        )
        event_id = event.ei_event.event_descriptor.event_id
        [distribution] = await ven.drain()
        assert isinstance(distribution, OadrDistributeEvent)
        [sent] = distribution.events
        assert sent.ei_event.event_descriptor.event_id == event_id
        assert sent.ei_event.event_descriptor.event_status == EventStatus.NEAR

        answer = await ven.post(
            "EiEvent",
            answer_event(ven.ven_id, distribution.request_id, event_id),
        )
        assert isinstance(answer, OadrResponse)
        assert answer.ei_response.response_code == ResponseCode.OK
        [response] = await server.vtn.events.responses(event_id)
        assert response.opt_type == OptType.OPT_IN
        assert server.recorder.calls["event_response"][0][1] is False

        opt = await ven.post(
            "EiOpt",
            OadrCreateOpt(
                opt_id="opt-1",
                opt_type=OptType.OPT_OUT,
                opt_reason=OptReason.PARTICIPATING,
                ven_id=ven.ven_id,
                created_date_time=START,
                request_id="opt-req",
                qualified_event_id=QualifiedEventID(event_id=event_id, modification_number=0),
            ),
        )
        assert isinstance(opt, OadrCreatedOpt)
        assert opt.ei_response.response_code == ResponseCode.OK
        [response] = await server.vtn.events.responses(event_id)
        assert response.opt_type == OptType.OPT_OUT

        registered = await ven.post(
            "EiReport",
            OadrRegisterReport(request_id="rr-1", reports=(telemetry_metadata(),), ven_id=ven.ven_id),
        )
        assert isinstance(registered, OadrRegisteredReport)
        assert registered.ei_response.response_code == ResponseCode.OK
        record = await server.vtn.reports.request(
            ven.ven_id,
            "telemetry-1",
            granularity=timedelta(seconds=10),
            report_back_duration=timedelta(seconds=10),
        )
        [create_report] = await ven.drain()
        assert isinstance(create_report, OadrCreateReport)
        assert create_report.report_requests[0].report_request_id == record.report_request_id
        confirmed = await ven.post(
            "EiReport",
            OadrCreatedReport(
                ei_response=ok(create_report.request_id),
                pending_reports=(record.report_request_id,),
                ven_id=ven.ven_id,
            ),
        )
        assert isinstance(confirmed, OadrResponse)
        update = OadrUpdateReport(
            request_id="up-1",
            ven_id=ven.ven_id,
            reports=(
                OadrReport(
                    report_request_id=record.report_request_id,
                    report_specifier_id="telemetry-1",
                    report_name=ReportName.TELEMETRY_USAGE,
                    created_date_time=START,
                    dtstart=START,
                    duration=timedelta(seconds=10),
                    intervals=(
                        ReportInterval(
                            dtstart=START,
                            duration=timedelta(seconds=10),
                            payloads=(
                                OadrReportPayload(r_id="power", payload=PayloadFloat(value=Decimal("7.4"))),
                            ),
                        ),
                    ),
                ),
            ),
        )
        updated = await ven.post("EiReport", update)
        assert isinstance(updated, OadrUpdatedReport)
        assert updated.ei_response.response_code == ResponseCode.OK
        [stored] = await server.vtn.reports.data(ven.ven_id)
        assert stored.report.intervals[0].payloads[0].payload == PayloadFloat(value=Decimal("7.4"))
