"""Every documented difference between redis-oxide and redis-py, with how it is compared.

Rules:

- Each entry is documented under the same name in ``docs/differences.md`` (a test checks
  both ways). ``kind`` says whose it is: ``choice`` is a deliberate redis-oxide choice,
  ``redis-py`` a redis-py bug or inconsistency.
- An entry names the cases it covers and the configurations it occurs in. In those, the raw
  values must differ (or the entry is stale) and must agree once its adapters are applied;
  everywhere else the case is compared as it is.
- Adapters move values and rename keys (``_adapt``, ``_reshape``). The few that convert a
  value (text that spells a number where redis-py leaves it as text, a datetime back to its
  seconds) say so in the entry's reason.
- A case covered by several entries gets the adapters of ``redis-py`` entries first (they
  undo redis-py's own inconsistencies), then those of ``choice`` entries, each kind in the
  order of this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from redis_oxide.exceptions import ReplyDecodeError

from . import _reshape as r
from ._adapt import decoded, is_ok, model, plain, text, timestamp

__all__ = [
    "ALL",
    "BYTES",
    "DIFFERENCES",
    "FIXED",
    "RESP2",
    "RESP2_BYTES",
    "RESP3",
    "STR",
    "Difference",
]

Adapter = Callable[[Any], Any]

ALL = frozenset({"resp2-bytes", "resp2-str", "resp3-bytes", "resp3-str"})
RESP2 = frozenset({"resp2-bytes", "resp2-str"})
RESP3 = frozenset({"resp3-bytes", "resp3-str"})
BYTES = frozenset({"resp2-bytes", "resp3-bytes"})
STR = frozenset({"resp2-str", "resp3-str"})
RESP2_BYTES = frozenset({"resp2-bytes"})


def _same(value: Any) -> Any:
    return value


def _databases_as_keys(stats: Any) -> Any:
    """MemoryStats' ``db`` mapping as the ``db.<n>`` entries redis-py keeps."""
    if isinstance(stats, dict) and isinstance(stats.get("db"), dict):
        stats = dict(stats)
        for number, entry in stats.pop("db").items():
            stats[f"db.{number}"] = entry
    return stats


def _decode_error(value: Any) -> Any:
    """The UnicodeDecodeError behind a ReplyDecodeError, which is what redis-py raises."""
    if isinstance(value, ReplyDecodeError) and isinstance(value.__cause__, UnicodeDecodeError):
        return value.__cause__
    return value


@dataclass(frozen=True)
class Difference:
    """One documented difference.

    Attributes:
        kind: ``choice`` (redis-oxide's, deliberate) or ``redis-py`` (a redis-py bug).
        cases: The case ids it covers.
        reason: One line; ``docs/differences.md`` has the full account.
        configs: The configurations it occurs in.
        oxide: Maps redis-oxide's value to the form compared.
        py: Maps redis-py's value to the form compared.
    """

    kind: Literal["choice", "redis-py"]
    cases: tuple[str, ...]
    reason: str
    configs: frozenset[str] = ALL
    oxide: Adapter = _same
    py: Adapter = _same


D = Difference

#: redis-oxide bugs this comparison found and that were fixed, each with the cases that show
#: the fix. Those cases agree as they are, under no documented difference (a test checks).
FIXED: dict[str, tuple[str, ...]] = {
    # ZINCRBY's increment was typed as an integer by the spec; Redis reads a double.
    "zincrby-float-increment": ("zincrby-float",),
}

