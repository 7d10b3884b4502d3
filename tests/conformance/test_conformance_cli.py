"""``openadr-accel conformance``, in real subprocesses: listing, runs against our own VEN and VTN
(with reports), an external VEN that connects and one that never does, interruption, and usage
errors. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from openadr_accel.conformance import cases  # noqa: F401 (registers the suite's cases)
from openadr_accel.conformance.case import REGISTRY, Role, Transport

COMMAND = [sys.executable, "-m", "openadr_accel", "conformance"]


def run(*arguments: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def junit(path: Path) -> etree._Element:
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_listening(port: int, process: subprocess.Popen[str], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the command ended before it listened"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port} after {seconds} s")


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # even if the test runner's shell ignores it


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; whatever still runs at the end is stopped (by its own pid)."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# -- listing ----------------------------------------------------------------------------------------


def test_list_prints_the_selected_cases_with_their_titles(tmp_path: Path) -> None:
    listed = run("ven", "--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    pull_cases = REGISTRY.select(Role.VEN, Transport.PULL)
    assert lines[-1] == f"{len(pull_cases)} case(s)"
    assert [line.split()[0] for line in lines[:-1]] == [selected.case_id for selected in pull_cases]
    first = REGISTRY.get("N1_0010", Role.VEN)
    assert lines[0].split()[:2] == ["N1_0010_TH_VTN", "pull"]
    assert first.title in lines[0]

    chosen = run("ven", "--list", "--both", "-c", "N1_0010", "-c", "N0_5020", cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    ids = [line.split()[0] for line in chosen.stdout.splitlines()[:-1]]
    assert ids == ["N1_0010_TH_VTN", "N0_5010_TH_VTN", "N0_5020_TH_VTN"]

    group = run("ven", "--list", "--push", "-c", "N", cwd=tmp_path)
    assert group.returncode == 0, group.stderr
    ids = [line.split()[0] for line in group.stdout.splitlines()[:-1]]
    assert ids
    assert all(case_id.startswith("N0_5") for case_id in ids)


# -- runs against our own devices -------------------------------------------------------------------


def test_a_run_against_our_ven_passes_and_writes_both_reports(tmp_path: Path) -> None:
    result = run(
        "ven",
        "--device",
        "ours",
        "-c",
        "N1_0010",
        "-c",
        "N1_0020",
        "--html",
        "report.html",
        "--junit",
        "results.xml",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS: all 2 case(s) passed" in result.stdout
    assert "[2/2] PASSED" in result.stdout  # the line-per-case progress (stdout is not a terminal)
    root = junit(tmp_path / "results.xml")
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "2",
        "0",
        "0",
        "0",
    )
    assert [case.get("name") for case in root.iter("testcase")] == ["N1_0010_TH_VTN", "N1_0020_TH_VTN"]
    page = lxml.html.document_fromstring((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert not page.xpath("//script | //@src")
    text = page.text_content()
    assert "N1_0010_TH_VTN" in text
    assert "N1_0020_TH_VTN" in text
    assert "oadrCreatePartyRegistration" in text


def test_our_ven_over_mutual_tls_with_signatures(tmp_path: Path) -> None:
    """At 300 times the wall clock, a VEN signing on the wall clock would be minutes stale
    within a second: our VEN's signatures follow each case's clock."""
    result = run(
        "ven",
        "--device",
        "ours",
        "--both",
        "--tls",
        "--sign",
        "--speed",
        "300",
        "--jobs",
        "2",
        "-c",
        "N1_0020",
        "--junit",
        "results.xml",
        "--html",
        "report.html",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    root = junit(tmp_path / "results.xml")
    assert [case.get("name") for case in root.iter("testcase")] == ["N1_0020_TH_VTN", "N0_5020_TH_VTN"]
    properties = {prop.get("name"): prop.get("value") for prop in root.iter("property")}
    assert properties["TLS"] == "mutual TLS (a throwaway test PKI)"
    assert properties["XML signatures"] == "yes"
    assert properties["transport"] == "pull and push"
    assert properties["clock speed"] == "300x"
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "ds:Signature" in report
    assert "TLSv1.2, ECDHE-ECDSA-AES128-SHA256" in report  # what each of the device's documents came over


def test_a_run_against_our_vtn(tmp_path: Path) -> None:
    vtn_cases = [found for found in REGISTRY if found.role is Role.VTN]
    if not vtn_cases:
        pytest.skip("no case for a VTN is registered yet")
    number = vtn_cases[0].number
    result = run("vtn", "--device", "ours", "-c", number, "--junit", "results.xml", cwd=tmp_path)
    root = junit(tmp_path / "results.xml")
    assert root.get("tests") == "1"
    assert next(root.iter("testcase")).get("name") == vtn_cases[0].case_id(vtn_cases[0].transports[0])
    verdicts_ok = root.get("failures") == "0" and root.get("errors") == "0" and root.get("skipped") == "0"
    assert (result.returncode == 0) is verdicts_ok, result.stdout + result.stderr


EXTRA_VTN_CASE = """
import sys

from openadr_accel.conformance import cases
from openadr_accel.conformance.case import Role, case


@case("G1_4999", role=Role.VTN, title="the harness VEN registers with the VTN and polls it")
async def body(ctx):
    \"\"\"A case of this test's own: registration, reports, an empty queue.\"\"\"
    registration = await ctx.harness.registered()
    ctx.check(bool(registration.ven_id), "the VTN gave the harness VEN a venID")


from openadr_accel.cli import main

