"""Conformance entries for the ``bitmap`` and ``hyperloglog`` groups."""

from __future__ import annotations

from redis_oxide.types import (
    BitcountRange,
    BitfieldGetBlock,
    BitfieldIncrbyBlock,
    BitfieldWrite,
    BitposRange,
)

from .._entry import Entry

E = Entry

ENTRIES = [
    E("bitcount", lambda r: r.bitcount("bitcount:k"), [("SET", "bitcount:k", "foobar")]),
    E(
        "bitcount",
        lambda r: r.bitcount("bitcount:k", range=BitcountRange(start=1, end=1, unit="BYTE")),
        [("SET", "bitcount:k", "foobar")],
        variant="range",
    ),
    E(
        "bitfield",
        lambda r: r.bitfield(
            "bitfield:k",
            operation=[
                BitfieldWrite(
                    write_operation=BitfieldIncrbyBlock(encoding="i5", offset=100, increment=1)
                ),
                BitfieldGetBlock(encoding="u4", offset=0),
            ],
        ),
    ),
    E(
        "bitfield_ro",
        lambda r: r.bitfield_ro("bitfieldro:k", get_block=[("u8", 0), ("i4", 4)]),
        [("SET", "bitfieldro:k", "a")],
    ),
    E(
        "bitop",
        lambda r: r.bitop("AND", "{bitop}d", "{bitop}a", "{bitop}b"),
        [("SET", "{bitop}a", "abc"), ("SET", "{bitop}b", "abd")],
    ),
    E("bitpos", lambda r: r.bitpos("bitpos:k", 1), [("SET", "bitpos:k", "\x00\x0f")]),
    E(
        "bitpos",
        lambda r: r.bitpos("bitpos:k", 0, range=BitposRange(start=1)),
        [("SET", "bitpos:k", "\xff\xff")],
        variant="range",
    ),
    E("getbit", lambda r: r.getbit("getbit:k", 1), [("SET", "getbit:k", "a")]),
    E("setbit", lambda r: r.setbit("setbit:k", 7, 1)),
    E("pfadd", lambda r: r.pfadd("pfadd:h", element=["a", "b"])),
    E(
        "pfcount",
        lambda r: r.pfcount("{pfcount}a", "{pfcount}b"),
        [("PFADD", "{pfcount}a", "x", "y")],
    ),
    E("pfdebug", lambda r: r.pfdebug("ENCODING", "pfdebug:h"), [("PFADD", "pfdebug:h", "x")]),
    E(
        "pfmerge",
        lambda r: r.pfmerge("{pfmerge}d", sourcekey=["{pfmerge}a", "{pfmerge}b"]),
        [("PFADD", "{pfmerge}a", "x"), ("PFADD", "{pfmerge}b", "y")],
    ),
    E("pfselftest", lambda r: r.pfselftest()),
]
