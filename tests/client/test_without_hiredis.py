"""A real client on a Python where ``import hiredis`` fails: the pure-Python codec end to end.

hiredis is a declared dependency, so this needs a process of its own: a meta-path finder that
refuses ``hiredis`` is installed before redis-oxide is imported, then the client runs plain
commands, pipelines (bytes-only commands framed at execute and others framed when queued), a
transaction and RESP3-only reply types under both protocols, decoded and not.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(90)

_SCRIPT = textwrap.dedent(
    """
    import asyncio
    import sys
    import uuid


    class RefuseHiredis:
        def find_spec(self, name, path=None, target=None):
            if name == "hiredis" or name.startswith("hiredis."):
                raise ModuleNotFoundError(f"No module named {name!r} (refused by the test)")
            return None


    sys.meta_path.insert(0, RefuseHiredis())

    import redis_oxide
    from redis_oxide import _protocol
    from redis_oxide._protocol import _templates
    from redis_oxide._protocol._python import PythonDecoder

    assert not _protocol.HIREDIS_AVAILABLE
    assert isinstance(_protocol.make_decoder(), PythonDecoder)
    # Every path of pack_args: templates (2 and 3 tokens), other plain args, normalised args.
    for args in [("GET", b"k"), ("SET", b"k", b"v"), ("SET", "k", 1), ("INCRBYFLOAT", "k", 0.5)]:
        assert _templates.pack_args(args) == _protocol.encode_command(args), args


    async def run(url, protocol, decode):
        key = f"no-hiredis:{uuid.uuid4().hex}"
        r = redis_oxide.from_url(url, protocol=protocol, decode_responses=decode)
        text = (lambda s: s) if decode else (lambda s: s.encode())
        async with r:
            assert await r.set(key, "v") is True
            assert await r.get(key) == text("v")
            assert await r.set(key.encode(), b"w") is True
            assert await r.get(key.encode()) == text("w")
            big = "x" * 300_000
            await r.set(key + ":big", big)
            assert await r.get(key + ":big") == text(big)
            assert await r.hset(key + ":h", {"a": "1", "b": 2}) == 2
            assert await r.hgetall(key + ":h") == {text("a"): text("1"), text("b"): text("2")}
            await r.sadd(key + ":s", "m", "n")
            assert await r.smembers(key + ":s") == {text("m"), text("n")}
            await r.zadd(key + ":z", {"m": 1.5})
            assert await r.zscore(key + ":z", "m") == 1.5
            assert await r.get(key + ":missing") is None
            assert await r.exists(key, key + ":missing") == 1
            pipe = r.pipeline()
            pipe.set(key.encode() + b":p", b"1")
            incr = pipe.incr(key + ":n")
            got = pipe.get(key.encode() + b":p")
            pipe.hgetall(key + ":h")
            results = await pipe.execute()
            assert results[:2] == [True, 1], results
            assert await incr == 1 and await got == text("1")
            tx = r.pipeline(transaction=True)
            tx.incr(key + ":n")
            tx.incrbyfloat(key + ":f", 0.25)
            assert await tx.execute() == [2, 0.25]
            await r.delete(key, key + ":big", key + ":h", key + ":s", key + ":z", key + ":n")


    async def main(url):
        for protocol in (2, 3):
            for decode in (False, True):
                await run(url, protocol, decode)


    asyncio.run(main(sys.argv[1]))
    assert "hiredis" not in sys.modules
    print("pure-python codec: ok")
    """
)


def test_client_works_end_to_end_where_hiredis_cannot_be_imported(
    redis_7: RedisServerInfo,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, redis_7.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pure-python codec: ok"
