"""The vocabularies of OpenADR 2.0b, one :class:`~enum.StrEnum` each.

Closed vocabularies accept only their members. Open vocabularies (the schema's unions with
``EiExtensionTokenType``) also accept custom tokens that start with ``x-``: ``SignalName("x-myName")``
returns a member-like value of the enum whose :attr:`~ExtensibleEnum.is_extension` is true. Custom
tokens are never added to the enum, so a peer cannot grow it. Every value compares equal to its
wire text (``SignalName.SIMPLE == "SIMPLE"``).

Member docstrings quote the schema's annotations where it has them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Self

from ._validation import collapse_whitespace

__all__ = [
    "DataQuality",
    "EventStatus",
    "ExtensibleEnum",
    "OptReason",
    "OptType",
    "PowerUnit",
    "ProfileName",
    "ReadingType",
    "ReportName",
    "ReportType",
    "ResponseCode",
    "ResponseRequired",
    "ServiceName",
    "SignalName",
    "SignalType",
    "SiScaleCode",
    "TemperatureUnit",
    "TransportName",
]

_EXTENSION_TOKEN = re.compile(r"x-[^ ].*", re.DOTALL)  # after collapse_whitespace()
_RESPONSE_CODE = re.compile(r"[0-9]{3}")


class ExtensibleEnum(StrEnum):
    """A vocabulary that admits values beyond its members.

    Subclasses say which values they admit by overriding :meth:`accepts_extension`; the default
    admits the schema's extension tokens (``x-`` followed by at least one non-blank character).
    Values are ``xs:token``: whitespace is collapsed first, so ``SignalName("x-a  b")`` is
    ``SignalName("x-a b")`` and ``SignalName(" SIMPLE ")`` is ``SignalName.SIMPLE``.
    """

    @classmethod
    def accepts_extension(cls, value: str) -> bool:
        """Whether ``value`` is an admissible non-member value of this vocabulary."""
        return _EXTENSION_TOKEN.fullmatch(value) is not None

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        token = collapse_whitespace(value)
        member = cls._value2member_map_.get(token)
        if member is not None:
            return member  # type: ignore[return-value]
        if cls.accepts_extension(token):
            extension = str.__new__(cls, token)
            extension._name_ = token
            extension._value_ = token
            return extension
        return None

    @property
    def is_extension(self) -> bool:
        """True for a custom value that is not one of the vocabulary's members."""
        return self._name_ not in type(self).__members__

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return type(self), (self._value_,)


class EventStatus(StrEnum):
    """State of an event (``ei:eventStatus``)."""

    NONE = "none"
    """No event pending."""
    FAR = "far"
    """Event pending in the far future (typically the next day; depends on the market context)."""
    NEAR = "near"
    """Event pending in the near future (how near depends on the market context)."""
    ACTIVE = "active"
    """The event has been initiated and is currently active."""
    COMPLETED = "completed"
    """The event has completed."""
    CANCELLED = "cancelled"
    """The event has been canceled."""


class SignalName(ExtensibleEnum):
    """Descriptive name of an event signal (``ei:signalName``); ``x-`` names are allowed."""

    SIMPLE = "SIMPLE"
    """Simple levels (OpenADR 2.0a compliant)."""
    SIMPLE_LOWERCASE = "simple"
    """Deprecated: for backwards compatibility with the A profile."""
    ELECTRICITY_PRICE = "ELECTRICITY_PRICE"
    """This is the cost of electricity."""
    ENERGY_PRICE = "ENERGY_PRICE"
    """This is the cost of energy."""
    DEMAND_CHARGE = "DEMAND_CHARGE"
    """This is the demand charge."""
    BID_PRICE = "BID_PRICE"
    """This is the price that was bid by the resource."""
    BID_LOAD = "BID_LOAD"
    """This is the amount of load that was bid by a resource into a program."""
    BID_ENERGY = "BID_ENERGY"
    """This is the amount of energy from a resource that was bid into a program."""
    CHARGE_STATE = "CHARGE_STATE"
    """State of energy storage resource."""
    LOAD_DISPATCH = "LOAD_DISPATCH"
    """This is used to dispatch load."""
    LOAD_CONTROL = "LOAD_CONTROL"
    """Set load output to relative values."""


