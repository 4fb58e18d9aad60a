"""Run differential cases on both clients, in one configuration.

Rules:

- Each side of a case starts from the same state: an empty database (FLUSHDB, or FLUSHALL
  for cases that may touch server-wide state), the entry's setup and ``prepare`` through
  redis-oxide's raw ``execute_command`` (so setup never depends on either client's command
  methods), then the one call, then the entry's cleanup.
- Each side runs on new clients: CLIENT SETNAME, SETINFO, NO-EVICT ... change the
  connection, and a later case must not see what an earlier one left there.
- Cases that touch only keys of their own database run concurrently, ``LANES`` at a time, each
  lane in a database of its own (1, 2, ...). The others (server, scripting, pub/sub,
  connection and cluster commands, and the few keyspace cases that reach another database or
  the server's configuration) run one at a time on database 0 once the lanes are done.
- A call that raises is an outcome like a value; every call is bounded by ``CALL_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio

from redis_oxide import Redis
from tests.conformance._entry import Recorder

from ._case import Case, Oracle

__all__ = ["CALL_TIMEOUT", "CONFIGS", "LANES", "Config", "Outcome", "Pair", "run_cases"]

#: Seconds a call may take. The slowest cases wait for a blocking timeout (about 0.1 s: the
#: server checks those timeouts ten times a second) or run PFSELFTEST (about 0.5 s).
CALL_TIMEOUT = 5.0
#: Concurrent lanes for keyspace cases; each waits mostly on the server, so a few lanes hide
#: the blocking timeouts and PFSELFTEST without loading the machine.
LANES = 4
#: Groups whose cases touch only keys of the database they run in.
_KEYSPACE_GROUPS = frozenset(
    {
        "string",
        "hash",
        "list",
        "set",
        "sorted_set",
        "geo",
        "stream",
        "bitmap",
        "hyperloglog",
        "generic",
    }
)
#: Keyspace cases that reach beyond their database: another database, or CONFIG SET.
_SERVER_WIDE = frozenset({"move", "copy-db", "object_freq"})


@dataclass(frozen=True)
class Config:
    """One of the four configurations: RESP2 or RESP3, bytes or ``decode_responses``."""

    protocol: Literal[2, 3]
    decode: bool

    @property
    def id(self) -> str:
        """``resp2-bytes``, ``resp3-str`` ..."""
        return f"resp{self.protocol}-{'str' if self.decode else 'bytes'}"


CONFIGS = tuple(Config(protocol, decode) for protocol in (2, 3) for decode in (False, True))


@dataclass(frozen=True)
class Outcome:
    """What one client's call gave: a value, or the exception it raised."""

    value: Any
    error: BaseException | None = None


@dataclass(frozen=True)
class Pair:
    """Both outcomes of one case."""

    case: Case
    oxide: Outcome
    py: Outcome


@dataclass(frozen=True)
class _Place:
    """Where one side runs: the server, the database, and how to empty it first."""

    host: str
    port: int
    db: int
    flush: tuple[str, ...]


def _oxide(place: _Place, config: Config) -> Redis[Any]:
    if config.decode:
        return Redis(
            place.host, place.port, db=place.db, protocol=config.protocol, decode_responses=True
        )
    return Redis(place.host, place.port, db=place.db, protocol=config.protocol)


async def _side(case: Case, config: Config, place: _Place, py: bool) -> Outcome:
    entry = case.entry
    host, port = place.host, place.port
    context: dict[str, Any] = {"host": host, "port": port, "closers": []}
    oracle = (
        redis.asyncio.Redis(
            host=host,
            port=port,
            db=place.db,
            protocol=config.protocol,
            decode_responses=config.decode,
        )
        if py
        else None
    )
    try:
        async with _oxide(place, config) as client:
            recorder = Recorder(client, context)
            if place.flush:
                await recorder.raw(*place.flush)
            try:
                for args in entry.setup:
                    await recorder.raw(*args)
                if entry.prepare is not None:
                    await entry.prepare(recorder)
                try:
                    with warnings.catch_warnings():
                        # Deprecated commands warn on every call; both libraries still offer them.
                        warnings.simplefilter("ignore", DeprecationWarning)
                        if oracle is not None:
                            pending = case.py(Oracle(oracle, context))
                        else:
                            pending = entry.call(recorder)
                    async with asyncio.timeout(CALL_TIMEOUT):
                        return Outcome(await pending)
                except Exception as error:
                    return Outcome(None, error)
            finally:
                for args in entry.cleanup:
                    await recorder.raw(*args)
                for close in context["closers"]:
                    close()
    finally:
        if oracle is not None:
            await oracle.aclose()


def _in_lane(case: Case) -> bool:
    return case.group in _KEYSPACE_GROUPS and case.id not in _SERVER_WIDE


async def _run_serially(cases: list[Case], config: Config, place: _Place) -> list[Pair]:
    pairs: list[Pair] = []
    for case in cases:
        oxide = await _side(case, config, place, py=False)
        py = await _side(case, config, place, py=True)
        pairs.append(Pair(case, oxide, py))
    return pairs


async def run_cases(
    cases: tuple[Case, ...], config: Config, host: str, port: int, *, shared: bool
) -> list[Pair]:
    """Run every case on redis-oxide, then on redis-py, from the same state.

    Args:
        cases: The cases; entries whose input is binary are skipped on a decoding client.
        config: Protocol and decoding of both clients.
        host: The server's host.
        port: The server's port.
        shared: The shared Stack server: empty the database before each side, and run
            keyspace cases in lanes. Off for the cluster's read-only cases, which run one at
            a time on the node as it is.

    Returns:
        One pair of outcomes per case run, in the order of ``cases``.
    """
    todo = [case for case in cases if not (config.decode and case.entry.binary)]
    if not shared:
        return await _run_serially(todo, config, _Place(host, port, 0, ()))
    laned = [case for case in todo if _in_lane(case)]
    async with asyncio.TaskGroup() as group:
        lanes = [
            group.create_task(
                _run_serially(
                    laned[i::LANES], config, _Place(host, port, i + 1, ("FLUSHDB", "SYNC"))
                )
            )
            for i in range(LANES)
        ]
    pairs = [pair for lane in lanes for pair in lane.result()]
    rest = [case for case in todo if not _in_lane(case)]
    pairs += await _run_serially(rest, config, _Place(host, port, 0, ("FLUSHALL", "SYNC")))
    order = {case.id: index for index, case in enumerate(todo)}
    return sorted(pairs, key=lambda pair: order[pair.case.id])
