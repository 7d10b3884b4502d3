"""lxml tree to model: reads a parsed ``oadrPayload`` into the message it carries.

The decoder trusts nothing: it is normally run on a schema-valid tree, but with validation
switched off a missing or malformed element still raises a
:class:`~openadr_accel.errors.RemoteProtocolError` naming the element and its line, never a
bare ``AttributeError`` or ``IndexError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache, wraps
from typing import Any, TypeVar

from lxml import etree

from .. import model as m
from ..errors import RemoteProtocolError, UnsupportedPayloadError
from . import namespaces as ns
from .lexical import (
    collapse,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_double,
    parse_duration,
    parse_unsigned,
)

__all__ = ["decode"]

Element = etree._Element
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class _Names:
    """Clark names (``{namespace}local``) of one namespace, as attributes: ``ei.eventID``."""

    def __init__(self, uri: str) -> None:
        self._prefix = f"{{{uri}}}"

    def __getattr__(self, local: str) -> str:
        name = self._prefix + local
        setattr(self, local, name)
        return name

    def __getitem__(self, local: str) -> str:  # for names that are not identifiers
        return self._prefix + local


oadr, ei, pyld, emix = _Names(ns.OADR), _Names(ns.EI), _Names(ns.PYLD), _Names(ns.EMIX)
xcal, strm, power, scale, gml = (
    _Names(ns.XCAL),
    _Names(ns.STRM),
    _Names(ns.POWER),
    _Names(ns.SCALE),
    _Names(ns.GML),
)
_X_EI_NOTIFICATION, _X_EI_RAMP_UP, _X_EI_RECOVERY = (
    ei["x-eiNotification"],
    ei["x-eiRampUp"],
    ei["x-eiRecovery"],
)
_DATE_TIME = xcal["date-time"]
_GML_ID = gml.id


def local_name(element: Element) -> str:
    """The element's name without its namespace."""
    return str(element.tag).rpartition("}")[2]


def _error(element: Element, message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, line=element.sourceline, element=local_name(element))


def _decoder(function: Callable[[Element], T]) -> Callable[[Element], T]:
    """Report a ValueError raised while building ``element``'s object against that element."""

    @wraps(function)
    def decode_element(element: Element) -> T:
        try:
            return function(element)
        except ValueError as exc:
            raise _error(element, str(exc)) from exc

    return decode_element


# --- reading children -------------------------------------------------------------------------
# lxml's find() walks an ElementPath in Python (about 1.5 µs a call), so each element's children
# are indexed once by tag and looked up in a dict instead.


class _Children:
    """The children of one element, indexed by tag (first occurrence of each)."""

    __slots__ = ("_first", "element")

    def __init__(self, element: Element) -> None:
        self.element = element
        first: dict[object, Element] = {}
        for child in element:
            tag = child.tag
            if tag not in first:
                first[tag] = child
        self._first = first

    def get(self, tag: str) -> Element | None:
        return self._first.get(tag)

    def one(self, tag: str) -> Element:
        child = self._first.get(tag)
        if child is None:
            raise _error(self.element, f"missing required element <{tag.rpartition('}')[2]}>")
        return child

    def text(self, tag: str) -> str:
        return self.one(tag).text or ""

    def optional_text(self, tag: str) -> str | None:
        child = self._first.get(tag)
        return None if child is None else child.text or ""

    def read(self, tag: str, read: Callable[[str], T]) -> T:
        return _value(self.one(tag), read)

    def read_optional(self, tag: str, read: Callable[[str], T]) -> T | None:
        child = self._first.get(tag)
        return None if child is None else _value(child, read)

    def many(self, tag: str) -> Iterator[Element]:
        return self.element.iterchildren(tag)

    def texts(self, tag: str) -> tuple[str, ...]:
        return tuple(child.text or "" for child in self.element.iterchildren(tag))

    def decode(self, tag: str, decode: Callable[[Element], T]) -> T:
        return decode(self.one(tag))

    def decode_optional(self, tag: str, decode: Callable[[Element], T]) -> T | None:
        child = self._first.get(tag)
        return None if child is None else decode(child)

    def decode_many(self, tag: str, decode: Callable[[Element], T]) -> tuple[T, ...]:
        return tuple(map(decode, self.element.iterchildren(tag)))

    def duration_prop(self, tag: str) -> timedelta:
        """An ``xcal:DurationPropType`` child: ``<tag><xcal:duration>PT1H</xcal:duration></tag>``."""
        return _value(_wrapped(self.one(tag), _XCAL_DURATION), _duration)

    def optional_duration_prop(self, tag: str) -> timedelta | None:
        child = self._first.get(tag)
        return None if child is None else _value(_wrapped(child, _XCAL_DURATION), _duration)

    def date_time_prop(self, tag: str) -> datetime:
        """``<tag><xcal:date-time>...</xcal:date-time></tag>``."""
        return _value(_wrapped(self.one(tag), _DATE_TIME), parse_datetime)

    def optional_date_time_prop(self, tag: str) -> datetime | None:
        child = self._first.get(tag)
        return None if child is None else _value(_wrapped(child, _DATE_TIME), parse_datetime)


