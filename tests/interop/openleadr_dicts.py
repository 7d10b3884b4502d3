"""Our model objects in OpenLEADR 0.5.36's dict conventions, both ways round.

OpenLEADR has no message classes of its own at this level: ``create_message(type, **kwargs)``
renders a Jinja template from plain dicts, and ``parse_message`` returns the output of
``xmltodict`` reshaped by ``utils.normalize_dict``. The two shapes differ (``create`` takes
``notification_period``, ``parse`` returns ``notification``; ``create`` takes one
``report_request_id`` in ``oadrCancelReport``, a list in ``oadrUpdatedReport``, ...), so there are
two conversions, each written once and used by both test directions:

- :func:`create_arguments`: the keyword arguments to pass to ``create_message`` so that OpenLEADR
  writes a document meaning exactly ``payload``. Raises :class:`NotExpressible` when OpenLEADR's
  templates cannot write something ``payload`` holds (a baseline, a signal target, a second
  report payload in an interval, ...): nothing is dropped silently.
- :func:`parsed_payload`: what ``parse_message`` returns for a document carrying ``payload``.
  Raises :class:`NotExpressible` where ``normalize_dict`` fails or produces something unusable.

Datetimes stay ``datetime``, durations ``timedelta``; numbers are ``int`` or ``float`` (Python
compares ``1 == 1.0``, as OpenLEADR's own numbers mix both).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from openadr_accel import model as m

__all__ = [
    "NotExpressible",
    "create_arguments",
    "message_type",
    "parsed_payload",
]

Dict = dict[str, Any]


class NotExpressible(ValueError):
    """``payload`` holds something OpenLEADR 0.5.36 cannot write (or read back usefully)."""


def message_type(payload: m.Payload) -> str:
    """The element name of ``payload``'s message (``oadrDistributeEvent``)."""
    name = type(payload).__name__
    return name[0].lower() + name[1:]


def create_arguments(payload: m.Payload) -> Dict:
    """Keyword arguments for ``openleadr.messaging.create_message(message_type(payload), ...)``."""
    return _CREATE[type(payload)](payload)


def parsed_payload(payload: m.Payload) -> Dict:
    """The payload dict ``openleadr.messaging.parse_message`` returns for ``payload``."""
    return _PARSED[type(payload)](payload)


# ============================================================================================
# Shared pieces
# ============================================================================================

# (model attribute, OpenLEADR key, key of the nested element or None for plain text), in the
# order of the schema's eiTarget sequence.
_TARGET_KINDS: tuple[tuple[str, str, str | None], ...] = (
    ("aggregated_pnodes", "aggregated_pnode", "node"),
    ("end_device_assets", "end_device_asset", "mrid"),
    ("meter_assets", "meter_asset", "mrid"),
    ("pnodes", "pnode", "node"),
    ("service_areas", "service_area", None),
    ("service_delivery_points", "service_delivery_point", "node"),
    ("service_locations", "service_location", None),
    ("transport_interfaces", "transport_interface", None),
    ("group_ids", "group_id", None),
    ("group_names", "group_name", None),
    ("resource_ids", "resource_id", None),
    ("ven_ids", "ven_id", None),
    ("party_ids", "party_id", None),
)
# The kinds OpenLEADR's target templates (parts/eiTarget.xml, eiEventTarget.xml) can write.
_WRITABLE_TARGET_KINDS = ("group_ids", "group_names", "resource_ids", "ven_ids", "party_ids")

# Element name of each unit, as OpenLEADR's ``measurement['name']``.
_UNIT_NAMES: dict[type[Any], str] = {
    m.PowerReal: "powerReal",
    m.PowerReactive: "powerReactive",
    m.PowerApparent: "powerApparent",
    m.EnergyReal: "energyReal",
    m.EnergyReactive: "energyReactive",
    m.EnergyApparent: "energyApparent",
    m.Voltage: "voltage",
    m.Current: "current",
    m.Frequency: "frequency",
    m.Therm: "Therm",
    m.Temperature: "temperature",
    m.PulseCount: "pulseCount",
    m.CustomUnit: "customUnit",
}
# openleadr.enums._MEASUREMENT_NAMESPACES: the names normalize_dict recognises as units. It
# spells currencyPerKW as "currencyPerWK", so that unit is neither written nor recognised.
_KNOWN_MEASUREMENTS = frozenset(
    {
        "currency",
        "currencyPerWK",
        "currencyPerKWh",
        "currencyPerThm",
        "current",
        "energyApparent",
        "energyReactive",
        "energyReal",
        "frequency",
        "powerApparent",
        "powerReactive",
        "powerReal",
        "pulseCount",
        "temperature",
        "Therm",
        "voltage",
        "customUnit",
    }
)


def _unit_name(item: m.ItemBase) -> str:
    if isinstance(item, m.CurrencyUnit):
        return item.kind.value
    return _UNIT_NAMES[type(item)]


def _number(value: Decimal) -> int | float:
    """A Decimal as the int or float a Python caller would pass to OpenLEADR."""
    return int(value) if value == value.to_integral_value() else float(value)


# ============================================================================================
# Model -> create_message keyword arguments
# ============================================================================================


def _s(value: str, where: str) -> str:
    """A string OpenLEADR writes as is.

    Its templates do not escape (Jinja autoescape is off), so '&' and '<' break the XML and a
    carriage return is read back as a line feed; and utils.flatten_xml strips every line of the
    rendered XML and joins them, so a line feed disappears with the blanks around it.
    """
    if "&" in value or "<" in value:
        raise NotExpressible(f"{where}: OpenLEADR writes text unescaped, '&' and '<' break the XML")
    if "\n" in value or "\r" in value:
        raise NotExpressible(f"{where}: OpenLEADR's flatten_xml removes line breaks from text")
    return value


def _opt_s(value: str | None, where: str) -> str | None:
    return None if value is None else _s(value, where)


def _required(value: str | None, where: str) -> str:
    """A value OpenLEADR's template always writes (None would become the text 'None')."""
    if value is None:
        raise NotExpressible(f"{where}: OpenLEADR always writes this element")
    return _s(value, where)


def _duration(value: timedelta, where: str) -> timedelta:
    if value < timedelta(0):
        raise NotExpressible(f"{where}: utils.timedeltaformat cannot write negative durations")
    return value


def _create_response(response: m.EiResponse) -> Dict:
    return {
        "response_code": int(response.response_code),
        "response_description": _required(
            response.response_description, "eiResponse/responseDescription (written as 'None' if absent)"
        ),
        "request_id": _s(response.request_id, "eiResponse/requestID"),
    }


