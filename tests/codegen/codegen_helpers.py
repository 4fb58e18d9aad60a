"""Shared helpers of the generator tests: run the generator in memory and import its output."""

from __future__ import annotations

import importlib
import itertools
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from codegen.__main__ import generate_files
from codegen.diagnostics import Diagnostics
from codegen.render import write_package

ROOT = Path(__file__).resolve().parents[2]
GOLDEN_SPEC = ROOT / "tests" / "codegen" / "golden_spec.json"
GOLDEN_OVERRIDES = ROOT / "tests" / "codegen" / "golden_overrides"
GOLDEN_OUT = ROOT / "tests" / "codegen" / "golden"
_counter = itertools.count()


def write_inputs(
    tmp: Path,
    spec: Mapping[str, Any],
    replies: str = "[replies]\n",
    mappings: str = "[mappings]\n",
    owned: str = "[commands]\n",
    names: str = "[methods]\n",
    models: str | None = None,
    tips: str | None = None,
) -> tuple[Path, Path, Path]:
    """Write a spec and override files into ``tmp``; return (spec, overrides dir, replies).

    ``models`` is the text of ``reply_models.toml``, written beside the replies file;
    ``tips`` that of the optional ``tips.toml``.
    """
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    overrides = tmp / "overrides"
    overrides.mkdir(exist_ok=True)
    (overrides / "names.toml").write_text(names, encoding="utf-8")
    (overrides / "runtime_owned.toml").write_text(owned, encoding="utf-8")
    (overrides / "arguments.toml").write_text(mappings, encoding="utf-8")
    if tips is not None:
        (overrides / "tips.toml").write_text(tips, encoding="utf-8")
    replies_path = tmp / "replies.toml"
    replies_path.write_text(replies, encoding="utf-8")
    if models is not None:
        (tmp / "reply_models.toml").write_text(models, encoding="utf-8")
    return spec_path, overrides, replies_path


def generate_into(
    tmp: Path, spec: Mapping[str, Any], **files: str
) -> tuple[ModuleType, Diagnostics]:
    """Generate ``spec`` into a fresh package under ``tmp``, import it and return it."""
    spec_path, overrides, replies = write_inputs(tmp, spec, **files)
    diagnostics = Diagnostics()
    rendered = generate_files([spec_path], diagnostics, overrides, replies)
    name = f"gen_pkg_{next(_counter)}"
    write_package(rendered, tmp / name)
    sys.path.insert(0, str(tmp))
    try:
        module = importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp))
    return module, diagnostics


class Recorded:
    """What a recording executor returns instead of a real awaitable."""

    def __init__(self, meta: Any, args: tuple[Any, ...], parser: Any) -> None:
        self.meta = meta
        self.args = args
        self.parser = parser


def recorder(commands_class: type) -> Any:
    """Return an instance of ``commands_class`` whose executor records instead of sending."""

    class Recorder(commands_class):  # type: ignore[misc]  # a class chosen at run time
        __slots__ = ()

        def _execute(self, meta: Any, args: tuple[Any, ...], parser: Any) -> Recorded:
            return Recorded(meta, args, parser)

    return Recorder()


def command(name: str, arguments: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """Return a minimal spec entry for ``name`` with ``arguments``."""
    entry: dict[str, Any] = {
        "summary": f"Test command {name}.",
        "since": "1.0.0",
        "group": extra.pop("group", "string"),
        "arity": -1,
        "arguments": arguments,
    }
    entry.update(extra)
    return entry


#: An optional ``LIMIT offset count`` block, as the range commands have it.
LIMIT_BLOCK = {
    "name": "limit",
    "type": "block",
    "token": "LIMIT",
    "optional": True,
    "arguments": [{"name": "offset", "type": "integer"}, {"name": "count", "type": "integer"}],
}

#: A ZADD entry (a key, then repeated score-member pairs) for tests of Mapping parameters.
ZADD_SPEC = command(
    "ZADD",
    [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {
            "name": "data",
            "type": "block",
            "multiple": True,
            "arguments": [
                {"name": "score", "type": "double"},
                {"name": "member", "type": "string"},
            ],
        },
    ],
    group="sorted-set",
)
