"""A VTN on a loopback port with a real SQLite store, a settable clock, and a small VEN-side client.

The client is deliberately thin (it POSTs documents and decodes the answers): the VTN tests check
the VTN, not a VEN implementation.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp

from openadr_accel import xml
from openadr_accel.model import (
    EiResponse,
    EventResponse,
    OadrCreatedEvent,
    OadrCreatedPartyRegistration,
    OadrCreatePartyRegistration,
    OadrPoll,
    OadrReport,
    OadrReportDescription,
    OadrResponse,
    OptType,
    Payload,
    PowerAttributes,
    PowerReal,
    ProfileName,
    QualifiedEventID,
    ReadingType,
    ReportName,
    ReportType,
    ResponseCode,
    TransportName,
)
from openadr_accel.security.signature import Signer
from openadr_accel.vtn import VTN, OpenRegistration, VtnConfig, VtnHandlers
from openadr_accel.vtn.policies import RegistrationPolicy
from openadr_accel.vtn.store.sqlite import SqliteStore

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class SettableClock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Recorder:
    """VtnHandlers that remember every call, by handler name."""

    calls: dict[str, list[tuple[object, ...]]] = field(default_factory=dict)

    def handlers(self) -> VtnHandlers:
        def record(name: str):  # type: ignore[no-untyped-def]
            async def handler(*args: object) -> None:
                self.calls.setdefault(name, []).append(args)

            return handler

        return VtnHandlers(
            on_registered=record("registered"),
            on_registration_cancelled=record("registration_cancelled"),
            on_event_response=record("event_response"),
            on_opt=record("opt"),
            on_opt_cancelled=record("opt_cancelled"),
            on_report=record("report"),
            on_delivery_failed=record("delivery_failed"),
        )


class VenClient:
    """POSTs documents to a VTN as one VEN would."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.ssl_context = ssl_context
        self.signer = signer
        self.ven_id: str | None = None
        self.registration_id: str | None = None

    async def post_bytes(self, service: str, data: bytes) -> bytes:
        url = f"{self.base_url}/OpenADR2/Simple/2.0b/{service}"
        async with self.session.post(
            url, data=data, headers={"Content-Type": "application/xml"}, ssl=self.ssl_context or True
        ) as response:
            assert response.status == 200, f"HTTP {response.status}: {await response.text()}"
            assert response.content_type == "application/xml"
            return await response.read()

    async def post(self, service: str, payload: Payload) -> Payload:
        data = xml.serialize(payload)
        if self.signer is not None:
            data = self.signer.sign(data)
        return xml.parse(await self.post_bytes(service, data))

    async def register(self, *, ven_name: str = "test-ven", **fields: object) -> OadrCreatedPartyRegistration:
        request = OadrCreatePartyRegistration(
            request_id="reg-1",
            profile_name=ProfileName.B,
            transport_name=TransportName.SIMPLE_HTTP,
            report_only=False,
            xml_signature=self.signer is not None,
            http_pull_model=True,
            ven_name=ven_name,
            **fields,  # type: ignore[arg-type]
        )
        answer = await self.post("EiRegisterParty", request)
        assert isinstance(answer, OadrCreatedPartyRegistration), answer
        if answer.ei_response.response_code == ResponseCode.OK:
            self.ven_id = answer.ven_id
            self.registration_id = answer.registration_id
        return answer

    async def poll(self) -> Payload:
        assert self.ven_id is not None
        return await self.post("OadrPoll", OadrPoll(ven_id=self.ven_id))

    async def drain(self) -> list[Payload]:
        """Poll until the queue is empty; the queued messages, in order."""
        found = []
        for _ in range(50):
            answer = await self.poll()
            if isinstance(answer, OadrResponse):
                assert answer.ei_response.response_code == ResponseCode.OK
                return found
            found.append(answer)
        raise AssertionError("the queue did not drain in 50 polls")


def telemetry_metadata(report_specifier_id: str = "telemetry-1") -> OadrReport:
    """A METADATA_TELEMETRY_USAGE report with one data point, ``power`` (real power in W)."""
    return OadrReport(
        report_request_id="0",
        report_specifier_id=report_specifier_id,
        report_name=ReportName.METADATA_TELEMETRY_USAGE,
        created_date_time=START,
        duration=timedelta(hours=1),
        descriptions=(
            OadrReportDescription(
                r_id="power",
                report_type=ReportType.USAGE,
                reading_type=ReadingType.DIRECT_READ,
                item_base=PowerReal(
                    attributes=PowerAttributes(hertz=Decimal(50), voltage=Decimal(230), ac=True)
                ),
            ),
        ),
    )


def ok(request_id: str = "") -> EiResponse:
    return EiResponse(response_code=ResponseCode.OK, request_id=request_id)


def answer_event(
    ven_id: str | None,
    request_id: str,
    event_id: str,
    opt_type: OptType = OptType.OPT_IN,
    modification_number: int = 0,
) -> OadrCreatedEvent:
    """An oadrCreatedEvent with one eventResponse (200) to one event of an oadrDistributeEvent."""
    assert ven_id is not None
    return OadrCreatedEvent(
        ei_response=ok(request_id),
        ven_id=ven_id,
        event_responses=(
            EventResponse(
                response_code=ResponseCode.OK,
                request_id=request_id,
                qualified_event_id=QualifiedEventID(
                    event_id=event_id, modification_number=modification_number
                ),
                opt_type=opt_type,
            ),
        ),
    )


@dataclass
class RunningVtn:
    vtn: VTN
    url: str
    clock: SettableClock
    recorder: Recorder
    store_path: Path


@asynccontextmanager
async def running_vtn(
    tmp_path: Path,
    *,
    config: VtnConfig | None = None,
    registration: RegistrationPolicy | None = None,
    ssl_context: ssl.SSLContext | None = None,
    signer: Signer | None = None,
    push_ssl_context: ssl.SSLContext | None = None,
    clock: SettableClock | None = None,
    handlers: VtnHandlers | None = None,
) -> AsyncIterator[RunningVtn]:
    """A VTN serving on a free loopback port until the block ends."""
    clock = clock or SettableClock()
    recorder = Recorder()
    store_path = tmp_path / "vtn.db"
    vtn = VTN(
        config or VtnConfig(vtn_id="test-vtn", push_backoff=timedelta(milliseconds=50)),
        SqliteStore(store_path),
        registration=registration or OpenRegistration(),
        handlers=handlers or recorder.handlers(),
        signer=signer,
        push_ssl_context=push_ssl_context,
        clock=clock,
    )
    async with vtn.running("127.0.0.1", 0, ssl_context=ssl_context) as runner:
        host, port = runner.addresses[0][:2]
        scheme = "https" if ssl_context is not None else "http"
        name = "localhost" if ssl_context is not None else host
        yield RunningVtn(vtn, f"{scheme}://{name}:{port}{vtn.config.prefix}", clock, recorder, store_path)
