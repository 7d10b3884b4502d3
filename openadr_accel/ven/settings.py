"""Running a VEN from a TOML file and/or command-line flags: :class:`VenSettings`.

The file holds one ``[ven]`` table; flags given on the command line win over it::

    [ven]
    vtn_url = "https://vtn.example.com:8443"   # up to, not including, /OpenADR2/Simple/2.0b/
    ven_name = "charger-park-7"
    ven_id = "charger-park-7"        # a venID allocated beforehand; leave out to get one
    vtn_id = "utility-vtn"           # the vtnID to expect; leave out to learn it
    poll_frequency = "10s"           # durations: "90s", "5m", "1h", "2d" or ISO 8601 "PT5M"
    store = "ven.db"                 # the SQLite file of the VEN's state
    handlers = "ven_handlers.py"     # a .py file, or a dotted module name (my_company.ven)
    vtn_fingerprint = "1A:2B:..."    # the VTN's certificate (signed messages, push clients)
    report_only = false
    request_timeout = "30s"
    backoff = "1s"                   # first wait after a failed request, doubling ...
    backoff_max = "5m"               # ... up to this
    # push instead of pull:
    # transport_address = "https://ven.example.com:9443/ven"
    # listen_host = "0.0.0.0"
    # listen_port = 9443             # default: the port of transport_address

    [ven.tls]                        # needed for an https VTN (mutual TLS)
    cert = "certs/ven-rsa.pem"       # certificate chain, PEM
    key = "certs/ven-rsa.key"
    ca = "certs/ca-bundle.pem"       # what the VTN's certificate must chain to
    sign = true                      # sign messages with this certificate (needs vtn_fingerprint)

Relative paths are relative to the file.

The VEN logs every registration and event on the ``openadr_accel.ven`` logger
(:func:`logging_handlers`). A handler module (``handlers``, see :func:`load_handler_module`)
replaces those callbacks one by one with the vendor's own; :func:`combined_handlers` keeps the
logging ones for the callbacks it leaves out.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import ssl
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ..model import OadrEvent, OadrReport, OptType, PayloadFloat
from ..security.signature import Signer
from ..settings_file import TableSettings, TlsFiles, convert_port, convert_text, convert_tls
from ..vtn.settings import parse_duration
from .config import VenConfig
from .distribution import SignalFilter
from .handlers import EventDecider, SignalValue, VenHandlers
from .report_capabilities import ReportCapability
from .store import Registration

__all__ = [
    "HandlerModule",
    "VenSettings",
    "VenTlsFiles",
    "combined_handlers",
    "load_handler_module",
    "logging_handlers",
]

logger = logging.getLogger("openadr_accel.ven")

_DURATIONS = ("poll_frequency", "request_timeout", "backoff", "backoff_max")


VenTlsFiles = TlsFiles
"""The VEN's TLS material (the shared :class:`~openadr_accel.settings_file.TlsFiles`)."""


# -- conversion -----------------------------------------------------------------------------------


def _convert(key: str, value: Any, base: Path) -> Any:
    if key in _DURATIONS:
        return value if isinstance(value, timedelta) else parse_duration(convert_text(value))
    if key == "listen_port":
        return convert_port(value)
    if key == "report_only":
        if not isinstance(value, bool):
            raise TypeError(f"must be true or false, got {value!r}")
        return value
    if key == "store":
        return value if isinstance(value, Path) else base / convert_text(value)
    if key == "handlers":
        text = convert_text(value)
        return str(base / text) if _is_path(text) and not Path(text).is_absolute() else text
    if key == "tls":
        return convert_tls(value, base)
    if key in ("ven_name", "vtn_url"):
        text = convert_text(value)
        if not text:
            raise ValueError("must not be empty")
        return text
    return convert_text(value)


