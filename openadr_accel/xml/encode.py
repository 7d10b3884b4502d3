"""Model to bytes: writes 2.0b XML directly as text, in schema order.

Building an lxml tree costs about seventy times more than writing the same text (measured: 200 µs
against 3 µs for 24 intervals), so the encoder writes text, escaping every string that comes
from the model. The decoder and every validation stay on lxml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .. import model as m
from .lexical import (
    format_bool,
    format_datetime,
    format_decimal,
    format_double,
    format_duration,
    format_float,
)
from .namespaces import NAMESPACES, OADR

__all__ = ["DOCUMENT_PREFIX", "encode"]

_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NAMESPACE_DECLARATIONS = " ".join(
    f'xmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items() if prefix != "oadr"
)
_PAYLOAD_START = f'<oadr:oadrPayload xmlns:oadr="{OADR}">'
_SIGNED_OBJECT_START = f'<oadr:oadrSignedObject {_NAMESPACE_DECLARATIONS} oadr:Id="oadrSignedObject">'
_SCHEMA_VERSION = ' ei:schemaVersion="2.0b"'
DOCUMENT_PREFIX = (_XML_DECLARATION + _PAYLOAD_START).encode()
"""How every document :func:`encode` writes begins: the signature module inserts a signature here."""


def escape(text: str) -> str:
    """Escape a string for element content; refuse characters XML 1.0 cannot carry."""
    if text.isascii() and text.isprintable():  # the usual case: no control character to look for
        if "&" in text or "<" in text or ">" in text:
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return text
    if _INVALID_XML_CHARS.search(text):
        raise ValueError(f"{text!r} holds a character that XML 1.0 cannot carry")
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _escape_attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


class _Writer:
    """Collects the document's text; one method per shape of element."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def start(self, tag: str, attributes: str = "") -> None:
        self.parts.append(f"<{tag}{attributes}>")

    def end(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def text(self, tag: str, value: str) -> None:
        """An element holding a string from the model (escaped)."""
        self.parts.append(f"<{tag}>{escape(value)}</{tag}>")

    def raw(self, tag: str, value: str) -> None:
        """An element holding text this module formatted itself (nothing to escape)."""
        self.parts.append(f"<{tag}>{value}</{tag}>")

    def optional_text(self, tag: str, value: str | None) -> None:
        if value is not None:
            self.text(tag, value)

    def each_text(self, tag: str, values: tuple[str, ...]) -> None:
        for value in values:
            self.text(tag, value)

    def date_time(self, tag: str, value: datetime) -> None:
        """An ``xcal:DateTimeType`` element."""
        self.raw(tag, format_datetime(value))

    def date_time_prop(self, tag: str, value: datetime) -> None:
        """``<tag><xcal:date-time>...</xcal:date-time></tag>``."""
        self.parts.append(f"<{tag}><xcal:date-time>{format_datetime(value)}</xcal:date-time></{tag}>")

    def duration_prop(self, tag: str, value: timedelta) -> None:
        """``<tag><xcal:duration>...</xcal:duration></tag>`` (an ``xcal:DurationPropType``)."""
        self.parts.append(f"<{tag}><xcal:duration>{format_duration(value)}</xcal:duration></{tag}>")

    def payload_float(self, value: Decimal) -> None:
        self.parts.append(f"<ei:payloadFloat><ei:value>{format_float(value)}</ei:value></ei:payloadFloat>")

    def uid(self, value: str) -> None:
        self.parts.append(f"<xcal:uid><xcal:text>{escape(value)}</xcal:text></xcal:uid>")


# --- shared parts -----------------------------------------------------------------------------


def _ei_response(w: _Writer, response: m.EiResponse) -> None:
    w.start("ei:eiResponse")
    w.text("ei:responseCode", response.response_code)
    w.optional_text("ei:responseDescription", response.response_description)
    w.text("pyld:requestID", response.request_id)
    w.end("ei:eiResponse")


def _qualified_event_id(w: _Writer, qualified: m.QualifiedEventID) -> None:
    w.start("ei:qualifiedEventID")
    w.text("ei:eventID", qualified.event_id)
    w.raw("ei:modificationNumber", str(qualified.modification_number))
    w.end("ei:qualifiedEventID")


def _feature_collection(w: _Writer, tag: str, collection: m.FeatureCollection) -> None:
    w.start(tag)
    w.start("gml:FeatureCollection", _gml_id(collection.id))
    w.start("gml:location")
    w.start("gml:Polygon", _gml_id(collection.polygon_id))
    w.parts.append("<gml:exterior><gml:LinearRing>")
    w.raw("gml:posList", " ".join(format_double(position) for position in collection.positions))
    w.parts.append("</gml:LinearRing></gml:exterior>")
    w.end("gml:Polygon")
    w.end("gml:location")
    w.end("gml:FeatureCollection")
    w.end(tag)


def _gml_id(value: str | None) -> str:
    return "" if value is None else f' gml:id="{_escape_attribute(value)}"'


def _nested_texts(w: _Writer, outer: str, inner: str, values: tuple[str, ...]) -> None:
    for value in values:
        w.parts.append(f"<{outer}><{inner}>{escape(value)}</{inner}></{outer}>")


def _target_content(w: _Writer, target: m.EiTarget) -> None:
    _nested_texts(w, "power:aggregatedPnode", "power:node", target.aggregated_pnodes)
    _nested_texts(w, "power:endDeviceAsset", "power:mrid", target.end_device_assets)
    _nested_texts(w, "power:meterAsset", "power:mrid", target.meter_assets)
    _nested_texts(w, "power:pnode", "power:node", target.pnodes)
    for area in target.service_areas:
        _feature_collection(w, "emix:serviceArea", area)
    _nested_texts(w, "power:serviceDeliveryPoint", "power:node", target.service_delivery_points)
    for location in target.service_locations:
        _feature_collection(w, "power:serviceLocation", location)
    for interface in target.transport_interfaces:
        w.start("power:transportInterface")
        w.text("power:pointOfReceipt", interface.point_of_receipt)
        w.text("power:pointOfDelivery", interface.point_of_delivery)
        w.end("power:transportInterface")
    w.each_text("ei:groupID", target.group_ids)
    w.each_text("ei:groupName", target.group_names)
    w.each_text("ei:resourceID", target.resource_ids)
    w.each_text("ei:venID", target.ven_ids)
    w.each_text("ei:partyID", target.party_ids)


def _target(w: _Writer, tag: str, target: m.EiTarget) -> None:
    w.start(tag)
    _target_content(w, target)
    w.end(tag)


def _properties(w: _Writer, properties: m.Properties) -> None:
    w.start("xcal:properties")
    w.date_time_prop("xcal:dtstart", properties.dtstart)
    w.duration_prop("xcal:duration", properties.duration)
    if properties.start_after is not None:
        w.parts.append("<xcal:tolerance><xcal:tolerate>")
        w.raw("xcal:startafter", format_duration(properties.start_after))
        w.parts.append("</xcal:tolerate></xcal:tolerance>")
    if properties.notification is not None:
        w.duration_prop("ei:x-eiNotification", properties.notification)
    if properties.ramp_up is not None:
        w.duration_prop("ei:x-eiRampUp", properties.ramp_up)
    if properties.recovery is not None:
        w.duration_prop("ei:x-eiRecovery", properties.recovery)
    w.end("xcal:properties")


def _load_control_values(w: _Writer, tag: str, values: m.LoadControlValues | None) -> None:
    if values is None:
        return
    w.start(tag)
    for child, value in (("oadr:oadrMin", values.min), ("oadr:oadrMax", values.max)):
        if value is not None:
            w.raw(child, format_float(value))
    w.raw("oadr:oadrCurrent", format_float(values.current))
    if values.normal is not None:
        w.raw("oadr:oadrNormal", format_float(values.normal))
    w.end(tag)


def _payload_base(w: _Writer, payload: m.PayloadBase) -> None:
    if isinstance(payload, m.PayloadFloat):
        w.payload_float(payload.value)
        return
    w.start("oadr:oadrPayloadResourceStatus")
    w.raw("oadr:oadrOnline", format_bool(payload.online))
    w.raw("oadr:oadrManualOverride", format_bool(payload.manual_override))
    state = payload.load_control_state
    if state is not None:
        w.start("oadr:oadrLoadControlState")
        _load_control_values(w, "oadr:oadrCapacity", state.capacity)
        _load_control_values(w, "oadr:oadrLevelOffset", state.level_offset)
        _load_control_values(w, "oadr:oadrPercentOffset", state.percent_offset)
        _load_control_values(w, "oadr:oadrSetPoint", state.set_point)
        w.end("oadr:oadrLoadControlState")
    w.end("oadr:oadrPayloadResourceStatus")


# --- units ------------------------------------------------------------------------------------

_UNIT_ELEMENTS: dict[type[Any], tuple[str, str]] = {
    # unit class: (element, prefix of its itemDescription/itemUnits)
    m.PowerReal: ("power:powerReal", "power"),
    m.PowerReactive: ("power:powerReactive", "power"),
    m.PowerApparent: ("power:powerApparent", "power"),
    m.EnergyReal: ("power:energyReal", "power"),
    m.EnergyReactive: ("power:energyReactive", "power"),
    m.EnergyApparent: ("power:energyApparent", "power"),
    m.Voltage: ("power:voltage", "power"),
    m.Current: ("oadr:current", "oadr"),
    m.Frequency: ("oadr:frequency", "oadr"),
    m.Therm: ("oadr:Therm", "oadr"),
    m.Temperature: ("oadr:temperature", "oadr"),
    m.PulseCount: ("oadr:pulseCount", "oadr"),
    m.CustomUnit: ("oadr:customUnit", "oadr"),
}


def _item_base(w: _Writer, item: m.ItemBase | None) -> None:
    if item is None:
        return
    if isinstance(item, m.CurrencyUnit):
        tag, prefix = f"oadr:{item.kind.value}", "oadr"
    else:
        tag, prefix = _UNIT_ELEMENTS[type(item)]
    w.start(tag)
    w.text(f"{prefix}:itemDescription", item.item_description)
    w.text(f"{prefix}:itemUnits", item.item_units)
    if isinstance(item, m.PulseCount):
        w.raw("oadr:pulseFactor", format_float(item.pulse_factor))
    else:
        w.raw("scale:siScaleCode", item.scale.value)
    if isinstance(item, m.PowerReal | m.PowerReactive | m.PowerApparent):
        attributes = item.attributes
        w.start("power:powerAttributes")
        w.raw("power:hertz", format_decimal(attributes.hertz))
        w.raw("power:voltage", format_decimal(attributes.voltage))
        w.raw("power:ac", format_bool(attributes.ac))
        w.end("power:powerAttributes")
    w.end(tag)


# --- events -----------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _duration_element(value: timedelta) -> str:
    # Intervals repeat a handful of durations: format each once.
    return f"<xcal:duration><xcal:duration>{format_duration(value)}</xcal:duration></xcal:duration>"


def _interval_head(dtstart: datetime | None, duration: timedelta | None, uid: str | None) -> str:
    head = ""
    if dtstart is not None:
        head = f"<xcal:dtstart><xcal:date-time>{format_datetime(dtstart)}</xcal:date-time></xcal:dtstart>"
    if duration is not None:
        head += _duration_element(duration)
    if uid is not None:
        head += f"<xcal:uid><xcal:text>{escape(uid)}</xcal:text></xcal:uid>"
    return head


def _signal_intervals(w: _Writer, intervals: tuple[m.SignalInterval, ...]) -> None:
    # The hottest loop of event encoding: one string per interval.
    parts = w.parts
    parts.append("<strm:intervals>")
    for interval in intervals:
        head = _interval_head(interval.dtstart, interval.duration, interval.uid)
        payloads = interval.payloads
        if len(payloads) == 1 and isinstance(payloads[0], m.PayloadFloat):
            value = format_float(payloads[0].value)
            parts.append(
                f"<ei:interval>{head}<ei:signalPayload><ei:payloadFloat><ei:value>{value}"
                "</ei:value></ei:payloadFloat></ei:signalPayload></ei:interval>"
            )
            continue
        parts.append(f"<ei:interval>{head}")
        for payload in payloads:
            w.start("ei:signalPayload")
            _payload_base(w, payload)
            w.end("ei:signalPayload")
        parts.append("</ei:interval>")
    parts.append("</strm:intervals>")


def _event_descriptor(w: _Writer, descriptor: m.EventDescriptor) -> None:
    w.start("ei:eventDescriptor")
    w.text("ei:eventID", descriptor.event_id)
    w.raw("ei:modificationNumber", str(descriptor.modification_number))
    if descriptor.modification_date_time is not None:
        w.date_time("ei:modificationDateTime", descriptor.modification_date_time)
    w.optional_text("ei:modificationReason", descriptor.modification_reason)
    if descriptor.priority is not None:
        w.raw("ei:priority", str(descriptor.priority))
    w.start("ei:eiMarketContext")
    w.text("emix:marketContext", descriptor.market_context)
    w.end("ei:eiMarketContext")
    w.date_time("ei:createdDateTime", descriptor.created_date_time)
    w.raw("ei:eventStatus", descriptor.event_status.value)
    w.optional_text("ei:testEvent", descriptor.test_event)
    w.optional_text("ei:vtnComment", descriptor.vtn_comment)
    w.end("ei:eventDescriptor")


def _event_signal(w: _Writer, signal: m.EiEventSignal) -> None:
    w.start("ei:eiEventSignal")
    _signal_intervals(w, signal.intervals)
    if signal.target is not None:
        _target(w, "ei:eiTarget", signal.target)
    w.text("ei:signalName", signal.signal_name)
    w.raw("ei:signalType", signal.signal_type.value)
    w.text("ei:signalID", signal.signal_id)
    _item_base(w, signal.item_base)
    if signal.current_value is not None:
        w.start("ei:currentValue")
        w.payload_float(signal.current_value)
        w.end("ei:currentValue")
    w.end("ei:eiEventSignal")


def _baseline(w: _Writer, baseline: m.EiEventBaseline) -> None:
    w.start("ei:eiEventBaseline")
    w.date_time_prop("xcal:dtstart", baseline.dtstart)
    w.duration_prop("xcal:duration", baseline.duration)
    _signal_intervals(w, baseline.intervals)
    w.text("ei:baselineID", baseline.baseline_id)
    w.each_text("ei:resourceID", baseline.resource_ids)
    w.text("ei:baselineName", baseline.baseline_name)
    _item_base(w, baseline.item_base)
    w.end("ei:eiEventBaseline")


def _oadr_event(w: _Writer, event: m.OadrEvent) -> None:
    ei_event = event.ei_event
    w.start("oadr:oadrEvent")
    w.start("ei:eiEvent")
    _event_descriptor(w, ei_event.event_descriptor)
    w.start("ei:eiActivePeriod")
    _properties(w, ei_event.active_period)
    w.parts.append("<xcal:components/>")
    w.end("ei:eiActivePeriod")
    w.start("ei:eiEventSignals")
    for signal in ei_event.signals:
        _event_signal(w, signal)
    if ei_event.baseline is not None:
        _baseline(w, ei_event.baseline)
    w.end("ei:eiEventSignals")
    _target(w, "ei:eiTarget", ei_event.target)
    w.end("ei:eiEvent")
    w.raw("oadr:oadrResponseRequired", event.response_required.value)
    w.end("oadr:oadrEvent")


def _distribute_event(w: _Writer, message: m.OadrDistributeEvent) -> None:
    if message.ei_response is not None:
        _ei_response(w, message.ei_response)
    w.text("pyld:requestID", message.request_id)
    w.text("ei:vtnID", message.vtn_id)
    for event in message.events:
        _oadr_event(w, event)


def _created_event(w: _Writer, message: m.OadrCreatedEvent) -> None:
    w.start("pyld:eiCreatedEvent")
    _ei_response(w, message.ei_response)
    if message.event_responses:
        w.start("ei:eventResponses")
        for response in message.event_responses:
            w.start("ei:eventResponse")
            w.text("ei:responseCode", response.response_code)
            w.optional_text("ei:responseDescription", response.response_description)
            w.text("pyld:requestID", response.request_id)
            _qualified_event_id(w, response.qualified_event_id)
            w.raw("ei:optType", response.opt_type.value)
            w.end("ei:eventResponse")
        w.end("ei:eventResponses")
    w.text("ei:venID", message.ven_id)
    w.end("pyld:eiCreatedEvent")


def _request_event(w: _Writer, message: m.OadrRequestEvent) -> None:
    w.start("pyld:eiRequestEvent")
    w.text("pyld:requestID", message.request_id)
    w.text("ei:venID", message.ven_id)
    if message.reply_limit is not None:
        w.raw("pyld:replyLimit", str(message.reply_limit))
    w.end("pyld:eiRequestEvent")


def _response(w: _Writer, message: m.OadrResponse) -> None:
    _ei_response(w, message.ei_response)
    w.optional_text("ei:venID", message.ven_id)


# --- opt --------------------------------------------------------------------------------------


def _create_opt(w: _Writer, message: m.OadrCreateOpt) -> None:
    w.text("ei:optID", message.opt_id)
    w.raw("ei:optType", message.opt_type.value)
    w.text("ei:optReason", message.opt_reason)
    w.optional_text("emix:marketContext", message.market_context)
    w.text("ei:venID", message.ven_id)
    if message.availability is not None:
        w.parts.append("<xcal:vavailability><xcal:components>")
        for available in message.availability:
            w.start("xcal:available")
            _properties(w, available)
            w.end("xcal:available")
        w.parts.append("</xcal:components></xcal:vavailability>")
    w.date_time("ei:createdDateTime", message.created_date_time)
    w.text("pyld:requestID", message.request_id)
    if message.qualified_event_id is not None:
        _qualified_event_id(w, message.qualified_event_id)
    _target(w, "ei:eiTarget", message.target)
    if message.device_class is not None:
        _target(w, "oadr:oadrDeviceClass", message.device_class)


def _created_opt(w: _Writer, message: m.OadrCreatedOpt) -> None:
    _ei_response(w, message.ei_response)
    w.text("ei:optID", message.opt_id)


def _cancel_opt(w: _Writer, message: m.OadrCancelOpt) -> None:
    w.text("pyld:requestID", message.request_id)
    w.text("ei:optID", message.opt_id)
    w.text("ei:venID", message.ven_id)


def _canceled_opt(w: _Writer, message: m.OadrCanceledOpt) -> None:
    _ei_response(w, message.ei_response)
    w.optional_text("ei:optID", message.opt_id)


# --- reports ----------------------------------------------------------------------------------


def _report_payload(w: _Writer, payload: m.OadrReportPayload) -> None:
    # The hottest element of report encoding: one string per data point where it can be.
    parts = [f"<oadr:oadrReportPayload><ei:rID>{escape(payload.r_id)}</ei:rID>"]
    if payload.confidence is not None:
        parts.append(f"<ei:confidence>{payload.confidence}</ei:confidence>")
    if payload.accuracy is not None:
        parts.append(f"<ei:accuracy>{format_float(payload.accuracy)}</ei:accuracy>")
    value = payload.payload
    if isinstance(value, m.PayloadFloat):
        parts.append(f"<ei:payloadFloat><ei:value>{format_float(value.value)}</ei:value></ei:payloadFloat>")
    else:
        w.parts.append("".join(parts))
        parts.clear()
        _payload_base(w, value)
    if payload.data_quality is not None:
        parts.append(f"<oadr:oadrDataQuality>{escape(payload.data_quality)}</oadr:oadrDataQuality>")
    parts.append("</oadr:oadrReportPayload>")
    w.parts.append("".join(parts))


def _report_description(w: _Writer, description: m.OadrReportDescription) -> None:
    w.start("oadr:oadrReportDescription")
    w.text("ei:rID", description.r_id)
    if description.report_subject is not None:
        _target(w, "ei:reportSubject", description.report_subject)
    if description.report_data_source is not None:
        _target(w, "ei:reportDataSource", description.report_data_source)
    w.text("ei:reportType", description.report_type)
    _item_base(w, description.item_base)
    w.text("ei:readingType", description.reading_type)
    w.optional_text("emix:marketContext", description.market_context)
    rate = description.sampling_rate
    if rate is not None:
        w.start("oadr:oadrSamplingRate")
        w.raw("oadr:oadrMinPeriod", format_duration(rate.min_period))
        w.raw("oadr:oadrMaxPeriod", format_duration(rate.max_period))
        w.raw("oadr:oadrOnChange", format_bool(rate.on_change))
        w.end("oadr:oadrSamplingRate")
    w.end("oadr:oadrReportDescription")


def _report(w: _Writer, report: m.OadrReport) -> None:
    w.start("oadr:oadrReport")
    if report.dtstart is not None:
        w.date_time_prop("xcal:dtstart", report.dtstart)
    if report.duration is not None:
        w.duration_prop("xcal:duration", report.duration)
    if report.intervals:
        w.start("strm:intervals")
        for interval in report.intervals:
            head = _interval_head(interval.dtstart, interval.duration, interval.uid)
            w.parts.append(f"<ei:interval>{head}")
            for payload in interval.payloads:
                _report_payload(w, payload)
            w.end("ei:interval")
        w.end("strm:intervals")
    w.optional_text("ei:eiReportID", report.ei_report_id)
    for description in report.descriptions:
        _report_description(w, description)
    w.text("ei:reportRequestID", report.report_request_id)
    w.text("ei:reportSpecifierID", report.report_specifier_id)
    w.optional_text("ei:reportName", report.report_name)
    w.date_time("ei:createdDateTime", report.created_date_time)
    w.end("oadr:oadrReport")


def _report_request(w: _Writer, request: m.OadrReportRequest) -> None:
    specifier = request.report_specifier
    w.start("oadr:oadrReportRequest")
    w.text("ei:reportRequestID", request.report_request_id)
    w.start("ei:reportSpecifier")
    w.text("ei:reportSpecifierID", specifier.report_specifier_id)
    w.duration_prop("xcal:granularity", specifier.granularity)
    w.duration_prop("ei:reportBackDuration", specifier.report_back_duration)
    if specifier.report_interval is not None:
        w.start("ei:reportInterval")
        _properties(w, specifier.report_interval)
        w.end("ei:reportInterval")
    for payload in specifier.specifier_payloads:
        w.start("ei:specifierPayload")
        w.text("ei:rID", payload.r_id)
        _item_base(w, payload.item_base)
        w.text("ei:readingType", payload.reading_type)
        w.end("ei:specifierPayload")
    w.end("ei:reportSpecifier")
    w.end("oadr:oadrReportRequest")


def _pending_reports(w: _Writer, report_request_ids: tuple[str, ...]) -> None:
    w.start("oadr:oadrPendingReports")
    w.each_text("ei:reportRequestID", report_request_ids)
    w.end("oadr:oadrPendingReports")


def _register_report(w: _Writer, message: m.OadrRegisterReport) -> None:
    w.text("pyld:requestID", message.request_id)
    for report in message.reports:
        _report(w, report)
    w.optional_text("ei:venID", message.ven_id)
    w.optional_text("ei:reportRequestID", message.report_request_id)


def _registered_report(w: _Writer, message: m.OadrRegisteredReport) -> None:
    _ei_response(w, message.ei_response)
    for request in message.report_requests:
        _report_request(w, request)
    w.optional_text("ei:venID", message.ven_id)


def _create_report(w: _Writer, message: m.OadrCreateReport) -> None:
    w.text("pyld:requestID", message.request_id)
    for request in message.report_requests:
        _report_request(w, request)
    w.optional_text("ei:venID", message.ven_id)


def _created_report(w: _Writer, message: m.OadrCreatedReport | m.OadrCanceledReport) -> None:
    _ei_response(w, message.ei_response)
    _pending_reports(w, message.pending_reports)
    w.optional_text("ei:venID", message.ven_id)


def _update_report(w: _Writer, message: m.OadrUpdateReport) -> None:
    w.text("pyld:requestID", message.request_id)
    for report in message.reports:
        _report(w, report)
    w.optional_text("ei:venID", message.ven_id)


def _cancel_report(w: _Writer, message: m.OadrCancelReport) -> None:
    w.text("pyld:requestID", message.request_id)
    w.each_text("ei:reportRequestID", message.report_request_ids)
    w.raw("pyld:reportToFollow", format_bool(message.report_to_follow))
    w.optional_text("ei:venID", message.ven_id)


def _updated_report(w: _Writer, message: m.OadrUpdatedReport) -> None:
    _ei_response(w, message.ei_response)
    if message.cancel_report is not None:
        w.start("oadr:oadrCancelReport", _SCHEMA_VERSION)
        _cancel_report(w, message.cancel_report)
        w.end("oadr:oadrCancelReport")
    w.optional_text("ei:venID", message.ven_id)


# --- registration and poll --------------------------------------------------------------------


def _info(w: _Writer, info: tuple[m.OadrInfo, ...]) -> None:
    for item in info:
        w.start("oadr:oadrInfo")
        w.text("oadr:oadrKey", item.key)
        w.text("oadr:oadrValue", item.value)
        w.end("oadr:oadrInfo")


def _create_party_registration(w: _Writer, message: m.OadrCreatePartyRegistration) -> None:
    w.text("pyld:requestID", message.request_id)
    w.optional_text("ei:registrationID", message.registration_id)
    w.optional_text("ei:venID", message.ven_id)
    w.raw("oadr:oadrProfileName", message.profile_name.value)
    w.raw("oadr:oadrTransportName", message.transport_name.value)
    w.optional_text("oadr:oadrTransportAddress", message.transport_address)
    w.raw("oadr:oadrReportOnly", format_bool(message.report_only))
    w.raw("oadr:oadrXmlSignature", format_bool(message.xml_signature))
    w.optional_text("oadr:oadrVenName", message.ven_name)
    if message.http_pull_model is not None:
        w.raw("oadr:oadrHttpPullModel", format_bool(message.http_pull_model))


def _created_party_registration(w: _Writer, message: m.OadrCreatedPartyRegistration) -> None:
    _ei_response(w, message.ei_response)
    w.optional_text("ei:registrationID", message.registration_id)
    w.optional_text("ei:venID", message.ven_id)
    w.text("ei:vtnID", message.vtn_id)
    w.start("oadr:oadrProfiles")
    for profile in message.profiles:
        w.start("oadr:oadrProfile")
        w.raw("oadr:oadrProfileName", profile.profile_name.value)
        w.start("oadr:oadrTransports")
        for transport in profile.transports:
            w.parts.append(
                f"<oadr:oadrTransport><oadr:oadrTransportName>{transport.value}"
                "</oadr:oadrTransportName></oadr:oadrTransport>"
            )
        w.end("oadr:oadrTransports")
        w.end("oadr:oadrProfile")
    w.end("oadr:oadrProfiles")
    if message.requested_poll_freq is not None:
        w.duration_prop("oadr:oadrRequestedOadrPollFreq", message.requested_poll_freq)
    if message.service_specific_info is not None:
        w.start("oadr:oadrServiceSpecificInfo")
        for service in message.service_specific_info:
            w.start("oadr:oadrService")
            w.raw("oadr:oadrServiceName", service.service_name.value)
            _info(w, service.info)
            w.end("oadr:oadrService")
        w.end("oadr:oadrServiceSpecificInfo")
    if message.extensions is not None:
        w.start("oadr:oadrExtensions")
        for extension in message.extensions:
            w.start("oadr:oadrExtension")
            w.text("oadr:oadrExtensionName", extension.name)
            _info(w, extension.info)
            w.end("oadr:oadrExtension")
        w.end("oadr:oadrExtensions")


def _cancel_party_registration(w: _Writer, message: m.OadrCancelPartyRegistration) -> None:
    w.text("pyld:requestID", message.request_id)
    w.text("ei:registrationID", message.registration_id)
    w.optional_text("ei:venID", message.ven_id)


def _canceled_party_registration(w: _Writer, message: m.OadrCanceledPartyRegistration) -> None:
    _ei_response(w, message.ei_response)
    w.optional_text("ei:registrationID", message.registration_id)
    w.optional_text("ei:venID", message.ven_id)


def _ven_id_only(w: _Writer, message: m.OadrRequestReregistration | m.OadrPoll) -> None:
    w.text("ei:venID", message.ven_id)


def _query_registration(w: _Writer, message: m.OadrQueryRegistration) -> None:
    w.text("pyld:requestID", message.request_id)


# --- dispatch ---------------------------------------------------------------------------------

_MESSAGE_ENCODERS: dict[type[Any], tuple[str, Callable[[_Writer, Any], None]]] = {
    m.OadrDistributeEvent: ("oadr:oadrDistributeEvent", _distribute_event),
    m.OadrCreatedEvent: ("oadr:oadrCreatedEvent", _created_event),
    m.OadrRequestEvent: ("oadr:oadrRequestEvent", _request_event),
    m.OadrResponse: ("oadr:oadrResponse", _response),
    m.OadrCancelOpt: ("oadr:oadrCancelOpt", _cancel_opt),
    m.OadrCanceledOpt: ("oadr:oadrCanceledOpt", _canceled_opt),
    m.OadrCreateOpt: ("oadr:oadrCreateOpt", _create_opt),
    m.OadrCreatedOpt: ("oadr:oadrCreatedOpt", _created_opt),
    m.OadrCancelReport: ("oadr:oadrCancelReport", _cancel_report),
    m.OadrCanceledReport: ("oadr:oadrCanceledReport", _created_report),
    m.OadrCreateReport: ("oadr:oadrCreateReport", _create_report),
    m.OadrCreatedReport: ("oadr:oadrCreatedReport", _created_report),
    m.OadrRegisterReport: ("oadr:oadrRegisterReport", _register_report),
    m.OadrRegisteredReport: ("oadr:oadrRegisteredReport", _registered_report),
    m.OadrUpdateReport: ("oadr:oadrUpdateReport", _update_report),
    m.OadrUpdatedReport: ("oadr:oadrUpdatedReport", _updated_report),
    m.OadrCancelPartyRegistration: ("oadr:oadrCancelPartyRegistration", _cancel_party_registration),
    m.OadrCanceledPartyRegistration: ("oadr:oadrCanceledPartyRegistration", _canceled_party_registration),
    m.OadrCreatePartyRegistration: ("oadr:oadrCreatePartyRegistration", _create_party_registration),
    m.OadrCreatedPartyRegistration: ("oadr:oadrCreatedPartyRegistration", _created_party_registration),
    m.OadrRequestReregistration: ("oadr:oadrRequestReregistration", _ven_id_only),
    m.OadrQueryRegistration: ("oadr:oadrQueryRegistration", _query_registration),
    m.OadrPoll: ("oadr:oadrPoll", _ven_id_only),
}


def encode(payload: m.Payload) -> bytes:
    """The complete ``oadrPayload`` document for ``payload``, UTF-8 encoded.

    Raises :class:`KeyError` for an object that is not a 2.0b message and :class:`ValueError`
    for a value 2.0b cannot express; :func:`openadr_accel.xml.serialize` turns both into
    :class:`~openadr_accel.errors.LocalProtocolError`.
    """
    tag, encode_content = _MESSAGE_ENCODERS[type(payload)]
    w = _Writer()
    w.parts.append(_XML_DECLARATION)
    w.parts.append(_PAYLOAD_START)
    w.parts.append(_SIGNED_OBJECT_START)
    w.start(tag, _SCHEMA_VERSION)
    encode_content(w, payload)
    w.end(tag)
    w.parts.append("</oadr:oadrSignedObject></oadr:oadrPayload>")
    return "".join(w.parts).encode("utf-8")