def _single(holder: Element) -> Element:
    """The one child of an element that holds exactly one."""
    if len(holder) != 1:
        raise _error(holder, f"must hold exactly one element, found {len(holder)}")
    return holder[0]


def _wrapped(holder: Element, tag: str) -> Element:
    """The one child of an element that only wraps another (``<xcal:uid><xcal:text>``)."""
    if len(holder) == 1:
        inner = holder[0]
        if inner.tag == tag:
            return inner
    raise _error(holder, f"must hold exactly one <{tag.rpartition('}')[2]}>")


def _value(child: Element, read: Callable[[str], T]) -> T:
    try:
        return read(child.text or "")
    except ValueError as exc:
        raise _error(child, str(exc)) from exc


def _enum(cls: type[E]) -> Callable[[str], E]:
    """A reader for a token-typed vocabulary (whitespace collapsed, as ``xs:token`` says)."""

    members: dict[str, E] = {member.value: member for member in cls}

    def read(text: str) -> E:
        member = members.get(text)  # the usual case, without Enum's call machinery
        if member is not None:
            return member
        try:
            return cls(collapse(text))
        except ValueError:
            raise ValueError(f"{text!r} is not a valid {cls.__name__}") from None

    return read


_duration = lru_cache(maxsize=512)(parse_duration)  # intervals repeat a handful of durations
_XCAL_DURATION = xcal.duration

_response_code = _enum(m.ResponseCode)
_currency_code = _enum(m.CurrencyCode)
_currency_item_description = _enum(m.CurrencyItemDescription)
_event_status = _enum(m.EventStatus)
_opt_reason = _enum(m.OptReason)
_opt_type = _enum(m.OptType)
_power_units = _enum(m.PowerUnit)
_profile_name = _enum(m.ProfileName)
_reading_type = _enum(m.ReadingType)
_report_name = _enum(m.ReportName)
_report_type = _enum(m.ReportType)
_response_required = _enum(m.ResponseRequired)
_service_name = _enum(m.ServiceName)
_signal_name = _enum(m.SignalName)
_signal_type = _enum(m.SignalType)
_temperature_unit = _enum(m.TemperatureUnit)
_scale_code = _enum(m.SiScaleCode)
_data_quality = _enum(m.DataQuality)
_transport_name = _enum(m.TransportName)


# --- shared parts -----------------------------------------------------------------------------


@_decoder
def _ei_response(element: Element) -> m.EiResponse:
    k = _Children(element)
    return m.EiResponse(
        response_code=k.read(ei.responseCode, _response_code),
        response_description=k.optional_text(ei.responseDescription),
        request_id=k.text(pyld.requestID),
    )


@_decoder
def _qualified_event_id(element: Element) -> m.QualifiedEventID:
    k = _Children(element)
    return m.QualifiedEventID(
        event_id=k.text(ei.eventID),
        modification_number=k.read(ei.modificationNumber, parse_unsigned),
    )


def _positions(text: str) -> tuple[float, ...]:
    """A ``gml:doubleList``: doubles separated by XML whitespace."""
    words = collapse(text)
    return tuple(parse_double(word) for word in words.split(" ")) if words else ()


@_decoder
def _feature_collection(holder: Element) -> m.FeatureCollection:
    collection = _wrapped(holder, gml.FeatureCollection)
    polygon = _wrapped(_wrapped(collection, gml.location), gml.Polygon)
    ring = _wrapped(_wrapped(polygon, gml.exterior), gml.LinearRing)
    return m.FeatureCollection(
        positions=_value(_wrapped(ring, gml.posList), _positions),
        id=collection.get(_GML_ID),
        polygon_id=polygon.get(_GML_ID),
    )


@_decoder
def _transport_interface(element: Element) -> m.TransportInterface:
    k = _Children(element)
    return m.TransportInterface(
        point_of_receipt=k.text(power.pointOfReceipt), point_of_delivery=k.text(power.pointOfDelivery)
    )


def _wrapped_text(inner: str) -> Callable[[Element], str]:
    return lambda holder: _wrapped(holder, inner).text or ""


def _own_text(element: Element) -> str:
    return element.text or ""


_TARGET_READERS: dict[object, tuple[str, Callable[[Element], Any]]] = {
    # child tag: (EiTarget field, how to read one child)
    power.aggregatedPnode: ("aggregated_pnodes", _wrapped_text(power.node)),
    power.endDeviceAsset: ("end_device_assets", _wrapped_text(power.mrid)),
    power.meterAsset: ("meter_assets", _wrapped_text(power.mrid)),
    power.pnode: ("pnodes", _wrapped_text(power.node)),
    emix.serviceArea: ("service_areas", _feature_collection),
    power.serviceDeliveryPoint: ("service_delivery_points", _wrapped_text(power.node)),
    power.serviceLocation: ("service_locations", _feature_collection),
    power.transportInterface: ("transport_interfaces", _transport_interface),
    ei.groupID: ("group_ids", _own_text),
    ei.groupName: ("group_names", _own_text),
    ei.resourceID: ("resource_ids", _own_text),
    ei.venID: ("ven_ids", _own_text),
    ei.partyID: ("party_ids", _own_text),
}
_EMPTY_TARGET = m.EiTarget()


