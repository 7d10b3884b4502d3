"""The reports a VEN offers: its data points, where their values come from, and their METADATA.

A :class:`ReportCapability` is one report the VEN offers (one METADATA report of its
oadrRegisterReport); each :class:`DataPoint` is one rID of it, with the async callable that reads
its current value. The three helpers build the reports an EV charger typically offers::

    helper             report name       rIDs (defaults)          reportType        itemBase
    -----------------  ----------------  -----------------------  ----------------  ----------
    telemetry_usage    TELEMETRY_USAGE   power, energy            usage, usage      powerReal, energyReal
    telemetry_status   TELEMETRY_STATUS  status                   x-resourceStatus  (none)
    history_usage      HISTORY_USAGE     energy (and/or power)    usage             energyReal, powerReal

Example::

    async def read_power() -> Decimal: ...
    async def read_energy() -> Decimal: ...
    async def read_status() -> OadrPayloadResourceStatus: ...

    capabilities = [
        telemetry_usage("telemetry", power=read_power, energy=read_energy),
        telemetry_status("status", status=read_status),
        history_usage("history", energy=read_energy, duration=timedelta(days=1)),
    ]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ..model import (
    EiTarget,
    EnergyReal,
    ItemBase,
    OadrPayloadResourceStatus,
    OadrReport,
    OadrReportDescription,
    OadrSamplingRate,
    PowerAttributes,
    PowerReal,
    ReadingType,
    ReportName,
    ReportType,
    SiScaleCode,
)

__all__ = [
    "DEFAULT_POWER_ATTRIBUTES",
    "DataPoint",
    "DataSource",
    "DataValue",
    "ReportCapability",
    "history_usage",
    "telemetry_status",
    "telemetry_usage",
]

DataValue = Decimal | float | int | OadrPayloadResourceStatus
"""What a data source returns: a number (carried as ``ei:payloadFloat``) or a resource status."""

DataSource = Callable[[], Awaitable[DataValue]]
"""An async callable that reads a data point's current value."""

DEFAULT_POWER_ATTRIBUTES = PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True)
"""Power attributes the helpers use unless told otherwise: 230 V, 50 Hz, AC."""

_METADATA_PREFIX = "METADATA_"


