"""The openadr-accel command line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from samples import SAMPLES

from openadr_accel import __version__
from openadr_accel.cli import main
from openadr_accel.xml import serialize

EXAMPLES = Path(__file__).parent.parent / "examples" / "messages"


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_validate_accepts_every_example() -> None:
    files = sorted(str(path) for path in EXAMPLES.glob("*.xml"))
    assert len(files) == 23
    result = CliRunner().invoke(main, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count("OK ") == 23


def test_validate_reports_line_and_element_of_a_schema_error(tmp_path: Path) -> None:
    good = EXAMPLES / "oadrPoll.xml"
    bad = tmp_path / "bad.xml"
    text = good.read_text().replace("<ei:venID>", "<ei:venId>").replace("</ei:venID>", "</ei:venId>")
    bad.write_text(text)
    line = next(number for number, row in enumerate(text.splitlines(), 1) if "venId" in row)
    result = CliRunner().invoke(main, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"OK {good}" in result.output
    assert f"INVALID {bad}: line {line}, element <venId>:" in result.output
    assert "(response code 454)" in result.output


def test_validate_reports_a_broken_conformance_rule(tmp_path: Path) -> None:
    data = serialize(SAMPLES["oadrDistributeEvent"]).replace(
        b"<ei:value>3</ei:value>", b"<ei:value>7</ei:value>", 1
    )
    path = tmp_path / "event.xml"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "rule 9" in result.output
    assert CliRunner().invoke(main, ["validate", "--no-rules", str(path)]).exit_code == 0


def test_validate_reports_malformed_and_missing_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<oadr:oadrPayload")
    result = CliRunner().invoke(main, ["validate", str(broken), str(tmp_path / "missing.xml")])
    assert result.exit_code == 1
    assert "not well-formed XML" in result.output
    assert "cannot read the file" in result.output


def test_console_script_is_installed() -> None:
    executable = shutil.which("openadr-accel", path=str(Path(sys.executable).parent))
    assert executable is not None, "the openadr-accel entry point is not installed"
    result = subprocess.run(
        [executable, "validate", str(EXAMPLES / "oadrPoll.xml")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "OK" in result.stdout
