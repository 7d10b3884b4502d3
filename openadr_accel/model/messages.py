"""The 23 messages an ``oadrSignedObject`` can carry, as one union type."""

from __future__ import annotations

from .common import OadrResponse
from .event import OadrCreatedEvent, OadrDistributeEvent, OadrRequestEvent
from .opt import OadrCanceledOpt, OadrCancelOpt, OadrCreatedOpt, OadrCreateOpt
from .registration import (
    OadrCanceledPartyRegistration,
    OadrCancelPartyRegistration,
    OadrCreatedPartyRegistration,
    OadrCreatePartyRegistration,
    OadrPoll,
    OadrQueryRegistration,
    OadrRequestReregistration,
)
from .report import (
    OadrCanceledReport,
    OadrCancelReport,
    OadrCreatedReport,
    OadrCreateReport,
    OadrRegisteredReport,
    OadrRegisterReport,
    OadrUpdatedReport,
    OadrUpdateReport,
)

__all__ = ["PAYLOAD_TYPES", "Payload"]

Payload = (
    OadrDistributeEvent
    | OadrCreatedEvent
    | OadrRequestEvent
    | OadrResponse
    | OadrCancelOpt
    | OadrCanceledOpt
    | OadrCreateOpt
    | OadrCreatedOpt
    | OadrCancelReport
    | OadrCanceledReport
    | OadrCreateReport
    | OadrCreatedReport
    | OadrRegisterReport
    | OadrRegisteredReport
    | OadrUpdateReport
    | OadrUpdatedReport
    | OadrCancelPartyRegistration
    | OadrCanceledPartyRegistration
    | OadrCreatePartyRegistration
    | OadrCreatedPartyRegistration
    | OadrRequestReregistration
    | OadrQueryRegistration
    | OadrPoll
)
"""Any message that can travel in an ``oadrPayload``."""

PAYLOAD_TYPES: tuple[type[Payload], ...] = (
    OadrDistributeEvent,
    OadrCreatedEvent,
    OadrRequestEvent,
    OadrResponse,
    OadrCancelOpt,
    OadrCanceledOpt,
    OadrCreateOpt,
    OadrCreatedOpt,
    OadrCancelReport,
    OadrCanceledReport,
    OadrCreateReport,
    OadrCreatedReport,
    OadrRegisterReport,
    OadrRegisteredReport,
    OadrUpdateReport,
    OadrUpdatedReport,
    OadrCancelPartyRegistration,
    OadrCanceledPartyRegistration,
    OadrCreatePartyRegistration,
    OadrCreatedPartyRegistration,
    OadrRequestReregistration,
    OadrQueryRegistration,
    OadrPoll,
)
"""Every message class, in the order of the schema's ``oadrSignedObject`` choice."""
