"""redis-py calls for the conformance entries of the ``string`` group."""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import strings

from .._case import cases

EXTRA = [
    (
        E("get", lambda r: r.get("get:l"), [("RPUSH", "get:l", "a")], variant="wrongtype"),
        lambda p: p.get("get:l"),
    ),
    (
        E("incr", lambda r: r.incr("incr:k"), [("SET", "incr:k", "abc")], variant="not-integer"),
        lambda p: p.incr("incr:k"),
    ),
    (
        E("get", lambda r: r.get("get:k"), [("SET", "get:k", b"\xff\xfe")], variant="undecodable"),
        lambda p: p.get("get:k"),
    ),
    (
        E(
            "incrbyfloat",
            lambda r: r.incrbyfloat("ibf:k", 0.1),
            [("SET", "ibf:k", "0.2")],
            variant="rounding",
        ),
        lambda p: p.incrbyfloat("ibf:k", 0.1),
    ),
    (
        E(
            "incrbyfloat",
            lambda r: r.incrbyfloat("ibf:k", 1e300),
            [("SET", "ibf:k", "1")],
            variant="huge",
        ),
        lambda p: p.incrbyfloat("ibf:k", 1e300),
    ),
    (
        E(
            "getex",
            lambda r: r.getex("getex:k", persist=True),
            [("SET", "getex:k", "v", "EX", "100")],
            variant="persist",
        ),
        lambda p: p.getex("getex:k", persist=True),
    ),
    (
        E(
            "set",
            lambda r: r.set("set:k", "w", get=True, keepttl=True),
            [("SET", "set:k", "v", "EX", "100")],
            variant="keepttl",
        ),
        lambda p: p.set("set:k", "w", get=True, keepttl=True),
    ),
    (
        E("set", lambda r: r.set("set:k", "w", condition="XX"), variant="xx-missing"),
        lambda p: p.set("set:k", "w", xx=True),
    ),
    (
        E("mget", lambda r: r.mget("{mget}x", "{mget}y"), variant="missing"),
        lambda p: p.mget("{mget}x", "{mget}y"),
    ),
    (
        E(
            "getrange",
            lambda r: r.getrange("getrange:k", 10, 20),
            [("SET", "getrange:k", "hello")],
            variant="outside",
        ),
        lambda p: p.getrange("getrange:k", 10, 20),
    ),
    (
        E("strlen", lambda r: r.strlen("strlen:missing"), variant="missing"),
        lambda p: p.strlen("strlen:missing"),
    ),
    (
        E(
            "get",
            lambda r: r.get("get:k"),
            [("SET", "get:k", "h\u00e9llo \u2603")],
            variant="unicode",
        ),
        lambda p: p.get("get:k"),
    ),
    (
        E(
            "lcs",
            lambda r: r.lcs("{lcs}a", "{lcs}b", idx=True, min_match_len=4),
            [("MSET", "{lcs}a", "ohmytext", "{lcs}b", "mynewtext")],
            variant="idx-minmatchlen",
        ),
        lambda p: p.lcs("{lcs}a", "{lcs}b", idx=True, minmatchlen=4),
    ),
    (
        E(
            "decrby",
            lambda r: r.decrby("decrby:k", 10),
            [("SET", "decrby:k", "-5")],
            variant="negative",
        ),
        lambda p: p.decrby("decrby:k", 10),
    ),
    (
        E("setrange", lambda r: r.setrange("setrange:k", 3, "ab"), variant="missing"),
        lambda p: p.setrange("setrange:k", 3, "ab"),
    ),
    (
        E(
            "msetnx",
            lambda r: r.msetnx({"{msetnx}a": "1", "{msetnx}b": 2}),
            [("SET", "{msetnx}a", "0")],
            variant="exists",
        ),
        lambda p: p.msetnx({"{msetnx}a": "1", "{msetnx}b": 2}),
    ),
]

CASES = cases(
    strings.ENTRIES,
    {
        "append": lambda p: p.append("append:k", "xy"),
        "decr": lambda p: p.decr("decr:k"),
        "decrby": lambda p: p.decrby("decrby:k", 3),
        "get": lambda p: p.get("get:k"),
        "get-missing": lambda p: p.get("get:missing"),
        "getdel": lambda p: p.getdel("getdel:k"),
        "getex": lambda p: p.getex("getex:k", ex=100),
        "getrange": lambda p: p.getrange("getrange:k", 0, 2),
        "getset": lambda p: p.getset("getset:k", "new"),
        "incr": lambda p: p.incr("incr:k"),
        "incrby": lambda p: p.incrby("incrby:k", 7),
        "incrbyfloat": lambda p: p.incrbyfloat("incrbyfloat:k", 1.5),
        "incrbyfloat-whole": lambda p: p.incrbyfloat("incrbyfloat:k", 2),
        "lcs": lambda p: p.lcs("{lcs}a", "{lcs}b"),
        "lcs-len": lambda p: p.lcs("{lcs}a", "{lcs}b", len=True),
        "lcs-idx": lambda p: p.lcs("{lcs}a", "{lcs}b", idx=True, withmatchlen=True),
        "mget": lambda p: p.mget("{mget}a", "{mget}b"),
        "mset": lambda p: p.mset({"{mset}a": "1", "{mset}b": 2}),
        "msetnx": lambda p: p.msetnx({"{msetnx}a": "1", "{msetnx}b": 2}),
        "psetex": lambda p: p.psetex("psetex:k", 10000, "v"),
        "set": lambda p: p.set("set:k", "v"),
        "set-nx": lambda p: p.set("set:k", "v", nx=True),
        "set-get": lambda p: p.set("set:k", "v", get=True),
        "set-get-missing": lambda p: p.set("set:k", "v", get=True, ex=5),
        "setex": lambda p: p.setex("setex:k", 10, "v"),
        "setnx": lambda p: p.setnx("setnx:k", "v"),
        "setrange": lambda p: p.setrange("setrange:k", 2, "zz"),
        "strlen": lambda p: p.strlen("strlen:k"),
        "substr": lambda p: p.substr("substr:k", 1, 3),
    },
    {},
    extra=EXTRA,
)
