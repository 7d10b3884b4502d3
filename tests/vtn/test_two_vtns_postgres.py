"""Two VTN processes on one PostgreSQL serve the same VENs consistently.

VTN A runs in the test process (its Python API is the operator); VTN B is ``openadr-accel vtn
--postgres`` in a child process. A VEN may talk to either at any time.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pg import dsn_with_search_path, fresh_schema, pg_dsn_or_skip
from vtn_harness import VenClient, answer_event
from vtn_process import vtn_process

from openadr_accel import xml
from openadr_accel.clock import system_clock
from openadr_accel.model import (
    EiTarget,
    OadrCancelPartyRegistration,
    OadrCreateOpt,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrRegisterReport,
    OadrResponse,
    OptReason,
    OptType,
    ResponseCode,
    SignalType,
)
from openadr_accel.vtn import VTN, OpenRegistration, Signal, VtnConfig
from openadr_accel.vtn.store.postgres import PostgresStore

pytestmark = pytest.mark.postgres

VTN_ID = "pg-vtn"


async def test_an_event_created_through_one_reaches_a_ven_polling_the_other(tmp_path: Path) -> None:
    dsn = pg_dsn_or_skip()
    async with fresh_schema(dsn, "two_vtns") as schema:
        vtn_a = VTN(
            VtnConfig(vtn_id=VTN_ID),
            PostgresStore(dsn, schema=schema),
            registration=OpenRegistration(),
            clock=system_clock,
        )
        b_args = [
            "--registration",
            "open",
            "--postgres",
            dsn_with_search_path(dsn, schema),
            "--vtn-id",
            VTN_ID,
        ]
        # B first: starting it blocks this event loop, which must not hold A's transactions then.
        with vtn_process(b_args) as vtn_b:
            async with vtn_a.running("127.0.0.1", 0) as runner, aiohttp.ClientSession() as session:
                url_a = f"http://127.0.0.1:{runner.addresses[0][1]}"
                ven_1 = VenClient(session, vtn_b.url)  # registers with B
                ven_2 = VenClient(session, url_a)  # registers with A
                for ven in (ven_1, ven_2):
                    created = await ven.register(ven_name="pg-ven")
                    assert created.ei_response.response_code == ResponseCode.OK
                    assert created.vtn_id == VTN_ID
                # Each VEN's oadrRegisterReport comes out of the other process.
                ven_1.base_url, ven_2.base_url = url_a, vtn_b.url
                for ven in (ven_1, ven_2):
                    assert [type(message) for message in await ven.drain()] == [OadrRegisterReport]
                assert {ven.ven_id for ven in await vtn_a.registrations.list()} == {
                    ven_1.ven_id,
                    ven_2.ven_id,
                }

                # An event created through A reaches VEN 1 polling B.
                ven_1.base_url = vtn_b.url
                event = await vtn_a.events.create(
                    signals=[
                        Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=20), 1)])
                    ],
                    start=datetime.now(UTC) + timedelta(minutes=5),
                    target=EiTarget(ven_ids=(ven_1.ven_id,)),  # type: ignore[arg-type]
                )
                event_id = event.ei_event.event_descriptor.event_id
                [distribution] = await ven_1.drain()
                assert isinstance(distribution, OadrDistributeEvent)
                assert distribution.vtn_id == VTN_ID
                assert [e.ei_event.event_descriptor.event_id for e in distribution.events] == [event_id]
                assert await ven_2.drain() == []  # not targeted

                # VEN 1 answers through A; A's API sees it.
                ven_1.base_url = url_a
                answer = await ven_1.post(
                    "EiEvent",
                    answer_event(ven_1.ven_id, distribution.request_id, event_id),
                )
                assert isinstance(answer, OadrResponse)
                assert answer.ei_response.response_code == ResponseCode.OK
                [stored] = await vtn_a.events.responses(event_id)
                assert (stored.ven_id, stored.opt_type) == (ven_1.ven_id, OptType.OPT_IN)

                # An opt sent to B is in A's list.
                ven_1.base_url = vtn_b.url
                created_opt = await ven_1.post(
                    "EiOpt",
                    OadrCreateOpt(
                        opt_id="opt-b",
                        opt_type=OptType.OPT_OUT,
                        opt_reason=OptReason.PARTICIPATING,
                        ven_id=ven_1.ven_id,
                        created_date_time=datetime.now(UTC),
                        request_id="o-1",  # type: ignore[arg-type]
                    ),
                )
                assert created_opt.ei_response.response_code == ResponseCode.OK  # type: ignore[union-attr]
                assert [opt.opt_id for opt in await vtn_a.opts.list(ven_1.ven_id)] == ["opt-b"]

                # Twenty queued messages polled from both processes at once: each comes out once.
                for _ in range(20):
                    await vtn_a.reports.request_metadata(ven_2.ven_id)  # type: ignore[arg-type]
                poller_a = VenClient(session, url_a)
                poller_b = VenClient(session, vtn_b.url)
                for poller in (poller_a, poller_b):
                    poller.ven_id = ven_2.ven_id
                answers = await asyncio.gather(
                    *(poller.poll() for poller in (poller_a, poller_b) for _ in range(15))
                )
                requests = [
                    message.request_id for message in answers if isinstance(message, OadrCreateReport)
                ]
                assert len(requests) == 20
                assert len(set(requests)) == 20
                assert sum(isinstance(message, OadrResponse) for message in answers) == 10

                # A registration cancelled through A is gone for B too.
                ven_2.base_url = url_a
                cancelled = await ven_2.post_bytes(
                    "EiRegisterParty",
                    _cancel(ven_2),
                )
                assert b"oadrCanceledPartyRegistration" in cancelled
                poller_b.ven_id = ven_2.ven_id
                refused = await poller_b.poll()
                assert isinstance(refused, OadrResponse)
                assert refused.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


def _cancel(ven: VenClient) -> bytes:
    assert ven.registration_id is not None
    return xml.serialize(
        OadrCancelPartyRegistration(request_id="c-1", registration_id=ven.registration_id, ven_id=ven.ven_id)
    )
