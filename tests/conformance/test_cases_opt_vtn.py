"""The opt cases whose device is a VTN (P1_20xx / P0_70xx ``TH_VEN``): each fails against a VTN
that breaks what it checks (a VTN whose answer to one kind of message is replaced, on that one
VTN instance). That every case passes against our own VTN is ``conformance/test_ours.py``'s to
show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from conformance_runs import assert_failed
from conformance_vtn_devices import BrokenVtnFactory, Route, reroute, run_one

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import Transport
from openadr_accel.conformance.our_vtn import OurVtn
from openadr_accel.model import (
    EiResponse,
    OadrCanceledOpt,
    OadrCancelOpt,
    OadrCreatedOpt,
    OadrCreateOpt,
    Payload,
    ResponseCode,
)
from openadr_accel.vtn.handlers import Peer


def answering(kind: type[Payload], make: Callable[[OurVtn, Route], Route]) -> BrokenVtnFactory:
    """Our VTN answering ``kind`` as ``make(the VTN, its original route)`` does."""
    return BrokenVtnFactory(lambda device: reroute(device, kind, lambda original: make(device, original)))


def ok(request_id: str) -> EiResponse:
    return EiResponse(response_code=ResponseCode.OK, request_id=request_id)


# -- negative: a VTN that breaks the rule fails the case -------------------------------------------------


def keep_the_first_period(device: OurVtn, original: Route) -> Route:
    """Keeps only the first period of a schedule."""

    async def on_create_opt(message: OadrCreateOpt, peer: Peer) -> Payload:
        return await original(replace(message, availability=(message.availability or ())[:1]), peer)

    return on_create_opt


def refuse_open_ended_periods(device: OurVtn, original: Route) -> Route:
    """Refuses a schedule with an open-ended (zero) period as invalid data."""

    async def on_create_opt(message: OadrCreateOpt, peer: Peer) -> Payload:
        if any(not period.duration for period in message.availability or ()):
            return OadrCreatedOpt(
                ei_response=EiResponse(
                    response_code=ResponseCode.INVALID_DATA,
                    request_id=message.request_id,
                    response_description="a period must have a duration",
                ),
                opt_id=message.opt_id,
            )
        return await original(message, peer)

    return on_create_opt


def one_schedule_per_ven(device: OurVtn, original: Route) -> Route:
    """Keeps one schedule per VEN: each new one drops the VEN's others."""
    store = device.vtn.store

    async def on_create_opt(message: OadrCreateOpt, peer: Peer) -> Payload:
        for held in await store.list_opts(message.ven_id):
            await store.delete_opt(message.ven_id, held.opt_id)
        return await original(message, peer)

    return on_create_opt


def ignore_reused_opt_ids(device: OurVtn, original: Route) -> Route:
    """Answers 200 to a reused optID but keeps the earlier schedule."""
    store = device.vtn.store

    async def on_create_opt(message: OadrCreateOpt, peer: Peer) -> Payload:
        if await store.get_opt(message.ven_id, message.opt_id) is not None:
            return OadrCreatedOpt(ei_response=ok(message.request_id), opt_id=message.opt_id)
        return await original(message, peer)

    return on_create_opt


@pytest.mark.parametrize(
    ("number", "breaks", "words"),
    [
        ("P1_2010", keep_the_first_period, "not observed in time: the VTN holds the optIn schedule"),
        (
            "P1_2015",
            refuse_open_ended_periods,
            "the oadrCreateOpt of an open-ended schedule with oadrCreatedOpt 200 (seen: oadrCreatedOpt 454)",
        ),
        ("P1_2030", one_schedule_per_ven, "not observed in time: the VTN holds the three schedules"),
        ("P1_2040", ignore_reused_opt_ids, "not observed in time: the VTN holds only schedule"),
    ],
)
async def test_schedule_cases_fail_against_a_vtn_that_mishandles_schedules(
    number: str, breaks: Any, words: str
) -> None:
    result = await run_one(answering(OadrCreateOpt, breaks), number)
    assert_failed([result], words)


def confirm_cancels_but_keep_opts(device: OurVtn, original: Route) -> Route:
    """Answers every oadrCancelOpt 200 and removes nothing."""

    async def on_cancel_opt(message: OadrCancelOpt, peer: Peer) -> Payload:
        return OadrCanceledOpt(ei_response=ok(message.request_id), opt_id=message.opt_id)

    return on_cancel_opt


def match_opt_ids_in_any_case(device: OurVtn, original: Route) -> Route:
    """Finds the opt to cancel ignoring the case of its optID."""
    store = device.vtn.store

    async def on_cancel_opt(message: OadrCancelOpt, peer: Peer) -> Payload:
        for held in await store.list_opts(message.ven_id):
            if held.opt_id.casefold() == message.opt_id.casefold():
                message = replace(message, opt_id=held.opt_id)
        return await original(message, peer)

    return on_cancel_opt


@pytest.mark.parametrize(
    ("number", "breaks", "words"),
    [
        (
            "P1_2020",
            confirm_cancels_but_keep_opts,
            "not observed in time: the VTN no longer holds the cancelled",
        ),
        ("P1_2040", confirm_cancels_but_keep_opts, "not observed in time: the VTN holds only schedule"),
        (
            "P1_2050",
            confirm_cancels_but_keep_opts,
            "with oadrCanceledOpt and an error responseCode (4xx) (seen: oadrCanceledOpt 200)",
        ),
        ("P1_2050", match_opt_ids_in_any_case, "IDs are case-sensitive) (seen: oadrCanceledOpt 200)"),
    ],
)
async def test_cancel_cases_fail_against_a_vtn_that_mishandles_cancellations(
    number: str, breaks: Any, words: str
) -> None:
    result = await run_one(answering(OadrCancelOpt, breaks), number, Transport.PUSH)
    assert_failed([result], words)


def answer_with_another_opt_id(device: OurVtn, original: Route) -> Route:
    """Stores the opt but names another optID in its oadrCreatedOpt."""

    async def on_create_opt(message: OadrCreateOpt, peer: Peer) -> Payload:
        answer = await original(message, peer)
        assert isinstance(answer, OadrCreatedOpt)
        return replace(answer, opt_id=f"{message.opt_id}-X")

    return on_create_opt


async def test_p1_2010_fails_when_the_answer_names_another_opt_id() -> None:
    result = await run_one(answering(OadrCreateOpt, answer_with_another_opt_id), "P1_2010")
    assert_failed([result], "the VTN's oadrCreatedOpt names the optID")
