"""Following failovers: ``+switch-master`` (and replica ``+sdown``) subscriptions.

Rules this module keeps:

- Every known sentinel gets a dedicated RESP3 connection subscribed to ``+switch-master``
  (``SwitchWatcher``, one per sentinel): sentinels announce a failover tens to hundreds of
  milliseconds apart (the leader first, the others once its configuration reaches them),
  and a client that listened to a late one would keep its callers waiting that long.
  Notices arrive as push frames and are handed on synchronously, so a client gives up its
  old primary in the loop turn the first notice is read; the same notice from the other
  sentinels is dropped. This does not depend on the client's pub/sub API: it is a
  connection with a push handler.
- A subscription that ends (connection lost, or no answer to the PING sent every
  ``_PING_INTERVAL``) is tried again with backoff while the others go on. Notices published
  while subscriptions were down are caught up with by ``reconcile``, run after every new
  subscription. Sentinels learnt later (``SENTINEL SENTINELS``) get a subscription at the
  next connect.
- The same subscriptions carry ``+sdown``/``-sdown``: a replica a sentinel flags down (it
  did not answer for ``down-after-milliseconds``) is handed to the replica clients of its
  primary's name, which leave it (``SentinelConnector.flagged``); a frozen replica keeps its
  port open, so nothing else would move a multiplexed client off it. Other instances'
  flags are ignored: a primary client waits for ``+switch-master``.
- A notice is a hint, never trusted alone: connectors still check the role of the server
  they connect to.
- Subscriptions run while the ``Sentinel`` object is open and has been used from a loop;
  ``aclose`` stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis_oxide._connection import Connection
from redis_oxide._connection_setup import open_connection
from redis_oxide._exceptions import RedisError
from redis_oxide._generated import _meta as _m
from redis_oxide._logs import log_fields
from redis_oxide._retry import Retry
from redis_oxide._sentinel_discovery import (
    Address,
    SentinelLinks,
    as_text,
    format_address,
    items,
)

__all__ = ["SentinelTopology", "SwitchListener", "SwitchWatcher"]

logger = logging.getLogger("redis_oxide.sentinel")

CHANNEL = "+switch-master"
# A sentinel's own (subjective) view that an instance is down, or up again.
DOWN, UP = "+sdown", "-sdown"
# A sentinel that stops answering is given up after this long plus the sentinel command
# timeout; the subscription is otherwise silent. Jedis and Lettuce ping their sentinel
# subscriptions at similar intervals.
_PING_INTERVAL = 5.0
# Between two tries on a sentinel that went away: from 100 ms up to 2 s, so a restarted
# sentinel is followed again within a couple of seconds and a dead one costs little.
_RESUBSCRIBE = Retry(attempts=1, backoff_base=0.1, backoff_cap=2.0)

#: Called with (name, old primary, new primary) for each notice.
SwitchHandler = Callable[[str, Address, Address], None]
#: Called with (primary's name, replica, flagged down) for each replica ``+sdown``/``-sdown``.
FlagHandler = Callable[[str, Address, bool], None]


class SwitchListener(Protocol):
    """What the topology needs of a connector to deliver failover notices to it."""

    name: str
    replica: bool

    @property
    def server(self) -> Address | None:
        """The server its last connection went to."""
        ...

    def switched(self, old: Address, new: Address) -> None:
        """Handle a notice that ``name``'s primary moved from ``old`` to ``new``."""
        ...

    def flagged(self, replica: Address, down: bool) -> None:
        """Handle a sentinel flagging one of ``name``'s replicas down (or up again)."""
        ...


