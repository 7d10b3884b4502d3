"""Steps the report cases of both roles share (:mod:`.reports_ven`, :mod:`.reports_vtn`): when a
message came, how reports name their request's points, rule 304 over a case's updates (not
cases themselves: the leading underscore keeps this module out of the registry's import loop)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from ...model import OadrReport, OadrReportRequest, OadrUpdateReport, Payload
from ..context import CaseContext
from ..inbox import Inbox

__all__ = ["arrival", "check_outstanding", "check_points", "check_specifier_id", "grace", "show"]


def show(duration: timedelta) -> str:
    """A duration in minutes, for the checks (``1.5 min``)."""
    return f"{duration.total_seconds() / 60:g} min"


def arrival(ctx: CaseContext[Any], message: Payload) -> datetime:
    """When the harness received a message of the device's (the run's clock; now if it is not in
    the transcript)."""
    for exchange in reversed(ctx.transcript.exchanges):
        if exchange.payload is message:
            return exchange.at
    return ctx.now()


def grace(ctx: CaseContext[Any]) -> timedelta:
    """About a second of wall clock in protocol time: an update already on its way."""
    return timedelta(seconds=ctx.clock.speed)


def check_specifier_id(
    ctx: CaseContext[Any], request: OadrReportRequest, reports: Sequence[OadrReport]
) -> None:
    """Check that every one of ``reports`` (for ``request``) names its reportSpecifierID."""
    specifier_id = request.report_specifier.report_specifier_id
    ctx.check(
        all(report.report_specifier_id == specifier_id for report in reports),
        f"the reports for request {request.report_request_id} name its reportSpecifierID {specifier_id}",
    )


def check_points(ctx: CaseContext[Any], request: OadrReportRequest, reports: Sequence[OadrReport]) -> None:
    """Check that ``reports`` (for ``request``) carry only the rIDs it requested, and each of
    them all of those."""
    rid = request.report_request_id
    wanted = {payload.r_id for payload in request.report_specifier.specifier_payloads}
    per_report = [_r_ids(report) for report in reports]
    seen = set().union(*per_report)
    ctx.check(
        seen <= wanted,
        f"the reports for request {rid} carry only the requested rIDs {sorted(wanted)} (seen {sorted(seen)})",
    )
    missing = [number for number, r_ids in enumerate(per_report, 1) if not wanted <= r_ids]
    ctx.check(
        not missing,
        f"every report for request {rid} carries every requested rID {sorted(wanted)}"
        + (f" (not reports {missing})" if missing else ""),
    )


def check_outstanding(
    ctx: CaseContext[Any], inbox: Inbox, *, since: int, requested: Collection[str], whose: str = ""
) -> None:
    """Rule 304: every report of every oadrUpdateReport in ``inbox`` from ``since`` on names one
    of the ``requested`` reportRequestIDs (``whose`` qualifies the updates in the check:
    ``" of the VTN's"``)."""
    strays = sorted(
        {
            report.report_request_id
            for message in inbox.of(OadrUpdateReport, since=since)
            for report in message.reports
            if report.report_request_id not in requested
        }
    )
    ctx.check(
        not strays,
        f"every oadrUpdateReport{whose} names an outstanding reportRequestID (rule 304)"
        + (f"; not requested: {', '.join(strays)}" if strays else ""),
    )


def _r_ids(report: OadrReport) -> set[str]:
    return {payload.r_id for interval in report.intervals for payload in interval.payloads}
