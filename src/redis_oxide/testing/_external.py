"""A Redis Stack server the tests did not start (``REDIS_OXIDE_TEST_URL``), checked before use.

The plugin's ``redis_stack`` fixture promises the Stack modules; an external server without
them would fail tests far from the cause, so it is refused here with what to do instead.
"""

from __future__ import annotations

import pytest

from redis_oxide.testing._errors import RawReplyError
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._raw import Endpoint, parse_info, raw_command

__all__ = ["STACK_MODULE_NAMES", "describe_external_stack"]

#: The names Redis Stack's modules report in MODULE LIST: JSON, search, Bloom, time series.
STACK_MODULE_NAMES = frozenset({"ReJSON", "search", "bf", "timeseries"})


def describe_external_stack(variable: str, url: str, host: str, port: int) -> RedisServerInfo:
    """Describe the running server a URL names, once it proved to be Redis Stack.

    Args:
        variable: The environment variable the URL came from, for messages.
        url: The URL, already checked to be ``redis://host:port``.
        host: Its host.
        port: Its port.

    Returns:
        The server (no unix socket, no process handle).

    Raises:
        pytest.fail.Exception: The server does not answer, or lacks a Stack module.
    """
    endpoint = Endpoint(host, port)
    try:
        version = parse_info(raw_command(endpoint, "INFO", "server")).get("redis_version", "")
        modules = raw_command(endpoint, "MODULE", "LIST")
    except (OSError, RawReplyError) as exc:
        raise pytest.fail.Exception(
            f"{variable}={url}: the server does not answer INFO and MODULE LIST ({exc})",
            pytrace=False,
        ) from None
    loaded: set[str] = set()
    for entry in modules if isinstance(modules, list) else []:
        if isinstance(entry, list):
            fields = dict(zip(entry[::2], entry[1::2], strict=False))
            name = fields.get(b"name")
            if isinstance(name, bytes):
                loaded.add(name.decode())
    missing = STACK_MODULE_NAMES - loaded
    if missing:
        raise pytest.fail.Exception(
            f"{variable}={url} names a server without the Redis Stack modules "
            f"{sorted(missing)} that redis_stack provides: point it at a Redis Stack server "
            f"with its modules loaded, or unset it so the fixture starts one",
            pytrace=False,
        )
    return RedisServerInfo(endpoint.host, endpoint.port, url, None, version, None)