def _create_measurement(item: m.ItemBase) -> Dict:
    if _unit_name(item) not in _KNOWN_MEASUREMENTS:
        raise NotExpressible(f"{_unit_name(item)}: not in enums._MEASUREMENT_NAMESPACES ('currencyPerWK')")
    measurement: Dict = {
        "name": _unit_name(item),
        "description": _s(item.item_description, "itemDescription"),
        "unit": _s(item.item_units, "itemUnits"),
    }
    if isinstance(item, m.PulseCount):
        if item.pulse_factor == 0:
            raise NotExpressible("pulseFactor: a pulse factor of 0 is written as a siScaleCode")
        measurement["pulse_factor"] = _number(item.pulse_factor)
    else:
        measurement["scale"] = item.scale.value
    if isinstance(item, m.PowerReal | m.PowerReactive | m.PowerApparent):
        measurement["power_attributes"] = {
            "hertz": _xs_decimal(item.attributes.hertz, "powerAttributes/hertz"),
            "voltage": _xs_decimal(item.attributes.voltage, "powerAttributes/voltage"),
            "ac": item.attributes.ac,
        }
    return measurement


def _xs_decimal(value: Decimal, where: str) -> int | float:
    """A number for an xs:decimal, which the template writes as str(number)."""
    number = _number(value)
    if "e" in str(number):
        raise NotExpressible(f"{where}: str({number!r}) uses an exponent, which xs:decimal refuses")
    return number


def _create_target_list(target: m.EiTarget, where: str) -> list[Dict]:
    """A target as OpenLEADR's list of one-key dicts (``[{'ven_id': 'v1'}, ...]``)."""
    targets: list[Dict] = []
    for attribute, key, _nested in _TARGET_KINDS:
        values = getattr(target, attribute)
        if values and attribute not in _WRITABLE_TARGET_KINDS:
            raise NotExpressible(f"{where}/{key}: OpenLEADR's target template cannot write it")
        targets.extend({key: _s(value, f"{where}/{key}")} for value in values)
    return targets


def _create_target_dict(target: m.EiTarget, where: str) -> Dict:
    """A target as one dict (``{'resource_id': 'r1', 'ven_id': 'v1'}``): one value per kind."""
    merged: Dict = {}
    for single in _create_target_list(target, where):
        ((key, value),) = single.items()
        if key in merged:
            raise NotExpressible(f"{where}/{key}: OpenLEADR writes one value of each kind only")
        merged[key] = value
    return merged


def _create_properties(properties: m.Properties, where: str) -> Dict:
    """dtstart and duration only: what OpenLEADR's vavailability and reportInterval write."""
    extras = (properties.start_after, properties.notification, properties.ramp_up, properties.recovery)
    if any(extra is not None for extra in extras):
        raise NotExpressible(f"{where}: OpenLEADR writes dtstart and duration only")
    return {"dtstart": properties.dtstart, "duration": _duration(properties.duration, where)}


def _create_active_period(period: m.EiActivePeriod) -> Dict:
    for name, value in (
        ("tolerance/startafter", period.start_after),
        ("x-eiNotification", period.notification),
        ("x-eiRampUp", period.ramp_up),
        ("x-eiRecovery", period.recovery),
    ):
        if value is not None and value <= timedelta(0):
            raise NotExpressible(f"eiActivePeriod/{name}: a zero duration is falsy and not written")
    return {
        "dtstart": period.dtstart,
        "duration": _duration(period.duration, "eiActivePeriod/duration"),
        "tolerance": None if period.start_after is None else {"startafter": period.start_after},
        "notification_period": period.notification,
        "ramp_up_period": period.ramp_up,
        "recovery_period": period.recovery,
    }


def _create_signal(signal: m.EiEventSignal) -> Dict:
    if signal.target is not None:
        raise NotExpressible("eiEventSignal/eiTarget: parts/eiEventSignal.xml writes no target")
    intervals = []
    for index, interval in enumerate(signal.intervals):
        if interval.uid != str(index):
            raise NotExpressible("ei:interval/xcal:uid: OpenLEADR always writes the interval's index")
        if interval.duration is None:
            raise NotExpressible("ei:interval/xcal:duration: OpenLEADR's preflight requires it")
        if len(interval.payloads) != 1 or not isinstance(interval.payloads[0], m.PayloadFloat):
            raise NotExpressible("ei:signalPayload: OpenLEADR writes exactly one payloadFloat")
        item: Dict = {
            "duration": _duration(interval.duration, "ei:interval/duration"),
            "signal_payload": _number(interval.payloads[0].value),
        }
        if interval.dtstart is not None:
            item["dtstart"] = interval.dtstart
        intervals.append(item)
    created: Dict = {
        "intervals": intervals,
        "signal_name": _s(signal.signal_name, "signalName"),
        "signal_type": signal.signal_type.value,
        "signal_id": _s(signal.signal_id, "signalID"),
    }
    if signal.item_base is not None:
        created["measurement"] = _create_measurement(signal.item_base)
    if signal.current_value is not None:
        # Only when present: preflight turns a None current value of a SIMPLE signal into 0.
        created["current_value"] = _number(signal.current_value)
    return created


def _create_event(event: m.OadrEvent) -> Dict:
    ei_event = event.ei_event
    if ei_event.baseline is not None:
        raise NotExpressible("eiEventBaseline: OpenLEADR has no template for it")
    descriptor = ei_event.event_descriptor
    if descriptor.test_event not in (None, "true", "false"):
        raise NotExpressible("testEvent: utils.booleanformat accepts only true and false")
    return {
        "event_descriptor": {
            "event_id": _s(descriptor.event_id, "eventID"),
            "modification_number": descriptor.modification_number,
            "modification_date_time": descriptor.modification_date_time,
            "modification_reason": _opt_s(descriptor.modification_reason, "modificationReason"),
            # Always present: the template tests "priority is not none", and an undefined
            # priority is not none, so it would write an empty (invalid) <ei:priority/>.
            "priority": descriptor.priority,
            "market_context": _s(descriptor.market_context, "marketContext"),
            "created_date_time": descriptor.created_date_time,
            "event_status": descriptor.event_status.value,
            "test_event": None if descriptor.test_event is None else descriptor.test_event == "true",
            "vtn_comment": _opt_s(descriptor.vtn_comment, "vtnComment"),
        },
        "active_period": _create_active_period(ei_event.active_period),
        "event_signals": [_create_signal(signal) for signal in ei_event.signals],
        # Always present: without it the template writes no (mandatory) eiTarget.
        "targets": _create_target_list(ei_event.target, "eiEvent/eiTarget"),
        "response_required": event.response_required.value,
    }