class SignalType(StrEnum):
    """How a signal's payload values are to be read (``ei:signalType``)."""

    DELTA = "delta"
    """Signal indicates the amount to change from what one would have used without the signal."""
    LEVEL = "level"
    """Signal indicates a program level."""
    MULTIPLIER = "multiplier"
    """Signal indicates a multiplier applied to the current rate of delivery or usage."""
    PRICE = "price"
    """Signal indicates the price."""
    PRICE_MULTIPLIER = "priceMultiplier"
    """Signal indicates the price multiplier."""
    PRICE_RELATIVE = "priceRelative"
    """Signal indicates the relative price."""
    SETPOINT = "setpoint"
    """Signal indicates a target amount of units."""
    LOAD_CONTROL_CAPACITY = "x-loadControlCapacity"
    """Operate at a percentage of the load controller's maximum consumption capacity."""
    LOAD_CONTROL_LEVEL_OFFSET = "x-loadControlLevelOffset"
    """Discrete integer levels relative to normal operations, where 0 is normal operations."""
    LOAD_CONTROL_PERCENT_OFFSET = "x-loadControlPercentOffset"
    """Percentage change from normal load control operations."""
    LOAD_CONTROL_SETPOINT = "x-loadControlSetpoint"
    """Load controller set points."""


class ResponseRequired(StrEnum):
    """When a VEN must answer an event with oadrCreatedEvent (``oadr:oadrResponseRequired``)."""

    ALWAYS = "always"
    """Always send a response for every event received."""
    NEVER = "never"
    """Never respond."""


class OptType(StrEnum):
    """Opt in or out (``ei:optType``)."""

    OPT_IN = "optIn"
    OPT_OUT = "optOut"


class OptReason(ExtensibleEnum):
    """Reason for opting (``ei:optReason``); ``x-`` reasons are allowed."""

    ECONOMIC = "economic"
    EMERGENCY = "emergency"
    MUST_RUN = "mustRun"
    NOT_PARTICIPATING = "notParticipating"
    OUTAGE_RUN_STATUS = "outageRunStatus"
    OVERRIDE_STATUS = "overrideStatus"
    PARTICIPATING = "participating"
    SCHEDULE = "x-schedule"


class ReportName(ExtensibleEnum):
    """Name of a report (``ei:reportName``); ``x-`` names are allowed."""

    METADATA_HISTORY_USAGE = "METADATA_HISTORY_USAGE"
    HISTORY_USAGE = "HISTORY_USAGE"
    METADATA_HISTORY_GREENBUTTON = "METADATA_HISTORY_GREENBUTTON"
    HISTORY_GREENBUTTON = "HISTORY_GREENBUTTON"
    METADATA_TELEMETRY_USAGE = "METADATA_TELEMETRY_USAGE"
    TELEMETRY_USAGE = "TELEMETRY_USAGE"
    METADATA_TELEMETRY_STATUS = "METADATA_TELEMETRY_STATUS"
    TELEMETRY_STATUS = "TELEMETRY_STATUS"


class ReportType(ExtensibleEnum):
    """What a report data point represents (``ei:reportType``); ``x-`` types are allowed."""

    READING = "reading"
    """A reading, as from a meter: a moment in time."""
    USAGE = "usage"
    """An amount of units over a period (typically real energy)."""
    DEMAND = "demand"
    """An amount of units (typically real power)."""
    SET_POINT = "setPoint"
    """The amount currently set."""
    DELTA_USAGE = "deltaUsage"
    """Change in usage as compared to the baseline."""
    DELTA_SET_POINT = "deltaSetPoint"
    """Changes in setpoint from previous schedule."""
    DELTA_DEMAND = "deltaDemand"
    """Change in demand as compared to the baseline."""
    BASELINE = "baseline"
    """What the measurement would be if not for the event or regulation."""
    DEVIATION = "deviation"
    """Difference between some instruction and actual state."""
    AVG_USAGE = "avgUsage"
    """Average usage over the granularity."""
    AVG_DEMAND = "avgDemand"
    """Average demand over the granularity."""
    OPERATING_STATE = "operatingState"
    """Generalized state of a resource such as on/off."""
    UP_REGULATION_CAPACITY_AVAILABLE = "upRegulationCapacityAvailable"
    """Up regulation capacity available for dispatch, in real power."""
    DOWN_REGULATION_CAPACITY_AVAILABLE = "downRegulationCapacityAvailable"
    """Down regulation capacity available for dispatch, in real power."""
    REGULATION_SETPOINT = "regulationSetpoint"
    """Regulation setpoint as instructed as part of regulation services."""
    STORED_ENERGY = "storedEnergy"
    """Stored energy, in real energy."""
    TARGET_ENERGY_STORAGE = "targetEnergyStorage"
    """Target energy, in real energy."""
    AVAILABLE_ENERGY_STORAGE = "availableEnergyStorage"
    """Capacity available for further energy storage."""
    PRICE = "price"
    """Price per item base at each interval."""
    LEVEL = "level"
    """Simple level from market at each interval."""
    POWER_FACTOR = "powerFactor"
    """Power factor for the resource."""
    PERCENT_USAGE = "percentUsage"
    """Percentage of usage."""
    PERCENT_DEMAND = "percentDemand"
    """Percentage of demand."""
    RESOURCE_STATUS = "x-resourceStatus"
    """Resource status (online, manual override, load control state)."""


