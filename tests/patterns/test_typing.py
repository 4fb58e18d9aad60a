"""The typed examples of the patterns pass ``mypy --strict``: pipelines, transactions and
scripts (tests/typing/test_pipeline_types.py), pub/sub and stream workers
(tests/typing/test_pubsub_types.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(180)
def test_pattern_type_examples_pass_mypy_strict() -> None:
    examples = ["tests/typing/test_pipeline_types.py", "tests/typing/test_pubsub_types.py"]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *examples],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
