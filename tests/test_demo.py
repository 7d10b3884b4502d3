"""``openadr-accel demo``: the README's main job runs and shows the whole exchange."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from openadr_accel.cli import main


def test_demo_runs_the_whole_exchange_on_a_sqlite_file(tmp_path: Path) -> None:
    store = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--store", str(store)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("VTN DEMO-VTN on http://127.0.0.1:")
    assert "  VEN <- OadrCreatedPartyRegistration (200)" in lines
    assert "the VTN asked for 1 report(s) in its answer" in lines
    assert "  VEN <- OadrDistributeEvent (queued by the VTN)" in lines
    assert "  VEN <- OadrUpdatedReport (200)" in lines
    assert lines[-1] == "VTN store: 1 answer(s) to the event (optIn), 1 report(s)"
    assert store.stat().st_size > 0
    # The store is reusable: a second run on the same file works too.
    again = CliRunner().invoke(main, ["demo", "--store", str(store)])
    assert again.exit_code == 0, again.output
