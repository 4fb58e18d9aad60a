"""Functional tier: inline spec snippets are generated, imported and called for real.

Each test asserts the wire arguments a call produces, or the early TypeError/ValueError, through
a recording executor; none inspects generator internals.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import LIMIT_BLOCK, ZADD_SPEC, command, generate_into, recorder, write_inputs

from codegen.__main__ import generate_files
from codegen.diagnostics import Diagnostics, Level
from redis_oxide._command import CommandFlag, KeySpecFlag, RequestPolicy, ResponsePolicy

KEY = {"name": "key", "type": "key", "key_spec_index": 0}
#: One key at index 1, read and returned (``RO`` + ``access``), as GET's.
KEY_SPEC = {
    "begin_search": {"type": "index", "spec": {"index": 1}},
    "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
    "RO": True,
    "access": True,
}
TOKENS = [{"name": n.lower(), "type": "pure-token", "token": n} for n in ("NX", "XX")]


def _client(tmp_path: Path, spec: dict[str, Any], **files: str) -> tuple[Any, Diagnostics]:
    module, diagnostics = generate_into(tmp_path, spec, **files)
    return recorder(module.Commands), diagnostics


def test_simple_command_sends_one_tuple(tmp_path: Path) -> None:
    client, _ = _client(
        tmp_path, {"GET": command("GET", [KEY])}, replies='[replies]\nGET = "bulk?"\n'
    )
    call = client.get("k")
    assert call.args == ("GET", "k")
    assert call.parser is None
    assert call.meta.name == "GET"


def test_choice_flag_and_values_reach_the_wire(tmp_path: Path) -> None:
    spec = {
        "SET": command(
            "SET",
            [
                KEY,
                {"name": "value", "type": "string"},
                {"name": "condition", "type": "oneof", "optional": True, "arguments": TOKENS},
                {"name": "get", "type": "pure-token", "token": "GET", "optional": True},
                {"name": "seconds", "type": "integer", "token": "EX", "optional": True},
            ],
        )
    }
    client, _ = _client(tmp_path, spec)
    call = client.set("k", "v", condition="NX", get=True, seconds=timedelta(minutes=1))
    assert call.args == ("SET", "k", "v", "NX", "GET", "EX", 60)
    with pytest.raises(ValueError, match="SET: condition must be one of"):
        client.set("k", "v", condition="YY")
    with pytest.raises(ValueError, match="whole number of seconds"):
        client.set("k", "v", seconds=timedelta(milliseconds=1500))


def test_oneof_of_values_is_mutually_exclusive(tmp_path: Path) -> None:
    expiry = {
        "name": "expiration",
        "type": "oneof",
        "optional": True,
        "arguments": [
            {"name": "seconds", "type": "integer", "token": "EX"},
            {"name": "unix-time-seconds", "type": "unix-time", "token": "EXAT"},
            {"name": "keepttl", "type": "pure-token", "token": "KEEPTTL"},
        ],
    }
    client, _ = _client(tmp_path, {"SET": command("SET", [KEY, expiry])})
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    assert client.set("k", unix_time_seconds=moment).args == ("SET", "k", "EXAT", 1893456000)
    assert client.set("k", keepttl=True).args == ("SET", "k", "KEEPTTL")
    with pytest.raises(ValueError, match="SET: seconds, keepttl are mutually exclusive"):
        client.set("k", seconds=1, keepttl=True)


def test_required_oneof_needs_exactly_one(tmp_path: Path) -> None:
    choice = {
        "name": "args",
        "type": "oneof",
        "arguments": [
            {"name": "port", "type": "integer"},
            {"name": "none", "type": "pure-token", "token": "NONE"},
        ],
    }
    client, _ = _client(tmp_path, {"FOLLOW": command("FOLLOW", [choice])})
    assert client.follow(port=7000).args == ("FOLLOW", 7000)
    with pytest.raises(ValueError, match="FOLLOW: exactly one of port, none is required"):
        client.follow()


def test_trailing_multiple_is_variadic_and_not_empty(tmp_path: Path) -> None:
    spec = {"DEL": command("DEL", [{**KEY, "multiple": True}], group="generic")}
    client, _ = _client(tmp_path, spec, names='[methods]\nDEL = "delete"\n')
    assert client.delete("a", "b").args == ("DEL", "a", "b")
    with pytest.raises(TypeError, match="DEL takes at least one key"):
        client.delete()


def test_multiple_before_other_arguments_is_an_iterable_refusing_strings(tmp_path: Path) -> None:
    spec = {
        "BLPOP": command(
            "BLPOP",
            [{**KEY, "multiple": True}, {"name": "timeout", "type": "double"}],
            group="list",
        )
    }
    client, _ = _client(tmp_path, spec)
    assert client.blpop(["a", "b"], timedelta(seconds=1.5)).args == ("BLPOP", "a", "b", 1.5)
    with pytest.raises(TypeError, match="BLPOP: key must be an iterable"):
        client.blpop("ab", 1.0)


def test_counts_are_computed_and_pairs_take_a_mapping(tmp_path: Path) -> None:
    spec = {
        "EVAL": command(
            "EVAL",
            [
                {"name": "script", "type": "string"},
                {"name": "numkeys", "type": "integer"},
                {**KEY, "optional": True, "multiple": True},
                {"name": "arg", "type": "string", "optional": True, "multiple": True},
            ],
            group="scripting",
        ),
        "ZADD": ZADD_SPEC,
    }
    client, _ = _client(tmp_path, spec, mappings='[mappings]\n"ZADD/data" = "member"\n')
    assert client.eval("return 1").args == ("EVAL", "return 1", 0)
    assert client.eval("s", key=["a", "b"], arg=[1]).args == ("EVAL", "s", 2, "a", "b", 1)
    assert client.zadd("z", {"m": 1.5, "n": 2}).args == ("ZADD", "z", 1.5, "m", 2, "n")
    with pytest.raises(TypeError, match="ZADD: data must be a mapping"):
        client.zadd("z", [("m", 1.5)])


def test_blocks_become_tuples_or_dataclasses(tmp_path: Path) -> None:
    count = {
        "name": "count",
        "type": "block",
        "optional": True,
        "arguments": [
            {"name": "count", "type": "integer", "token": "COUNT"},
            {"name": "any", "type": "pure-token", "token": "ANY", "optional": True},
        ],
    }
    module, _ = generate_into(tmp_path, {"FIND": command("FIND", [KEY, LIMIT_BLOCK, count])})
    client = recorder(module.Commands)
    assert client.find("k", limit=(0, 10)).args == ("FIND", "k", "LIMIT", 0, 10)
    block = module._types.FindCount(count=3, any=True)
    assert client.find("k", count=block).args == ("FIND", "k", "COUNT", 3, "ANY")


def test_oneof_of_blocks_and_tokened_values_is_a_union_of_dataclasses(tmp_path: Path) -> None:
    # BITFIELD-like: each operation is one of a block (GET type offset), a nested oneof of
    # blocks behind an optional token choice, and a tokened value.
    get = {
        "name": "get",
        "type": "block",
        "token": "GET",
        "arguments": [{"name": "type", "type": "string"}, {"name": "offset", "type": "integer"}],
    }
    set_block = {
        "name": "set",
        "type": "block",
        "token": "SET",
        "arguments": [{"name": "offset", "type": "integer"}, {"name": "value", "type": "integer"}],
    }
    incr = {
        "name": "incr",
        "type": "block",
        "token": "INCR",
        "arguments": [{"name": "by", "type": "integer", "token": "BY", "optional": True}],
    }
    overflow = {
        "name": "overflow",
        "type": "oneof",
        "token": "OVERFLOW",
        "optional": True,
        "arguments": [
            {"name": n.lower(), "type": "pure-token", "token": n} for n in ("WRAP", "SAT")
        ],
    }
    write = {
        "name": "write",
        "type": "block",
        "arguments": [
            overflow,
            {"name": "write-op", "type": "oneof", "arguments": [set_block, incr]},
        ],
    }
    tag = {"name": "tag", "type": "string", "token": "TAG"}
    operation = {
        "name": "operation",
        "type": "oneof",
        "multiple": True,
        "optional": True,
        "arguments": [get, write, tag],
    }
    module, diagnostics = generate_into(tmp_path, {"BITS": command("BITS", [KEY, operation])})
    assert not [d for d in diagnostics if "BITS" in d.command or "raw" in d.message]
    types = module._types
    client = recorder(module.Commands)
    ops = [
        types.BitsGet(type="u8", offset=0),
        types.BitsWrite(overflow="SAT", write_op=types.BitsSet(offset=4, value=7)),
        types.BitsWrite(write_op=types.BitsIncr()),
        types.BitsTag(tag="t"),
    ]
    assert client.bits("k", operation=ops).args == (
        ("BITS", "k", "GET", "u8", 0, "OVERFLOW", "SAT", "SET", 4, 7, "INCR", "TAG", "t")
    )
    # The unions are named, and the alternatives are frozen dataclasses.
    assert types.BitsOperation == types.BitsGet | types.BitsWrite | types.BitsTag
    assert types.BitsWriteOp == types.BitsSet | types.BitsIncr
    # Anything else is refused before sending, naming what the argument takes.
    with pytest.raises(TypeError, match=r"BITS: operation must be one of BitsGet, BitsWrite, Bi"):
        client.bits("k", operation=[("GET", "u8", 0)])
    with pytest.raises(TypeError, match=r"BITS: write_op must be one of BitsSet, BitsIncr, not"):
        client.bits("k", operation=[types.BitsWrite(write_op=types.BitsGet(type="u8", offset=0))])
    with pytest.raises(TypeError, match="BITS: value must be an int, not str"):
        client.bits("k", operation=[types.BitsWrite(write_op=types.BitsSet(offset=0, value="x"))])


def test_oneof_with_a_bare_token_alternative_stays_raw(tmp_path: Path) -> None:
    # A bare token cannot be told apart from a value: the oneof is passed through verbatim.
    mixed = {
        "name": "mode",
        "type": "oneof",
        "multiple": True,
        "arguments": [
            {"name": "all", "type": "pure-token", "token": "ALL"},
            {"name": "some", "type": "block", "arguments": [{"name": "n", "type": "integer"}]},
        ],
    }
    module, diagnostics = generate_into(tmp_path, {"PICKS": command("PICKS", [KEY, mixed])})
    infos = [d.message for d in diagnostics if d.level is Level.INFO]
    assert any("'mode' is passed through raw" in m for m in infos), infos
    client = recorder(module.Commands)
    assert client.picks("k", [["ALL"], [3]]).args == ("PICKS", "k", "ALL", 3)


def test_multiple_token_repeats_the_token(tmp_path: Path) -> None:
    get = {
        "name": "get-pattern",
        "type": "pattern",
        "token": "GET",
        "optional": True,
        "multiple": True,
        "multiple_token": True,
    }
    client, _ = _client(tmp_path, {"SORT": command("SORT", [KEY, get], group="generic")})
    assert client.sort("k", get_pattern=["a", "b"]).args == ("SORT", "k", "GET", "a", "GET", "b")


def test_subcommand_and_module_command_names(tmp_path: Path) -> None:
    spec = {
        "CLIENT": command("CLIENT", [], group="connection"),
        "CLIENT LIST": command("CLIENT LIST", [], group="connection"),
        "JSON.GET": command("JSON.GET", [KEY], group="module", module="ReJSON"),
    }
    client, _ = _client(tmp_path, spec)
    assert client.client_list().args == ("CLIENT", "LIST")
    assert client.client_list().meta.token_count == 2
    assert client.json.get("k").args == ("JSON.GET", "k")
    assert not hasattr(client, "client")


def test_module_commands_live_in_namespaces_named_by_their_prefix(tmp_path: Path) -> None:
    spec = {
        "FT.CONFIG": command("FT.CONFIG", [], group="module", module="search"),
        "FT.CONFIG GET": command("FT.CONFIG GET", [KEY], group="module", module="search"),
        "FT._LIST": command("FT._LIST", [], group="module", module="search"),
        "FT._INTERNAL": command("FT._INTERNAL", [], group="module", module="search"),
        "TDIGEST.ADD": command("TDIGEST.ADD", [KEY], group="module", module="bf"),
        "VADD": command("VADD", [KEY], group="module", module="vectorset"),
    }
    client, diagnostics = _client(tmp_path, spec, names='[methods]\n"FT._LIST" = "list_indexes"\n')
    assert client.ft.config_get("k").args == ("FT.CONFIG", "GET", "k")
    assert client.ft.list_indexes().args == ("FT._LIST",)
    assert not hasattr(client.ft, "_internal")
    assert client.tdigest.add("k").meta.name == "TDIGEST.ADD"
    # Without a dotted prefix a module command stands beside the core commands.
    assert client.vadd("k").args == ("VADD", "k")
    assert type(client.ft).__name__ == "FtCommands"
    # The namespace runs the owner's executor itself, not a wrapper around it.
    assert client.ft._execute.__self__ is client
    assert not diagnostics.count(Level.ERROR)


def test_namespace_names_may_not_clash_or_hide_builtins(tmp_path: Path) -> None:
    spec = {
        "JSON": command("JSON", [KEY], group="generic"),
        "JSON.GET": command("JSON.GET", [KEY], group="module", module="ReJSON"),
        "TOPK.LIST": command("TOPK.LIST", [KEY], group="module", module="bf"),
        "TOPK.QUERY": command("TOPK.QUERY", [KEY], group="module", module="bf"),
    }
    replies = '[replies]\n"TOPK.QUERY" = "array<bool>"\n'
    spec_path, overrides, replies_path = write_inputs(tmp_path, spec, replies=replies)
    diagnostics = Diagnostics()
    generate_files([spec_path], diagnostics, overrides, replies_path)
    errors = [d.message for d in diagnostics if d.level is Level.ERROR]
    assert "namespace json clashes with a method of the client" in errors
    assert any("topk.list hides the builtin" in e for e in errors)


def test_deprecated_command_warns_with_replacement(tmp_path: Path) -> None:
    spec = {
        "OLD": command("OLD", [KEY], deprecated_since="6.2.0", replaced_by="`NEW`"),
    }
    client, _ = _client(tmp_path, spec)
    with pytest.warns(DeprecationWarning, match="OLD is deprecated; use NEW"):
        client.old("k")


def test_reply_variant_picks_the_parser(tmp_path: Path) -> None:
    spec = {
        "ZRANGE": command(
            "ZRANGE",
            [
                KEY,
                {
                    "name": "withscores",
                    "type": "pure-token",
                    "token": "WITHSCORES",
                    "optional": True,
                },
            ],
        )
    }
    replies = (
        '[replies]\nZRANGE = "array<bulk>"\n'
        '[variants.ZRANGE]\nwithscores = "array<pair<bulk,double>>"\n'
    )
    client, _ = _client(tmp_path, spec, replies=replies)
    assert client.zrange("z").parser is None
    scored = client.zrange("z", withscores=True)
    assert scored.args == ("ZRANGE", "z", "WITHSCORES")
    assert scored.parser([b"a", b"1.5"]) == [(b"a", 1.5)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scored.parser([[b"a", 1.5]]) == [(b"a", 1.5)]


def test_metadata_carries_policies_and_key_spec_flags_as_enums(tmp_path: Path) -> None:
    key_spec = {
        "begin_search": {"type": "keyword", "spec": {"keyword": "STORE", "startfrom": -2}},
        "find_keys": {"type": "range", "spec": {"lastkey": -1, "keystep": 2, "limit": 0}},
        "OW": True,
        "update": True,
        "incomplete": True,
    }
    spec = {
        "DEL": command(
            "DEL",
            [KEY],
            group="generic",
            key_specs=[key_spec],
            hints=["request_policy:multi_shard", "response_policy:agg_sum", "dont_cache"],
            command_flags=["write", "no_mandatory_keys"],
        )
    }
    module, diagnostics = generate_into(tmp_path, spec)
    meta = module._meta.COMMANDS["DEL"]
    assert meta.request_policy is RequestPolicy.MULTI_SHARD
    assert meta.response_policy is ResponsePolicy.AGG_SUM
    assert meta.flags == (
        CommandFlag.WRITE | CommandFlag.NO_MANDATORY_KEYS | CommandFlag.DONT_CACHE
    )
    (found,) = meta.key_specs
    assert (found.begin_keyword, found.begin_keyword_start, found.last_key, found.step) == (
        "STORE",
        -2,
        -1,
        2,
    )
    assert found.flags == KeySpecFlag.OW | KeySpecFlag.UPDATE | KeySpecFlag.INCOMPLETE
    assert not [d for d in diagnostics if "tip" in d.message]


#: A read whose reply changes with the clock, as the spec marks TTL.
TTL_SPEC = command(
    "TTL",
    [KEY],
    key_specs=[KEY_SPEC],
    command_flags=["readonly"],
    hints=["nondeterministic_output"],
)


def test_cache_tips_become_flags_and_tips_toml_adds_missing_ones(tmp_path: Path) -> None:
    spec = {
        "GET": command("GET", [KEY], key_specs=[KEY_SPEC], command_flags=["readonly"]),
        "TTL": TTL_SPEC,
        "HGETALL": command(
            "HGETALL",
            [KEY],
            key_specs=[KEY_SPEC],
            command_flags=["readonly"],
            hints=["nondeterministic_output_order"],
        ),
    }
    tips = '[commands]\n"GET" = ["dont_cache"]\n'
    module, diagnostics = generate_into(tmp_path, spec, tips=tips)
    commands = module._meta.COMMANDS
    assert commands["TTL"].flags == CommandFlag.READONLY | CommandFlag.NONDETERMINISTIC_OUTPUT
    assert commands["GET"].flags == CommandFlag.READONLY | CommandFlag.DONT_CACHE
    # Any order of a hash's fields is a valid reply: that tip changes nothing.
    assert commands["HGETALL"].flags == CommandFlag.READONLY
    assert not [d for d in diagnostics if "tip" in d.message]


def test_tips_toml_refuses_unknown_commands_and_reports_tips_the_spec_has(tmp_path: Path) -> None:
    spec = {"TTL": TTL_SPEC}
    tips = '[commands]\n"TTL" = ["nondeterministic_output"]\n"NOPE" = ["dont_cache"]\n'
    _, diagnostics = generate_into(tmp_path, spec, tips=tips)
    found = [(d.level, d.command, d.message) for d in sorted(diagnostics) if "tips" in d.message]
    assert found == [
        (Level.ERROR, "NOPE", "tips.toml names a command that is not in the spec"),
        (Level.INFO, "TTL", "tips.toml adds a tip the spec already has"),
    ]
