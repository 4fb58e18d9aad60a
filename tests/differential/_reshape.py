"""Per-command reshaping for replies whose layout the two libraries chose differently.

Rules: each function takes one library's value for one command and returns the layout the
other library (or ``plain``, for reply models) uses, moving values and renaming keys only.
Where a function converts a value (text to a number), the difference that uses it says why.
Functions named ``py_*`` take redis-py's value, ``ox_*`` redis-oxide's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._adapt import float_or_none, grouped, model, plain, text

__all__ = [
    "py_decoded_flags",
    "ox_acl_user",
    "ox_cluster_nodes",
    "ox_cluster_slots",
    "ox_info",
    "ox_lcs_idx",
    "ox_slowlog",
    "ox_xinfo_stream_full",
    "ox_xpending_entries",
    "ox_xpending_summary",
    "py_acl_user",
    "py_command_docs",
    "py_command_info",
    "py_deleted_entries_as_none",
    "py_flat_pairs",
    "py_flat_scores",
    "py_geo_numbers",
    "py_info",
    "py_mpop",
    "py_numbers",
    "py_record",
    "py_records",
    "py_unnested_streams",
]

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+(e[+-]?[0-9]+)?")


def py_record(value: Any) -> dict[Any, Any]:
    """A map as redis-py returns it without a callback: a RESP3 dict, or RESP2's flat list."""
    if isinstance(value, Mapping):
        return dict(value)
    items = list(value)
    return dict(zip(items[0::2], items[1::2], strict=True))


def py_records(value: Any) -> list[dict[Any, Any]]:
    """A list of maps, each as ``py_record``."""
    return [py_record(item) for item in value]


