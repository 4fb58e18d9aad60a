"""The runtime's layer rule, enforced on the import graph of ``src/redis_oxide`` with ``ast``.

Edit ``LAYERS`` to add a layer or a module: a module of one layer may import modules of its
own layer and of earlier rows, never of later rows, and no exception is allowed. Modules
matching no row are not checked (the public ``__init__``, ``types``, ``testing``, and the
generated package, which has its own rule). Imports under ``if TYPE_CHECKING:`` count too: a
type-only dependency on a higher layer is still one.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

PACKAGE = "redis_oxide"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE

#: Layer name and the first component of the module path under ``redis_oxide``, top to
#: bottom of DESIGN.md's table (earlier rows are lower layers, importable by later rows).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "_command",
            "_checks",
            "_exceptions",
            "exceptions",
            "_retry",
            "_parsers",
            "_replies",
            "_raw_commands",
            "_keys",
            "_logs",
        ),
    ),
    ("protocol", ("_protocol",)),
    ("connection", ("_connection*",)),
    ("pool", ("_pool*",)),
    (
        "topology",
        ("_executor*", "_cache*", "_cluster*", "_sentinel*", "_telemetry*", "_health*"),
    ),
    (
        "patterns",
        (
            "_pipeline*",
            "_transaction*",
            "_pubsub*",
            "_scripting*",
            "_streams*",
            "_lock*",
            "_monitor*",
        ),
    ),
    ("clients", ("_client*", "_url")),
)

#: Extra, stricter rules: for modules under the key, the only allowed ``redis_oxide`` imports
#: (by first component) and the forbidden standard-library modules.
#: The sans-IO modules, with what each may import of the package; none may touch I/O.
SANS_IO_MAY_IMPORT = {
    # _parsers: the protocol layer installs its batch reader of doubles there.
    "_protocol": frozenset({"_protocol", "_exceptions", "_command", "_parsers"}),
    "_keys": frozenset({"_command"}),
}
SANS_IO_MUST_NOT_IMPORT = frozenset({"asyncio", "socket", "ssl", "selectors"})
GENERATED_MAY_IMPORT = frozenset(
    # The reply helpers below every layer; _json, _search and _timeseries hold module replies.
    {
        "_generated",
        "_command",
        "_exceptions",
        "_replies",
        "_parsers",
        "_json",
        "_search",
        "_timeseries",
    }
)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, absolute, with its line number."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from redis_oxide import _pool`` names a module in the alias.
            if target == PACKAGE:
                found += [(node.lineno, f"{PACKAGE}.{a.name}") for a in node.names]
    return found


def _component(module: str) -> str | None:
    """``redis_oxide._pool._lease`` -> ``_pool``; None outside the package or for the root."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return parts[1]


def _layer(component: str) -> int | None:
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatchcase(component, pattern) for pattern in patterns):
            return index
    return None


def _sources() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def _violations(path: Path, root: Path = SOURCE) -> list[str]:
    own = _component(_module_name(path, root))
    if own is None:
        return []
    own_layer = _layer(own)
    problems = []
    for line, target in _imports(path, root):
        where = f"{path.relative_to(root.parent)}:{line} imports {target}"
        other = _component(target)
        if own in SANS_IO_MAY_IMPORT:
            allowed = SANS_IO_MAY_IMPORT[own]
            if target.split(".")[0] in SANS_IO_MUST_NOT_IMPORT:
                problems.append(f"{where}: {own} is sans-IO")
            if other is not None and other not in allowed:
                problems.append(f"{where}: {own} may only import {sorted(allowed)}")
        if own == "_generated" and other is not None and other not in GENERATED_MAY_IMPORT:
            problems.append(f"{where}: generated code may only import {GENERATED_MAY_IMPORT}")
        if own_layer is None or other is None:
            continue
        other_layer = _layer(other)
        if other_layer is not None and other_layer > own_layer:
            problems.append(
                f"{where}: layer {LAYERS[own_layer][0]!r} must not import the higher layer "
                f"{LAYERS[other_layer][0]!r}"
            )
    return problems


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SOURCE.parent)))
def test_module_respects_the_layer_rule(path: Path) -> None:
    assert _violations(path) == []


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    # The rule must be able to fail: check it against a small fake tree.
    fake = tmp_path / PACKAGE
    (fake / "_protocol").mkdir(parents=True)
    (fake / "_protocol" / "__init__.py").write_text(
        "import asyncio\nfrom redis_oxide._connection import Connection\n"
    )
    (fake / "_keys.py").write_text("import socket\nfrom redis_oxide import _exceptions\n")
    (fake / "_connection.py").write_text("from ._pool import Pool\nfrom . import _exceptions\n")
    (fake / "_generated").mkdir()
    (fake / "_generated" / "strings.py").write_text("from redis_oxide import _client\n")
    found = {p.name: _violations(p, fake) for p in sorted(fake.rglob("*.py"))}
    assert len(found["__init__.py"]) == 3  # asyncio, and _connection twice (import + layer)
    assert found["_connection.py"] == [
        "redis_oxide/_connection.py:1 imports redis_oxide._pool: layer 'connection' must not "
        "import the higher layer 'pool'"
    ]
    assert len(found["strings.py"]) == 1
    assert found["_keys.py"] == [
        "redis_oxide/_keys.py:1 imports socket: _keys is sans-IO",
        "redis_oxide/_keys.py:2 imports redis_oxide._exceptions: _keys may only import "
        "['_command']",
    ]
