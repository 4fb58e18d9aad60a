"""Conformance entries for the ``string`` group."""

from __future__ import annotations

from datetime import timedelta

from .._entry import Entry

E = Entry
ENTRIES = [
    E("append", lambda r: r.append("append:k", "xy"), [("SET", "append:k", "ab")]),
    E("decr", lambda r: r.decr("decr:k"), [("SET", "decr:k", "5")]),
    E("decrby", lambda r: r.decrby("decrby:k", 3), [("SET", "decrby:k", "5")]),
    E("get", lambda r: r.get("get:k"), [("SET", "get:k", "v")]),
    E("get", lambda r: r.get("get:missing"), variant="missing"),
    E("getdel", lambda r: r.getdel("getdel:k"), [("SET", "getdel:k", "v")]),
    E("getex", lambda r: r.getex("getex:k", seconds=100), [("SET", "getex:k", "v")]),
    E("getrange", lambda r: r.getrange("getrange:k", 0, 2), [("SET", "getrange:k", "hello")]),
    E("getset", lambda r: r.getset("getset:k", "new"), [("SET", "getset:k", "old")]),
    E("incr", lambda r: r.incr("incr:k")),
    E("incrby", lambda r: r.incrby("incrby:k", 7)),
    E(
        "incrbyfloat",
        lambda r: r.incrbyfloat("incrbyfloat:k", 1.5),
        [("SET", "incrbyfloat:k", "1")],
    ),
    E("incrbyfloat", lambda r: r.incrbyfloat("incrbyfloat:k", 2), variant="whole"),
    E(
        "lcs",
        lambda r: r.lcs("{lcs}a", "{lcs}b"),
        [("MSET", "{lcs}a", "ohmytext", "{lcs}b", "mynewtext")],
    ),
    E(
        "lcs",
        lambda r: r.lcs("{lcs}a", "{lcs}b", len=True),
        [("MSET", "{lcs}a", "ohmytext", "{lcs}b", "mynewtext")],
        variant="len",
    ),
    E(
        "lcs",
        lambda r: r.lcs("{lcs}a", "{lcs}b", idx=True, withmatchlen=True),
        [("MSET", "{lcs}a", "ohmytext", "{lcs}b", "mynewtext")],
        variant="idx",
    ),
    E("mget", lambda r: r.mget("{mget}a", "{mget}b"), [("SET", "{mget}a", "1")]),
    E("mset", lambda r: r.mset({"{mset}a": "1", "{mset}b": 2})),
    E("msetnx", lambda r: r.msetnx({"{msetnx}a": "1", "{msetnx}b": 2})),
    E("psetex", lambda r: r.psetex("psetex:k", timedelta(seconds=10), "v")),
    E("set", lambda r: r.set("set:k", "v")),
    E("set", lambda r: r.set("set:k", "v", condition="NX"), [("SET", "set:k", "o")], variant="nx"),
    E("set", lambda r: r.set("set:k", "v", get=True), [("SET", "set:k", "o")], variant="get"),
    E("set", lambda r: r.set("set:k", "v", get=True, seconds=5), variant="get-missing"),
    E("setex", lambda r: r.setex("setex:k", 10, "v")),
    E("setnx", lambda r: r.setnx("setnx:k", "v")),
    E("setrange", lambda r: r.setrange("setrange:k", 2, "zz"), [("SET", "setrange:k", "hello")]),
    E("strlen", lambda r: r.strlen("strlen:k"), [("SET", "strlen:k", "hello")]),
    E("substr", lambda r: r.substr("substr:k", 1, 3), [("SET", "substr:k", "hello")]),
]
