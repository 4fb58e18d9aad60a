"""Where a cluster client's scripts and libraries are loaded after the server lacked them.

Rules this module keeps:

- A script that met NOSCRIPT is loaded on the node that answered (the error's address),
  where its retry runs; a script called without keys runs on any primary, so it is loaded
  on every node as well, as far as they answer.
- A library call that found its function missing is decided on the node that answered
  (the error's address): FUNCTION LIST and FUNCTION LOAD go there, never to a random
  primary that may still have the library.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: loads run through the executor seam,
# ``_execute``.)

from __future__ import annotations

import contextlib

from redis_oxide._cluster import ClusterExecutor
from redis_oxide._command import CommandExecutor
from redis_oxide._exceptions import NoScriptError, RedisError
from redis_oxide._generated import _meta as _m

__all__ = ["load_script", "node_at"]


def node_at(executor: ClusterExecutor, address: str) -> CommandExecutor:
    """The executor of the node at ``address`` (``host:port``, ``[v6]:port``).

    Args:
        executor: The cluster client's executor.
        address: A node address, as errors carry it.

    Returns:
        That node's executor; a random primary's when ``address`` is not ``host:port``.
    """
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return executor.random_primary()
    return executor.registry.get(host.strip("[]"), int(port))


async def load_script(
    executor: ClusterExecutor, error: NoScriptError, source: bytes, keyless: bool
) -> object:
    """Load a script on the node that answered NOSCRIPT (on every node when keyless).

    Args:
        executor: The cluster client's executor.
        error: The NOSCRIPT error the call met; its address names the node.
        source: The script's source.
        keyless: Whether the call had no keys: its retry may run on any primary.

    Returns:
        The node's SCRIPT LOAD reply.
    """
    node = executor.random_primary() if error.address is None else node_at(executor, error.address)
    load = ("SCRIPT", "LOAD", source)
    reply: object = await node._execute(_m.SCRIPT_LOAD, load, None)
    if keyless:
        # SCRIPT LOAD's policy fans out; the nodes that answer have it.
        with contextlib.suppress(RedisError):
            await executor._execute(_m.SCRIPT_LOAD, load, None)
    return reply
