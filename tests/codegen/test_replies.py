"""Functional tier for reply types: generated parsers give one value for RESP2 and RESP3.

Each test generates an inline spec with reply entries (and models), calls the method through a
recording executor and feeds the recorded parser the reply as RESP2 and as RESP3 decode it
(hiredis, bytes or str), asserting the Python value. Real-server conformance lives with the
runtime tests.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import ROOT, command, generate_into, recorder

from codegen.__main__ import generate_files
from codegen.diagnostics import Diagnostics, Level

KEY = {"name": "key", "type": "key", "key_spec_index": 0}


def _flag(name: str) -> dict[str, Any]:
    return {"name": name, "type": "pure-token", "token": name.upper(), "optional": True}


def _client(tmp_path: Path, spec: dict[str, Any], **files: str) -> tuple[Any, Any, Diagnostics]:
    module, diagnostics = generate_into(tmp_path, spec, **files)
    return recorder(module.Commands), module, diagnostics


def _parse(call: Any, reply: Any) -> Any:
    return reply if call.parser is None else call.parser(reply)


def test_plain_replies_need_no_parser_and_shapes_that_differ_are_normalised(
    tmp_path: Path,
) -> None:
    names = ["PLAIN", "SCORES", "MEMBERS", "FIELDS", "CURSOR", "STREAMS"]
    spec = {n: command(n, [KEY]) for n in names}
    replies = (
        '[replies]\nPLAIN = "array<bulk?>"\nSCORES = "array<pair<bulk,double>>"\n'
        'MEMBERS = "set<bulk>"\nFIELDS = "map<bulk,double>"\nCURSOR = "pair<numstr,array<bulk>>"\n'
        'STREAMS = "map<bulk,array<pair<bulk,map<bulk,bulk>?>>>?"\n'
    )
    client, _, diagnostics = _client(tmp_path, spec, replies=replies)
    assert diagnostics.count(Level.WARNING) == 0
    assert client.plain("k").parser is None
    scores = client.scores("k")
    assert _parse(scores, [b"a", b"1.5", b"b", b"inf"]) == [(b"a", 1.5), (b"b", float("inf"))]
    assert _parse(scores, [["a", 1.5], ["b", float("inf")]]) == [("a", 1.5), ("b", float("inf"))]
    assert _parse(scores, []) == []
    assert _parse(client.members("k"), [b"x", b"y"]) == {b"x", b"y"}
    assert _parse(client.members("k"), {"x"}) == {"x"}
    fields = client.fields("k")
    assert _parse(fields, [b"f", b"2"]) == _parse(fields, {b"f": 2.0}) == {b"f": 2.0}
    assert _parse(client.cursor("k"), [b"17", [b"a"]]) == (17, [b"a"])
    streams = client.streams("k")
    resp2 = [[b"s", [[b"1-1", [b"f", b"v"]], [b"2-1", None]]]]
    resp3 = {b"s": [[b"1-1", [b"f", b"v"]], [b"2-1", None]]}
    expected = {b"s": [(b"1-1", {b"f": b"v"}), (b"2-1", None)]}
    assert _parse(streams, resp2) == _parse(streams, resp3) == expected
    assert _parse(streams, None) is None


def test_single_call_conversions_are_the_builtins_themselves(tmp_path: Path) -> None:
    names = ["SCORE", "MAYBE", "SETOK", "SETNX", "FLAG", "CURSOR"]
    spec = {n: command(n, [KEY]) for n in names}
    replies = (
        '[replies]\nSCORE = "double"\nMAYBE = "double?"\nSETOK = "ok"\nSETNX = "ok?"\n'
        'FLAG = "bool"\nCURSOR = "numstr"\n'
    )
    client, _, _ = _client(tmp_path, spec, replies=replies)
    # A C call per reply instead of a Python function wrapping it.
    assert client.score("k").parser is float
    assert client.setok("k").parser is bool
    assert client.setnx("k").parser is bool
    assert client.flag("k").parser is bool
    assert client.cursor("k").parser is int
    score = client.score("k")
    assert [_parse(score, r) for r in (b"1.5", "2", 3.0, 4)] == [1.5, 2.0, 3.0, 4.0]
    assert [_parse(score, r) for r in (b"inf", b"-inf", "+inf")] == [math.inf, -math.inf, math.inf]
    maybe = client.maybe("k")
    assert maybe.parser is not None
    assert (_parse(maybe, None), _parse(maybe, b"0.5")) == (None, 0.5)
    assert (_parse(client.setok("k"), b"OK"), _parse(client.setok("k"), "OK")) == (True, True)
    assert (_parse(client.setnx("k"), b"OK"), _parse(client.setnx("k"), None)) == (True, False)
    assert (_parse(client.flag("k"), 0), _parse(client.flag("k"), True)) == (False, True)


def test_arrays_of_groups_accept_every_shape_and_give_tuples(tmp_path: Path) -> None:
    spec = {n: command(n, [KEY]) for n in ("SCORES", "NEAR", "PAIRS", "CONFIGS")}
    replies = (
        '[replies]\nSCORES = "array<pair<bulk,double>>"\n'
        'NEAR = "array<tuple<bulk,double,int>>"\nPAIRS = "array<pair<bulk,int>>"\n'
        'CONFIGS = "array<pair<str,str>>"\n'
    )
    client, _, _ = _client(tmp_path, spec, replies=replies)
    scores = client.scores("k")
    expected = [(b"a", 1.5), (b"b", -math.inf)]
    shapes = {
        "RESP2 flat text": [b"a", b"1.5", b"b", b"-inf"],
        "RESP3 nested doubles": [[b"a", 1.5], [b"b", -math.inf]],
        "nested text (GEO distances in RESP3)": [[b"a", b"1.5"], [b"b", b"-inf"]],
    }
    for shape, reply in shapes.items():
        parsed = _parse(scores, reply)
        assert parsed == expected, shape
        assert all(type(group) is tuple for group in parsed), shape
        assert all(type(score) is float for _, score in parsed), shape
    # RESP3 sends a lone pair flat (ZPOPMIN without a count), with a double.
    assert _parse(scores, [b"a", 2.5]) == [(b"a", 2.5)]
    assert _parse(scores, []) == []
    with pytest.raises(ValueError, match="zip"):
        _parse(scores, [b"a", b"1", b"b"])  # a flat array that does not divide into pairs
    near = client.near("k")
    flat = [b"a", b"0.25", 9, b"b", b"1", 10]
    nested = [[b"a", b"0.25", 9], [b"b", b"1", 10]]
    assert _parse(near, flat) == _parse(near, nested) == [(b"a", 0.25, 9), (b"b", 1.0, 10)]
    pairs = client.pairs("k")
    assert _parse(pairs, [b"x", 1, b"y", 2]) == _parse(pairs, [[b"x", 1], [b"y", 2]])
    assert _parse(pairs, [[b"x", 1]]) == [(b"x", 1)]
    configs = client.configs("k")
    assert _parse(configs, [b"maxmemory", b"0"]) == [("maxmemory", "0")]
    assert _parse(configs, [["maxmemory", "0"]]) == [("maxmemory", "0")]


MODELS = """
[models.Group]
doc = "A group."
[models.Group.fields]
name = "bulk"
last-id = "bulk?"
ratio = "double"
consumers = "array<Member>"

