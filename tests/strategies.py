"""Hypothesis strategies for every OpenADR 2.0b model class, composed bottom-up.

One small function per model class, named after it in snake case (``ei_target()`` builds
:class:`~openadr_accel.model.EiTarget`), one per message type (``oadr_distribute_event()``, ...),
and :func:`payloads` for any message. :data:`MESSAGE_STRATEGIES` maps each of the 23 message
classes to its strategy.

Every value drawn is one that OpenADR 2.0b can express, so a message must survive
``serialize`` -> XSD validation -> ``parse`` unchanged:

- strings hold only characters XML 1.0 can carry (no C0 controls other than tab, line feed and
  carriage return, no surrogates, no U+FFFE/U+FFFF); ``\\r`` is included on purpose (the encoder
  writes it as ``&#13;`` so that the parser's line-end normalisation keeps it);
- ``xs:anyURI`` fields (market contexts) hold URI references libxml2 accepts;
- ``gml:id`` attributes are NCNames (``xs:ID``), unique within each message and never the
  ``oadrSignedObject`` ID the envelope uses;
- datetimes are timezone-aware, in any fixed offset or IANA zone, years 1000..9999, never in a
  DST fold or gap (Python compares such datetimes across zones as unequal, by PEP 495);
- durations are whole seconds, zero or negative included (``xcal:DurationValueType`` admits a sign);
- ``xs:float`` numbers are finite Decimals or +/-Infinity (never NaN, which is unequal to itself);
  ``xs:decimal`` numbers (power attributes) are finite;
- open vocabularies draw members and ``x-`` extensions; response codes any three digits.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from openadr_accel import model as m

T = TypeVar("T")
X = TypeVar("X", bound=m.ExtensibleEnum)
Strategy = st.SearchStrategy

# --- helpers ----------------------------------------------------------------------------------


def optional(strategy: Strategy[T]) -> Strategy[T | None]:
    """``None`` or a value of ``strategy``."""
    return st.none() | strategy


def few(strategy: Strategy[T], *, min_size: int = 0, max_size: int = 3) -> Strategy[tuple[T, ...]]:
    """A short tuple: messages nest deeply, so every repetition is kept small."""
    return st.lists(strategy, min_size=min_size, max_size=max_size).map(tuple)


# --- primitive values -------------------------------------------------------------------------

_XML_WHITESPACE = " \t\n\r"
_C0_CONTROLS = "".join(chr(code) for code in range(0x20) if chr(code) not in "\t\n\r")
_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
_XML_CHARS = st.characters(exclude_categories=_SURROGATES, exclude_characters=_C0_CONTROLS + "\ufffe\uffff")
_MARKUP = st.sampled_from("<>&\"'\r\n\t ]")  # characters the encoder must escape or keep intact


def xml_text(*, max_size: int = 12) -> Strategy[str]:
    """Any ``xs:string`` that XML 1.0 can carry, with markup characters and line ends favoured."""
    return st.text(_XML_CHARS | _MARKUP, max_size=max_size)


def unsigned_ints() -> Strategy[int]:
    """An ``xs:unsignedInt``."""
    return st.integers(min_value=0, max_value=2**32 - 1)


def _finite_decimal(negative: bool, coefficient: int, exponent: int) -> Decimal:
    return Decimal((int(negative), tuple(int(digit) for digit in str(coefficient)), exponent))


def xml_decimals() -> Strategy[Decimal]:
    """A finite Decimal with its own digits and exponent (``1.50``, ``-0``, ``7E+3``, ...)."""
    return st.builds(
        _finite_decimal,
        st.booleans(),
        st.integers(min_value=0, max_value=10**24) | st.integers(min_value=0, max_value=999),
        st.integers(min_value=-30, max_value=30) | st.integers(min_value=-3, max_value=0),
    )


def float_values() -> Strategy[Decimal]:
    """An ``xs:float`` as a Decimal: finite, or one time in four an infinity (never NaN)."""
    infinities = st.sampled_from([Decimal("Infinity"), Decimal("-Infinity")])
    return st.one_of(xml_decimals(), xml_decimals(), xml_decimals(), infinities)


_MAX_DURATION_SECONDS = 999_999_999 * 86400  # timedelta's limit, whole days


def durations() -> Strategy[timedelta]:
    """An ``xcal:DurationValueType``: whole seconds, zero (open-ended) and negative included."""
    everyday = st.integers(min_value=-3 * 86400, max_value=3 * 86400)
    extreme = st.integers(min_value=-_MAX_DURATION_SECONDS, max_value=_MAX_DURATION_SECONDS + 86399)
    return st.one_of(everyday, extreme).map(lambda seconds: timedelta(seconds=seconds))


def _fixed_offsets() -> Strategy[timezone]:
    whole_minutes = st.integers(min_value=-1439, max_value=1439).map(lambda n: timedelta(minutes=n))
    odd = st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    )
    return st.one_of(whole_minutes, odd).map(timezone)


def _unambiguous(value: datetime) -> bool:
    # PEP 495: an aware datetime whose offset depends on `fold` never equals one in another zone.
    return value.replace(fold=1 - value.fold).utcoffset() == value.utcoffset()


def _utc_representable(value: datetime) -> bool:
    # An instant past 9999-12-31T23:59:59Z (9999-12-31T23:00-05:00, say) has no four-digit UTC
    # year, so 2.0b cannot carry it: serialize() refuses it (test_roundtrip checks that).
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True


_NAMED_ZONES = (
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
)
"""IANA zones with DST, half-hour and 45-minute offsets. A fixed sample: ``st.timezones()``
enumerates the whole tz database on first use, which under Hypothesis's tracer (Python 3.11)
once took longer than the test's timeout."""


