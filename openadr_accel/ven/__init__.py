"""The VEN role: an OpenADR 2.0b client (registration, events, opt, reports; pull and push).

Start with :class:`VEN`: give it a :class:`VenConfig`, a store path, your :class:`VenHandlers`
and the reports you offer (:func:`telemetry_usage`, :func:`telemetry_status`,
:func:`history_usage`), then ``async with ven.running(): ...``. The pieces it is made of are
importable for those who assemble their own:

- :mod:`~openadr_accel.ven.distribution` and :mod:`~openadr_accel.ven.schedule`: reading an
  oadrDistributeEvent and an event's moments, without I/O;
- :mod:`~openadr_accel.ven.reports`: the reports a VEN serves, without I/O;
- :mod:`~openadr_accel.ven.events`, :mod:`~openadr_accel.ven.session`: the protocol;
- :mod:`~openadr_accel.ven.transport`, :mod:`~openadr_accel.ven.push`: HTTP both ways;
- :mod:`~openadr_accel.ven.store`: the SQLite file a VEN carries on from after a restart.
"""

from .config import VenConfig
from .distribution import Change, SignalFilter
from .handlers import SignalValue, VenHandlers
from .node import VEN
from .report_capabilities import (
    DataPoint,
    DataSource,
    DataValue,
    ReportCapability,
    history_usage,
    telemetry_status,
    telemetry_usage,
)
from .session import NotRegisteredError
from .store import KnownEvent, Registration, VenStore

__all__ = [
    "VEN",
    "Change",
    "DataPoint",
    "DataSource",
    "DataValue",
    "KnownEvent",
    "NotRegisteredError",
    "Registration",
    "ReportCapability",
    "SignalFilter",
    "SignalValue",
    "VenConfig",
    "VenHandlers",
    "VenStore",
    "history_usage",
    "telemetry_status",
    "telemetry_usage",
]