[models.Member]
doc = "A member, positional."
shape = "array"
[models.Member.fields]
name = "bulk"
idle = "int"

[models.Conn]
doc = "A connection from a name=value line."
shape = "kv"
[models.Conn.fields]
id = "int"
qbuf_free = "int"
name = "str"
user = "str?"

[models.Range]
doc = "Start, end, then the nodes."
shape = "array"
rest = true
[models.Range.fields]
start = "int"
end = "int"
nodes = "array<str>"
""".replace("last-id", "last_id")


def test_models_validate_from_resp2_lists_resp3_maps_and_text(tmp_path: Path) -> None:
    spec = {n: command(n, [KEY]) for n in ("GROUPS", "CONNS", "RANGES")}
    replies = '[replies]\nGROUPS = "array<Group>"\nCONNS = "lines<Conn>"\nRANGES = "array<Range>"\n'
    client, module, diagnostics = _client(tmp_path, spec, replies=replies, models=MODELS)
    assert diagnostics.count(Level.ERROR) == 0
    groups = client.groups("k")
    resp2 = [[b"name", b"g", b"last-id", b"1-0", b"ratio", b"0.5", b"consumers", [[b"c", 3]]]]
    resp3 = [{b"name": b"g", b"last-id": b"1-0", b"ratio": 0.5, b"consumers": [[b"c", 3]]}]
    parsed = _parse(groups, resp2)
    assert parsed == _parse(groups, resp3)
    group = parsed[0]
    assert isinstance(group, module._models.Group)
    assert (group.name, group.last_id, group.ratio) == (b"g", b"1-0", 0.5)
    assert group.consumers[0].name == b"c"
    # A decoding client gets str in the same generic fields.
    text = _parse(groups, [{"name": "g", "ratio": 1, "consumers": [], "new-field": 7}])[0]
    assert (text.name, text.last_id, text.model_extra) == ("g", None, {"new_field": 7})
    with pytest.raises(ValueError, match="frozen"):
        text.name = "other"
    conns = _parse(
        client.conns("k"), b"id=3 qbuf-free=10 name= user=default\nid=4 qbuf-free=0 name=x\n"
    )
    assert [(c.id, c.qbuf_free, c.name, c.user) for c in conns] == [
        (3, 10, "", "default"),
        (4, 0, "x", None),
    ]
    ranges = _parse(client.ranges("k"), [[0, 5, b"n1", b"n2"]])
    assert (ranges[0].start, ranges[0].end, ranges[0].nodes) == (0, 5, ["n1", "n2"])


def test_variants_pick_the_parser_from_the_options(tmp_path: Path) -> None:
    spec = {
        "NEAR": command("NEAR", [KEY, _flag("withdist"), _flag("withhash")]),
        "PICK": command(
            "PICK",
            [
                KEY,
                {
                    "name": "options",
                    "type": "block",
                    "optional": True,
                    "arguments": [{"name": "count", "type": "integer"}, _flag("withvalues")],
                },
            ],
        ),
    }
    replies = (
        '[replies]\nNEAR = "array<bulk>"\nPICK = "bulk?"\n'
        '[variants.NEAR]\nwithdist = "array<pair<bulk,double>>"\n'
        '"withdist+withhash" = "array<tuple<bulk,double,int>>"\n'
        '[variants.PICK]\ncount = "array<bulk>"\n"count+withvalues" = "array<pair<bulk,bulk>>"\n'
    )
    client, _, _ = _client(
        tmp_path, spec, replies=replies, mappings='flatten = ["PICK/options"]\n[mappings]\n'
    )
    assert client.near("k").parser is None
    both = client.near("k", withdist=True, withhash=True)
    assert both.args == ("NEAR", "k", "WITHDIST", "WITHHASH")
    assert _parse(both, [[b"a", b"1.5", 7]]) == [(b"a", 1.5, 7)]
    assert _parse(client.near("k", withdist=True), [[b"a", b"2"]]) == [(b"a", 2.0)]
    assert client.pick("k").args == ("PICK", "k")
    assert client.pick("k", count=2).parser is None
    pairs = client.pick("k", count=2, withvalues=True)
    assert pairs.args == ("PICK", "k", 2, "WITHVALUES")
    assert _parse(pairs, [b"f", b"v"]) == _parse(pairs, [[b"f", b"v"]]) == [(b"f", b"v")]
    with pytest.raises(TypeError, match="PICK: withvalues needs count"):
        client.pick("k", withvalues=True)


def test_binary_replies_are_marked_for_the_runtime(tmp_path: Path) -> None:
    spec = {"DUMPIT": command("DUMPIT", [KEY]), "GET": command("GET", [KEY])}
    replies = '[replies]\nDUMPIT = "bytes?"\nGET = "bulk?"\n'
    client, _, _ = _client(tmp_path, spec, replies=replies)
    assert client.dumpit("k").meta.binary_reply is True
    assert client.get("k").meta.binary_reply is False


def test_module_commands_may_go_without_reply_type_core_commands_may_not(
    tmp_path: Path,
) -> None:
    spec = {
        "MOD.GET": command("MOD.GET", [KEY], module="mod"),
        "CORE": command("CORE", [KEY]),
    }
    _, _, diagnostics = _client(tmp_path, spec)
    warnings = [d.format() for d in diagnostics if d.level is Level.WARNING]
    assert len(warnings) == 1
    assert warnings[0].endswith("1 commands have no reply type yet and return Reply: CORE")


def test_committed_spec_has_a_reply_type_for_every_command() -> None:
    diagnostics = Diagnostics()
    generate_files([ROOT / "specs" / "commands.json"], diagnostics)
    assert diagnostics.count(Level.ERROR) == 0, diagnostics.grouped()
    assert diagnostics.count(Level.WARNING) == 0, diagnostics.grouped()
