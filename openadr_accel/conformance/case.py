"""Conformance cases: what one is, how it is named, what it can conclude, and the registry.

A case mirrors one certification test case of the catalogue. Its identifier follows the
certification harness: ``<Group><Transport>_<NNNN>_TH_<HarnessRole>``, for example
``N1_0010_TH_VTN`` (registration, HTTP pull, the harness plays the VTN so the device under test
is a VEN) or ``E0_6020_TH_VEN`` (event, HTTP push, the device under test is a VTN). One
:class:`Case` is written once and runs in each transport it lists; the push number is derived
from the pull number as the catalogue does (``N1_0010`` → ``N0_5010``, ``A_E1_0020`` →
``A_E0_0020``, ``A_E3_0420`` → ``A_E2_0420``).

A case concludes with one :class:`Verdict`. Only :attr:`Verdict.PASSED` is a pass: a case that
needs a human to watch the device, that does not apply to it, or that was not run, never counts
as one.
"""

from __future__ import annotations

import fnmatch
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .transcript import Exchange

__all__ = [
    "REGISTRY",
    "Case",
    "CaseFailed",
    "CaseRegistry",
    "CaseResult",
    "Group",
    "NotApplicable",
    "Role",
    "Transport",
    "Verdict",
    "case",
]


class Role(StrEnum):
    """The role of the device under test."""

    VEN = "VEN"
    """The device is a VEN: the harness plays the VTN (``TH_VTN`` cases)."""
    VTN = "VTN"
    """The device is a VTN: the harness plays a VEN (``TH_VEN`` cases)."""

    @property
    def harness(self) -> str:
        """The harness's role, as the case IDs name it."""
        return "VTN" if self is Role.VEN else "VEN"


class Transport(StrEnum):
    """The simpleHttp exchange model a case runs in."""

    PULL = "pull"
    """The VEN polls (oadrPoll) for what the VTN has for it."""
    PUSH = "push"
    """The VTN POSTs to the VEN's own endpoint (its transportAddress)."""


class Group(StrEnum):
    """The catalogue's groups."""

    REGISTRATION = "N"
    EVENT = "E"
    OPT = "P"
    REPORT = "R"
    GENERAL = "G"
    EVENT_2A = "A_E"
    """2.0a-profile event cases re-run on 2.0b devices."""


class Verdict(StrEnum):
    """How a case ended. Only PASSED is a pass."""

    PASSED = "passed"
    """Every check held."""
    FAILED = "failed"
    """A check did not hold: the device did something the case forbids, or not what it must."""
    ERROR = "error"
    """The case could not be carried out (the harness failed, the device could not be reached at
    all); says nothing about conformance, and is not a pass."""
    NEEDS_OBSERVATION = "needs observation"
    """Every automatic check held, but the case also asks for something only a person watching
    the device can confirm (an external device): not a pass until someone does."""
    NOT_APPLICABLE = "not applicable"
    """The case does not apply to this device (it lacks an optional feature the case is about)."""
    SKIPPED = "skipped"
    """Not run (deselected, or the run stopped before it)."""

    @property
    def is_pass(self) -> bool:
        """Whether this verdict counts as a pass (only PASSED does)."""
        return self is Verdict.PASSED


class CaseFailed(AssertionError):
    """Raised inside a case when a check does not hold (the verdict is FAILED)."""


class NotApplicable(Exception):
    """Raised inside a case when it does not apply to the device (the verdict is NOT_APPLICABLE)."""


_NUMBER = re.compile(r"^(?P<prefix>A_E|[NEPRG])(?P<digit>[0-3])_(?P<number>\d{4})$")

_PUSH_OFFSET = 5000
"""Push numbers of the N, E, P, R and G groups are the pull numbers plus 5000."""


def push_number(pull: str) -> str:
    """The push twin of a pull case number (``N1_0010`` → ``N0_5010``, ``A_E1_0020`` → ``A_E0_0020``)."""
    found = _NUMBER.match(pull)
    if found is None:
        raise ValueError(f"{pull!r} is not a catalogue case number such as N1_0010 or A_E1_0020")
    prefix, digit, number = found["prefix"], int(found["digit"]), found["number"]
    if prefix == "A_E":
        if digit not in (1, 3):
            raise ValueError(f"{pull!r}: pull A_E cases are A_E1 (VEN) or A_E3 (VTN)")
        return f"A_E{digit - 1}_{number}"
    if digit != 1:
        raise ValueError(f"{pull!r}: pull numbers have the transport digit 1")
    return f"{prefix}0_{int(number) + _PUSH_OFFSET:04d}"