def aware_datetimes() -> Strategy[datetime]:
    """A timezone-aware datetime in years 1000..9999, in UTC, a fixed offset or an IANA zone."""
    named = st.sampled_from([ZoneInfo(key) for key in _NAMED_ZONES])
    return (
        st.datetimes(
            min_value=datetime(1000, 1, 1),
            max_value=datetime(9999, 12, 31, 23, 59, 59, 999999),
            timezones=st.one_of(st.just(UTC), _fixed_offsets(), named),
            allow_imaginary=False,
        )
        .filter(_unambiguous)
        .filter(_utc_representable)
    )


# A token character: XML 1.0 and not XML whitespace (Unicode's other spaces, U+00A0 and the
# like, are data in an xs:token).
_TOKEN_CHARS = st.characters(
    exclude_categories=_SURROGATES,
    exclude_characters=_C0_CONTROLS + _XML_WHITESPACE + "\ufffe\uffff",
)


def extension_tokens() -> Strategy[str]:
    """An ``ei:EiExtensionTokenType``: ``x-`` and words, spaced by any runs of XML whitespace.

    The vocabularies collapse whitespace as ``xs:token`` does, so "x-a \\t b " and "x-a b" are one
    value, and the round trip keeps it.
    """
    word = st.text(_TOKEN_CHARS | st.sampled_from("<>&\"'"), min_size=1, max_size=6)
    space = st.text(st.sampled_from(_XML_WHITESPACE), min_size=1, max_size=3)
    edge = st.text(st.sampled_from(_XML_WHITESPACE), max_size=2)
    rest = st.lists(st.tuples(space, word).map("".join), max_size=2).map("".join)
    return st.tuples(edge, word, rest, edge).map(lambda parts: f"{parts[0]}x-{parts[1]}{parts[2]}{parts[3]}")


def extensible(vocabulary: type[X]) -> Strategy[X]:
    """A member of an open vocabulary, or one of its ``x-`` extensions."""
    return st.sampled_from(vocabulary) | extension_tokens().map(vocabulary)


def response_codes() -> Strategy[m.ResponseCode]:
    """A named response code, or any other three digits."""
    return st.sampled_from(m.ResponseCode) | st.integers(min_value=0, max_value=999).map(
        lambda code: m.ResponseCode(f"{code:03d}")
    )