class ReadingType(ExtensibleEnum):
    """Metadata about readings (``ei:readingType``); ``x-`` types are allowed."""

    DIRECT_READ = "Direct Read"
    """Read from a device that increases monotonically."""
    NET = "Net"
    """Meter or resource prepares its own calculation of total use over time."""
    ALLOCATED = "Allocated"
    """Meter covers several resources; usage is inferred by pro rata computation."""
    ESTIMATED = "Estimated"
    """Used when a reading is absent in a series in which most readings are present."""
    SUMMED = "Summed"
    """Several meters together provide the reading for this resource."""
    DERIVED = "Derived"
    """Usage is inferred through knowledge of run-time, normal operation, etc."""
    MEAN = "Mean"
    """Mean value over the period indicated in granularity."""
    PEAK = "Peak"
    """Peak (highest) value over the period indicated in granularity."""
    HYBRID = "Hybrid"
    """If aggregated, refers to different reading types in the aggregate number."""
    CONTRACT = "Contract"
    """Reading is pro forma, reported at agreed upon rates."""
    PROJECTED = "Projected"
    """Reading is in the future and has not yet been measured."""
    RMS = "x-RMS"
    """Root mean square."""
    NOT_APPLICABLE = "x-notApplicable"
    """Not applicable."""


class DataQuality(ExtensibleEnum):
    """Quality of a reported data point (``oadr:oadrDataQuality``); ``x-`` values are allowed."""

    NO_QUALITY_NO_VALUE = "No Quality - No Value"
    NO_NEW_VALUE_PREVIOUS_VALUE_USED = "No New Value - Previous Value Used"
    QUALITY_BAD_NON_SPECIFIC = "Quality Bad - Non Specific"
    QUALITY_BAD_CONFIGURATION_ERROR = "Quality Bad - Configuration Error"
    QUALITY_BAD_NOT_CONNECTED = "Quality Bad - Not Connected"
    QUALITY_BAD_DEVICE_FAILURE = "Quality Bad - Device Failure"
    QUALITY_BAD_SENSOR_FAILURE = "Quality Bad - Sensor Failure"
    QUALITY_BAD_LAST_KNOWN_VALUE = "Quality Bad - Last Known Value"
    QUALITY_BAD_COMM_FAILURE = "Quality Bad - Comm Failure"
    QUALITY_BAD_OUT_OF_SERVICE = "Quality Bad - Out of Service"
    QUALITY_UNCERTAIN_NON_SPECIFIC = "Quality Uncertain - Non Specific"
    QUALITY_UNCERTAIN_LAST_USABLE_VALUE = "Quality Uncertain - Last Usable Value"
    QUALITY_UNCERTAIN_SENSOR_NOT_ACCURATE = "Quality Uncertain - Sensor Not Accurate"
    QUALITY_UNCERTAIN_EU_UNITS_EXCEEDED = "Quality Uncertain - EU Units Exceeded"
    QUALITY_UNCERTAIN_SUB_NORMAL = "Quality Uncertain - Sub Normal"
    QUALITY_GOOD_NON_SPECIFIC = "Quality Good - Non Specific"
    QUALITY_GOOD_LOCAL_OVERRIDE = "Quality Good - Local Override"
    QUALITY_LIMIT_FIELD_NOT = "Quality Limit - Field/Not"
    QUALITY_LIMIT_FIELD_LOW = "Quality Limit - Field/Low"
    QUALITY_LIMIT_FIELD_HIGH = "Quality Limit - Field/High"
    QUALITY_LIMIT_FIELD_CONSTANT = "Quality Limit - Field/Constant"


