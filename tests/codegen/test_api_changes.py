"""Regenerating over an existing package lists the public methods whose parameters changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import command, write_inputs

from codegen.__main__ import main

KEY = {"name": "key", "type": "key", "key_spec_index": 0}


def _generate(tmp_path: Path, spec: dict[str, Any], out: Path) -> int:
    replies = "[replies]\n" + "".join(f'{name} = "int"\n' for name in spec)
    spec_path, overrides, replies_path = write_inputs(tmp_path, spec, replies=replies)
    args = ["generate", "--spec", str(spec_path), "--out", str(out)]
    return main([*args, "--overrides", str(overrides), "--replies", str(replies_path)])


def test_regeneration_reports_changed_and_removed_methods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    count = {"name": "count", "type": "integer", "token": "COUNT", "optional": True}
    before = {
        "INCRBY": command("INCRBY", [KEY, {"name": "increment", "type": "integer"}]),
        "LPOP": command("LPOP", [KEY, count], group="list"),
        "OLD": command("OLD", [KEY]),
    }
    assert _generate(tmp_path, before, out) == 0
    assert "public methods changed" not in capsys.readouterr().err
    after = {
        "INCRBY": command("INCRBY", [KEY, {"name": "delta", "type": "integer"}]),
        "LPOP": command("LPOP", [KEY, count], group="list"),
    }
    assert _generate(tmp_path, after, out) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[err.index("public methods changed (2):") :] == [
        "public methods changed (2):",
        "  incrby(key: KeyT, increment: int) -> incrby(key: KeyT, delta: int)",
        "  old(key: KeyT) -> removed",
    ]
    assert _generate(tmp_path, after, out) == 0
    assert "public methods changed" not in capsys.readouterr().err
