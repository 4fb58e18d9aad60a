"""The standalone client: options, the command executor seam, retries and lifecycle.

Rules this module keeps:

- ``_execute`` is the one path every command takes. The fast path (a ready shared
  connection) returns the connection's future itself: no coroutine, one future, one deque
  append and one encode. The retry rule rides along as a ``LostHook`` that the connection
  calls only if it is lost; the hook then re-runs the command in a task that resolves the
  caller's future. Slow paths (connecting, blocking commands) are coroutines.
- A command whose meta says ``binary_reply`` (DUMP) is read undecoded, so it returns
  ``bytes`` even on ``Redis[str]``; the flag rides along to the connection, which reads
  other replies on the plain fast loop.
- Blocking commands go to a dedicated lease and are not bound by ``command_timeout`` (their
  own timeout argument bounds them); everything else shares connections.
- After a lost connection a command is retried only when that cannot run it twice: it is
  read-only, or its bytes never left the client. Other commands fail with
  ``ConnectionLostError(may_have_executed=...)``.
- Commands that change connection state (SELECT, MULTI, SUBSCRIBE …) are refused as raw
  calls, with the API to use instead.
- ``with_options`` views share the root's connections; only the root closes them.
- No secret reaches ``repr``, logs or exceptions: the password lives in the connection
  config, whose repr hides it.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import ssl as _ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, Unpack, overload

from redis_oxide._client_commands import command_info
from redis_oxide._client_options import ClientOptions
from redis_oxide._command import ArgT, CommandMeta, KeyT
from redis_oxide._connection import Connection, LostHook
from redis_oxide._connection_setup import ConnectionConfig, build_ssl_context
from redis_oxide._exceptions import CommandTimeoutError, ConnectionLostError, RedisError
from redis_oxide._generated import Commands, StrT
from redis_oxide._parsers import Reply
from redis_oxide._pool import ConnectionPool, ConnectionStrategy, Lease, MultiplexedPool, PoolStats
from redis_oxide._retry import Retry
from redis_oxide._url import parse_url

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from redis_oxide._pipeline import Pipeline
    from redis_oxide._scripting import Library, Script
    from redis_oxide._transaction import Transaction

__all__ = ["Redis", "StrT", "from_url"]

logger = logging.getLogger("redis_oxide.client")

T = TypeVar("T")

# Pooled clients: 10 connections serves a typical web worker; redis-py's
# BlockingConnectionPool defaults to 50, asyncpg's pool to 10.
_DEFAULT_MAX_CONNECTIONS = 10
# A caller waiting this long for a pooled connection is better told the pool is too small;
# redis-py's BlockingConnectionPool waits 20 s.
_DEFAULT_POOL_TIMEOUT = 10.0
# How long aclose() lets replies in flight arrive before it aborts the shared connections.
_CLOSE_GRACE = 5.0

_UNSET: Any = object()


class Redis(Commands[StrT], Generic[StrT]):
    """An asyncio Redis client for one server (TCP, TLS or unix socket).

    ``Redis()`` returns ``Redis[bytes]``; ``Redis(decode_responses=True)`` returns
    ``Redis[str]``. Connections open lazily on the first command. Use ``async with`` or
    ``await client.aclose()`` to release them.

    Args:
        host: Server host name or address.
        port: Server TCP port.
        decode_responses: Decode string replies to ``str`` (with ``encoding``).
        **options: See ``ClientOptions``: ``db``, ``username``, ``password``, ``protocol``
            (3, or 2 for RESP2), ``ssl`` (True or an ``ssl.SSLContext``), ``ssl_ca_certs``,
            ``ssl_certfile``, ``ssl_keyfile``, ``ssl_cert_reqs``, ``ssl_check_hostname``,
            ``unix_socket_path``, ``strategy`` (``"multiplexed"`` or ``"pooled"``),
            ``max_connections``, ``multiplexed_connections``, ``connect_timeout``,
            ``command_timeout``, ``pool_timeout``, ``retry``, ``client_name``,
            ``encoding``, ``encoding_errors``.

    Raises:
        ValueError: An option has an invalid value.
        TypeError: An unknown option was given.
    """

    @overload
    def __init__(
        self: Redis[bytes],
        host: str = ...,
        port: int = ...,
        *,
        decode_responses: Literal[False] = ...,
        **options: Unpack[ClientOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Redis[str],
        host: str = ...,
        port: int = ...,
        *,
        decode_responses: Literal[True],
        **options: Unpack[ClientOptions],
    ) -> None: ...

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        *,
        decode_responses: bool = False,
        **options: Unpack[ClientOptions],
    ) -> None:
        unknown = set(options) - set(ClientOptions.__annotations__)
        if unknown:
            raise TypeError(f"Redis() got unknown options: {', '.join(sorted(unknown))}")
        protocol = options.get("protocol", 3)
        if protocol not in (2, 3):
            raise ValueError(f"protocol must be 2 or 3, got {protocol!r}")
        self._config = ConnectionConfig(
            host=host,
            port=port,
            unix_path=options.get("unix_socket_path"),
            ssl_context=_ssl_context(options),
            username=options.get("username"),
            password=options.get("password"),
            db=options.get("db", 0),
            protocol=protocol,
            client_name=options.get("client_name"),
            encoding=options.get("encoding", "utf-8") if decode_responses else None,
            encoding_errors=options.get("encoding_errors", "strict"),
            connect_timeout=options.get("connect_timeout", 10.0),
        )
        self._retry = options.get("retry", Retry())
        self._command_timeout: float | None = options.get("command_timeout")
        self._strategy_name = options.get("strategy", "multiplexed")
        max_connections = options.get("max_connections", _DEFAULT_MAX_CONNECTIONS)
        pool_timeout = options.get("pool_timeout", _DEFAULT_POOL_TIMEOUT)
        self._strategy: ConnectionStrategy
        if self._strategy_name == "multiplexed":
            self._strategy = MultiplexedPool(
                self._config,
                connections=options.get("multiplexed_connections", 1),
                max_dedicated=max_connections,
                pool_timeout=pool_timeout,
                retry=self._retry,
            )
        elif self._strategy_name == "pooled":
            self._strategy = ConnectionPool(
                self._config, max_connections=max_connections, pool_timeout=pool_timeout
            )
        else:
            raise ValueError(
                f"strategy must be 'multiplexed' or 'pooled', not {self._strategy_name!r}"
            )
        self._is_view = False
        self._closed = False
        # Re-runs of commands whose connection was lost; asyncio keeps tasks only weakly.
        self._rerunning: set[asyncio.Task[None]] = set()
        self._bind_hooks()

    def _bind_hooks(self) -> None:
        # Bound once, not per command: the hot path hands one of these to every send.
        self._lost_read: LostHook = self._rerun_read
        self._lost_unsent: LostHook = self._rerun_unsent

    # -- construction helpers ---------------------------------------------------------------

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: Literal[False] = ..., **options: Unpack[ClientOptions]
    ) -> Redis[bytes]: ...

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: Literal[True], **options: Unpack[ClientOptions]
    ) -> Redis[str]: ...

    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: bool = _UNSET, **options: Unpack[ClientOptions]
    ) -> Redis[bytes] | Redis[str]:
        """Build a client from a URL; see the module function ``from_url``.

        Args:
            url: ``redis://``, ``rediss://`` or ``unix://`` URL.
            decode_responses: Decode string replies to ``str``.
            **options: Client options overriding those in the URL.

        Returns:
            A new client.

        Raises:
            ValueError: The URL is malformed or has an unknown option.
        """
        host, port, parsed, url_decode = parse_url(url)
        merged: ClientOptions = {**parsed, **options}
        decode = decode_responses if decode_responses is not _UNSET else bool(url_decode)
        if decode:
            return Redis(host, port, decode_responses=True, **merged)
        return Redis(host, port, decode_responses=False, **merged)

    def with_options(self, *, command_timeout: float | None = _UNSET) -> Redis[StrT]:
        """Return a view of this client with other per-call settings.

        The view shares this client's connections; closing the view does nothing, closing
        this client closes both.

        Args:
            command_timeout: Seconds to wait for each reply; None waits indefinitely.

        Returns:
            A light client view.
        """
        view = copy.copy(self)
        view._is_view = True
        view._bind_hooks()
        if command_timeout is not _UNSET:
            view._command_timeout = command_timeout
        return view

    # -- executing --------------------------------------------------------------------------

    def _execute(
        self,
        meta: CommandMeta,
        args: tuple[ArgT, ...],
        parser: Callable[[Any], T] | None,
    ) -> Awaitable[T]:
        # _dispatch inlined for the common case (a ready shared connection, no blocking
        # command): no _dispatch, ready_connection or is_available frame per command.
        if not meta.is_blocking:
            conn = self._strategy.sole
            if conn is None or not conn.available:
                conn = self._strategy.ready_connection()
            if conn is not None:
                result: Awaitable[T] = conn.send(
                    args,
                    parser,
                    meta.name,
                    self._command_timeout,
                    meta.binary_reply,
                    self._lost_read if meta.is_readonly else self._lost_unsent,
                )
                return result
        return self._dispatch(
            meta.name, args, parser, meta.is_readonly, meta.is_blocking, meta.binary_reply
        )

    async def execute_command(self, *args: ArgT) -> Reply:
        """Send a raw command and return its decoded reply.

        Args:
            *args: The command name (``"GET"``, ``"CLIENT"``, ...) and its arguments.

        Returns:
            The reply as decoded (``bytes``/``str``, ``int``, ``float``, ``bool``, ``list``,
            ``dict`` or None). Binary replies (DUMP) stay ``bytes`` on a decoding client.

        Raises:
            InvalidUsageError: The command changes connection state; the message names
                the API to use instead.
            TypeError: An argument cannot be sent (``bool``, ``None`` ...).
            ServerError: The server refused the command.
            CommandTimeoutError: No reply within ``command_timeout``.
            ConnectionLostError: The connection died; ``may_have_executed`` tells whether
                the command may have run.
        """
        if not args:
            raise TypeError("execute_command() needs at least the command name")
        name, readonly, blocking, binary = command_info(args)
        reply: Reply = await self._dispatch(name, args, None, readonly, blocking, binary)
        return reply

    def _dispatch(
        self,
        name: str,
        args: Sequence[ArgT],
        parser: Callable[[Any], T] | None,
        readonly: bool,
        blocking: bool,
        binary: bool,
    ) -> Awaitable[T]:
        if blocking and _blocks_with(name, args):
            return self._call_slow(name, args, parser, readonly, True, binary, None, 0)
        conn = self._strategy.ready_connection()
        timeout = self._command_timeout
        if conn is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            return self._call_slow(name, args, parser, readonly, False, binary, deadline, 0)
        on_lost = self._lost_read if readonly else self._lost_unsent
        result: Awaitable[T] = conn.send(args, parser, name, timeout, binary, on_lost)
        return result

    def _rerun_read(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        name: str,
        binary: bool,
        deadline: float | None,
        error: RedisError,
        /,
    ) -> bool:
        # A read-only command cannot do harm twice: re-run it whether or not it was written.
        return self._rerun(future, args, parser, name, True, binary, deadline, error)

    def _rerun_unsent(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        name: str,
        binary: bool,
        deadline: float | None,
        error: RedisError,
        /,
    ) -> bool:
        # A write is re-run only when its bytes never left the client.
        if not isinstance(error, ConnectionLostError) or error.may_have_executed:
            return False
        return self._rerun(future, args, parser, name, False, binary, deadline, error)

    def _rerun(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        name: str,
        readonly: bool,
        binary: bool,
        deadline: float | None,
        error: RedisError,
    ) -> bool:
        """Take over ``future`` after a lost connection: re-run the command in a task.

        Called by the connection, synchronously, while it fails its pending commands;
        ``deadline`` is on the loop's clock. Returns False to leave ``error`` to the caller.
        """
        if not isinstance(error, ConnectionLostError) or self._retry.attempts <= 1:
            return False
        logger.debug("%s: connection lost, retrying", name)
        loop = future.get_loop()
        if deadline is not None:
            deadline = time.monotonic() + (deadline - loop.time())
        rerun = self._call_slow(name, args, parser, readonly, False, binary, deadline, 1)
        task = loop.create_task(_resolve(future, rerun))
        self._rerunning.add(task)
        task.add_done_callback(self._rerunning.discard)

        def cancel_rerun(done: asyncio.Future[Any]) -> None:
            if done.cancelled():
                task.cancel()  # the caller gave up

        future.add_done_callback(cancel_rerun)
        return True

    async def _call_slow(
        self,
        name: str,
        args: Sequence[ArgT],
        parser: Callable[[Any], T] | None,
        readonly: bool,
        blocking: bool,
        binary: bool,
        deadline: float | None,
        failures: int,
    ) -> T:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise CommandTimeoutError(
                    f"{name} did not complete within command_timeout={self._command_timeout} s",
                    command=name,
                    address=self._config.address,
                )
            try:
                result: T = await self._strategy.execute(
                    args, parser, name, remaining, blocking=blocking, binary=binary
                )
                return result
            except ConnectionLostError as exc:
                failures += 1
                if (exc.may_have_executed and not readonly) or failures >= self._retry.attempts:
                    raise
            delay = self._retry.delay(failures)
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - time.monotonic()))
            await asyncio.sleep(delay)

    async def _lease(self) -> Lease:
        """Lease a dedicated connection (pipelines, transactions, pub/sub).

        Returns:
            A lease on a connection nobody else uses until it is released.

        Raises:
            PoolTimeoutError: No dedicated connection became free within ``pool_timeout``.
        """
        return await self._strategy.lease()

    async def _shared_connection(self) -> Connection | None:
        """Return the shared connection a pipeline writes to; None for a pooled client.

        Raises:
            CommandTimeoutError: No connection within ``command_timeout``.
            ConnectFailedError: The server cannot be reached.
        """
        strategy = self._strategy
        if not isinstance(strategy, MultiplexedPool):
            return None
        conn = strategy.ready_connection()
        return conn or await strategy.shared_connection(self._command_timeout)

    # -- patterns: pipelines, transactions, scripting (built in their own modules) ----------

    def pipeline(self, transaction: bool = False, *, raise_on_error: bool = True) -> Pipeline[StrT]:
        """Start a pipeline: commands are queued and sent together.

        Args:
            transaction: Wrap the commands in MULTI/EXEC (atomic; no WATCH).
            raise_on_error: Raise the first command error from ``execute()``; otherwise
                errors are returned in their slots.

        Returns:
            A pipeline; use ``async with`` or call ``await pipeline.execute()``.
        """
        from redis_oxide._pipeline import Pipeline

        return Pipeline(self, transaction=transaction, raise_on_error=raise_on_error)

    async def transaction(
        self,
        func: Callable[[Transaction[StrT]], Awaitable[T]],
        *watch_keys: KeyT,
        retries: int | None = None,
        raise_on_error: bool = True,
    ) -> T:
        """Run ``func`` in an optimistic WATCH/MULTI/EXEC loop on a dedicated connection.

        ``func`` reads through the transaction it is given (those commands run at once),
        calls ``tx.multi()``, then queues commands; EXEC follows when it returns. If a
        watched key changed, the whole attempt (``func`` included) is retried.

        Args:
            func: The attempt; it may be run several times.
            *watch_keys: Keys to WATCH before each attempt.
            retries: Attempts after the first; None uses the default (16).
            raise_on_error: Raise the first error of a queued command.

        Returns:
            What ``func`` returned in the attempt that committed.

        Raises:
            WatchError: Every attempt lost its race.
            ExecAbortError: A queued command was invalid.
        """
        from redis_oxide._transaction import DEFAULT_RETRIES, run_transaction

        return await run_transaction(
            self,
            func,
            watch_keys,
            retries=DEFAULT_RETRIES if retries is None else retries,
            raise_on_error=raise_on_error,
        )

    def watch(
        self, *keys: KeyT, raise_on_error: bool = True
    ) -> AbstractAsyncContextManager[Transaction[StrT]]:
        """WATCH ``keys`` on a dedicated connection for a transaction written by hand.

        ``async with client.watch("k") as tx:`` reads with ``await tx.get("k")``, then
        ``tx.multi()`` and queued commands; EXEC runs when the block ends without error.

        Args:
            *keys: Keys to WATCH.
            raise_on_error: Raise the first error of a queued command.

        Returns:
            An async context manager yielding the transaction.

        Raises:
            ValueError: No key was given (raised on entering the block).
        """
        from redis_oxide._transaction import watch

        return watch(self, keys, raise_on_error=raise_on_error)

    def register_script(self, source: str | bytes, *, read_only: bool = False) -> Script:
        """Return a callable Lua script run by SHA1 (loaded on NOSCRIPT).

        Args:
            source: The Lua source.
            read_only: Use EVALSHA_RO; the script must not write.

        Returns:
            The script; ``await script(keys=[...], args=[...])`` runs it.
        """
        from redis_oxide._scripting import Script

        return Script(self, source, read_only=read_only)

    def library(self, code: str | bytes) -> Library:
        """Return a function library helper (FUNCTION LOAD, FCALL, FCALL_RO).

        Args:
            code: The library source, starting with ``#!lua name=<library>``.

        Returns:
            The library; ``await lib.load()`` loads it, ``await lib.call(...)`` calls.

        Raises:
            ValueError: The code has no ``#!lua name=...`` first line.
        """
        from redis_oxide._scripting import Library

        return Library(self, code)

    # -- introspection and lifecycle --------------------------------------------------------

    @property
    def command_timeout(self) -> float | None:
        """Seconds each non-blocking command waits for its reply; None waits indefinitely."""
        return self._command_timeout

    def stats(self) -> PoolStats:
        """Return connection counts (connections, pending, leased, reconnects ...).

        Returns:
            A snapshot of the strategy's bookkeeping.
        """
        return self._strategy.stats()

    def __repr__(self) -> str:
        s = self._strategy.stats()
        closed = " closed" if self._closed else ""
        view = " view" if self._is_view else ""
        return (
            f"<redis_oxide.Redis {self._config.address} db={self._config.db} "
            f"protocol={self._config.protocol} strategy={s.strategy} "
            f"connections={s.connections} pending={s.pending} leased={s.leased} "
            f"reconnects={s.reconnects}{view}{closed}>"
        )

    async def aclose(self) -> None:
        """Close every connection; replies in flight get a short grace period.

        Calling it on a ``with_options`` view does nothing; calling it twice is harmless.
        """
        if self._is_view or self._closed:
            return
        self._closed = True
        if isinstance(self._strategy, MultiplexedPool):
            await self._strategy.aclose(_CLOSE_GRACE)
        else:
            await self._strategy.aclose()

    async def __aenter__(self) -> Redis[StrT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


@overload
def from_url(
    url: str, *, decode_responses: Literal[False] = ..., **options: Unpack[ClientOptions]
) -> Redis[bytes]: ...


@overload
def from_url(
    url: str, *, decode_responses: Literal[True], **options: Unpack[ClientOptions]
) -> Redis[str]: ...


def from_url(
    url: str, *, decode_responses: bool = _UNSET, **options: Unpack[ClientOptions]
) -> Redis[bytes] | Redis[str]:
    """Build a client from a URL.

    ``redis://[[user]:password@]host[:port][/db][?option=value...]``, ``rediss://`` for TLS,
    ``unix://[[user]:password@]/path/to.sock[?db=N]``. Query options: ``db``,
    ``protocol``, ``decode_responses``, ``command_timeout`` (alias ``socket_timeout``),
    ``connect_timeout`` (alias ``socket_connect_timeout``), ``pool_timeout``,
    ``client_name``, ``strategy``, ``max_connections``, ``ssl_cert_reqs``,
    ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``, ``ssl_check_hostname``.
    ``decode_responses`` in the URL takes effect at run time; type checkers only see the
    keyword argument, so pass ``decode_responses=True`` to get ``Redis[str]`` statically.

    Args:
        url: The URL.
        decode_responses: Decode string replies to ``str``; overrides the URL.
        **options: Client options overriding those in the URL.

    Returns:
        A new client.

    Raises:
        ValueError: The URL is malformed or has an unknown option.
    """
    if decode_responses is _UNSET:
        return Redis.from_url(url, **options)
    if decode_responses:
        return Redis.from_url(url, decode_responses=True, **options)
    return Redis.from_url(url, decode_responses=False, **options)


def _ssl_context(options: ClientOptions) -> _ssl.SSLContext | None:
    ssl_option = options.get("ssl", False)
    if isinstance(ssl_option, _ssl.SSLContext):
        return ssl_option
    if not ssl_option:
        return None
    return build_ssl_context(
        ca_certs=options.get("ssl_ca_certs"),
        certfile=options.get("ssl_certfile"),
        keyfile=options.get("ssl_keyfile"),
        cert_reqs=options.get("ssl_cert_reqs", "required"),
        check_hostname=options.get("ssl_check_hostname"),
    )


async def _resolve(future: asyncio.Future[Any], work: Awaitable[Any]) -> None:
    # Runs a command's re-run and hands its outcome to the future its caller awaits.
    try:
        result = await work
    except asyncio.CancelledError:
        future.cancel()
        raise
    except BaseException as exc:
        if not future.done():
            future.set_exception(exc)
    else:
        if not future.done():
            future.set_result(result)


def _blocks_with(name: str, args: Sequence[ArgT]) -> bool:
    # XREAD and XREADGROUP carry the blocking flag but only block with a BLOCK option
    # (which comes before STREAMS); without it they are ordinary reads and stay shared.
    if name != "XREAD" and name != "XREADGROUP":
        return True
    for arg in args[1:]:
        if isinstance(arg, bytes | str):
            token = arg.upper() if isinstance(arg, str) else arg.decode("latin-1").upper()
            if token == "BLOCK":
                return True
            if token == "STREAMS":
                return False
    return False
