"""Registration (EiRegisterParty) cases whose device is a VEN: N1_00xx / N0_50xx ``TH_VTN``."""

from __future__ import annotations

from ...model import (
    OadrCreatePartyRegistration,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    ProfileName,
    TransportName,
)
from ...vtn.policies import new_id
from ..case import Role, case
from ..context import VenCaseContext
from ..harness_vtn import idle_poll_gaps


@case(
    "N1_0010",
    role=Role.VEN,
    title="VEN sends oadrQueryRegistration; VTN answers oadrCreatedPartyRegistration",
)
async def query_registration(ctx: VenCaseContext) -> None:
    """The VEN, registering from scratch, asks what the VTN supports before it registers, and
    registers with what the answer offered (2.0b, simpleHttp)."""
    await ctx.device.begin_registration()
    harness = ctx.harness
    query = await harness.wait_for(OadrQueryRegistration, timeout=ctx.timeouts.action)
    ctx.check(bool(query.request_id), "the oadrQueryRegistration carries a requestID")
    queried_at = harness.inbox.messages.index(query)
    created = await harness.wait_for(OadrCreatePartyRegistration, since=queried_at)
    ctx.check(
        created.profile_name == ProfileName.B, "the VEN registers with the 2.0b profile the VTN offered"
    )
    ctx.check(
        created.transport_name == TransportName.SIMPLE_HTTP,
        "the VEN registers with the simpleHttp transport the VTN offered",
    )
    ctx.check(created.http_pull_model is (ctx.pull), f"the VEN registers for HTTP {ctx.transport}")


@case(
    "N1_0020",
    role=Role.VEN,
    title=(
        "bootstrap: Query → CreatePartyRegistration → oadrRegisterReport (METADATA) both ways → "
        "VEN polls at oadrRequestedOadrPollFreq"
    ),
    rules=(54, 55),
)
async def bootstrap(ctx: VenCaseContext) -> None:
    """The VEN registers and offers its reports (oadrRegisterReport, reportRequestID 0 when
    unsolicited); the harness offers its own (none) and the VEN confirms them with
    oadrRegisteredReport; in pull, the VEN then polls no faster than the requested frequency."""
    harness = ctx.harness
    await ctx.device.begin_registration()
    registration = await harness.registered(timeout=ctx.timeouts.action)
    offered = harness.inbox.of(OadrRegisterReport)
    ctx.check(bool(offered), "the VEN offered its reports (oadrRegisterReport) after registering")
    ctx.check(offered[-1].ven_id == registration.ven_id, "the VEN's oadrRegisterReport names its venID")
    since = harness.mark()
    await harness.deliver(OadrRegisterReport(request_id=new_id(), reports=(), ven_id=registration.ven_id))
    confirmed = await harness.wait_for(OadrRegisteredReport, since=since)
    ctx.check(
        confirmed.ei_response.response_code == "200",
        "the VEN confirms the VTN's oadrRegisterReport with oadrRegisteredReport 200",
    )
    if ctx.pull:
        for _ in range(4):
            await harness.wait_for(OadrPoll, since=harness.mark())
        gaps = idle_poll_gaps(harness.polls)[-3:]
        interval = harness.poll_frequency.total_seconds()
        shown = ", ".join(f"{gap:.2f}" for gap in gaps)
        ctx.check(len(gaps) >= 2, "the VEN polls again after an empty answer")
        ctx.check(
            all(gap >= interval * 0.9 for gap in gaps),
            f"the VEN polls no faster than every {interval:g} s (gaps {shown} s)",
        )
        ctx.check(
            all(gap <= interval * 3 + 1 for gap in gaps),
            f"the VEN keeps polling about every {interval:g} s (gaps {shown} s)",
        )
