"""Test PKIs for the security tests, made once per session with the library's own generator.

- ``pki``: the main test PKI, with VEN ``ven1`` issued (RSA and ECC);
- ``other_pki``: an unrelated PKI (its certificates must be refused by ``pki``'s peers);
- ``expired_ven``: a VEN certificate of ``pki`` whose validity ended days ago.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openadr_accel.security import Credentials, KeyType, TestPKI, init_pki, issue_certificate, issue_ven


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("pki"))
    issue_ven("ven1", made.directory)
    return made


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    made = init_pki(tmp_path_factory.mktemp("other-pki"))
    issue_ven("ven1", made.directory)
    return made


@pytest.fixture(scope="session")
def expired_ven(pki: TestPKI) -> dict[KeyType, Credentials]:
    """VEN ``expired`` of ``pki``: valid for one day, ten days ago."""
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    return {
        key_type: issue_certificate(
            pki, key_type, "ven-expired", common_name="expired", now=ten_days_ago, valid_days=1
        )
        for key_type in KeyType
    }
