"""``encoding=``: a codec that does not carry ASCII as itself is refused when a client is built.

Replies are decoded with the client's codec, and much of what Redis answers is ASCII text
(the handshake's map, status replies). With UTF-16, UTF-32, UTF-7 or an EBCDIC code page
every connection would fail in its HELLO, so ``Redis``, ``Redis.from_url`` and
``RedisCluster`` refuse them before anything connects; ASCII-compatible codecs work against a
real server.
"""

from __future__ import annotations

import uuid

import pytest

from redis_oxide import Redis, RedisCluster
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

REFUSED = ["utf-16", "UTF-16-LE", "utf_16_be", "utf-32", "utf-32-le", "utf-7", "cp037", "cp500"]


@pytest.mark.parametrize("encoding", REFUSED)
def test_codecs_that_are_not_ascii_compatible_are_refused(encoding: str) -> None:
    with pytest.raises(ValueError, match=rf"encoding {encoding!r} is not ASCII-compatible"):
        Redis(encoding=encoding, decode_responses=True)
    with pytest.raises(ValueError, match="encoding"):
        Redis.from_url(f"redis://localhost:6379/0?encoding={encoding}")
    with pytest.raises(ValueError, match="encoding"):
        RedisCluster("localhost", 7000, encoding=encoding)


@pytest.mark.parametrize(
    ("encoding", "text"),
    [("utf-8", "ok:é"), ("latin-1", "ok:é"), ("cp1252", "ok:€"), ("shift_jis", "ok:日本")],
)
async def test_ascii_compatible_codecs_work(
    redis_stack: RedisServerInfo, encoding: str, text: str
) -> None:
    key = f"codec:{uuid.uuid4().hex[:8]}"
    async with Redis(
        redis_stack.host, redis_stack.port, encoding=encoding, decode_responses=True
    ) as client:
        # ``encoding`` decodes replies; arguments given as str are sent as UTF-8.
        assert await client.set(key, text.encode(encoding)) is True
        assert await client.get(key) == text
        assert await client.delete(key) == 1
