"""Checks that a call is refused before anything reaches the server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from redis_oxide import Redis

#: A call under test, given the client (as ``Any`` where the call is ill-typed on purpose).
Call = Callable[[Any], Awaitable[object]]


async def refused(
    r: Redis[str], call: Call, error: type[Exception], message: str, command: str
) -> None:
    """Assert that ``call`` raises ``error`` matching ``message`` and sends no ``command``."""
    await r.config_resetstat()
    with pytest.raises(error, match=message):
        await call(r)
    stats = await r.info(section=["commandstats"])
    sent = {name.removeprefix("cmdstat_") for name in stats}
    assert command.lower().replace(" ", "|") not in sent
