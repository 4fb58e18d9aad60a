"""The typed examples of the patterns and clients pass ``mypy --strict``: pipelines,
transactions and scripts (tests/typing/test_pipeline_types.py), pub/sub and stream workers
(tests/typing/test_pubsub_types.py), Sentinel clients (tests/typing/test_sentinel_types.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    "tests/typing/test_pipeline_types.py",
    "tests/typing/test_pubsub_types.py",
    "tests/typing/test_sentinel_types.py",
]


@pytest.mark.timeout(180)
def test_typed_examples_pass_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *EXAMPLES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
