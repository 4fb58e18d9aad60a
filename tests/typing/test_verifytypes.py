"""What IDE users see: ``pyright --verifytypes`` finds a known type for the exported symbols.

A symbol with an ambiguous or partially unknown type (an attribute assigned without an
annotation, a base class that is itself incomplete) leaves editors guessing; the completeness
score must stay at 99 % or above. While runtime modules under rewrite still carry the
findings listed in ``_PENDING_ROOTS``, every finding must come from them and the score must
not fall below ``_FLOOR_WHILE_PENDING``; once the list is empty, 99 % holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
TARGET = 0.99
# The score while the findings below remain (179 of 185 exported symbols are known).
_FLOOR_WHILE_PENDING = 0.96
# Runtime modules under rewrite; their findings are listed in docs/decisions.md.
_UNDER_REWRITE = ("_client", "_connection", "_pool", "_pipeline", "_transaction", "_scripting")
# Attributes assigned without an annotation: the causes of every other finding.
_PENDING_ROOTS = frozenset(
    {
        "redis_oxide._scripting.Script.read_only",
        "redis_oxide._pipeline._Batch.blocking",
        "redis_oxide._connection.Connection.available",
        "redis_oxide._connection.Connection.created_at",
        "redis_oxide._connection.Connection.lease_generation",
        "redis_oxide._connection.Connection.max_lifetime",
        "redis_oxide._connection.Connection.push_handler",
        "redis_oxide._connection.Connection.raw_replies",
        "redis_oxide._connection.Connection.write_count",
        "redis_oxide._connection.Connection.write_when_idle",
    }
)
_ROOT_CAUSES = ("Type is missing type annotation", "Ambiguous base class override")


def _verifytypes() -> dict[str, Any]:
    # pyright finds the environment (and the editable install) through the python on PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "pyright", "--verifytypes", "redis_oxide"]
    done = subprocess.run(
        [*command, "--ignoreexternal", "--outputjson"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    # Exit status 1 means "some symbols are incomplete"; the report says which.
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)["typeCompleteness"]
    return report


def _is_pending(symbol: dict[str, Any], diagnostic: dict[str, Any]) -> bool:
    where = diagnostic.get("file") or str(symbol["name"]).replace(".", "/")
    parts = Path(where).parts
    return any(part.startswith(_UNDER_REWRITE) for part in parts)


def test_exported_symbols_have_known_types(figures: Figure) -> None:
    report = _verifytypes()
    counts = report["exportedSymbolCounts"]
    exported = counts["withKnownType"] + counts["withAmbiguousType"] + counts["withUnknownType"]
    score = counts["withKnownType"] / exported
    figures("pyright --verifytypes", f"{score:.1%} ({counts['withKnownType']} of {exported})")
    assert exported > 150  # the reply models, redis_oxide.types and the rest are all seen

    findings: list[str] = []
    roots: set[str] = set()
    for symbol in report["symbols"]:
        for diagnostic in symbol["diagnostics"]:
            message = str(diagnostic["message"])
            if message.startswith("No docstring"):
                continue
            if message.startswith(_ROOT_CAUSES):
                roots.add(symbol["name"])
            if not _is_pending(symbol, diagnostic):
                findings.append(f"{symbol['name']}: {message.splitlines()[0]}")
    assert findings == []
    assert roots == _PENDING_ROOTS
    assert score >= (TARGET if not _PENDING_ROOTS else _FLOOR_WHILE_PENDING)
