"""EV chargers behind a VEN: an OCPP central system and a charger simulator (extra ``evse``).

`CentralSystem` is an OCPP 2.0.1 and 1.6 central system that chargers connect to; it sends them
power limits (`ChargerSchedule`, as max-profiles) and collects their meter values
(`MeterSample`). `SimulatedCharger` is a charger to try it on. Needs
``pip install 'openadr-accel[evse]'`` (the ``ocpp`` and ``websockets`` packages).

The OpenADR side: `LimitPolicy` turns event signals into site power limits and shares them among
the chargers; `EvseBridge` gives a VEN its handlers, signal filter and TELEMETRY_USAGE report
over a central system; `EvseSite` runs a central system, a bridge and a VEN together.
"""

from openadr_accel.evse import _deps  # noqa: F401  (first: says how to install the extra)
from openadr_accel.evse.bridge import (
    EventSeen,
    EventStage,
    EvseBridge,
    LimitsApplied,
    Notice,
    OptedOut,
    Stage,
)
from openadr_accel.evse.central_system import CentralSystem, ChargerConnected, MeterValuesReceived
from openadr_accel.evse.limits import (
    ChargerSchedule,
    ChargingPeriod,
    MeterSample,
    OcppVersion,
    ProfileOutcome,
)
from openadr_accel.evse.policy import Ceiling, LimitPolicy, PriceBand, SplitRule
from openadr_accel.evse.simulator import SimulatedCharger
from openadr_accel.evse.site import EvseSite

__all__ = [
    "CentralSystem",
    "ChargerConnected",
    "ChargerSchedule",
    "ChargingPeriod",
    "MeterSample",
    "MeterValuesReceived",
    "OcppVersion",
    "ProfileOutcome",
    "SimulatedCharger",
    # the OpenADR side
    "Ceiling",
    "EventSeen",
    "EventStage",
    "EvseBridge",
    "EvseSite",
    "LimitPolicy",
    "LimitsApplied",
    "Notice",
    "OptedOut",
    "PriceBand",
    "SplitRule",
    "Stage",
]