_URI_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=@"  # unreserved, sub-delims, @
_URI_PCHAR = st.one_of(
    st.sampled_from(_URI_CHARS + ":"),
    st.integers(min_value=0, max_value=255).map(lambda byte: f"%{byte:02X}"),  # percent-encoded
    st.sampled_from(' <>"{}|\\^`éΩ😀'),  # escaped by the anyURI mapping, still admitted
)


def _uri_part(chars: Strategy[str], max_size: int = 6) -> Strategy[str]:
    return st.lists(chars, max_size=max_size).map("".join)


def market_contexts() -> Strategy[str]:
    """An ``xs:anyURI`` (``emix:MarketContextType``): absolute URIs and relative references."""
    segment = _uri_part(_URI_PCHAR)
    path = st.lists(segment, max_size=3).map(lambda segments: "".join("/" + s for s in segments))
    suffix = st.tuples(
        optional(_uri_part(_URI_PCHAR | st.sampled_from("/?"))),
        optional(_uri_part(_URI_PCHAR | st.sampled_from("/?"))),
    ).map(lambda qf: ("" if qf[0] is None else "?" + qf[0]) + ("" if qf[1] is None else "#" + qf[1]))
    scheme = st.from_regex(r"[a-z][a-z0-9+.\-]{0,5}", fullmatch=True)
    host = _uri_part(st.sampled_from(_URI_CHARS.replace("@", "")))
    absolute = st.builds(lambda s, h, p, x: f"{s}://{h}{p}{x}", scheme, host, path, suffix)
    opaque = st.builds(lambda s, p, x: f"{s}:{p}{x}", scheme, segment, suffix)
    no_colon = _uri_part(_URI_PCHAR.filter(lambda char: char != ":"))
    relative = st.builds(lambda first, p, x: first + p + x, no_colon, path, suffix)
    return st.one_of(absolute, opaque, relative, st.just("http://market.example.com/dr-program"))


_NAME_START = string.ascii_letters + "_éßΩж"
_NAME_CHARS = _NAME_START + string.digits + "-.·"


def gml_ids() -> Strategy[str]:
    """An NCName for a ``gml:id``; never the envelope's own ID ``oadrSignedObject``."""
    return st.builds(
        lambda first, rest: first + rest, st.sampled_from(_NAME_START), st.text(_NAME_CHARS, max_size=8)
    ).filter(lambda name: name != "oadrSignedObject")


