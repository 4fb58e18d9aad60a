"""The RESP vector table shared by every decoder test, and a value canonicaliser.

Each vector is (wire bytes, RESP version, the replies it decodes to, id). Where the expected
value differs from ideal RESP3 it is pinned to hiredis 3.5's behaviour, which the pure decoder
copies; those rows say why in a comment (docs/decisions.md, "Protocol layer" has the full list).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from redis_oxide._exceptions import (
    AskError,
    CommandError,
    MovedError,
    ServerError,
    WrongTypeError,
)
from redis_oxide._protocol import PushMessage


class Vector(NamedTuple):
    data: bytes
    resp: str
    replies: tuple[Any, ...]
    id: str


def canon(value: Any) -> Any:
    """A comparable form that keeps what ``==`` hides (True vs 1, nan, types, errors)."""
    if isinstance(value, ServerError):
        fields = (value.message, value.code, getattr(value, "slot", None))
        return ("error", type(value).__name__, fields)
    if type(value) is PushMessage:
        return ("push", [canon(item) for item in value])
    if type(value) is list:
        return ("list", [canon(item) for item in value])
    if type(value) is dict:
        return ("dict", [(canon(k), canon(v)) for k, v in value.items()])
    if type(value) is float and math.isnan(value):
        return ("float", "nan")
    if value is None:
        return None
    return (type(value).__name__, value)


def err(cls: type[ServerError], message: str, code: str | None) -> ServerError:
    return cls(message, code=code)


def redirect(cls: type[MovedError | AskError], message: str) -> ServerError:
    slot, target = message.split(" ")[1:]
    host, _, port = target.rpartition(":")
    return cls(message, slot=int(slot), host=host, port=int(port), code=cls.prefix)


VECTORS: list[Vector] = [
    # --- RESP2 -----------------------------------------------------------------------------
    Vector(b"+OK\r\n", "RESP2", (b"OK",), "simple-string"),
    Vector(b"+\r\n", "RESP2", (b"",), "simple-string-empty"),
    Vector(
        b"-ERR unknown command 'x'\r\n",
        "RESP2",
        (err(CommandError, "ERR unknown command 'x'", "ERR"),),
        "error-err",
    ),
    Vector(
        b"-WRONGTYPE Operation against a key\r\n",
        "RESP2",
        (err(WrongTypeError, "WRONGTYPE Operation against a key", "WRONGTYPE"),),
        "error-wrongtype",
    ),
    Vector(
        b"-MOVED 3999 127.0.0.1:6381\r\n",
        "RESP2",
        (redirect(MovedError, "MOVED 3999 127.0.0.1:6381"),),
        "error-moved",
    ),
    Vector(
        b"-ASK 12 ::1:7000\r\n", "RESP2", (redirect(AskError, "ASK 12 ::1:7000"),), "error-ask-ipv6"
    ),
    Vector(
        b"-SOMECODE text\r\n",
        "RESP2",
        (err(ServerError, "SOMECODE text", "SOMECODE"),),
        "error-unknown-prefix",
    ),
    Vector(
        b"-Unknown index name\r\n",
        "RESP2",
        (err(ServerError, "Unknown index name", None),),
        "error-no-code",
    ),
    Vector(b"-\r\n", "RESP2", (err(ServerError, "", None),), "error-empty"),
    # Error text is always UTF-8 with "replace", so building the error never fails.
    Vector(
        b"-ERR bad \xff\r\n",
        "RESP2",
        (err(CommandError, "ERR bad \ufffd", "ERR"),),
        "error-invalid-utf8",
    ),
    Vector(b":0\r\n", "RESP2", (0,), "integer-zero"),
    Vector(b":-42\r\n", "RESP2", (-42,), "integer-negative"),
    Vector(b":9223372036854775807\r\n", "RESP2", (2**63 - 1,), "integer-max"),
    Vector(b":-9223372036854775808\r\n", "RESP2", (-(2**63),), "integer-min"),
    Vector(b"$3\r\nfoo\r\n", "RESP2", (b"foo",), "bulk"),
    Vector(b"$0\r\n\r\n", "RESP2", (b"",), "bulk-empty"),
    Vector(b"$4\r\na\r\nb\r\n", "RESP2", (b"a\r\nb",), "bulk-with-crlf"),
    Vector(b"$3\r\n\x00\xff\x00\r\n", "RESP2", (b"\x00\xff\x00",), "bulk-binary"),
    Vector("$5\r\nh\u00e9\u00e9\r\n".encode(), "RESP2", ("h\u00e9\u00e9".encode(),), "bulk-utf8"),
    Vector(b"$-1\r\n", "RESP2", (None,), "bulk-null"),
    Vector(b"*-1\r\n", "RESP2", (None,), "array-null"),
    Vector(b"*0\r\n", "RESP2", ([],), "array-empty"),
    Vector(b"*3\r\n:1\r\n$1\r\na\r\n+b\r\n", "RESP2", ([1, b"a", b"b"],), "array"),
    Vector(
        b"*2\r\n*1\r\n*0\r\n*2\r\n$-1\r\n*-1\r\n", "RESP2", ([[[]], [None, None]],), "array-nested"
    ),
    # An error inside an aggregate stays in its slot (EXEC replies).
    Vector(
        b"*2\r\n+OK\r\n-ERR no\r\n",
        "RESP2",
        ([b"OK", err(CommandError, "ERR no", "ERR")],),
        "array-with-error",
    ),
    Vector(b"+a\r\n:1\r\n$-1\r\n", "RESP2", (b"a", 1, None), "several-replies"),
    # --- RESP3 -----------------------------------------------------------------------------
    Vector(b"_\r\n", "RESP3", (None,), "null"),
    Vector(b"#t\r\n", "RESP3", (True,), "bool-true"),
    Vector(b"#f\r\n", "RESP3", (False,), "bool-false"),
    Vector(b",1.5\r\n", "RESP3", (1.5,), "double"),
    Vector(b",-2.5e-3\r\n", "RESP3", (-0.0025,), "double-exponent"),
    Vector(b",10\r\n", "RESP3", (10.0,), "double-integral"),
    Vector(b",inf\r\n", "RESP3", (math.inf,), "double-inf"),
    Vector(b",-inf\r\n", "RESP3", (-math.inf,), "double-neg-inf"),
    Vector(b",nan\r\n", "RESP3", (math.nan,), "double-nan"),
    # Pinned: big numbers stay text (hiredis has no big-number object); callers int() them.
    Vector(
        b"(3492890328409238509324850943850943825024385\r\n",
        "RESP3",
        (b"3492890328409238509324850943850943825024385",),
        "bignum",
    ),
    Vector(b"(-12\r\n", "RESP3", (b"-12",), "bignum-negative"),
    # Pinned: the verbatim format ("txt"/"mkd") is dropped; only the text remains.
    Vector(b"=15\r\ntxt:Some string\r\n", "RESP3", (b"Some string",), "verbatim"),
    Vector(b"=4\r\nmkd:\r\n", "RESP3", (b"",), "verbatim-empty"),
    Vector(b"%2\r\n+a\r\n:1\r\n$1\r\nb\r\n,2.5\r\n", "RESP3", ({b"a": 1, b"b": 2.5},), "map"),
    Vector(b"%0\r\n", "RESP3", ({},), "map-empty"),
    Vector(b"%-1\r\n", "RESP3", (None,), "map-null"),
    Vector(
        b"%2\r\n:7\r\n%1\r\n+x\r\n*1\r\n_\r\n#t\r\n~0\r\n",
        "RESP3",
        ({7: {b"x": [None]}, True: []},),
        "map-nested-scalar-keys",
    ),
    # Pinned: sets decode to lists (hiredis 3 does; order is the server's).
    Vector(b"~3\r\n:1\r\n:2\r\n+x\r\n", "RESP3", ([1, 2, b"x"],), "set-as-list"),
    Vector(b"~0\r\n", "RESP3", ([],), "set-empty"),
    Vector(
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        "RESP3",
        (PushMessage([b"message", b"ch", b"hi"]),),
        "push",
    ),
    Vector(b">0\r\n", "RESP3", (PushMessage(),), "push-empty"),
    Vector(
        b">2\r\n+invalidate\r\n*-1\r\n+OK\r\n",
        "RESP3",
        (PushMessage([b"invalidate", None]), b"OK"),
        "push-then-reply",
    ),
    # Pinned: an attribute is returned as a flat [key, value, ...] list, and the value it
    # annotates follows as the next reply.
    Vector(
        b"|1\r\n+ttl\r\n:3600\r\n$3\r\nval\r\n",
        "RESP3",
        ([b"ttl", 3600], b"val"),
        "attribute-top-level",
    ),
    # Pinned: inside an aggregate the attribute takes an element slot, shifting the rest;
    # the displaced last element arrives as a reply of its own.
    Vector(
        b"*2\r\n|1\r\n+k\r\n+v\r\n:5\r\n:6\r\n",
        "RESP3",
        ([[b"k", b"v"], 5], 6),
        "attribute-in-array",
    ),
]

#: With encoding="utf-8": text becomes str (error text is always str).
TEXT_VECTORS: list[Vector] = [
    Vector(b"+OK\r\n", "RESP2", ("OK",), "simple-string"),
    Vector("$4\r\nh\u00e9!\r\n".encode(), "RESP2", ("h\u00e9!",), "bulk"),
    Vector(b"*2\r\n$1\r\na\r\n:1\r\n", "RESP2", (["a", 1],), "array"),
    Vector(b"-ERR x\r\n", "RESP2", (err(CommandError, "ERR x", "ERR"),), "error"),
    Vector(b"=7\r\ntxt:abc\r\n", "RESP3", ("abc",), "verbatim"),
    Vector(b"(123\r\n", "RESP3", ("123",), "bignum"),
    Vector(b"%1\r\n$1\r\nk\r\n,1.5\r\n", "RESP3", ({"k": 1.5},), "map-keys"),
    Vector(b">2\r\n+message\r\n$1\r\nm\r\n", "RESP3", (PushMessage(["message", "m"]),), "push"),
]

#: Byte streams both decoders must refuse with ProtocolError.
INVALID: list[tuple[bytes, str]] = [
    (b"?x\r\n", "unknown-type-byte"),
    # Pinned: hiredis 3.5 rejects RESP3 blob errors; Redis does not send them.
    (b"!10\r\nSYNTAX bad\r\n", "blob-error"),
    (b":abc\r\n", "integer-garbage"),
    (b":01\r\n", "integer-leading-zero"),
    (b":+1\r\n", "integer-plus"),
    (b":-0\r\n", "integer-minus-zero"),
    (b":\r\n", "integer-empty"),
    (b":9223372036854775808\r\n", "integer-overflow"),
    (b"$abc\r\n", "bulk-length-garbage"),
    (b"$-2\r\n", "bulk-length-negative"),
    (b"*-2\r\n", "array-length-negative"),
    (b"*4294967296\r\n", "array-length-too-large"),
    (b",abc\r\n", "double-garbage"),
    (b",1e999\r\n", "double-overflow"),
    (b",0x10\r\n", "double-hex"),
    (b"," + b"1" * 400 + b"\r\n", "double-too-long"),
    (b"#x\r\n", "bool-garbage"),
    (b"_x\r\n", "null-with-payload"),
    (b"(12a\r\n", "bignum-garbage"),
    (b"=3\r\nabc\r\n", "verbatim-without-format"),
    (b"+a\rb\r\n", "simple-string-with-cr"),
    (b"-ERR a\nb\r\n", "error-with-lf"),
    (b"*1\r\n" * 1025 + b":1\r\n", "nesting-too-deep"),
]
