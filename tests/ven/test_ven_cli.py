"""``openadr-accel ven``: settings from flags and files, handler modules, and real processes.

The process tests run our VTN (``openadr-accel vtn``) and our VEN (``openadr-accel ven``) as child
processes over loopback, drive the VTN with the operator's commands (``vtn event create ...``)
and read the VEN's log lines and the answers the VTN stored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from vtn_process import cli, free_port, vtn_process

from openadr_accel.cli import main
from openadr_accel.model import OptType
from openadr_accel.security import KeyType, fingerprint, init_pki, issue_ven
from openadr_accel.ven.config import VenConfig
from openadr_accel.ven.handlers import VenHandlers
from openadr_accel.ven.settings import (
    VenSettings,
    combined_handlers,
    load_handler_module,
    logging_handlers,
)

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = "examples/ven_handlers.py"
FAST_VTN = ["--registration", "open", "--poll-frequency", "1s"]  # 2.0b has no fractional seconds


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


# -- processes ------------------------------------------------------------------------------------


class VenProcess:
    """``openadr-accel ven`` as a child process whose output lines are collected as they come."""

    def __init__(self, args: Sequence[str], *, cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "openadr_accel", "ven", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._done = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def output(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for(self, *texts: str, timeout: float = 15) -> str:
        """The first output line holding all of ``texts`` (bounded wait)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    if all(text in line for text in texts):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._done:
                    raise AssertionError(f"no line with {texts} in the VEN's output:\n{''.join(self.lines)}")
                self._changed.wait(remaining)

    def stop(self, number: int = signal.SIGTERM, timeout: float = 5) -> int:
        """Send a signal and return the exit status (it must exit within ``timeout``)."""
        self.process.send_signal(number)
        return self.process.wait(timeout=timeout)


@contextmanager
def ven_process(args: Sequence[str], *, cwd: Path | None = None) -> Iterator[VenProcess]:
    """Start ``openadr-accel ven ARGS`` and wait for its 'started' line."""
    ven = VenProcess(args, cwd=cwd)
    try:
        ven.wait_for("started")
        yield ven
    finally:
        if ven.process.poll() is None:
            ven.process.kill()
            ven.process.wait(timeout=10)


def registered_ven_id(ven: VenProcess) -> str:
    line = ven.wait_for("registration: venID=")
    return line.split("venID=")[1].split()[0]


