"""The key extractor agrees with the server's COMMAND GETKEYS, and key_slot with CLUSTER KEYSLOT.

Wire arguments come from every conformance entry, called through a recording executor, plus a
few argument lists of our own: the key-spec commands the tables cannot call (WATCH and the
sharded subscriptions are owned by the runtime) and the spec paths the tables do not reach
(keyword searches that find their keyword, key counts of zero, lower-case keywords). The entries'
``prepare`` steps are not run: they only fetch run-time values (a script digest, a client id),
which are replaced by placeholders of the same type; no key position depends on them.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from codegen.dump_modules import load_module_overrides
from redis_oxide._cluster._router import slots_of
from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._generated import Commands
from redis_oxide._generated._meta import COMMANDS
from redis_oxide._keys import command_keys, key_slot
from redis_oxide._protocol._encode import normalize_args
from redis_oxide.testing import RawConnection, RawReplyError, RawValue, open_raw
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._ports import free_port
from tests.conformance._entry import Recorder
from tests.conformance.tables import ENTRIES

if TYPE_CHECKING:
    from redis_oxide.testing.plugin import ServerFactory
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

#: Run-time values some entries read from their context, as placeholders of the right type.
CONTEXT: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 6379,
    "stack_port": 6379,
    "peer_port": 7000,
    "myid": "0" * 40,
    "other_id": 1,
    "sha": "0" * 40,
    "payload": b"\x00",
    "dump": b"\x00",
    "module_path": "/nonexistent/module.so",
    "closers": [],
    "chunks": [(1, b"\x00")],
    "cursor": 1,
}

_OVERRIDES = load_module_overrides(
    Path(__file__).resolve().parents[2] / "specs" / "modules" / "overrides.toml"
)
#: Module commands whose key specs specs/modules/overrides.toml corrects (JSON.MGET's other
#: keys, CMS.MERGE's sources ...): the server's COMMAND GETKEYS follows the module's own
#: specs, which name the first key only. The corrected specs must name those keys and more,
#: first key first, so that a command goes to the node the server's own check accepts.
CORRECTED = frozenset(
    [*_OVERRIDES.key_specs, *(c for group in _OVERRIDES.no_keys for c in group.commands)]
)

#: Argument lists the tables lack: commands they cannot call and spec paths they do not reach.
EXTRA: dict[str, tuple[ArgT, ...]] = {
    "watch": ("WATCH", "w:a", "w:b"),
    "ssubscribe": ("SSUBSCRIBE", "channel:a", "channel:b"),
    "sunsubscribe": ("SUNSUBSCRIBE", "channel:a"),
    "eval-no-keys": ("EVAL", "return 1", 0),
    "fcall-no-keys": ("FCALL", "f", 0),
    "fcall_ro-two-keys": ("FCALL_RO", "f", 2, "a", "b", "arg"),
    "georadius-store": ("GEORADIUS", "g", 1, 2, 3, "m", "COUNT", 1, "STORE", "dst"),
    "georadius-storedist-lower": ("GEORADIUS", "g", 1, 2, 3, "m", "storedist", "dst"),
    "georadiusbymember-both": (
        *("GEORADIUSBYMEMBER", "g", "member", 3, "km"),
        *("STORE", "d1", "STOREDIST", "d2"),
    ),
    "xread-lower-keyword": ("XREAD", "COUNT", 1, "streams", "s1", "s2", "0", "0"),
    "xreadgroup-block": ("XREADGROUP", "GROUP", "g", "c", "BLOCK", 0, "STREAMS", "s", ">"),
    "zunionstore-weights": ("ZUNIONSTORE", "dst", 2, "a", "b", "WEIGHTS", 1, 2),
    "zdiffstore": ("ZDIFFSTORE", "dst", 3, "a", "b", "c"),
    "lmpop-three": ("LMPOP", 3, "a", "b", "c", "LEFT", "COUNT", 2),
    "bzmpop": ("BZMPOP", 0.5, 2, "a", "b", "MIN"),
    "sintercard-limit": ("SINTERCARD", 2, "a", "b", "LIMIT", 1),
    "migrate-keys": ("MIGRATE", "127.0.0.1", 1, "", 0, 1000, "KEYS", "k1", "k2"),
    "sort-store": ("SORT", "src", "BY", "w_*", "GET", "#", "STORE", "dst"),
    "set-get": ("SET", "k", "v", "GET"),
    "bitfield-get": ("BITFIELD", "k", "GET", "u8", 0),
    "object-encoding": ("OBJECT", "ENCODING", "k"),
    "mset-three": ("MSET", "a", 1, "b", 2, "c", 3),
}

#: Calls whose keys the specs cannot tell; the extractor must say so rather than answer.
EXPECTED_INCOMPLETE = {
    "sort": "SORT's BY/GET/STORE specs are 'unknown': the server's own finder decides",
    "sort-store": "as sort",
    "sort_ro": "SORT_RO's BY/GET spec is 'unknown'",
    "extra:sort-store": "as sort",
    "extra:migrate-keys": "MIGRATE's KEYS spec is INCOMPLETE (the keyword may also be a value)",
}


class _Recording(Commands[bytes]):
    """A command surface whose executor hands back (meta, args) instead of sending."""

    __slots__ = ()

    def _execute(self, meta: CommandMeta, args: tuple[ArgT, ...], parser: Any) -> Any:
        return meta, args


def _calls() -> list[tuple[str, CommandMeta, tuple[ArgT, ...]]]:
    """(label, meta, wire arguments) of every conformance entry and every extra list."""
    calls: list[tuple[str, CommandMeta, tuple[ArgT, ...]]] = []
    for entry in ENTRIES:
        recorder = Recorder(_Recording(), dict(CONTEXT))  # type: ignore[arg-type]  # no socket
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            recorded = entry.call(recorder)
        assert isinstance(recorded, tuple), entry.id  # the recording executor's pair
        meta, args = recorded
        calls.append((entry.id, meta, args))
    for label, args in EXTRA.items():
        name = " ".join(str(a) for a in args[:2]).upper()
        meta = COMMANDS.get(name) or COMMANDS[str(args[0]).upper()]
        calls.append((f"extra:{label}", meta, args))
    return calls


def _wire(args: Sequence[ArgT]) -> list[bytes | str | int | float]:
    return [a.tobytes() if isinstance(a, memoryview) else a for a in normalize_args(args)]


def _as_bytes(arg: ArgT) -> bytes:
    (value,) = _wire([arg])
    return value if isinstance(value, bytes) else str(value).encode()


def _corrected_problem(meta: CommandMeta, args: tuple[ArgT, ...], reply: object) -> str:
    """What is wrong with a corrected spec's keys against the server's: "" when the server's
    are the first ones of ours (both start at the key the server routes by)."""
    keys, complete = command_keys(meta, args)
    ours = [_as_bytes(k) for k in keys]
    if isinstance(reply, RawReplyError):  # JSON.DEBUG HELP: the module's spec points past it
        return "" if complete and not ours else f"extracted {ours!r}, server refused: {reply}"
    assert isinstance(reply, list)
    if not complete or ours[: len(reply)] != reply or (reply and not ours):
        return f"extracted {ours!r}, server {reply!r}: not a prefix"
    return ""


def _pipelined(conn: RawConnection, commands: Sequence[Sequence[Any]]) -> Iterator[RawValue]:
    """Send in chunks and read every reply, so neither side's buffers fill up."""
    for start in range(0, len(commands), 500):
        chunk = commands[start : start + 500]
        for command in chunk:
            conn.send(*command)
        for _ in chunk:
            yield conn.read_reply()


