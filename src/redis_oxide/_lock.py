"""A lock held in one Redis key: ``SET NX PX`` with a random token, released by a script.

Rules this module keeps:

- The key's value is a token of 128 random bits, new for each acquisition. Releasing,
  extending and ``owned()`` compare it on the server (a script, or a GET compared here), so
  a holder whose lease ran out never deletes or extends the lock someone else took since:
  it gets ``LockNotOwnedError``.
- A ``Lock`` object is one holder. Acquiring it again while it holds the lock raises
  ``LockError`` at once (the lock is not reentrant, and waiting for its own expiry would
  only hang); tasks that compete for a lock each take their own ``client.lock(name)``. Any
  task may release or extend the object's lock (a watchdog that extends it, a hand-off).
- Nothing is left held by a call that did not return it. When an acquisition is cancelled
  while its ``SET`` is in flight, the ``SET`` itself is not abandoned: once its reply
  arrives, a lock it took is released in the background. When the ``SET`` fails with its
  outcome unknown (a timeout, a lost connection), the release is sent at once. A release
  that is cancelled (a second cancellation inside ``async with``) completes in the
  background too.
- A waiting acquisition polls, with a jittered delay that starts at a millisecond and
  doubles up to ``sleep``: a short critical section hands over in about a millisecond, a
  long one costs one ``SET`` per ``sleep`` per waiter.
- Bad options raise ``ValueError``/``TypeError`` when the lock is made, before anything is
  sent. Every command goes through the client's executor, so on a cluster each runs on the
  node of the lock's key.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: the lock's commands run through the executor
# seam, ``_execute``.)

from __future__ import annotations

import asyncio
import logging
import math
import random
import secrets
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Final

from redis_oxide._checks import checked_seconds
from redis_oxide._command import CommandExecutor, KeyT
from redis_oxide._exceptions import LockError, LockNotOwnedError
from redis_oxide._generated import _meta as _m
from redis_oxide._logs import log_fields
from redis_oxide._scripting import Script

__all__ = ["RELEASE_SOURCE", "RENEW_SOURCE", "Lock"]

_log = logging.getLogger("redis_oxide.client")

#: Deletes the key if it holds the token; 1 when it did.
RELEASE_SOURCE: Final = """\
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
#: Sets the key's time to live if it holds the token: ARGV[2] ms added to what is left, or
#: (ARGV[3] == '1') in its place; a sum is kept at ``MAX_TTL_MS`` (past it a Lua number
#: would reach PEXPIRE as "1e+17"). 1 when it did.
RENEW_SOURCE: Final = """\
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
local ttl = tonumber(ARGV[2])
if ARGV[3] ~= '1' then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then ttl = math.min(ttl + left, 9007199254740992) end
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"""

_FIRST_DELAY: Final = 0.001
# Background releases still running: referenced here so they are not collected mid-way.
_background: set[asyncio.Future[Any]] = set()


#: The longest time to live a lock sets, in ms (about 285,000 years). The server takes PX up to
#: 2**63-1 minus its clock in ms, but extend() and reacquire() pass the time through the
#: renewal script, where Lua numbers are doubles: 2**53 is the last integer they hold exactly.
MAX_TTL_MS: Final = 2**53


def _milliseconds(what: str, seconds: object, *, ttl: bool = False) -> int:
    checked = checked_seconds(what, seconds, finite=True, none=False)
    assert checked is not None  # none=False
    milliseconds = max(1, math.ceil(checked * 1000))
    if ttl and milliseconds > MAX_TTL_MS:
        raise ValueError(
            f"lock {what} must be at most {MAX_TTL_MS / 1000} seconds (2**53 ms, the longest "
            f"time to live a lock can set), not {seconds!r}"
            + (": use timeout=None for a lock that never expires" if what == "timeout" else "")
        )
    return milliseconds


def _checked_token(token: object) -> bytes:
    if not isinstance(token, bytes):
        raise TypeError(f"a lock token must be bytes, not {type(token).__name__}")
    if not token:
        raise ValueError("a lock token must not be empty")
    return token


def _forget(future: asyncio.Future[Any]) -> None:
    _background.discard(future)
    if not future.cancelled() and (error := future.exception()) is not None:
        _log.debug(
            "a background lock release failed: %r",
            error,
            extra=log_fields("lock_release_failed", error=error),
        )


def _in_background(work: Awaitable[Any]) -> asyncio.Future[Any]:
    future = asyncio.ensure_future(work)
    _background.add(future)
    future.add_done_callback(_forget)
    return future