def _gml_ids_in(value: object) -> Iterator[str]:
    if isinstance(value, m.FeatureCollection):
        yield from (name for name in (value.id, value.polygon_id) if name is not None)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _gml_ids_in(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _gml_ids_in(item)


def has_unique_gml_ids(payload: object) -> bool:
    """Whether every ``gml:id`` in ``payload`` is distinct (xs:ID values are unique per document)."""
    names = list(_gml_ids_in(payload))
    return len(names) == len(set(names))


# --- shared parts (model/common.py) -----------------------------------------------------------


def ei_response() -> Strategy[m.EiResponse]:
    return st.builds(
        m.EiResponse,
        response_code=response_codes(),
        request_id=xml_text(),
        response_description=optional(xml_text()),
    )


def qualified_event_id() -> Strategy[m.QualifiedEventID]:
    return st.builds(m.QualifiedEventID, event_id=xml_text(), modification_number=unsigned_ints())


def feature_collection() -> Strategy[m.FeatureCollection]:
    return st.builds(
        m.FeatureCollection,
        positions=few(st.floats(allow_nan=False), max_size=6),
        id=optional(gml_ids()),
        polygon_id=optional(gml_ids()),
    )


def transport_interface() -> Strategy[m.TransportInterface]:
    return st.builds(m.TransportInterface, point_of_receipt=xml_text(), point_of_delivery=xml_text())


def ei_target() -> Strategy[m.EiTarget]:
    """Any mix of every kind of target, or the empty target."""
    names = few(xml_text(), max_size=2)
    return st.just(m.EiTarget()) | st.builds(
        m.EiTarget,
        aggregated_pnodes=names,
        end_device_assets=names,
        meter_assets=names,
        pnodes=names,
        service_areas=few(feature_collection(), max_size=2),
        service_delivery_points=names,
        service_locations=few(feature_collection(), max_size=2),
        transport_interfaces=few(transport_interface(), max_size=2),
        group_ids=names,
        group_names=names,
        resource_ids=names,
        ven_ids=names,
        party_ids=names,
    )


def _properties_of(cls: Callable[..., T]) -> Strategy[T]:
    return st.builds(
        cls,
        dtstart=aware_datetimes(),
        duration=durations(),
        start_after=optional(durations()),
        notification=optional(durations()),
        ramp_up=optional(durations()),
        recovery=optional(durations()),
    )


def properties() -> Strategy[m.Properties]:
    return _properties_of(m.Properties)


def payload_float() -> Strategy[m.PayloadFloat]:
    return st.builds(m.PayloadFloat, value=float_values())


def load_control_values() -> Strategy[m.LoadControlValues]:
    return st.builds(
        m.LoadControlValues,
        current=float_values(),
        min=optional(float_values()),
        max=optional(float_values()),
        normal=optional(float_values()),
    )


def oadr_load_control_state() -> Strategy[m.OadrLoadControlState]:
    return st.builds(
        m.OadrLoadControlState,
        capacity=optional(load_control_values()),
        level_offset=optional(load_control_values()),
        percent_offset=optional(load_control_values()),
        set_point=optional(load_control_values()),
    )


def oadr_payload_resource_status() -> Strategy[m.OadrPayloadResourceStatus]:
    return st.builds(
        m.OadrPayloadResourceStatus,
        online=st.booleans(),
        manual_override=st.booleans(),
        load_control_state=optional(oadr_load_control_state()),
    )


def payload_base() -> Strategy[m.PayloadBase]:
    return payload_float() | oadr_payload_resource_status()


def oadr_response() -> Strategy[m.OadrResponse]:
    return st.builds(m.OadrResponse, ei_response=ei_response(), ven_id=optional(xml_text()))


# --- units of measure (model/units.py) --------------------------------------------------------

_SCALES = st.sampled_from(m.SiScaleCode)


def power_attributes() -> Strategy[m.PowerAttributes]:
    return st.builds(m.PowerAttributes, hertz=xml_decimals(), voltage=xml_decimals(), ac=st.booleans())


def power_real() -> Strategy[m.PowerReal]:
    return st.builds(
        m.PowerReal, attributes=power_attributes(), scale=_SCALES, units=st.sampled_from(m.PowerUnit)
    )


def power_reactive() -> Strategy[m.PowerReactive]:
    return st.builds(m.PowerReactive, attributes=power_attributes(), scale=_SCALES)


def power_apparent() -> Strategy[m.PowerApparent]:
    return st.builds(m.PowerApparent, attributes=power_attributes(), scale=_SCALES)


def energy_real() -> Strategy[m.EnergyReal]:
    return st.builds(m.EnergyReal, scale=_SCALES)


def energy_reactive() -> Strategy[m.EnergyReactive]:
    return st.builds(m.EnergyReactive, scale=_SCALES)


def energy_apparent() -> Strategy[m.EnergyApparent]:
    return st.builds(m.EnergyApparent, scale=_SCALES)


def voltage() -> Strategy[m.Voltage]:
    return st.builds(m.Voltage, scale=_SCALES)


def current() -> Strategy[m.Current]:
    return st.builds(m.Current, scale=_SCALES)


def frequency() -> Strategy[m.Frequency]:
    return st.builds(m.Frequency, scale=_SCALES)


def therm() -> Strategy[m.Therm]:
    return st.builds(m.Therm, scale=_SCALES)


def temperature() -> Strategy[m.Temperature]:
    return st.builds(m.Temperature, units=st.sampled_from(m.TemperatureUnit), scale=_SCALES)


def currency_unit() -> Strategy[m.CurrencyUnit]:
    """Any kind, code and description (a description equal to the kind's default becomes None)."""
    return st.builds(
        m.CurrencyUnit,
        kind=st.sampled_from(m.CurrencyKind),
        code=st.sampled_from(m.CurrencyCode),
        scale=_SCALES,
        description=optional(st.sampled_from(m.CurrencyItemDescription)),
    )


def pulse_count() -> Strategy[m.PulseCount]:
    return st.builds(m.PulseCount, pulse_factor=float_values())


def custom_unit() -> Strategy[m.CustomUnit]:
    return st.builds(m.CustomUnit, item_description=xml_text(), item_units=xml_text(), scale=_SCALES)


def item_base() -> Strategy[m.ItemBase]:
    """Any unit of measure: every class of the ``emix:itemBase`` substitution group we model."""
    return st.one_of(
        power_real(),
        power_reactive(),
        power_apparent(),
        energy_real(),
        energy_reactive(),
        energy_apparent(),
        voltage(),
        current(),
        frequency(),
        therm(),
        temperature(),
        currency_unit(),
        pulse_count(),
        custom_unit(),
    )


# --- events (model/event.py) ------------------------------------------------------------------


def event_descriptor() -> Strategy[m.EventDescriptor]:
    return st.builds(
        m.EventDescriptor,
        event_id=xml_text(),
        modification_number=unsigned_ints(),
        market_context=market_contexts(),
        created_date_time=aware_datetimes(),
        event_status=st.sampled_from(m.EventStatus),
        modification_date_time=optional(aware_datetimes()),
        modification_reason=optional(xml_text()),
        priority=optional(unsigned_ints()),
        test_event=optional(st.sampled_from(["false", "true", " false "]) | xml_text()),
        vtn_comment=optional(xml_text()),
    )


def ei_active_period() -> Strategy[m.EiActivePeriod]:
    return _properties_of(m.EiActivePeriod)


def signal_interval() -> Strategy[m.SignalInterval]:
    return st.builds(
        m.SignalInterval,
        payloads=few(payload_base(), min_size=1, max_size=2),
        duration=optional(durations()),
        uid=optional(xml_text()),
        dtstart=optional(aware_datetimes()),
    )


def ei_event_signal() -> Strategy[m.EiEventSignal]:
    return st.builds(
        m.EiEventSignal,
        intervals=few(signal_interval(), min_size=1, max_size=4),
        signal_name=extensible(m.SignalName),
        signal_type=st.sampled_from(m.SignalType),
        signal_id=xml_text(),
        target=optional(ei_target()),
        item_base=optional(item_base()),
        current_value=optional(float_values()),
    )


def ei_event_baseline() -> Strategy[m.EiEventBaseline]:
    return st.builds(
        m.EiEventBaseline,
        dtstart=aware_datetimes(),
        duration=durations(),
        intervals=few(signal_interval(), min_size=1, max_size=3),
        baseline_id=xml_text(),
        baseline_name=xml_text(),
        resource_ids=few(xml_text()),
        item_base=optional(item_base()),
    )


def ei_event() -> Strategy[m.EiEvent]:
    return st.builds(
        m.EiEvent,
        event_descriptor=event_descriptor(),
        active_period=ei_active_period(),
        signals=few(ei_event_signal(), min_size=1, max_size=2),
        target=ei_target(),
        baseline=optional(ei_event_baseline()),
    )


def oadr_event() -> Strategy[m.OadrEvent]:
    return st.builds(m.OadrEvent, ei_event=ei_event(), response_required=st.sampled_from(m.ResponseRequired))


def oadr_distribute_event() -> Strategy[m.OadrDistributeEvent]:
    return st.builds(
        m.OadrDistributeEvent,
        request_id=xml_text(),
        vtn_id=xml_text(),
        events=few(oadr_event(), max_size=2),
        ei_response=optional(ei_response()),
    )


def event_response() -> Strategy[m.EventResponse]:
    return st.builds(
        m.EventResponse,
        response_code=response_codes(),
        request_id=xml_text(),
        qualified_event_id=qualified_event_id(),
        opt_type=st.sampled_from(m.OptType),
        response_description=optional(xml_text()),
    )


def oadr_created_event() -> Strategy[m.OadrCreatedEvent]:
    return st.builds(
        m.OadrCreatedEvent,
        ei_response=ei_response(),
        ven_id=xml_text(),
        event_responses=few(event_response()),
    )


def oadr_request_event() -> Strategy[m.OadrRequestEvent]:
    return st.builds(
        m.OadrRequestEvent, request_id=xml_text(), ven_id=xml_text(), reply_limit=optional(unsigned_ints())
    )


# --- opt (model/opt.py) -----------------------------------------------------------------------


def available() -> Strategy[m.Available]:
    return _properties_of(m.Available)


def oadr_create_opt() -> Strategy[m.OadrCreateOpt]:
    """Both forms: an opt schedule (possibly with no periods) and a per-event opt, or both at once."""
    return st.builds(
        m.OadrCreateOpt,
        opt_id=xml_text(),
        opt_type=st.sampled_from(m.OptType),
        opt_reason=extensible(m.OptReason),
        ven_id=xml_text(),
        created_date_time=aware_datetimes(),
        request_id=xml_text(),
        target=ei_target(),
        market_context=optional(market_contexts()),
        availability=optional(few(available())),
        qualified_event_id=optional(qualified_event_id()),
        device_class=optional(ei_target()),
    )


def oadr_created_opt() -> Strategy[m.OadrCreatedOpt]:
    return st.builds(m.OadrCreatedOpt, ei_response=ei_response(), opt_id=xml_text())


def oadr_cancel_opt() -> Strategy[m.OadrCancelOpt]:
    return st.builds(m.OadrCancelOpt, request_id=xml_text(), opt_id=xml_text(), ven_id=xml_text())


def oadr_canceled_opt() -> Strategy[m.OadrCanceledOpt]:
    return st.builds(m.OadrCanceledOpt, ei_response=ei_response(), opt_id=optional(xml_text()))


# --- registration and poll (model/registration.py) --------------------------------------------


def oadr_query_registration() -> Strategy[m.OadrQueryRegistration]:
    return st.builds(m.OadrQueryRegistration, request_id=xml_text())


def oadr_create_party_registration() -> Strategy[m.OadrCreatePartyRegistration]:
    return st.builds(
        m.OadrCreatePartyRegistration,
        request_id=xml_text(),
        profile_name=st.sampled_from(m.ProfileName),
        transport_name=st.sampled_from(m.TransportName),
        report_only=st.booleans(),
        xml_signature=st.booleans(),
        registration_id=optional(xml_text()),
        ven_id=optional(xml_text()),
        transport_address=optional(xml_text()),
        ven_name=optional(xml_text()),
        http_pull_model=optional(st.booleans()),
    )


def oadr_profile() -> Strategy[m.OadrProfile]:
    return st.builds(
        m.OadrProfile,
        profile_name=st.sampled_from(m.ProfileName),
        transports=few(st.sampled_from(m.TransportName), min_size=1),
    )


def oadr_info() -> Strategy[m.OadrInfo]:
    return st.builds(m.OadrInfo, key=xml_text(), value=xml_text())


def oadr_service() -> Strategy[m.OadrService]:
    return st.builds(
        m.OadrService, service_name=st.sampled_from(m.ServiceName), info=few(oadr_info(), min_size=1)
    )


def oadr_extension() -> Strategy[m.OadrExtension]:
    return st.builds(m.OadrExtension, name=xml_text(), info=few(oadr_info()))


def oadr_created_party_registration() -> Strategy[m.OadrCreatedPartyRegistration]:
    """Service info and extensions absent, present but empty, or present with items."""
    return st.builds(
        m.OadrCreatedPartyRegistration,
        ei_response=ei_response(),
        vtn_id=xml_text(),
        profiles=few(oadr_profile(), min_size=1),
        registration_id=optional(xml_text()),
        ven_id=optional(xml_text()),
        requested_poll_freq=optional(durations()),
        service_specific_info=optional(few(oadr_service())),
        extensions=optional(few(oadr_extension())),
    )


def oadr_cancel_party_registration() -> Strategy[m.OadrCancelPartyRegistration]:
    return st.builds(
        m.OadrCancelPartyRegistration,
        request_id=xml_text(),
        registration_id=xml_text(),
        ven_id=optional(xml_text()),
    )


def oadr_canceled_party_registration() -> Strategy[m.OadrCanceledPartyRegistration]:
    return st.builds(
        m.OadrCanceledPartyRegistration,
        ei_response=ei_response(),
        registration_id=optional(xml_text()),
        ven_id=optional(xml_text()),
    )


def oadr_request_reregistration() -> Strategy[m.OadrRequestReregistration]:
    return st.builds(m.OadrRequestReregistration, ven_id=xml_text())


def oadr_poll() -> Strategy[m.OadrPoll]:
    return st.builds(m.OadrPoll, ven_id=xml_text())


# --- reports (model/report.py) ----------------------------------------------------------------


def oadr_sampling_rate() -> Strategy[m.OadrSamplingRate]:
    return st.builds(
        m.OadrSamplingRate, min_period=durations(), max_period=durations(), on_change=st.booleans()
    )


def oadr_report_description() -> Strategy[m.OadrReportDescription]:
    return st.builds(
        m.OadrReportDescription,
        r_id=xml_text(),
        report_type=extensible(m.ReportType),
        reading_type=extensible(m.ReadingType),
        report_subject=optional(ei_target()),
        report_data_source=optional(ei_target()),
        item_base=optional(item_base()),
        market_context=optional(market_contexts()),
        sampling_rate=optional(oadr_sampling_rate()),
    )


def oadr_report_payload() -> Strategy[m.OadrReportPayload]:
    return st.builds(
        m.OadrReportPayload,
        r_id=xml_text(),
        payload=payload_base(),
        confidence=optional(st.integers(min_value=0, max_value=100)),
        accuracy=optional(float_values()),
        data_quality=optional(extensible(m.DataQuality)),
    )


def report_interval() -> Strategy[m.ReportInterval]:
    return st.builds(
        m.ReportInterval,
        payloads=few(oadr_report_payload(), min_size=1, max_size=2),
        dtstart=optional(aware_datetimes()),
        duration=optional(durations()),
        uid=optional(xml_text()),
    )


def oadr_report() -> Strategy[m.OadrReport]:
    """METADATA (descriptions), data (intervals), or both at once, as the schema allows."""
    return st.builds(
        m.OadrReport,
        report_request_id=xml_text(),
        report_specifier_id=xml_text(),
        created_date_time=aware_datetimes(),
        report_name=optional(extensible(m.ReportName)),
        ei_report_id=optional(xml_text()),
        descriptions=few(oadr_report_description(), max_size=2),
        dtstart=optional(aware_datetimes()),
        duration=optional(durations()),
        intervals=few(report_interval()),
    )


def specifier_payload() -> Strategy[m.SpecifierPayload]:
    return st.builds(
        m.SpecifierPayload,
        r_id=xml_text(),
        reading_type=extensible(m.ReadingType),
        item_base=optional(item_base()),
    )


def report_specifier() -> Strategy[m.ReportSpecifier]:
    return st.builds(
        m.ReportSpecifier,
        report_specifier_id=xml_text(),
        granularity=durations(),
        report_back_duration=durations(),
        specifier_payloads=few(specifier_payload(), min_size=1),
        report_interval=optional(properties()),
    )


def oadr_report_request() -> Strategy[m.OadrReportRequest]:
    return st.builds(m.OadrReportRequest, report_request_id=xml_text(), report_specifier=report_specifier())


def oadr_register_report() -> Strategy[m.OadrRegisterReport]:
    return st.builds(
        m.OadrRegisterReport,
        request_id=xml_text(),
        reports=few(oadr_report(), max_size=2),
        ven_id=optional(xml_text()),
        report_request_id=optional(xml_text()),
    )


def oadr_registered_report() -> Strategy[m.OadrRegisteredReport]:
    return st.builds(
        m.OadrRegisteredReport,
        ei_response=ei_response(),
        report_requests=few(oadr_report_request(), max_size=2),
        ven_id=optional(xml_text()),
    )


def oadr_create_report() -> Strategy[m.OadrCreateReport]:
    return st.builds(
        m.OadrCreateReport,
        request_id=xml_text(),
        report_requests=few(oadr_report_request(), min_size=1, max_size=2),
        ven_id=optional(xml_text()),
    )


def oadr_created_report() -> Strategy[m.OadrCreatedReport]:
    return st.builds(
        m.OadrCreatedReport,
        ei_response=ei_response(),
        pending_reports=few(xml_text()),
        ven_id=optional(xml_text()),
    )


def oadr_update_report() -> Strategy[m.OadrUpdateReport]:
    return st.builds(
        m.OadrUpdateReport,
        request_id=xml_text(),
        reports=few(oadr_report(), max_size=2),
        ven_id=optional(xml_text()),
    )


def oadr_cancel_report() -> Strategy[m.OadrCancelReport]:
    return st.builds(
        m.OadrCancelReport,
        request_id=xml_text(),
        report_request_ids=few(xml_text(), min_size=1),
        report_to_follow=st.booleans(),
        ven_id=optional(xml_text()),
    )


def oadr_updated_report() -> Strategy[m.OadrUpdatedReport]:
    return st.builds(
        m.OadrUpdatedReport,
        ei_response=ei_response(),
        cancel_report=optional(oadr_cancel_report()),
        ven_id=optional(xml_text()),
    )


def oadr_canceled_report() -> Strategy[m.OadrCanceledReport]:
    return st.builds(
        m.OadrCanceledReport,
        ei_response=ei_response(),
        pending_reports=few(xml_text()),
        ven_id=optional(xml_text()),
    )


# --- messages ---------------------------------------------------------------------------------

MESSAGE_STRATEGIES: dict[type[m.Payload], Callable[[], Strategy[m.Payload]]] = {
    m.OadrDistributeEvent: oadr_distribute_event,
    m.OadrCreatedEvent: oadr_created_event,
    m.OadrRequestEvent: oadr_request_event,
    m.OadrResponse: oadr_response,
    m.OadrCancelOpt: oadr_cancel_opt,
    m.OadrCanceledOpt: oadr_canceled_opt,
    m.OadrCreateOpt: oadr_create_opt,
    m.OadrCreatedOpt: oadr_created_opt,
    m.OadrCancelReport: oadr_cancel_report,
    m.OadrCanceledReport: oadr_canceled_report,
    m.OadrCreateReport: oadr_create_report,
    m.OadrCreatedReport: oadr_created_report,
    m.OadrRegisterReport: oadr_register_report,
    m.OadrRegisteredReport: oadr_registered_report,
    m.OadrUpdateReport: oadr_update_report,
    m.OadrUpdatedReport: oadr_updated_report,
    m.OadrCancelPartyRegistration: oadr_cancel_party_registration,
    m.OadrCanceledPartyRegistration: oadr_canceled_party_registration,
    m.OadrCreatePartyRegistration: oadr_create_party_registration,
    m.OadrCreatedPartyRegistration: oadr_created_party_registration,
    m.OadrRequestReregistration: oadr_request_reregistration,
    m.OadrQueryRegistration: oadr_query_registration,
    m.OadrPoll: oadr_poll,
}
"""Each of the 23 message classes, in ``PAYLOAD_TYPES`` order, to its strategy."""


def message(payload_type: type[m.Payload]) -> Strategy[m.Payload]:
    """Valid documents of one message type: its strategy, with gml:ids unique per document."""
    return MESSAGE_STRATEGIES[payload_type]().filter(has_unique_gml_ids)


def payloads() -> Strategy[m.Payload]:
    """Any of the 23 messages."""
    return st.one_of([message(payload_type) for payload_type in m.PAYLOAD_TYPES])
