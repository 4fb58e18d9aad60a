"""Recipes for single servers: Stack with modules, plain 7.0, ACL.

Each recipe returns a started `ServerProcess` and leaves stopping it to the
caller (a fixture finaliser or `start_stack_server`'s context manager).
"""

from __future__ import annotations

import secrets
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from typing import Literal

from redis_oxide.testing._binaries import redis_7_launcher, stack_launcher, stack_module_paths
from redis_oxide.testing._info import ACLServerInfo, RedisServerInfo
from redis_oxide.testing._raw import Endpoint
from redis_oxide.testing._servers import ConfigItems, ServerProcess

__all__ = [
    "ACL_USER",
    "ACL_USER_RULES",
    "ServerKind",
    "new_server",
    "start_acl_server",
    "start_stack_server",
]

ServerKind = Literal["stack", "7"]

ACL_USER = "oxide"
# An application account: it may read and write data, use pub/sub and
# transactions, but nothing that administers the server (@dangerous covers
# FLUSHALL, CONFIG, DEBUG, KEYS, SHUTDOWN, ACL ...).
ACL_USER_RULES = (
    "+@read",
    "+@write",
    "+@keyspace",
    "+@connection",
    "+@pubsub",
    "+@transaction",
    "+@scripting",
    "-@dangerous",
    "~*",
    "&*",
)


def _module_config(port: int) -> ConfigItems:
    return [("loadmodule", str(path)) for path in stack_module_paths()]


def new_server(
    kind: ServerKind = "7",
    *,
    modules: bool = False,
    config: ConfigItems = (),
    name: str | None = None,
) -> ServerProcess:
    """Prepare (not start) a standalone server with a unix socket.

    Args:
        kind: ``"stack"`` for the Redis Stack 7.4 binary, ``"7"`` for Debian's 7.0.
        modules: Load the Stack modules (only with ``kind="stack"``).
        config: Extra config directives.
        name: Label for the directory and reprs.

    Returns:
        The unstarted process handle.

    Raises:
        ValueError: Modules were asked for on the 7.0 binary.
        MissingBinaryError: A binary or module is missing.
    """
    if modules and kind != "stack":
        raise ValueError("the Stack modules load only into the Stack binary")
    launcher = stack_launcher() if kind == "stack" else redis_7_launcher()
    extra = list(config)

    def config_for(port: int) -> ConfigItems:
        return [*(_module_config(port) if modules else ()), *extra]

    return ServerProcess(launcher, name=name or kind, config=config_for, unix_socket=True)


@contextmanager
def start_stack_server(
    *, modules: bool = True, config: Sequence[tuple[str, ...]] = ()
) -> Generator[RedisServerInfo, None, None]:
    """Run a Redis Stack server for the duration of a ``with`` block.

    Usable outside pytest, for example by scripts that need a live server.

    Args:
        modules: Load RedisJSON, RediSearch, RedisBloom and RedisTimeSeries.
        config: Extra config directives.

    Yields:
        The running server (TCP and unix socket).

    Raises:
        ServerStartError: The server did not come up.
        MissingBinaryError: The binary or a module is missing.
    """
    process = new_server("stack", modules=modules, config=config, name="stack")
    try:
        process.start()
        yield RedisServerInfo.from_process(process)
    finally:
        process.close()


def start_acl_server() -> ACLServerInfo:
    """Start a 7.0 server with a restricted ACL user and a password-protected default user.

    Returns:
        The running server; stop it with ``info.process.close()``.

    Raises:
        ServerStartError: The server did not come up.
    """
    password = secrets.token_hex(16)
    admin_password = secrets.token_hex(16)
    users = [
        ("user", "default", "on", f">{admin_password}", "~*", "&*", "+@all"),
        ("user", ACL_USER, "on", f">{password}", *ACL_USER_RULES),
    ]

    def probe(port: int, unix_path: str | None) -> Endpoint:
        return Endpoint("127.0.0.1", port, unix_path, password=admin_password)

    process = ServerProcess(redis_7_launcher(), name="acl", config=lambda port: users, probe=probe)
    process.start()
    return ACLServerInfo(
        host=process.host,
        port=process.port,
        url=f"redis://{process.host}:{process.port}",
        version=process.version,
        username=ACL_USER,
        password=password,
        admin_password=admin_password,
        process=process,
    )
