"""RedisTimeSeries replies brought to one form, RESP2 or RESP3, before the generated parsers.

Each function here is a ``reshape`` of ``specs/modules/redistimeseries.replies.toml``. Rules:

- A sample is ``[timestamp, value]``; an empty series' "latest sample" (``[]``) becomes nil.
- Multi-series replies (TS.MGET, TS.MRANGE) become a map keyed by series name (RESP2 sends an
  array of ``[name, labels, ...]``; RESP3 a map). Labels become a map either way.
- GROUPBY results carry their reducer and source series: RESP3 in maps of their own, RESP2 as
  the pseudo-labels ``__reducer__`` and ``__source__`` (sources joined with commas), which are
  taken out of the labels. RESP2 sends them only with WITHLABELS, so only then are they
  reported (nil otherwise, on both protocols). RESP3's ``aggregators`` have no RESP2
  counterpart and are left out.
- TS.INFO's camelCase names become snake_case; its rules become a map from destination key
  to ``[bucket duration, aggregator, alignment]`` on both protocols.
"""

from __future__ import annotations

import re
from typing import Any

from redis_oxide._parsers import map_items, text

__all__ = ["get", "info", "mget", "mrange"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _snake(key: Any) -> str:
    return _CAMEL.sub("_", text(key)).lower()


def _snaked(reply: Any) -> dict[str, Any]:
    return {_snake(key): value for key, value in map_items(reply)}


def get(reply: Any) -> Any:
    """TS.GET: the latest sample, or nil for an empty series."""
    return reply or None


def info(reply: Any) -> Any:
    """TS.INFO (with DEBUG, its chunks too) with snake_case names."""
    found = _snaked(reply)
    rules: Any = found.get("rules")
    if rules.__class__ is list:
        found["rules"] = {rule[0]: rule[1:] for rule in rules}
    chunks = found.get("chunks")
    if chunks is not None:
        found["chunks"] = [_snaked(chunk) for chunk in chunks]
    return found


def mget(reply: Any) -> Any:
    """TS.MGET: series name -> ``[labels, latest sample or nil]``."""
    if reply.__class__ is dict:
        return {key: [entry[0], entry[-1] or None] for key, entry in reply.items()}
    return {entry[0]: [entry[1], entry[2] or None] for entry in reply}


def _series(labels: Any, samples: Any, reducers: Any, sources: Any) -> dict[str, Any]:
    return {"labels": labels, "samples": samples, "reducers": reducers, "sources": sources}


def _resp2_series(entry: list[Any]) -> dict[str, Any]:
    labels: dict[Any, Any] = {}
    reducers: list[Any] | None = None
    sources: list[Any] | None = None
    for name, value in map_items(entry[1]):
        key = text(name)
        if key == "__reducer__":
            reducers = [value]
        elif key == "__source__":
            sources = value.split(b"," if value.__class__ is bytes else ",") if value else []
        else:
            labels[name] = value
    return _series(labels, entry[2], reducers, sources)


def _resp3_series(entry: list[Any], withlabels: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if withlabels:
        for part in entry[1:-1]:
            found.update({text(key): value for key, value in map_items(part)})
    return _series(entry[0], entry[-1], found.get("reducers"), found.get("sources"))


def mrange(withlabels: bool, reply: Any) -> Any:
    """TS.MRANGE, TS.MREVRANGE: series name -> labels, samples, reducers and sources."""
    if reply.__class__ is dict:
        return {key: _resp3_series(entry, withlabels) for key, entry in reply.items()}
    return {entry[0]: _resp2_series(entry) for entry in reply}
