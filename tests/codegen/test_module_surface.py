"""The generated module surface against ``specs/modules/``: methods, signatures, key specs.

Every described module command has a method in its namespace, or a recorded reason why not;
the server's module commands the specs leave out are listed with theirs in
``specs/modules/overrides.toml``. The key-spec checks are sans-server: the cluster router's
key extractor reads the generated ``KeySpec`` values.
"""

from __future__ import annotations

import inspect
import json
import typing
from typing import Any

import pytest
from codegen_helpers import ROOT

from codegen.__main__ import generate_files
from codegen.diagnostics import Diagnostics, Level
from codegen.dump_modules import load_module_overrides
from codegen.naming import method_name
from codegen.parse import is_container
from redis_oxide._cluster._router import can_split
from redis_oxide._command import CommandFlag, CommandMeta, RequestPolicy, ResponsePolicy
from redis_oxide._generated import Commands, _meta
from redis_oxide._keys import command_keys

MODULES = ROOT / "specs" / "modules"
NAMESPACES = ("json", "ft", "bf", "cf", "cms", "topk", "tdigest", "ts")
#: Described module commands that get no method, and why.
LEFT_OUT: dict[str, str] = {}
#: Method names that differ from the command's lower-cased rest (``names.toml``).
RENAMED = {
    "CF.DEL": "delete",
    "FT.DEL": "delete",
    "FT._LIST": "list_indexes",
    "JSON.DEL": "delete",
    "TOPK.LIST": "list_items",
    "TS.DEL": "delete",
}


def _described() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for path in sorted(MODULES.glob("*.json")):
        table.update(json.loads(path.read_text("utf-8")))
    return table


def _namespace_class(name: str) -> type:
    return type(getattr(Commands, name).fget(_Null()))


class _Null(Commands[bytes]):
    """An owner whose executor is never called: enough to build namespaces."""

    __slots__ = ()


def test_every_described_module_command_has_a_namespaced_method() -> None:
    table = _described()
    found: dict[str, str] = {}
    for name, entry in table.items():
        if is_container(name, table):
            continue  # its subcommands carry the methods
        if name in LEFT_OUT:
            continue
        prefix, _, rest = name.partition(".")
        namespace = prefix.lower()
        assert namespace in NAMESPACES, name
        method = RENAMED.get(name, method_name(rest))
        cls = _namespace_class(namespace)
        assert callable(getattr(cls, method, None)), f"{name}: no {namespace}.{method}"
        found[name] = f"{namespace}.{method}"
        assert entry["group"] == "module", name
        assert entry["module"], name
    containers = sorted(n for n in table if is_container(n, table))
    assert containers == ["FT.CONFIG", "FT.CURSOR", "JSON.DEBUG"]
    assert len(found) == len(table) - len(containers) - len(LEFT_OUT)
    for name in table:
        assert name in _meta.COMMANDS, name


def test_commands_the_specs_leave_out_are_recorded_with_a_reason() -> None:
    overrides = load_module_overrides(MODULES / "overrides.toml")
    assert overrides.omitted, "the Stack server has module commands the specs do not describe"
    for name, why in overrides.omitted.items():
        assert len(why) > 20, name
        assert name not in _described()
    for override in overrides.key_specs.values():
        assert len(override.why) > 20
    for group in overrides.no_keys:
        assert len(group.why) > 20
    for correction in [*overrides.command_flags.values(), *overrides.tips.values()]:
        assert len(correction.why) > 20


def test_no_namespaced_signature_mentions_any() -> None:
    checked = 0
    for namespace in NAMESPACES:
        cls = _namespace_class(namespace)
        for name, function in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_"):
                continue
            for hint in typing.get_type_hints(function).values():
                assert "Any" not in repr(hint), f"{namespace}.{name}: {hint!r}"
            checked += 1
    assert checked >= 130


