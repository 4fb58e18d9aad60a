"""redis-py calls for the conformance entries of the ``bitmap`` and ``hyperloglog`` groups."""

from __future__ import annotations

from typing import Any

from redis_oxide._generated._types import BitcountRange, BitposRange, BitposRangeEndUnitBlock
from redis_oxide.types import BitfieldIncrbyBlock, BitfieldWrite
from tests.conformance._entry import Entry as E
from tests.conformance.tables import bitmap_hll

from .._case import Oracle, cases


def _bitfield(p: Oracle) -> Any:
    return p.bitfield("bitfield:k").incrby("i5", 100, 1).get("u4", 0).execute()


def _bitfield_fail(p: Oracle) -> Any:
    return p.bitfield("bitfield:k", default_overflow="FAIL").incrby("u2", 0, 5).execute()


EXTRA = [
    (
        E(
            "bitfield",
            lambda r: r.bitfield(
                "bitfield:k",
                operation=[
                    BitfieldWrite(
                        overflow_block="FAIL",
                        write_operation=BitfieldIncrbyBlock(encoding="u2", offset=0, increment=5),
                    )
                ],
            ),
            variant="overflow",
        ),
        _bitfield_fail,
    ),
    (
        E(
            "bitpos",
            lambda r: r.bitpos(
                "bitpos:k",
                1,
                range=BitposRange(
                    start=0, end_unit_block=BitposRangeEndUnitBlock(end=15, unit="BIT")
                ),
            ),
            [("SET", "bitpos:k", "\x00\x0f")],
            variant="bits",
        ),
        lambda p: p.bitpos("bitpos:k", 1, 0, 15, mode="BIT"),
    ),
    (
        E(
            "bitcount",
            lambda r: r.bitcount("bitcount:k", range=BitcountRange(start=0, end=5, unit="BIT")),
            [("SET", "bitcount:k", "foobar")],
            variant="bits",
        ),
        lambda p: p.bitcount("bitcount:k", 0, 5, mode="BIT"),
    ),
    (
        E(
            "bitop",
            lambda r: r.bitop("NOT", "{bitop}d", "{bitop}a"),
            [("SET", "{bitop}a", "abc")],
            variant="not",
        ),
        lambda p: p.bitop("NOT", "{bitop}d", "{bitop}a"),
    ),
    (
        E(
            "getbit",
            lambda r: r.getbit("getbit:k", 1000),
            [("SET", "getbit:k", "a")],
            variant="outside",
        ),
        lambda p: p.getbit("getbit:k", 1000),
    ),
    (
        E("pfcount", lambda r: r.pfcount("pfcount:missing"), variant="missing"),
        lambda p: p.pfcount("pfcount:missing"),
    ),
    (
        E(
            "pfadd",
            lambda r: r.pfadd("pfadd:h", element=["a"]),
            [("PFADD", "pfadd:h", "a")],
            variant="unchanged",
        ),
        lambda p: p.pfadd("pfadd:h", "a"),
    ),
]

CASES = cases(
    bitmap_hll.ENTRIES,
    {
        "bitcount": lambda p: p.bitcount("bitcount:k"),
        "bitcount-range": lambda p: p.bitcount("bitcount:k", 1, 1, mode="BYTE"),
        "bitfield": _bitfield,
        "bitfield_ro": lambda p: p.bitfield_ro("bitfieldro:k", "u8", 0, items=[("i4", 4)]),
        "bitop": lambda p: p.bitop("AND", "{bitop}d", "{bitop}a", "{bitop}b"),
        "bitpos": lambda p: p.bitpos("bitpos:k", 1),
        "bitpos-range": lambda p: p.bitpos("bitpos:k", 0, 1),
        "getbit": lambda p: p.getbit("getbit:k", 1),
        "setbit": lambda p: p.setbit("setbit:k", 7, 1),
        "pfadd": lambda p: p.pfadd("pfadd:h", "a", "b"),
        "pfcount": lambda p: p.pfcount("{pfcount}a", "{pfcount}b"),
        "pfdebug": lambda p: p.execute_command("PFDEBUG", "ENCODING", "pfdebug:h"),
        "pfmerge": lambda p: p.pfmerge("{pfmerge}d", "{pfmerge}a", "{pfmerge}b"),
        "pfselftest": lambda p: p.execute_command("PFSELFTEST"),
    },
    {},
    extra=EXTRA,
)