class SwitchWatcher:
    """Keeps one sentinel's ``+switch-master`` subscription up.

    Args:
        links: The sentinels (for this one's connection settings).
        address: The sentinel.
        on_switch: Called, synchronously, with each notice.
        on_flag: Called, synchronously, with each replica ``+sdown``/``-sdown``.
        reconcile: Awaited after each new subscription, to catch up with missed notices.
        command_timeout: Seconds the sentinel has to confirm the subscription or answer PING.
    """

    def __init__(
        self,
        links: SentinelLinks,
        address: Address,
        on_switch: SwitchHandler,
        on_flag: FlagHandler,
        reconcile: Callable[[], Awaitable[None]],
        command_timeout: float | None,
    ) -> None:
        self._links = links
        self.address = address
        self._on_switch = on_switch
        self._on_flag = on_flag
        self._reconcile = reconcile
        self._timeout = command_timeout
        self._task: asyncio.Task[None] | None = None
        self._conn: Connection | None = None
        self._confirmed: asyncio.Future[None] | None = None
        self._closed = False
        #: Whether the subscription is up right now.
        self.subscribed = False

    def start(self) -> None:
        """Start following notices in the running loop; does nothing if already started."""
        if self._closed or (self._task is not None and not self._task.done()):
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        failures = 0
        while not self._closed:
            try:
                conn = await self._subscribe()
                if conn is not None:
                    failures = 0
                    await self._follow(conn)
            except Exception:  # a bug here must not end the following for good
                logger.exception(
                    "sentinel %s: subscription failed",
                    format_address(self.address),
                    extra=log_fields("subscription_failed", format_address(self.address)),
                )
            failures += 1
            await asyncio.sleep(_RESUBSCRIBE.delay(failures))

    async def _follow(self, conn: Connection) -> None:
        self.subscribed = True
        try:
            try:
                await self._reconcile()
            except RedisError as exc:
                logger.info(
                    "sentinel: catching up after subscribing failed: %r",
                    exc,
                    extra=log_fields("catch_up_failed", error=exc),
                )
            await self._watch(conn)
        finally:
            self.subscribed = False
            conn.abort()
        logger.info(
            "sentinel %s: subscription ended",
            format_address(self.address),
            extra=log_fields("subscription_ended", format_address(self.address)),
        )

    async def _subscribe(self) -> Connection | None:
        where = format_address(self.address)
        self._confirmed = asyncio.get_running_loop().create_future()
        try:
            config = self._links.config_for(self.address)
            conn = await open_connection(config, push_handler=self._frame)
        except RedisError as exc:
            logger.debug(
                "sentinel %s: cannot subscribe: %r",
                where,
                exc,
                extra=log_fields("subscribe_failed", where, error=exc),
            )
            return None
        self._conn = conn
        try:
            conn.send_without_reply(("SUBSCRIBE", CHANNEL, DOWN, UP))
            async with asyncio.timeout(self._timeout):
                await asyncio.shield(self._confirmed)
        except (RedisError, TimeoutError) as exc:
            logger.debug(
                "sentinel %s: subscription refused: %r",
                where,
                exc,
                extra=log_fields("subscribe_refused", where, error=exc),
            )
            conn.abort()
            return None
        logger.debug(
            "sentinel %s: subscribed to %s",
            where,
            CHANNEL,
            extra=log_fields("subscribed", where, channel=CHANNEL),
        )
        return conn

    async def _watch(self, conn: Connection) -> None:
        while not conn.is_closed():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_PING_INTERVAL):
                    await conn.wait_closed()
                return
            try:
                await conn.send(("PING",), None, _m.PING, self._timeout)
            except RedisError as exc:
                logger.info(
                    "sentinel %s did not answer PING: %r",
                    conn.address,
                    exc,
                    extra=log_fields("ping_failed", conn.address, error=exc),
                )
                conn.abort()
                await conn.wait_closed()
                return

    def _frame(self, reply: Any) -> None:
        frame = items(reply)
        if frame is None or len(frame) < 3:
            return
        kind = as_text(frame[0])
        if kind == "subscribe":
            if self._confirmed is not None and not self._confirmed.done():
                self._confirmed.set_result(None)
            return
        channel = as_text(frame[1])
        if kind != "message":
            return
        if channel in (DOWN, UP):
            self._flag(channel, as_text(frame[2]).split())
            return
        if channel != CHANNEL:
            return
        words = as_text(frame[2]).split()
        if len(words) != 5 or not words[2].isdigit() or not words[4].isdigit():
            logger.warning(
                "sentinel: malformed %s notice %r",
                CHANNEL,
                frame[2],
                extra=log_fields("malformed_notice", channel=CHANNEL),
            )
            return
        name, old_host, old_port, new_host, new_port = words
        self._on_switch(name, (old_host, int(old_port)), (new_host, int(new_port)))

    def _flag(self, channel: str, words: list[str]) -> None:
        # "slave <name> <ip> <port> @ <primary's name> <primary ip> <primary port>"; masters
        # and sentinels are flagged too, and left to +switch-master.
        if len(words) != 8 or words[0] != "slave" or words[4] != "@" or not words[3].isdigit():
            return
        self._on_flag(words[5], (words[2], int(words[3])), channel == DOWN)

    async def aclose(self) -> None:
        """Stop following notices and close the subscription."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            self._conn.abort()
            await self._conn.wait_closed()


class SentinelTopology:
    """The sentinels of one ``Sentinel`` object, shared by every client it made.

    Args:
        links: The sentinels and their query connections.
        command_timeout: Seconds a sentinel has to answer.
    """

    def __init__(self, links: SentinelLinks, command_timeout: float | None) -> None:
        self.links = links
        self._timeout = command_timeout
        self._connectors: weakref.WeakSet[SwitchListener] = weakref.WeakSet()
        self._watchers: dict[Address, SwitchWatcher] = {}
        # The last notice per name: the same notice from the other sentinels is dropped.
        self._last: dict[str, tuple[Address, Address]] = {}
        self._closed = False

    @property
    def subscriptions(self) -> list[Address]:
        """The sentinels whose ``+switch-master`` subscription is up right now."""
        return [address for address, w in self._watchers.items() if w.subscribed]

    def register(self, connector: SwitchListener) -> None:
        """Deliver this name's failover notices to ``connector`` while it lives."""
        self._connectors.add(connector)

    def watch(self) -> None:
        """Follow every known sentinel's notices (idempotent; needs a running loop)."""
        if self._closed:
            return
        for address in self.links.addresses:
            watcher = self._watchers.get(address)
            if watcher is None:
                watcher = SwitchWatcher(
                    self.links,
                    address,
                    self._switched,
                    self._flagged,
                    self._reconcile,
                    self._timeout,
                )
                self._watchers[address] = watcher
            watcher.start()

    def _switched(self, name: str, old: Address, new: Address) -> None:
        if self._last.get(name) == (old, new):
            return
        self._last[name] = (old, new)
        logger.info(
            "sentinel: %s switched from %s to %s",
            name,
            format_address(old),
            format_address(new),
            extra=log_fields(
                "switch_master", format_address(new), name=name, previous=format_address(old)
            ),
        )
        for connector in list(self._connectors):
            if connector.name == name:
                connector.switched(old, new)

    def _flagged(self, name: str, replica: Address, down: bool) -> None:
        # Every sentinel flags on its own: the first +sdown moves the clients, later ones
        # find nothing left to move.
        for connector in list(self._connectors):
            if connector.name == name and connector.replica:
                connector.flagged(replica, down)

    async def _reconcile(self) -> None:
        # Notices published while no subscription was up: compare what the sentinels say
        # with where each primary client connected last, and act as if the notice had come.
        connectors = [c for c in self._connectors if not c.replica and c.server is not None]
        for name in sorted({c.name for c in connectors}):
            primary, _ = await self.links.primary_address(name)
            for connector in connectors:
                server = connector.server
                if connector.name == name and server is not None and server != primary:
                    self._last[name] = (server, primary)
                    connector.switched(server, primary)

    async def aclose(self) -> None:
        """Stop following notices and close every sentinel connection."""
        self._closed = True
        await asyncio.gather(*(w.aclose() for w in self._watchers.values()))
        await self.links.aclose()
