"""Conformance entries for the RedisBloom commands (``client.bf``, ``cf``, ``cms``, ``topk``,
``tdigest``).

Sketches are built by raw setup commands; t-digests always hold observations, because an empty
one answers NaN, which equals nothing, not even the other protocol's NaN.
"""

from __future__ import annotations

from .._entry import Entry, Recorder

E = Entry


def _bf(key: str) -> list[tuple[str, ...]]:
    return [("BF.RESERVE", key, "0.01", "100"), ("BF.MADD", key, "a", "b")]


def _cf(key: str) -> list[tuple[str, ...]]:
    return [("CF.RESERVE", key, "100"), ("CF.ADD", key, "a"), ("CF.ADD", key, "b")]


def _td(key: str) -> list[tuple[str, ...]]:
    return [("TDIGEST.CREATE", key), ("TDIGEST.ADD", key, "1", "2", "3", "4", "5")]


def _topk(key: str) -> list[tuple[str, ...]]:
    return [("TOPK.RESERVE", key, "2"), ("TOPK.INCRBY", key, "a", "5", "b", "3")]


async def _dump(r: Recorder, command: str, key: str) -> None:
    """Save the filter in ``key`` chunk by chunk into the context, then delete it."""
    chunks, cursor = [], 0
    while True:
        cursor, data = await r.raw(f"{command}.SCANDUMP", key, cursor)
        if cursor == 0:
            break
        chunks.append((cursor, data))
    r.context["chunks"] = chunks
    await r.raw("DEL", key)


async def _bf_dump(r: Recorder) -> None:
    await _dump(r, "BF", "bfl:f")


async def _cf_dump(r: Recorder) -> None:
    await _dump(r, "CF", "cfl:f")