DIFFERENCES: dict[str, Difference] = {
    # --- deliberate redis-oxide choices ----------------------------------------------------
    "ok-status": D(
        "choice",
        (
            "pfselftest",
            "client_no_evict",
            "client_no_touch",
            "client_unpause",
            "restore",
            "restore_asking",
            "xsetid",
        ),
        "every OK status is True; redis-py returns the raw status where it has no callback",
        py=is_ok,
    ),
    "set-not-applied": D(
        "choice",
        ("set-nx", "set-xx-missing"),
        "SET whose NX/XX condition fails is False (the OK type); redis-py gives None",
        py=lambda value: False if value is None else value,
    ),
    "ping-reply": D(
        "choice",
        ("ping",),
        "PING returns the server's reply (PONG); redis-py returns True",
        oxide=lambda value: text(value) == "PONG",
    ),
    "lastsave-seconds": D(
        "choice",
        ("lastsave",),
        "LASTSAVE is the UNIX time the server sent; redis-py makes a local datetime",
        py=timestamp,
    ),
    "xread-no-data": D(
        "choice",
        ("xread-empty",),
        "XREAD with nothing to read is None (the nil reply); redis-py gives [] or {}",
        py=lambda value: value or None,
    ),
    "xreadgroup-deleted-entry": D(
        "choice",
        ("xreadgroup-deleted",),
        "a pending entry deleted from the stream is (id, None); redis-py gives (id, {})",
        py=r.py_deleted_entries_as_none,
    ),
    "undecodable-reply-error": D(
        "choice",
        ("get-undecodable",),
        "a reply that is not valid UTF-8 on a decoding client fails its command with "
        "ReplyDecodeError (a ValueError naming the key) caused by the UnicodeDecodeError; "
        "redis-py raises the UnicodeDecodeError",
        configs=STR,
        oxide=_decode_error,
    ),
    "text-follows-client": D(
        "choice",
        ("script_load", "config_get", "config_get-glob"),
        "text replies follow the client (bytes unless decode_responses); redis-py decodes these",
        configs=BYTES,
        oxide=decoded,
    ),
    "vocabulary-is-str": D(
        "choice",
        ("command_getkeysandflags",),
        "key flags are server vocabulary, str on every client; redis-py gives bytes",
        configs=BYTES,
        py=r.py_decoded_flags,
    ),
    "info-sections": D(
        "choice",
        ("info", "info-keys", "info-modules", "info-default", "info-everything"),
        "INFO is a dict per section with the server's text for a=1,b=2 values; redis-py "
        "merges the sections and parses those values",
        oxide=r.ox_info,
        py=r.py_info,
    ),
    "cluster-info-numbers": D(
        "choice",
        ("cluster_info",),
        "CLUSTER INFO's integer fields are int; redis-py leaves every value as text",
        py=r.py_numbers,
    ),
    "model-client-info": D(
        "choice",
        ("client_info", "client_list"),
        "CLIENT INFO/LIST lines are ClientInfo models with typed fields; redis-py gives dicts "
        "with some fields converted to int",
        oxide=plain,
        py=lambda value: r.py_numbers(plain(value)),
    ),
    "model-client-trackinginfo": D(
        "choice",
        ("client_trackinginfo",),
        "a ClientTrackingInfo model; redis-py returns the reply as it comes",
        oxide=plain,
        py=lambda value: plain(r.py_record(value)),
    ),
    "model-function-list": D(
        "choice",
        ("function_list", "function_list-withcode"),
        "FunctionLibrary models; redis-py returns the reply as it comes",
        oxide=plain,
        py=lambda value: plain(
            [
                {k: r.py_records(v) if text(k) == "functions" else v for k, v in lib.items()}
                for lib in r.py_records(value)
            ]
        ),
    ),
    "model-function-stats": D(
        "choice",
        ("function_stats",),
        "a FunctionStats model; redis-py returns the reply as it comes",
        oxide=plain,
        py=lambda value: plain(
            {
                k: {e: r.py_record(s) for e, s in r.py_record(v).items()}
                if text(k) == "engines"
                else v
                for k, v in r.py_record(value).items()
            }
        ),
    ),
    "model-acl-getuser": D(
        "choice",
        ("acl_getuser",),
        "an AclUser model keeping the server's rule strings; redis-py splits them and "
        "separates categories from commands",
        oxide=r.ox_acl_user,
        py=r.py_acl_user,
    ),
    "model-command-docs": D(
        "choice",
        ("command_docs",),
        "CommandDoc models; redis-py has no COMMAND DOCS method",
        oxide=plain,
        py=r.py_command_docs,
    ),
    "model-command-info": D(
        "choice",
        ("command_info",),
        "CommandInfo models; redis-py has no COMMAND INFO method",
        oxide=plain,
        py=r.py_command_info,
    ),
    "model-latency-histogram": D(
        "choice",
        ("latency_histogram",),
        "LatencyHistogram models; redis-py has no LATENCY HISTOGRAM method",
        oxide=plain,
        py=lambda value: plain(
            {
                name: {
                    k: r.py_record(v) if text(k) == "histogram_usec" else v
                    for k, v in r.py_record(hist).items()
                }
                for name, hist in r.py_record(value).items()
            }
        ),
    ),
    "model-memory-stats": D(
        "choice",
        ("memory_stats", "memory_stats-keys"),
        "a MemoryStats model with float ratios and the databases under db (by number); "
        "redis-py leaves the RESP2 ratios as text and keeps db.<n> keys",
        oxide=lambda value: plain(_databases_as_keys(model(value))),
        py=lambda value: r.py_numbers(plain(value)),
    ),
    "model-module-list": D(
        "choice",
        ("module_list",),
        "ModuleInfo models; redis-py gives a dict per module",
        oxide=plain,
        py=plain,
    ),
    "model-role": D(
        "choice",
        ("role",),
        "a Role model; redis-py returns the positional reply",
        oxide=plain,
        py=lambda value: plain(
            dict(zip(("role", "replication_offset", "replicas"), value, strict=True))
        ),
    ),
    "model-slowlog": D(
        "choice",
        ("slowlog_get",),
        "SlowlogEntry models keeping the arguments apart; redis-py joins them, and returns "
        "bytes on a decoding client",
        oxide=r.ox_slowlog,
        py=plain,
    ),
    "model-xautoclaim": D(
        "choice",
        ("xautoclaim", "xautoclaim-deleted"),
        "an XAutoClaim model; redis-py returns the positional reply",
        oxide=lambda value: [value.next_start_id, value.claimed, value.deleted_ids],
    ),
    "model-xautoclaim-justid": D(
        "choice",
        ("xautoclaim-justid",),
        "an XAutoClaimIds model; redis-py keeps only the claimed ids",
        oxide=lambda value: value.claimed,
    ),
    "model-xinfo": D(
        "choice",
        (
            "xinfo_consumers",
            "xinfo_groups",
            "xinfo_stream",
            "xinfo_stream-emptied",
        ),
        "XInfo* models with snake_case fields; redis-py gives dicts keyed as the server does",
        oxide=lambda value: plain(value, drop_none=False),
        py=lambda value: plain(value, drop_none=False),
    ),
    "model-xinfo-full": D(
        "choice",
        ("xinfo_stream-full",),
        "an XInfoStreamFull model; redis-py gives dicts, entries keyed by id and pending "
        "entries as the positional reply",
        oxide=r.ox_xinfo_stream_full,
        py=lambda value: plain(
            {k: list(v.items()) if k == "entries" else v for k, v in value.items()},
            drop_none=False,
        ),
    ),
    "model-xpending": D(
        "choice",
        ("xpending", "xpending-none", "xpending-extended"),
        "XPendingSummary/XPendingEntry models (consumers a dict, None when nothing is "
        "pending); redis-py names the fields itself",
        oxide=lambda value: (
            r.ox_xpending_entries(value)
            if isinstance(value, list)
            else r.ox_xpending_summary(value)
        ),
    ),
    "model-lcs-idx": D(
        "choice",
        ("lcs-idx", "lcs-idx-minmatchlen"),
        "an LcsIdx model; redis-py returns the reply as it comes",
        oxide=r.ox_lcs_idx,
        py=lambda value: {text(k): v for k, v in r.py_record(value).items()},
    ),
    "model-cluster-links": D(
        "choice",
        ("cluster_links",),
        "ClusterLink models; redis-py returns the reply as it comes under RESP2",
        oxide=plain,
        py=lambda value: plain(r.py_records(value)),
    ),
    "model-cluster-nodes": D(
        "choice",
        ("cluster_nodes", "cluster_replicas", "cluster_slaves"),
        "ClusterNode models, one per line; redis-py builds a dict keyed by address",
        oxide=r.ox_cluster_nodes,
    ),
    "model-cluster-shards": D(
        "choice",
        ("cluster_shards",),
        "ClusterShard models; redis-py returns the reply as it comes",
        oxide=plain,
        py=lambda value: plain(
            [
                {k: r.py_records(v) if text(k) == "nodes" else v for k, v in r.py_record(s).items()}
                for s in value
            ]
        ),
    ),
    "model-cluster-slots": D(
        "choice",
        ("cluster_slots",),
        "ClusterSlotRange models; redis-py returns the positional reply",
        oxide=r.ox_cluster_slots,
        py=lambda value: plain(value, drop_none=False),
    ),
    # --- redis-py bugs and inconsistencies --------------------------------------------------
    "py-ping-message": D(
        "redis-py",
        ("ping-message",),
        "redis-py's PING callback turns any reply but PONG into False, so PING <message> "
        "gives False",
        oxide=lambda value: text(value) == "PONG",
    ),
    "py-decodes-under-resp2": D(
        "redis-py",
        (
            "acl_cat",
            "acl_cat-category",
            "acl_cat-geo",
            "acl_genpass",
            "acl_help",
            "acl_list",
            "acl_users",
            "acl_whoami",
            "command_getkeys",
            "command_getkeys-eval",
            "geohash",
        ),
        "redis-py decodes these replies on a bytes client under RESP2 only",
        configs=RESP2_BYTES,
        oxide=decoded,
    ),
    "py-zpop-single-resp3": D(
        "redis-py",
        ("zpopmax", "zpopmin-one"),
        "redis-py's RESP3 ZPOPMAX/ZPOPMIN without a count gives a flat [member, score]",
        configs=RESP3,
        py=r.py_flat_pairs,
    ),
    "py-withscores-flat-resp2": D(
        "redis-py",
        ("zdiff-withscores", "zrandmember-withscores", "zrandmember-unique-withscores"),
        "redis-py's RESP2 ZDIFF/ZRANDMEMBER WITHSCORES is a flat list with text scores",
        configs=RESP2,
        py=r.py_flat_scores,
    ),
    "py-withvalues-flat-resp2": D(
        "redis-py",
        ("hrandfield-withvalues", "hrandfield-repeats"),
        "redis-py's RESP2 HRANDFIELD WITHVALUES is a flat list",
        configs=RESP2,
        py=r.py_flat_pairs,
    ),
    "py-mpop-text-scores-resp2": D(
        "redis-py",
        ("bzmpop", "zmpop"),
        "redis-py's RESP2 ZMPOP/BZMPOP leaves the scores as text",
        configs=RESP2,
        py=r.py_mpop,
    ),
    "py-xread-nesting-resp3": D(
        "redis-py",
        (
            "xread",
            "xread-block",
            "xread-after",
            "xreadgroup",
            "xreadgroup-history",
            "xreadgroup-block-empty",
            "xreadgroup-deleted",
        ),
        "redis-py's RESP3 XREAD/XREADGROUP wraps each stream's entries in one more list",
        configs=RESP3,
        py=r.py_unnested_streams,
    ),
    "py-geo-ro-text": D(
        "redis-py",
        ("georadiusbymember_ro",),
        "redis-py has no GEORADIUS*_RO methods; through execute_command distances stay text",
        py=r.py_geo_numbers,
    ),
    "py-geo-ro-text-resp2": D(
        "redis-py",
        ("georadius_ro",),
        "the same, for coordinates, which RESP2 sends as text",
        configs=RESP2,
        py=r.py_geo_numbers,
    ),
}