class Lock:
    """A lock in one Redis key, for tasks and processes that share a server or cluster.

    Built by ``client.lock(name, ...)``. ``async with lock:`` acquires it (waiting as the
    lock's options say) and releases it; ``acquire``, ``release``, ``extend`` and
    ``reacquire`` do the same steps one by one. A lock lives at most ``MAX_TTL_MS`` (2**53
    ms) at a time: a longer timeout is refused, and extending past it stops there.

    Args:
        client: The executor the lock's commands run on.
        name: The key that holds the lock.
        timeout: Seconds the lock lives unless extended, so a holder that dies cannot keep
            it forever; None: until released.
        sleep: The longest pause, in seconds, between two attempts of a waiting acquisition.
        blocking: Whether ``acquire()`` waits for a held lock by default.
        blocking_timeout: Seconds ``acquire()`` waits at most by default; None: no limit.
        release_script: The release script bound to the client.
        renew_script: The extend script bound to the client.

    Raises:
        TypeError: ``name`` is not ``str`` or ``bytes``, or an option is not a number.
        ValueError: ``timeout`` or ``sleep`` is not positive, ``timeout`` is over
            ``MAX_TTL_MS`` (about 285,000 years), or ``blocking_timeout`` is negative.
    """

    __slots__ = (
        "_client",
        "_release_script",
        "_renew_script",
        "_timeout_ms",
        "_token",
        "blocking",
        "blocking_timeout",
        "name",
        "sleep",
        "timeout",
    )

    def __init__(
        self,
        client: CommandExecutor,
        name: KeyT,
        *,
        timeout: float | None,
        sleep: float,
        blocking: bool,
        blocking_timeout: float | None,
        release_script: Script,
        renew_script: Script,
    ) -> None:
        if not isinstance(name, str | bytes):
            raise TypeError(f"a lock's name must be str or bytes, not {type(name).__name__}")
        self._client = client
        self._release_script = release_script
        self._renew_script = renew_script
        self._timeout_ms = None if timeout is None else _milliseconds("timeout", timeout, ttl=True)
        self._token: bytes | None = None
        #: The key that holds the lock.
        self.name: str | bytes = name
        #: Seconds the lock lives unless extended; None: until released.
        self.timeout: float | None = None if timeout is None else float(timeout)
        #: The longest pause between two attempts of a waiting acquisition, in seconds.
        self.sleep: float = _milliseconds("sleep", sleep) / 1000
        #: Whether ``acquire()`` waits by default.
        self.blocking: bool = bool(blocking)
        #: Seconds ``acquire()`` waits at most by default; None: no limit.
        self.blocking_timeout: float | None = checked_seconds(
            "blocking_timeout", blocking_timeout, zero=True
        )

    @property
    def token(self) -> bytes | None:
        """The token this object holds the lock with, or None when it does not hold it."""
        return self._token

    async def acquire(
        self,
        *,
        blocking: bool | None = None,
        blocking_timeout: float | None = None,
        token: bytes | None = None,
    ) -> bool:
        """Take the lock, waiting for it if it is held and ``blocking`` says so.

        Args:
            blocking: Wait while another holder has it; None: the lock's ``blocking``.
            blocking_timeout: Seconds to wait at most; None: the lock's ``blocking_timeout``.
            token: The value to hold the lock with; by default 128 random bits. It must be
                unique to this holder.

        Returns:
            True when this object now holds the lock; False when it was held and the wait
            (if any) ran out.

        Raises:
            LockError: This object already holds the lock.
            TypeError: ``token`` is not ``bytes``.
            ValueError: ``blocking_timeout`` is negative, or ``token`` is empty.
        """
        if self._token is not None:
            raise LockError(
                f"this Lock already holds {self.name!r}: a lock is not reentrant, and each "
                "task that competes for it needs its own client.lock(name)",
                command="SET",
            )
        limit = checked_seconds("blocking_timeout", blocking_timeout, zero=True)
        if limit is None:
            limit = self.blocking_timeout
        if blocking is None:
            blocking = self.blocking
        token = secrets.token_hex(16).encode() if token is None else _checked_token(token)
        loop = asyncio.get_running_loop()
        deadline = None if limit is None else loop.time() + limit
        delay = min(_FIRST_DELAY, self.sleep)
        while True:
            if await self._try(token):
                self._token = token
                return True
            if not blocking:
                return False
            pause = delay * random.uniform(0.5, 1.0)
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    return False
                pause = min(pause, left)
            await asyncio.sleep(pause)
            delay = min(delay * 2, self.sleep)

    async def _try(self, token: bytes) -> bool:
        args: tuple[str | bytes | int, ...] = ("SET", self.name, token, "NX")
        if self._timeout_ms is not None:
            args = (*args, "PX", self._timeout_ms)
        reply: Awaitable[bytes | str | None] = self._client._execute(_m.SET, args, None)
        sent = asyncio.ensure_future(reply)
        try:
            # Shielded: a cancelled caller must not abandon a SET that may take the lock.
            return await asyncio.shield(sent) is not None
        except BaseException:
            # Cancelled or failed: whatever the SET took (now, later, or perhaps) is undone.
            sent.add_done_callback(self._undo(token))
            raise

    def _undo(self, token: bytes) -> Callable[[asyncio.Future[Any]], None]:
        # After an acquisition gave up on its SET: release what the SET took, if anything.
        def undo(sent: asyncio.Future[Any]) -> None:
            if sent.cancelled():
                return
            if sent.exception() is None and sent.result() is None:
                return  # the lock was held: nothing taken
            # Taken, or unknown (the connection died): the token is ours alone, so the
            # release can only ever delete what this acquisition took.
            _in_background(self._release_script(keys=[self.name], args=[token]))

        return undo

    async def release(self) -> None:
        """Release the lock this object holds.

        Raises:
            LockError: This object does not hold the lock.
            LockNotOwnedError: The lock expired before the release (another holder may have
                it now, and keeps it).
        """
        token = self._token
        if token is None:
            raise LockError(f"this Lock does not hold {self.name!r}", command="EVALSHA")
        self._token = None
        run = _in_background(self._release_script(keys=[self.name], args=[token]))
        # Shielded: cancelling the caller must not leave the lock held.
        if not await asyncio.shield(run):
            raise LockNotOwnedError(
                f"the lock {self.name!r} had expired before its release", command="EVALSHA"
            )

    async def extend(self, additional_time: float, *, replace_ttl: bool = False) -> None:
        """Give the held lock more time.

        Args:
            additional_time: Seconds added to the time the lock has left, or, with
                ``replace_ttl``, the time it has from now on.
            replace_ttl: Replace the time left instead of adding to it.

        Raises:
            LockError: This object does not hold the lock, or the lock has no timeout.
            LockNotOwnedError: The lock expired (another holder may have it now).
            TypeError, ValueError: ``additional_time`` is not a positive number, or is
                over ``MAX_TTL_MS`` (about 285,000 years).
        """
        milliseconds = _milliseconds("additional_time", additional_time, ttl=True)
        await self._renew(milliseconds, replace_ttl)

    async def reacquire(self) -> None:
        """Reset the held lock's time to live to its ``timeout``.

        Raises:
            LockError: This object does not hold the lock, or the lock has no timeout.
            LockNotOwnedError: The lock expired (another holder may have it now).
        """
        if self._timeout_ms is None:
            raise LockError(f"the lock {self.name!r} has no timeout to reset")
        await self._renew(self._timeout_ms, True)

    async def _renew(self, milliseconds: int, replace: bool) -> None:
        token = self._token
        if token is None:
            raise LockError(f"this Lock does not hold {self.name!r}", command="EVALSHA")
        if self._timeout_ms is None:
            raise LockError(f"the lock {self.name!r} has no timeout: it never expires")
        renewed = await self._renew_script(
            keys=[self.name], args=[token, milliseconds, "1" if replace else "0"]
        )
        if not renewed:
            self._token = None
            raise LockNotOwnedError(
                f"the lock {self.name!r} had expired before it was extended", command="EVALSHA"
            )

    async def locked(self) -> bool:
        """Whether anyone holds the lock now (EXISTS)."""
        count: int = await self._client._execute(_m.EXISTS, ("EXISTS", self.name), None)
        return count == 1

    async def owned(self) -> bool:
        """Whether this object holds the lock now, by the server's value (GET)."""
        token = self._token
        if token is None:
            return False
        value: bytes | str | None = await self._client._execute(_m.GET, ("GET", self.name), None)
        return value == (token if isinstance(value, bytes) else token.decode())

    async def __aenter__(self) -> Lock:
        if await self.acquire():
            return self
        if not self.blocking:
            reason = "it is held (blocking=False)"
        else:
            reason = f"it was held for the {self.blocking_timeout} s of blocking_timeout"
        raise LockError(f"could not acquire the lock {self.name!r}: {reason}", command="SET")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token is None and exc is not None:
            return  # the block lost the lock (a failed extend) or let it go: its error goes on
        await self.release()

    def __repr__(self) -> str:
        state = "held" if self._token is not None else "not held"
        return f"<redis_oxide.Lock name={self.name!r} timeout={self.timeout} {state}>"