# -- settings -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HandlerModule:
    """What a handler module provides (see :func:`load_handler_module`).

    Attributes:
        handlers: the vendor's callbacks.
        reports: the reports the VEN offers.
        supports: which signals the VEN supports (None: all).
    """

    handlers: VenHandlers
    reports: tuple[ReportCapability, ...] = ()
    supports: SignalFilter | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VenSettings(TableSettings):
    """Everything needed to run a VEN process (see the module docstring for the file format)."""

    TABLE: ClassVar[str] = "ven"
    convert = staticmethod(_convert)

    vtn_url: str | None = None
    ven_name: str = "openadr-accel-ven"
    ven_id: str | None = None
    vtn_id: str | None = None
    poll_frequency: timedelta = timedelta(seconds=10)
    transport_address: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int | None = None
    store: Path = Path("ven.db")
    handlers: str | None = None
    vtn_fingerprint: str | None = None
    report_only: bool = False
    request_timeout: timedelta = timedelta(seconds=30)
    backoff: timedelta = timedelta(seconds=1)
    backoff_max: timedelta = timedelta(minutes=5)
    tls: TlsFiles | None = field(default=None)

    def config(self) -> VenConfig:
        """The :class:`VenConfig` these settings describe.

        Raises:
            ValueError: no VTN URL, or a setting :class:`VenConfig` refuses; TLS files missing
                for an ``https`` VTN or push endpoint; signing without the VTN's fingerprint.
        """
        if not self.vtn_url:
            raise ValueError("give the VTN's URL: --vtn-url or vtn_url in the [ven] table")
        if self.transport_address is not None:
            parts = urlsplit(self.transport_address)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(
                    f"transport_address must be an http or https URL, got {self.transport_address!r}"
                )
        https = [
            name
            for name, url in (("vtn_url", self.vtn_url), ("transport_address", self.transport_address))
            if url is not None and urlsplit(url).scheme == "https"
        ]
        if https and self.tls is None:
            raise ValueError(
                f"{' and '.join(https)} use https: give the TLS files (--cert, --key and --ca, or [ven.tls])"
            )
        if self.tls is not None and self.tls.sign and not self.vtn_fingerprint:
            raise ValueError(
                "signing needs the fingerprint of the VTN's certificate, to check its signed "
                "answers: --vtn-fingerprint or vtn_fingerprint"
            )
        return VenConfig(
            vtn_url=self.vtn_url.rstrip("/"),
            ven_name=self.ven_name,
            ven_id=self.ven_id,
            vtn_id=self.vtn_id,
            poll_frequency=self.poll_frequency,
            transport_address=self.transport_address,
            report_only=self.report_only,
            backoff=self.backoff,
            backoff_max=self.backoff_max,
            request_timeout=self.request_timeout,
        )

    def client_context(self) -> ssl.SSLContext | None:
        """The client TLS context for an ``https`` VTN (None for plain HTTP)."""
        if self.tls is None or self.vtn_url is None or urlsplit(self.vtn_url).scheme != "https":
            return None
        return self.tls.client_context()

    def server_context(self) -> ssl.SSLContext | None:
        """The server TLS context of an ``https`` push endpoint (None otherwise)."""
        if (
            self.tls is None
            or self.transport_address is None
            or urlsplit(self.transport_address).scheme != "https"
        ):
            return None
        return self.tls.server_context()

    def signer(self) -> Signer | None:
        """The XML signer, if signing is on."""
        return self.tls.signer() if self.tls is not None else None

    def listen_address(self) -> tuple[str, int] | None:
        """Where a push VEN listens: ``listen_host`` and ``listen_port`` (default: the port of
        ``transport_address``); None for a pull VEN."""
        if self.transport_address is None:
            return None
        parts = urlsplit(self.transport_address)
        default = parts.port or (443 if parts.scheme == "https" else 80)
        return self.listen_host, self.listen_port if self.listen_port is not None else default

    def handler_module(self) -> HandlerModule | None:
        """The handler module named by ``handlers`` (None if none is named).

        Raises:
            ValueError: see :func:`load_handler_module`.
        """
        return load_handler_module(self.handlers) if self.handlers else None


# -- handler modules ------------------------------------------------------------------------------


def load_handler_module(name: str) -> HandlerModule:
    """Import a handler module: a ``.py`` file path, or a dotted module name.

    The module defines (the contract of ``openadr-accel ven --handlers``):

    - ``handlers``, a :class:`~openadr_accel.ven.handlers.VenHandlers`, or
      ``make_handlers()``, a function that returns one (exactly one of the two);
    - optionally ``reports``, a sequence of
      :class:`~openadr_accel.ven.report_capabilities.ReportCapability`: the reports the VEN offers;
    - optionally ``supports(signal: EiEventSignal) -> bool``: which signals the VEN supports
      (others are answered 460); default: all.

    A file's directory is put first on ``sys.path`` (so that it can import its neighbours);
    for a dotted name, the current directory is added to ``sys.path`` if missing.

    Raises:
        ValueError: the module cannot be found or imported, or does not keep the contract.
    """
    module = _import(name)
    has_handlers = hasattr(module, "handlers")
    has_factory = hasattr(module, "make_handlers")
    if has_handlers == has_factory:
        raise ValueError(
            f"{name} must define either 'handlers' (a VenHandlers) or 'make_handlers()' returning one"
            + (", not both" if has_handlers else "")
        )
    if has_factory:
        factory = module.make_handlers
        if not callable(factory):
            raise ValueError(f"{name}: make_handlers must be a function returning a VenHandlers")
        try:
            handlers = factory()
        except Exception as exc:
            raise ValueError(f"{name}: make_handlers() failed: {type(exc).__name__}: {exc}") from exc
        what = "make_handlers() returned"
    else:
        handlers = module.handlers
        what = "handlers is"
    if not isinstance(handlers, VenHandlers):
        raise ValueError(f"{name}: {what} {type(handlers).__name__}, not a VenHandlers")
    reports = getattr(module, "reports", ())
    if isinstance(reports, str | bytes) or not isinstance(reports, Sequence):
        raise ValueError(f"{name}: reports must be a sequence of ReportCapability")
    for report in reports:
        if not isinstance(report, ReportCapability):
            raise ValueError(f"{name}: reports holds {type(report).__name__}, not a ReportCapability")
    supports = getattr(module, "supports", None)
    if supports is not None and not callable(supports):
        raise ValueError(f"{name}: supports must be a function (signal) -> bool")
    return HandlerModule(handlers=handlers, reports=tuple(reports), supports=supports)