CaseBody = Callable[[Any], Awaitable[None]]
"""A case's script: takes the role's context (a ``VenCaseContext`` or ``VtnCaseContext``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One catalogue case, for one device role, in the transports it lists.

    Attributes:
        number: the pull number, as the catalogue lists it (``N1_0010``, ``A_E1_0020``).
        role: the role of the device under test.
        title: what the case checks, in the catalogue's words.
        rules: the conformance rules it touches (by number).
        transports: the transports it runs in (some cases exist for pull only).
        body: the script (its docstring says how it goes about its checks).
    """

    number: str
    role: Role
    title: str
    body: CaseBody
    rules: tuple[int, ...] = ()
    transports: tuple[Transport, ...] = (Transport.PULL, Transport.PUSH)

    @property
    def group(self) -> Group:
        """The case's catalogue group."""
        return Group.EVENT_2A if self.number.startswith("A_E") else Group(self.number[0])

    def number_in(self, transport: Transport) -> str:
        """The case number in ``transport`` (the pull number, or its push twin)."""
        return self.number if transport is Transport.PULL else push_number(self.number)

    def case_id(self, transport: Transport) -> str:
        """The full identifier, ``N1_0010_TH_VTN``."""
        return f"{self.number_in(transport)}_TH_{self.role.harness}"

    @property
    def description(self) -> str:
        """The script's docstring: how the case goes about its checks."""
        return inspect.cleandoc(self.body.__doc__ or "")


@dataclass(frozen=True, slots=True)
class Selected:
    """One case in one transport, as a run schedules it."""

    case: Case
    transport: Transport

    @property
    def case_id(self) -> str:
        """The full identifier in this transport (``N0_5010_TH_VTN``)."""
        return self.case.case_id(self.transport)


class CaseRegistry:
    """Every case, by full identifier."""

    def __init__(self) -> None:
        self._cases: dict[tuple[str, Role], Case] = {}

    def add(self, new: Case) -> Case:
        """Register a case (a second case with the same number and role is a mistake)."""
        push_number(new.number)  # the number is well formed
        key = (new.number, new.role)
        if key in self._cases:
            raise ValueError(f"case {new.number} for a {new.role} is registered twice")
        self._cases[key] = new
        return new

    def __iter__(self) -> Iterator[Case]:
        return iter(sorted(self._cases.values(), key=_catalogue_order))

    def __len__(self) -> int:
        return len(self._cases)

    def get(self, number: str, role: Role) -> Case:
        """The case with that pull number for that role."""
        try:
            return self._cases[(number, role)]
        except KeyError:
            raise KeyError(f"no case {number} for a device that is a {role}") from None

    def select(
        self,
        role: Role,
        transport: Transport,
        patterns: Iterable[str] = (),
    ) -> list[Selected]:
        """The cases for a device of ``role`` in ``transport``, in catalogue order, that match
        any of ``patterns`` (all when none is given).

        A pattern matches a case when the case's full ID (``N0_5010_TH_VTN``), its number in
        that transport (``N0_5010``) or its pull number (``N1_0010``) starts with it, or matches
        it as a shell wildcard: ``N`` (a group), ``R1_31*``, ``E1_1020``, ``A_E``.

        Raises:
            ValueError: a pattern matched no case at all.
        """
        wanted = list(patterns)
        chosen = [
            Selected(found, transport)
            for found in self
            if found.role is role and transport in found.transports
        ]
        if not wanted:
            return chosen
        unmatched = [pattern for pattern in wanted if not any(_matches(pattern, item) for item in chosen)]
        if unmatched:
            raise ValueError(f"no {transport} case for a {role} matches {', '.join(map(repr, unmatched))}")
        return [item for item in chosen if any(_matches(pattern, item) for pattern in wanted)]


def _matches(pattern: str, item: Selected) -> bool:
    names = (item.case_id, item.case.number_in(item.transport), item.case.number)
    pattern = pattern.strip()
    if any(char in pattern for char in "*?["):
        return any(fnmatch.fnmatchcase(name, pattern) for name in names)
    return any(name.startswith(pattern) for name in names)


_GROUP_ORDER = {group: index for index, group in enumerate(["N", "E", "A_E", "P", "R", "G"])}


def _catalogue_order(item: Case) -> tuple[int, str]:
    return (_GROUP_ORDER[item.group.value], item.number)


REGISTRY = CaseRegistry()
"""The registry the suite's cases (``openadr_accel.conformance.cases``) register in."""


def case(
    number: str,
    *,
    role: Role,
    title: str,
    rules: tuple[int, ...] = (),
    transports: tuple[Transport, ...] = (Transport.PULL, Transport.PUSH),
    registry: CaseRegistry = REGISTRY,
) -> Callable[[CaseBody], CaseBody]:
    """Register the decorated coroutine function as a case (see :class:`Case`)."""

    def register(body: CaseBody) -> CaseBody:
        registry.add(
            Case(number=number, role=role, title=title, body=body, rules=rules, transports=transports)
        )
        return body

    return register


@dataclass(slots=True, kw_only=True)
class CaseResult:
    """What one case in one transport concluded, with the messages exchanged on the way.

    Attributes:
        case_id: the full identifier.
        case: the case.
        transport: the transport it ran in.
        verdict: the conclusion.
        reason: why, in words (the failed check, the observation needed, the error).
        checks: every check that held, in order (what the case confirmed).
        observations: what a person must confirm by watching the device (external devices).
        exchanges: every message between the harness and the device, in order.
        seconds: how long the case took (wall clock).
    """

    case_id: str
    case: Case
    transport: Transport
    verdict: Verdict
    reason: str = ""
    checks: list[str] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    seconds: float = 0.0