@_decoder
def _target(element: Element) -> m.EiTarget:
    if len(element) == 0:
        return _EMPTY_TARGET
    fields: dict[str, list[Any]] = {}
    for child in element:
        reader = _TARGET_READERS.get(child.tag)
        if reader is None:
            raise _error(child, "not a kind of target")
        name, read = reader
        fields.setdefault(name, []).append(read(child))
    return m.EiTarget(**{name: tuple(values) for name, values in fields.items()})


def _properties_fields(holder: Element) -> dict[str, Any]:
    """The fields of a :class:`~openadr_accel.model.Properties` from the element holding one."""
    k = _Children(_Children(holder).one(xcal.properties))
    tolerance = k.get(xcal.tolerance)
    start_after = None
    if tolerance is not None:
        start_after = _Children(_wrapped(tolerance, xcal.tolerate)).read_optional(xcal.startafter, _duration)
    return {
        "dtstart": k.date_time_prop(xcal.dtstart),
        "duration": k.duration_prop(xcal.duration),
        "start_after": start_after,
        "notification": k.optional_duration_prop(_X_EI_NOTIFICATION),
        "ramp_up": k.optional_duration_prop(_X_EI_RAMP_UP),
        "recovery": k.optional_duration_prop(_X_EI_RECOVERY),
    }


@_decoder
def _properties(element: Element) -> m.Properties:
    return m.Properties(**_properties_fields(element))


@_decoder
def _available(element: Element) -> m.Available:
    return m.Available(**_properties_fields(element))


@_decoder
def _active_period(element: Element) -> m.EiActivePeriod:
    return m.EiActivePeriod(**_properties_fields(element))


@_decoder
def _load_control_values(element: Element) -> m.LoadControlValues:
    k = _Children(element)
    return m.LoadControlValues(
        min=k.read_optional(oadr.oadrMin, parse_decimal),
        max=k.read_optional(oadr.oadrMax, parse_decimal),
        current=k.read(oadr.oadrCurrent, parse_decimal),
        normal=k.read_optional(oadr.oadrNormal, parse_decimal),
    )


@_decoder
def _load_control_state(element: Element) -> m.OadrLoadControlState:
    k = _Children(element)
    return m.OadrLoadControlState(
        capacity=k.decode_optional(oadr.oadrCapacity, _load_control_values),
        level_offset=k.decode_optional(oadr.oadrLevelOffset, _load_control_values),
        percent_offset=k.decode_optional(oadr.oadrPercentOffset, _load_control_values),
        set_point=k.decode_optional(oadr.oadrSetPoint, _load_control_values),
    )


@_decoder
def _resource_status(element: Element) -> m.OadrPayloadResourceStatus:
    k = _Children(element)
    return m.OadrPayloadResourceStatus(
        online=k.read(oadr.oadrOnline, parse_bool),
        manual_override=k.read(oadr.oadrManualOverride, parse_bool),
        load_control_state=k.decode_optional(oadr.oadrLoadControlState, _load_control_state),
    )


_PAYLOAD_FLOAT, _VALUE, _RESOURCE_STATUS = ei.payloadFloat, ei.value, oadr.oadrPayloadResourceStatus
_PAYLOAD_BASE_TAGS = (_PAYLOAD_FLOAT, _RESOURCE_STATUS)


def _payload_float(element: Element) -> m.PayloadFloat:
    value = _wrapped(element, _VALUE)
    try:
        return m.PayloadFloat(value=parse_decimal(value.text or ""))
    except ValueError as exc:
        raise _error(value, str(exc)) from exc


def _payload_base(element: Element) -> m.PayloadBase:
    tag = element.tag
    if tag == _PAYLOAD_FLOAT:
        return _payload_float(element)
    if tag == _RESOURCE_STATUS:
        return _resource_status(element)
    raise _error(element, "expected <payloadFloat> or <oadrPayloadResourceStatus>")


# --- units ------------------------------------------------------------------------------------

_SCALED_UNITS: dict[str, Callable[[m.SiScaleCode], m.ItemBase]] = {
    power.energyReal: lambda code: m.EnergyReal(scale=code),
    power.energyReactive: lambda code: m.EnergyReactive(scale=code),
    power.energyApparent: lambda code: m.EnergyApparent(scale=code),
    power.voltage: lambda code: m.Voltage(scale=code),
    oadr.current: lambda code: m.Current(scale=code),
    oadr.frequency: lambda code: m.Frequency(scale=code),
    oadr.Therm: lambda code: m.Therm(scale=code),
}
_POWER_UNITS: dict[str, type[m.PowerReal] | type[m.PowerReactive] | type[m.PowerApparent]] = {
    power.powerReal: m.PowerReal,
    power.powerReactive: m.PowerReactive,
    power.powerApparent: m.PowerApparent,
}
_CURRENCY_UNITS = {oadr[kind.value]: kind for kind in m.CurrencyKind}
_GB_DATA_DESCRIPTION = oadr.oadrGBDataDescription
_OTHER_UNITS = (oadr.temperature, oadr.pulseCount, oadr.customUnit, _GB_DATA_DESCRIPTION)
_ITEM_BASE_TAGS = frozenset([*_SCALED_UNITS, *_POWER_UNITS, *_CURRENCY_UNITS, *_OTHER_UNITS])