def _create_distribute_event(message: m.OadrDistributeEvent) -> Dict:
    return {
        "response": None if message.ei_response is None else _create_response(message.ei_response),
        "request_id": _s(message.request_id, "requestID"),
        "vtn_id": _s(message.vtn_id, "vtnID"),
        "events": [_create_event(event) for event in message.events],
    }


def _create_created_event(message: m.OadrCreatedEvent) -> Dict:
    if message.event_responses and message.ei_response.request_id != "":
        raise NotExpressible(
            "eiCreatedEvent/eiResponse/requestID: OpenLEADR writes it empty when it lists event responses"
        )
    return {
        "response": _create_response(message.ei_response),
        "event_responses": [
            {
                "response_code": int(response.response_code),
                "response_description": _opt_s(response.response_description, "responseDescription"),
                "request_id": _s(response.request_id, "eventResponse/requestID"),
                "event_id": _s(response.qualified_event_id.event_id, "eventID"),
                "modification_number": response.qualified_event_id.modification_number,
                "opt_type": response.opt_type.value,
            }
            for response in message.event_responses
        ]
        or None,
        "ven_id": _s(message.ven_id, "venID"),
    }


def _create_request_event(message: m.OadrRequestEvent) -> Dict:
    return {
        "request_id": _s(message.request_id, "requestID"),
        "ven_id": _s(message.ven_id, "venID"),
        "reply_limit": message.reply_limit,
    }


def _create_response_message(message: m.OadrResponse) -> Dict:
    return {
        "response": _create_response(message.ei_response),
        "ven_id": _required(message.ven_id, "oadrResponse/venID"),
    }


def _create_cancel_opt(message: m.OadrCancelOpt) -> Dict:
    return {
        "request_id": _s(message.request_id, "requestID"),
        "opt_id": _s(message.opt_id, "optID"),
        "ven_id": _s(message.ven_id, "venID"),
    }


def _create_canceled_opt(message: m.OadrCanceledOpt) -> Dict:
    return {
        "response": _create_response(message.ei_response),
        "opt_id": _required(message.opt_id, "oadrCanceledOpt/optID"),
    }


def _create_create_opt(message: m.OadrCreateOpt) -> Dict:
    device_class = message.device_class
    signal_target_mrid = None
    if device_class is not None:
        if device_class != m.EiTarget(end_device_assets=device_class.end_device_assets) or (
            len(device_class.end_device_assets) != 1
        ):
            raise NotExpressible("oadrDeviceClass: OpenLEADR writes exactly one endDeviceAsset mrid")
        signal_target_mrid = _s(device_class.end_device_assets[0], "oadrDeviceClass")
    target = _create_target_dict(message.target, "oadrCreateOpt/eiTarget")
    qualified = message.qualified_event_id
    return {
        "opt_id": _s(message.opt_id, "optID"),
        "opt_type": message.opt_type.value,
        "opt_reason": _s(message.opt_reason, "optReason"),
        "market_context": _opt_s(message.market_context, "marketContext"),
        "ven_id": _s(message.ven_id, "venID"),
        "vavailability": None
        if message.availability is None
        else {"components": [_create_properties(a, "xcal:available") for a in message.availability]},
        "created_date_time": message.created_date_time,
        "request_id": _s(message.request_id, "requestID"),
        "event_id": None if qualified is None else _s(qualified.event_id, "eventID"),
        "modification_number": None if qualified is None else qualified.modification_number,
        # One dict: the template writes one <ei:eiTarget> per dict and the schema allows one.
        "targets": [target] if target else [],
        "signal_target_mrid": signal_target_mrid,
    }


def _create_created_opt(message: m.OadrCreatedOpt) -> Dict:
    return {"response": _create_response(message.ei_response), "opt_id": _s(message.opt_id, "optID")}


def _create_cancel_report(message: m.OadrCancelReport) -> Dict:
    if len(message.report_request_ids) != 1:
        raise NotExpressible("oadrCancelReport/reportRequestID: OpenLEADR writes exactly one")
    return {
        "request_id": _s(message.request_id, "requestID"),
        "report_request_id": _s(message.report_request_ids[0], "reportRequestID"),
        "report_to_follow": message.report_to_follow,
        "ven_id": _required(message.ven_id, "oadrCancelReport/venID"),
    }


def _create_pending(message: m.OadrCreatedReport | m.OadrCanceledReport) -> Dict:
    return {
        "response": _create_response(message.ei_response),
        "pending_reports": [
            {"report_request_id": _s(request_id, "reportRequestID")} for request_id in message.pending_reports
        ],
        "ven_id": _opt_s(message.ven_id, "venID"),
    }


def _create_report_request(request: m.OadrReportRequest) -> Dict:
    specifier = request.report_specifier
    payloads = []
    for payload in specifier.specifier_payloads:
        if payload.item_base is not None:
            raise NotExpressible("specifierPayload/itemBase: parts/oadrReportRequest.xml does not write it")
        payloads.append(
            {"r_id": _s(payload.r_id, "rID"), "reading_type": _s(payload.reading_type, "readingType")}
        )
    return {
        "report_request_id": _s(request.report_request_id, "reportRequestID"),
        "report_specifier": {
            "report_specifier_id": _s(specifier.report_specifier_id, "reportSpecifierID"),
            "granularity": _duration(specifier.granularity, "granularity"),
            "report_back_duration": _duration(specifier.report_back_duration, "reportBackDuration"),
            "report_interval": None
            if specifier.report_interval is None
            else _create_properties(specifier.report_interval, "reportInterval"),
            "specifier_payloads": payloads,
        },
    }


def _create_create_report(message: m.OadrCreateReport) -> Dict:
    return {
        "request_id": _s(message.request_id, "requestID"),
        "report_requests": [_create_report_request(request) for request in message.report_requests],
        "ven_id": _required(message.ven_id, "oadrCreateReport/venID"),
    }


def _create_registered_report(message: m.OadrRegisteredReport) -> Dict:
    return {
        "response": _create_response(message.ei_response),
        "report_requests": [_create_report_request(request) for request in message.report_requests],
        "ven_id": _opt_s(message.ven_id, "venID"),
    }


