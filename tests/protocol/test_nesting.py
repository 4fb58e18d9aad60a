"""Both decoders read ``MAX_NESTING`` levels of aggregates and refuse one more with ``TOO_DEEP``.

The connection tells such a reply (valid RESP, only too deep) from a stream that is not RESP
by that message, so the figure and the text are pinned here for hiredis and the pure decoder.
"""

from __future__ import annotations

from typing import Literal

import pytest

from redis_oxide._exceptions import ProtocolError
from redis_oxide._protocol import HIREDIS_AVAILABLE, MAX_NESTING, NOT_ENOUGH, TOO_DEEP, make_decoder

# One header per aggregate kind that nests: array, map, set, push.
_HEADERS = {"array": b"*1\r\n", "map": b"%1\r\n:0\r\n", "set": b"~1\r\n", "push": b">1\r\n"}


@pytest.mark.parametrize("kind", sorted(_HEADERS))
@pytest.mark.parametrize("impl", ["hiredis", "python"])
def test_one_level_past_the_limit_is_refused_with_too_deep(
    impl: Literal["hiredis", "python"], kind: str
) -> None:
    assert HIREDIS_AVAILABLE or impl != "hiredis", "hiredis is a dependency"
    header = _HEADERS[kind]
    deepest = make_decoder(implementation=impl)
    deepest.feed(header * MAX_NESTING + b":1\r\n")
    assert deepest.next_reply() is not NOT_ENOUGH
    too_deep = make_decoder(implementation=impl)
    too_deep.feed(header * (MAX_NESTING + 1) + b":1\r\n")
    with pytest.raises(ProtocolError) as caught:
        too_deep.next_reply()
    assert caught.value.message == TOO_DEEP
