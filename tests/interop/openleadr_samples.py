"""Interop samples: messages within what OpenLEADR 0.5.36 can express, and some it can only read.

``BOTH_WAYS`` holds at least one case per 2.0b message. Where a sample of ``tests/samples.py``
is within OpenLEADR's reach it is used as is; otherwise the case is derived from it, and the
comment says what OpenLEADR lacks (``openleadr_dicts.create_arguments`` refuses the original
with :class:`~openleadr_dicts.NotExpressible`, which ``test_openleadr_messages`` checks).

``PARSE_ONLY`` holds messages OpenLEADR cannot write but can read (its parser is generic), to
test the direction "we serialize, OpenLEADR parses" on more of the model.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

from samples import (
    HOUR,
    SAMPLES,
    T0,
    VEN_ID,
    VTN_ID,
    metadata_report,
    ok,
    price_event,
    report_request,
    simple_event,
    telemetry_report,
)

from openadr_accel import model as m

__all__ = ["BOTH_WAYS", "PARSE_ONLY", "sample_of"]

P = TypeVar("P", bound=m.Payload)


def sample_of(cls: type[P]) -> P:
    """The sample of tests/samples.py for one message class, typed as that class."""
    payload = SAMPLES[cls.__name__[0].lower() + cls.__name__[1:]]
    assert isinstance(payload, cls)
    return payload


def _price_event() -> m.OadrEvent:
    """The sample's 24-interval price event, without what OpenLEADR cannot write.

    Dropped: the eiEventBaseline (no template), the LOAD_DISPATCH signal's own eiTarget
    (parts/eiEventSignal.xml writes none), and the event target's endDeviceAsset and serviceArea
    (parts/eiEventTarget.xml writes groupID, groupName, resourceID, venID and partyID only).
    """
    event = price_event()
    ei_event = event.ei_event
    signals = (ei_event.signals[0], replace(ei_event.signals[1], target=None))
    return replace(
        event,
        ei_event=replace(
            ei_event,
            signals=signals,
            baseline=None,
            target=m.EiTarget(group_ids=("north-depot",), resource_ids=("charger-1", "charger-2")),
        ),
    )


def _quarter_hour_event() -> m.OadrEvent:
    """24 SIMPLE intervals of 15 minutes, with a minimal descriptor (no priority, no comment)."""
    levels = [0, 1, 2, 3] * 6
    quarter = timedelta(minutes=15)
    return m.OadrEvent(
        ei_event=m.EiEvent(
            event_descriptor=m.EventDescriptor(
                event_id="event-quarter-3",
                modification_number=5,
                market_context="http://market.example.com/fast-dr",
                created_date_time=T0 - HOUR,
                event_status=m.EventStatus.NEAR,
            ),
            active_period=m.EiActivePeriod(dtstart=T0 + HOUR, duration=quarter * 24),
            signals=(
                m.EiEventSignal(
                    intervals=tuple(
                        m.SignalInterval(
                            duration=quarter, uid=str(index), payloads=(m.PayloadFloat(value=Decimal(level)),)
                        )
                        for index, level in enumerate(levels)
                    ),
                    signal_name=m.SignalName.SIMPLE,
                    signal_type=m.SignalType.LEVEL,
                    signal_id="signal-quarter",
                    current_value=Decimal(0),
                ),
            ),
            target=m.EiTarget(ven_ids=(VEN_ID,), group_names=("fleet-a",), party_ids=("party-9",)),
        ),
    )


def _units_event() -> m.OadrEvent:
    """One interval per signal, one signal per kind of unit OpenLEADR writes.

    currencyPerKW is absent: openleadr.enums._MEASUREMENT_NAMESPACES spells it "currencyPerWK",
    so create_message refuses it ("The Measurement Name is unknown").
    """
    units: tuple[m.ItemBase, ...] = (
        m.EnergyReal(scale=m.SiScaleCode.KILO),
        m.PowerReactive(
            attributes=m.PowerAttributes(hertz=Decimal(50), voltage=Decimal("230.5"), ac=False),
            scale=m.SiScaleCode.MEGA,
        ),
        m.Voltage(),
        m.Current(scale=m.SiScaleCode.MILLI),
        m.Frequency(),
        m.Temperature(units=m.TemperatureUnit.CELSIUS),
        m.Therm(),
        m.PulseCount(pulse_factor=Decimal("0.5")),
        m.CurrencyUnit(kind=m.CurrencyKind.CURRENCY, code=m.CurrencyCode.EUR),
        m.CurrencyUnit(kind=m.CurrencyKind.CURRENCY_PER_THM, code=m.CurrencyCode.GBP),
        m.CustomUnit(item_description="chargePoints", item_units="count"),
    )
    return m.OadrEvent(
        ei_event=m.EiEvent(
            event_descriptor=m.EventDescriptor(
                event_id="event-units-4",
                modification_number=0,
                market_context="http://market.example.com/units",
                created_date_time=T0,
                event_status=m.EventStatus.FAR,
                test_event="true",
                vtn_comment="Spitzenlast \u2013 \u00dcbung > 5 kW",
            ),
            active_period=m.EiActivePeriod(dtstart=T0 + timedelta(days=2), duration=HOUR),
            signals=tuple(
                m.EiEventSignal(
                    intervals=(
                        m.SignalInterval(
                            dtstart=T0 + timedelta(days=2),
                            duration=HOUR,
                            uid="0",
                            payloads=(m.PayloadFloat(value=Decimal(index) / 4),),
                        ),
                    ),
                    signal_name=m.SignalName("x-unit-test"),
                    signal_type=m.SignalType.SETPOINT,
                    signal_id=f"signal-unit-{index}",
                    item_base=unit,
                )
                for index, unit in enumerate(units)
            ),
        ),
        response_required=m.ResponseRequired.NEVER,
    )


def _open_ended_event() -> m.OadrEvent:
    """An event with a zero (open-ended) duration: OpenLEADR writes it as "P", we as "PT0S"."""
    return m.OadrEvent(
        ei_event=m.EiEvent(
            event_descriptor=m.EventDescriptor(
                event_id="event-open-5",
                modification_number=1,
                market_context="http://market.example.com/dr-program",
                created_date_time=T0,
                event_status=m.EventStatus.ACTIVE,
                priority=0,
            ),
            active_period=m.EiActivePeriod(dtstart=T0, duration=timedelta(0)),
            signals=(
                m.EiEventSignal(
                    intervals=(
                        m.SignalInterval(
                            duration=timedelta(0), uid="0", payloads=(m.PayloadFloat(value=Decimal(0)),)
                        ),
                    ),
                    signal_name=m.SignalName.SIMPLE,
                    signal_type=m.SignalType.LEVEL,
                    signal_id="signal-open",
                    current_value=Decimal(0),
                ),
            ),
            target=m.EiTarget(ven_ids=(VEN_ID,)),
        ),
    )


def _report_request() -> m.OadrReportRequest:
    """The sample's request without the energy point's itemBase (specifier payloads carry none)."""
    request = report_request()
    specifier = request.report_specifier
    payloads = tuple(replace(payload, item_base=None) for payload in specifier.specifier_payloads)
    return replace(request, report_specifier=replace(specifier, specifier_payloads=payloads))


def _history_request() -> m.OadrReportRequest:
    """A one-shot history request over a day and a bit (durations with days and seconds)."""
    return m.OadrReportRequest(
        report_request_id="req-history-1",
        report_specifier=m.ReportSpecifier(
            report_specifier_id="spec-history",
            granularity=timedelta(minutes=15),
            report_back_duration=timedelta(0),
            report_interval=m.Properties(
                dtstart=T0 - timedelta(days=1), duration=timedelta(days=1, hours=2, minutes=30, seconds=5)
            ),
            specifier_payloads=(m.SpecifierPayload(r_id="energy-1", reading_type=m.ReadingType.SUMMED),),
        ),
    )


def _metadata_report() -> m.OadrReport:
    """The sample's METADATA report with an endDeviceAsset as report subject.

    OpenLEADR's reportSubject is one endDeviceAsset mrid; the sample names a resourceID.
    """
    report = metadata_report()
    power, energy = report.descriptions
    power = replace(power, report_subject=m.EiTarget(end_device_assets=("EVSE",)))
    return replace(report, descriptions=(power, energy))


def _telemetry_report() -> m.OadrReport:
    """The sample's 10-minute TELEMETRY_USAGE report without its duration and interval uids.

    parts of oadrUpdateReport.xml write neither a report duration nor interval uids.
    """
    report = telemetry_report()
    return replace(
        report, duration=None, intervals=tuple(replace(interval, uid=None) for interval in report.intervals)
    )


def _energy_report() -> m.OadrReport:
    """A second data report: hourly energy readings, bare payloads (no confidence or quality)."""
    return m.OadrReport(
        dtstart=T0,
        intervals=tuple(
            m.ReportInterval(
                dtstart=T0 + HOUR * hour,
                duration=HOUR,
                payloads=(
                    m.OadrReportPayload(r_id="energy-1", payload=m.PayloadFloat(value=Decimal(12 + hour))),
                ),
            )
            for hour in range(3)
        ),
        ei_report_id="report-43",
        report_request_id="req-energy-1",
        report_specifier_id="spec-energy",
        report_name=m.ReportName.HISTORY_USAGE,
        created_date_time=T0 + HOUR * 3,
    )


def _two_payload_report() -> m.OadrReport:
    """Power and energy in each interval: OpenLEADR writes one oadrReportPayload per interval."""
    return m.OadrReport(
        intervals=tuple(
            m.ReportInterval(
                dtstart=T0 + timedelta(minutes=minute),
                duration=timedelta(minutes=1),
                payloads=(
                    m.OadrReportPayload(r_id="power-1", payload=m.PayloadFloat(value=Decimal("7.5"))),
                    m.OadrReportPayload(r_id="energy-1", payload=m.PayloadFloat(value=Decimal(100 + minute))),
                ),
            )
            for minute in range(3)
        ),
        ei_report_id="report-44",
        report_request_id="req-telemetry-1",
        report_specifier_id="spec-telemetry",
        report_name=m.ReportName.TELEMETRY_USAGE,
        created_date_time=T0 + timedelta(minutes=3),
    )


def _unit_after_no_unit_event() -> m.OadrEvent:
    """A SIMPLE signal without a unit, then signals in kW and in currency per kW.

    normalize_dict's unit rewrite stops at the first signal without a recognised unit: the later
    units stay raw ('powerReal': {...}). currencyPerKW is never recognised (OpenLEADR spells it
    "currencyPerWK") and stays under 'currency_per_kw'.
    """
    event = simple_event("event-units-6", levels=(1,))
    kilowatts = m.PowerReal(attributes=m.PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True))
    per_kw = m.CurrencyUnit(kind=m.CurrencyKind.CURRENCY_PER_KW, code=m.CurrencyCode.USD)
    signals: list[tuple[m.SignalName, m.SignalType, Decimal, m.ItemBase]] = [
        (m.SignalName.LOAD_DISPATCH, m.SignalType.SETPOINT, Decimal("7.4"), kilowatts),
        (m.SignalName.DEMAND_CHARGE, m.SignalType.PRICE, Decimal("12.5"), per_kw),
    ]
    extra = tuple(
        m.EiEventSignal(
            intervals=(m.SignalInterval(duration=HOUR, uid="0", payloads=(m.PayloadFloat(value=value),)),),
            signal_name=name,
            signal_type=kind,
            signal_id=f"signal-{index}",
            item_base=unit,
        )
        for index, (name, kind, value, unit) in enumerate(signals)
    )
    return replace(event, ei_event=replace(event.ei_event, signals=event.ei_event.signals + extra))


def _targeted_event() -> m.OadrEvent:
    """The sample price event with its signal target and endDeviceAsset, but no baseline or area.

    OpenLEADR reads these targets but cannot write them. It cannot read a baseline (the
    eiEventSignals dict no longer becomes a list) nor a serviceArea (gml elements stay under
    namespace-qualified keys).
    """
    event = price_event()
    target = replace(event.ei_event.target, service_areas=())
    return replace(event, ei_event=replace(event.ei_event, baseline=None, target=target))


BOTH_WAYS: list[tuple[str, m.Payload]] = [
    (
        "oadrDistributeEvent-two-events",
        m.OadrDistributeEvent(
            request_id="req-dist-1", vtn_id=VTN_ID, events=(simple_event(), _price_event())
        ),
    ),
    (
        "oadrDistributeEvent-24-intervals",
        m.OadrDistributeEvent(
            ei_response=ok("req-dist-0"),
            request_id="req-dist-2",
            vtn_id=VTN_ID,
            events=(_quarter_hour_event(),),
        ),
    ),
    (
        "oadrDistributeEvent-units",
        m.OadrDistributeEvent(request_id="req-dist-3", vtn_id=VTN_ID, events=(_units_event(),)),
    ),
    (
        "oadrDistributeEvent-open-ended",
        m.OadrDistributeEvent(request_id="req-dist-4", vtn_id=VTN_ID, events=(_open_ended_event(),)),
    ),
    ("oadrDistributeEvent-no-events", m.OadrDistributeEvent(request_id="req-dist-5", vtn_id=VTN_ID)),
    (
        # OpenLEADR writes eiResponse/requestID empty whenever it lists event responses.
        "oadrCreatedEvent",
        replace(
            sample_of(m.OadrCreatedEvent),
            ei_response=m.EiResponse(
                response_code=m.ResponseCode.OK, request_id="", response_description="OK"
            ),
        ),
    ),
    (
        "oadrCreatedEvent-no-responses",
        m.OadrCreatedEvent(ei_response=ok("req-dist-1"), ven_id=VEN_ID),
    ),
    ("oadrRequestEvent", SAMPLES["oadrRequestEvent"]),
    ("oadrRequestEvent-no-limit", m.OadrRequestEvent(request_id="req-event-2", ven_id=VEN_ID)),
    ("oadrResponse", SAMPLES["oadrResponse"]),
    (
        "oadrResponse-error",
        m.OadrResponse(
            ei_response=m.EiResponse(
                response_code=m.ResponseCode.NOT_REGISTERED_OR_AUTHORIZED,
                request_id="req-poll-2",
                response_description="VEN not registered",
            ),
            ven_id=VEN_ID,
        ),
    ),
    ("oadrCancelOpt", SAMPLES["oadrCancelOpt"]),
    ("oadrCanceledOpt", SAMPLES["oadrCanceledOpt"]),
    ("oadrCreateOpt-schedule", SAMPLES["oadrCreateOpt"]),
    (
        "oadrCreateOpt-event",
        m.OadrCreateOpt(
            opt_id="opt-2",
            opt_type=m.OptType.OPT_OUT,
            opt_reason=m.OptReason.PARTICIPATING,
            ven_id=VEN_ID,
            # Not UTC and with microseconds: both sides write UTC, OpenLEADR with 6 decimals.
            created_date_time=datetime(2026, 7, 1, 16, 30, 15, 250000, tzinfo=timezone(timedelta(hours=2))),
            request_id="req-opt-2",
            qualified_event_id=m.QualifiedEventID(event_id="event-1", modification_number=0),
            target=m.EiTarget(resource_ids=("charger-1",), ven_ids=(VEN_ID,)),
        ),
    ),
    (
        "oadrCreateOpt-one-period",
        m.OadrCreateOpt(
            opt_id="opt-3",
            opt_type=m.OptType.OPT_IN,
            opt_reason=m.OptReason.ECONOMIC,
            ven_id=VEN_ID,
            created_date_time=T0,
            request_id="req-opt-3",
            availability=(m.Available(dtstart=T0, duration=HOUR * 8),),
        ),
    ),
    (
        "oadrCreateOpt-empty-schedule",
        m.OadrCreateOpt(
            opt_id="opt-4",
            opt_type=m.OptType.OPT_IN,
            opt_reason=m.OptReason("x-fleet-reason"),
            market_context="http://market.example.com/dr-program",
            ven_id=VEN_ID,
            created_date_time=T0,
            request_id="req-opt-4",
            availability=(),
            target=m.EiTarget(group_ids=("north-depot",), group_names=("depot",), party_ids=("party-9",)),
        ),
    ),
    ("oadrCreatedOpt", SAMPLES["oadrCreatedOpt"]),
    ("oadrCancelReport", SAMPLES["oadrCancelReport"]),
    ("oadrCanceledReport", SAMPLES["oadrCanceledReport"]),
    (
        "oadrCanceledReport-none-pending",
        m.OadrCanceledReport(ei_response=ok("req-cancel-report-3"), ven_id=VEN_ID),
    ),
    (
        "oadrCreateReport",
        replace(sample_of(m.OadrCreateReport), report_requests=(_report_request(),)),
    ),
    ("oadrCreatedReport", SAMPLES["oadrCreatedReport"]),
    (
        "oadrRegisterReport",
        replace(sample_of(m.OadrRegisterReport), reports=(_metadata_report(),)),
    ),
    (
        "oadrRegisteredReport",
        replace(sample_of(m.OadrRegisteredReport), report_requests=(_report_request(),)),
    ),
    (
        "oadrCreateReport-history",
        m.OadrCreateReport(
            request_id="req-create-report-2", report_requests=(_history_request(),), ven_id=VEN_ID
        ),
    ),
    (
        "oadrRegisteredReport-no-requests",
        m.OadrRegisteredReport(ei_response=ok("req-register-report-2"), ven_id=VEN_ID),
    ),
    (
        "oadrUpdateReport-telemetry",
        m.OadrUpdateReport(request_id="req-update-report-1", reports=(_telemetry_report(),), ven_id=VEN_ID),
    ),
    (
        "oadrUpdateReport-two-reports",
        m.OadrUpdateReport(
            request_id="req-update-report-2", reports=(_telemetry_report(), _energy_report()), ven_id=VEN_ID
        ),
    ),
    ("oadrUpdatedReport", SAMPLES["oadrUpdatedReport"]),
    ("oadrCancelPartyRegistration", SAMPLES["oadrCancelPartyRegistration"]),
    ("oadrCanceledPartyRegistration", SAMPLES["oadrCanceledPartyRegistration"]),
    ("oadrCreatePartyRegistration", SAMPLES["oadrCreatePartyRegistration"]),
    (
        "oadrCreatePartyRegistration-reregister",
        replace(
            sample_of(m.OadrCreatePartyRegistration),
            registration_id="reg-77",
            ven_id=VEN_ID,
            xml_signature=False,
        ),
    ),
    (
        # OpenLEADR's template has no oadrServiceSpecificInfo and no oadrExtensions.
        "oadrCreatedPartyRegistration",
        replace(sample_of(m.OadrCreatedPartyRegistration), service_specific_info=None, extensions=None),
    ),
    ("oadrRequestReregistration", SAMPLES["oadrRequestReregistration"]),
    ("oadrQueryRegistration", SAMPLES["oadrQueryRegistration"]),
    ("oadrPoll", SAMPLES["oadrPoll"]),
]
"""Cases for both directions: OpenLEADR writes, we read; we write, OpenLEADR reads."""

PARSE_ONLY: list[tuple[str, m.Payload]] = [
    (
        "oadrDistributeEvent-targets",
        m.OadrDistributeEvent(request_id="req-dist-6", vtn_id=VTN_ID, events=(_targeted_event(),)),
    ),
    (
        "oadrDistributeEvent-unit-after-no-unit",
        m.OadrDistributeEvent(request_id="req-dist-7", vtn_id=VTN_ID, events=(_unit_after_no_unit_event(),)),
    ),
    ("oadrCreatedEvent-sample", SAMPLES["oadrCreatedEvent"]),
    ("oadrCreateReport-sample", SAMPLES["oadrCreateReport"]),
    ("oadrRegisterReport-sample", SAMPLES["oadrRegisterReport"]),
    ("oadrRegisteredReport-sample", SAMPLES["oadrRegisteredReport"]),
    ("oadrUpdateReport-sample", SAMPLES["oadrUpdateReport"]),
    (
        "oadrUpdateReport-two-payloads",
        m.OadrUpdateReport(request_id="req-update-report-3", reports=(_two_payload_report(),), ven_id=VEN_ID),
    ),
    ("oadrCreatedPartyRegistration-sample", SAMPLES["oadrCreatedPartyRegistration"]),
]
"""Cases OpenLEADR cannot write but reads: we write, OpenLEADR reads."""
