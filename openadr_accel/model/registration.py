"""EiRegisterParty: query, create, cancel and renew a VEN's registration, and polling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ._validation import require_non_empty
from .common import EiResponse
from .enums import ProfileName, ServiceName, TransportName

__all__ = [
    "OadrCancelPartyRegistration",
    "OadrCanceledPartyRegistration",
    "OadrCreatePartyRegistration",
    "OadrCreatedPartyRegistration",
    "OadrExtension",
    "OadrInfo",
    "OadrPoll",
    "OadrProfile",
    "OadrQueryRegistration",
    "OadrRequestReregistration",
    "OadrService",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrQueryRegistration:
    """VEN to VTN: what does this VTN offer? (``oadr:oadrQueryRegistration``)."""

    request_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCreatePartyRegistration:
    """VEN to VTN: register, or re-register with ``registration_id`` (``oadr:oadrCreatePartyRegistration``).

    Attributes:
        transport_address: the VEN's own address for push; not needed in pull mode.
        report_only: the VEN only reports and takes no events.
        xml_signature: the VEN signs its messages and wants signed ones.
        http_pull_model: for simpleHttp, whether the VEN polls (True) or is pushed to (False).
    """

    request_id: str
    profile_name: ProfileName
    transport_name: TransportName
    report_only: bool
    xml_signature: bool
    registration_id: str | None = None
    ven_id: str | None = None
    transport_address: str | None = None
    ven_name: str | None = None
    http_pull_model: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrProfile:
    """A profile a VTN supports, with its transports (``oadr:oadrProfile``)."""

    profile_name: ProfileName
    transports: tuple[TransportName, ...]

    def __post_init__(self) -> None:
        require_non_empty(self.transports, "transports")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrInfo:
    """A key/value pair of registration information (``oadr:oadrInfo``)."""

    key: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrService:
    """Service-specific registration information (``oadr:oadrService``)."""

    service_name: ServiceName
    info: tuple[OadrInfo, ...]

    def __post_init__(self) -> None:
        require_non_empty(self.info, "info")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrExtension:
    """A named extension with key/value information (``oadr:oadrExtension``)."""

    name: str
    info: tuple[OadrInfo, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCreatedPartyRegistration:
    """VTN to VEN: registration details (``oadr:oadrCreatedPartyRegistration``).

    The answer to both a query (no ``registration_id`` unless already registered) and a
    registration. ``service_specific_info`` and ``extensions`` are ``None`` when the element is
    absent and a tuple (possibly empty) when present.
    """

    ei_response: EiResponse
    vtn_id: str
    profiles: tuple[OadrProfile, ...]
    registration_id: str | None = None
    ven_id: str | None = None
    requested_poll_freq: timedelta | None = None
    service_specific_info: tuple[OadrService, ...] | None = None
    extensions: tuple[OadrExtension, ...] | None = None

    def __post_init__(self) -> None:
        require_non_empty(self.profiles, "profiles")


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCancelPartyRegistration:
    """Either party: end a registration (``oadr:oadrCancelPartyRegistration``)."""

    request_id: str
    registration_id: str
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrCanceledPartyRegistration:
    """Either party: acknowledge the end of a registration (``oadr:oadrCanceledPartyRegistration``)."""

    ei_response: EiResponse
    registration_id: str | None = None
    ven_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrRequestReregistration:
    """VTN to VEN: please register again (``oadr:oadrRequestReregistration``)."""

    ven_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OadrPoll:
    """VEN to VTN (pull mode): anything queued for me? (``oadr:oadrPoll``)."""

    ven_id: str