@dataclass(frozen=True, slots=True, kw_only=True)
class DataPoint:
    """One data point (rID) of a report the VEN offers.

    Attributes:
        r_id: the point's ID, unique within its report.
        read: reads the current value. It may raise: the VEN logs it and leaves the point out of
            that round (see :class:`~openadr_accel.ven.reports.VenReports`).
        item_base: the unit (``PowerReal(...)``, ``EnergyReal(...)``, ...); None for a status.
        min_period: the ``oadrSamplingRate``'s ``oadrMinPeriod`` offered; for a HISTORY_USAGE
            point, also how often it is sampled into the history buffer.
        max_period: the ``oadrSamplingRate``'s ``oadrMaxPeriod`` offered.
        on_change: advertised as ``onChange``; the VEN does not report on change by itself.
    """

    r_id: str
    read: DataSource
    report_type: ReportType
    reading_type: ReadingType
    item_base: ItemBase | None = None
    min_period: timedelta = timedelta(seconds=10)
    max_period: timedelta = timedelta(minutes=60)
    on_change: bool = False
    report_data_source: EiTarget | None = None
    market_context: str | None = None

    def __post_init__(self) -> None:
        if not self.r_id:
            raise ValueError("a data point needs an rID")
        if self.min_period <= timedelta(0):
            raise ValueError(f"min_period of {self.r_id!r} must be positive, got {self.min_period}")
        if self.max_period < self.min_period:
            raise ValueError(f"max_period of {self.r_id!r} is shorter than its min_period")

    def description(self) -> OadrReportDescription:
        """The point as described in a METADATA report (``oadr:oadrReportDescription``)."""
        return OadrReportDescription(
            r_id=self.r_id,
            report_type=self.report_type,
            reading_type=self.reading_type,
            report_data_source=self.report_data_source,
            item_base=self.item_base,
            market_context=self.market_context,
            sampling_rate=OadrSamplingRate(
                min_period=self.min_period, max_period=self.max_period, on_change=self.on_change
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportCapability:
    """One report the VEN offers.

    Attributes:
        report_specifier_id: the report's ID; the VTN's requests name it. Not ``"METADATA"``.
        name: the data report's name (``TELEMETRY_USAGE``, ``TELEMETRY_STATUS``,
            ``HISTORY_USAGE``, ...); the METADATA report is named ``METADATA_`` + this name.
        points: the data points, rIDs unique.
        duration: the report's ``duration`` in the METADATA report; for HISTORY_USAGE, how far
            back the history goes.
    """

    report_specifier_id: str
    name: ReportName
    points: tuple[DataPoint, ...]
    duration: timedelta | None = None

    def __post_init__(self) -> None:
        if not self.report_specifier_id or self.report_specifier_id == "METADATA":
            raise ValueError(f"invalid reportSpecifierID {self.report_specifier_id!r}")
        if self.name.value.startswith(_METADATA_PREFIX):
            raise ValueError(f"name the data report, not its METADATA report: {self.name}")
        try:
            ReportName(_METADATA_PREFIX + self.name.value)
        except ValueError:
            raise ValueError(f"report name {self.name!r} has no METADATA_ name") from None
        if not self.points:
            raise ValueError(f"report {self.report_specifier_id!r} has no data points")
        r_ids = [point.r_id for point in self.points]
        if len(set(r_ids)) != len(r_ids):
            raise ValueError(f"rIDs of report {self.report_specifier_id!r} must differ: {r_ids}")

    @property
    def metadata_name(self) -> ReportName:
        """The METADATA report's name (``METADATA_TELEMETRY_USAGE``, ...)."""
        return ReportName(_METADATA_PREFIX + self.name.value)

    @property
    def is_history(self) -> bool:
        """Whether requests are answered from the history buffer (HISTORY_USAGE)."""
        return self.name == ReportName.HISTORY_USAGE

    def point(self, r_id: str) -> DataPoint | None:
        """The data point with this rID, if the report has one."""
        for point in self.points:
            if point.r_id == r_id:
                return point
        return None

    def metadata(self, *, report_request_id: str, created: datetime) -> OadrReport:
        """The METADATA report describing this capability (one ``oadrReport`` of an
        oadrRegisterReport)."""
        return OadrReport(
            report_request_id=report_request_id,
            report_specifier_id=self.report_specifier_id,
            created_date_time=created,
            report_name=self.metadata_name,
            duration=self.duration,
            descriptions=tuple(point.description() for point in self.points),
        )


def _usage_points(
    *,
    power: DataSource | None,
    energy: DataSource | None,
    power_r_id: str,
    energy_r_id: str,
    power_attributes: PowerAttributes,
    power_scale: SiScaleCode,
    energy_scale: SiScaleCode,
    min_period: timedelta,
    max_period: timedelta,
    data_source: EiTarget | None,
    market_context: str | None,
) -> tuple[DataPoint, ...]:
    points = []
    if power is not None:
        points.append(
            DataPoint(
                r_id=power_r_id,
                read=power,
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                item_base=PowerReal(attributes=power_attributes, scale=power_scale),
                min_period=min_period,
                max_period=max_period,
                report_data_source=data_source,
                market_context=market_context,
            )
        )
    if energy is not None:
        points.append(
            DataPoint(
                r_id=energy_r_id,
                read=energy,
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                item_base=EnergyReal(scale=energy_scale),
                min_period=min_period,
                max_period=max_period,
                report_data_source=data_source,
                market_context=market_context,
            )
        )
    if not points:
        raise ValueError("give a power or an energy data source (or both)")
    return tuple(points)


def telemetry_usage(
    report_specifier_id: str,
    *,
    power: DataSource | None = None,
    energy: DataSource | None = None,
    power_r_id: str = "power",
    energy_r_id: str = "energy",
    power_attributes: PowerAttributes = DEFAULT_POWER_ATTRIBUTES,
    power_scale: SiScaleCode = SiScaleCode.NONE,
    energy_scale: SiScaleCode = SiScaleCode.NONE,
    min_period: timedelta = timedelta(seconds=10),
    max_period: timedelta = timedelta(minutes=60),
    data_source: EiTarget | None = None,
    market_context: str | None = None,
    duration: timedelta | None = None,
) -> ReportCapability:
    """A TELEMETRY_USAGE report: real power (W, ``powerReal``) and/or real energy (Wh,
    ``energyReal``), both reportType ``usage``, readingType ``Direct Read``.

    Raises:
        ValueError: neither ``power`` nor ``energy`` given.
    """
    return ReportCapability(
        report_specifier_id=report_specifier_id,
        name=ReportName.TELEMETRY_USAGE,
        points=_usage_points(
            power=power,
            energy=energy,
            power_r_id=power_r_id,
            energy_r_id=energy_r_id,
            power_attributes=power_attributes,
            power_scale=power_scale,
            energy_scale=energy_scale,
            min_period=min_period,
            max_period=max_period,
            data_source=data_source,
            market_context=market_context,
        ),
        duration=duration,
    )


def telemetry_status(
    report_specifier_id: str,
    *,
    status: DataSource,
    r_id: str = "status",
    min_period: timedelta = timedelta(seconds=10),
    max_period: timedelta = timedelta(minutes=60),
    data_source: EiTarget | None = None,
    market_context: str | None = None,
    duration: timedelta | None = None,
) -> ReportCapability:
    """A TELEMETRY_STATUS report with one point of reportType ``x-resourceStatus`` and
    readingType ``x-notApplicable``; ``status`` returns an
    :class:`~openadr_accel.model.OadrPayloadResourceStatus` (online, manual override, load
    control state)."""
    return ReportCapability(
        report_specifier_id=report_specifier_id,
        name=ReportName.TELEMETRY_STATUS,
        points=(
            DataPoint(
                r_id=r_id,
                read=status,
                report_type=ReportType.RESOURCE_STATUS,
                reading_type=ReadingType.NOT_APPLICABLE,
                min_period=min_period,
                max_period=max_period,
                report_data_source=data_source,
                market_context=market_context,
            ),
        ),
        duration=duration,
    )


def history_usage(
    report_specifier_id: str,
    *,
    energy: DataSource | None = None,
    power: DataSource | None = None,
    energy_r_id: str = "energy",
    power_r_id: str = "power",
    power_attributes: PowerAttributes = DEFAULT_POWER_ATTRIBUTES,
    power_scale: SiScaleCode = SiScaleCode.NONE,
    energy_scale: SiScaleCode = SiScaleCode.NONE,
    sampling_period: timedelta = timedelta(minutes=1),
    max_period: timedelta = timedelta(minutes=60),
    data_source: EiTarget | None = None,
    market_context: str | None = None,
    duration: timedelta | None = None,
) -> ReportCapability:
    """A HISTORY_USAGE report: energy and/or power sampled every ``sampling_period`` into the
    VEN's history buffer (:meth:`~openadr_accel.ven.reports.VenReports.sample`), and sent from
    it when the VTN asks.

    Raises:
        ValueError: neither ``power`` nor ``energy`` given.
    """
    return ReportCapability(
        report_specifier_id=report_specifier_id,
        name=ReportName.HISTORY_USAGE,
        points=_usage_points(
            power=power,
            energy=energy,
            power_r_id=power_r_id,
            energy_r_id=energy_r_id,
            power_attributes=power_attributes,
            power_scale=power_scale,
            energy_scale=energy_scale,
            min_period=sampling_period,
            max_period=max_period,
            data_source=data_source,
            market_context=market_context,
        ),
        duration=duration,
    )
