"""Parsing ``redis://``, ``rediss://`` and ``unix://`` URLs into client options.

The query options are the ones redis-py users know (``socket_timeout`` and friends are
accepted as aliases of redis-oxide's ``*_timeout`` names). An unknown option is an error,
never silently ignored: a typo must not turn TLS verification or a timeout off.
Credentials are percent-decoded and never echoed in an error message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from redis_oxide._client_options import ClientOptions

__all__ = ["parse_url"]

_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "n"})


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected a boolean, got {value!r}")


def _timeout(value: str) -> float | None:
    return None if value.lower() in ("", "none") else float(value)


def _protocol(value: str) -> int:
    if value not in ("2", "3"):
        raise ValueError(f"protocol must be 2 or 3, got {value!r}")
    return int(value)


def _cert_reqs(value: str) -> str:
    lowered = value.lower().removeprefix("cert_")
    if lowered not in ("required", "optional", "none"):
        raise ValueError(f"ssl_cert_reqs must be required, optional or none, got {value!r}")
    return lowered


def _strategy(value: str) -> str:
    if value not in ("multiplexed", "pooled"):
        raise ValueError(f"strategy must be multiplexed or pooled, got {value!r}")
    return value


def _str(value: str) -> str:
    return value


_ENCODE_CREDENTIALS = (
    "if the username or password holds '#', '/', '?', '@' or ':', percent-encode them "
    "(%23, %2F, %3F, %40, %3A: urllib.parse.quote(password, safe=''))"
)

# query name -> (option name, converter)
_QUERY: dict[str, tuple[str, Callable[[str], Any]]] = {
    "db": ("db", int),
    "protocol": ("protocol", _protocol),
    "decode_responses": ("decode_responses", _bool),
    "encoding": ("encoding", _str),
    "encoding_errors": ("encoding_errors", _str),
    "command_timeout": ("command_timeout", _timeout),
    "socket_timeout": ("command_timeout", _timeout),
    "connect_timeout": ("connect_timeout", _timeout),
    "socket_connect_timeout": ("connect_timeout", _timeout),
    "pool_timeout": ("pool_timeout", _timeout),
    "timeout": ("pool_timeout", _timeout),
    "client_name": ("client_name", _str),
    "max_connections": ("max_connections", int),
    "multiplexed_connections": ("multiplexed_connections", int),
    "strategy": ("strategy", _strategy),
    "ssl_cert_reqs": ("ssl_cert_reqs", _cert_reqs),
    "ssl_ca_certs": ("ssl_ca_certs", _str),
    "ssl_certfile": ("ssl_certfile", _str),
    "ssl_keyfile": ("ssl_keyfile", _str),
    "ssl_check_hostname": ("ssl_check_hostname", _bool),
    "username": ("username", _str),
    "password": ("password", _str),
}


def parse_url(url: str) -> tuple[str, int, ClientOptions, bool | None]:
    """Split a Redis URL into host, port, client options and ``decode_responses``.

    Forms: ``redis://[[user]:password@]host[:port][/db][?option=value...]``,
    ``rediss://...`` (TLS) and ``unix://[[user]:password@]/path/to.sock[?db=N...]``.

    Args:
        url: The URL.

    Returns:
        ``(host, port, options, decode_responses)``; ``decode_responses`` is None when the
        URL does not say.

    Raises:
        ValueError: Unknown scheme or query option, or a malformed value.
    """
    parts = urlsplit(url)
    if "#" in url or ("@" not in parts.netloc and "@" in url):
        # An unencoded "#", "/" or "?" in the password ends the host part early: the rest
        # of the password would land in the host, port, path or query, and in a message.
        raise ValueError(
            f"cannot tell the Redis URL's credentials from its host; {_ENCODE_CREDENTIALS}"
        )
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            f"unsupported URL scheme {parts.scheme!r}; use redis://, rediss:// or unix://"
        )
    options: dict[str, Any] = {}
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:  # "redis://:@host" carries no password (as redis-py reads it)
        options["password"] = unquote(parts.password)
    from_userinfo = {name for name in ("username", "password") if name in options}
    host = "127.0.0.1"
    port = 6379
    if scheme == "unix":
        if not parts.path:
            raise ValueError("a unix:// URL needs a socket path")
        options["unix_socket_path"] = unquote(parts.path)
    else:
        host = unquote(parts.hostname or "") or host
        try:
            given = parts.port
        except ValueError:
            raise ValueError(f"invalid port in Redis URL; {_ENCODE_CREDENTIALS}") from None
        if given == 0:  # not "the default": the user wrote a port no server listens on
            raise ValueError(
                "invalid port in Redis URL: 0; give the server's port, or none for 6379"
            )
        port = port if given is None else given
        db_path = parts.path.lstrip("/")
        if db_path:
            try:
                options["db"] = int(db_path)
            except ValueError:
                raise ValueError(
                    f"the URL path must be a database number, got {db_path!r}"
                ) from None
        if scheme == "rediss":
            options["ssl"] = True
    if scheme != "rediss":
        tls_options = [name for name, _ in parse_qsl(parts.query) if name.startswith("ssl_")]
        if tls_options:
            raise ValueError(
                f"{', '.join(tls_options)} in a {scheme}:// URL, which connects in plain text "
                "and would ignore them: use a rediss:// URL for TLS, or drop them"
            )
    decode: bool | None = None
    seen: set[str] = set()
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in seen:
            raise ValueError(f"the Redis URL option {name!r} is given twice")
        seen.add(name)
        try:
            option, convert = _QUERY[name]
        except KeyError:
            known = ", ".join(sorted(_QUERY))
            raise ValueError(f"unknown Redis URL option {name!r}; known: {known}") from None
        try:
            converted = convert(value)
        except ValueError as exc:
            shown = "***" if option == "password" else None
            raise ValueError(f"bad value for URL option {name!r}: {shown or exc}") from None
        if option == "decode_responses":
            decode = converted
        elif option in ("username", "password") and not converted:
            continue  # "?password=" carries none, as "redis://:@host" and redis-py read it
        elif option not in from_userinfo:  # the credentials before the "@" win, as in redis-py
            options[option] = converted
    return host, port, cast(ClientOptions, options), decode