ENTRIES = [
    E("bf.add", lambda r: r.bf.add("bfa:f", "x")),
    E("bf.card", lambda r: r.bf.card("bfc:f"), _bf("bfc:f")),
    E("bf.debug", lambda r: r.bf.debug("bfd:f"), _bf("bfd:f")),
    E("bf.exists", lambda r: r.bf.exists("bfe:f", "a"), _bf("bfe:f")),
    E("bf.info", lambda r: r.bf.info("bfi:f"), _bf("bfi:f")),
    E(
        "bf.info",
        lambda r: r.bf.info("bfi:f", single_value="CAPACITY"),
        _bf("bfi:f"),
        variant="single",
    ),
    E(
        "bf.insert",
        lambda r: r.bf.insert("bfn:f", "a", "c", capacity=10, error=0.01, expansion=2),
    ),
    E(
        "bf.insert",
        lambda r: r.bf.insert("bfn:f", "a", nocreate=True, nonscaling=True),
        _bf("bfn:f"),
        variant="nocreate",
    ),
    E(
        "bf.loadchunk",
        lambda r: r.bf.loadchunk("bfl:f", *r.context["chunks"][0]),
        _bf("bfl:f"),
        prepare=_bf_dump,
    ),
    E("bf.madd", lambda r: r.bf.madd("bfm:f", "a", "b", "a")),
    E("bf.mexists", lambda r: r.bf.mexists("bfx:f", "a", "zz"), _bf("bfx:f")),
    E("bf.reserve", lambda r: r.bf.reserve("bfr:f", 0.001, 1000, expansion=4)),
    E(
        "bf.reserve",
        lambda r: r.bf.reserve("bfr:f", 0.1, 10, nonscaling=True),
        variant="nonscaling",
    ),
    E("bf.scandump", lambda r: r.bf.scandump("bfs:f", 0), _bf("bfs:f")),
    E("cf.add", lambda r: r.cf.add("cfa:f", "x")),
    E("cf.addnx", lambda r: r.cf.addnx("cfn:f", "a"), _cf("cfn:f")),
    E("cf.compact", lambda r: r.cf.compact("cfc:f"), _cf("cfc:f")),
    E("cf.count", lambda r: r.cf.count("cfo:f", "a"), _cf("cfo:f")),
    E("cf.debug", lambda r: r.cf.debug("cfg:f"), _cf("cfg:f")),
    E("cf.delete", lambda r: r.cf.delete("cfd:f", "a"), _cf("cfd:f")),
    E("cf.exists", lambda r: r.cf.exists("cfe:f", "zz"), _cf("cfe:f")),
    E("cf.info", lambda r: r.cf.info("cfi:f"), _cf("cfi:f")),
    E("cf.insert", lambda r: r.cf.insert("cfs:f", "a", "b", capacity=50)),
    E(
        "cf.insert",
        lambda r: r.cf.insert("cfs:f", "a", "b", "c", "d", "e"),
        [("CF.RESERVE", "cfs:f", "2", "BUCKETSIZE", "1", "MAXITERATIONS", "1", "EXPANSION", "0")],
        variant="full",
    ),
    E("cf.insertnx", lambda r: r.cf.insertnx("cfx:f", "a", "z"), _cf("cfx:f")),
    E(
        "cf.loadchunk",
        lambda r: r.cf.loadchunk("cfl:f", *r.context["chunks"][0]),
        _cf("cfl:f"),
        prepare=_cf_dump,
    ),
    E("cf.mexists", lambda r: r.cf.mexists("cfm:f", "a", "zz"), _cf("cfm:f")),
    E(
        "cf.reserve",
        lambda r: r.cf.reserve("cfr:f", 1000, bucketsize=4, maxiterations=10, expansion=2),
    ),
    E("cf.scandump", lambda r: r.cf.scandump("cfd2:f", 0), _cf("cfd2:f")),
    E(
        "cms.incrby",
        lambda r: r.cms.incrby("cmi:s", {"a": 2, "b": 3}),
        [("CMS.INITBYDIM", "cmi:s", "100", "5")],
    ),
    E("cms.info", lambda r: r.cms.info("cmf:s"), [("CMS.INITBYDIM", "cmf:s", "100", "5")]),
    E("cms.initbydim", lambda r: r.cms.initbydim("cmd:s", 50, 4)),
    E("cms.initbyprob", lambda r: r.cms.initbyprob("cmp:s", 0.01, 0.001)),
    E(
        "cms.merge",
        lambda r: r.cms.merge("{cm}d", "{cm}a", "{cm}b", weights=[1, 2]),
        [
            ("CMS.INITBYDIM", "{cm}d", "100", "5"),
            ("CMS.INITBYDIM", "{cm}a", "100", "5"),
            ("CMS.INITBYDIM", "{cm}b", "100", "5"),
            ("CMS.INCRBY", "{cm}a", "x", "1"),
        ],
    ),
    E(
        "cms.query",
        lambda r: r.cms.query("cmq:s", "a", "zz"),
        [("CMS.INITBYDIM", "cmq:s", "100", "5"), ("CMS.INCRBY", "cmq:s", "a", "4")],
    ),
    E("tdigest.add", lambda r: r.tdigest.add("tda:d", 1.5, 2, 3), [("TDIGEST.CREATE", "tda:d")]),
    E("tdigest.byrank", lambda r: r.tdigest.byrank("tdb:d", 0, 2, 100), _td("tdb:d")),
    E("tdigest.byrevrank", lambda r: r.tdigest.byrevrank("tdr:d", 0, 1), _td("tdr:d")),
    E("tdigest.cdf", lambda r: r.tdigest.cdf("tdc:d", 2.5, 10), _td("tdc:d")),
    E("tdigest.create", lambda r: r.tdigest.create("tdn:d", compression=200)),
    E("tdigest.info", lambda r: r.tdigest.info("tdi:d"), _td("tdi:d")),
    E("tdigest.max", lambda r: r.tdigest.max("tdx:d"), _td("tdx:d")),
    E(
        "tdigest.merge",
        lambda r: r.tdigest.merge("{td}d", "{td}a", "{td}b", compression=100, override=True),
        [*_td("{td}a"), *_td("{td}b")],
    ),
    E("tdigest.min", lambda r: r.tdigest.min("tdm:d"), _td("tdm:d")),
    E("tdigest.quantile", lambda r: r.tdigest.quantile("tdq:d", 0.5, 0.99), _td("tdq:d")),
    E("tdigest.rank", lambda r: r.tdigest.rank("tdk:d", 2, 9), _td("tdk:d")),
    E("tdigest.reset", lambda r: r.tdigest.reset("tds:d"), _td("tds:d")),
    E("tdigest.revrank", lambda r: r.tdigest.revrank("tdv:d", 2, 9), _td("tdv:d")),
    E("tdigest.trimmed_mean", lambda r: r.tdigest.trimmed_mean("tdt:d", 0.1, 0.9), _td("tdt:d")),
    E("topk.add", lambda r: r.topk.add("tka:k", "a", "c", "d"), _topk("tka:k")),
    E("topk.count", lambda r: r.topk.count("tkc:k", "a", "zz"), _topk("tkc:k")),
    E("topk.incrby", lambda r: r.topk.incrby("tki:k", {"c": 10, "a": 1}), _topk("tki:k")),
    E("topk.info", lambda r: r.topk.info("tkf:k"), _topk("tkf:k")),
    E("topk.list_items", lambda r: r.topk.list_items("tkl:k"), _topk("tkl:k")),
    E(
        "topk.list_items",
        lambda r: r.topk.list_items("tkl:k", withcount=True),
        _topk("tkl:k"),
        variant="withcount",
    ),
    E("topk.query", lambda r: r.topk.query("tkq:k", "a", "zz"), _topk("tkq:k")),
    E("topk.reserve", lambda r: r.topk.reserve("tkr:k", 5, params=(50, 4, 0.9))),
]
