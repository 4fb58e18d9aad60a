"""Sentinel topology: connectors that resolve a monitored name at each connect.

Rules this module keeps:

- A Sentinel-resolved client is an ordinary client whose strategy connects through a
  ``SentinelConnector``: each connect asks the sentinels (``_sentinel_discovery``) and
  checks the role the server reports (the HELLO reply's ``role``, or ``ROLE`` on RESP2)
  before handing the connection over. A server that is not what was asked for (a replica
  named as the primary, a primary named as a replica) is never used.
- While the sentinels answer but name no usable primary (a failover under way), a connect
  keeps trying, with backoff, instead of failing: callers wait for the new primary within
  their own timeouts. The wait is bounded by ``resolve_timeout``, counted from the first
  failed try of the outage; after that each connect tries once and fails. When no sentinel
  answers, or none monitors the name, or no replica is healthy, the connect fails at once
  with a ``SentinelError`` (the strategy's ``Retry`` tries a few more times).
- A ``+switch-master`` notice (``_sentinel_watch``) is handled synchronously: the new
  primary is tried first from then on, a connect under way is started again, and when live
  connections go to another server the strategy is invalidated and those connections are
  failed, leases included, with ``FailoverError`` as the cause: reads in flight re-run on
  the new primary, writes in flight fail saying whether they may have run, and nothing is
  sent to the old primary afterwards.
- ``READONLY`` or ``MASTERDOWN`` (a demoted or cut-off server) make the ``SentinelReroute``
  (``_sentinel_reroute``) give the server up the same way (``demoted``).
- A replica a sentinel flags down (``+sdown``) is left by the replica clients of its name:
  their connections to it fail with ``FailoverError`` as the cause (reads in flight re-run on
  another replica), and new connections pass it over until a sentinel flags it up again
  (``-sdown``) or ``_FLAG_HOLD`` passes, after which the sentinels' records decide alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Callable
from typing import cast

from redis_oxide._connection import Connection, PushHandler
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._exceptions import (
    ConnectionClosedError,
    FailoverError,
    LoadingError,
    NoPermError,
    PrimaryNotFoundError,
    ReplicaNotFoundError,
    SentinelError,
    ServerError,
)
from redis_oxide._exceptions import ConnectionError as RedisConnectionError
from redis_oxide._exceptions import TimeoutError as RedisTimeoutError
from redis_oxide._generated import _meta as _m
from redis_oxide._logs import log_fields
from redis_oxide._pool import ConnectionStrategy
from redis_oxide._retry import Retry
from redis_oxide._sentinel_discovery import Address, as_text, describe, format_address, items
from redis_oxide._sentinel_watch import SentinelTopology

__all__ = ["SentinelConnector", "replica_is_healthy"]

logger = logging.getLogger("redis_oxide.sentinel")

# Flags of a replica (SENTINEL REPLICAS) that keep reads away from it.
_UNHEALTHY = frozenset({"s_down", "o_down", "disconnected"})
# How long a replica flagged down by a notice is passed over without a -sdown: by then every
# sentinel has flagged it too if it is still down, and their records say so.
_FLAG_HOLD = 10.0


def replica_is_healthy(record: dict[str, str]) -> bool:
    """Whether a ``SENTINEL REPLICAS`` record is a replica fit for reads.

    Args:
        record: One record.

    Returns:
        True when it is not flagged down or disconnected and its link to the primary is up.
    """
    flags = set(record.get("flags", "").split(","))
    return not flags & _UNHEALTHY and record.get("master-link-status", "ok") == "ok"


class _Unusable(Exception):
    """The server the sentinels named cannot serve as asked (wrong role, loading …)."""


class SentinelConnector:
    """A ``Connector`` for one monitored name: its primary, or one of its replicas.

    Args:
        topology: The sentinels and the failover notices.
        name: The monitored name.
        config: How each data connection is set up; host and port come from the sentinels.
        replica: Connect to replicas (round robin over the healthy ones) instead.
        fallback_to_primary: With ``replica``, use the primary when no replica can be used.
        retry: Backoff between tries while no usable server is named.
        resolve_timeout: Longest wait for a usable server during an outage; None waits as
            long as the sentinels answer.
    """

    def __init__(
        self,
        topology: SentinelTopology,
        name: str,
        config: ConnectionConfig,
        *,
        replica: bool,
        fallback_to_primary: bool,
        retry: Retry,
        resolve_timeout: float | None,
    ) -> None:
        self.name = name
        self.replica = replica
        self._fallback = fallback_to_primary
        self._topology = topology
        self._config = config
        self._retry = retry
        self._resolve_timeout = resolve_timeout
        self._strategy: ConnectionStrategy | None = None
        # Every live connection this connector made, whoever holds it (shared or leased);
        # ended ones are dropped whenever one is added.
        self._connections: set[Connection] = set()
        self._announced: Address | None = None  # the primary the last notice named
        self._switched: asyncio.Future[None] | None = None  # resolved by the next notice
        self._giving_up = False
        # The outage: since when no try succeeded, and the last failed try. A pause longer
        # than resolve_timeout between two failures starts a new outage.
        self._outage_since: float | None = None
        self._last_failure = 0.0
        self._quiet = math.inf if resolve_timeout is None else resolve_timeout
        self._server: Address | None = None
        self._next_replica = 0
        self._flags: dict[Address, float] = {}  # replica flagged down -> until when
        self._address = f"{name} (via sentinel)"

    def bind(self, strategy: ConnectionStrategy) -> None:
        """Name the strategy to invalidate when the server moves."""
        self._strategy = strategy

    @property
    def address(self) -> str:
        """The server the last connection went to (``host:port``), for messages."""
        return self._address

    @property
    def server(self) -> Address | None:
        """The server the last connection went to, None before the first."""
        return self._server

    def __repr__(self) -> str:
        role = "replica" if self.replica else "primary"
        return f"<SentinelConnector {self.name} {role} {self._address}>"

    # -- connecting --------------------------------------------------------------------------

    async def connect(self, *, push_handler: PushHandler | None = None) -> Connection:
        """Resolve the server through the sentinels, connect and check its role.

        Args:
            push_handler: Receives push frames arriving on the connection.

        Returns:
            A ready connection to the primary (or a replica).

        Raises:
            SentinelError: No sentinel answered.
            PrimaryNotFoundError: No sentinel monitors the name, or no usable primary was
                named within ``resolve_timeout``.
            ReplicaNotFoundError: No healthy replica could be used (and no fallback).
            ServerError: The server refused the handshake (``WRONGPASS`` …).
        """
        self._topology.watch()
        failures = 0
        while True:
            switched = self._switch_future()
            try:
                conn = await self._attempt_or_switch(switched, push_handler)
            except (RedisConnectionError, RedisTimeoutError, LoadingError, _Unusable) as exc:
                if isinstance(exc, SentinelError | ConnectionClosedError):
                    raise
                now = time.monotonic()
                if self._outage_since is None or now - self._last_failure > self._quiet:
                    self._outage_since = now  # a new outage, not the tail of an old one
                self._last_failure = now
                waited = now - self._outage_since
                if self._resolve_timeout is not None and waited >= self._resolve_timeout:
                    wanted = "replica or primary" if self.replica else "primary"
                    raise PrimaryNotFoundError(
                        f"no usable {wanted} for {self.name!r} within resolve_timeout="
                        f"{self._resolve_timeout} s (last: {describe(exc)})",
                        address=self._address,
                    ) from exc
                failures += 1
                logger.debug(
                    "%s: no usable server yet (%s)",
                    self.name,
                    describe(exc),
                    extra=log_fields("no_usable_server", self._address, name=self.name, error=exc),
                )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._retry.delay(failures)):
                        await asyncio.shield(switched)  # a notice ends the pause
                continue
            if conn is None:
                continue  # a notice arrived meanwhile: start again with what it said
            self._outage_since = None
            self._address = conn.address
            return conn

    def _switch_future(self) -> asyncio.Future[None]:
        if self._switched is None or self._switched.done():
            self._switched = asyncio.get_running_loop().create_future()
        return self._switched

    async def _attempt_or_switch(
        self, switched: asyncio.Future[None], push_handler: PushHandler | None
    ) -> Connection | None:
        attempt = asyncio.ensure_future(self._attempt(push_handler))
        try:
            await asyncio.wait((attempt, switched), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not attempt.done():
                attempt.cancel()
                attempt.add_done_callback(_retrieve)
        if not attempt.done():
            return None
        conn = attempt.result()
        if switched.done() and not self._fits(conn):
            conn.abort()
            return None
        return conn

    def _fits(self, conn: Connection) -> bool:
        # After a notice, a connection opened before it must go where the notice says.
        if self.replica:
            return self._announced is None or conn.address != format_address(self._announced)
        return self._announced is None or conn.address == format_address(self._announced)

    async def _attempt(self, push_handler: PushHandler | None) -> Connection:
        if self.replica:
            return await self._replica(push_handler)
        return await self._primary(push_handler)

    async def _primary(self, push_handler: PushHandler | None) -> Connection:
        links = self._topology.links
        sentinel: Address | None = None
        target = self._announced
        if target is None:
            target, sentinel = await links.primary_address(self.name)
        try:
            return await self._open(target, "master", push_handler)
        except Exception:  # not a cancellation: that is a notice, or the caller gave up
            if sentinel is not None:
                links.demote(sentinel)  # during a failover another sentinel may know better
            else:
                self._announced = None  # the notice did not hold: ask the sentinels
            raise

    async def _replica(self, push_handler: PushHandler | None) -> Connection:
        records = await self._topology.links.records(
            "SENTINEL", "REPLICAS", self.name, about=self.name
        )
        now = time.monotonic()
        self._flags = {r: until for r, until in self._flags.items() if until > now}
        healthy = sorted(
            {(r["ip"], int(r["port"])) for r in records if replica_is_healthy(r) and "ip" in r}
            - self._flags.keys()
        )
        failures: list[str] = []
        # Taken before any await, so connects under way at once start on different replicas.
        start = self._next_replica
        self._next_replica += 1
        for offset in range(len(healthy)):
            target = healthy[(start + offset) % len(healthy)]
            try:
                return await self._open(target, "slave", push_handler)
            except (RedisConnectionError, RedisTimeoutError, LoadingError, _Unusable) as exc:
                failures.append(f"{format_address(target)}: {describe(exc)}")
        if self._fallback:
            return await self._primary(push_handler)
        detail = "; ".join(failures) or "the sentinels list none that is up"
        raise ReplicaNotFoundError(f"no healthy replica of {self.name!r} ({detail})")

    async def _open(
        self, target: Address, role: str, push_handler: PushHandler | None
    ) -> Connection:
        config = dataclasses.replace(self._config, host=target[0], port=target[1])
        conn = await open_connection(config, push_handler=push_handler)
        try:
            actual = await _role(conn, config.connect_timeout)
            if actual is not None and actual != role:
                raise _Unusable(f"{conn.address} is a {actual}, not a {role}")
        except BaseException:
            conn.abort()
            await asyncio.shield(conn.wait_closed())  # let the transport release the socket
            raise
        self._connections = {c for c in self._connections if not c.is_closed()}
        self._connections.add(conn)
        self._server = target
        return conn

    # -- the server moved --------------------------------------------------------------------

    def switched(self, old: Address, new: Address) -> None:
        """Handle a ``+switch-master`` notice for this name (called synchronously).

        Args:
            old: The primary the sentinels gave up.
            new: The primary they promoted.
        """
        self._announced = new
        if self._switched is not None and not self._switched.done():
            self._switched.set_result(None)
        new_address = format_address(new)
        # The promoted server is no replica any more; a replica client's fallback went to
        # the old primary. A primary client keeps only connections to the new primary.
        gone = {new_address, format_address(old)}

        def keep(conn: Connection) -> bool:
            if self.replica:
                return conn.address not in gone
            return conn.address == new_address

        cause = FailoverError(
            f"the sentinels switched the primary of {self.name!r} from "
            f"{format_address(old)} to {new_address}",
            address=format_address(old),
        )
        self._give_up(cause, keep)

    def flagged(self, replica: Address, down: bool) -> None:
        """Handle a sentinel flagging ``replica`` down (``+sdown``) or up (``-sdown``).

        Args:
            replica: The replica.
            down: Flagged down; False when flagged up again.
        """
        if not down:
            self._flags.pop(replica, None)
            return
        self._flags[replica] = time.monotonic() + _FLAG_HOLD
        where = format_address(replica)
        stale = [c for c in self._connections if not c.is_closed() and c.address == where]
        if not stale:
            return
        cause = FailoverError(
            f"the sentinels flag replica {where} of {self.name!r} down", address=where
        )
        logger.info(
            "%s: leaving replica %s (%d connection(s)): flagged down",
            self.name,
            where,
            len(stale),
            extra=log_fields("replica_down", where, name=self.name, error=cause),
        )
        for conn in stale:  # the strategy refills their slots from the other replicas
            conn.fail(cause)

    def demoted(self, error: ServerError) -> None:
        """Give the current server up after ``READONLY``/``MASTERDOWN`` (called while its
        reply is being read, so the connections are given up in the next loop turn)."""
        if self._giving_up:
            return
        self._giving_up = True
        self._announced = None
        cause = FailoverError(
            f"{self._address} answered {error.code}: it no longer serves {self.name!r} as asked",
            address=self._address,
        )
        asyncio.get_running_loop().call_soon(self._give_up, cause, None)

    def _give_up(self, cause: FailoverError, keep: Callable[[Connection], bool] | None) -> None:
        self._giving_up = False
        stale = [c for c in self._connections if not c.is_closed() and not (keep and keep(c))]
        if not stale:
            return
        logger.info(
            "%s: giving up %d connection(s): %s",
            self.name,
            len(stale),
            cause.message,
            extra=log_fields("give_up_server", self._address, name=self.name, error=cause),
        )
        if self._strategy is not None:
            self._strategy.invalidate(cause)
        for conn in stale:
            conn.fail(cause)  # a leased connection is beyond the strategy's reach


async def _role(conn: Connection, reply_timeout: float | None) -> str | None:
    """The role a server reports: HELLO's ``role`` (RESP3), else ``ROLE``; None if denied."""
    info = conn.server_info
    if isinstance(info, dict):
        hello = cast("dict[object, object]", info)
        role = hello.get("role", hello.get(b"role"))
        if role is not None:
            text = as_text(role)
            return "slave" if text == "replica" else text
    try:
        reply = await conn.send(("ROLE",), None, _m.ROLE, reply_timeout)
    except NoPermError:
        return None  # an ACL user without ROLE: the sentinels' word has to do
    answer = items(reply)
    if answer:
        return as_text(answer[0])
    raise _Unusable(f"{conn.address} answered ROLE with {reply!r}")


def _retrieve(task: asyncio.Future[Connection]) -> None:
    # The attempt was abandoned for a notice; its outcome (or error) is of no interest.
    if not task.cancelled():
        conn_or_error = task.exception() or task.result()
        if isinstance(conn_or_error, Connection):
            conn_or_error.abort()