class ResponseCode(ExtensibleEnum):
    """OpenADR response codes (``ei:responseCode``).

    The schema admits any three-digit code; the codes the 2.0b specification names are members,
    any other three-digit code is accepted as an extension (``ResponseCode("299")``).
    """

    OK = "200"
    """Success."""
    BAD_REQUEST = "400"
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    METHOD_NOT_ALLOWED = "405"
    REQUEST_TIMEOUT = "408"
    OUT_OF_SEQUENCE = "450"
    """The request is out of sequence."""
    NOT_ALLOWED = "451"
    """The request is not allowed."""
    INVALID_ID = "452"
    """An ID is not valid (unknown, mismatched or of the wrong case)."""
    NOT_RECOGNIZED = "453"
    """The request is not recognized."""
    INVALID_DATA = "454"
    """The data are not valid."""
    COMPLIANCE_ERROR = "459"
    """A compliance error."""
    SIGNAL_NOT_SUPPORTED = "460"
    """The signal is not supported."""
    REPORT_NOT_SUPPORTED = "461"
    """The report is not supported."""
    TARGET_MISMATCH = "462"
    """The target does not match."""
    NOT_REGISTERED_OR_AUTHORIZED = "463"
    """The party is not registered or not authorized."""
    DEPLOYMENT_ERROR_OTHER = "469"
    """A deployment-specific error."""
    INTERNAL_SERVER_ERROR = "500"
    NOT_IMPLEMENTED = "501"
    SERVICE_UNAVAILABLE = "503"

    @classmethod
    def accepts_extension(cls, value: str) -> bool:
        """Any three-digit code is a valid response code."""
        return _RESPONSE_CODE.fullmatch(value) is not None

    @property
    def is_success(self) -> bool:
        """True for 2xx codes."""
        return self._value_.startswith("2")


class ProfileName(StrEnum):
    """OpenADR profile (``oadr:oadrProfileName``)."""

    A = "2.0a"
    B = "2.0b"


class TransportName(StrEnum):
    """OpenADR transport (``oadr:oadrTransportName``)."""

    SIMPLE_HTTP = "simpleHttp"
    XMPP = "xmpp"


class ServiceName(StrEnum):
    """OpenADR service (``oadr:oadrServiceName``)."""

    EI_EVENT = "EiEvent"
    EI_OPT = "EiOpt"
    EI_REPORT = "EiReport"
    EI_REGISTER_PARTY = "EiRegisterParty"
    OADR_POLL = "OadrPoll"


class SiScaleCode(StrEnum):
    """SI scale prefix of a unit (``scale:siScaleCode``)."""

    PICO = "p"
    NANO = "n"
    MICRO = "micro"
    MILLI = "m"
    CENTI = "c"
    DECI = "d"
    KILO = "k"
    MEGA = "M"
    GIGA = "G"
    TERA = "T"
    NONE = "none"

    @property
    def exponent(self) -> int:
        """The power of ten this prefix stands for (``KILO.exponent == 3``)."""
        return _SI_EXPONENTS[self]


_SI_EXPONENTS = {
    SiScaleCode.PICO: -12,
    SiScaleCode.NANO: -9,
    SiScaleCode.MICRO: -6,
    SiScaleCode.MILLI: -3,
    SiScaleCode.CENTI: -2,
    SiScaleCode.DECI: -1,
    SiScaleCode.KILO: 3,
    SiScaleCode.MEGA: 6,
    SiScaleCode.GIGA: 9,
    SiScaleCode.TERA: 12,
    SiScaleCode.NONE: 0,
}


class PowerUnit(StrEnum):
    """Units of real power (``power:powerReal/itemUnits``)."""

    W = "W"
    J_PER_S = "J/s"


class TemperatureUnit(StrEnum):
    """Units of temperature (``oadr:temperature/itemUnits``)."""

    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"
