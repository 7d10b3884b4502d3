"""The README's claims that code can check: its Python example runs, its commands are the ones CI uses."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert blocks, "the README has no Python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_two_setup_commands_near_the_top() -> None:
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    assert first_block is not None
    commands = [line for line in first_block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    main_job, tests = commands
    assert "pip install '.[evse]'" in main_job  # the demo's simulated chargers speak OCPP
    assert "openadr-accel" in main_job
    assert tests.endswith("pip install -e '.[test]' && pytest")
    assert "pip install --quiet -e '.[test]' && pytest" in (ROOT / ".ci" / "run").read_text()
