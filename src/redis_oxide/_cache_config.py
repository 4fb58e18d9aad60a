"""What a client-side cache keeps and how much: ``CacheConfig``, and the command rule.

Rules this module keeps:

- Which commands are cached is decided from the generated metadata alone, never from a list
  of names. A command is cacheable when it is READONLY, neither BLOCKING nor flagged
  NONDETERMINISTIC_OUTPUT or DONT_CACHE (the spec's tips: random members, remaining TTLs,
  searches over an index), and has exactly one key spec naming exactly one key at a fixed
  position (``begin_search`` index, ``find_keys`` range with last key 0) whose flags are RO and
  ACCESS (it returns the key's data, not facts about its storage, as MEMORY USAGE or OBJECT
  FREQ do). The cache key is then the whole argument tuple: with one key and nothing else
  read, the reply depends only on the arguments and that key's value, which tracking
  watches.
- Module commands are left out of the default set: the key specs modules publish for 7.4 are
  not reliable (FT.GET names the index, not the document it returns). Naming one in
  ``commands`` applies the same rule to it.
- Every other command falls in one of three kinds for the executor (``command_plan``): writes
  with keys (anything not READONLY with key specs: SET, EVAL ...) invalidate those keys;
  keyless writes (FLUSHALL, FLUSHDB, SWAPDB, FUNCTION LOAD ...) drop the whole cache; the
  commands that report tracking itself run on the tracking connection. The rest passes
  through untouched.
- Nothing here does I/O; a configuration is validated when it is built.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Final, Literal

from redis_oxide._checks import checked_count, checked_seconds
from redis_oxide._command import CommandFlag, CommandMeta, KeySpecFlag
from redis_oxide._generated._meta import COMMANDS

__all__ = [
    "FLUSH",
    "TRACKING_INFO",
    "WRITE_KEYS",
    "CacheConfig",
    "TrackingMode",
    "cacheable",
    "command_plan",
    "prefix_bytes",
    "tracking_command",
]

#: ``"default"``: the server remembers the keys each connection read and invalidates those;
#: ``"bcast"``: it invalidates every key under ``prefixes``, read or not.
TrackingMode = Literal["default", "bcast"]

#: Plan kinds besides a key index (>= 0, a cacheable read): see ``command_plan``.
WRITE_KEYS: Final = -1
FLUSH: Final = -2
TRACKING_INFO: Final = -3

# Commands whose reply describes the tracking of the connection that runs them.
_ABOUT_TRACKING: Final = ("CLIENT TRACKINGINFO", "CLIENT GETREDIR")

_NEVER: Final = CommandFlag.BLOCKING | CommandFlag.NONDETERMINISTIC_OUTPUT | CommandFlag.DONT_CACHE
_WRITTEN: Final = (
    KeySpecFlag.RW
    | KeySpecFlag.OW
    | KeySpecFlag.RM
    | KeySpecFlag.UPDATE
    | KeySpecFlag.INSERT
    | KeySpecFlag.DELETE
    | KeySpecFlag.INCOMPLETE
    | KeySpecFlag.VARIABLE_FLAGS
    | KeySpecFlag.NOT_KEY
)
_READ: Final = KeySpecFlag.RO | KeySpecFlag.ACCESS

# 10,000 entries is redis-py's default (CacheConfig max_size) and Lettuce's example size; 64 MiB
# keeps a few large HGETALLs from taking the heap, whatever the entry count.
_DEFAULT_MAX_ENTRIES = 10_000
_DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# A silent network (no FIN, no RST) would let hits serve stale values for ever; a PING this
# often bounds that. redis-py's health_check_interval is off by default, Lettuce pings per
# 30 s only with keep-alive; 5 s is cheap for one connection per client.
_DEFAULT_HEALTH_CHECK = 5.0


def cacheable(meta: CommandMeta) -> int | None:
    """Return the index of the only key of a cacheable command, or None (module rules).

    Args:
        meta: The command's metadata.

    Returns:
        The key's index in the argument tuple, or None when the command is not cacheable.
    """
    if not meta.is_readonly or meta.flags & _NEVER or len(meta.key_specs) != 1:
        return None
    spec = meta.key_specs[0]
    if spec.begin_index is None or spec.last_key != 0 or spec.keynum_index is not None:
        return None
    if spec.flags & _READ != _READ or spec.flags & _WRITTEN:
        return None
    return spec.begin_index


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheConfig:
    """How a client-side cache behaves: ``Redis(cache=CacheConfig(...))``.

    ``Redis(cache=True)`` uses the defaults. Entries are invalidated by the server (RESP3
    ``CLIENT TRACKING``) and by this client's own writes; see docs/caching.md.

    Attributes:
        max_entries: Entries kept at most; the least recently used go first.
        max_bytes: Approximate memory of the cached values and their arguments at most
            (``sys.getsizeof`` summed); None lifts the bound.
        ttl: Seconds an entry may be served at most, however quiet its key; None keeps it
            until it is invalidated or evicted. Bounds how long a key that expired on the
            server is still served before the server deletes it and says so.
        commands: Names of the commands to cache (``{"GET", "HGETALL"}``); None caches every
            cacheable command of the core metadata. Each must be cacheable by the metadata's
            rule (one read-only key, deterministic reply).
        mode: ``"default"`` (the server invalidates the keys this client read) or
            ``"bcast"`` (every key under ``prefixes``; only such keys are cached).
        prefixes: Key prefixes of ``"bcast"`` mode; empty means every key.
        health_check_interval: Seconds between checks of the tracking connection: a PING
            when it is idle, or that some read was answered when it is busy. Silent for an
            interval, it counts as lost and the cache is flushed (a single read slower than
            that counts as silence too). None turns the check off.
        refresh: When the server invalidates an entry that was read since it was filled,
            read it again at once (``Cache.refreshes``), so the next read finds the new value
            instead of missing; concurrent reads wait for that read. An entry nobody read
            since its fill is dropped, so this adds at most one read per read of the key
            (the last refresh before the key goes quiet). False only drops entries.

    Raises:
        ValueError: A bound is not positive, a command is unknown or not cacheable,
            prefixes are given outside ``"bcast"`` mode, or one prefix starts another (a
            duplicate too), which the server refuses.
        TypeError: ``commands`` or ``prefixes`` is a bare string.
    """

    max_entries: int = _DEFAULT_MAX_ENTRIES
    max_bytes: int | None = _DEFAULT_MAX_BYTES
    ttl: float | None = None
    commands: Collection[str] | None = None
    mode: TrackingMode = "default"
    prefixes: Sequence[str | bytes] = ()
    health_check_interval: float | None = _DEFAULT_HEALTH_CHECK
    refresh: bool = True
    # Per cacheable command name, the index of its key (computed, not an option).
    _key_index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        checked_count("max_entries", self.max_entries, 1)
        if self.max_bytes is not None:
            checked_count("max_bytes", self.max_bytes, 1)
        for name in ("ttl", "health_check_interval"):
            checked_seconds(name, getattr(self, name), finite=True)
        if type(self.refresh) is not bool:  # a frozen dataclass does not check types
            raise TypeError(f"refresh must be a bool, got {self.refresh!r}")
        if self.mode not in ("default", "bcast"):
            raise ValueError(f"mode must be 'default' or 'bcast', not {self.mode!r}")
        prefixes = _strings("prefixes", self.prefixes)
        if prefixes and self.mode != "bcast":
            raise ValueError("prefixes are only for mode='bcast'")
        _check_overlap(prefixes)
        object.__setattr__(self, "prefixes", tuple(prefixes))
        if self.commands is None:
            chosen = {
                name: index
                for name, meta in COMMANDS.items()
                if meta.module is None and (index := cacheable(meta)) is not None
            }
        else:
            chosen = _chosen(_strings("commands", self.commands))
            object.__setattr__(self, "commands", frozenset(chosen))
        object.__setattr__(self, "_key_index", chosen)


def prefix_bytes(config: CacheConfig) -> tuple[bytes, ...]:
    """Return ``config.prefixes`` as the wire sends them (``str`` as UTF-8)."""
    return tuple(p.encode() if isinstance(p, str) else bytes(p) for p in config.prefixes)


def tracking_command(config: CacheConfig) -> tuple[str | bytes, ...]:
    """Return the ``CLIENT TRACKING ON ...`` command each tracking connection sends."""
    if config.mode == "default":
        return ("CLIENT", "TRACKING", "ON")
    prefixed = [part for prefix in prefix_bytes(config) for part in ("PREFIX", prefix)]
    return ("CLIENT", "TRACKING", "ON", "BCAST", *prefixed)


def _strings(what: str, value: Iterable[str | bytes]) -> list[str | bytes]:
    if isinstance(value, str | bytes):
        raise TypeError(f"{what} must be a collection of strings, not a bare string")
    items: list[object] = list(value)  # what untyped callers pass is checked, not assumed
    for item in items:
        if not isinstance(item, str | bytes):
            raise TypeError(f"{what} must hold strings, not {type(item).__name__} ({item!r})")
    return [item for item in items if isinstance(item, str | bytes)]


def _check_overlap(prefixes: Sequence[str | bytes]) -> None:
    # The server refuses CLIENT TRACKING when one prefix starts another (a duplicate too), so
    # every read under them would fail. Sorted by wire bytes, a prefix of any later one is a
    # prefix of the one right after it: comparing neighbours finds every overlap.
    wire = sorted(
        ((p.encode() if isinstance(p, str) else bytes(p), p) for p in prefixes),
        key=lambda pair: pair[0],
    )
    for (short, first), (long, second) in pairwise(wire):
        if long.startswith(short):
            if long == short:
                raise ValueError(
                    f"cache prefixes: {first!r} and {second!r} are the same prefix; give it once"
                )
            raise ValueError(
                f"cache prefixes: {first!r} overlaps {second!r} (it is a prefix of it), "
                "which the server refuses for one connection; keep only "
                f"{first!r}, which covers the keys of both"
            )


def _chosen(names: Iterable[str | bytes]) -> dict[str, int]:
    chosen: dict[str, int] = {}
    for raw in names:
        name = (raw.decode() if isinstance(raw, bytes) else raw).upper()
        meta = COMMANDS.get(name)
        if meta is None:
            raise ValueError(f"cache commands: unknown command {name!r}")
        index = cacheable(meta)
        if index is None:
            raise ValueError(
                f"cache commands: {name} is not cacheable (it must be read-only, read exactly "
                "one key and its data, and have a deterministic reply)"
            )
        chosen[name] = index
    return chosen


def command_plan(config: CacheConfig) -> dict[str, int]:
    """Return, per command name, what the caching executor does with it.

    Args:
        config: The cache configuration (its cacheable commands).

    Returns:
        A key index (>= 0) for a cacheable read; ``WRITE_KEYS`` for a command that may write
        the keys its key specs name; ``FLUSH`` for a write that names no key (FLUSHALL,
        SWAPDB ...); ``TRACKING_INFO`` for the commands that report tracking. Commands
        absent from the plan pass through.
    """
    plan: dict[str, int] = {}
    for name, meta in COMMANDS.items():
        if not meta.is_readonly:
            if meta.key_specs:
                plan[name] = WRITE_KEYS
            elif meta.flags & CommandFlag.WRITE:
                plan[name] = FLUSH
    plan.update(config._key_index)  # pyright: ignore[reportPrivateUsage]  # computed here
    plan.update(dict.fromkeys(_ABOUT_TRACKING, TRACKING_INFO))
    return plan
