"""Asking the sentinels: one query connection per sentinel, sentinels asked in turn.

Rules this module keeps (Redis's guidelines for Sentinel clients):

- Sentinels are asked in list order, each with a short timeout; the first that answers moves
  to the front, so the next resolution asks a sentinel known to be alive first. A sentinel
  whose answer turned out to be unusable (the primary it named could not be reached as a
  primary) moves to the back: during a failover another sentinel may already know better.
- A null answer to ``GET-MASTER-ADDR-BY-NAME``, or ``ERR No such master`` to another question
  about a name, means that sentinel does not monitor the name: the next one is asked. Only
  when every sentinel that answered said so is the name unknown (``PrimaryNotFoundError``);
  otherwise it is a ``SentinelError``; both list each sentinel asked and what it said.
- One query connection per sentinel (RESP3, text replies), opened on first use by one task
  shared by concurrent callers and reopened after it breaks or times out. A sentinel that
  does not answer within ``command_timeout`` has its connection dropped, so a hung sentinel
  costs one timeout, not one per query.
- The list grows from ``SENTINEL SENTINELS``, pipelined with the address question: peers an
  answering sentinel knows are appended. Configured sentinels are never dropped.
- Replies are normalised here: RESP2 flat lists and RESP3 maps both become
  ``dict[str, str]``. Nothing here knows about clients or strategies.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, cast

from redis_oxide._command import ArgT
from redis_oxide._connection import Connection
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._exceptions import (
    ConnectionClosedError,
    PrimaryNotFoundError,
    RedisError,
    SentinelError,
    ServerError,
)
from redis_oxide._exceptions import ConnectionError as RedisConnectionError
from redis_oxide._exceptions import TimeoutError as RedisTimeoutError
from redis_oxide._logs import log_fields
from redis_oxide._raw_commands import lookup_meta

__all__ = [
    "Address",
    "SentinelLinks",
    "as_text",
    "describe",
    "fields",
    "format_address",
    "items",
    "record_list",
]

logger = logging.getLogger("redis_oxide.sentinel")

#: A server or sentinel address: host and TCP port.
Address = tuple[str, int]

# How a sentinel refuses a question about a name it does not monitor.
_NO_SUCH_MASTER = "No such master"


def format_address(address: Address) -> str:
    """``host:port``, IPv6 hosts bracketed."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def fields(reply: object) -> dict[str, str]:
    """One sentinel record (RESP3 map or RESP2 flat list) as a ``dict[str, str]``.

    Args:
        reply: An entry of ``SENTINEL MASTERS``/``REPLICAS``/``SENTINELS`` or the reply of
            ``SENTINEL MASTER``.

    Returns:
        Field name to value, both text.

    Raises:
        SentinelError: The reply has neither shape.
    """
    if isinstance(reply, dict):
        mapping = cast("dict[object, object]", reply)
        return {str(k): str(v) for k, v in mapping.items()}
    words = items(reply)
    if words is not None and len(words) % 2 == 0:
        return {str(k): str(v) for k, v in zip(words[::2], words[1::2], strict=True)}
    raise SentinelError(f"unexpected sentinel record {reply!r}")


def items(reply: object) -> list[object] | None:
    """A reply that is an array, as a list of its items; None for any other reply."""
    return cast("list[object]", reply) if isinstance(reply, list) else None


def record_list(reply: object) -> list[dict[str, str]]:
    """A reply listing records (``SENTINEL REPLICAS`` …) as dicts; empty for anything else."""
    entries = items(reply)
    return [] if entries is None else [fields(entry) for entry in entries]