def create_event(store: Path, *args: str) -> str:
    created = cli("vtn", "--store", str(store), "event", "create", *args)
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def stored_answer(store: Path, event_id: str, ven_id: str, *, timeout: float = 15) -> str:
    """The VEN's answer to a current event, as ``vtn event list`` shows it (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = cli("vtn", "--store", str(store), "event", "list")
        for line in listed.stdout.splitlines():
            fields = line.split("\t")
            if fields[0] == event_id:
                for answer in fields[-1].split(","):
                    if answer.startswith(f"{ven_id}:"):
                        return answer.split(":", 1)[1]
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no answer of {ven_id} to {event_id} stored: {listed.stdout}{listed.stderr}"
            )
        time.sleep(0.2)


# -- settings -------------------------------------------------------------------------------------


def test_settings_file_and_flags(tmp_path: Path) -> None:
    path = tmp_path / "ven.toml"
    path.write_text(
        '[ven]\nvtn_url = "https://vtn.example.com:8443"\nven_name = "charger-7"\nvtn_id = "utility"\n'
        'poll_frequency = "30s"\nstore = "data/ven.db"\nhandlers = "my_handlers.py"\n'
        'vtn_fingerprint = "AA:BB"\ntransport_address = "https://ven.example.com:9443/ven"\n'
        'listen_host = "0.0.0.0"\nbackoff_max = "1m"\n'
        '[ven.tls]\ncert = "c.pem"\nkey = "k.pem"\nca = "ca.pem"\nsign = true\n'
    )
    settings = VenSettings.from_file(path).merged({"poll_frequency": "15s", "ven_name": None})
    assert settings.ven_name == "charger-7"
    assert settings.store == tmp_path / "data" / "ven.db"
    assert settings.handlers == str(tmp_path / "my_handlers.py")
    assert settings.tls is not None
    assert settings.tls.cert == tmp_path / "c.pem"
    assert settings.tls.sign
    assert settings.listen_address() == ("0.0.0.0", 9443)
    assert settings.config() == VenConfig(
        vtn_url="https://vtn.example.com:8443",
        ven_name="charger-7",
        vtn_id="utility",
        poll_frequency=timedelta(seconds=15),
        transport_address="https://ven.example.com:9443/ven",
        backoff_max=timedelta(minutes=1),
    )
    # a dotted module name is not a path
    assert VenSettings().merged({"handlers": "my_company.ven"}, base=tmp_path).handlers == "my_company.ven"
    assert VenSettings().store == Path("ven.db")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[ven]\ncolour = "red"\n', "unknown setting 'colour'"),
        ('[ven]\npoll_frequency = "soon"\n', "poll_frequency: not a duration"),
        ("[ven]\nlisten_port = 70000\n", "listen_port: must be a port number"),
        ('[ven]\nreport_only = "yes"\n', "report_only: must be true or false"),
        ('[ven]\n[ven.tls]\ncert = "c.pem"\n', "tls: needs cert, key and ca"),
        ('[ven]\nven_name = ""\n', "ven_name: must not be empty"),
        ("[vtn]\nport = 1\n", "no \\[ven\\] table"),
        ("[ven\n", "cannot read"),
    ],
)
def test_bad_settings_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ven.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        VenSettings.from_file(path)
    code, output = run("ven", "--config", str(path))
    assert code == 2
    assert "Error" in output


HEADER = "from openadr_accel.ven.handlers import VenHandlers\n"


def write_module(directory: Path, name: str, body: str, *, header: bool = False) -> Path:
    path = directory / name
    path.write_text((HEADER if header else "") + textwrap.dedent(body))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give the VTN's URL"),
        (["--vtn-url", "ftp://vtn"], "must be an http or https URL"),
        (["--vtn-url", "https://vtn.example.com"], "vtn_url use https: give the TLS files"),
        (["--vtn-url", "http://vtn", "--poll-frequency", "soon"], "poll_frequency: not a duration"),
        (["--vtn-url", "http://vtn", "--cert", "c.pem"], "--key, --ca missing"),
        (
            ["--vtn-url", "http://vtn", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem"],
            "cannot read c.pem",
        ),
        (
            ["--vtn-url", "http://vtn", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem", "--sign"],
            "signing needs the fingerprint",
        ),
        (["--vtn-url", "http://vtn", "--transport-address", "vens.example.com"], "transport_address must be"),
        (["--vtn-url", "http://vtn", "--listen-port", "99999"], "99999 is not in the range"),
        (
            ["--vtn-url", "http://vtn", "--store", "nowhere/ven.db"],
            "the directory of nowhere/ven.db does not exist",
        ),
        (["--vtn-url", "http://vtn", "--handlers", "missing.py"], "no such file: missing.py"),
        (["--vtn-url", "http://vtn", "--handlers", "no_such_module_here"], "no module named"),
        (["--vtn-url", "http://vtn", "--handlers", "not a module"], "neither a .py file nor a dotted"),
        (["--vtn-url", "http://vtn", "--handlers", "none.py"], "must define either 'handlers'"),
        (["--vtn-url", "http://vtn", "--handlers", "both.py"], "not both"),
        (["--vtn-url", "http://vtn", "--handlers", "wrong.py"], "handlers is dict, not a VenHandlers"),
        (["--vtn-url", "http://vtn", "--handlers", "factory.py"], "make_handlers() returned int"),
        (
            ["--vtn-url", "http://vtn", "--handlers", "broken.py"],
            "importing broken.py failed: ZeroDivisionError",
        ),
        (
            ["--vtn-url", "http://vtn", "--handlers", "reports.py"],
            "reports holds str, not a ReportCapability",
        ),
        (["--vtn-url", "http://vtn", "--handlers", "supports.py"], "supports must be a function"),
    ],
)
def test_bad_flags_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # loading a file puts its directory first
    write_module(tmp_path, "none.py", "x = 1\n")
    write_module(
        tmp_path, "both.py", "handlers = VenHandlers()\ndef make_handlers(): return handlers\n", header=True
    )
    write_module(tmp_path, "wrong.py", "handlers = {}\n")
    write_module(tmp_path, "factory.py", "def make_handlers(): return 1\n")
    write_module(tmp_path, "broken.py", "1 / 0\n")
    write_module(
        tmp_path, "reports.py", "handlers = VenHandlers()\nreports = ['TELEMETRY_USAGE']\n", header=True
    )
    write_module(tmp_path, "supports.py", "handlers = VenHandlers()\nsupports = True\n", header=True)
    code, output = run("ven", "--store", str(tmp_path / "ven.db"), *args)
    assert code == 2, output
    assert message in " ".join(output.split()), output
    assert not (tmp_path / "ven.db").exists()  # refused before anything was opened


def test_a_bad_flag_in_a_real_process_exits_2() -> None:
    result = cli("ven", "--poll-frequency", "10s")
    assert result.returncode == 2
    assert "Error" in result.stderr
    assert "--vtn-url" in result.stderr


def test_handler_modules_by_name_or_factory_combine_with_logging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "vendor_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    write_module(
        package,
        "ven.py",
        """
        from openadr_accel.model import OptType

        async def decide(event):
            return OptType.OPT_OUT

        def make_handlers():
            return VenHandlers(on_event=decide)

        def supports(signal):
            return False
        """,
        header=True,
    )
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = load_handler_module("vendor_pkg.ven")
    assert module.handlers.on_event is not None
    assert module.supports is not None
    assert module.reports == ()

    combined = combined_handlers(module.handlers)
    logging_set = logging_handlers()
    assert combined.on_event is not module.handlers.on_event  # wrapped: its decision is logged
    assert combined.on_event_pending is logging_set.on_event_pending
    for name in ("on_event_pending", "on_event_started", "on_event_ended", "on_registered", "on_report"):
        assert getattr(combined, name) is not None  # the logging ones stay

    async def ended(event: object) -> None:
        return None

    assert combined_handlers(VenHandlers(on_event_ended=ended)).on_event_ended is ended  # not wrapped
    example = load_handler_module(str(ROOT / EXAMPLE))
    assert [report.report_specifier_id for report in example.reports] == ["meter"]


async def test_the_decision_of_a_vendor_on_event_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    from samples import simple_event  # noqa: PLC0415

    async def opt_out(event: object) -> OptType:
        return OptType.OPT_OUT

    decide = combined_handlers(VenHandlers(on_event=opt_out)).on_event
    assert decide is not None
    caplog.set_level("INFO", logger="openadr_accel.ven")
    event = simple_event()
    assert await decide(event) == OptType.OPT_OUT
    [record] = caplog.records
    assert f"eventID={event.ei_event.event_descriptor.event_id} modificationNumber=" in record.getMessage()
    assert record.getMessage().endswith("-> optOut")


# -- processes ------------------------------------------------------------------------------------


def test_ven_logs_an_event_lifecycle_and_the_vtn_stores_its_answers(tmp_path: Path) -> None:
    vtn_store = tmp_path / "vtn.db"
    with vtn_process([*FAST_VTN, "--store", str(vtn_store)]) as vtn:
        args = ["--vtn-url", vtn.url, "--ven-name", "cli-ven", "--store", str(tmp_path / "ven.db")]
        with ven_process([*args, "--poll-frequency", "250ms"]) as ven:
            ven_id = registered_ven_id(ven)

            later = create_event(vtn_store, "--interval", "30m=2", "--start", "+2h")
            line = ven.wait_for("event received", f"eventID={later} modificationNumber=0")
            assert "status=far" in line
            assert "signals=SIMPLE/level[0:30:00=2]" in line
            assert line.endswith("-> optIn\n")
            ven.wait_for("event pending", f"eventID={later}")
            assert stored_answer(vtn_store, later, ven_id) == "optIn"

            soon = create_event(vtn_store, "--interval", "1s=1", "--interval", "1s=2", "--start", "+3s")
            assert "SIMPLE=1" in ven.wait_for("event started", f"eventID={soon} modificationNumber=0")
            assert "SIMPLE=2" in ven.wait_for("event interval changed", f"eventID={soon}")
            ven.wait_for("event ended", f"eventID={soon}")

            modified = cli("vtn", "--store", str(vtn_store), "event", "modify", later, "--interval", "20m=3")
            assert modified.returncode == 0, modified.stderr
            assert "(was 0)" in ven.wait_for("event modified", f"eventID={later} modificationNumber=1")
            cancelled = cli("vtn", "--store", str(vtn_store), "event", "cancel", later)
            assert cancelled.returncode == 0, cancelled.stderr
            ven.wait_for("event cancelled", f"eventID={later} modificationNumber=2")

            started = time.monotonic()
            assert ven.stop(signal.SIGTERM) == 0
            assert time.monotonic() - started < 5
            ven.wait_for("VEN cli-ven stopped")

        # Restarted on the same store, the VEN keeps its registration.
        with ven_process(args) as again:
            time.sleep(0.5)
            assert again.stop(signal.SIGINT) == 0
            again.wait_for("stopped")
            assert "registration:" not in again.output()
        vens = cli("vtn", "--store", str(vtn_store), "vens")
        assert vens.stdout.startswith(f"{ven_id}\tregistered\tcli-ven\tpull"), vens.stdout


def test_a_handler_module_takes_effect(tmp_path: Path) -> None:
    vtn_store = tmp_path / "vtn.db"
    reports = ["--request-reports", "TELEMETRY_USAGE", "--report-granularity", "1s"]
    with vtn_process([*FAST_VTN, "--store", str(vtn_store), *reports, "--report-back-duration", "1s"]) as vtn:
        args = ["--vtn-url", vtn.url, "--store", str(tmp_path / "ven.db"), "--poll-frequency", "250ms"]
        with ven_process([*args, "--handlers", EXAMPLE], cwd=ROOT) as ven:
            ven_id = registered_ven_id(ven)

            test_event = create_event(vtn_store, "--interval", "30m=1", "--start", "+1h", "--test")
            assert stored_answer(vtn_store, test_event, ven_id) == "optOut"  # the module's decision
            assert "test=true" in ven.wait_for("event received", f"eventID={test_event}", "-> optOut")

            real_event = create_event(vtn_store, "--interval", "1s=2", "--start", "+4s")
            ven.wait_for("event pending", f"eventID={real_event}")  # logging kept where the module is silent
            assert "charging at 2750" in ven.wait_for(f"example: event {real_event} SIMPLE level 2")
            ven.wait_for(f"example: event {real_event} over")

            deadline = time.monotonic() + 15
            while (
                "power=" not in (delivered := cli("vtn", "--store", str(vtn_store), "reports", ven_id)).stdout
            ):
                assert time.monotonic() < deadline, f"no report data from the fake meter: {delivered}"
                time.sleep(0.3)
            assert "energy=" in delivered.stdout
            assert ven.stop() == 0


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_ven_promptly_even_while_the_vtn_is_unreachable(tmp_path: Path, number: int) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: the VEN backs off and retries
    with ven_process(["--vtn-url", url, "--store", str(tmp_path / "ven.db")]) as ven:
        ven.wait_for("VTN exchange failed")
        started = time.monotonic()
        assert ven.stop(number) == 0
        assert time.monotonic() - started < 5
        ven.wait_for("stopped")
        assert "Traceback" not in ven.output()


def test_the_settings_file_route(tmp_path: Path) -> None:
    vtn_store = tmp_path / "vtn.db"
    config_dir = tmp_path / "etc"
    (config_dir / "state").mkdir(parents=True)
    write_module(
        config_dir,
        "opt_out_all.py",
        """
        from openadr_accel.model import OptType

        async def refuse(event):
            return OptType.OPT_OUT

        handlers = VenHandlers(on_event=refuse)
        """,
        header=True,
    )
    with vtn_process([*FAST_VTN, "--store", str(vtn_store)]) as vtn:
        (config_dir / "ven.toml").write_text(
            f'[ven]\nvtn_url = "{vtn.url}"\nven_name = "file-ven"\npoll_frequency = "1h"\n'
            'store = "state/ven.db"\nhandlers = "opt_out_all.py"\n'
        )
        # relative paths are relative to the file; the flag wins over the file's poll_frequency
        with ven_process(
            ["--config", str(config_dir / "ven.toml"), "--poll-frequency", "250ms"], cwd=tmp_path
        ) as ven:
            ven_id = registered_ven_id(ven)
            event_id = create_event(vtn_store, "--interval", "30m=1", "--start", "+1h")
            assert stored_answer(vtn_store, event_id, ven_id) == "optOut"

            # The VTN cancels the registration: the VEN says so and ends by itself, with status 0.
            cancelled = cli("vtn", "--store", str(vtn_store), "cancel-registration", ven_id)
            assert cancelled.returncode == 0, cancelled.stderr
            assert ven.process.wait(timeout=15) == 0
            ven.wait_for("registration cancelled: venID=" + ven_id)
            ven.wait_for("VEN file-ven stopped")
    assert (config_dir / "state" / "ven.db").is_file()
    assert not (tmp_path / "ven.db").exists()


def test_a_push_ven_serves_its_endpoint(tmp_path: Path) -> None:
    vtn_store = tmp_path / "vtn.db"
    port = free_port()
    with vtn_process([*FAST_VTN, "--store", str(vtn_store)]) as vtn:
        args = ["--vtn-url", vtn.url, "--store", str(tmp_path / "ven.db")]
        with ven_process([*args, "--transport-address", f"http://127.0.0.1:{port}/ven"]) as ven:
            assert f"listening on 127.0.0.1:{port}" in ven.output()
            ven_id = registered_ven_id(ven)
            vens = cli("vtn", "--store", str(vtn_store), "vens")
            assert f"push to http://127.0.0.1:{port}/ven" in vens.stdout
            event_id = create_event(vtn_store, "--interval", "30m=1", "--start", "+1h")
            ven.wait_for("event received", f"eventID={event_id}", "-> optIn")
            assert stored_answer(vtn_store, event_id, ven_id) == "optIn"
            assert ven.stop() == 0


def test_mutual_tls_and_signatures_from_flags(tmp_path: Path) -> None:
    pki = init_pki(tmp_path / "pki")
    vtn_credentials = pki.vtn(KeyType.RSA)
    ven_credentials = issue_ven("lab-ven", tmp_path / "pki")[KeyType.RSA]
    vtn_store = tmp_path / "vtn.db"
    vtn_tls = ["--cert", str(vtn_credentials.certificate), "--key", str(vtn_credentials.key)]
    with vtn_process(
        [*FAST_VTN, "--store", str(vtn_store), *vtn_tls, "--ca", str(pki.ca_bundle), "--sign"]
    ) as vtn:
        args = [
            "--vtn-url",
            vtn.url.replace("http://", "https://"),
            "--store",
            str(tmp_path / "ven.db"),
            "--poll-frequency",
            "250ms",
            "--cert",
            str(ven_credentials.certificate),
            "--key",
            str(ven_credentials.key),
            "--ca",
            str(pki.ca_bundle),
            "--sign",
            "--vtn-fingerprint",
            fingerprint(vtn_credentials.certificate),
        ]
        with ven_process(args) as ven:
            ven_id = registered_ven_id(ven)
            event_id = create_event(vtn_store, "--interval", "30m=1", "--start", "+1h")
            ven.wait_for("event received", f"eventID={event_id}", "-> optIn")
            assert stored_answer(vtn_store, event_id, ven_id) == "optIn"
            assert ven.stop() == 0
