"""Who may register: a policy decides on every new oadrCreatePartyRegistration.

A policy is any async callable ``(request, peer) -> Accept | Reject``. Two are built in:

- :class:`AllowList`: only listed VENs, matched by certificate fingerprint and/or venName, each
  with an optional fixed venID; loaded from a TOML file with :meth:`AllowList.from_file`.
- :class:`OpenRegistration`: anyone, for development and lab use. It must be chosen explicitly:
  a VTN has no default policy.

Re-registrations (a request carrying the current registrationID) are not asked again.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..model import OadrCreatePartyRegistration, ResponseCode
from .handlers import Peer

__all__ = [
    "Accept",
    "AllowList",
    "AllowedVen",
    "OpenRegistration",
    "RegistrationDecision",
    "RegistrationPolicy",
    "Reject",
    "new_id",
]


def new_id() -> str:
    """A fresh random ID (for venIDs, registrationIDs and requestIDs)."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Accept:
    """Register the VEN, under ``ven_id`` if given (else the one it asked for, else a new one)."""

    ven_id: str | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """Refuse the registration with this response code and description."""

    description: str
    response_code: ResponseCode = ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


RegistrationDecision = Accept | Reject

RegistrationPolicy = Callable[[OadrCreatePartyRegistration, Peer], Awaitable[RegistrationDecision]]
"""Decides on a new registration."""


class OpenRegistration:
    """Accept every VEN (development and lab use only: anyone who can connect may register)."""

    async def __call__(self, request: OadrCreatePartyRegistration, peer: Peer) -> RegistrationDecision:
        """Accept, keeping the venID the VEN asked for."""
        return Accept(request.ven_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowedVen:
    """One entry of an allow-list. At least one of ``fingerprint`` and ``ven_name`` is required;
    every one given must match.

    Attributes:
        fingerprint: the 2.0b fingerprint of the VEN's client certificate.
        ven_name: the oadrVenName it registers with.
        ven_id: the venID it gets (else the one it asks for, else a new one).
    """

    fingerprint: str | None = None
    ven_name: str | None = None
    ven_id: str | None = None

    def __post_init__(self) -> None:
        if self.fingerprint is None and self.ven_name is None:
            raise ValueError("an allow-list entry needs a fingerprint or a ven_name")
        if self.fingerprint is not None:
            object.__setattr__(self, "fingerprint", self.fingerprint.strip().upper())

    def matches(self, request: OadrCreatePartyRegistration, peer: Peer) -> bool:
        """Whether the request and its sender fit this entry."""
        if self.fingerprint is not None and self.fingerprint != peer.fingerprint:
            return False
        return self.ven_name is None or self.ven_name == request.ven_name


class AllowList:
    """Accept only the VENs listed.

    The file format (TOML)::

        [[ven]]
        fingerprint = "1A:2B:3C:4D:5E:6F:70:81:92:A3"
        ven_id = "charger-park-7"

        [[ven]]
        ven_name = "lab-ven"
    """

    def __init__(self, entries: Iterable[AllowedVen]) -> None:
        self.entries = tuple(entries)

    @classmethod
    def from_file(cls, path: Path | str) -> AllowList:
        """Read an allow-list file (see the class docstring).

        Raises:
            ValueError: the file is missing, not TOML, or an entry is not valid (with the path).
        """
        try:
            document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read the allow-list {path}: {exc}") from exc
        raw = document.get("ven", [])
        if not isinstance(raw, list):
            raise ValueError(f"{path}: 'ven' must be an array of tables ([[ven]])")
        entries = []
        for number, item in enumerate(raw, start=1):
            if not isinstance(item, dict) or set(item) - {"fingerprint", "ven_name", "ven_id"}:
                raise ValueError(f"{path}: entry {number} may only hold fingerprint, ven_name and ven_id")
            if not all(isinstance(value, str) for value in item.values()):
                raise ValueError(f"{path}: entry {number}: every value must be a string")
            try:
                entries.append(AllowedVen(**item))
            except ValueError as exc:
                raise ValueError(f"{path}: entry {number}: {exc}") from exc
        return cls(entries)

    async def __call__(self, request: OadrCreatePartyRegistration, peer: Peer) -> RegistrationDecision:
        """Accept the first matching entry's VEN; refuse with 463 if none matches."""
        for entry in self.entries:
            if not entry.matches(request, peer):
                continue
            if entry.ven_id is not None and request.ven_id is not None and request.ven_id != entry.ven_id:
                return Reject(
                    f"venID {request.ven_id!r} is not the one allowed for this VEN", ResponseCode.INVALID_ID
                )
            return Accept(entry.ven_id or request.ven_id)
        return Reject("this VEN is not on the VTN's allow-list")