def _import(name: str) -> ModuleType:
    if _is_path(name):
        path = Path(name).expanduser()
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        module_name = f"_openadr_accel_handlers_{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot import {path} (not a Python file?)")
        module = importlib.util.module_from_spec(spec)
        directory = str(path.resolve().parent)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise ValueError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
        return module
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(f"{name!r} is neither a .py file nor a dotted module name")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise ValueError(f"no module named {name!r}") from exc
        raise ValueError(f"importing {name} failed: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        raise ValueError(f"importing {name} failed: {type(exc).__name__}: {exc}") from exc


def _is_path(name: str) -> bool:
    return name.endswith(".py") or "/" in name or "\\" in name


# -- logging handlers -----------------------------------------------------------------------------


def logging_handlers() -> VenHandlers:
    """Callbacks that log each registration and each event moment on the ``openadr_accel.ven``
    logger, one line each, with the eventID and modificationNumber; ``on_event`` opts in."""
    return VenHandlers(
        on_event=_logged_decider(None),
        on_event_pending=_log_pending,
        on_event_started=_log_signals("started"),
        on_interval_changed=_log_signals("interval changed"),
        on_event_modified=_log_modified,
        on_event_cancelled=_log_event("cancelled"),
        on_event_ended=_log_event("ended"),
        on_registered=_log_registered,
        on_registration_cancelled=_log_registration_cancelled,
        on_report=_log_report,
    )


def combined_handlers(user: VenHandlers | None) -> VenHandlers:
    """The vendor's callbacks where given, the logging ones (:func:`logging_handlers`) for the
    others. The decision of the vendor's ``on_event`` is logged too: it is the VEN's answer."""
    logging_set = logging_handlers()
    if user is None:
        return logging_set
    chosen: dict[str, Any] = {
        item.name: getattr(user, item.name) or getattr(logging_set, item.name) for item in fields(VenHandlers)
    }
    if user.on_event is not None:
        chosen["on_event"] = _logged_decider(user.on_event)
    return VenHandlers(**chosen)


def _logged_decider(decide: EventDecider | None) -> EventDecider:
    async def on_event(event: OadrEvent) -> OptType:
        decision = OptType.OPT_IN if decide is None else await decide(event)
        logger.info("event received: %s -> %s", _describe(event), decision)
        return decision

    return on_event


def _ids(event: OadrEvent) -> str:
    descriptor = event.ei_event.event_descriptor
    return f"eventID={descriptor.event_id} modificationNumber={descriptor.modification_number}"


def _describe(event: OadrEvent) -> str:
    descriptor = event.ei_event.event_descriptor
    period = event.ei_event.active_period
    signals = " ".join(
        f"{signal.signal_name}/{signal.signal_type}["
        + ",".join(f"{interval.duration}={_payload_text(interval.payloads)}" for interval in signal.intervals)
        + "]"
        for signal in event.ei_event.signals
    )
    return (
        f"{_ids(event)} status={descriptor.event_status} start={period.dtstart.isoformat()} "
        f"duration={period.duration} test={str(descriptor.is_test_event).lower()} signals={signals}"
    )


def _payload_text(payloads: Sequence[object]) -> str:
    return "/".join(str(payload.value) if isinstance(payload, PayloadFloat) else "?" for payload in payloads)


def _values(values: tuple[SignalValue, ...]) -> str:
    return " ".join(
        f"{value.signal_name}={'none' if value.value is None else value.value}" for value in values
    )


async def _log_pending(event: OadrEvent) -> None:
    logger.info("event pending: %s start=%s", _ids(event), event.ei_event.active_period.dtstart.isoformat())


def _log_signals(moment: str) -> Callable[[OadrEvent, tuple[SignalValue, ...]], Any]:
    async def log(event: OadrEvent, values: tuple[SignalValue, ...]) -> None:
        logger.info("event %s: %s %s", moment, _ids(event), _values(values))

    return log


async def _log_modified(event: OadrEvent, previous: OadrEvent) -> None:
    logger.info(
        "event modified: %s (was %d)",
        _describe(event),
        previous.ei_event.event_descriptor.modification_number,
    )


def _log_event(moment: str) -> Callable[[OadrEvent], Any]:
    async def log(event: OadrEvent) -> None:
        logger.info("event %s: %s", moment, _ids(event))

    return log


async def _log_registered(registration: Registration) -> None:
    logger.info(
        "registration: venID=%s vtnID=%s registrationID=%s pollFreq=%s",
        registration.ven_id,
        registration.vtn_id,
        registration.registration_id,
        registration.poll_frequency,
    )


async def _log_registration_cancelled(registration: Registration) -> None:
    logger.info(
        "registration cancelled: venID=%s registrationID=%s",
        registration.ven_id,
        registration.registration_id,
    )


async def _log_report(report: OadrReport) -> None:
    logger.info(
        "report received: reportRequestID=%s reportSpecifierID=%s intervals=%d",
        report.report_request_id,
        report.report_specifier_id,
        len(report.intervals),
    )
