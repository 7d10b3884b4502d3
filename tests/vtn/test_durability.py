"""Killing the VTN process with SIGKILL mid-traffic loses nothing it had acknowledged.

The VTN runs as ``openadr-accel vtn`` in a child process on a SQLite file; the operator's commands
run as further processes on the same file while it serves. Everything a VEN or the operator was
told succeeded (registrations, events, answers, opts, queued messages, report requests) must be
there after a restart on the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from vtn_harness import VenClient, answer_event, telemetry_metadata
from vtn_process import cli, free_port, vtn_process

from openadr_accel.model import (
    OadrCreateOpt,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrRegisterReport,
    OadrResponse,
    OptReason,
    OptType,
    ResponseCode,
)
from openadr_accel.vtn import VTN, OpenRegistration, VtnConfig
from openadr_accel.vtn.store.sqlite import SqliteStore


def opt(ven: VenClient, opt_id: str) -> OadrCreateOpt:
    assert ven.ven_id is not None
    return OadrCreateOpt(
        opt_id=opt_id,
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.PARTICIPATING,
        ven_id=ven.ven_id,
        created_date_time=datetime.now(UTC),
        request_id=f"req-{opt_id}",
    )


async def test_sigkill_mid_traffic_loses_nothing_acknowledged(tmp_path: Path) -> None:
    store_path = tmp_path / "vtn.db"
    args = ["--registration", "open", "--store", str(store_path), "--vtn-id", "crash-vtn"]
    acknowledged_opts: list[tuple[str, str]] = []
    async with aiohttp.ClientSession() as session:
        with vtn_process(args) as first:
            vens = [VenClient(session, first.url) for _ in range(4)]
            for number, ven in enumerate(vens):
                assert (
                    await ven.register(ven_name=f"ven-{number}")
                ).ei_response.response_code == ResponseCode.OK
                assert [type(message) for message in await ven.drain()] == [OadrRegisterReport]
                registered = await ven.post(
                    "EiReport",
                    OadrRegisterReport(request_id="rr", reports=(telemetry_metadata(),), ven_id=ven.ven_id),
                )
                assert registered.ei_response.response_code == ResponseCode.OK  # type: ignore[union-attr]

            # The operator creates an event from the command line while the VTN serves.
            created = cli(
                "vtn", "--store", str(store_path), "event", "create", "--interval", "30m=2", "--start", "+1h"
            )
            assert created.returncode == 0, created.stderr
            event_id = created.stdout.strip()

            # VENs 0 and 1 get it and opt in; VENs 2 and 3 do not poll (their copies stay queued).
            for ven in vens[:2]:
                [distribution] = await ven.drain()
                assert isinstance(distribution, OadrDistributeEvent)
                answer = await ven.post(
                    "EiEvent",
                    answer_event(ven.ven_id, distribution.request_id, event_id),
                )
                assert isinstance(answer, OadrResponse)
                assert answer.ei_response.response_code == ResponseCode.OK

            # A report request for VEN 3, made by another process on the same store.
            operator = VTN(
                VtnConfig(vtn_id="crash-vtn"), SqliteStore(store_path), registration=OpenRegistration()
            )
            await operator.open()
            request = await operator.reports.request(
                vens[3].ven_id,
                "telemetry-1",
                granularity=timedelta(minutes=1),  # type: ignore[arg-type]
                report_back_duration=timedelta(minutes=1),
            )
            await operator.close()

            # Traffic: VENs 0 and 1 send opts as fast as they are answered; the VTN dies mid-stream.
            async def traffic(ven: VenClient) -> None:
                for number in range(10_000):
                    opt_id = f"{ven.ven_id}-{number}"
                    answer = await ven.post("EiOpt", opt(ven, opt_id))
                    assert answer.ei_response.response_code == ResponseCode.OK  # type: ignore[union-attr]
                    acknowledged_opts.append((ven.ven_id, opt_id))  # type: ignore[arg-type]

            tasks = [asyncio.create_task(traffic(ven)) for ven in vens[:2]]
            deadline = asyncio.get_running_loop().time() + 20
            while len(acknowledged_opts) < 40 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.01)
            first.kill()
            for task in tasks:
                with contextlib.suppress(aiohttp.ClientError, AssertionError, asyncio.TimeoutError):
                    await asyncio.wait_for(task, 10)
            assert len(acknowledged_opts) >= 40, "the traffic did not get going before the kill"

        with vtn_process(args, port=free_port()) as second:
            store = SqliteStore(store_path)
            await store.open()
            try:
                for ven in vens:
                    record = await store.get_ven(ven.ven_id)  # type: ignore[arg-type]
                    assert record is not None
                    assert record.registration_id == ven.registration_id
                    assert [
                        report.report_specifier_id
                        for report in await store.list_report_capabilities(ven.ven_id)
                    ] == [  # type: ignore[arg-type]
                        "telemetry-1"
                    ]
                event = await store.get_event(event_id)
                assert event is not None
                answers = {
                    record.ven_id: record.opt_type
                    for record in await store.list_event_responses(event_id=event_id)
                }
                assert answers == {vens[0].ven_id: OptType.OPT_IN, vens[1].ven_id: OptType.OPT_IN}
                kept = {(stored.ven_id, stored.opt_id) for stored in await store.list_opts()}
                missing = [pair for pair in acknowledged_opts if pair not in kept]
                assert not missing, f"{len(missing)} acknowledged opts lost, e.g. {missing[:3]}"
                assert await store.get_report_request(request.report_request_id) is not None
            finally:
                await store.close()

            # The queued messages survived: VEN 2 gets the event, VEN 3 the event and the report request.
            for ven in vens[2:]:
                ven.base_url = second.url
            [distribution] = await vens[2].drain()
            assert isinstance(distribution, OadrDistributeEvent)
            assert distribution.events[0].ei_event.event_descriptor.event_id == event_id
            kinds = [type(message) for message in await vens[3].drain()]
            assert kinds == [OadrDistributeEvent, OadrCreateReport]