@_decoder
def _item_base(element: Element) -> m.ItemBase:
    tag = str(element.tag)
    k = _Children(element)
    if tag in _SCALED_UNITS:
        return _SCALED_UNITS[tag](k.read(scale.siScaleCode, _scale_code))
    if tag in _POWER_UNITS:
        return _power_unit(k, _POWER_UNITS[tag])
    if tag in _CURRENCY_UNITS:
        return m.CurrencyUnit(
            kind=_CURRENCY_UNITS[tag],
            description=k.read(oadr.itemDescription, _currency_item_description),
            code=k.read(oadr.itemUnits, _currency_code),
            scale=k.read(scale.siScaleCode, _scale_code),
        )
    if tag == oadr.temperature:
        return m.Temperature(
            units=k.read(oadr.itemUnits, _temperature_unit),
            scale=k.read(scale.siScaleCode, _scale_code),
        )
    if tag == oadr.pulseCount:
        return m.PulseCount(pulse_factor=k.read(oadr.pulseFactor, parse_decimal))
    if tag == oadr.customUnit:
        return m.CustomUnit(
            item_description=k.text(oadr.itemDescription),
            item_units=k.text(oadr.itemUnits),
            scale=k.read(scale.siScaleCode, _scale_code),
        )
    if tag == _GB_DATA_DESCRIPTION:
        raise UnsupportedPayloadError(
            "Green Button data descriptions are not supported",
            line=element.sourceline,
            element=local_name(element),
        )
    raise _error(element, "not a unit of measure")


def _power_unit(
    k: _Children, cls: type[m.PowerReal] | type[m.PowerReactive] | type[m.PowerApparent]
) -> m.ItemBase:
    a = _Children(k.one(power.powerAttributes))
    attributes = m.PowerAttributes(
        hertz=a.read(power.hertz, parse_decimal),
        voltage=a.read(power.voltage, parse_decimal),
        ac=a.read(power.ac, parse_bool),
    )
    scale_code = k.read(scale.siScaleCode, _scale_code)
    if cls is m.PowerReal:
        units = k.read(power.itemUnits, _power_units)
        return m.PowerReal(attributes=attributes, scale=scale_code, units=units)
    return cls(attributes=attributes, scale=scale_code)


def _optional_item_base(element: Element) -> m.ItemBase | None:
    for child in element:
        if child.tag in _ITEM_BASE_TAGS:
            return _item_base(child)
    return None


# --- intervals (the hot path: one pass over the children, no index) ---------------------------

_DURATION, _UID, _DTSTART, _TEXT = xcal.duration, xcal.uid, xcal.dtstart, xcal.text
_SIGNAL_PAYLOAD, _REPORT_PAYLOAD, _GB_PAYLOAD = ei.signalPayload, oadr.oadrReportPayload, oadr.oadrGBPayload


def _signal_interval(element: Element) -> m.SignalInterval:
    # The hottest loop of event decoding, so written out flat: no index, no helper per field.
    duration: timedelta | None = None
    uid: str | None = None
    dtstart: datetime | None = None
    payloads: list[m.PayloadBase] = []
    for child in element:
        tag = child.tag
        if tag == _SIGNAL_PAYLOAD:
            payloads.append(_payload_base(_single(child)))
        elif tag == _DURATION:
            duration = _value(_wrapped(child, _XCAL_DURATION), _duration)
        elif tag == _UID:
            uid = _wrapped(child, _TEXT).text or ""
        elif tag == _DTSTART:
            dtstart = _value(_wrapped(child, _DATE_TIME), parse_datetime)
        else:
            raise _error(child, "unexpected in an event or baseline interval")
    try:
        return m.SignalInterval(payloads=tuple(payloads), duration=duration, uid=uid, dtstart=dtstart)
    except ValueError as exc:
        raise _error(element, str(exc)) from exc


def _signal_intervals(k: _Children) -> tuple[m.SignalInterval, ...]:
    return tuple(map(_signal_interval, k.one(strm.intervals)))


_RID, _CONFIDENCE, _ACCURACY, _DATA_QUALITY = ei.rID, ei.confidence, ei.accuracy, oadr.oadrDataQuality


def _report_payload(element: Element) -> m.OadrReportPayload:
    # The hottest element of report decoding: one pass, like the intervals.
    r_id: str | None = None
    payload: m.PayloadBase | None = None
    confidence: int | None = None
    accuracy: Decimal | None = None
    data_quality: m.DataQuality | None = None
    for child in element:
        tag = child.tag
        try:
            if tag == _RID:
                r_id = child.text or ""
            elif tag == _PAYLOAD_FLOAT:
                payload = _payload_float(child)
            elif tag == _CONFIDENCE:
                confidence = parse_unsigned(child.text or "")
            elif tag == _ACCURACY:
                accuracy = parse_decimal(child.text or "")
            elif tag == _DATA_QUALITY:
                data_quality = _data_quality(child.text or "")
            elif tag == _RESOURCE_STATUS:
                payload = _resource_status(child)
            else:
                raise _error(child, "unexpected in a report payload")
        except ValueError as exc:
            raise _error(child, str(exc)) from exc
    if r_id is None:
        raise _error(element, "missing required element <rID>")
    if payload is None:
        raise _error(element, "missing the payload (<payloadFloat> or <oadrPayloadResourceStatus>)")
    try:
        return m.OadrReportPayload(
            r_id=r_id, payload=payload, confidence=confidence, accuracy=accuracy, data_quality=data_quality
        )
    except ValueError as exc:
        raise _error(element, str(exc)) from exc


