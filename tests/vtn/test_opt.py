"""EiOpt on the VTN over loopback HTTP: the P1_20xx certification cases with the VTN as device under
test (opt schedules created, replaced and cancelled), and opts naming events."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiohttp
from vtn_harness import START, RunningVtn, VenClient, answer_event, running_vtn

from openadr_accel.model import (
    Available,
    EiTarget,
    OadrCanceledOpt,
    OadrCancelOpt,
    OadrCreatedOpt,
    OadrCreateOpt,
    OadrResponse,
    OptReason,
    OptType,
    QualifiedEventID,
    ResponseCode,
    SignalType,
)
from openadr_accel.vtn import Signal
from openadr_accel.vtn.store import EventResponseRecord, EventResponseSource

HOUR = timedelta(hours=1)

# -- helpers -------------------------------------------------------------------------------------


async def registered(session: aiohttp.ClientSession, server: RunningVtn, ven_id: str) -> VenClient:
    ven = VenClient(session, server.url)
    created = await ven.register(ven_id=ven_id, ven_name=ven_id)
    assert created.ei_response.response_code == ResponseCode.OK
    await ven.drain()
    return ven


def schedule(
    ven_id: str,
    opt_id: str,
    *periods: tuple[timedelta, timedelta],
    opt_type: OptType = OptType.OPT_IN,
    reason: OptReason = OptReason.ECONOMIC,
    target: EiTarget | None = None,
    market_context: str | None = "http://MarketContext1",
) -> OadrCreateOpt:
    """An opt schedule: ``periods`` are (offset from START, duration) pairs."""
    return OadrCreateOpt(
        opt_id=opt_id,
        opt_type=opt_type,
        opt_reason=reason,
        ven_id=ven_id,
        created_date_time=START,
        request_id=f"req-{opt_id}",
        target=target or EiTarget(),
        market_context=market_context,
        availability=tuple(
            Available(dtstart=START + offset, duration=duration) for offset, duration in periods
        ),
    )


def event_opt(
    ven_id: str, opt_id: str, event_id: str, modification: int, *, target: EiTarget = EiTarget()
) -> OadrCreateOpt:
    """An optOut of an event: of the whole event, or for the resources in ``target``."""
    return OadrCreateOpt(
        opt_id=opt_id,
        opt_type=OptType.OPT_OUT,
        opt_reason=OptReason.EMERGENCY,
        ven_id=ven_id,
        created_date_time=START,
        request_id=f"req-{opt_id}",
        qualified_event_id=QualifiedEventID(event_id=event_id, modification_number=modification),
        target=target,
    )


async def create(ven: VenClient, opt: OadrCreateOpt) -> OadrCreatedOpt:
    answer = await ven.post("EiOpt", opt)
    assert isinstance(answer, OadrCreatedOpt), answer
    assert answer.opt_id == opt.opt_id
    assert answer.ei_response.request_id == opt.request_id
    return answer


async def cancel(ven: VenClient, opt_id: str) -> OadrCanceledOpt:
    assert ven.ven_id is not None
    answer = await ven.post(
        "EiOpt", OadrCancelOpt(request_id=f"cancel-{opt_id}", opt_id=opt_id, ven_id=ven.ven_id)
    )
    assert isinstance(answer, OadrCanceledOpt), answer
    assert answer.ei_response.request_id == f"cancel-{opt_id}"
    return answer


def simple() -> Signal:
    return Signal(name="SIMPLE", type=SignalType.LEVEL, intervals=[(timedelta(minutes=30), 1)])


# -- schedules -------------------------------------------------------------------------------------


async def test_p1_2010_schedule_with_two_availability_periods(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        opt = schedule("ven-a", "opt-1", (HOUR, 2 * HOUR), (5 * HOUR, HOUR))
        answer = await create(ven, opt)
        assert answer.ei_response.response_code == ResponseCode.OK
        assert await server.vtn.opts.list("ven-a") == [opt]
        [stored] = await server.vtn.opts.list()
        assert stored.availability == (
            Available(dtstart=START + HOUR, duration=2 * HOUR),
            Available(dtstart=START + 5 * HOUR, duration=HOUR),
        )
        assert server.recorder.calls["opt"] == [(opt,)]
        assert "event_response" not in server.recorder.calls  # a schedule names no event


async def test_p1_2015_open_ended_schedule(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        opt = schedule("ven-a", "open", (HOUR, timedelta(0)), opt_type=OptType.OPT_OUT)
        assert (await create(ven, opt)).ei_response.response_code == ResponseCode.OK
        [stored] = await server.vtn.opts.list("ven-a")
        assert stored.availability == (Available(dtstart=START + HOUR, duration=timedelta(0)),)
        assert stored.opt_type == OptType.OPT_OUT


async def test_p1_2020_cancel_a_schedule(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await create(ven, schedule("ven-a", "opt-1", (HOUR, HOUR)))
        await create(ven, schedule("ven-a", "opt-2", (3 * HOUR, HOUR)))
        answer = await cancel(ven, "opt-1")
        assert answer.ei_response.response_code == ResponseCode.OK
        assert answer.opt_id == "opt-1"
        assert [opt.opt_id for opt in await server.vtn.opts.list("ven-a")] == ["opt-2"]
        assert server.recorder.calls["opt_cancelled"] == [("ven-a", "opt-1")]
        # Cancelled once: a second cancel names an optID the VEN no longer holds.
        again = await cancel(ven, "opt-1")
        assert again.ei_response.response_code == ResponseCode.INVALID_ID
        assert len(server.recorder.calls["opt_cancelled"]) == 1


async def test_p1_2030_several_schedules_with_different_targets_and_opt_types(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        opts = [
            schedule("ven-a", "in-r1", (HOUR, HOUR), target=EiTarget(resource_ids=("r1",))),
            schedule(
                "ven-a",
                "out-r2",
                (2 * HOUR, HOUR),
                opt_type=OptType.OPT_OUT,
                reason=OptReason.MUST_RUN,
                target=EiTarget(resource_ids=("r2",)),
            ),
            schedule("ven-a", "out-all", (4 * HOUR, 30 * timedelta(minutes=1)), opt_type=OptType.OPT_OUT),
        ]
        for opt in opts:
            assert (await create(ven, opt)).ei_response.response_code == ResponseCode.OK
        stored = {opt.opt_id: opt for opt in await server.vtn.opts.list("ven-a")}
        assert stored == {opt.opt_id: opt for opt in opts}
        assert stored["out-r2"].target.resource_ids == ("r2",)
        assert stored["out-r2"].opt_reason == OptReason.MUST_RUN
        assert len(server.recorder.calls["opt"]) == 3


async def test_p1_2040_reusing_an_opt_id_replaces_the_schedule(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await create(ven, schedule("ven-a", "opt-1", (HOUR, HOUR)))
        await create(ven, schedule("ven-a", "opt-2", (2 * HOUR, HOUR)))
        assert (await cancel(ven, "opt-2")).ei_response.response_code == ResponseCode.OK
        replacement = schedule("ven-a", "opt-1", (6 * HOUR, 2 * HOUR), opt_type=OptType.OPT_OUT)
        assert (await create(ven, replacement)).ei_response.response_code == ResponseCode.OK
        assert await server.vtn.opts.list("ven-a") == [replacement]


async def test_the_same_opt_id_of_two_vens_are_two_opts(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        a = await registered(session, server, "ven-a")
        b = await registered(session, server, "ven-b")
        await create(a, schedule("ven-a", "opt-1", (HOUR, HOUR)))
        await create(b, schedule("ven-b", "opt-1", (2 * HOUR, HOUR)))
        assert len(await server.vtn.opts.list()) == 2
        assert [opt.ven_id for opt in await server.vtn.opts.list("ven-b")] == ["ven-b"]


async def test_p1_2050_cancel_of_an_unknown_opt_id_is_452(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await create(ven, schedule("ven-a", "opt-1", (HOUR, HOUR)))
        for wrong in ("no-such-opt", "OPT-1"):
            answer = await cancel(ven, wrong)
            assert answer.ei_response.response_code == ResponseCode.INVALID_ID
            assert answer.opt_id == wrong
        assert [opt.opt_id for opt in await server.vtn.opts.list("ven-a")] == ["opt-1"]
        assert "opt_cancelled" not in server.recorder.calls


async def test_p1_2050_cancel_of_another_vens_opt_id_is_452(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        a = await registered(session, server, "ven-a")
        b = await registered(session, server, "ven-b")
        await create(a, schedule("ven-a", "a-only", (HOUR, HOUR)))
        answer = await cancel(b, "a-only")
        assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        assert [opt.opt_id for opt in await server.vtn.opts.list("ven-a")] == ["a-only"]
        assert "opt_cancelled" not in server.recorder.calls


async def test_an_opt_naming_another_ven_is_463(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        answer = await ven.post("EiOpt", schedule("ven-unknown", "opt-1", (HOUR, HOUR)))
        assert isinstance(answer, OadrCreatedOpt)
        assert answer.ei_response.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED
        assert await server.vtn.opts.list() == []


# -- opts naming events ------------------------------------------------------------------------------


async def test_an_opt_for_some_resources_of_an_event_is_kept_and_the_answer_stands(tmp_path: Path) -> None:
    """E1_1060: an opt out of an event for a subset of resources is an opt; the VEN's answer to
    the event stands for its other resources (and rule 206 does not apply)."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        answered = await ven.post("EiEvent", answer_event("ven-a", "d-1", "e"))
        assert isinstance(answered, OadrResponse)
        assert answered.ei_response.response_code == ResponseCode.OK
        opt = event_opt("ven-a", "opt-e", "e", 0, target=EiTarget(resource_ids=("r1",)))
        assert (await create(ven, opt)).ei_response.response_code == ResponseCode.OK
        assert await server.vtn.opts.list("ven-a") == [opt]
        [record] = await server.vtn.events.responses("e")
        assert (record.opt_type, record.source) == (OptType.OPT_IN, EventResponseSource.CREATED_EVENT)
        assert server.recorder.calls["opt"] == [(opt,)]
        assert [overridden for _, overridden in server.recorder.calls["event_response"]] == [False]


