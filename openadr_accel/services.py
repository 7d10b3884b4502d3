"""Which simpleHttp service (``.../OpenADR2/Simple/2.0b/<Service>``) each message travels to."""

from __future__ import annotations

from .model import (
    OadrCanceledPartyRegistration,
    OadrCanceledReport,
    OadrCancelOpt,
    OadrCancelPartyRegistration,
    OadrCancelReport,
    OadrCreatedEvent,
    OadrCreatedReport,
    OadrCreateOpt,
    OadrCreatePartyRegistration,
    OadrCreateReport,
    OadrDistributeEvent,
    OadrPoll,
    OadrQueryRegistration,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrRequestEvent,
    OadrRequestReregistration,
    OadrUpdatedReport,
    OadrUpdateReport,
    Payload,
    ServiceName,
)

__all__ = ["PUSH_SERVICE_OF", "SERVICE_OF"]

SERVICE_OF: dict[type[Payload], ServiceName] = {
    OadrQueryRegistration: ServiceName.EI_REGISTER_PARTY,
    OadrCreatePartyRegistration: ServiceName.EI_REGISTER_PARTY,
    OadrCancelPartyRegistration: ServiceName.EI_REGISTER_PARTY,
    OadrCanceledPartyRegistration: ServiceName.EI_REGISTER_PARTY,
    OadrRequestEvent: ServiceName.EI_EVENT,
    OadrCreatedEvent: ServiceName.EI_EVENT,
    OadrCreateOpt: ServiceName.EI_OPT,
    OadrCancelOpt: ServiceName.EI_OPT,
    OadrRegisterReport: ServiceName.EI_REPORT,
    OadrRegisteredReport: ServiceName.EI_REPORT,
    OadrCreateReport: ServiceName.EI_REPORT,
    OadrCreatedReport: ServiceName.EI_REPORT,
    OadrUpdateReport: ServiceName.EI_REPORT,
    OadrUpdatedReport: ServiceName.EI_REPORT,
    OadrCancelReport: ServiceName.EI_REPORT,
    OadrCanceledReport: ServiceName.EI_REPORT,
    OadrPoll: ServiceName.OADR_POLL,
}
"""The VTN service each VEN-to-VTN message is POSTed to. oadrResponse may come to any service
(a VEN sends it to EiRegisterParty, answering oadrRequestReregistration)."""

PUSH_SERVICE_OF: dict[type[Payload], ServiceName] = {
    OadrDistributeEvent: ServiceName.EI_EVENT,
    OadrCancelPartyRegistration: ServiceName.EI_REGISTER_PARTY,
    OadrRequestReregistration: ServiceName.EI_REGISTER_PARTY,
    OadrRegisterReport: ServiceName.EI_REPORT,
    OadrCreateReport: ServiceName.EI_REPORT,
    OadrCancelReport: ServiceName.EI_REPORT,
    OadrUpdateReport: ServiceName.EI_REPORT,
}
"""The service of a push VEN each VTN-initiated message is POSTed to."""
