"""What a subscriber connection's frames mean, and which command each answer belongs to.

Rules this module keeps:

- Frame names are looked up by their type (``bytes`` or ``str``, following the client), so
  a bytes name is never compared with a str one.
- The server answers a subscriber connection's commands in order, one confirmation per name
  (or one PONG, or one error reply for the whole command), with messages in between.
  ``Answers`` is the FIFO that tells which command an answer belongs to; an answer that does
  not fit its head means the stream is out of step.
- Names are kept as sent: ``str`` encoded as UTF-8 (as every command argument), so a ``str``
  and a ``bytes`` name are the same channel.
- Nothing here does I/O or awaits.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from redis_oxide._pubsub_types import Kind

__all__ = [
    "ANSWERS",
    "MESSAGE",
    "PMESSAGE",
    "PONG",
    "SMESSAGE",
    "Answers",
    "Request",
    "awaited",
    "frame_name",
    "is_pong",
    "unanswered",
    "wire_names",
]

MESSAGE: Final = "message"
PMESSAGE: Final = "pmessage"
SMESSAGE: Final = "smessage"
PONG: Final = "pong"
#: Frame names that answer a command (as opposed to carrying a message).
ANSWERS: Final = frozenset(
    {*(kind.subscribe.lower() for kind in Kind), *(kind.unsubscribe.lower() for kind in Kind), PONG}
)
_TEXT_NAMES: Final = {name: name for name in (MESSAGE, PMESSAGE, SMESSAGE, *ANSWERS)}
_BYTE_NAMES: Final = {name.encode(): name for name in _TEXT_NAMES}


def frame_name(head: object) -> str | None:
    """The canonical name of a frame whose first element is ``head``, or None."""
    if type(head) is bytes:
        return _BYTE_NAMES.get(head)
    if type(head) is str:
        return _TEXT_NAMES.get(head)
    return None


def is_pong(reply: object) -> bool:
    """Whether ``reply`` is a plain PONG (RESP3, or RESP2 before the first subscription)."""
    return (type(reply) is bytes and reply == b"PONG") or (type(reply) is str and reply == "PONG")


@dataclass(slots=True, eq=False)
class Request:
    """A command written to a subscriber connection and the answers it still expects."""

    command: str
    channels: tuple[bytes, ...]
    answer: str  # the frame name of each confirmation ("subscribe", "pong", ...)
    remaining: int
    future: asyncio.Future[None] | None
    kind: Kind | None = None  # None for PING
    added: tuple[bytes, ...] = ()  # what it put into the wanted set; forgotten if refused

    @classmethod
    def subscribe(
        cls,
        kind: Kind,
        channels: tuple[bytes, ...],
        future: asyncio.Future[None] | None,
        added: tuple[bytes, ...],
    ) -> Request:
        """A SUBSCRIBE (or kin) that put ``added`` into the wanted set."""
        answer = kind.subscribe.lower()
        return cls(kind.subscribe, channels, answer, len(channels), future, kind, added)

    @classmethod
    def unsubscribe(
        cls, kind: Kind, channels: tuple[bytes, ...], future: asyncio.Future[None]
    ) -> Request:
        """An UNSUBSCRIBE (or kin)."""
        answer = kind.unsubscribe.lower()
        return cls(kind.unsubscribe, channels, answer, len(channels), future, kind)

    @classmethod
    def ping(cls, future: asyncio.Future[None] | None) -> Request:
        """A PING: a health check, or the end of a restore."""
        return cls("PING", (), PONG, 1, future)

    @property
    def subscribes(self) -> bool:
        """Whether it is a SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE."""
        return self.kind is not None and self.command == self.kind.subscribe

    def resolve(self) -> None:
        """Tell whoever waits that the server confirmed it."""
        if self.future is not None and not self.future.done():
            self.future.set_result(None)


class Answers:
    """The commands written to one connection whose answers have not all arrived, in order."""

    __slots__ = ("_fifo",)

    def __init__(self) -> None:
        self._fifo: collections.deque[Request] = collections.deque()

    def __len__(self) -> int:
        return len(self._fifo)

    def expect(self, request: Request) -> None:
        """Note a command just written."""
        self._fifo.append(request)

    def answered(self, name: str) -> str | None:
        """Count one confirmation (or PONG) named ``name``; return what is wrong, if anything.

        The oldest command is resolved once its last answer has arrived.
        """
        fifo = self._fifo
        if not fifo or fifo[0].answer != name:
            waiting = fifo[0].answer if fifo else "nothing"
            return f"a {name!r} answer while waiting for {waiting!r}"
        head = fifo[0]
        head.remaining -= 1
        if head.remaining <= 0:
            fifo.popleft()
            head.resolve()
        return None

    def head(self) -> Request | None:
        """The oldest command still waiting for answers, or None."""
        return self._fifo[0] if self._fifo else None

    def waiting(self) -> tuple[Request, ...]:
        """Every command still waiting for answers, oldest first."""
        return tuple(self._fifo)

    def refused(self) -> Request | None:
        """Take the command an error reply answers (the oldest), or None if none waits."""
        return self._fifo.popleft() if self._fifo else None

    def drain(self) -> list[Request]:
        """Take every command still waiting (the connection is gone)."""
        requests = list(self._fifo)
        self._fifo.clear()
        return requests


def awaited(requests: Iterable[Request], kind: Kind) -> set[bytes]:
    """The names of ``kind`` that subscribe requests someone still waits for name."""
    return {
        name
        for request in requests
        if request.kind is kind
        and request.subscribes
        and request.future is not None
        and not request.future.done()
        for name in request.channels
    }


def unanswered(requests: Iterable[Request]) -> list[Request]:
    """Settle the requests of a connection that is gone; return the subscribes to send again.

    A subscribe someone waits for is sent again on the next connection. An unsubscribe is
    done (the next connection never subscribes its names); a PING is cancelled.
    """
    again: list[Request] = []
    for request in requests:
        future = request.future
        if future is None or future.done():
            continue
        if request.subscribes:
            again.append(request)
        elif request.kind is not None:
            future.set_result(None)
        else:
            future.cancel()
    return again


def wire_names(names: tuple[object, ...], method: str) -> tuple[bytes, ...]:
    """Channel names as sent (UTF-8 for ``str``, as every command argument), without repeats."""
    wires: list[bytes] = []
    for position, name in enumerate(names):
        if isinstance(name, str):
            wires.append(name.encode())
        elif isinstance(name, bytes):
            wires.append(bytes(name))
        else:
            raise TypeError(
                f"{method}() takes names as str or bytes, got {type(name).__name__} at "
                f"position {position}; pass several names as separate arguments"
            )
    return tuple(dict.fromkeys(wires))
