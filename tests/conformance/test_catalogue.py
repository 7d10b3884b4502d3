"""Every case of the certification catalogue (shared/conformance/catalogue.md) is in the registry,
for each device role the catalogue lists, in the transports it lists, with a title and a
description; and nothing else is.

The catalogue's ranges without individual numbers (A_E1_0082-0104, A_E1_0210-0280, A_E3_0452-0498)
are numbered in the docstrings of the case modules; this test holds the same numbering."""

from __future__ import annotations

import pytest

from openadr_accel.conformance import cases  # noqa: F401 (registers the cases)
from openadr_accel.conformance.case import REGISTRY, Role, Transport

BOTH = (Transport.PULL, Transport.PUSH)

REGISTRATION = ["N1_0010", "N1_0015", "N1_0020", "N1_0025", "N1_0030", "N1_0040"]
REGISTRATION += ["N1_0050", "N1_0060", "N1_0065", "N1_0070", "N1_0080"]
EVENT = ["E1_1010", "E1_1020", "E1_1025", "E1_1027", "E1_1030", "E1_1040", "E1_1050"]
EVENT += ["E1_1060", "E1_1065", "E1_1070", "E1_1080"]
OPT = ["P1_2010", "P1_2015", "P1_2020", "P1_2030", "P1_2040", "P1_2050"]
REPORT = ["R1_3010", "R1_3020", "R1_3025", "R1_3027", "R1_3030", "R1_3040", "R1_3045", "R1_3050"]
REPORT += [f"R1_{number}" for number in range(3060, 3121, 10)]
REPORT += [f"R1_{number}" for number in range(3130, 3191, 10)]

EVENT_2A_VEN = ["A_E1_0020", "A_E1_0040", "A_E1_0060", "A_E1_0070"]
EVENT_2A_VEN += [f"A_E1_{number:04d}" for number in range(82, 105, 2)]  # the 12 state sequences
EVENT_2A_VEN += ["A_E1_0110", "A_E1_0130", "A_E1_0180", "A_E1_0190", "A_E1_0200"]
EVENT_2A_VEN += ["A_E1_0210", "A_E1_0220", "A_E1_0230", "A_E1_0240", "A_E1_0250", "A_E1_0255"]
EVENT_2A_VEN += ["A_E1_0260", "A_E1_0265", "A_E1_0270", "A_E1_0275", "A_E1_0280"]  # observation
EVENT_2A_VEN += ["A_E1_0285", "A_E1_0300", "A_E1_0310", "A_E1_0325", "A_E1_0340", "A_E1_0345"]
EVENT_2A_VEN += ["A_E1_0360", "A_E1_0370", "A_E1_0390", "A_E1_0392"]

EVENT_2A_VTN = ["A_E3_0420", "A_E3_0430", "A_E3_0432", "A_E3_0435", "A_E3_0440", "A_E3_0450"]
EVENT_2A_VTN += [f"A_E3_{number:04d}" for number in range(452, 499, 2)]  # the 24 state sequences
EVENT_2A_VTN += ["A_E3_0500", "A_E3_0510", "A_E3_0520", "A_E3_0525", "A_E3_0527", "A_E3_0530"]
EVENT_2A_VTN += ["A_E3_0655", "A_E3_0657", "A_E3_0680", "A_E3_0685", "A_E3_0710", "A_E3_0720"]
EVENT_2A_VTN += ["A_E3_0730", "A_E3_0750", "A_E3_0780"]

PULL_ONLY = {"G1_4011", "G1_4015"}
"""Poll cases: they exist in HTTP pull only."""

CATALOGUE: dict[Role, list[str]] = {
    Role.VEN: [*REGISTRATION, *EVENT, *EVENT_2A_VEN, *OPT, *REPORT, "G1_4010", "G1_4011", "G1_4015"],
    Role.VTN: [
        *REGISTRATION,
        *EVENT,
        *EVENT_2A_VTN,
        *OPT,
        *REPORT,
        "G1_4010",
        "G1_4011",
        "G1_4015",
        "G1_4020",
    ],
}


@pytest.mark.parametrize("role", list(Role))
def test_the_registry_holds_exactly_the_catalogue(role: Role) -> None:
    registered = [found.number for found in REGISTRY if found.role is role]
    assert sorted(registered) == sorted(CATALOGUE[role])
    assert len(registered) == len(set(registered))


@pytest.mark.parametrize("role", list(Role))
def test_every_case_runs_in_the_transports_the_catalogue_lists(role: Role) -> None:
    for number in CATALOGUE[role]:
        found = REGISTRY.get(number, role)
        expected = (Transport.PULL,) if number in PULL_ONLY else BOTH
        assert found.transports == expected, number
        assert found.title.strip(), number
        assert found.description, number  # what it does and checks, shown in the reports


def test_case_ids_follow_the_certification_harness() -> None:
    assert REGISTRY.get("N1_0010", Role.VEN).case_id(Transport.PUSH) == "N0_5010_TH_VTN"
    assert REGISTRY.get("E1_1020", Role.VTN).case_id(Transport.PUSH) == "E0_6020_TH_VEN"
    assert REGISTRY.get("A_E1_0020", Role.VEN).case_id(Transport.PUSH) == "A_E0_0020_TH_VTN"
    assert REGISTRY.get("A_E3_0420", Role.VTN).case_id(Transport.PUSH) == "A_E2_0420_TH_VEN"
    assert REGISTRY.get("G1_4011", Role.VTN).case_id(Transport.PULL) == "G1_4011_TH_VEN"


def test_selection_by_group_number_and_wildcard() -> None:
    registration = REGISTRY.select(Role.VEN, Transport.PUSH, ["N"])
    assert [item.case.number for item in registration] == REGISTRATION
    assert [item.case_id for item in REGISTRY.select(Role.VTN, Transport.PULL, ["R1_31*"])] == [
        f"R1_{number}_TH_VEN" for number in range(3100, 3191, 10)
    ]
    assert [item.case_id for item in REGISTRY.select(Role.VEN, Transport.PUSH, ["N0_5010"])] == [
        "N0_5010_TH_VTN"
    ]
    with pytest.raises(ValueError, match="no push case for a VEN matches 'G1_4011'"):
        REGISTRY.select(Role.VEN, Transport.PUSH, ["G1_4011"])
