"""One realistic instance of every 2.0b message, with fixed values.

Used by the tests and to write ``examples/messages/`` (``python tests/samples.py``).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from lxml import etree

from openadr_accel import model as m
from openadr_accel.xml import serialize

T0 = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
VEN_ID = "ven-evse-0042"
VTN_ID = "vtn-utility-1"
MARKET = "http://market.example.com/dr-program"


def ok(request_id: str) -> m.EiResponse:
    return m.EiResponse(response_code=m.ResponseCode.OK, request_id=request_id, response_description="OK")


def simple_event(
    event_id: str = "event-1",
    *,
    status: m.EventStatus = m.EventStatus.FAR,
    levels: tuple[int, ...] = (1, 2, 3, 1),
    modification_number: int = 0,
    priority: int | None = 1,
    start: datetime = T0,
) -> m.OadrEvent:
    """A SIMPLE event with one interval of an hour per level, targeted at the sample VEN."""
    return m.OadrEvent(
        ei_event=m.EiEvent(
            event_descriptor=m.EventDescriptor(
                event_id=event_id,
                modification_number=modification_number,
                priority=priority,
                market_context=MARKET,
                created_date_time=T0 - timedelta(days=1),
                event_status=status,
                test_event="false",
                vtn_comment="peak shaving",
            ),
            active_period=m.EiActivePeriod(
                dtstart=start,
                duration=HOUR * len(levels),
                start_after=timedelta(minutes=5),
                notification=timedelta(days=1),
                ramp_up=timedelta(minutes=10),
                recovery=timedelta(minutes=10),
            ),
            signals=(
                m.EiEventSignal(
                    intervals=tuple(
                        m.SignalInterval(
                            duration=HOUR, uid=str(index), payloads=(m.PayloadFloat(value=Decimal(level)),)
                        )
                        for index, level in enumerate(levels)
                    ),
                    signal_name=m.SignalName.SIMPLE,
                    signal_type=m.SignalType.LEVEL,
                    signal_id="signal-simple",
                    current_value=Decimal(levels[0]) if status == m.EventStatus.ACTIVE else Decimal(0),
                ),
            ),
            target=m.EiTarget(ven_ids=(VEN_ID,)),
        ),
        response_required=m.ResponseRequired.ALWAYS,
    )


def price_event() -> m.OadrEvent:
    """A 24-hour ELECTRICITY_PRICE event in USD/kWh with a baseline and a load-dispatch signal."""
    return m.OadrEvent(
        ei_event=m.EiEvent(
            event_descriptor=m.EventDescriptor(
                event_id="event-price-2",
                modification_number=2,
                modification_date_time=T0 - timedelta(hours=3),
                modification_reason="tariff update",
                market_context=MARKET,
                created_date_time=T0 - timedelta(days=1),
                event_status=m.EventStatus.NEAR,
            ),
            active_period=m.EiActivePeriod(dtstart=T0 + timedelta(days=1), duration=HOUR * 24),
            signals=(
                m.EiEventSignal(
                    intervals=tuple(
                        m.SignalInterval(
                            duration=HOUR,
                            uid=str(hour),
                            payloads=(m.PayloadFloat(value=Decimal("0.10") + Decimal(hour) / 100),),
                        )
                        for hour in range(24)
                    ),
                    signal_name=m.SignalName.ELECTRICITY_PRICE,
                    signal_type=m.SignalType.PRICE,
                    signal_id="signal-price",
                    item_base=m.CurrencyUnit(kind=m.CurrencyKind.CURRENCY_PER_KWH, code=m.CurrencyCode.USD),
                    current_value=Decimal(0),
                ),
                m.EiEventSignal(
                    intervals=(
                        m.SignalInterval(
                            duration=HOUR * 24, uid="0", payloads=(m.PayloadFloat(value=Decimal("-2.5")),)
                        ),
                    ),
                    signal_name=m.SignalName.LOAD_DISPATCH,
                    signal_type=m.SignalType.DELTA,
                    signal_id="signal-dispatch",
                    target=m.EiTarget(resource_ids=("charger-1", "charger-2")),
                    item_base=m.PowerReal(
                        attributes=m.PowerAttributes(hertz=Decimal(60), voltage=Decimal(240), ac=True),
                        scale=m.SiScaleCode.KILO,
                    ),
                ),
            ),
            baseline=m.EiEventBaseline(
                dtstart=T0 + timedelta(days=1),
                duration=HOUR * 24,
                intervals=(
                    m.SignalInterval(
                        duration=HOUR * 24, uid="0", payloads=(m.PayloadFloat(value=Decimal("11.0")),)
                    ),
                ),
                baseline_id="baseline-1",
                resource_ids=("charger-1",),
                baseline_name="typical weekday",
                item_base=m.PowerReal(
                    attributes=m.PowerAttributes(hertz=Decimal(60), voltage=Decimal(240), ac=True),
                    scale=m.SiScaleCode.KILO,
                ),
            ),
            target=m.EiTarget(
                group_ids=("north-depot",),
                end_device_assets=("Electric_Vehicle_Supply_Equipment",),
                service_areas=(m.FeatureCollection(positions=(45.0, -122.6, 45.1, -122.5, 45.0, -122.6)),),
            ),
        ),
        response_required=m.ResponseRequired.NEVER,
    )


def telemetry_report(request_id: str = "req-telemetry-1") -> m.OadrReport:
    """A TELEMETRY_USAGE update: 10 points of power and energy, plus one status point."""
    intervals = tuple(
        m.ReportInterval(
            dtstart=T0 + timedelta(minutes=minute),
            duration=timedelta(minutes=1),
            uid=str(minute),
            payloads=(
                m.OadrReportPayload(
                    r_id="power-1",
                    payload=m.PayloadFloat(value=Decimal("7.2") + Decimal(minute) / 10),
                    confidence=100,
                    accuracy=Decimal("0.5"),
                    data_quality=m.DataQuality.QUALITY_GOOD_NON_SPECIFIC,
                ),
            ),
        )
        for minute in range(10)
    )
    return m.OadrReport(
        dtstart=T0,
        duration=timedelta(minutes=10),
        intervals=intervals,
        ei_report_id="report-42",
        report_request_id=request_id,
        report_specifier_id="spec-telemetry",
        report_name=m.ReportName.TELEMETRY_USAGE,
        created_date_time=T0 + timedelta(minutes=10),
    )


def status_report() -> m.OadrReport:
    return m.OadrReport(
        intervals=(
            m.ReportInterval(
                payloads=(
                    m.OadrReportPayload(
                        r_id="status-1",
                        payload=m.OadrPayloadResourceStatus(
                            online=True,
                            manual_override=False,
                            load_control_state=m.OadrLoadControlState(
                                capacity=m.LoadControlValues(
                                    current=Decimal(80), min=Decimal(0), max=Decimal(100), normal=Decimal(100)
                                ),
                                set_point=m.LoadControlValues(current=Decimal("7.4")),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        report_request_id="req-status-1",
        report_specifier_id="spec-status",
        report_name=m.ReportName.TELEMETRY_STATUS,
        created_date_time=T0,
    )


def metadata_report() -> m.OadrReport:
    """METADATA_TELEMETRY_USAGE with a power and an energy data point."""
    return m.OadrReport(
        duration=timedelta(hours=2),
        descriptions=(
            m.OadrReportDescription(
                r_id="power-1",
                report_subject=m.EiTarget(resource_ids=("charger-1",)),
                report_data_source=m.EiTarget(resource_ids=("charger-1",)),
                report_type=m.ReportType.USAGE,
                item_base=m.PowerReal(
                    attributes=m.PowerAttributes(hertz=Decimal(60), voltage=Decimal(240), ac=True),
                    scale=m.SiScaleCode.KILO,
                ),
                reading_type=m.ReadingType.DIRECT_READ,
                market_context=MARKET,
                sampling_rate=m.OadrSamplingRate(
                    min_period=timedelta(minutes=1), max_period=timedelta(hours=1), on_change=False
                ),
            ),
            m.OadrReportDescription(
                r_id="energy-1",
                report_type=m.ReportType.READING,
                item_base=m.EnergyReal(scale=m.SiScaleCode.KILO),
                reading_type=m.ReadingType.NET,
            ),
        ),
        report_request_id=m.UNSOLICITED_REPORT_REQUEST_ID,
        report_specifier_id="spec-telemetry",
        report_name=m.ReportName.METADATA_TELEMETRY_USAGE,
        created_date_time=T0,
    )


def report_request(request_id: str = "req-telemetry-1") -> m.OadrReportRequest:
    return m.OadrReportRequest(
        report_request_id=request_id,
        report_specifier=m.ReportSpecifier(
            report_specifier_id="spec-telemetry",
            granularity=timedelta(minutes=1),
            report_back_duration=timedelta(minutes=10),
            report_interval=m.Properties(dtstart=T0, duration=HOUR),
            specifier_payloads=(
                m.SpecifierPayload(r_id="power-1", reading_type=m.ReadingType.DIRECT_READ),
                m.SpecifierPayload(r_id="energy-1", reading_type=m.ReadingType.NET, item_base=m.EnergyReal()),
            ),
        ),
    )


SAMPLES: dict[str, m.Payload] = {
    "oadrDistributeEvent": m.OadrDistributeEvent(
        request_id="req-dist-1", vtn_id=VTN_ID, events=(simple_event(), price_event())
    ),
    "oadrCreatedEvent": m.OadrCreatedEvent(
        ei_response=ok("req-dist-1"),
        ven_id=VEN_ID,
        event_responses=(
            m.EventResponse(
                response_code=m.ResponseCode.OK,
                request_id="req-dist-1",
                qualified_event_id=m.QualifiedEventID(event_id="event-1", modification_number=0),
                opt_type=m.OptType.OPT_IN,
            ),
            m.EventResponse(
                response_code=m.ResponseCode.SIGNAL_NOT_SUPPORTED,
                response_description="x-custom signal not supported",
                request_id="req-dist-1",
                qualified_event_id=m.QualifiedEventID(event_id="event-price-2", modification_number=2),
                opt_type=m.OptType.OPT_OUT,
            ),
        ),
    ),
    "oadrRequestEvent": m.OadrRequestEvent(request_id="req-event-1", ven_id=VEN_ID, reply_limit=10),
    "oadrResponse": m.OadrResponse(ei_response=ok("req-poll-1"), ven_id=VEN_ID),
    "oadrCancelOpt": m.OadrCancelOpt(request_id="req-cancel-opt-1", opt_id="opt-1", ven_id=VEN_ID),
    "oadrCanceledOpt": m.OadrCanceledOpt(ei_response=ok("req-cancel-opt-1"), opt_id="opt-1"),
    "oadrCreateOpt": m.OadrCreateOpt(
        opt_id="opt-1",
        opt_type=m.OptType.OPT_OUT,
        opt_reason=m.OptReason.SCHEDULE,
        market_context=MARKET,
        ven_id=VEN_ID,
        availability=(
            m.Available(dtstart=T0, duration=HOUR * 2),
            m.Available(dtstart=T0 + timedelta(days=1), duration=HOUR * 2),
        ),
        created_date_time=T0 - HOUR,
        request_id="req-opt-1",
        target=m.EiTarget(resource_ids=("charger-2",)),
        device_class=m.EiTarget(end_device_assets=("Electric_Vehicle_Supply_Equipment",)),
    ),
    "oadrCreatedOpt": m.OadrCreatedOpt(ei_response=ok("req-opt-1"), opt_id="opt-1"),
    "oadrCancelReport": m.OadrCancelReport(
        request_id="req-cancel-report-1",
        report_request_ids=("req-telemetry-1",),
        report_to_follow=True,
        ven_id=VEN_ID,
    ),
    "oadrCanceledReport": m.OadrCanceledReport(
        ei_response=ok("req-cancel-report-1"), pending_reports=("req-status-1",), ven_id=VEN_ID
    ),
    "oadrCreateReport": m.OadrCreateReport(
        request_id="req-create-report-1", report_requests=(report_request(),), ven_id=VEN_ID
    ),
    "oadrCreatedReport": m.OadrCreatedReport(
        ei_response=ok("req-create-report-1"), pending_reports=("req-telemetry-1",), ven_id=VEN_ID
    ),
    "oadrRegisterReport": m.OadrRegisterReport(
        request_id="req-register-report-1", reports=(metadata_report(),), ven_id=VEN_ID
    ),
    "oadrRegisteredReport": m.OadrRegisteredReport(
        ei_response=ok("req-register-report-1"), report_requests=(report_request(),), ven_id=VEN_ID
    ),
    "oadrUpdateReport": m.OadrUpdateReport(
        request_id="req-update-report-1", reports=(telemetry_report(), status_report()), ven_id=VEN_ID
    ),
    "oadrUpdatedReport": m.OadrUpdatedReport(
        ei_response=ok("req-update-report-1"),
        cancel_report=m.OadrCancelReport(
            request_id="req-cancel-report-2", report_request_ids=("req-status-1",), report_to_follow=False
        ),
        ven_id=VEN_ID,
    ),
    "oadrCancelPartyRegistration": m.OadrCancelPartyRegistration(
        request_id="req-cancel-reg-1", registration_id="reg-77", ven_id=VEN_ID
    ),
    "oadrCanceledPartyRegistration": m.OadrCanceledPartyRegistration(
        ei_response=ok("req-cancel-reg-1"), registration_id="reg-77", ven_id=VEN_ID
    ),
    "oadrCreatePartyRegistration": m.OadrCreatePartyRegistration(
        request_id="req-reg-1",
        profile_name=m.ProfileName.B,
        transport_name=m.TransportName.SIMPLE_HTTP,
        transport_address="https://ven.example.com:8443",
        report_only=False,
        xml_signature=True,
        ven_name="EVSE fleet back-end",
        http_pull_model=True,
    ),
    "oadrCreatedPartyRegistration": m.OadrCreatedPartyRegistration(
        ei_response=ok("req-reg-1"),
        registration_id="reg-77",
        ven_id=VEN_ID,
        vtn_id=VTN_ID,
        profiles=(
            m.OadrProfile(profile_name=m.ProfileName.A, transports=(m.TransportName.SIMPLE_HTTP,)),
            m.OadrProfile(
                profile_name=m.ProfileName.B,
                transports=(m.TransportName.SIMPLE_HTTP, m.TransportName.XMPP),
            ),
        ),
        requested_poll_freq=timedelta(seconds=10),
        service_specific_info=(
            m.OadrService(
                service_name=m.ServiceName.EI_EVENT,
                info=(m.OadrInfo(key="maxEvents", value="10"),),
            ),
        ),
        extensions=(m.OadrExtension(name="x-fleet", info=(m.OadrInfo(key="site", value="depot-7"),)),),
    ),
    "oadrRequestReregistration": m.OadrRequestReregistration(ven_id=VEN_ID),
    "oadrQueryRegistration": m.OadrQueryRegistration(request_id="req-query-1"),
    "oadrPoll": m.OadrPoll(ven_id=VEN_ID),
}
"""Message element name to a sample of that message."""


def write_examples(directory: Path) -> None:
    """Write every sample as ``<element>.xml`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, payload in SAMPLES.items():
        readable = etree.tostring(
            etree.fromstring(serialize(payload, validate=True)),
            pretty_print=True,
            xml_declaration=True,
            encoding="UTF-8",
        )
        (directory / f"{name}.xml").write_bytes(readable)


if __name__ == "__main__":
    default = Path(__file__).parent.parent / "examples" / "messages"
    write_examples(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
