"""Running a VTN from a TOML file and/or command-line flags: :class:`VtnSettings`.

The file holds one ``[vtn]`` table; flags given on the command line win over it::

    [vtn]
    vtn_id = "utility-vtn"
    host = "0.0.0.0"
    port = 8443
    prefix = ""                      # path before /OpenADR2/Simple/2.0b/...
    poll_frequency = "10s"           # durations: "90s", "5m", "1h", "2d" or ISO 8601 "PT5M"
    near_window = "1h"
    market_context = "http://MarketContext1"
    store = "vtn.db"                 # the SQLite file (the default), or instead:
    # postgres = "postgresql://user@db.example.com/openadr"
    registration = "allow-list"      # or "open" (development only)
    allow_list = "allowed-vens.toml"
    request_reports = ["TELEMETRY_USAGE"]   # ask every VEN for these reports when it offers them
    report_granularity = "1m"
    report_back_duration = "1m"

    [vtn.tls]                        # leave out for plain HTTP (development only)
    cert = "certs/vtn-rsa.pem"       # certificate chain, PEM
    key = "certs/vtn-rsa.key"
    ca = "certs/ca-bundle.pem"       # what VEN certificates must chain to
    sign = true                      # sign messages to VENs that negotiate XML signatures

Relative paths are relative to the file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from ..model import OadrReport, ReportName
from ..settings_file import TableSettings, TlsFiles, convert_port, convert_text, convert_tls
from .config import DEFAULT_MARKET_CONTEXT, VtnConfig
from .handlers import VtnHandlers
from .policies import AllowList, OpenRegistration, RegistrationPolicy
from .reports import RequestOffered
from .store import EventResponseRecord, ReportRequestRecord, Store, VenRecord

__all__ = ["TlsFiles", "VtnSettings", "parse_duration"]

logger = logging.getLogger("openadr_accel.vtn")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"5m"``, ``"1.5h"``, ``"2d"``, ``"250ms"`` or ISO 8601 (``"PT5M"``, ``"P1DT2H"``).

    Raises:
        ValueError: for anything else, naming the text.
    """
    match = _DURATION.match(text)
    if match:
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    iso = _ISO_DURATION.match(text.strip())
    if iso and text.strip() not in ("P", "PT") and not text.strip().endswith("T"):
        parts = {key: float(value) for key, value in iso.groupdict().items() if value}
        return timedelta(
            days=parts.get("d", 0),
            hours=parts.get("h", 0),
            minutes=parts.get("m", 0),
            seconds=parts.get("s", 0),
        )
    raise ValueError(f"not a duration: {text!r} (use 90s, 5m, 1h, 2d or ISO 8601 such as PT5M)")


def _convert(key: str, value: Any, base: Path) -> Any:
    if key == "request_reports":
        if isinstance(value, str) or not all(isinstance(name, str) for name in value):
            raise ValueError(f"must be a list of report names, got {value!r}")
        for name in value:
            ReportName(name if name.startswith("METADATA_") else f"METADATA_{name}")
        return tuple(value)
    if key in ("poll_frequency", "near_window", "report_granularity", "report_back_duration"):
        return value if isinstance(value, timedelta) else parse_duration(convert_text(value))
    if key == "port":
        return convert_port(value)
    if key in ("store", "allow_list"):
        return base / Path(convert_text(value)) if not isinstance(value, Path) else value
    if key == "tls":
        return convert_tls(value, base)
    return convert_text(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class VtnSettings(TableSettings):
    """Everything needed to run a VTN process (see the module docstring for the file format)."""

    TABLE: ClassVar[str] = "vtn"
    convert = staticmethod(_convert)

    vtn_id: str = "openadr-accel-vtn"
    host: str = "127.0.0.1"
    port: int = 8080
    prefix: str = ""
    poll_frequency: timedelta = timedelta(seconds=10)
    near_window: timedelta = timedelta(hours=1)
    market_context: str = DEFAULT_MARKET_CONTEXT
    store: Path = Path("vtn.db")
    postgres: str | None = None
    registration: str | None = None
    allow_list: Path | None = None
    request_reports: tuple[str, ...] = ()
    report_granularity: timedelta = timedelta(minutes=1)
    report_back_duration: timedelta = timedelta(minutes=1)
    tls: TlsFiles | None = field(default=None)

    def config(self) -> VtnConfig:
        """The :class:`VtnConfig` these settings describe."""
        return VtnConfig(
            vtn_id=self.vtn_id,
            prefix=self.prefix,
            poll_frequency=self.poll_frequency,
            near_window=self.near_window,
            market_context=self.market_context,
        )

    def open_store(self) -> Store:
        """The store: PostgreSQL if a DSN is set, else the SQLite file (not opened yet)."""
        if self.postgres:
            from .store.postgres import PostgresStore  # noqa: PLC0415 - asyncpg is an extra

            return PostgresStore(self.postgres)
        from .store.sqlite import SqliteStore  # noqa: PLC0415

        return SqliteStore(self.store)

    def handlers(self) -> VtnHandlers:
        """Callbacks that log what VENs do and, if ``request_reports`` names reports, request
        them from every VEN that offers them (``TELEMETRY_USAGE`` and
        ``METADATA_TELEMETRY_USAGE`` name the same offer)."""
        capabilities = None
        if self.request_reports:
            capabilities = RequestOffered(
                (
                    name if name.startswith("METADATA_") else f"METADATA_{name}"
                    for name in self.request_reports
                ),
                granularity=self.report_granularity,
                report_back_duration=self.report_back_duration,
            )
        return VtnHandlers(
            on_registered=_log_registered,
            on_event_response=_log_event_response,
            on_report=_log_report,
            on_report_capabilities=capabilities,
        )

    def policy(self) -> RegistrationPolicy:
        """The registration policy, which must be chosen explicitly.

        Raises:
            ValueError: none chosen, an unknown one, or an allow-list without its file.
        """
        if self.registration == "open":
            return OpenRegistration()
        if self.registration == "allow-list":
            if self.allow_list is None:
                raise ValueError("registration 'allow-list' needs the allow_list file")
            return AllowList.from_file(self.allow_list)
        if self.registration is None:
            raise ValueError(
                "choose who may register: registration = 'allow-list' (with allow_list) or 'open' "
                "(anyone; development only)"
            )
        raise ValueError(f"unknown registration policy {self.registration!r} (use 'allow-list' or 'open')")


async def _log_registered(ven: VenRecord) -> None:
    logger.info("registered %s (%s, %s)", ven.ven_id, ven.ven_name, "pull" if ven.http_pull_model else "push")


async def _log_event_response(response: EventResponseRecord, overridden: bool) -> None:
    logger.info(
        "%s answered event %s (modification %d): %s%s",
        response.ven_id,
        response.event_id,
        response.modification_number,
        response.opt_type,
        " (overridden by an earlier opt)" if overridden else "",
    )


async def _log_report(ven: VenRecord, report: OadrReport, request: ReportRequestRecord) -> None:
    logger.info(
        "%s reported %d interval(s) for %s", ven.ven_id, len(report.intervals), request.report_request_id
    )
