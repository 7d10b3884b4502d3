"""EiReport: report capabilities (METADATA), report requests, report data and cancellations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ._validation import require_aware, require_non_empty
from .common import EiResponse, EiTarget, PayloadBase, Properties
from .enums import DataQuality, ReadingType, ReportName, ReportType
from .units import ItemBase

__all__ = [
    "METADATA_REPORT_SPECIFIER_ID",
    "UNSOLICITED_REPORT_REQUEST_ID",
    "OadrCancelReport",
    "OadrCanceledReport",
    "OadrCreateReport",
    "OadrCreatedReport",
    "OadrRegisterReport",
    "OadrRegisteredReport",
    "OadrReport",
    "OadrReportDescription",
    "OadrReportPayload",
    "OadrReportRequest",
    "OadrSamplingRate",
    "OadrUpdateReport",
    "OadrUpdatedReport",
    "ReportInterval",
    "ReportSpecifier",
    "SpecifierPayload",
]

UNSOLICITED_REPORT_REQUEST_ID = "0"
"""reportRequestID of a METADATA report that nobody asked for."""

METADATA_REPORT_SPECIFIER_ID = "METADATA"
"""reportSpecifierID of a request for the other party's METADATA reports (rule 306)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrSamplingRate:
    """How often a data point can be sampled (``oadr:oadrSamplingRate``)."""

    min_period: timedelta
    max_period: timedelta
    on_change: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrReportDescription:
    """One data point a party can report on (``oadr:oadrReportDescription``)."""

    r_id: str
    report_type: ReportType
    reading_type: ReadingType
    report_subject: EiTarget | None = None
    report_data_source: EiTarget | None = None
    item_base: ItemBase | None = None
    market_context: str | None = None
    sampling_rate: OadrSamplingRate | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrReportPayload:
    """The value of one data point in one interval (``oadr:oadrReportPayload``).

    Attributes:
        confidence: 0 to 100.
    """

    r_id: str
    payload: PayloadBase
    confidence: int | None = None
    accuracy: Decimal | None = None
    data_quality: DataQuality | None = None

    def __post_init__(self) -> None:
        if self.confidence is not None and not 0 <= self.confidence <= 100:
            raise ValueError(f"confidence must be between 0 and 100, got {self.confidence}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportInterval:
    """One interval of report data (``ei:interval`` carrying ``oadr:oadrReportPayload``).

    An interval without ``dtstart`` uses the report's (rule 314).
    """

    payloads: tuple[OadrReportPayload, ...]
    dtstart: datetime | None = None
    duration: timedelta | None = None
    uid: str | None = None

    def __post_init__(self) -> None:
        require_non_empty(self.payloads, "payloads")
        require_aware(self.dtstart, "dtstart")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrReport:
    """A report (``oadr:oadrReport``): METADATA with descriptions, or data with intervals.

    Attributes:
        report_request_id: the request this report answers; ``"0"`` for unsolicited METADATA.
        report_specifier_id: the METADATA report this report derives from.
    """

    report_request_id: str
    report_specifier_id: str
    created_date_time: datetime
    report_name: ReportName | None = None
    ei_report_id: str | None = None
    descriptions: tuple[OadrReportDescription, ...] = ()
    dtstart: datetime | None = None
    duration: timedelta | None = None
    intervals: tuple[ReportInterval, ...] = ()

    def __post_init__(self) -> None:
        require_aware(self.created_date_time, "created_date_time")
        require_aware(self.dtstart, "dtstart")


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecifierPayload:
    """One data point requested in a report (``ei:specifierPayload``)."""

    r_id: str
    reading_type: ReadingType
    item_base: ItemBase | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportSpecifier:
    """What to report and how often (``ei:reportSpecifier``).

    ``granularity`` and ``report_back_duration`` of zero ask for a one-shot report.
    """

    report_specifier_id: str
    granularity: timedelta
    report_back_duration: timedelta
    specifier_payloads: tuple[SpecifierPayload, ...]
    report_interval: Properties | None = None

    def __post_init__(self) -> None:
        require_non_empty(self.specifier_payloads, "specifier_payloads")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrReportRequest:
    """A request for a report (``oadr:oadrReportRequest``)."""

    report_request_id: str
    report_specifier: ReportSpecifier


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrRegisterReport:
    """Either party: offer report capabilities, as METADATA reports (``oadr:oadrRegisterReport``)."""

    request_id: str
    reports: tuple[OadrReport, ...] = ()
    ven_id: str | None = None
    report_request_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrRegisteredReport:
    """Either party: acknowledge offered reports, maybe requesting some (``oadr:oadrRegisteredReport``)."""

    ei_response: EiResponse
    report_requests: tuple[OadrReportRequest, ...] = ()
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCreateReport:
    """Either party: request reports (``oadr:oadrCreateReport``)."""

    request_id: str
    report_requests: tuple[OadrReportRequest, ...]
    ven_id: str | None = None

    def __post_init__(self) -> None:
        require_non_empty(self.report_requests, "report_requests")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCreatedReport:
    """Either party: acknowledge report requests, listing pending ones (``oadr:oadrCreatedReport``)."""

    ei_response: EiResponse
    pending_reports: tuple[str, ...] = ()
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrUpdateReport:
    """Either party: deliver requested report data (``oadr:oadrUpdateReport``)."""

    request_id: str
    reports: tuple[OadrReport, ...] = ()
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCancelReport:
    """Either party: cancel report requests (``oadr:oadrCancelReport``).

    With ``report_to_follow`` the reporting party sends one final update.
    """

    request_id: str
    report_request_ids: tuple[str, ...]
    report_to_follow: bool
    ven_id: str | None = None

    def __post_init__(self) -> None:
        require_non_empty(self.report_request_ids, "report_request_ids")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrUpdatedReport:
    """Either party: acknowledge report data, maybe cancelling reports (``oadr:oadrUpdatedReport``)."""

    ei_response: EiResponse
    cancel_report: OadrCancelReport | None = None
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCanceledReport:
    """Either party: acknowledge a cancellation, listing pending reports (``oadr:oadrCanceledReport``)."""

    ei_response: EiResponse
    pending_reports: tuple[str, ...] = ()
    ven_id: str | None = None