def test_extracted_keys_match_command_getkeys(
    redis_stack: RedisServerInfo, figures: Figure
) -> None:
    calls = _calls()
    with open_raw(redis_stack.endpoint) as conn:
        replies = list(_pipelined(conn, [("COMMAND", "GETKEYS", *_wire(a)) for _, _, a in calls]))
    mismatches, incomplete, refused, with_keys, corrected = [], [], {}, 0, 0
    for (label, meta, args), reply in zip(calls, replies, strict=True):
        if meta.name in CORRECTED:
            corrected += 1
            problem = _corrected_problem(meta, args, reply)
            if problem:
                mismatches.append(f"{label}: {args!r}: {problem}")
            continue
        if isinstance(reply, RawReplyError):
            if "has no key arguments" not in str(reply):
                refused[label] = str(reply)
                continue
            reply = []
        assert isinstance(reply, list)
        keys, complete = command_keys(meta, args)
        if not complete:
            incomplete.append(label)
            continue
        ours = [_as_bytes(k) for k in keys]
        with_keys += bool(reply)
        if ours != reply:
            mismatches.append(f"{label}: {args!r}: extracted {ours!r}, server {reply!r}")
    with_specs = {name for name, meta in COMMANDS.items() if meta.key_specs}
    covered = {meta.name for _, meta, _ in calls}
    figures("calls compared with COMMAND GETKEYS", len(calls) - len(refused))
    figures("calls with keys", with_keys)
    figures("commands covered", len(covered))
    figures("commands with key specs covered", f"{len(with_specs & covered)}/{len(with_specs)}")
    figures("module calls whose key specs the project corrects (server's keys a prefix)", corrected)
    figures("mismatches", len(mismatches))
    figures("incomplete (left to the server)", len(incomplete))
    figures("GETKEYS refused", len(refused))
    assert mismatches == []
    assert refused == {}
    assert sorted(incomplete) == sorted(EXPECTED_INCOMPLETE)
    assert with_specs <= covered


