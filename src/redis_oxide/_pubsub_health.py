"""The health of one subscriber connection: is it alive, and since when may messages be missing.

Rules this module keeps:

- The health check wakes ``HEALTH_TICKS`` times per interval and rests while reading is
  paused. A link silent for ``PING_AFTER_TICKS`` ticks gets a PING; one silent for a whole
  interval is given up, and messages may be missing from the tick before it last spoke.
- Reading paused by back-pressure puts the link *behind*: what the server sends waits in
  the socket buffers, then in the server's output buffer, where the server may drop the
  subscriber (``client-output-buffer-limit pubsub``) without a word. The close is read only
  after that backlog, so a loss found while behind dates from the pause. The link has
  caught up once a tick passes with reading live and nothing to read. Nothing is written
  to find out: a write to a socket the server has closed draws a reset, and the kernel
  then discards the backlog that was still to be read.
- A loss says how the connection ended, as the connection recorded it (``Connection.cause``):
  an end of stream (``ConnectionClosedByPeer``: CLIENT KILL, a shutdown, a proxy) apart from
  a reset or another failure, which is chained as the ``__cause__``.
- A link lost less than ``STANDING`` seconds after its subscriptions were restored counts
  (``flaps``) towards the backoff before the next connect, as a failed reconnect does, so a
  server that drops the subscriber at once (an output buffer limit, a CLIENT KILL loop) is
  not hammered; it does not count against ``reconnect_retry``'s attempts. A link that stood
  that long starts over.
- Nothing here sends or reads: the subscriber passes in how to do both. Times are the
  running loop's clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

from redis_oxide._connection import Connection
from redis_oxide._connection_errors import ConnectionClosedByPeer
from redis_oxide._exceptions import ConnectionLostError

__all__ = ["HEALTH_TICKS", "PING_AFTER_TICKS", "STANDING", "LinkHealth"]

# The health check wakes this many times per interval: a link silent for a whole interval
# is dead, so it is noticed between 1 and 1.25 intervals after the last frame.
HEALTH_TICKS: Final = 4
# Silent ticks before a PING: the PONG then has half an interval to arrive.
PING_AFTER_TICKS: Final = 2
# A link restored at least this long before its loss stood: the next connect is not delayed.
STANDING: Final = 1.0
# Without a health check, how often a link that is behind looks whether it has caught up.
_CATCH_UP_TICK: Final = 1.0


def _now() -> float:
    return asyncio.get_running_loop().time()


class LinkHealth:
    """What one subscriber knows of its link: silence, back-pressure, and a loss's window.

    Args:
        interval: A link silent this long (seconds) is given up; None turns the check off.
    """

    def __init__(self, interval: float | None) -> None:
        self.interval = interval
        self.paused = False
        self._behind_since: float | None = None  # reading paused, backlog not yet read
        self._silent: tuple[ConnectionLostError, float] | None = None  # given up: why, since
        self._ended: BaseException | None = None  # what the connection recorded as its end
        self._restored_at: float | None = None  # when the subscriptions last stood
        self.flaps = 0  # links lost in a row less than STANDING after their restore

    # -- back-pressure -------------------------------------------------------------------------

    def pause(self) -> None:
        """Note that reading was paused."""
        self.paused = True
        if self._behind_since is None:
            self._behind_since = _now()

    def resume(self) -> None:
        """Note that reading resumed."""
        self.paused = False

    # -- a connection's life -----------------------------------------------------------------

    def attached(self) -> None:
        """A new connection: it is behind from the start if reading is paused."""
        self._behind_since = _now() if self.paused else None
        self._silent = None
        self._ended = None

    def restored(self) -> None:
        """The connection's subscriptions stand."""
        self._restored_at = _now()

    def loss(self, address: str) -> tuple[ConnectionLostError, float]:
        """Why the connection ended, and since when (loop clock) messages may be missing."""
        now = _now()
        restored, self._restored_at = self._restored_at, None
        if restored is not None:
            self.flaps = self.flaps + 1 if now - restored < STANDING else 0
        silent, self._silent = self._silent, None
        behind, self._behind_since = self._behind_since, None
        ended, self._ended = self._ended, None
        if behind is not None:
            since = behind if silent is None else min(behind, silent[1])
            # Redis closes a subscriber over its output limit without a word: only the
            # pause says that this is the likely reason.
            error = ConnectionLostError(
                f"subscriber connection to {address} ended while reading was paused (the "
                "reader was max_pending messages behind): most likely the server closed it "
                "because its output buffer passed client-output-buffer-limit pubsub, and "
                "messages published since the pause were lost; read faster, or raise that "
                "limit on the server",
                address=address,
            )
            if not _end_of_stream(ended):
                error.__cause__ = ended
            return error, since
        if silent is not None:
            return silent
        # Reading was live: the close was read when it came, after the last data.
        return _ended_error(address, ended), now

    # -- the health check ----------------------------------------------------------------------

    async def watch(
        self, conn: Connection, heard: Callable[[], int], ping: Callable[[], None]
    ) -> None:
        """Return when ``conn`` ends; end it when it stays silent for a whole interval.

        Args:
            conn: The subscriber connection.
            heard: Frames received so far on it.
            ping: Send a PING on it.
        """
        closed = asyncio.ensure_future(conn.wait_closed())
        tick = None if self.interval is None else self.interval / HEALTH_TICKS
        seen, silent = heard(), 0
        try:
            while True:
                done, _ = await asyncio.wait((closed,), timeout=tick or _CATCH_UP_TICK)
                if done:
                    # Tells an orderly close from a reset (``_ended_error``).
                    self._ended = conn.cause
                    return
                if self.paused or heard() != seen:
                    seen, silent = heard(), 0
                    continue
                self._behind_since = None  # reading live and nothing came: caught up
                if tick is None:
                    continue
                silent += 1
                if silent == HEALTH_TICKS:
                    lost = ConnectionLostError(
                        f"no reply from {conn.address} within "
                        f"health_check_interval={self.interval} s",
                        address=conn.address,
                    )
                    # The last frame came after the tick before the silence began.
                    self._silent = lost, _now() - (silent + 1) * tick
                    conn.fail(lost)
                elif silent == PING_AFTER_TICKS and conn.available:
                    ping()
        finally:
            closed.cancel()


def _end_of_stream(cause: BaseException | None) -> bool:
    # The peer closed in order (asyncio's ``connection_lost(None)``); a reset read from the
    # socket is a plain ConnectionResetError.
    return isinstance(cause, ConnectionClosedByPeer)


def _ended_error(address: str, cause: BaseException | None) -> ConnectionLostError:
    """The loss of a connection that ended while it was read, telling a close from a reset."""
    if cause is None:  # closed on purpose by its pool, not by the peer
        what = f"subscriber connection to {address} was closed by the client"
    elif _end_of_stream(cause):
        return ConnectionLostError(
            f"the server or the network closed subscriber connection to {address} (end of "
            "stream: CLIENT KILL, a server shutdown or restart, or a proxy closing it): "
            "subscriptions lost",
            address=address,
        )
    elif isinstance(cause, ConnectionResetError):
        what = f"the server or the network reset subscriber connection to {address} ({cause})"
    elif isinstance(cause, OSError):
        what = f"subscriber connection to {address} failed ({cause!r})"
    else:
        what = f"subscriber connection to {address} was given up ({cause})"
    error = ConnectionLostError(f"{what}: subscriptions lost", address=address)
    error.__cause__ = cause
    return error
