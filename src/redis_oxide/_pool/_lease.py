"""A dedicated connection handed to one holder until released.

A lease remembers the connection's lease generation at the moment it was granted. The pool
bumps the generation on every release, so a lease that outlives its release can never act
on a connection that now serves someone else: every guarded method compares generations
first and raises an error naming the method.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar, overload

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection import Connection, PushHandler
from redis_oxide._exceptions import InvalidUsageError
from redis_oxide._parsers import Reply
from redis_oxide._raw_commands import lookup_meta

__all__ = ["Lease"]

#: Called with (connection, discard) when a lease ends.
ReleaseHook = Callable[[Connection, bool], None]

T = TypeVar("T")


class Lease:
    """Exclusive use of one connection (blocking commands, transactions, pub/sub)."""

    __slots__ = ("_connection", "_generation", "_release_hook", "_released")

    def __init__(self, connection: Connection, release_hook: ReleaseHook) -> None:
        self._connection = connection
        self._generation = connection.lease_generation
        self._release_hook = release_hook
        self._released = False

    def _checked(self, method: str) -> Connection:
        conn = self._connection
        if self._released or conn.lease_generation != self._generation:
            raise InvalidUsageError(
                f"Lease.{method}() called after the lease was released; "
                "acquire a new lease instead",
                address=conn.address,
            )
        return conn

    @property
    def connection(self) -> Connection:
        """The leased connection.

        Raises:
            InvalidUsageError: The lease was released.
        """
        return self._checked("connection")

    def is_released(self) -> bool:
        """Whether the lease has ended."""
        return self._released

    def send(
        self,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None = None,
        meta: CommandMeta | None = None,
        timeout: float | None = None,
    ) -> asyncio.Future[Any]:
        """Queue one command on the leased connection.

        Args:
            args: Wire arguments, command name first.
            parser: Applied to the decoded reply; None keeps it as decoded.
            meta: The command's metadata; looked up from ``args`` when None.
            timeout: Seconds to wait for the reply; None waits as long as needed.

        Returns:
            The future of the reply.

        Raises:
            InvalidUsageError: The lease was released.
            ConnectionClosedError: The connection is closed.
            TypeError: An argument cannot be encoded.
        """
        conn = self._checked("send")
        return conn.send(args, parser, meta or lookup_meta(args), timeout)

    def send_without_reply(self, args: Sequence[ArgT]) -> None:
        """Write a command whose answers arrive as push frames.

        Args:
            args: Wire arguments, command name first.

        Raises:
            InvalidUsageError: The lease was released.
            ConnectionClosedError: The connection is closed.
        """
        self._checked("send_without_reply").send_without_reply(args)

    def set_push_handler(self, handler: PushHandler | None, *, raw_replies: bool = False) -> None:
        """Route push frames (and with ``raw_replies`` unsolicited replies) to ``handler``.

        Args:
            handler: Called with each frame; None drops them.
            raw_replies: Also route replies no command waits for (RESP2 pub/sub).

        Raises:
            InvalidUsageError: The lease was released.
        """
        conn = self._checked("set_push_handler")
        conn.push_handler = handler
        conn.raw_replies = raw_replies

    def pause_reading(self) -> None:
        """Stop reading from the leased connection's socket; see ``Connection.pause_reading``.

        Raises:
            InvalidUsageError: The lease was released.
        """
        self._checked("pause_reading").pause_reading()

    def resume_reading(self) -> None:
        """Read from the leased connection's socket again after ``pause_reading``.

        Raises:
            InvalidUsageError: The lease was released.
        """
        self._checked("resume_reading").resume_reading()

    @overload
    async def execute(self, *args: ArgT, reply_timeout: float | None = None) -> Reply: ...
    @overload
    async def execute(
        self, *args: ArgT, parser: Callable[[Any], T], reply_timeout: float | None = None
    ) -> T: ...
    async def execute(
        self,
        *args: ArgT,
        parser: Callable[[Any], Any] | None = None,
        reply_timeout: float | None = None,
    ) -> Any:
        """Send one command and wait for its reply.

        Args:
            *args: Wire arguments, command name first.
            parser: Applied to the decoded reply.
            reply_timeout: Seconds to wait for the reply.

        Returns:
            The (parsed) reply.

        Raises:
            InvalidUsageError: The lease was released.
            ConnectionClosedError: The connection is closed.
            ServerError: The server answered with an error.
        """
        return await self._checked("execute").send(args, parser, lookup_meta(args), reply_timeout)

    def release(self, *, discard: bool = False) -> None:
        """End the lease; calling it again does nothing.

        A connection with replies still outstanding, or one whose session state was
        changed, should be released with ``discard=True`` so the pool closes it.

        Args:
            discard: Close the connection instead of returning it to the pool.
        """
        if self._released:
            return
        self._released = True
        conn = self._connection
        conn.push_handler = None
        conn.raw_replies = False
        conn.resume_reading()  # a paused connection would stall its next holder
        self._release_hook(conn, discard or not conn.is_idle())

    async def __aenter__(self) -> Lease:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release(discard=exc_type is not None and not self._connection.is_idle())

    def __repr__(self) -> str:
        state = "released" if self._released else "active"
        return f"<Lease {state} gen={self._generation} {self._connection!r}>"
