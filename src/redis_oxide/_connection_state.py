"""The states of a connection's life and the moves allowed between them.

Rules this module keeps:

- ``CLOSED`` and ``BROKEN`` are terminal: no move leaves them.
- ``LEGAL`` is the whole transition table; ``Connection._transition`` refuses anything else.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["LEGAL", "ConnectionState"]


class ConnectionState(enum.Enum):
    """Where a connection is in its life."""

    CONNECTING = "connecting"
    HANDSHAKING = "handshaking"
    READY = "ready"
    CLOSING = "closing"
    CLOSED = "closed"
    BROKEN = "broken"


_S = ConnectionState
LEGAL: Final[dict[ConnectionState, frozenset[ConnectionState]]] = {
    _S.CONNECTING: frozenset({_S.HANDSHAKING, _S.CLOSING, _S.CLOSED, _S.BROKEN}),
    _S.HANDSHAKING: frozenset({_S.READY, _S.CLOSING, _S.CLOSED, _S.BROKEN}),
    _S.READY: frozenset({_S.CLOSING, _S.CLOSED, _S.BROKEN}),
    _S.CLOSING: frozenset({_S.CLOSED, _S.BROKEN}),
    _S.CLOSED: frozenset(),
    _S.BROKEN: frozenset(),
}
