"""``openadr-accel vtn``: settings from flags and files, and the operator's commands on a store."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from openadr_accel.cli import main
from openadr_accel.model import EventStatus, OadrEvent, PowerReal, SiScaleCode
from openadr_accel.vtn import VtnConfig
from openadr_accel.vtn.settings import VtnSettings, parse_duration
from openadr_accel.vtn.store import VenRecord
from openadr_accel.vtn.store.sqlite import SqliteStore


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def registered_store(path: Path, *ven_ids: str) -> None:
    async def fill() -> None:
        store = SqliteStore(path)
        await store.open()
        for ven_id in ven_ids:
            await store.save_ven(
                VenRecord(ven_id=ven_id, registration_id=f"reg-{ven_id}", ven_name=f"name-{ven_id}")
            )
        await store.close()

    asyncio.run(fill())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("1.5h", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("250ms", timedelta(milliseconds=250)),
        ("PT5M", timedelta(minutes=5)),
        ("P1DT2H", timedelta(days=1, hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "P", "PT", "-5m", "P1DT"])
def test_bad_durations_say_so(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_serving_needs_an_explicit_registration_policy(tmp_path: Path) -> None:
    code, output = run("vtn", "--store", str(tmp_path / "vtn.db"))
    assert code == 2
    assert "choose who may register" in output


def test_settings_file_and_flags(tmp_path: Path) -> None:
    path = tmp_path / "vtn.toml"
    path.write_text(
        '[vtn]\nvtn_id = "file-vtn"\nport = 9000\npoll_frequency = "30s"\nstore = "data/vtn.db"\n'
        'registration = "allow-list"\nallow_list = "allowed.toml"\n'
        '[vtn.tls]\ncert = "c.pem"\nkey = "k.pem"\nca = "ca.pem"\nsign = true\n'
    )
    settings = VtnSettings.from_file(path).merged({"port": 9100, "vtn_id": None})
    assert settings.vtn_id == "file-vtn"
    assert settings.port == 9100
    assert settings.store == tmp_path / "data" / "vtn.db"
    assert settings.allow_list == tmp_path / "allowed.toml"
    assert settings.tls is not None
    assert settings.tls.cert == tmp_path / "c.pem"
    assert settings.tls.sign
    assert settings.config() == VtnConfig(vtn_id="file-vtn", poll_frequency=timedelta(seconds=30))


@pytest.mark.parametrize("value", ["250ms", "1500ms"])
def test_a_poll_frequency_2_0b_cannot_carry_is_a_usage_error(tmp_path: Path, value: str) -> None:
    """oadrRequestedOadrPollFreq carries whole seconds: the VTN refuses others before it starts."""
    args = ["--poll-frequency", value, "--store", str(tmp_path / "v.db"), "--registration", "open"]
    code, output = run("vtn", *args)
    assert code == 2
    assert "whole number of seconds" in output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[vtn]\ncolour = "red"\n', "unknown setting 'colour'"),
        ('[vtn]\npoll_frequency = "soon"\n', "poll_frequency: not a duration"),
        ("[vtn]\nport = 70000\n", "port: must be a port number"),
        ('[vtn]\n[vtn.tls]\ncert = "c.pem"\n', "tls: needs cert, key and ca"),
        ("[server]\nport = 1\n", "no \\[vtn\\] table"),
        ("[vtn\n", "cannot read"),
    ],
)
def test_bad_settings_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "vtn.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        VtnSettings.from_file(path)
    code, output = run("vtn", "--config", str(path), "vens")
    assert code == 2
    assert "Error" in output


def test_allow_list_policy_needs_its_file(tmp_path: Path) -> None:
    code, output = run("vtn", "--store", str(tmp_path / "v.db"), "--registration", "allow-list")
    assert code == 2
    assert "needs the allow_list file" in output


def test_operator_commands_on_a_store(tmp_path: Path) -> None:
    store = str(tmp_path / "vtn.db")
    registered_store(tmp_path / "vtn.db", "ven-a", "ven-b")

    code, output = run("vtn", "--store", store, "vens")
    assert code == 0, output
    lines = output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["ven-a", "ven-b"]
    assert "registered" in lines[0]
    assert "queued=0" in lines[0]

    code, output = run("vtn", "--store", store, "assign", "ven-a", "--group", "north")
    assert code == 0, output
    assert "groups=['north']" in output

    code, output = run(
        "vtn",
        "--store",
        store,
        "event",
        "create",
        "--interval",
        "30m=2",
        "--interval",
        "15m=1",
        "--start",
        "+2h",
        "--group",
        "north",
        "--event-id",
        "ev-1",
    )
    assert code == 0, output
    assert output.strip() == "ev-1"

    code, output = run("vtn", "--store", store, "vens")
    queued = {line.split("\t")[0]: line.split("\t")[4] for line in output.splitlines()}
    assert queued == {"ven-a": "queued=1", "ven-b": "queued=0"}  # only the group's VEN

    code, output = run("vtn", "--store", store, "event", "list")
    assert code == 0, output
    [line] = output.splitlines()
    assert line.startswith("ev-1\tmod=0\t" + EventStatus.FAR)
    assert "0:45:00" in line

    code, output = run("vtn", "--store", store, "event", "modify", "ev-1", "--interval", "20m=3")
    assert code == 0, output
    assert "modificationNumber=1" in output

    code, output = run("vtn", "--store", store, "event", "cancel", "ev-1")
    assert code == 0, output
    assert "modificationNumber=2" in output

    code, output = run("vtn", "--store", store, "event", "cancel", "ev-1")
    assert code == 1
    assert "cancelled and cannot change" in output

    code, output = run("vtn", "--store", store, "cancel-registration", "ven-b")
    assert code == 0, output
    code, output = run("vtn", "--store", store, "reregister", "ven-a")
    assert code == 0, output
    code, output = run("vtn", "--store", store, "reregister", "nobody")
    assert code == 1
    assert "not registered" in output


def stored_event(path: Path, event_id: str) -> OadrEvent:
    async def read() -> OadrEvent:
        store = SqliteStore(path)
        await store.open()
        try:
            found = await store.get_event(event_id)
        finally:
            await store.close()
        assert found is not None, f"event {event_id} is not in the store"
        return found

    return asyncio.run(read())


def test_an_event_with_a_power_unit_and_a_randomized_start(tmp_path: Path) -> None:
    store = tmp_path / "vtn.db"
    code, output = run(
        "vtn",
        "--store",
        str(store),
        "event",
        "create",
        "--signal-name",
        "LOAD_DISPATCH",
        "--signal-type",
        "setpoint",
        "--power-unit",
        "kW",
        "--interval",
        "30m=7.5",
        "--start-after",
        "5m",
        "--start",
        "+2h",
        "--event-id",
        "dispatch-1",
    )
    assert code == 0, output
    event = stored_event(store, "dispatch-1")
    [signal] = event.ei_event.signals
    assert isinstance(signal.item_base, PowerReal)
    assert signal.item_base.scale == SiScaleCode.KILO
    assert event.ei_event.active_period.start_after == timedelta(minutes=5)

    code, output = run(
        "vtn", "--store", str(store), "event", "create", "--interval", "30m=1", "--event-id", "e2"
    )
    assert code == 0, output
    plain = stored_event(store, "e2")
    assert plain.ei_event.signals[0].item_base is None
    assert plain.ei_event.active_period.start_after is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["event", "create", "--interval", "30m=1", "--start-after", "soon"], "--start-after 'soon'"),
        (["event", "create", "--interval", "30m=1", "--start-after", "0s"], "give a positive duration"),
        (["event", "create", "--interval", "30m=1", "--power-unit", "GW"], "'GW' is not one of"),
        (["event", "create"], "at least one --interval"),
        (["event", "create", "--interval", "30m"], "use DURATION=VALUE"),
        (["event", "create", "--interval", "soon=1"], "not a duration"),
        (["event", "create", "--interval", "30m=x"], "--interval '30m=x'"),
        (["event", "create", "--interval", "30m=1", "--start", "tomorrow"], "--start 'tomorrow'"),
        (["event", "create", "--interval", "30m=1", "--start", "2026-12-01T10:00:00"], "give a time zone"),
        (["event", "modify", "ev"], "nothing to change"),
    ],
)
def test_bad_event_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = run("vtn", "--store", str(tmp_path / "vtn.db"), *args)
    assert code == 2
    assert message in output


def test_an_event_breaking_a_rule_is_refused(tmp_path: Path) -> None:
    code, output = run("vtn", "--store", str(tmp_path / "vtn.db"), "event", "create", "--interval", "30m=7")
    assert code == 1
    assert "rule 9" in output