def _create_description(description: m.OadrReportDescription) -> Dict:
    subject = description.report_subject
    report_subject = None
    if subject is not None:
        if subject != m.EiTarget(end_device_assets=subject.end_device_assets) or (
            len(subject.end_device_assets) != 1
        ):
            raise NotExpressible("reportSubject: OpenLEADR writes exactly one endDeviceAsset mrid")
        report_subject = {"end_device_asset": {"mrid": _s(subject.end_device_assets[0], "reportSubject")}}
    source = description.report_data_source
    report_data_source = None
    if source is not None:
        report_data_source = _create_target_dict(source, "reportDataSource")
        if not report_data_source:
            raise NotExpressible("reportDataSource: an empty data source is falsy and not written")
    rate = description.sampling_rate
    return {
        "r_id": _s(description.r_id, "rID"),
        "report_subject": report_subject,
        "report_data_source": report_data_source,
        "report_type": _s(description.report_type, "reportType"),
        "measurement": None if description.item_base is None else _create_measurement(description.item_base),
        "reading_type": _s(description.reading_type, "readingType"),
        "market_context": _opt_s(description.market_context, "marketContext"),
        "sampling_rate": None
        if rate is None
        else {
            "min_period": _duration(rate.min_period, "oadrMinPeriod"),
            "max_period": _duration(rate.max_period, "oadrMaxPeriod"),
            "on_change": rate.on_change,
        },
    }


def _create_metadata_report(report: m.OadrReport) -> Dict:
    if report.dtstart is not None or report.intervals:
        raise NotExpressible("oadrRegisterReport/oadrReport: OpenLEADR writes no dtstart and no intervals")
    name = report.report_name
    if name is None:
        raise NotExpressible("oadrRegisterReport/reportName: OpenLEADR always writes it")
    if not name.startswith("METADATA"):
        if not name.is_extension:
            raise NotExpressible(f"reportName: preflight renames {name} to METADATA_{name}")
    elif report.ei_report_id is not None:
        raise NotExpressible("eiReportID: OpenLEADR drops it from METADATA reports")
    return {
        "duration": None if report.duration is None else _duration(report.duration, "oadrReport/duration"),
        "report_id": _opt_s(report.ei_report_id, "eiReportID"),
        "report_descriptions": [_create_description(d) for d in report.descriptions],
        "report_request_id": _s(report.report_request_id, "reportRequestID"),
        "report_specifier_id": _s(report.report_specifier_id, "reportSpecifierID"),
        "report_name": _s(name, "reportName"),
        "created_date_time": report.created_date_time,
    }


def _create_register_report(message: m.OadrRegisterReport) -> Dict:
    if message.report_request_id is not None:
        raise NotExpressible("oadrRegisterReport/reportRequestID: OpenLEADR's template lacks it")
    return {
        "request_id": _s(message.request_id, "requestID"),
        "reports": [_create_metadata_report(report) for report in message.reports],
        "ven_id": _opt_s(message.ven_id, "venID"),
    }


def _create_report_payload(payload: m.OadrReportPayload) -> Dict:
    if not isinstance(payload.payload, m.PayloadFloat):
        raise NotExpressible("oadrPayloadResourceStatus: OpenLEADR writes payloadFloat only")
    return {
        "r_id": _s(payload.r_id, "rID"),
        "confidence": payload.confidence,
        "accuracy": None if payload.accuracy is None else _number(payload.accuracy),
        "value": _number(payload.payload.value),
        "data_quality": _opt_s(payload.data_quality, "oadrDataQuality"),
    }


def _create_data_report(report: m.OadrReport) -> Dict:
    if report.duration is not None:
        raise NotExpressible("oadrUpdateReport/oadrReport/duration: the template does not write it")
    intervals = []
    for interval in report.intervals:
        if interval.uid is not None:
            raise NotExpressible("oadrUpdateReport interval uid: the template does not write it")
        if interval.dtstart is None:
            raise NotExpressible("oadrUpdateReport interval dtstart: the template always writes it")
        if len(interval.payloads) != 1:
            raise NotExpressible("oadrReportPayload: OpenLEADR writes exactly one per interval")
        intervals.append(
            {
                "dtstart": interval.dtstart,
                "duration": None
                if interval.duration is None
                else _duration(interval.duration, "ei:interval/duration"),
                "report_payload": _create_report_payload(interval.payloads[0]),
            }
        )
    return {
        "dtstart": report.dtstart,
        "intervals": intervals,
        "report_id": _required(report.ei_report_id, "oadrUpdateReport/eiReportID"),
        "report_descriptions": [_create_description(d) for d in report.descriptions],
        "report_request_id": _s(report.report_request_id, "reportRequestID"),
        "report_specifier_id": _s(report.report_specifier_id, "reportSpecifierID"),
        "report_name": _opt_s(report.report_name, "reportName"),
        "created_date_time": report.created_date_time,
    }


def _create_update_report(message: m.OadrUpdateReport) -> Dict:
    return {
        "request_id": _s(message.request_id, "requestID"),
        "reports": [_create_data_report(report) for report in message.reports],
        "ven_id": _opt_s(message.ven_id, "venID"),
    }


def _create_updated_report(message: m.OadrUpdatedReport) -> Dict:
    cancel = message.cancel_report
    return {
        "response": _create_response(message.ei_response),
        # Unlike oadrCancelReport's template, this one iterates over report_request_id.
        "cancel_report": None
        if cancel is None
        else {
            "request_id": _s(cancel.request_id, "requestID"),
            "report_request_id": [_s(rid, "reportRequestID") for rid in cancel.report_request_ids],
            "report_to_follow": cancel.report_to_follow,
            "ven_id": _opt_s(cancel.ven_id, "venID"),
        },
        "ven_id": _opt_s(message.ven_id, "venID"),
    }


def _create_cancel_party_registration(message: m.OadrCancelPartyRegistration) -> Dict:
    return {
        "request_id": _s(message.request_id, "requestID"),
        "registration_id": _s(message.registration_id, "registrationID"),
        "ven_id": _required(message.ven_id, "oadrCancelPartyRegistration/venID"),
    }


def _create_canceled_party_registration(message: m.OadrCanceledPartyRegistration) -> Dict:
    return {
        "response": _create_response(message.ei_response),
        "registration_id": _required(message.registration_id, "oadrCanceledPartyRegistration/registrationID"),
        "ven_id": _required(message.ven_id, "oadrCanceledPartyRegistration/venID"),
    }