def py_numbers(value: Any) -> Any:
    """Text that spells an integer or a decimal as that number, through dicts and lists."""
    if isinstance(value, Mapping):
        return {k: py_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [py_numbers(item) for item in value]
    if isinstance(value, str | bytes):
        spelled = text(value)
        if _INTEGER.fullmatch(spelled):
            return int(spelled)
        if _DECIMAL.fullmatch(spelled):
            return float(spelled)
    return value


def ox_info(value: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """INFO's sections merged into one dict, the way redis-py returns it."""
    return {key: item for section in value.values() for key, item in section.items()}


def py_info(value: dict[str, Any]) -> dict[str, Any]:
    """redis-py's INFO with ``a=1,b=2`` values back as the line's text.

    redis-py parses ``db0:keys=2,expires=1`` into a dict and collects every ``module`` line
    in a list under ``modules``; redis-oxide keeps those values as the server's text.
    """
    found: dict[str, Any] = {}
    for key, item in value.items():
        if key == "modules":
            found["module"] = [_line(module) for module in item]
        else:
            found[key] = _line(item) if isinstance(item, dict) else item
    return found


def _line(fields: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in fields.items())


def ox_acl_user(value: Any) -> dict[str, Any]:
    """ACL GETUSER with the rule strings split into words, as redis-py splits them."""
    user = plain(value)
    return {
        "flags": user["flags"],
        "passwords": user["passwords"],
        "commands": sorted(user["commands"].split()),
        "keys": user["keys"].split(),
        "channels": user["channels"].split(),
        "selectors": user["selectors"],
    }


def py_acl_user(value: dict[str, Any]) -> dict[str, Any]:
    """redis-py's ACL GETUSER with its ``categories`` put back among the ``commands``.

    The order of the rules within ``commands`` is lost by redis-py's split, so both sides
    are sorted; ``enabled`` is redis-py's reading of ``flags``, which are compared.
    """
    user = plain(value)
    return {
        "flags": user["flags"],
        "passwords": user["passwords"],
        "commands": sorted([*user["categories"], *user["commands"]]),
        "keys": user["keys"],
        "channels": user["channels"],
        "selectors": user["selectors"],
    }


def _doc(value: Any) -> dict[Any, Any]:
    doc = py_record(value)
    for key in doc:
        if text(key) == "arguments":
            doc[key] = [_doc(argument) for argument in doc[key]]
        elif text(key) == "subcommands":
            doc[key] = {name: _doc(sub) for name, sub in py_record(doc[key]).items()}
    return doc


def py_command_docs(value: Any) -> Any:
    """COMMAND DOCS as nested dicts (redis-py has no callback; RESP2 sends flat lists)."""
    return plain({name: _doc(doc) for name, doc in py_record(value).items()})


_COMMAND_INFO = (
    "name",
    "arity",
    "flags",
    "first_key",
    "last_key",
    "step",
    "acl_categories",
    "tips",
    "key_specs",
    "subcommands",
)


def _command(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    found = dict(zip(_COMMAND_INFO, value, strict=True))
    found["key_specs"] = [_key_spec(spec) for spec in found["key_specs"]]
    found["subcommands"] = [_command(sub) for sub in found["subcommands"]]
    return found


def _key_spec(value: Any) -> dict[Any, Any]:
    spec = py_record(value)
    for key in spec:
        if text(key) in ("begin_search", "find_keys"):
            search = py_record(spec[key])
            for part in search:
                if text(part) == "spec":
                    search[part] = py_record(search[part])
            spec[key] = search
    return spec


def py_command_info(value: Any) -> Any:
    """COMMAND INFO's positional arrays as dicts named like the model's fields."""
    return plain([_command(command) for command in value])


def ox_slowlog(value: Any) -> list[dict[str, Any]]:
    """SLOWLOG GET entries in redis-py's layout: the arguments joined into ``command``."""
    return [
        {
            "id": entry["id"],
            "start_time": entry["start_time"],
            "duration": entry["duration_us"],
            "command": " ".join(entry["args"]),
            "client_address": entry["client_address"],
            "client_name": entry["client_name"],
        }
        for entry in plain(value)
    ]


def ox_lcs_idx(value: Any) -> dict[str, Any]:
    """LCS IDX as its reply's map: matches as ``[first, second(, length)]`` lists."""
    found = model(value)
    matches = [
        [m["first"], m["second"]] + ([] if m["length"] is None else [m["length"]])
        for m in found["matches"]
    ]
    return {"matches": matches, "len": found["len"]}


def ox_xpending_summary(value: Any) -> dict[str, Any]:
    """XPENDING's summary in redis-py's layout (``consumers`` as a list of dicts)."""
    found = model(value)
    consumers = found["consumers"] or {}
    return {
        "pending": found["count"],
        "min": found["min_id"],
        "max": found["max_id"],
        "consumers": [{"name": name, "pending": count} for name, count in consumers.items()],
    }


def ox_xpending_entries(value: Any) -> list[dict[str, Any]]:
    """XPENDING's extended form in redis-py's layout and key names."""
    return [
        {
            "message_id": entry["id"],
            "consumer": entry["consumer"],
            "time_since_delivered": entry["idle_ms"],
            "times_delivered": entry["delivery_count"],
        }
        for entry in model(value)
    ]


def ox_xinfo_stream_full(value: Any) -> Any:
    """XINFO STREAM FULL with the pending entries as the reply's positional arrays."""
    stream = plain(value, drop_none=False)
    for group in stream["groups"]:
        group["pending"] = [
            [p["id"], p["consumer"], p["delivery_time"], p["delivery_count"]]
            for p in group["pending"]
        ]
        for consumer in group["consumers"]:
            consumer["pending"] = [
                [p["id"], p["delivery_time"], p["delivery_count"]] for p in consumer["pending"]
            ]
    return stream


def ox_cluster_nodes(value: Any) -> dict[str, Any]:
    """CLUSTER NODES lines in redis-py's layout: a dict keyed by ``host:port``."""
    found: dict[str, Any] = {}
    for node in model(value):
        address, _, bus = node["address"].partition("@")
        found[address] = {
            "node_id": node["id"],
            "hostname": bus.partition(",")[2],
            "flags": node["flags"],
            "master_id": node["master"],
            "last_ping_sent": str(node["ping_sent"]),
            "last_pong_rcvd": str(node["pong_recv"]),
            "epoch": str(node["config_epoch"]),
            "slots": [slot.split("-") for slot in node["slots"] if not slot.startswith("[")],
            "migrations": [slot for slot in node["slots"] if slot.startswith("[")],
            "connected": node["link_state"] == "connected",
        }
    return found


def ox_cluster_slots(value: Any) -> list[Any]:
    """CLUSTER SLOTS ranges as the reply's positional arrays."""
    return [
        [
            r["start"],
            r["end"],
            *([n["host"], n["port"], n["id"], n["metadata"]] for n in r["nodes"]),
        ]
        for r in plain(value, drop_none=False)
    ]


def py_geo_numbers(value: Any) -> list[Any]:
    """GEORADIUS*_RO items through ``execute_command``: distances and coordinates as floats."""
    return [
        [
            item[0],
            *(
                [float_or_none(x) for x in part]
                if isinstance(part, list)
                else part
                if isinstance(part, int)
                else float_or_none(part)
                for part in item[1:]
            ),
        ]
        for item in value
    ]


def py_unnested_streams(value: dict[Any, Any]) -> dict[Any, Any]:
    """redis-py's RESP3 XREAD/XREADGROUP ``{stream: [entries]}`` as ``{stream: entries}``."""
    return {stream: entries[0] for stream, entries in value.items()}


def py_deleted_entries_as_none(value: Any) -> dict[Any, Any]:
    """XREADGROUP's entries with redis-py's ``{}`` for a deleted entry as ``None``."""
    streams = value.items() if isinstance(value, Mapping) else value
    return {
        stream: [(entry_id, fields if fields else None) for entry_id, fields in entries]
        for stream, entries in streams
    }


def py_mpop(value: Any) -> tuple[Any, list[tuple[Any, float | None]]]:
    """ZMPOP/BZMPOP's RESP2 reply through redis-py: scores from text to float."""
    key, members = value
    return key, [(member, float_or_none(score)) for member, score in members]


def py_flat_scores(value: Any) -> list[tuple[Any, float | None]]:
    """A RESP2 flat ``[member, score, ...]`` list as pairs, scores from text to float."""
    return grouped(value, float_or_none)


def py_flat_pairs(value: Any) -> list[tuple[Any, Any]]:
    """A flat ``[a, b, ...]`` list as pairs."""
    return grouped(value)


def py_decoded_flags(value: Any) -> list[tuple[Any, set[Any]]]:
    """COMMAND GETKEYSANDFLAGS with the flags (server vocabulary) decoded."""
    return [(key, {text(flag) for flag in flags}) for key, flags in value]
