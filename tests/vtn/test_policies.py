"""Registration policies: the allow-list (file and matching) and open registration."""

from __future__ import annotations

from pathlib import Path

import pytest

from openadr_accel.model import OadrCreatePartyRegistration, ProfileName, ResponseCode, TransportName
from openadr_accel.vtn import Accept, AllowedVen, AllowList, OpenRegistration, Peer, Reject

FP = "1A:2B:3C:4D:5E:6F:70:81:92:A3"


def request(ven_name: str | None = "charger", ven_id: str | None = None) -> OadrCreatePartyRegistration:
    return OadrCreatePartyRegistration(
        request_id="r",
        profile_name=ProfileName.B,
        transport_name=TransportName.SIMPLE_HTTP,
        report_only=False,
        xml_signature=False,
        ven_name=ven_name,
        ven_id=ven_id,
    )


async def test_open_registration_keeps_the_asked_ven_id() -> None:
    assert await OpenRegistration()(request(ven_id="v-1"), Peer()) == Accept("v-1")
    assert await OpenRegistration()(request(), Peer()) == Accept(None)


async def test_allow_list_matches_fingerprint_and_name() -> None:
    policy = AllowList([AllowedVen(fingerprint=FP.lower(), ven_id="fixed"), AllowedVen(ven_name="lab")])
    assert await policy(request(), Peer(fingerprint=FP)) == Accept("fixed")
    assert await policy(request(ven_name="lab"), Peer()) == Accept(None)
    refused = await policy(request(ven_name="other"), Peer(fingerprint="00:" * 9 + "00"))
    assert isinstance(refused, Reject)
    assert refused.response_code == ResponseCode.NOT_REGISTERED_OR_AUTHORIZED


async def test_allow_list_refuses_another_ven_id_with_452() -> None:
    policy = AllowList([AllowedVen(fingerprint=FP, ven_id="fixed")])
    refused = await policy(request(ven_id="mine"), Peer(fingerprint=FP))
    assert isinstance(refused, Reject)
    assert refused.response_code == ResponseCode.INVALID_ID


async def test_allow_list_file(tmp_path: Path) -> None:
    path = tmp_path / "allowed.toml"
    path.write_text(f'[[ven]]\nfingerprint = "{FP}"\nven_id = "v7"\n\n[[ven]]\nven_name = "lab"\n')
    policy = AllowList.from_file(path)
    assert policy.entries == (AllowedVen(fingerprint=FP, ven_id="v7"), AllowedVen(ven_name="lab"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[ven]]\nven_id = 'x'\n", "needs a fingerprint or a ven_name"),
        ("[[ven]]\nven_name = 'x'\ncolour = 'red'\n", "may only hold"),
        ("[[ven]]\nven_name = 3\n", "must be a string"),
        ("ven = 'x'\n", "array of tables"),
        ("[[ven]\n", "cannot read"),
    ],
)
def test_bad_allow_list_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "allowed.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        AllowList.from_file(path)


def test_missing_allow_list_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read the allow-list"):
        AllowList.from_file(tmp_path / "nope.toml")
