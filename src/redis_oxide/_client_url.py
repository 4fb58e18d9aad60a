"""``from_url``: a client from a URL, as a module function (``redis_oxide.from_url``).

``Redis.from_url`` does the work; this module only gives it the module-level spelling
redis-py users expect, with the same overloads.
"""

from __future__ import annotations

from typing import Any, Literal, Unpack, overload

from redis_oxide._client import Redis
from redis_oxide._client_options import ClientOptions

__all__ = ["from_url"]

_UNSET: Any = object()


@overload
def from_url(
    url: str, *, decode_responses: Literal[False] = ..., **options: Unpack[ClientOptions]
) -> Redis[bytes]: ...


@overload
def from_url(
    url: str, *, decode_responses: Literal[True], **options: Unpack[ClientOptions]
) -> Redis[str]: ...


@overload
def from_url(
    url: str, *, decode_responses: bool, **options: Unpack[ClientOptions]
) -> Redis[bytes] | Redis[str]: ...


def from_url(
    url: str, *, decode_responses: bool = _UNSET, **options: Unpack[ClientOptions]
) -> Redis[bytes] | Redis[str]:
    """Build a client from a URL.

    ``redis://[[user]:password@]host[:port][/db][?option=value...]``, ``rediss://`` for TLS,
    ``unix://[[user]:password@]/path/to.sock[?db=N]``. Query options: ``db``,
    ``protocol``, ``decode_responses``, ``command_timeout`` (alias ``socket_timeout``),
    ``connect_timeout`` (alias ``socket_connect_timeout``), ``pool_timeout``,
    ``client_name``, ``strategy``, ``max_connections``, ``ssl_cert_reqs``,
    ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``, ``ssl_check_hostname`` (the
    ``ssl_*`` options only in a ``rediss://`` URL). Percent-encode ``#``, ``/``, ``?``, ``@``
    and ``:`` in the username and password.
    ``decode_responses`` in the URL takes effect at run time; type checkers only see the
    keyword argument, so pass ``decode_responses=True`` to get ``Redis[str]`` statically.

    Args:
        url: The URL.
        decode_responses: Decode string replies to ``str``; overrides the URL.
        **options: Client options overriding those in the URL.

    Returns:
        A new client.

    Raises:
        ValueError: The URL is malformed (the message never quotes its credentials) or has
            an unknown option.
    """
    if decode_responses is _UNSET:
        return Redis.from_url(url, **options)
    if decode_responses:
        return Redis.from_url(url, decode_responses=True, **options)
    return Redis.from_url(url, decode_responses=False, **options)
