"""OCPP 1.6 (JSON) through the ``ocpp`` library: the central-system side and the simulated charger's side.

As in `_ocpp201`, handlers name what they use and turn it into `_wire` values at once. 1.6
meter values are strings; its transactions (StartTransaction, StopTransaction) are accepted so a
real charger can charge, and their meter readings are taken.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result, datatypes, enums
from websockets.asyncio.connection import Connection

from openadr_accel.evse._ocpp_common import WIRE_LOGGER, profile_call
from openadr_accel.evse._wire import (
    Answer,
    ClearCriteria,
    CsmsEvents,
    Reading,
    StationHooks,
    format_time,
    limit_on_wire,
    parse_meter_values,
    parse_profile,
    parse_time,
    seconds,
    typed_on,
)
from openadr_accel.evse.limits import ChargerSchedule

__all__ = ["CsmsPeer", "StationPeer"]

Action = enums.Action
MAX_PURPOSE = str(enums.ChargingProfilePurposeType.charge_point_max_profile)


class CsmsPeer(ChargePoint):  # type: ignore[misc]  # ocpp has no type information
    """The central system's end of one OCPP 1.6 connection."""

    def __init__(
        self, charger_id: str, connection: Connection, events: CsmsEvents, *, call_timeout: float
    ) -> None:
        super().__init__(
            charger_id, connection, response_timeout=call_timeout, logger=logging.getLogger(WIRE_LOGGER)
        )
        self._events = events
        self._transactions = itertools.count(1)
        self._transaction_connector: dict[int, int] = {}

    async def route_message(self, raw_msg: str | bytes) -> None:
        """Route one message as the library does, then tell the central system it was handled."""
        await super().route_message(raw_msg)
        self._events.message_handled()

    async def set_max_profile(
        self, schedule: ChargerSchedule, *, profile_id: int, stack_level: int
    ) -> Answer:
        """SetChargingProfile on connector 0: ChargePointMaxProfile, Absolute, in W."""
        charging_schedule = datatypes.ChargingSchedule(
            charging_rate_unit=enums.ChargingRateUnitType.watts,
            charging_schedule_period=[
                datatypes.ChargingSchedulePeriod(
                    start_period=seconds(p.start), limit=limit_on_wire(p.limit_w)
                )
                for p in schedule.periods
            ],
            duration=None if schedule.duration is None else seconds(schedule.duration),
            start_schedule=format_time(schedule.start),
        )
        profile = datatypes.ChargingProfile(
            charging_profile_id=profile_id,
            stack_level=stack_level,
            charging_profile_purpose=enums.ChargingProfilePurposeType.charge_point_max_profile,
            charging_profile_kind=enums.ChargingProfileKindType.absolute,
            charging_schedule=charging_schedule,
        )
        return await profile_call(self, call.SetChargingProfile(connector_id=0, cs_charging_profiles=profile))

    async def clear_max_profile(self, *, stack_level: int) -> Answer:
        """ClearChargingProfile of the ChargePointMaxProfile at that stack level on connector 0."""
        return await profile_call(
            self,
            call.ClearChargingProfile(
                connector_id=0,
                charging_profile_purpose=enums.ChargingProfilePurposeType.charge_point_max_profile,
                stack_level=stack_level,
            ),
        )

    def _now(self) -> str:
        return format_time(self._events.now())

    def _accepted_tag(self) -> Any:
        return datatypes.IdTagInfo(status=enums.AuthorizationStatus.accepted)

    @typed_on(on, Action.boot_notification)
    def _on_boot_notification(self, charge_point_vendor: str, charge_point_model: str, **_extra: Any) -> Any:
        self._events.booted(charge_point_vendor, charge_point_model, None)
        return call_result.BootNotification(
            current_time=self._now(),
            interval=self._events.heartbeat_interval(),
            status=enums.RegistrationStatus.accepted,
        )

    @typed_on(on, Action.heartbeat)
    def _on_heartbeat(self, **_extra: Any) -> Any:
        return call_result.Heartbeat(current_time=self._now())

    @typed_on(on, Action.status_notification)
    def _on_status_notification(self, connector_id: int, status: str, **_extra: Any) -> Any:
        self._events.status(connector_id, connector_id, status)
        return call_result.StatusNotification()

    @typed_on(on, Action.meter_values)
    def _on_meter_values(self, connector_id: int, meter_value: list[Any], **_extra: Any) -> Any:
        self._events.meter_values(connector_id, parse_meter_values(meter_value, received=self._events.now()))
        return call_result.MeterValues()

    @typed_on(on, Action.authorize)
    def _on_authorize(self, **_extra: Any) -> Any:
        return call_result.Authorize(id_tag_info=self._accepted_tag())

    def _register(self, connector_id: int, timestamp: object, meter_wh: object) -> None:
        at = parse_time(timestamp) or self._events.now()
        if isinstance(meter_wh, int):
            self._events.meter_values(
                connector_id, [Reading(at=at, power_w=None, energy_wh=Decimal(meter_wh))]
            )

    @typed_on(on, Action.start_transaction)
    def _on_start_transaction(
        self, connector_id: int, meter_start: int, timestamp: str, **_extra: Any
    ) -> Any:
        transaction_id = next(self._transactions)
        self._transaction_connector[transaction_id] = connector_id
        self._register(connector_id, timestamp, meter_start)
        return call_result.StartTransaction(transaction_id=transaction_id, id_tag_info=self._accepted_tag())

    @typed_on(on, Action.stop_transaction)
    def _on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        transaction_data: list[Any] | None = None,
        **_extra: Any,
    ) -> Any:
        connector_id = self._transaction_connector.pop(transaction_id, 1)
        if transaction_data:
            self._events.meter_values(
                connector_id, parse_meter_values(transaction_data, received=self._events.now())
            )
        self._register(connector_id, timestamp, meter_stop)
        return call_result.StopTransaction(id_tag_info=self._accepted_tag())


