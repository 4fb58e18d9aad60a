"""The public methods a regeneration changes: what a contributor checks before committing.

``generate`` compares the method signatures of the package it is about to replace with the new
ones and prints each method whose parameters changed, or which is gone, on stderr. It never
fails the run: a new Redis release may rename an argument on purpose. It is the cue to add a
``rename`` or other hint in ``arguments.toml`` where the old name was the better one.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

__all__ = ["signature_changes"]


def _signatures(sources: Mapping[str, str]) -> dict[str, str]:
    """Public method (``set``, ``json.set``) -> its parameters as source text."""
    found: dict[str, str] = {}
    for file_name, text in sources.items():
        if not file_name.endswith(".py") or file_name.startswith("_"):
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(b).split("[")[0] for b in node.bases}
            prefix = f"{file_name.removesuffix('.py')}." if "NamespaceBase" in bases else ""
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    # The last definition is the implementation, after its overload stubs.
                    args = ast.unparse(item.args).removeprefix("self, ").removeprefix("self")
                    found[prefix + item.name] = args
    return found


def signature_changes(old_dir: Path, new_files: Mapping[str, str]) -> list[str]:
    """Return one line per public method whose parameters changed or which is gone.

    Args:
        old_dir: The generated package about to be replaced (may not exist).
        new_files: File name -> content of the new package.

    Returns:
        ``name(old) -> name(new)`` or ``name(old) -> removed`` lines, sorted by name.
    """
    if not old_dir.is_dir():
        return []
    old_sources = {p.name: p.read_text("utf-8") for p in sorted(old_dir.glob("*.py"))}
    before, after = _signatures(old_sources), _signatures(new_files)
    lines = []
    for name in sorted(before):
        if name not in after:
            lines.append(f"{name}({before[name]}) -> removed")
        elif before[name] != after[name]:
            lines.append(f"{name}({before[name]}) -> {name}({after[name]})")
    return lines
