"""EV chargers behind a VEN: an OCPP central system and a charger simulator (extra ``evse``).

`CentralSystem` is an OCPP 2.0.1 and 1.6 central system that chargers connect to; it sends them
power limits (`ChargerSchedule`, as max-profiles) and collects their meter values
(`MeterSample`). `SimulatedCharger` is a charger to try it on. Needs
``pip install 'openadr-accel[evse]'`` (the ``ocpp`` and ``websockets`` packages).
"""

from openadr_accel.evse import _deps  # noqa: F401  (first: says how to install the extra)
from openadr_accel.evse.central_system import CentralSystem, ChargerConnected, MeterValuesReceived
from openadr_accel.evse.limits import (
    ChargerSchedule,
    ChargingPeriod,
    MeterSample,
    OcppVersion,
    ProfileOutcome,
)
from openadr_accel.evse.simulator import SimulatedCharger

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
]
