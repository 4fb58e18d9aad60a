"""A newer Redis spec (8.10, with module commands) is digested unchanged and type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from codegen_helpers import recorder

from codegen.__main__ import main


# The proof that a newer release needs no generator change. The spec is kept outside the project
# (../shared/specs beside the clone, or REDIS_OXIDE_REFERENCE_SPEC_810); where it is absent the
# test is skipped and the run's summary says so (see tests/conftest.py).
@pytest.mark.slow
@pytest.mark.reference_spec("commands_core_redis8.10.json", env="REDIS_OXIDE_REFERENCE_SPEC_810")
def test_redis_810_spec_generates_imports_and_passes_mypy(
    reference_spec: Path, tmp_path: Path
) -> None:
    out = tmp_path / "gen810"
    assert main(["generate", "--spec", str(reference_spec), "--out", str(out)]) == 0
    sys.path.insert(0, str(tmp_path))
    try:
        import gen810  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path))
    client = recorder(gen810.Commands)
    assert client.json.get("doc").args == ("JSON.GET", "doc")
    # The module commands land in the namespaces of the Stack modules' own specs.
    namespaces = {
        n for n in dir(gen810.Commands) if isinstance(getattr(gen810.Commands, n), property)
    }
    assert {"json", "ft", "bf", "cf", "cms", "topk", "tdigest", "ts"} <= namespaces
    assert client.ft.search("idx", "q").args[:3] == ("FT.SEARCH", "idx", "q")
    assert client.ts.mrange("-", "+", ["a=b"]).meta.name == "TS.MRANGE"
    # Vector sets have no dotted prefix: their commands stand beside the core ones.
    assert client.vcard("vs").args == ("VCARD", "vs")
    assert len(gen810._meta.COMMANDS) == 665
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "gen810"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stdout[-3000:]
