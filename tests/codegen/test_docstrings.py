"""Functional tier: the docstrings of generated methods describe parameters and replies.

Inline spec snippets are generated and imported; the tests read the methods' ``__doc__`` the way
a user's editor does, and check that each parameter says its Redis syntax, type, version, how it
is sent, and that ``Returns`` names what each combination of options gives back.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import LIMIT_BLOCK, ZADD_SPEC, command, generate_into, recorder

from codegen.diagnostics import Level

KEY = {"name": "key", "type": "key", "key_spec_index": 0}

RANKING = {
    "RANK": command(
        "RANK",
        [
            KEY,
            {"name": "numkeys", "type": "integer"},
            {"name": "other", "type": "key", "multiple": True},
            {"name": "value", "type": "string", "summary": 'A "quoted" summary'},
            {
                "name": "condition",
                "type": "oneof",
                "optional": True,
                "since": "3.0.0",
                "arguments": [
                    {"name": "nx", "type": "pure-token", "token": "NX"},
                    {"name": "xx", "type": "pure-token", "token": "XX"},
                ],
            },
            {
                "name": "expiration",
                "type": "oneof",
                "optional": True,
                "arguments": [
                    {"name": "seconds", "type": "integer", "token": "EX", "since": "2.6.12"},
                    {"name": "keepttl", "type": "pure-token", "token": "KEEPTTL"},
                ],
            },
            LIMIT_BLOCK,
            {
                "name": "weight",
                "type": "integer",
                "token": "WEIGHTS",
                "optional": True,
                "multiple": True,
            },
            {
                "name": "get",
                "type": "pattern",
                "token": "GET",
                "optional": True,
                "multiple": True,
                "multiple_token": True,
            },
            {"name": "min", "type": "double", "token": "MIN", "optional": True},
            {
                "name": "old",
                "type": "string",
                "token": "OLD",
                "optional": True,
                "deprecated_since": "6.2.0",
            },
            {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "optional": True},
        ],
        group="sorted-set",
    ),
    "ZADD": ZADD_SPEC,
}
HINTS = (
    '[mappings]\n"ZADD/data" = "member"\n[numbers]\n"RANK/weight" = "double"\n"RANK/min" = "text"\n'
)
REPLIES = (
    '[replies]\nRANK = "array<bulk>"\nZADD = "int"\n'
    '[variants.RANK]\nwithscores = "array<pair<bulk,double>>"\n'
)


def _docs(tmp_path: Path) -> Any:
    module, diagnostics = generate_into(tmp_path, RANKING, mappings=HINTS, replies=REPLIES)
    assert diagnostics.count(Level.ERROR) == 0, diagnostics.grouped()
    return module.Commands


def _args(doc: str | None) -> dict[str, str]:
    """Parameter name -> its description, on one line."""
    assert doc is not None
    section = inspect.cleandoc(doc).split("Args:\n", 1)[1].split("\n\n", 1)[0]
    entries: dict[str, str] = {}
    name = ""
    for line in section.splitlines():
        if line.startswith("    ") and not line.startswith("        "):
            name, _, text = line.strip().partition(": ")
            entries[name] = text
        else:
            entries[name] += " " + line.strip()
    return entries


def test_parameters_say_syntax_type_version_and_wire_form(tmp_path: Path) -> None:
    args = _args(_docs(tmp_path).rank.__doc__)
    assert args["key"] == "``key`` (key)."
    assert args["other"] == (
        "``other [other ...]`` (key). One or more; each item is sent as ``<other>``; their count"
        " ``numkeys`` is computed and sent first."
    )
    assert args["value"] == 'A "quoted" summary. ``value`` (string).'
    assert args["condition"] == (
        "``NX | XX`` (oneof of pure tokens, since Redis 3.0.0). Optional; sends the chosen token."
    )
    assert args["seconds"].startswith(
        "``EX seconds`` (integer, since Redis 2.6.12). Optional; sent as ``EX <seconds>``; a"
        " ``timedelta`` must be a whole number of seconds."
    )
    assert args["seconds"].endswith("One of the ``expiration`` options: at most one may be given.")
    assert args["keepttl"].startswith(
        "``KEEPTTL`` (pure token). Flag: sends ``KEEPTTL`` when true."
    )
    assert args["limit"] == (
        "``LIMIT offset count`` (block of integer ``offset``, integer ``count``). Optional; a tuple"
        " ``(offset, count)``, sent as ``LIMIT <offset> <count>``."
    )
    assert args["weight"] == (
        "``WEIGHTS weight [weight ...]`` (double). Optional; sent as"
        " ``WEIGHTS <weight> [<weight> ...]``."
    )
    assert args["get"] == (
        "``GET get [GET get ...]`` (pattern). Optional; each item is sent as ``GET <get>``."
    )
    assert args["min"] == "``MIN min`` (double or string). Optional; sent as ``MIN <min>``."
    assert args["old"].endswith("Deprecated since Redis 6.2.0.")
    assert (
        args["withscores"] == "``WITHSCORES`` (pure token). Flag: sends ``WITHSCORES`` when true."
    )


def test_mapping_parameter_says_how_each_item_is_sent(tmp_path: Path) -> None:
    args = _args(_docs(tmp_path).zadd.__doc__)
    assert args["data"] == (
        "``score member [score member ...]`` (block of double ``score``, string ``member``). A"
        " mapping of ``member`` to ``score``; each item is sent as ``<score> <member>``."
    )


def test_returns_names_what_each_combination_of_options_gives(tmp_path: Path) -> None:
    commands = _docs(tmp_path)
    rank = inspect.cleandoc(commands.rank.__doc__)
    returns = rank.split("Returns:\n", 1)[1].split("\n\n", 1)[0]
    assert " ".join(returns.split()) == (
        "An awaitable of the reply, which depends on the options given:"
        " With ``withscores=True``: a list of (string, float) pairs, typed"
        " ``list[tuple[StrT, float]]``."
        " Otherwise: a list of strings, typed ``list[StrT]``."
    )
    zadd = inspect.cleandoc(commands.zadd.__doc__)
    assert "Returns:\n    An awaitable of an integer, typed ``int``.\n" in zadd


SET_ARGUMENTS: list[dict[str, Any]] = [
    KEY,
    {"name": "value", "type": "string"},
    {
        "name": "condition",
        "type": "oneof",
        "optional": True,
        "arguments": [
            {"name": "nx", "type": "pure-token", "token": "NX"},
            {"name": "xx", "type": "pure-token", "token": "XX"},
        ],
    },
    {"name": "get", "type": "pure-token", "token": "GET", "optional": True},
    {
        "name": "expiration",
        "type": "oneof",
        "optional": True,
        "arguments": [
            {"name": "seconds", "type": "integer", "token": "EX"},
            {"name": "milliseconds", "type": "integer", "token": "PX"},
        ],
    },
]


def test_deprecation_names_the_python_call_to_use_instead(tmp_path: Path) -> None:
    old = {"deprecated_since": "6.2.0"}
    value: list[dict[str, Any]] = [KEY, {"name": "value", "type": "string"}]
    spec = {
        "SET": command("SET", SET_ARGUMENTS),
        "GETSET": command("GETSET", value, replaced_by="`SET` with the `!GET` argument", **old),
        "SETEX": command("SETEX", value, replaced_by="`SET` with the `EX` argument", **old),
        "SETNX": command("SETNX", value, replaced_by="`SET` with the `NX` argument", **old),
        "SUBSTR": command("SUBSTR", [KEY], replaced_by="`GETRANGE`", **old),
        "TOPK.COUNT": {
            "summary": "Counts.",
            "since": "2.0.0",
            "group": "module",
            "module": "bf",
            "arity": -3,
            "arguments": [KEY],
            "deprecated_since": "2.4.0",
        },
    }
    module, _ = generate_into(tmp_path, spec)
    methods = module.Commands
    expected = {
        "getset": "Deprecated since Redis 6.2.0; use set(..., get=True) instead.",
        "setex": "Deprecated since Redis 6.2.0; use set(..., seconds=...) instead.",
        "setnx": "Deprecated since Redis 6.2.0; use set(..., condition='NX') instead.",
        # No method for GETRANGE in this spec: the name stays, without the markup.
        "substr": "Deprecated since Redis 6.2.0; use GETRANGE instead.",
    }
    for name, line in expected.items():
        doc = inspect.getdoc(getattr(methods, name)) or ""
        assert line in doc, doc
        assert "`" not in doc.split("Deprecated")[1].split("\n")[0]
    topk = inspect.getdoc(module.TopkCommands.count) or ""
    assert "Deprecated since bf module 2.4.0." in topk
    assert "Redis 2.4.0" not in topk
    client = recorder(methods)
    with pytest.warns(
        DeprecationWarning, match=r"^GETSET is deprecated; use set\(\.\.\., get=True\)$"
    ):
        client.getset("k", "v")