def _report_interval(element: Element) -> m.ReportInterval:
    duration: timedelta | None = None
    uid: str | None = None
    dtstart: datetime | None = None
    payloads: list[m.OadrReportPayload] = []
    for child in element:
        tag = child.tag
        if tag == _REPORT_PAYLOAD:
            payloads.append(_report_payload(child))
        elif tag == _DTSTART:
            dtstart = _value(_wrapped(child, _DATE_TIME), parse_datetime)
        elif tag == _DURATION:
            duration = _value(_wrapped(child, _XCAL_DURATION), _duration)
        elif tag == _UID:
            uid = _wrapped(child, _TEXT).text or ""
        elif tag == _GB_PAYLOAD:
            raise UnsupportedPayloadError(
                "Green Button report payloads are not supported",
                line=child.sourceline,
                element=local_name(child),
            )
        else:
            raise _error(child, "unexpected in a report interval")
    try:
        return m.ReportInterval(payloads=tuple(payloads), dtstart=dtstart, duration=duration, uid=uid)
    except ValueError as exc:
        raise _error(element, str(exc)) from exc


# --- events -----------------------------------------------------------------------------------


@_decoder
def _event_descriptor(element: Element) -> m.EventDescriptor:
    k = _Children(element)
    return m.EventDescriptor(
        event_id=k.text(ei.eventID),
        modification_number=k.read(ei.modificationNumber, parse_unsigned),
        modification_date_time=k.read_optional(ei.modificationDateTime, parse_datetime),
        modification_reason=k.optional_text(ei.modificationReason),
        priority=k.read_optional(ei.priority, parse_unsigned),
        market_context=_wrapped(k.one(ei.eiMarketContext), emix.marketContext).text or "",
        created_date_time=k.read(ei.createdDateTime, parse_datetime),
        event_status=k.read(ei.eventStatus, _event_status),
        test_event=k.optional_text(ei.testEvent),
        vtn_comment=k.optional_text(ei.vtnComment),
    )


def _current_value(element: Element) -> Decimal:
    return _value(_wrapped(_wrapped(element, _PAYLOAD_FLOAT), _VALUE), parse_decimal)


@_decoder
def _event_signal(element: Element) -> m.EiEventSignal:
    k = _Children(element)
    return m.EiEventSignal(
        intervals=_signal_intervals(k),
        target=k.decode_optional(ei.eiTarget, _target),
        signal_name=k.read(ei.signalName, _signal_name),
        signal_type=k.read(ei.signalType, _signal_type),
        signal_id=k.text(ei.signalID),
        item_base=_optional_item_base(element),
        current_value=k.decode_optional(ei.currentValue, _current_value),
    )


@_decoder
def _baseline(element: Element) -> m.EiEventBaseline:
    k = _Children(element)
    return m.EiEventBaseline(
        dtstart=k.date_time_prop(xcal.dtstart),
        duration=k.duration_prop(xcal.duration),
        intervals=_signal_intervals(k),
        baseline_id=k.text(ei.baselineID),
        resource_ids=k.texts(ei.resourceID),
        baseline_name=k.text(ei.baselineName),
        item_base=_optional_item_base(element),
    )


@_decoder
def _ei_event(element: Element) -> m.EiEvent:
    k = _Children(element)
    signals = _Children(k.one(ei.eiEventSignals))
    return m.EiEvent(
        event_descriptor=k.decode(ei.eventDescriptor, _event_descriptor),
        active_period=k.decode(ei.eiActivePeriod, _active_period),
        signals=signals.decode_many(ei.eiEventSignal, _event_signal),
        baseline=signals.decode_optional(ei.eiEventBaseline, _baseline),
        target=k.decode(ei.eiTarget, _target),
    )


@_decoder
def _oadr_event(element: Element) -> m.OadrEvent:
    k = _Children(element)
    return m.OadrEvent(
        ei_event=k.decode(ei.eiEvent, _ei_event),
        response_required=k.read(oadr.oadrResponseRequired, _response_required),
    )


@_decoder
def _distribute_event(element: Element) -> m.OadrDistributeEvent:
    k = _Children(element)
    return m.OadrDistributeEvent(
        ei_response=k.decode_optional(ei.eiResponse, _ei_response),
        request_id=k.text(pyld.requestID),
        vtn_id=k.text(ei.vtnID),
        events=k.decode_many(oadr.oadrEvent, _oadr_event),
    )


