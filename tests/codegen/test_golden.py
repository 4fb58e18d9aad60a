"""Golden record: the small hand-written spec generates exactly the committed package.

Regenerate on purpose with ``python -m codegen generate`` and the arguments in ``GOLDEN_ARGS``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from codegen_helpers import GOLDEN_OUT, GOLDEN_OVERRIDES, GOLDEN_SPEC, ROOT

from codegen.__main__ import generate_files, main
from codegen.diagnostics import Diagnostics, Level

GOLDEN_ARGS = [
    "--spec",
    "tests/codegen/golden_spec.json",
    "--out",
    "tests/codegen/golden",
    "--overrides",
    "tests/codegen/golden_overrides",
    "--replies",
    "tests/codegen/golden_overrides/replies.toml",
]


def _render() -> dict[str, str]:
    diagnostics = Diagnostics()
    spec = GOLDEN_SPEC.relative_to(ROOT)
    files = generate_files([spec], diagnostics, GOLDEN_OVERRIDES, GOLDEN_OVERRIDES / "replies.toml")
    assert diagnostics.count(Level.ERROR) == 0, diagnostics.grouped()
    return files


def test_golden_output_matches_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    files = _render()
    on_disk = {p.name: p.read_text("utf-8") for p in GOLDEN_OUT.glob("*.py")}
    assert sorted(files) == sorted(on_disk)
    for name, text in files.items():
        assert text == on_disk[name], f"{name} differs: regenerate the golden record"


def test_generation_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert _render() == _render()


def test_check_command_reports_fresh_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["check", *GOLDEN_ARGS]) == 0


def test_golden_passes_mypy_strict_and_ruff() -> None:
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "tests/codegen/golden"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert mypy.returncode == 0, mypy.stdout
    ruff = ROOT / ".venv" / "bin" / "ruff"
    # ``x != x`` is the generated NaN test of a double: the cheapest there is, on purpose.
    for args in (["format", "--check"], ["check", "--extend-ignore", "PLR0124"]):
        result = subprocess.run(
            [str(ruff), *args, "--isolated", "--line-length", "100", "tests/codegen/golden"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
