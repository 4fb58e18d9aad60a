"""`make spec` against a server without modules dumps the core spec and leaves the module files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from codegen.dump import dump_spec, main, render_spec

ROOT = Path(__file__).resolve().parents[2]


def test_server_without_modules_dumps_core_and_keeps_module_files(
    redis_7: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    modules = tmp_path / "modules"
    shutil.copytree(ROOT / "specs" / "modules", modules)
    before = {p.name: p.read_bytes() for p in sorted(modules.iterdir())}
    out = tmp_path / "commands.json"
    assert main(["--url", redis_7.url, "--out", str(out), "--modules", str(modules)]) == 0
    assert out.read_text(encoding="utf-8") == render_spec(dump_spec(redis_7.url))
    assert "GET" in dump_spec(redis_7.url)
    assert {p.name: p.read_bytes() for p in sorted(modules.iterdir())} == before
    assert "the server runs no modules" in capsys.readouterr().err