@_decoder
def _event_response(element: Element) -> m.EventResponse:
    k = _Children(element)
    return m.EventResponse(
        response_code=k.read(ei.responseCode, _response_code),
        response_description=k.optional_text(ei.responseDescription),
        request_id=k.text(pyld.requestID),
        qualified_event_id=k.decode(ei.qualifiedEventID, _qualified_event_id),
        opt_type=k.read(ei.optType, _opt_type),
    )


def _event_responses(element: Element) -> tuple[m.EventResponse, ...]:
    return tuple(map(_event_response, element.iterchildren(ei.eventResponse)))


@_decoder
def _created_event(element: Element) -> m.OadrCreatedEvent:
    k = _Children(_Children(element).one(pyld.eiCreatedEvent))
    return m.OadrCreatedEvent(
        ei_response=k.decode(ei.eiResponse, _ei_response),
        event_responses=k.decode_optional(ei.eventResponses, _event_responses) or (),
        ven_id=k.text(ei.venID),
    )


@_decoder
def _request_event(element: Element) -> m.OadrRequestEvent:
    k = _Children(_Children(element).one(pyld.eiRequestEvent))
    return m.OadrRequestEvent(
        request_id=k.text(pyld.requestID),
        ven_id=k.text(ei.venID),
        reply_limit=k.read_optional(pyld.replyLimit, parse_unsigned),
    )


@_decoder
def _response(element: Element) -> m.OadrResponse:
    k = _Children(element)
    return m.OadrResponse(ei_response=k.decode(ei.eiResponse, _ei_response), ven_id=k.optional_text(ei.venID))


# --- opt --------------------------------------------------------------------------------------


def _availability(element: Element) -> tuple[m.Available, ...]:
    return _Children(_Children(element).one(xcal.components)).decode_many(xcal.available, _available)


@_decoder
def _create_opt(element: Element) -> m.OadrCreateOpt:
    k = _Children(element)
    return m.OadrCreateOpt(
        opt_id=k.text(ei.optID),
        opt_type=k.read(ei.optType, _opt_type),
        opt_reason=k.read(ei.optReason, _opt_reason),
        market_context=k.optional_text(emix.marketContext),
        ven_id=k.text(ei.venID),
        availability=k.decode_optional(xcal.vavailability, _availability),
        created_date_time=k.read(ei.createdDateTime, parse_datetime),
        request_id=k.text(pyld.requestID),
        qualified_event_id=k.decode_optional(ei.qualifiedEventID, _qualified_event_id),
        target=k.decode(ei.eiTarget, _target),
        device_class=k.decode_optional(oadr.oadrDeviceClass, _target),
    )


@_decoder
def _created_opt(element: Element) -> m.OadrCreatedOpt:
    k = _Children(element)
    return m.OadrCreatedOpt(ei_response=k.decode(ei.eiResponse, _ei_response), opt_id=k.text(ei.optID))


@_decoder
def _cancel_opt(element: Element) -> m.OadrCancelOpt:
    k = _Children(element)
    return m.OadrCancelOpt(
        request_id=k.text(pyld.requestID), opt_id=k.text(ei.optID), ven_id=k.text(ei.venID)
    )


@_decoder
def _canceled_opt(element: Element) -> m.OadrCanceledOpt:
    k = _Children(element)
    return m.OadrCanceledOpt(
        ei_response=k.decode(ei.eiResponse, _ei_response), opt_id=k.optional_text(ei.optID)
    )


# --- reports ----------------------------------------------------------------------------------


@_decoder
def _sampling_rate(element: Element) -> m.OadrSamplingRate:
    k = _Children(element)
    return m.OadrSamplingRate(
        min_period=k.read(oadr.oadrMinPeriod, _duration),
        max_period=k.read(oadr.oadrMaxPeriod, _duration),
        on_change=k.read(oadr.oadrOnChange, parse_bool),
    )


@_decoder
def _report_description(element: Element) -> m.OadrReportDescription:
    k = _Children(element)
    return m.OadrReportDescription(
        r_id=k.text(ei.rID),
        report_subject=k.decode_optional(ei.reportSubject, _target),
        report_data_source=k.decode_optional(ei.reportDataSource, _target),
        report_type=k.read(ei.reportType, _report_type),
        item_base=_optional_item_base(element),
        reading_type=k.read(ei.readingType, _reading_type),
        market_context=k.optional_text(emix.marketContext),
        sampling_rate=k.decode_optional(oadr.oadrSamplingRate, _sampling_rate),
    )


def _report_intervals(element: Element) -> tuple[m.ReportInterval, ...]:
    return tuple(map(_report_interval, element))


@_decoder
def _report(element: Element) -> m.OadrReport:
    k = _Children(element)
    return m.OadrReport(
        dtstart=k.optional_date_time_prop(xcal.dtstart),
        duration=k.optional_duration_prop(xcal.duration),
        intervals=k.decode_optional(strm.intervals, _report_intervals) or (),
        ei_report_id=k.optional_text(ei.eiReportID),
        descriptions=k.decode_many(oadr.oadrReportDescription, _report_description),
        report_request_id=k.text(ei.reportRequestID),
        report_specifier_id=k.text(ei.reportSpecifierID),
        report_name=k.read_optional(ei.reportName, _report_name),
        created_date_time=k.read(ei.createdDateTime, parse_datetime),
    )


