"""Fixtures of the conformance tests."""

from __future__ import annotations

import pytest

from openadr_accel.security import TestPKI, init_pki, issue_ven


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    """A throwaway test PKI (one per test module): the VTN's certificates and those of a VEN
    named ``th``, RSA and ECC."""
    made = init_pki(tmp_path_factory.mktemp("conformance-pki"))
    issue_ven("th", made.directory)
    return made