@pytest.mark.parametrize(
    ("meta", "args", "keys"),
    [
        (_meta.JSON_MGET, ("JSON.MGET", "a", "b", "c", "$.x"), ["a", "b", "c"]),
        (_meta.JSON_GET, ("JSON.GET", "doc", "$"), ["doc"]),
        (_meta.JSON_MSET, ("JSON.MSET", "a", "$", "1", "b", "$", "2"), ["a", "b"]),
        (_meta.FT_SEARCH, ("FT.SEARCH", "idx", "hello", "LIMIT", "0", "1"), ["idx"]),
        (_meta.FT_AGGREGATE, ("FT.AGGREGATE", "idx", "*"), ["idx"]),
        (_meta.FT_CURSOR_READ, ("FT.CURSOR", "READ", "idx", "42"), ["idx"]),
        (_meta.FT_ALIASADD, ("FT.ALIASADD", "alias", "idx"), ["alias", "idx"]),
        (_meta.FT_SUGADD, ("FT.SUGADD", "sug", "hello", "1"), ["sug"]),
        (_meta.FT_MGET, ("FT.MGET", "idx", "doc:1", "doc:2"), ["idx", "doc:1", "doc:2"]),
        (
            _meta.CMS_MERGE,
            ("CMS.MERGE", "dst", "2", "s1", "s2", "WEIGHTS", "1", "2"),
            ["dst", "s1", "s2"],
        ),
        (_meta.TDIGEST_MERGE, ("TDIGEST.MERGE", "dst", "2", "s1", "s2"), ["dst", "s1", "s2"]),
        (
            _meta.TS_CREATERULE,
            ("TS.CREATERULE", "src", "dst", "AGGREGATION", "avg", "10"),
            ["src", "dst"],
        ),
        (_meta.TS_MADD, ("TS.MADD", "a", "1", "1.5", "b", "2", "2.5"), ["a", "b"]),
        (_meta.TS_MRANGE, ("TS.MRANGE", "-", "+", "FILTER", "a=b"), []),
        (_meta.JSON_DEBUG_MEMORY, ("JSON.DEBUG", "MEMORY", "doc"), ["doc"]),
        (_meta.JSON_DEBUG_HELP, ("JSON.DEBUG", "HELP"), []),
    ],
    ids=lambda v: v.name if isinstance(v, CommandMeta) else None,
)
def test_key_specs_name_the_keys_a_router_needs(
    meta: CommandMeta, args: tuple[str, ...], keys: list[str]
) -> None:
    # JSON.MGET: the module declares only its first key, which specs/modules/overrides.toml
    # corrects, with the reason; FT.*: the index name is routed as a key, as the server of an
    # OSS cluster routes it. The cluster router's extractor reads these specs.
    assert command_keys(meta, args) == (tuple(keys), True)


def test_every_multi_shard_module_command_can_be_split_per_slot() -> None:
    # A multi_shard tip added by overrides.toml is only useful if the router can split the
    # command's key spec; JSON.MGET, JSON.MSET and TS.MADD have one each.
    split = {
        meta.name
        for meta in _meta.COMMANDS.values()
        if meta.module and meta.request_policy is RequestPolicy.MULTI_SHARD
    }
    assert split == {"JSON.MGET", "JSON.MSET", "TS.MADD"}
    assert all(can_split(_meta.COMMANDS[name]) for name in split)
    assert _meta.JSON_MSET.response_policy is ResponsePolicy.ALL_SUCCEEDED


def test_writes_flagged_readonly_by_their_module_are_writes() -> None:
    # On a replica in READONLY mode these ran and changed that replica only.
    for name in ("FT.ALIASADD", "FT.ALIASDEL", "FT.ALIASUPDATE", "CF.COMPACT"):
        meta = _meta.COMMANDS[name]
        assert not meta.is_readonly, name
        assert meta.flags & CommandFlag.WRITE, name


def test_every_module_override_applies_to_the_project_specs() -> None:
    # Overrides naming module commands are lenient (infos) for foreign specs such as Redis 8's;
    # for the project's own specs each must apply, so none goes stale.
    diagnostics = Diagnostics()
    specs = [ROOT / "specs" / "commands.json", *sorted(MODULES.glob("*.json"))]
    generate_files(specs, diagnostics)
    stale = [d.format() for d in diagnostics if d.level is not Level.INFO or "raw" not in d.message]
    assert stale == []