@_decoder
def _specifier_payload(element: Element) -> m.SpecifierPayload:
    k = _Children(element)
    return m.SpecifierPayload(
        r_id=k.text(ei.rID),
        item_base=_optional_item_base(element),
        reading_type=k.read(ei.readingType, _reading_type),
    )


@_decoder
def _report_specifier(element: Element) -> m.ReportSpecifier:
    k = _Children(element)
    return m.ReportSpecifier(
        report_specifier_id=k.text(ei.reportSpecifierID),
        granularity=k.duration_prop(xcal.granularity),
        report_back_duration=k.duration_prop(ei.reportBackDuration),
        report_interval=k.decode_optional(ei.reportInterval, _properties),
        specifier_payloads=k.decode_many(ei.specifierPayload, _specifier_payload),
    )


@_decoder
def _report_request(element: Element) -> m.OadrReportRequest:
    k = _Children(element)
    return m.OadrReportRequest(
        report_request_id=k.text(ei.reportRequestID),
        report_specifier=k.decode(ei.reportSpecifier, _report_specifier),
    )


def _pending_reports(k: _Children) -> tuple[str, ...]:
    return _Children(k.one(oadr.oadrPendingReports)).texts(ei.reportRequestID)


@_decoder
def _register_report(element: Element) -> m.OadrRegisterReport:
    k = _Children(element)
    return m.OadrRegisterReport(
        request_id=k.text(pyld.requestID),
        reports=k.decode_many(oadr.oadrReport, _report),
        ven_id=k.optional_text(ei.venID),
        report_request_id=k.optional_text(ei.reportRequestID),
    )