def _create_create_party_registration(message: m.OadrCreatePartyRegistration) -> Dict:
    if message.http_pull_model is None:
        raise NotExpressible("oadrHttpPullModel: OpenLEADR always writes it (booleanformat refuses None)")
    return {
        "request_id": _s(message.request_id, "requestID"),
        "registration_id": _opt_s(message.registration_id, "registrationID"),
        "ven_id": _opt_s(message.ven_id, "venID"),
        "profile_name": message.profile_name.value,
        "transport_name": message.transport_name.value,
        "transport_address": _required(message.transport_address, "oadrTransportAddress"),
        "report_only": message.report_only,
        "xml_signature": message.xml_signature,
        "ven_name": _required(message.ven_name, "oadrVenName"),
        "http_pull_model": message.http_pull_model,
    }


def _create_created_party_registration(message: m.OadrCreatedPartyRegistration) -> Dict:
    if message.service_specific_info is not None:
        raise NotExpressible("oadrServiceSpecificInfo: OpenLEADR's template lacks it")
    if message.extensions is not None:
        raise NotExpressible("oadrExtensions: OpenLEADR's template lacks it")
    return {
        "response": _create_response(message.ei_response),
        # Written as empty elements when None, which reads back as "" rather than absent.
        "registration_id": _required(message.registration_id, "oadrCreatedPartyRegistration/registrationID"),
        "ven_id": _required(message.ven_id, "oadrCreatedPartyRegistration/venID"),
        "vtn_id": _s(message.vtn_id, "vtnID"),
        "profiles": [
            {
                "profile_name": profile.profile_name.value,
                "transports": [{"transport_name": transport.value} for transport in profile.transports],
            }
            for profile in message.profiles
        ],
        "requested_oadr_poll_freq": None
        if message.requested_poll_freq is None
        else _duration(message.requested_poll_freq, "oadrRequestedOadrPollFreq"),
    }


_CREATE: dict[type[Any], Callable[[Any], Dict]] = {
    m.OadrDistributeEvent: _create_distribute_event,
    m.OadrCreatedEvent: _create_created_event,
    m.OadrRequestEvent: _create_request_event,
    m.OadrResponse: _create_response_message,
    m.OadrCancelOpt: _create_cancel_opt,
    m.OadrCanceledOpt: _create_canceled_opt,
    m.OadrCreateOpt: _create_create_opt,
    m.OadrCreatedOpt: _create_created_opt,
    m.OadrCancelReport: _create_cancel_report,
    m.OadrCanceledReport: _create_pending,
    m.OadrCreateReport: _create_create_report,
    m.OadrCreatedReport: _create_pending,
    m.OadrRegisterReport: _create_register_report,
    m.OadrRegisteredReport: _create_registered_report,
    m.OadrUpdateReport: _create_update_report,
    m.OadrUpdatedReport: _create_updated_report,
    m.OadrCancelPartyRegistration: _create_cancel_party_registration,
    m.OadrCanceledPartyRegistration: _create_canceled_party_registration,
    m.OadrCreatePartyRegistration: _create_create_party_registration,
    m.OadrCreatedPartyRegistration: _create_created_party_registration,
    m.OadrRequestReregistration: lambda message: {"ven_id": _s(message.ven_id, "venID")},
    m.OadrQueryRegistration: lambda message: {"request_id": _s(message.request_id, "requestID")},
    m.OadrPoll: lambda message: {"ven_id": _s(message.ven_id, "venID")},
}


# ============================================================================================
# Model -> what parse_message returns
# ============================================================================================

_INTEGER = re.compile(r"^-?\d+$")
_FLOATISH = re.compile(r"^-?[\d.]+$")


def _text(value: str) -> Any:
    """What normalize_dict makes of an element's text, whatever the element's schema type.

    xmltodict strips the text and gives None for an empty element; normalize_dict then turns
    "true"/"false" into booleans, digits into int and digits-with-dots into float (raising
    ValueError on texts such as "10.0.0.1").
    """
    value = value.strip()
    if value == "":
        return None
    if value in ("true", "false"):
        return value == "true"
    if _INTEGER.match(value):
        return int(value)
    if _FLOATISH.match(value):
        try:
            return float(value)
        except ValueError:
            raise NotExpressible(f"normalize_dict raises ValueError on the text {value!r}") from None
    return value


def _raw(value: str) -> str | None:
    """An element's text as xmltodict gives it: stripped, None when empty."""
    return value.strip() or None


def _repeated_text(values: tuple[str, ...]) -> Any:
    """A repeated text element: normalize_dict converts a lone one, but not the items of a list."""
    if len(values) == 1:
        return _text(values[0])
    return [_raw(value) for value in values]