main(sys.argv[1:], prog_name="openadr-accel")
"""


def test_our_vtn_per_case_over_tls_with_signatures(tmp_path: Path) -> None:
    """``conformance vtn --device ours`` with a case of the test's own (registered before the
    command line runs, in the same process), in both transports."""
    script = tmp_path / "with_case.py"
    script.write_text(EXTRA_VTN_CASE)
    arguments = ["vtn", "--device", "ours", "--both", "--tls", "--sign", "-c", "G1_4999"]
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            "conformance",
            *arguments,
            "--junit",
            "results.xml",
            "--html",
            "report.html",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    root = junit(tmp_path / "results.xml")
    assert [case.get("name") for case in root.iter("testcase")] == ["G1_4999_TH_VEN", "G0_9999_TH_VEN"]
    assert root.get("failures") == "0"
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "our own VTN" in report
    assert "the VTN gave the harness VEN a venID" in report
    assert "ds:Signature" in report


# -- external devices -------------------------------------------------------------------------------


def test_an_external_ven_that_never_connects_fails_with_exit_1(tmp_path: Path) -> None:
    result = run(
        "ven",
        "-c",
        "N1_0010",
        "--port",
        "0",
        "--action-timeout",
        "1",
        "--timeout",
        "1",
        "--tolerate",
        "needs-observation",  # tolerating other verdicts never hides a failure
        "--junit",
        "results.xml",
        "--html",
        "report.html",
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "listens at http://127.0.0.1:" in result.stdout
    assert ">>> ACTION NEEDED: Restart the VEN" in result.stdout
    assert "FAILED" in result.stdout
    assert "NOT A PASS: 0 of 1 case(s) passed" in result.stdout
    root = junit(tmp_path / "results.xml")
    assert (root.get("tests"), root.get("failures")) == ("1", "1")
    failure = root.find(".//failure")
    assert failure is not None
    assert "oadrQueryRegistration" in (failure.get("message") or "")
    assert "FAILED" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_an_external_ven_that_connects_passes(tmp_path: Path, started: list[subprocess.Popen[str]]) -> None:
    """Our VEN's own command line plays the external VEN, configured with the harness's address."""
    port = free_port()
    harness = subprocess.Popen(
        [*COMMAND, "ven", "-c", "N1_0010", "--port", str(port), "--action-timeout", "30", "--timeout", "15"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    started.append(harness)
    wait_until_listening(port, harness)
    ven = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openadr_accel",
            "ven",
            "--vtn-url",
            f"http://127.0.0.1:{port}",
            "--store",
            str(tmp_path / "ven.db"),
            "--poll-frequency",
            "1s",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    started.append(ven)  # type: ignore[arg-type]
    out, err = harness.communicate(timeout=90)
    assert harness.returncode == 0, out + err
    assert f"listens at http://127.0.0.1:{port}" in out
    assert "[0/1] running" in out  # an external device's cases are announced as they start
    assert "PASS: all 1 case(s) passed" in out


def test_an_interrupted_run_reports_what_it_has_and_exits_130(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            *COMMAND,
            "ven",
            "-c",
            "N1_0010",
            "-c",
            "N1_0020",
            "--port",
            str(port),
            "--action-timeout",
            "60",
            "--junit",
            "results.xml",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=_default_sigint,  # noqa: PLW1509 (no threads to race with here)
    )
    started.append(process)
    wait_until_listening(port, process)
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, out + err
    assert "NOT A PASS: 0 of 2 case(s) passed (2 skipped)" in out
    root = junit(tmp_path / "results.xml")
    assert (root.get("tests"), root.get("skipped")) == ("2", "2")
    assert "interrupted" in (root.find(".//skipped").get("message") or "")  # type: ignore[union-attr]


# -- usage errors -----------------------------------------------------------------------------------


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    path = tmp_path / "harness.pem"
    path.write_text("not really a certificate\n")
    return path


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["ven", "-c", "X9_9999"], "matches 'X9_9999'"),
        (["ven", "-c", "N1_0010", "-c", "Q*"], "matches 'Q*'"),
        (["vtn", "--device", "ours", "--url", "http://127.0.0.1:8080"], "--url is not for --device ours"),
        (["vtn"], "an external VTN needs --url"),
        (["vtn", "--url", "ftp://vtn"], "is not an http:// or https:// URL"),
        (["ven", "--speed", "10"], "--speed is only for --device ours"),
        (["ven", "--jobs", "2"], "--jobs is only for --device ours"),
        (["ven", "--device", "ours", "--port", "8080"], "--port is not for --device ours"),
        (["ven", "--tls"], "--tls is for --device ours"),
        (["ven", "--both"], "--both is not for an external VEN"),
        (["ven", "--cert", "missing.pem", "--key", "missing.key", "--ca", "ca.pem"], "does not exist"),
        (["ven", "--cert", "{pem}"], "TLS needs --cert, --key and --ca: --key, --ca missing"),
        (["ven", "--device", "ours", "--sign"], "--sign needs TLS"),
        (
            ["ven", "--cert", "{pem}", "--key", "{pem}", "--ca", "{pem}", "--sign"],
            "--sign needs --device-fingerprint",
        ),
        (["ven", "--cert", "{pem}", "--key", "{pem}", "--ca", "{pem}"], "TLS:"),
        (["ven", "--device-fingerprint", "12:34"], "not a 2.0b fingerprint"),
        (["ven", "--poll-frequency", "500ms"], "whole seconds, at least 1 s"),
        (["ven", "--poll-frequency", "often"], "not a duration"),
        (["ven", "--junit", "no/such/dir/results.xml"], "does not exist"),
        (["ven", "--tolerate", "failed"], "'failed' is not one of"),
        (["ven", "--timeout", "0"], "--timeout"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(
    arguments: list[str], message: str, tmp_path: Path, pem: Path
) -> None:
    result = run(*(argument.replace("{pem}", str(pem)) for argument in arguments), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "results.xml").exists()