@_decoder
def _registered_report(element: Element) -> m.OadrRegisteredReport:
    k = _Children(element)
    return m.OadrRegisteredReport(
        ei_response=k.decode(ei.eiResponse, _ei_response),
        report_requests=k.decode_many(oadr.oadrReportRequest, _report_request),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _create_report(element: Element) -> m.OadrCreateReport:
    k = _Children(element)
    return m.OadrCreateReport(
        request_id=k.text(pyld.requestID),
        report_requests=k.decode_many(oadr.oadrReportRequest, _report_request),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _created_report(element: Element) -> m.OadrCreatedReport:
    k = _Children(element)
    return m.OadrCreatedReport(
        ei_response=k.decode(ei.eiResponse, _ei_response),
        pending_reports=_pending_reports(k),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _canceled_report(element: Element) -> m.OadrCanceledReport:
    k = _Children(element)
    return m.OadrCanceledReport(
        ei_response=k.decode(ei.eiResponse, _ei_response),
        pending_reports=_pending_reports(k),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _update_report(element: Element) -> m.OadrUpdateReport:
    k = _Children(element)
    return m.OadrUpdateReport(
        request_id=k.text(pyld.requestID),
        reports=k.decode_many(oadr.oadrReport, _report),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _cancel_report(element: Element) -> m.OadrCancelReport:
    k = _Children(element)
    return m.OadrCancelReport(
        request_id=k.text(pyld.requestID),
        report_request_ids=k.texts(ei.reportRequestID),
        report_to_follow=k.read(pyld.reportToFollow, parse_bool),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _updated_report(element: Element) -> m.OadrUpdatedReport:
    k = _Children(element)
    return m.OadrUpdatedReport(
        ei_response=k.decode(ei.eiResponse, _ei_response),
        cancel_report=k.decode_optional(oadr.oadrCancelReport, _cancel_report),
        ven_id=k.optional_text(ei.venID),
    )


# --- registration and poll --------------------------------------------------------------------


@_decoder
def _info(element: Element) -> m.OadrInfo:
    k = _Children(element)
    return m.OadrInfo(key=k.text(oadr.oadrKey), value=k.text(oadr.oadrValue))


@_decoder
def _create_party_registration(element: Element) -> m.OadrCreatePartyRegistration:
    k = _Children(element)
    return m.OadrCreatePartyRegistration(
        request_id=k.text(pyld.requestID),
        registration_id=k.optional_text(ei.registrationID),
        ven_id=k.optional_text(ei.venID),
        profile_name=k.read(oadr.oadrProfileName, _profile_name),
        transport_name=k.read(oadr.oadrTransportName, _transport_name),
        transport_address=k.optional_text(oadr.oadrTransportAddress),
        report_only=k.read(oadr.oadrReportOnly, parse_bool),
        xml_signature=k.read(oadr.oadrXmlSignature, parse_bool),
        ven_name=k.optional_text(oadr.oadrVenName),
        http_pull_model=k.read_optional(oadr.oadrHttpPullModel, parse_bool),
    )


@_decoder
def _profile(element: Element) -> m.OadrProfile:
    k = _Children(element)
    transports = _Children(k.one(oadr.oadrTransports)).many(oadr.oadrTransport)
    return m.OadrProfile(
        profile_name=k.read(oadr.oadrProfileName, _profile_name),
        transports=tuple(
            _value(_wrapped(transport, oadr.oadrTransportName), _transport_name) for transport in transports
        ),
    )


@_decoder
def _service(element: Element) -> m.OadrService:
    k = _Children(element)
    return m.OadrService(
        service_name=k.read(oadr.oadrServiceName, _service_name),
        info=k.decode_many(oadr.oadrInfo, _info),
    )


@_decoder
def _extension(element: Element) -> m.OadrExtension:
    k = _Children(element)
    return m.OadrExtension(name=k.text(oadr.oadrExtensionName), info=k.decode_many(oadr.oadrInfo, _info))


def _services(element: Element) -> tuple[m.OadrService, ...]:
    return tuple(map(_service, element.iterchildren(oadr.oadrService)))


def _extensions(element: Element) -> tuple[m.OadrExtension, ...]:
    return tuple(map(_extension, element.iterchildren(oadr.oadrExtension)))


def _profiles(element: Element) -> tuple[m.OadrProfile, ...]:
    return tuple(map(_profile, element.iterchildren(oadr.oadrProfile)))


@_decoder
def _created_party_registration(element: Element) -> m.OadrCreatedPartyRegistration:
    k = _Children(element)
    return m.OadrCreatedPartyRegistration(
        ei_response=k.decode(ei.eiResponse, _ei_response),
        registration_id=k.optional_text(ei.registrationID),
        ven_id=k.optional_text(ei.venID),
        vtn_id=k.text(ei.vtnID),
        profiles=k.decode(oadr.oadrProfiles, _profiles),
        requested_poll_freq=k.optional_duration_prop(oadr.oadrRequestedOadrPollFreq),
        service_specific_info=k.decode_optional(oadr.oadrServiceSpecificInfo, _services),
        extensions=k.decode_optional(oadr.oadrExtensions, _extensions),
    )


@_decoder
def _cancel_party_registration(element: Element) -> m.OadrCancelPartyRegistration:
    k = _Children(element)
    return m.OadrCancelPartyRegistration(
        request_id=k.text(pyld.requestID),
        registration_id=k.text(ei.registrationID),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _canceled_party_registration(element: Element) -> m.OadrCanceledPartyRegistration:
    k = _Children(element)
    return m.OadrCanceledPartyRegistration(
        ei_response=k.decode(ei.eiResponse, _ei_response),
        registration_id=k.optional_text(ei.registrationID),
        ven_id=k.optional_text(ei.venID),
    )


@_decoder
def _request_reregistration(element: Element) -> m.OadrRequestReregistration:
    return m.OadrRequestReregistration(ven_id=_Children(element).text(ei.venID))


@_decoder
def _query_registration(element: Element) -> m.OadrQueryRegistration:
    return m.OadrQueryRegistration(request_id=_Children(element).text(pyld.requestID))


@_decoder
def _poll(element: Element) -> m.OadrPoll:
    return m.OadrPoll(ven_id=_Children(element).text(ei.venID))


# --- dispatch ---------------------------------------------------------------------------------

_MESSAGE_DECODERS: dict[str, Callable[[Element], m.Payload]] = {
    oadr.oadrDistributeEvent: _distribute_event,
    oadr.oadrCreatedEvent: _created_event,
    oadr.oadrRequestEvent: _request_event,
    oadr.oadrResponse: _response,
    oadr.oadrCancelOpt: _cancel_opt,
    oadr.oadrCanceledOpt: _canceled_opt,
    oadr.oadrCreateOpt: _create_opt,
    oadr.oadrCreatedOpt: _created_opt,
    oadr.oadrCancelReport: _cancel_report,
    oadr.oadrCanceledReport: _canceled_report,
    oadr.oadrCreateReport: _create_report,
    oadr.oadrCreatedReport: _created_report,
    oadr.oadrRegisterReport: _register_report,
    oadr.oadrRegisteredReport: _registered_report,
    oadr.oadrUpdateReport: _update_report,
    oadr.oadrUpdatedReport: _updated_report,
    oadr.oadrCancelPartyRegistration: _cancel_party_registration,
    oadr.oadrCanceledPartyRegistration: _canceled_party_registration,
    oadr.oadrCreatePartyRegistration: _create_party_registration,
    oadr.oadrCreatedPartyRegistration: _created_party_registration,
    oadr.oadrRequestReregistration: _request_reregistration,
    oadr.oadrQueryRegistration: _query_registration,
    oadr.oadrPoll: _poll,
}


def message_element(root: Element) -> Element:
    """The message inside ``oadrPayload/oadrSignedObject``."""
    if root.tag != oadr.oadrPayload:
        raise _error(root, f"the root element must be oadrPayload in namespace {ns.OADR}")
    signed_object = _Children(root).one(oadr.oadrSignedObject)
    if len(signed_object) != 1:
        raise _error(signed_object, f"must hold exactly one message, found {len(signed_object)}")
    return signed_object[0]


def decode(root: Element) -> m.Payload:
    """The message carried by a parsed ``oadrPayload`` document."""
    message = message_element(root)
    decoder = _MESSAGE_DECODERS.get(str(message.tag))
    if decoder is None:
        raise _error(message, "not an OpenADR 2.0b message")
    return decoder(message)
