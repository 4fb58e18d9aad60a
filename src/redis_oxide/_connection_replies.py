"""Where a connection's replies go: batch collectors, the undecoded marker, text decoding.

Rules this module keeps:

- A batch (pipelines, transactions) is one FIFO entry (``BatchChunk``) with one future.
  Server and parser errors are slot values; the errors a connection raises about itself
  (lost, closed, timed out) fail the batch as a whole, once.
- A pending entry whose parser is an ``Undecoded``, or a batch position in
  ``BatchChunk.binary``, is read with ``next_reply(False)``: its text stays ``bytes`` on a
  decoding connection (DUMP payloads are not text). The marker is itself a valid parser, so a
  reader that does not look for it still gets a correct value, only decoded.
- The errors a caller gets instead of a reply are built in ``_connection_errors`` (re-exported
  here), each with the command name and the address, chained ``from`` the cause.
- ``decode_text`` turns a reply read undecoded into what the decoder would have returned
  with its encoding; it is used for push frames read while a binary reply was expected and
  for the slots of an undecoded EXEC reply that are not binary.
- A pending ``Entry`` carries a ``FailureHook`` and the wire arguments only for the failure
  path: ``offer_failure`` hands a lost or redirected command to its hook (executors re-run
  retryable commands so) and a failing hook never keeps the other callers from their errors.
- A reply whose text does not decode fails only the command that read it
  (``ReplyDecodeError``, built by ``decode_failure``); the decoder has consumed the whole
  reply, so the stream stays in step.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Protocol, cast

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection_errors import refusal_error, unanswered_error
from redis_oxide._connection_text import take_failure
from redis_oxide._exceptions import CommandTimeoutError, RedisError
from redis_oxide._protocol import NOT_ENOUGH, PushMessage

__all__ = [
    "BatchChunk",
    "Entry",
    "FailureHook",
    "ReplySink",
    "Undecoded",
    "blocking_pending",
    "fail_entries",
    "future_factory",
    "offer_failure",
    "pending_commands",
    "refusal_error",
    "time_out_entries",
    "unanswered_error",
]

logger = logging.getLogger("redis_oxide.connection")


class ReplySink(Protocol):
    """Where one reply goes: a future, or the shared collector of a batch."""

    def done(self) -> bool: ...
    def set_result(self, result: Any, /) -> None: ...
    def set_exception(self, exception: BaseException, /) -> None: ...


class FailureHook(Protocol):
    """Offered a command that failed in a way another try may fix.

    Called, synchronously, when the connection is lost before the command's reply arrived
    (``error`` is the ``ConnectionLostError`` the caller would get) or when the reply is a
    server error whose class is ``reroutable`` (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, READONLY,
    LOADING, MASTERDOWN). Returns True when it took the future over (it will resolve it, by
    re-running the command where it belongs); False leaves ``error`` to the caller. It is also
    shown a ``CommandTimeoutError`` when the command's deadline passes, for notice only: the
    caller gets that error whatever the hook returns, and a hook must return False.
    """

    def __call__(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        meta: CommandMeta,
        deadline: float | None,
        error: RedisError,
        /,
    ) -> bool: ...


# One pending entry: (future or batch sink, parser or None, command metadata, absolute
# deadline or None, failure hook or None, wire arguments or None). A plain tuple is the
# cheapest record CPython can build on the hot path; the metadata only names the command in
# errors, and the last two only matter when the command fails.
Entry = tuple[
    ReplySink,
    Callable[[Any], Any] | None,
    CommandMeta,
    float | None,
    FailureHook | None,
    Sequence[ArgT] | None,
]


def future_factory(loop: asyncio.AbstractEventLoop) -> Callable[[], asyncio.Future[Any]]:
    """Return the cheapest way to make a future bound to ``loop``.

    asyncio's ``create_future`` is a Python method around the C ``Future``; calling the
    class through a ``functools.partial`` skips that frame (one per command). Other loops
    (uvloop) keep their own ``create_future``, already C.

    Args:
        loop: The loop the futures belong to.

    Returns:
        A no-argument callable returning a new future.
    """
    if type(loop).create_future is asyncio.BaseEventLoop.create_future:
        return cast(
            "Callable[[], asyncio.Future[Any]]", functools.partial(asyncio.Future, loop=loop)
        )
    return loop.create_future


class BatchChunk:
    """The single FIFO entry of a whole batch (a pipeline chunk, a transaction).

    The reader puts the batch's replies in ``replies`` as they come (``collect``) and the
    entry leaves the FIFO once all ``count`` are in; ``finish`` then turns them into the
    batch's values in one pass and resolves the future once. Server errors and parser
    failures become slot values; the errors a connection raises about itself (lost, closed,
    timed out) reach ``set_exception`` and fail the whole batch.
    """

    __slots__ = ("binary", "count", "done", "future", "metas", "parsers", "replies")

    def __init__(
        self,
        future: asyncio.Future[list[Any]],
        parsers: Sequence[Callable[[Any], Any] | None],
        metas: Sequence[CommandMeta],
        binary: frozenset[int] = frozenset(),
    ) -> None:
        self.future = future
        self.parsers = parsers
        self.metas = metas
        #: Positions whose replies are read undecoded (binary data on a decoding connection).
        self.binary = binary
        self.count = len(parsers)
        self.replies: list[Any] = []
        self.done = future.done

    def set_result(self, result: Any, /) -> None:
        raise AssertionError("a batch is resolved by finish(), not reply by reply")

    def set_exception(self, exception: BaseException, /) -> None:
        if not self.future.done():
            self.future.set_exception(exception)

    def collect(
        self,
        reply: Any,
        next_reply: Callable[[], Any],
        on_push: Callable[[Any], None],
        failures: list[UnicodeDecodeError],
        address: str,
    ) -> bool:
        """Take ``reply`` and every further one already buffered, up to ``count``.

        ``reply`` has been checked for decoding failures; later replies are checked here: a
        reply that did not decode fills its slot with a ``ReplyDecodeError``.

        Returns:
            True once all the batch's replies are in.
        """
        replies = self.replies
        append = replies.append
        append(reply)
        missing = self.count - len(replies)
        while missing:
            reply = next_reply()
            if reply is NOT_ENOUGH:
                return False
            if type(reply) is PushMessage:
                on_push(reply)
                continue
            if failures:
                reply = take_failure(failures, self.metas[len(replies)], None, address)
            append(reply)
            missing -= 1
        return True

    def finish(self, address: str) -> None:
        """Resolve the future with one value per command (unless it is already done)."""
        future = self.future
        if future.done():  # the caller was cancelled or timed out: drop the replies
            return
        replies = self.replies
        parsers = self.parsers
        # The distinct reply types first, in C: a batch without errors (the common case)
        # then has its parsers applied column-wise, with no per-reply isinstance.
        if any(issubclass(kind, BaseException) for kind in set(map(type, replies))):
            future.set_result(self._slot_by_slot(address))
            return
        first = parsers[0]
        try:
            if parsers.count(first) == len(parsers):
                results = replies if first is None else list(map(first, replies))
            else:
                results = [
                    reply if parser is None else parser(reply)
                    for reply, parser in zip(replies, parsers, strict=True)
                ]
        except Exception:  # a parser failed: find its slot
            results = self._slot_by_slot(address)
        future.set_result(results)

    def _slot_by_slot(self, address: str) -> list[Any]:
        results: list[Any] = []
        append = results.append
        for reply, parser, meta in zip(self.replies, self.parsers, self.metas, strict=True):
            if isinstance(reply, BaseException):
                if isinstance(reply, RedisError):
                    reply.command = meta.name
                    reply.address = address
                append(reply)
            elif parser is None:
                append(reply)
            else:
                try:
                    append(parser(reply))
                except Exception as exc:  # a parser bug fails its slot, not the batch
                    append(exc)
        return results


class Undecoded:
    """Marks a pending entry whose reply must be read without text decoding.

    Args:
        parser: The command's own parser, applied to the undecoded reply; None keeps it.
    """

    __slots__ = ("parser",)

    def __init__(self, parser: Callable[[Any], Any] | None) -> None:
        self.parser = parser

    def __call__(self, reply: Any) -> Any:
        parser = self.parser
        return reply if parser is None else parser(reply)


def pending_commands(pending: Collection[Entry]) -> int:
    """Count the commands behind FIFO entries (a batch entry stands for many).

    Args:
        pending: A connection's FIFO.

    Returns:
        How many commands still wait for their reply.
    """
    return len(pending) + sum(
        sink.count - len(sink.replies) - 1 for sink, *_ in pending if type(sink) is BatchChunk
    )


def time_out_entries(pending: Collection[Entry], now: float, address: str) -> float | None:
    """Fail the entries whose deadline has passed with ``CommandTimeoutError``.

    Their commands were sent, so the errors say they may have run (``may_have_executed``).

    Each failed entry's hook is shown the error first, for notice only: a hook cannot take a
    command over once its deadline has passed.

    Args:
        pending: A connection's FIFO; the entries stay in it (their replies are still due).
        now: The loop time, slack included.
        address: The server address, for the errors.

    Returns:
        The nearest deadline still ahead, or None.
    """
    nearest: float | None = None
    for fut, parser, meta, deadline, hook, args in pending:
        if deadline is None or fut.done():
            continue
        if deadline <= now:
            name = meta.name
            if type(fut) is BatchChunk and len(fut.metas) > 1:
                # A batch: its first command (MULTI) most likely answered at once; say what
                # the wait was for. A transaction's late reply is EXEC's.
                last = fut.metas[-1].name
                if name == "MULTI" and last == "EXEC":
                    what, name = "the transaction (MULTI ... EXEC)", "EXEC"
                else:
                    what = f"the batch of {len(fut.metas)} commands from {name}"
                text = f"{what} got no full reply from {address} in time"
            else:
                text = f"{name} got no reply from {address} in time"
            # Written, or in the write buffer and leaving with the next flush: it may run.
            err = CommandTimeoutError(
                f"{text}; it may have run", may_have_executed=True, command=name, address=address
            )
            if hook is not None and args is not None:
                # For notice only (a cluster learns its node hangs); the caller gets the error.
                offer_failure(hook, fut, args, parser, meta, deadline, err)
            fut.set_exception(err)
        elif nearest is None or deadline < nearest:
            nearest = deadline
    return nearest


def fail_entries(
    pending: collections.deque[Entry],
    sent: int,
    cause: BaseException | None,
    address: str,
    *,
    on_purpose: bool,
) -> None:
    """Empty the FIFO of a connection that ended, failing (or handing over) every entry.

    Args:
        pending: The FIFO; emptied.
        sent: How many entries, from the head, had their bytes written.
        cause: Why the connection ended; None when it was closed on purpose.
        address: The server address, for the errors.
        on_purpose: The connection was closed by ``aclose``/``abort``, not lost.
    """
    index = 0
    while pending:
        fut, parser, meta, deadline, hook, args = pending.popleft()
        if not fut.done():
            err = unanswered_error(meta.name, address, index < sent, cause, on_purpose=on_purpose)
            if (
                hook is None
                or args is None
                or not offer_failure(hook, fut, args, parser, meta, deadline, err)
            ):
                fut.set_exception(err)
        index += 1


def offer_failure(
    hook: FailureHook,
    fut: ReplySink,
    args: Sequence[ArgT],
    parser: Callable[[Any], Any] | None,
    meta: CommandMeta,
    deadline: float | None,
    err: RedisError,
) -> bool:
    """Offer a failed command to its ``FailureHook``.

    Args:
        hook: The hook the command was sent with.
        fut: The command's future.
        args: Its wire arguments.
        parser: Its parser, possibly wrapped in ``Undecoded`` (unwrapped for the hook).
        meta: The command's metadata.
        deadline: Its absolute deadline on the loop's clock, or None.
        err: The error the caller gets unless the hook takes the future over.

    Returns:
        True when the hook took the future over.
    """
    if isinstance(parser, Undecoded):
        parser = parser.parser
    try:
        return hook(cast("asyncio.Future[Any]", fut), args, parser, meta, deadline, err)
    except Exception:  # a faulty hook must not keep the other callers from their errors
        logger.exception("failure hook failed for %s", meta.name)
        return False


def blocking_pending(pending: Iterable[Entry]) -> bool:
    """Whether a blocking command (BLPOP, XREAD BLOCK …) is among ``pending``.

    A graceful close does not wait for these: they wait for data, not for the server.

    Args:
        pending: A connection's FIFO.

    Returns:
        True when one entry, or one command of a batch entry, is blocking.
    """
    for entry in pending:
        head = entry[0]
        metas = head.metas if type(head) is BatchChunk else (entry[2],)
        if any(meta.is_blocking for meta in metas):
            return True
    return False