class StationPeer(ChargePoint):  # type: ignore[misc]  # ocpp has no type information
    """The simulated charger's end of an OCPP 1.6 connection (one connector)."""

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
            call.BootNotification(charge_point_model=model, charge_point_vendor=vendor), suppress=False
        )
        return str(result.status)

    async def charging(self, at: datetime) -> None:
        """Send StatusNotification: connector 1 is charging."""
        await self.call(
            call.StatusNotification(
                connector_id=1,
                error_code=enums.ChargePointErrorCode.no_error,
                status=enums.ChargePointStatus.charging,
                timestamp=format_time(at),
            ),
            suppress=False,
        )

    async def meter_values(self, at: datetime, power_w: Decimal, energy_wh: Decimal) -> None:
        """Send MeterValues for connector 1: power in W and the energy register in Wh (as strings)."""
        sampled = [
            datatypes.SampledValue(
                value=str(power_w),
                context=enums.ReadingContext.sample_periodic,
                measurand=enums.Measurand.power_active_import,
                unit=enums.UnitOfMeasure.w,
            ),
            datatypes.SampledValue(
                value=str(energy_wh),
                context=enums.ReadingContext.sample_periodic,
                measurand=enums.Measurand.energy_active_import_register,
                unit=enums.UnitOfMeasure.wh,
            ),
        ]
        await self.call(
            call.MeterValues(
                connector_id=1,
                meter_value=[datatypes.MeterValue(timestamp=format_time(at), sampled_value=sampled)],
            ),
            suppress=False,
        )

    @typed_on(on, Action.set_charging_profile)
    def _on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: Mapping[str, Any], **_extra: Any
    ) -> Any:
        profile = parse_profile(
            cs_charging_profiles,
            cs_charging_profiles.get("charging_schedule"),
            profile_id=cs_charging_profiles.get("charging_profile_id"),
            max_purpose=MAX_PURPOSE,
            now=self._hooks.now(),
        )
        return call_result.SetChargingProfile(status=self._hooks.install(profile))

    @typed_on(on, Action.clear_charging_profile)
    def _on_clear_charging_profile(
        self,
        id: int | None = None,
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
        **_extra: Any,
    ) -> Any:
        status = self._hooks.clear(
            ClearCriteria(
                profile_id=id,
                evse_id=connector_id,
                max_profile=None
                if charging_profile_purpose is None
                else charging_profile_purpose == MAX_PURPOSE,
                stack_level=stack_level,
            )
        )
        return call_result.ClearChargingProfile(status=status)
