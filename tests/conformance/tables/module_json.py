"""Conformance entries for the RedisJSON commands (``client.json``).

Most commands answer one value for a legacy path and a list for a JSONPath; both forms run.
"""

from __future__ import annotations

from .._entry import Entry

E = Entry
DOC = '{"n":1,"f":2.5,"s":"ab","t":true,"a":[1,2,3],"o":{"k":"v","m":{"x":1}},"z":null}'


def _doc(key: str) -> tuple[str, ...]:
    return ("JSON.SET", key, "$", DOC)


ENTRIES = [
    E("json.arrappend", lambda r: r.json.arrappend("ja:d", "$.a", 4, {"x": [1]}), [_doc("ja:d")]),
    E(
        "json.arrappend",
        lambda r: r.json.arrappend("ja:d", ".a", "five"),
        [_doc("ja:d")],
        variant="legacy",
    ),
    E("json.arrindex", lambda r: r.json.arrindex("ji:d", "$..a", 2), [_doc("ji:d")]),
    E(
        "json.arrindex",
        lambda r: r.json.arrindex("ji:d", ".a", 3, start=1, stop=3),
        [_doc("ji:d")],
        variant="legacy",
    ),
    E("json.arrinsert", lambda r: r.json.arrinsert("jn:d", "$.a", 0, "x", None), [_doc("jn:d")]),
    E("json.arrlen", lambda r: r.json.arrlen("jl:d", path="$.*"), [_doc("jl:d")]),
    E("json.arrlen", lambda r: r.json.arrlen("jl:d", path=".a"), [_doc("jl:d")], variant="legacy"),
    E("json.arrlen", lambda r: r.json.arrlen("jl:none"), variant="missing"),
    E("json.arrpop", lambda r: r.json.arrpop("jp:d", path="$.*"), [_doc("jp:d")]),
    E(
        "json.arrpop",
        lambda r: r.json.arrpop("jp:d", path=".a", index=0),
        [_doc("jp:d")],
        variant="legacy",
    ),
    E(
        "json.arrpop",
        lambda r: r.json.arrpop("jp:d", path="$.o.m"),
        [_doc("jp:d")],
        variant="not-an-array",
    ),
    E("json.arrtrim", lambda r: r.json.arrtrim("jt:d", "$.a", 0, 1), [_doc("jt:d")]),
    E("json.clear", lambda r: r.json.clear("jc:d", path="$.*"), [_doc("jc:d")]),
    E("json.debug_help", lambda r: r.json.debug_help()),
    E("json.debug_memory", lambda r: r.json.debug_memory("jm:d"), [_doc("jm:d")]),
    E(
        "json.debug_memory",
        lambda r: r.json.debug_memory("jm:d", path="$.a"),
        [_doc("jm:d")],
        variant="jsonpath",
    ),
    E("json.delete", lambda r: r.json.delete("jd:d", path="$..x"), [_doc("jd:d")]),
    E("json.forget", lambda r: r.json.forget("jf:d"), [_doc("jf:d")]),
    E("json.get", lambda r: r.json.get("jg:d"), [_doc("jg:d")]),
    E("json.get", lambda r: r.json.get("jg:d", "$..x"), [_doc("jg:d")], variant="jsonpath"),
    E(
        "json.get",
        lambda r: r.json.get("jg:d", "$.n", ".s", indent="  ", newline="\n", space=" "),
        [_doc("jg:d")],
        variant="paths",
    ),
    E("json.get", lambda r: r.json.get("jg:none"), variant="missing"),
    E(
        "json.merge",
        lambda r: r.json.merge("jr:d", "$", {"n": None, "new": [True, 1.5]}),
        [_doc("jr:d")],
    ),
    E(
        "json.mget",
        lambda r: r.json.mget(["jmg:a", "jmg:none", "jmg:b"], "$.s"),
        [_doc("jmg:a"), ("JSON.SET", "jmg:b", "$", '{"s":"é"}')],
    ),
    E(
        "json.mset",
        lambda r: r.json.mset([("jms:a", "$", {"a": 1}), ("jms:b", "$", b'"raw json"')]),
    ),
    E("json.numincrby", lambda r: r.json.numincrby("jni:d", "$..n", 2), [_doc("jni:d")]),
    E(
        "json.numincrby",
        lambda r: r.json.numincrby("jni:d", ".f", 0.25),
        [_doc("jni:d")],
        variant="legacy",
    ),
    E("json.nummultby", lambda r: r.json.nummultby("jnm:d", "$.f", 2), [_doc("jnm:d")]),
    E(
        "json.numpowby",
        lambda r: r.json.numpowby("jnp:d", ".n", 3),
        [("JSON.SET", "jnp:d", "$", '{"n":2}')],
    ),
    E("json.objkeys", lambda r: r.json.objkeys("jok:d", path="$..o"), [_doc("jok:d")]),
    E("json.objkeys", lambda r: r.json.objkeys("jok:d"), [_doc("jok:d")], variant="legacy"),
    E("json.objlen", lambda r: r.json.objlen("jol:d", path="$.*"), [_doc("jol:d")]),
    E("json.resp", lambda r: r.json.resp("jrs:d", path="$.o"), [_doc("jrs:d")]),
    E("json.set", lambda r: r.json.set("js:d", "$", {"a": [1, "x", None, {"b": False}]})),
    E(
        "json.set",
        lambda r: r.json.set("js:d", "$.a", 1, condition="NX"),
        [_doc("js:d")],
        variant="nx-refused",
    ),
    E("json.strappend", lambda r: r.json.strappend("jsa:d", "cd", path="$..s"), [_doc("jsa:d")]),
    E(
        "json.strappend",
        lambda r: r.json.strappend("jsa:d", "!"),
        [("JSON.SET", "jsa:d", "$", '"hi"')],
        variant="root",
    ),
    E("json.strlen", lambda r: r.json.strlen("jsl:d", path="$.*"), [_doc("jsl:d")]),
    E("json.toggle", lambda r: r.json.toggle("jtg:d", "$.*"), [_doc("jtg:d")]),
    E("json.toggle", lambda r: r.json.toggle("jtg:d", ".t"), [_doc("jtg:d")], variant="legacy"),
    E("json.type", lambda r: r.json.type("jty:d", path="$.*"), [_doc("jty:d")]),
    E("json.type", lambda r: r.json.type("jty:d"), [_doc("jty:d")], variant="legacy"),
    E("json.type", lambda r: r.json.type("jty:none", path="$"), variant="missing"),
]