async def test_an_opt_of_a_whole_current_event_is_stored_and_answers_it(tmp_path: Path) -> None:
    """E1_1065: an opt out of a whole event is the VEN's answer to it."""
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        await server.vtn.events.modify("e", priority=1)
        opt = event_opt("ven-a", "opt-e", "e", 1)
        assert (await create(ven, opt)).ei_response.response_code == ResponseCode.OK
        assert await server.vtn.opts.list("ven-a") == [opt]
        [record] = await server.vtn.events.responses("e")
        assert (record.ven_id, record.opt_type, record.modification_number) == ("ven-a", OptType.OPT_OUT, 1)
        assert record.source == EventResponseSource.CREATE_OPT
        assert record.opt_id == "opt-e"
        assert server.recorder.calls["opt"] == [(opt,)]
        [(told, overridden)] = server.recorder.calls["event_response"]
        assert isinstance(told, EventResponseRecord)
        assert told.event_id == "e"
        assert overridden is False


async def test_an_opt_naming_an_unknown_event_is_452_and_not_stored(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(
            signals=[simple()], start=START + HOUR, event_id="for-b", target=EiTarget(ven_ids=("ven-b",))
        )
        for event_id in ("no-such-event", "for-b"):
            answer = await create(ven, event_opt("ven-a", f"opt-{event_id}", event_id, 0))
            assert answer.ei_response.response_code == ResponseCode.INVALID_ID, event_id
        assert await server.vtn.opts.list() == []
        assert await server.vtn.events.responses("for-b") == []
        assert "opt" not in server.recorder.calls
        assert "event_response" not in server.recorder.calls


async def test_an_opt_naming_a_stale_modification_number_is_452_and_not_stored(tmp_path: Path) -> None:
    async with running_vtn(tmp_path) as server, aiohttp.ClientSession() as session:
        ven = await registered(session, server, "ven-a")
        await server.vtn.events.create(signals=[simple()], start=START + HOUR, event_id="e")
        await server.vtn.events.modify("e", priority=1)
        for modification in (0, 2):
            answer = await create(ven, event_opt("ven-a", "opt-e", "e", modification))
            assert answer.ei_response.response_code == ResponseCode.INVALID_ID
        assert await server.vtn.opts.list() == []
        assert await server.vtn.events.responses("e") == []
        assert "opt" not in server.recorder.calls