def _put(target: Dict, key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is None (the element is absent, so is the key)."""
    if value is not None:
        target[key] = value


def _put_text(target: Dict, key: str, value: str | None) -> None:
    """Set ``key`` to the text's reading unless the element is absent (None).

    An element that is present but empty or blank reads as None: the key is there, set to None.
    """
    if value is not None:
        target[key] = _text(value)


def _one_or_list(values: list[Any]) -> Any:
    """xmltodict's shape for a repeated element: the value alone, or a list of several."""
    return values[0] if len(values) == 1 else values


def _parsed_response(response: m.EiResponse) -> Dict:
    parsed = {"response_code": _text(response.response_code), "request_id": _text(response.request_id)}
    if response.response_description is not None:
        parsed["response_description"] = _text(response.response_description)
    return parsed


def _parsed_target_items(target: m.EiTarget, where: str) -> list[tuple[str, list[Any]]]:
    items = []
    for attribute, key, nested in _TARGET_KINDS:
        values = getattr(target, attribute)
        if not values:
            continue
        if attribute in ("service_areas", "service_locations"):
            raise NotExpressible(f"{where}/{key}: normalize_dict leaves gml elements under namespaced keys")
        if attribute == "transport_interfaces":
            parsed = [
                {
                    "point_of_receipt": _text(t.point_of_receipt),
                    "point_of_delivery": _text(t.point_of_delivery),
                }
                for t in values
            ]
        elif nested is not None:
            parsed = [{nested: _text(value)} for value in values]
        else:
            repeated = _repeated_text(values)
            parsed = repeated if isinstance(repeated, list) else [repeated]
        items.append((key, parsed))
    return items


def _parsed_targets(target: m.EiTarget, where: str) -> Dict:
    """An ``eiTarget``: ``targets`` (one-key dicts) and ``targets_by_type`` (lists per kind)."""
    targets = [{key: value} for key, values in _parsed_target_items(target, where) for value in values]
    by_type: Dict = {}
    for single in targets:
        for key, value in single.items():
            if value is not None:
                by_type.setdefault(key, []).append(value)
    return {"targets": targets, "targets_by_type": by_type}


def _parsed_plain_target(target: m.EiTarget, where: str) -> Any:
    """A target-like element under another name (reportSubject, oadrDeviceClass): xmltodict's shape."""
    items = _parsed_target_items(target, where)
    return {key: _one_or_list(values) for key, values in items} or None


def _parsed_unit(item: m.ItemBase) -> Dict:
    """The unit's children as normalize_dict names them (before the measurement rewrite)."""
    parsed: Dict = {"item_description": _text(item.item_description), "item_units": _text(item.item_units)}
    if isinstance(item, m.PulseCount):
        parsed["pulse_factor"] = _text(str(item.pulse_factor))
    else:
        parsed["si_scale_code"] = _text(item.scale.value)
    if isinstance(item, m.PowerReal | m.PowerReactive | m.PowerApparent):
        parsed["power_attributes"] = {
            "hertz": _text(format(item.attributes.hertz, "f")),
            "voltage": _text(format(item.attributes.voltage, "f")),
            "ac": item.attributes.ac,
        }
    return parsed


def _raw_unit_key(item: m.ItemBase) -> str:
    name = _unit_name(item)
    if name in _KNOWN_MEASUREMENTS:
        return name  # normalize_dict keeps the names of the units it knows unchanged
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()  # currencyPerKW -> currency_per_kw


def _add_units(parsed_items: list[Dict], items: list[m.ItemBase | None]) -> None:
    """normalize_dict's rewrite of units into ``measurement``, including its early stop.

    For eiEventSignal and oadrReportDescription, each unit becomes ``{'name', 'description',
    'unit', 'scale' or 'pulse_factor', 'power_attributes'}`` -- until the first item without a
    recognised unit: there the loop breaks, and the units of all later items stay raw.
    """
    normalising = True
    for parsed, item in zip(parsed_items, items, strict=True):
        if item is None:
            normalising = False
            continue
        raw = _parsed_unit(item)
        key = _raw_unit_key(item)
        if not normalising or key not in _KNOWN_MEASUREMENTS:
            normalising = False
            parsed[key] = raw
            continue
        measurement: Dict = {
            "name": key,
            "description": raw.pop("item_description"),
            "unit": raw.pop("item_units"),
        }
        if "si_scale_code" in raw:
            measurement["scale"] = raw.pop("si_scale_code")
        measurement.update(raw)
        parsed["measurement"] = measurement


def _parsed_uid(uid: str) -> int:
    try:
        return int(uid)
    except ValueError:
        raise NotExpressible(f"xcal:uid: normalize_dict calls int() on {uid!r} and raises") from None


def _parsed_properties(properties: m.Properties) -> Dict:
    parsed: Dict = {"dtstart": properties.dtstart, "duration": properties.duration}
    if properties.start_after is not None:
        parsed["tolerance"] = {"tolerate": {"startafter": properties.start_after}}
    _put(parsed, "notification", properties.notification)
    _put(parsed, "ramp_up", properties.ramp_up)
    _put(parsed, "recovery", properties.recovery)
    return parsed


def _parsed_signal_interval(interval: m.SignalInterval) -> Dict:
    if len(interval.payloads) != 1 or not isinstance(interval.payloads[0], m.PayloadFloat):
        raise NotExpressible("ei:signalPayload: normalize_dict unwraps a single payloadFloat only")
    parsed: Dict = {}
    _put(parsed, "dtstart", interval.dtstart)
    _put(parsed, "duration", interval.duration)
    if interval.uid is not None:
        parsed["uid"] = _parsed_uid(interval.uid)
    parsed["signal_payload"] = float(interval.payloads[0].value)
    return parsed


def _parsed_signal(signal: m.EiEventSignal) -> Dict:
    parsed: Dict = {
        "intervals": [_parsed_signal_interval(interval) for interval in signal.intervals],
        "signal_name": _text(signal.signal_name),
        "signal_type": _text(signal.signal_type),
        "signal_id": _text(signal.signal_id),
    }
    if signal.target is not None:
        parsed.update(_parsed_targets(signal.target, "eiEventSignal/eiTarget"))
    if signal.current_value is not None:
        parsed["current_value"] = float(signal.current_value)
    return parsed


def _parsed_event(event: m.OadrEvent) -> Dict:
    ei_event = event.ei_event
    if ei_event.baseline is not None:
        raise NotExpressible(
            "eiEventBaseline: normalize_dict turns event_signals into a dict {event_baseline, event_signals}"
        )
    d = ei_event.event_descriptor
    descriptor: Dict = {
        "event_id": _text(d.event_id),
        "modification_number": d.modification_number,
        "market_context": _text(d.market_context),
        "created_date_time": d.created_date_time,
        "event_status": _text(d.event_status),
    }
    _put(descriptor, "modification_date_time", d.modification_date_time)
    _put_text(descriptor, "modification_reason", d.modification_reason)
    _put(descriptor, "priority", d.priority)
    _put(descriptor, "test_event", None if d.test_event is None else d.is_test_event)
    _put_text(descriptor, "vtn_comment", d.vtn_comment)
    signals = [_parsed_signal(signal) for signal in ei_event.signals]
    _add_units(signals, [signal.item_base for signal in ei_event.signals])
    return {
        "event_descriptor": descriptor,
        "active_period": _parsed_properties(ei_event.active_period),
        "event_signals": signals,
        **_parsed_targets(ei_event.target, "eiEvent/eiTarget"),
        "response_required": _text(event.response_required),
    }


def _parsed_distribute_event(message: m.OadrDistributeEvent) -> Dict:
    parsed: Dict = {"request_id": _text(message.request_id), "vtn_id": _text(message.vtn_id)}
    if message.ei_response is not None:
        parsed["response"] = _parsed_response(message.ei_response)
    if message.events:
        parsed["events"] = [_parsed_event(event) for event in message.events]
    return parsed


def _parsed_created_event(message: m.OadrCreatedEvent) -> Dict:
    parsed: Dict = {"response": _parsed_response(message.ei_response), "ven_id": _text(message.ven_id)}
    if message.event_responses:
        parsed["event_responses"] = [
            {
                **_parsed_response(
                    m.EiResponse(
                        response_code=response.response_code,
                        request_id=response.request_id,
                        response_description=response.response_description,
                    )
                ),
                "event_id": _text(response.qualified_event_id.event_id),
                "modification_number": response.qualified_event_id.modification_number,
                "opt_type": _text(response.opt_type),
            }
            for response in message.event_responses
        ]
    return parsed


def _parsed_request_event(message: m.OadrRequestEvent) -> Dict:
    parsed: Dict = {"request_id": _text(message.request_id), "ven_id": _text(message.ven_id)}
    _put(parsed, "reply_limit", message.reply_limit)
    return parsed


def _parsed_response_message(message: m.OadrResponse) -> Dict:
    parsed: Dict = {"response": _parsed_response(message.ei_response)}
    if message.ven_id is not None:
        parsed["ven_id"] = _text(message.ven_id)
    return parsed


def _ids(**values: str | None) -> Dict:
    """Plain text children, absent when None."""
    return {key: _text(value) for key, value in values.items() if value is not None}


def _parsed_create_opt(message: m.OadrCreateOpt) -> Dict:
    parsed: Dict = _ids(
        opt_id=message.opt_id,
        opt_type=message.opt_type,
        opt_reason=message.opt_reason,
        market_context=message.market_context,
        ven_id=message.ven_id,
        request_id=message.request_id,
    )
    parsed["created_date_time"] = message.created_date_time
    if message.availability is not None:
        available = [_parsed_properties(a) for a in message.availability]
        components: Any
        if not available:
            components = None
        elif len(available) == 1:  # a lone xcal:available has its properties promoted ...
            components = {"available": available[0]}
        else:  # ... several keep them
            components = {"available": [{"properties": a} for a in available]}
        parsed["vavailability"] = {"components": components}
    if message.qualified_event_id is not None:
        parsed["event_id"] = _text(message.qualified_event_id.event_id)
        parsed["modification_number"] = message.qualified_event_id.modification_number
    parsed.update(_parsed_targets(message.target, "oadrCreateOpt/eiTarget"))
    if message.device_class is not None:
        parsed["device_class"] = _parsed_plain_target(message.device_class, "oadrDeviceClass")
    return parsed


def _parsed_cancel_report(message: m.OadrCancelReport) -> Dict:
    parsed: Dict = _ids(request_id=message.request_id, ven_id=message.ven_id)
    parsed["report_request_id"] = _repeated_text(message.report_request_ids)
    parsed["report_to_follow"] = message.report_to_follow
    return parsed


def _pending(report_request_ids: tuple[str, ...]) -> list[Any]:
    if not report_request_ids:
        return []
    repeated = _repeated_text(report_request_ids)
    return repeated if isinstance(repeated, list) else [repeated]


def _parsed_pending(message: m.OadrCreatedReport | m.OadrCanceledReport) -> Dict:
    parsed: Dict = {
        "response": _parsed_response(message.ei_response),
        # normalize_dict converts a lone ID and then back to str ("007" comes back as "7").
        "pending_reports": [{"report_request_id": str(rid)} for rid in _pending(message.pending_reports)],
    }
    _put_text(parsed, "ven_id", message.ven_id)
    return parsed


def _parsed_report_request(request: m.OadrReportRequest) -> Dict:
    specifier = request.report_specifier
    payloads = []
    for payload in specifier.specifier_payloads:
        parsed_payload_: Dict = {"r_id": _text(payload.r_id), "reading_type": _text(payload.reading_type)}
        if payload.item_base is not None:  # never rewritten into 'measurement' here
            parsed_payload_[_raw_unit_key(payload.item_base)] = _parsed_unit(payload.item_base)
        payloads.append(parsed_payload_)
    parsed_specifier: Dict = {
        "report_specifier_id": _text(specifier.report_specifier_id),
        "granularity": specifier.granularity,
        "report_back_duration": specifier.report_back_duration,
        "specifier_payloads": payloads,
    }
    if specifier.report_interval is not None:
        parsed_specifier["report_interval"] = _parsed_properties(specifier.report_interval)
    return {"report_request_id": _text(request.report_request_id), "report_specifier": parsed_specifier}


def _parsed_report_requests(requests: tuple[m.OadrReportRequest, ...], parsed: Dict) -> None:
    if requests:
        parsed["report_requests"] = [_parsed_report_request(request) for request in requests]


def _parsed_description(description: m.OadrReportDescription) -> Dict:
    parsed: Dict = {"r_id": _text(description.r_id)}
    if description.report_subject is not None:
        parsed["report_subject"] = _parsed_plain_target(description.report_subject, "reportSubject")
    if description.report_data_source is not None:
        parsed["report_data_source"] = _parsed_plain_target(
            description.report_data_source, "reportDataSource"
        )
    parsed["report_type"] = _text(description.report_type)
    parsed["reading_type"] = _text(description.reading_type)
    _put_text(parsed, "market_context", description.market_context)
    rate = description.sampling_rate
    if rate is not None:
        parsed["sampling_rate"] = {
            "min_period": rate.min_period,
            "max_period": rate.max_period,
            "on_change": rate.on_change,
        }
    return parsed


def _parsed_report_payload(payload: m.OadrReportPayload, alone: bool) -> Dict:
    parsed: Dict = {"r_id": _text(payload.r_id)}
    _put(parsed, "confidence", payload.confidence)
    _put(parsed, "accuracy", None if payload.accuracy is None else _text(str(payload.accuracy)))
    _put_text(parsed, "data_quality", payload.data_quality)
    value = payload.payload
    if isinstance(value, m.PayloadFloat):
        if alone:  # a lone report payload has its payloadFloat unwrapped into 'value' ...
            parsed["value"] = float(value.value)
        else:  # ... one of several keeps it
            parsed["payload_float"] = {"value": _text(str(value.value))}
        return parsed
    status: Dict = {"online": value.online, "manual_override": value.manual_override}
    state = value.load_control_state
    if state is not None:
        parsed_state: Dict = {}
        for key, values in (
            ("capacity", state.capacity),
            ("level_offset", state.level_offset),
            ("percent_offset", state.percent_offset),
            ("set_point", state.set_point),
        ):
            if values is not None:
                parsed_values: Dict = {"current": _text(str(values.current))}
                for name, number in (("min", values.min), ("max", values.max), ("normal", values.normal)):
                    _put(parsed_values, name, None if number is None else _text(str(number)))
                parsed_state[key] = parsed_values
        status["load_control_state"] = parsed_state or None
    parsed["payload_resource_status"] = status
    return parsed


def _parsed_report(report: m.OadrReport) -> Dict:
    parsed: Dict = {}
    _put(parsed, "dtstart", report.dtstart)
    _put(parsed, "duration", report.duration)
    if report.intervals:
        intervals = []
        for interval in report.intervals:
            parsed_interval: Dict = {}
            _put(parsed_interval, "dtstart", interval.dtstart)
            _put(parsed_interval, "duration", interval.duration)
            if interval.uid is not None:
                parsed_interval["uid"] = _parsed_uid(interval.uid)
            alone = len(interval.payloads) == 1
            payloads = [_parsed_report_payload(payload, alone) for payload in interval.payloads]
            parsed_interval["report_payload"] = _one_or_list(payloads)
            intervals.append(parsed_interval)
        parsed["intervals"] = intervals
    _put_text(parsed, "report_id", report.ei_report_id)
    if report.descriptions:
        descriptions = [_parsed_description(d) for d in report.descriptions]
        _add_units(descriptions, [d.item_base for d in report.descriptions])
        parsed["report_descriptions"] = descriptions
    parsed["report_request_id"] = _text(report.report_request_id)
    parsed["report_specifier_id"] = _text(report.report_specifier_id)
    _put_text(parsed, "report_name", report.report_name)
    parsed["created_date_time"] = report.created_date_time
    return parsed


def _parsed_reports(message: m.OadrRegisterReport | m.OadrUpdateReport) -> Dict:
    parsed: Dict = {"request_id": _text(message.request_id)}
    if message.reports:
        parsed["reports"] = [_parsed_report(report) for report in message.reports]
    _put_text(parsed, "ven_id", message.ven_id)
    if isinstance(message, m.OadrRegisterReport):
        _put_text(parsed, "report_request_id", message.report_request_id)
    return parsed


def _parsed_create_report(message: m.OadrCreateReport | m.OadrRegisteredReport) -> Dict:
    if isinstance(message, m.OadrCreateReport):
        parsed: Dict = {"request_id": _text(message.request_id)}
    else:
        parsed = {"response": _parsed_response(message.ei_response)}
    _parsed_report_requests(message.report_requests, parsed)
    _put_text(parsed, "ven_id", message.ven_id)
    return parsed


def _parsed_updated_report(message: m.OadrUpdatedReport) -> Dict:
    parsed: Dict = {"response": _parsed_response(message.ei_response)}
    if message.cancel_report is not None:
        parsed["cancel_report"] = _parsed_cancel_report(message.cancel_report)
    _put_text(parsed, "ven_id", message.ven_id)
    return parsed


def _parsed_info(info: tuple[m.OadrInfo, ...]) -> Any:
    return _one_or_list([{"key": _text(item.key), "value": _text(item.value)} for item in info])


def _parsed_created_party_registration(message: m.OadrCreatedPartyRegistration) -> Dict:
    parsed: Dict = {
        "response": _parsed_response(message.ei_response),
        **_ids(registration_id=message.registration_id, ven_id=message.ven_id, vtn_id=message.vtn_id),
        "profiles": [
            {
                "profile_name": _text(profile.profile_name),
                "transports": [{"transport_name": _text(transport)} for transport in profile.transports],
            }
            for profile in message.profiles
        ],
    }
    _put(parsed, "requested_oadr_poll_freq", message.requested_poll_freq)
    if message.service_specific_info is not None:
        services = [
            {"service_name": _text(service.service_name), "info": _parsed_info(service.info)}
            for service in message.service_specific_info
        ]
        parsed["service_specific_info"] = {"service": _one_or_list(services)} if services else None
    if message.extensions is not None:
        extensions = []
        for extension in message.extensions:
            parsed_extension: Dict = {"extension_name": _text(extension.name)}
            if extension.info:
                parsed_extension["info"] = _parsed_info(extension.info)
            extensions.append(parsed_extension)
        parsed["extensions"] = extensions or None
    return parsed


def _parsed_create_party_registration(message: m.OadrCreatePartyRegistration) -> Dict:
    parsed: Dict = _ids(
        request_id=message.request_id,
        registration_id=message.registration_id,
        ven_id=message.ven_id,
        profile_name=message.profile_name,
        transport_name=message.transport_name,
        transport_address=message.transport_address,
        ven_name=message.ven_name,
    )
    parsed["report_only"] = message.report_only
    parsed["xml_signature"] = message.xml_signature
    _put(parsed, "http_pull_model", message.http_pull_model)
    return parsed


_PARSED: dict[type[Any], Callable[[Any], Dict]] = {
    m.OadrDistributeEvent: _parsed_distribute_event,
    m.OadrCreatedEvent: _parsed_created_event,
    m.OadrRequestEvent: _parsed_request_event,
    m.OadrResponse: _parsed_response_message,
    m.OadrCancelOpt: lambda msg: _ids(request_id=msg.request_id, opt_id=msg.opt_id, ven_id=msg.ven_id),
    m.OadrCanceledOpt: lambda msg: {"response": _parsed_response(msg.ei_response), **_ids(opt_id=msg.opt_id)},
    m.OadrCreateOpt: _parsed_create_opt,
    m.OadrCreatedOpt: lambda msg: {"response": _parsed_response(msg.ei_response), **_ids(opt_id=msg.opt_id)},
    m.OadrCancelReport: _parsed_cancel_report,
    m.OadrCanceledReport: _parsed_pending,
    m.OadrCreateReport: _parsed_create_report,
    m.OadrCreatedReport: _parsed_pending,
    m.OadrRegisterReport: _parsed_reports,
    m.OadrRegisteredReport: _parsed_create_report,
    m.OadrUpdateReport: _parsed_reports,
    m.OadrUpdatedReport: _parsed_updated_report,
    m.OadrCancelPartyRegistration: lambda msg: _ids(
        request_id=msg.request_id, registration_id=msg.registration_id, ven_id=msg.ven_id
    ),
    m.OadrCanceledPartyRegistration: lambda msg: {
        "response": _parsed_response(msg.ei_response),
        **_ids(registration_id=msg.registration_id, ven_id=msg.ven_id),
    },
    m.OadrCreatePartyRegistration: _parsed_create_party_registration,
    m.OadrCreatedPartyRegistration: _parsed_created_party_registration,
    m.OadrRequestReregistration: lambda msg: _ids(ven_id=msg.ven_id),
    m.OadrQueryRegistration: lambda msg: _ids(request_id=msg.request_id),
    m.OadrPoll: lambda msg: _ids(ven_id=msg.ven_id),
}
