"""OCPP 2.0.1 through the ``ocpp`` library: the central-system side and the simulated charger's side.

The library calls handlers with the payload as snake_case keyword arguments; the handlers here
name what they use, take the rest as ``**_extra`` and turn it into `_wire` values at once, so
nothing untyped goes further.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result, datatypes, enums
from websockets.asyncio.connection import Connection

from openadr_accel.evse._ocpp_common import WIRE_LOGGER, profile_call
from openadr_accel.evse._wire import (
    Answer,
    ClearCriteria,
    CsmsEvents,
    StationHooks,
    format_time,
    limit_on_wire,
    parse_meter_values,
    parse_profile,
    seconds,
    typed_on,
)
from openadr_accel.evse.limits import ChargerSchedule

__all__ = ["CsmsPeer", "StationPeer"]

Action = enums.Action
MAX_PURPOSE = str(enums.ChargingProfilePurposeEnumType.charging_station_max_profile)


class CsmsPeer(ChargePoint):  # type: ignore[misc]  # ocpp has no type information
    """The central system's end of one OCPP 2.0.1 connection."""

    def __init__(
        self, charger_id: str, connection: Connection, events: CsmsEvents, *, call_timeout: float
    ) -> None:
        super().__init__(
            charger_id, connection, response_timeout=call_timeout, logger=logging.getLogger(WIRE_LOGGER)
        )
        self._events = events
        self._transaction_evse: dict[str, int] = {}

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Route one message as the library does, then tell the central system it was handled."""
        await super().route_message(raw_msg)
        self._events.message_handled()

    async def set_max_profile(
        self, schedule: ChargerSchedule, *, profile_id: int, stack_level: int
    ) -> Answer:
        """SetChargingProfile on EVSE 0: ChargingStationMaxProfile, Absolute, in W."""
        charging_schedule = datatypes.ChargingScheduleType(
            id=profile_id,
            charging_rate_unit=enums.ChargingRateUnitEnumType.watts,
            charging_schedule_period=[
                datatypes.ChargingSchedulePeriodType(
                    start_period=seconds(p.start), limit=limit_on_wire(p.limit_w)
                )
                for p in schedule.periods
            ],
            start_schedule=format_time(schedule.start),
            duration=None if schedule.duration is None else seconds(schedule.duration),
        )
        profile = datatypes.ChargingProfileType(
            id=profile_id,
            stack_level=stack_level,
            charging_profile_purpose=enums.ChargingProfilePurposeEnumType.charging_station_max_profile,
            charging_profile_kind=enums.ChargingProfileKindEnumType.absolute,
            charging_schedule=[charging_schedule],
        )
        return await profile_call(self, call.SetChargingProfile(evse_id=0, charging_profile=profile))

    async def clear_max_profile(self, *, stack_level: int) -> Answer:
        """ClearChargingProfile of the ChargingStationMaxProfile at that stack level on EVSE 0."""
        criteria = datatypes.ClearChargingProfileType(
            evse_id=0,
            charging_profile_purpose=enums.ChargingProfilePurposeEnumType.charging_station_max_profile,
            stack_level=stack_level,
        )
        return await profile_call(self, call.ClearChargingProfile(charging_profile_criteria=criteria))

    def _now(self) -> str:
        return format_time(self._events.now())

    @typed_on(on, Action.boot_notification)
    def _on_boot_notification(self, charging_station: Mapping[str, Any], reason: str, **_extra: Any) -> Any:
        self._events.booted(
            str(charging_station.get("vendor_name")), str(charging_station.get("model")), reason
        )
        return call_result.BootNotification(
            current_time=self._now(),
            interval=self._events.heartbeat_interval(),
            status=enums.RegistrationStatusEnumType.accepted,
        )

    @typed_on(on, Action.heartbeat)
    def _on_heartbeat(self, **_extra: Any) -> Any:
        return call_result.Heartbeat(current_time=self._now())

    @typed_on(on, Action.status_notification)
    def _on_status_notification(
        self, connector_status: str, evse_id: int, connector_id: int, **_extra: Any
    ) -> Any:
        self._events.status(evse_id, connector_id, connector_status)
        return call_result.StatusNotification()

    @typed_on(on, Action.meter_values)
    def _on_meter_values(self, evse_id: int, meter_value: list[Any], **_extra: Any) -> Any:
        self._events.meter_values(evse_id, parse_meter_values(meter_value, received=self._events.now()))
        return call_result.MeterValues()

    @typed_on(on, Action.notify_report)
    def _on_notify_report(self, **_extra: Any) -> Any:
        return call_result.NotifyReport()

    @typed_on(on, Action.authorize)
    def _on_authorize(self, **_extra: Any) -> Any:
        return call_result.Authorize(
            id_token_info=datatypes.IdTokenInfoType(status=enums.AuthorizationStatusEnumType.accepted)
        )

    @typed_on(on, Action.transaction_event)
    def _on_transaction_event(
        self,
        event_type: str,
        transaction_info: Mapping[str, Any],
        meter_value: list[Any] | None = None,
        evse: Mapping[str, Any] | None = None,
        id_token: Mapping[str, Any] | None = None,
        **_extra: Any,
    ) -> Any:
        transaction_id = str(transaction_info.get("transaction_id"))
        evse_id = evse.get("id") if evse is not None else None
        if isinstance(evse_id, int):
            self._transaction_evse[transaction_id] = evse_id
        else:
            evse_id = self._transaction_evse.get(transaction_id, 1)
        if meter_value:
            self._events.meter_values(evse_id, parse_meter_values(meter_value, received=self._events.now()))
        if event_type == enums.TransactionEventEnumType.ended:
            self._transaction_evse.pop(transaction_id, None)
        if id_token is None:
            return call_result.TransactionEvent()
        return call_result.TransactionEvent(
            id_token_info=datatypes.IdTokenInfoType(status=enums.AuthorizationStatusEnumType.accepted)
        )


class StationPeer(ChargePoint):  # type: ignore[misc]  # ocpp has no type information
    """The simulated charger's end of an OCPP 2.0.1 connection (one EVSE, one connector)."""

    def __init__(
        self, charger_id: str, connection: Connection, hooks: StationHooks, *, call_timeout: float
    ) -> None:
        super().__init__(
            charger_id, connection, response_timeout=call_timeout, logger=logging.getLogger(WIRE_LOGGER)
        )
        self._hooks = hooks

    async def boot(self, *, vendor: str, model: str) -> str:
        """Send BootNotification; the registration status the central system answered."""
        result = await self.call(
            call.BootNotification(
                charging_station=datatypes.ChargingStationType(vendor_name=vendor, model=model),
                reason=enums.BootReasonEnumType.power_up,
            ),
            suppress=False,
        )
        return str(result.status)

    async def charging(self, at: datetime) -> None:
        """Send StatusNotification: the connector is occupied (an EV charges)."""
        await self.call(
            call.StatusNotification(
                timestamp=format_time(at),
                connector_status=enums.ConnectorStatusEnumType.occupied,
                evse_id=1,
                connector_id=1,
            ),
            suppress=False,
        )

    async def meter_values(self, at: datetime, power_w: Decimal, energy_wh: Decimal) -> None:
        """Send MeterValues for EVSE 1: power in W and the energy register in Wh."""
        sampled = [
            datatypes.SampledValueType(
                value=float(power_w),
                measurand=enums.MeasurandEnumType.power_active_import,
                context=enums.ReadingContextEnumType.sample_periodic,
                unit_of_measure=datatypes.UnitOfMeasureType(unit="W"),
            ),
            datatypes.SampledValueType(
                value=float(energy_wh),
                measurand=enums.MeasurandEnumType.energy_active_import_register,
                context=enums.ReadingContextEnumType.sample_periodic,
                unit_of_measure=datatypes.UnitOfMeasureType(unit="Wh"),
            ),
        ]
        await self.call(
            call.MeterValues(
                evse_id=1,
                meter_value=[datatypes.MeterValueType(timestamp=format_time(at), sampled_value=sampled)],
            ),
            suppress=False,
        )

    @typed_on(on, Action.set_charging_profile)
    def _on_set_charging_profile(
        self, evse_id: int, charging_profile: Mapping[str, Any], **_extra: Any
    ) -> Any:
        schedules = charging_profile.get("charging_schedule")
        profile = parse_profile(
            charging_profile,
            schedules[0] if isinstance(schedules, list) and schedules else None,
            profile_id=charging_profile.get("id"),
            max_purpose=MAX_PURPOSE,
            now=self._hooks.now(),
        )
        status = self._hooks.install(profile)
        return call_result.SetChargingProfile(status=status)

    @typed_on(on, Action.clear_charging_profile)
    def _on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: Mapping[str, Any] | None = None,
        **_extra: Any,
    ) -> Any:
        criteria = charging_profile_criteria or {}
        purpose = criteria.get("charging_profile_purpose")
        status = self._hooks.clear(
            ClearCriteria(
                profile_id=charging_profile_id,
                evse_id=criteria.get("evse_id"),
                max_profile=None if purpose is None else purpose == MAX_PURPOSE,
                stack_level=criteria.get("stack_level"),
            )
        )
        return call_result.ClearChargingProfile(status=status)
