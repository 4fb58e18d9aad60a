"""A newer Redis spec (8.10, with module commands) is digested unchanged and type-checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_helpers import ROOT, recorder

from codegen.__main__ import main

# The reference spec lives in the shared folder beside the work tree (not in the project);
# REDIS_OXIDE_REFERENCE_SPEC_810 points elsewhere. A missing file fails the test: it is the proof
# that a newer release needs no generator change.
SPEC = Path(
    os.environ.get(
        "REDIS_OXIDE_REFERENCE_SPEC_810",
        ROOT.parent / "shared" / "specs" / "commands_core_redis8.10.json",
    )
)


@pytest.mark.slow
def test_redis_810_spec_generates_imports_and_passes_mypy(tmp_path: Path) -> None:
    assert SPEC.exists(), f"reference spec not found at {SPEC}; set REDIS_OXIDE_REFERENCE_SPEC_810"
    out = tmp_path / "gen810"
    assert main(["generate", "--spec", str(SPEC), "--out", str(out)]) == 0
    sys.path.insert(0, str(tmp_path))
    try:
        import gen810  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    client = recorder(gen810.Commands)
    assert client.json_get("doc").args == ("JSON.GET", "doc")
    assert len(gen810._meta.COMMANDS) == 665
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "gen810"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout[-3000:]