class SentinelLinks:
    """The sentinels of one ``Sentinel`` object, in the order they are asked.

    Args:
        addresses: The configured sentinels.
        config: How to connect to a sentinel (auth, TLS, connect timeout); host and port are
            replaced per sentinel.
        command_timeout: Seconds a sentinel has to answer one question.
    """

    def __init__(
        self, addresses: Sequence[Address], config: ConnectionConfig, command_timeout: float | None
    ) -> None:
        self._order: list[Address] = list(dict.fromkeys(addresses))
        self._config = config
        self._timeout = command_timeout
        self._links: dict[Address, Connection] = {}
        self._opening: dict[Address, asyncio.Task[Connection]] = {}
        self._closed = False

    @property
    def addresses(self) -> list[Address]:
        """The sentinels in the order the next question goes to them."""
        return list(self._order)

    def config_for(self, address: Address) -> ConnectionConfig:
        """The connection settings for one sentinel."""
        return dataclasses.replace(self._config, host=address[0], port=address[1])

    def promote(self, address: Address) -> None:
        """Ask ``address`` first next time (it answered)."""
        if self._order and self._order[0] != address and address in self._order:
            self._order.remove(address)
            self._order.insert(0, address)

    def demote(self, address: Address) -> None:
        """Ask ``address`` last next time (what it said did not hold)."""
        if address in self._order and self._order[-1] != address:
            self._order.remove(address)
            self._order.append(address)

    def learn(self, reply: object) -> None:
        """Append the sentinels a ``SENTINEL SENTINELS`` reply names that are new."""
        for entry in items(reply) or ():
            try:
                record = fields(entry)
                peer = (record["ip"], int(record["port"]))
            except (SentinelError, KeyError, ValueError):
                continue
            if peer not in self._order:
                logger.info(
                    "learnt sentinel %s",
                    format_address(peer),
                    extra=log_fields("sentinel_learnt", format_address(peer)),
                )
                self._order.append(peer)

    # -- asking ------------------------------------------------------------------------------

    async def ask(
        self, *commands: Sequence[ArgT], about: str | None = None
    ) -> tuple[Address, list[Any]]:
        """Send ``commands`` (pipelined) to the sentinels in turn until one answers.

        Args:
            *commands: The questions, each a wire argument list.
            about: The monitored name the questions are about: a sentinel refusing the first
                one (``ERR No such master``: it does not monitor the name) is passed over
                for the next, as for the primary's address.

        Returns:
            The sentinel that answered (now first in the list) and its replies in order;
            server errors are values.

        Raises:
            PrimaryNotFoundError: Every sentinel that answered does not monitor ``about``.
            SentinelError: No sentinel answered (or, with ``about``, none answered about it).
        """
        failures: list[str] = []
        unknown = 0
        for address in list(self._order):
            try:
                replies = await self.query(address, commands)
            except ConnectionClosedError:
                raise
            except (RedisConnectionError, RedisTimeoutError, ServerError) as exc:
                # A refused handshake (WRONGPASS …) disqualifies this sentinel, not the others.
                failures.append(f"{format_address(address)}: {describe(exc)}")
                continue
            refusal = replies[0] if about is not None else None
            if isinstance(refusal, ServerError):
                if _NO_SUCH_MASTER in refusal.message:
                    unknown += 1
                    failures.append(f"{format_address(address)}: does not monitor {about!r}")
                else:
                    failures.append(f"{format_address(address)}: {describe(refusal)}")
                continue
            self.promote(address)
            return address, replies
        detail = "; ".join(failures) or "none configured"
        if about is None:
            raise SentinelError(f"no sentinel answered ({detail})")
        if unknown and unknown == len(failures):
            raise PrimaryNotFoundError(f"no sentinel monitors {about!r} ({detail})")
        raise SentinelError(f"no sentinel could answer about {about!r} ({detail})")

    async def primary_address(self, name: str) -> tuple[Address, Address]:
        """The primary the sentinels name for ``name`` (``SENTINEL GET-MASTER-ADDR-BY-NAME``).

        Args:
            name: The monitored name.

        Returns:
            The primary's address and the sentinel that named it.

        Raises:
            PrimaryNotFoundError: Every sentinel that answered does not monitor ``name``.
            SentinelError: No sentinel answered.
        """
        failures: list[str] = []
        unknown = 0
        for address in list(self._order):
            try:
                reply, peers = await self.query(
                    address,
                    (
                        ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name),
                        ("SENTINEL", "SENTINELS", name),
                    ),
                )
            except ConnectionClosedError:
                raise
            except (RedisConnectionError, RedisTimeoutError, ServerError) as exc:
                # A refused handshake (WRONGPASS …) disqualifies this sentinel, not the others.
                failures.append(f"{format_address(address)}: {describe(exc)}")
                continue
            pair = items(reply)
            if pair is not None and len(pair) == 2:
                self.promote(address)
                self.learn(peers)
                return (str(pair[0]), int(str(pair[1]))), address
            if reply is None:
                unknown += 1
                failures.append(f"{format_address(address)}: does not monitor {name!r}")
            else:
                failures.append(f"{format_address(address)}: {describe(reply)}")
        detail = "; ".join(failures) or "no sentinel configured"
        if unknown and unknown == len(failures):
            raise PrimaryNotFoundError(f"no sentinel monitors {name!r} ({detail})")
        raise SentinelError(f"no sentinel could name the primary of {name!r} ({detail})")

    async def records(self, *args: ArgT, about: str | None = None) -> list[dict[str, str]]:
        """Ask for a list of records (``SENTINEL REPLICAS name`` and the like).

        Args:
            *args: The question.
            about: The monitored name it is about (see ``ask``).

        Returns:
            One dict per record.

        Raises:
            PrimaryNotFoundError: No sentinel that answered monitors ``about``, or the one
                that answered refused the question.
            SentinelError: No sentinel answered.
        """
        address, (reply,) = await self.ask(args, about=about)
        if isinstance(reply, ServerError):
            raise PrimaryNotFoundError(
                f"{format_address(address)} refused {' '.join(map(str, args))}: {reply.message}",
                address=format_address(address),
            ) from reply
        if items(reply) is None:
            raise SentinelError(f"unexpected reply {reply!r}", address=format_address(address))
        return record_list(reply)

    async def query(self, address: Address, commands: Sequence[Sequence[ArgT]]) -> list[Any]:
        """Send ``commands`` pipelined to one sentinel and return its replies.

        Args:
            address: The sentinel.
            commands: The questions.

        Returns:
            The replies in order; server errors are values.

        Raises:
            ConnectionError: The sentinel cannot be reached or dropped the connection.
            TimeoutError: It did not answer in time (its connection is dropped).
            ServerError: It refused the handshake (``WRONGPASS``, ``NOAUTH`` …).
        """
        conn = await self._link(address)
        futures = [conn.send(args, None, lookup_meta(args), self._timeout) for args in commands]
        # Every future is awaited, so none is left with an error nobody retrieved.
        replies: list[Any] = await asyncio.gather(*futures, return_exceptions=True)
        for reply in replies:
            if isinstance(reply, RedisTimeoutError):
                conn.abort()  # a hung sentinel: ask it afresh next time, not behind this
            if isinstance(reply, BaseException) and not isinstance(reply, ServerError):
                raise reply
        return replies

    async def _link(self, address: Address) -> Connection:
        if self._closed:
            raise ConnectionClosedError("the Sentinel object is closed")
        conn = self._links.get(address)
        if conn is not None and conn.available:
            return conn
        task = self._opening.get(address)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._open(address))
            task.add_done_callback(_retrieve)
            self._opening[address] = task
        return await asyncio.shield(task)

    async def _open(self, address: Address) -> Connection:
        conn = await open_connection(self.config_for(address))
        if self._closed:
            await conn.aclose()
            raise ConnectionClosedError("the Sentinel object was closed while connecting")
        old = self._links.get(address)
        if old is not None:
            old.abort()
        self._links[address] = conn
        return conn

    async def aclose(self) -> None:
        """Close every query connection; later questions raise ``ConnectionClosedError``."""
        self._closed = True
        for task in self._opening.values():
            task.cancel()
        links, self._links = list(self._links.values()), {}
        await asyncio.gather(*(conn.aclose(0) for conn in links), return_exceptions=True)


def describe(error: object) -> str:
    """``ErrorClass: message`` for the messages listing what each server said."""
    if isinstance(error, RedisError):
        return f"{type(error).__name__}: {error.message}"
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return repr(error)


def as_text(value: object) -> str:
    """A reply item as text, whether the connection decodes text or not."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _retrieve(task: asyncio.Task[Connection]) -> None:
    # Callers may all have given up; reading the outcome keeps asyncio from reporting it.
    if not task.cancelled():
        task.exception()
