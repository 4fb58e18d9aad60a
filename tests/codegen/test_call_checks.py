"""Call-time checks and the cheap paths of generated methods, through a recording executor.

Functional tier: inline spec snippets are generated, imported and called; a wrong argument must
raise before the executor sees anything. The committed surface is checked with mypy against
``typing_samples.py`` and timed against a plain tuple build.
"""

from __future__ import annotations

import enum
import subprocess
import sys
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import LIMIT_BLOCK, ROOT, ZADD_SPEC, command, generate_into

from codegen.diagnostics import Level
from redis_oxide._generated import Commands

KEY = {"name": "key", "type": "key", "key_spec_index": 0}


class Sink:
    """Records what reaches the executor, so a test can assert that nothing did."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []


def _client(tmp_path: Path, spec: dict[str, Any], **files: str) -> tuple[Any, Sink]:
    module, diagnostics = generate_into(tmp_path, spec, **files)
    assert diagnostics.count(Level.ERROR) == 0, diagnostics.grouped()
    return _recording(module.Commands)


def _recording(commands_class: type) -> tuple[Any, Sink]:
    sink = Sink()

    class Recording(commands_class):  # type: ignore[misc]  # a class chosen at run time
        __slots__ = ()

        def _execute(self, meta: Any, args: tuple[Any, ...], parser: Any) -> Any:
            sink.sent.append(args)
            return parser

    return Recording(), sink


class Priority(enum.IntEnum):
    HIGH = 5


NUMBERS_SPEC = {
    "EXPIRE": command(
        "EXPIRE",
        [
            KEY,
            {"name": "count", "type": "integer"},
            {"name": "ttl", "type": "integer", "token": "TTL", "optional": True},
        ],
        group="generic",
    ),
    "MOVE": command(
        "MOVE",
        [KEY, {"name": "db", "type": "integer"}, {"name": "score", "type": "double"}],
        group="generic",
    ),
    "RANGE": command(
        "RANGE",
        [
            KEY,
            {"name": "min", "type": "double"},
            LIMIT_BLOCK,
            {"name": "weight", "type": "integer", "token": "W", "optional": True, "multiple": True},
        ],
        group="sorted-set",
    ),
    "ZADD": ZADD_SPEC,
}
NUMBERS_HINTS = '[mappings]\n"ZADD/data" = "member"\n[numbers]\n"RANGE/min" = "text"\n'


def test_integer_arguments_refuse_other_types_before_sending(tmp_path: Path) -> None:
    client, sink = _client(tmp_path, NUMBERS_SPEC, mappings=NUMBERS_HINTS)
    for bad, kind in (("soon", "str"), (True, "bool"), (1.5, "float"), (None, "NoneType")):
        with pytest.raises(TypeError, match=rf"^EXPIRE: count must be an int, not {kind}$"):
            client.expire("k", bad)
    with pytest.raises(TypeError, match=r"^EXPIRE: ttl must be an int, not str$"):
        client.expire("k", 1, ttl="2")
    with pytest.raises(TypeError, match=r"^MOVE: db must be an int, not bool$"):
        client.move("k", False, 1.0)
    assert sink.sent == []
    client.expire("k", 10, ttl=Priority.HIGH)
    assert sink.sent == [("EXPIRE", "k", 10, "TTL", 5)]
    assert type(sink.sent[0][-1]) is int  # an IntEnum goes out as its plain value


def test_double_arguments_take_ints_and_reals_but_not_bool_or_text(tmp_path: Path) -> None:
    client, sink = _client(tmp_path, NUMBERS_SPEC, mappings=NUMBERS_HINTS)
    client.move("k", 1, 2)
    client.move("k", 1, 2.5)
    client.move("k", 1, Fraction(1, 4))
    assert sink.sent == [("MOVE", "k", 1, 2), ("MOVE", "k", 1, 2.5), ("MOVE", "k", 1, 0.25)]
    for bad, kind in (("1.5", "str"), (True, "bool"), (b"1", "bytes")):
        with pytest.raises(TypeError, match=rf"^MOVE: score must be a float, not {kind}$"):
            client.move("k", 1, bad)
    assert len(sink.sent) == 3


def test_numbers_inside_blocks_collections_and_mappings_are_checked(tmp_path: Path) -> None:
    client, sink = _client(tmp_path, NUMBERS_SPEC, mappings=NUMBERS_HINTS)
    with pytest.raises(TypeError, match=r"^RANGE: count must be an int, not str$"):
        client.range("k", 0, limit=(0, "10"))
    with pytest.raises(TypeError, match=r"^RANGE: weight must be an int, not float$"):
        client.range("k", 0, weight=[1, 2.5])
    with pytest.raises(TypeError, match=r"^ZADD: score must be a float, not str$"):
        client.zadd("z", {"a": 1.0, "b": "high"})
    assert sink.sent == []
    # A ``text`` number hint lets score bounds through as Redis spells them.
    client.range("k", "(1.5", limit=(0, 10), weight=[1, 2])
    client.zadd("z", {"a": 1, b"b": 2.5})
    assert sink.sent == [
        ("RANGE", "k", "(1.5", "LIMIT", 0, 10, "W", 1, 2),
        ("ZADD", "z", 1, "a", 2.5, b"b"),
    ]


def test_double_hint_lets_an_integer_of_the_spec_take_fractions(tmp_path: Path) -> None:
    spec = {
        "BUMP": command(
            "BUMP",
            [KEY, {"name": "increment", "type": "integer"}, {"name": "member", "type": "string"}],
        ),
        "STEP": command("STEP", [KEY, {"name": "increment", "type": "integer"}]),
    }
    client, sink = _client(tmp_path, spec, mappings='[numbers]\n"BUMP/increment" = "double"\n')
    client.bump("z", 1.5, "m")
    client.bump("z", 2, "m")
    client.bump("z", Fraction(1, 2), "m")
    assert sink.sent == [("BUMP", "z", 1.5, "m"), ("BUMP", "z", 2, "m"), ("BUMP", "z", 0.5, "m")]
    with pytest.raises(TypeError, match=r"^BUMP: increment must be a float, not str$"):
        client.bump("z", "1.5", "m")
    with pytest.raises(TypeError, match=r"^STEP: increment must be an int, not float$"):
        client.step("z", 1.5)
    assert len(sink.sent) == 3


def test_conversions_name_the_command_and_argument(tmp_path: Path) -> None:
    spec = {
        "SETEX": command(
            "SETEX",
            [KEY, {"name": "seconds", "type": "integer"}, {"name": "value", "type": "string"}],
        ),
        "WAITFOR": command(
            "WAITFOR",
            [{"name": "timeout", "type": "double"}, {"name": "at", "type": "unix-time"}],
        ),
    }
    client, sink = _client(tmp_path, spec)
    with pytest.raises(TypeError, match=r"^SETEX: seconds must be an int or timedelta, not str$"):
        client.setex("k", "10", "v")
    with pytest.raises(TypeError, match=r"^SETEX: seconds must be an int or timedelta, not bool$"):
        client.setex("k", True, "v")
    with pytest.raises(TypeError, match=r"^WAITFOR: timeout must be a float or timedelta, not str"):
        client.waitfor("1", 5)
    with pytest.raises(TypeError, match=r"^WAITFOR: at must be an int or datetime, not float$"):
        client.waitfor(1, 5.5)
    with pytest.raises(ValueError, match=r"^SETEX: seconds: .* is not a whole number of seconds"):
        client.setex("k", timedelta(milliseconds=1500), "v")
    assert sink.sent == []
    client.setex("k", timedelta(minutes=1), "v")
    client.waitfor(timedelta(milliseconds=250), 7)
    assert sink.sent == [("SETEX", "k", 60, "v"), ("WAITFOR", 0.25, 7)]


SET_SPEC = {
    "SET": command(
        "SET",
        [
            KEY,
            {"name": "value", "type": "string"},
            {"name": "get", "type": "pure-token", "token": "GET", "optional": True},
            {
                "name": "expiration",
                "type": "oneof",
                "optional": True,
                "arguments": [
                    {"name": "seconds", "type": "integer", "token": "EX"},
                    {"name": "milliseconds", "type": "integer", "token": "PX"},
                    {"name": "keepttl", "type": "pure-token", "token": "KEEPTTL"},
                ],
            },
        ],
    )
}


def test_call_without_options_takes_the_fast_path_with_the_default_reply(tmp_path: Path) -> None:
    replies = '[replies]\nSET = "ok?"\n[variants.SET]\nget = "bulk?"\n'
    client, sink = _client(tmp_path, SET_SPEC, replies=replies)
    default_parser = client.set("k", "v")
    assert client.set("k", "v", get=True) is not default_parser
    assert client.set("k", "v", seconds=5) is default_parser
    assert client.set("k", "v", keepttl=True) is default_parser
    assert sink.sent == [
        ("SET", "k", "v"),
        ("SET", "k", "v", "GET"),
        ("SET", "k", "v", "EX", 5),
        ("SET", "k", "v", "KEEPTTL"),
    ]


def test_exclusive_options_are_still_refused_by_name(tmp_path: Path) -> None:
    client, sink = _client(tmp_path, SET_SPEC)
    with pytest.raises(ValueError, match=r"^SET: seconds, keepttl are mutually exclusive$"):
        client.set("k", "v", seconds=1, keepttl=True)
    with pytest.raises(ValueError, match=r"^SET: seconds, milliseconds are mutually exclusive$"):
        client.set("k", "v", seconds=0, milliseconds=0)
    assert sink.sent == []


def test_required_oneof_has_no_fast_path_around_its_check(tmp_path: Path) -> None:
    choice = {
        "name": "args",
        "type": "oneof",
        "arguments": [
            {"name": "port", "type": "integer"},
            {"name": "none", "type": "pure-token", "token": "NONE"},
        ],
    }
    client, sink = _client(tmp_path, {"FOLLOW": command("FOLLOW", [choice])})
    with pytest.raises(ValueError, match="FOLLOW: exactly one of port, none is required, got 0"):
        client.follow()
    with pytest.raises(ValueError, match="FOLLOW: exactly one of port, none is required, got 2"):
        client.follow(port=1, none=True)
    assert sink.sent == []


XADD_SPEC = {
    "XADD": command(
        "XADD",
        [
            KEY,
            {"name": "nomkstream", "type": "pure-token", "token": "NOMKSTREAM", "optional": True},
            {
                "name": "id-selector",
                "type": "oneof",
                "arguments": [
                    {"name": "auto-id", "type": "pure-token", "token": "*"},
                    {"name": "id", "type": "string"},
                ],
            },
            {
                "name": "data",
                "type": "block",
                "multiple": True,
                "arguments": [
                    {"name": "field", "type": "string"},
                    {"name": "value", "type": "string"},
                ],
            },
        ],
        group="stream",
    )
}
XADD_HINTS = 'token_default = ["XADD/id-selector"]\n[mappings]\n"XADD/data" = "field"\n'


def test_token_default_makes_the_token_the_default_value(tmp_path: Path) -> None:
    client, sink = _client(tmp_path, XADD_SPEC, mappings=XADD_HINTS)
    client.xadd("s", {"f": "v"})
    client.xadd("s", {"f": "v"}, id="5-1", nomkstream=True)
    assert sink.sent == [("XADD", "s", "*", "f", "v"), ("XADD", "s", "NOMKSTREAM", "5-1", "f", "v")]
    with pytest.raises(TypeError, match="auto_id"):
        client.xadd("s", {"f": "v"}, auto_id=True)


def test_committed_stream_commands_default_their_ids() -> None:
    client, sink = _recording(Commands)
    client.xadd("s", {"f": "v"})
    client.xgroup_create("s", "g", mkstream=True)
    client.xgroup_setid("s", "g", id="0")
    assert sink.sent == [
        ("XADD", "s", "*", "f", "v"),
        ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
        ("XGROUP", "SETID", "s", "g", "0"),
    ]


def test_mapping_parameters_take_any_mapping_and_refuse_pairs() -> None:
    client, sink = _recording(Commands)
    client.hset("h", {b"f": 1, 2: 2.5})
    with pytest.raises(TypeError, match=r"^HSET: data must be a mapping, not list$"):
        client.hset("h", [("f", "v")])
    assert sink.sent == [("HSET", "h", b"f", 1, 2, 2.5)]


@pytest.mark.timeout(150)
def test_typing_samples_pass_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "tests/codegen/typing_samples.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=140,
    )
    assert result.returncode == 0, result.stdout


def test_committed_surface_refuses_wrong_numbers_before_sending() -> None:
    client, sink = _recording(Commands)
    with pytest.raises(TypeError, match=r"^EXPIRE: seconds must be an int or timedelta, not str$"):
        client.expire("k", "soon")
    with pytest.raises(TypeError, match=r"^LRANGE: start must be an int, not bool$"):
        client.lrange("l", True, -1)
    with pytest.raises(TypeError, match=r"^ZADD: score must be a float, not str$"):
        client.zadd("z", {"m": "1"})
    with pytest.raises(TypeError, match=r"^BLPOP: timeout must be a float or timedelta, not str$"):
        client.blpop(["l"], "1")
    assert sink.sent == []
    client.zcount("z", "(1", "+inf")
    client.zunionstore("d", "a", weight=[0.5])
    client.zincrby("z", 1.5, "m")
    client.bitfield_ro("b", get_block=[("u8", "#1")])
    assert sink.sent == [
        ("ZCOUNT", "z", "(1", "+inf"),
        ("ZUNIONSTORE", "d", 1, "a", "WEIGHTS", 0.5),
        ("ZINCRBY", "z", 1.5, "m"),
        ("BITFIELD_RO", "b", "GET", "u8", "#1"),
    ]


def test_token_of_a_oneof_spread_into_keywords_goes_first(tmp_path: Path) -> None:
    filterby = {
        "name": "filterby",
        "type": "oneof",
        "token": "FILTERBY",
        "optional": True,
        "arguments": [
            {"name": "pattern", "type": "pattern", "token": "PATTERN"},
            {"name": "all", "type": "pure-token", "token": "ALL"},
        ],
    }
    client, sink = _client(tmp_path, {"LIST": command("LIST", [filterby])})
    client.list()
    client.list(pattern="a*")
    client.list(all=True)
    assert sink.sent == [
        ("LIST",),
        ("LIST", "FILTERBY", "PATTERN", "a*"),
        ("LIST", "FILTERBY", "ALL"),
    ]
    committed, sent = _recording(Commands)
    committed.command_list(pattern="x*")
    assert sent.sent == [("COMMAND", "LIST", "FILTERBY", "PATTERN", "x*")]