def _random_keys(count: int) -> list[str | bytes | int | float]:
    rng = random.Random(20240607)
    alphabet = [bytes([b]) for b in range(256)] + [b"{", b"}"] * 40
    keys: list[str | bytes | int | float] = [b"", b"{}", b"{", b"}", b"}{", b"{{}}", b"a{b}{c}"]
    while len(keys) < count:
        kind = rng.randrange(6)
        if kind == 0:
            keys.append(b"".join(rng.choices(alphabet, k=rng.randrange(24))))
        elif kind == 1:
            tag = b"".join(rng.choices(alphabet, k=rng.randrange(4)))
            keys.append(rng.randbytes(rng.randrange(4)) + b"{" + tag + b"}" + rng.randbytes(3))
        elif kind == 2:
            chars = [chr(rng.choice([rng.randrange(32, 0x800), rng.randrange(0xE000, 0x10FFFF)]))]
            text = "".join(chars * rng.randrange(1, 4) + rng.choices("{}ab", k=rng.randrange(6)))
            keys.append("".join(rng.sample(text, len(text))))
        elif kind == 3:
            keys.append(rng.randrange(-(2**70), 2**70) >> rng.randrange(70))
        elif kind == 4:
            keys.append(rng.uniform(-1e6, 1e6) * 10 ** rng.randrange(-20, 20))
        else:
            keys.append(f"user:{{{rng.randrange(1000)}}}:{rng.random()}")
    return keys


def test_key_slot_matches_cluster_keyslot(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    node = redis_server_factory(
        "7",
        config=[
            ("cluster-enabled", "yes"),
            ("cluster-config-file", "nodes.conf"),
            ("cluster-port", str(free_port())),
        ],
    )
    keys = _random_keys(10_000)
    with open_raw(node.endpoint) as conn:
        slots = list(_pipelined(conn, [("CLUSTER", "KEYSLOT", *_wire([k])) for k in keys]))
    wrong = [(k, key_slot(k), s) for k, s in zip(keys, slots, strict=True) if key_slot(k) != s]
    figures("keys compared with CLUSTER KEYSLOT", len(keys))
    figures("wrong slots", len(wrong))
    assert wrong == []
    # The cluster router's column form (its own hash-tag pattern for str/bytes key lists),
    # on lists with tags, without any "{", and with keys of other types.
    server = dict(zip(map(repr, keys), slots, strict=True))
    texts = [k for k in keys if isinstance(k, str | bytes)]
    untagged = [k for k in texts if "{" not in (k if isinstance(k, str) else k.decode("latin-1"))]
    for column in (texts, untagged, keys):
        assert slots_of(column) == [server[repr(k)] for k in column]
    figures(
        "keys placed by slots_of: tagged lists / untagged / mixed types",
        (len(texts), len(untagged), len(keys)),
    )
