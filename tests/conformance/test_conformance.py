"""Every generated command against a real server: declared type versus real reply.

Each entry of ``tables`` runs with RESP2 and RESP3, with a bytes and a decoding client; the
reply must validate strictly against the type the method (or the selected overload) declares,
and RESP2 and RESP3 must give equal values (or equal shapes, for ``VARYING`` commands).
The tests are plain functions that run their body with ``run_in_new_loop`` (see there why).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from redis_oxide.testing import ClusterInfo, RedisServerInfo, raw_command

from ._entry import Entry
from ._runner import run_entry, run_in_new_loop
from .tables import ENTRIES

pytestmark = pytest.mark.timeout(30)

#: Every user the disposable servers' ACL file defines: the default user, unrestricted.
_ACL_FILE = "user default on nopass sanitize-payload ~* &* +@all\n"


def _entries(server: str) -> list[Any]:
    return [pytest.param(e, id=e.id) for e in ENTRIES if e.server == server]


def _fail_on(problems: list[str], entry: Entry) -> None:
    if problems:
        pytest.fail(f"{entry.id}:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.mark.parametrize("entry", _entries("stack"))
def test_reply_conforms_on_the_shared_server(entry: Entry, redis_stack: RedisServerInfo) -> None:
    async def endpoint() -> tuple[str, int]:
        return redis_stack.host, redis_stack.port

    _fail_on(run_in_new_loop(run_entry(entry, endpoint, flush=True, context={})), entry)


@pytest.mark.parametrize("entry", _entries("factory"))
def test_reply_conforms_on_a_disposable_server(
    entry: Entry, redis_stack: RedisServerInfo, redis_server_factory: Any, tmp_path: Path
) -> None:
    acl_file = tmp_path / "users.acl"
    acl_file.write_text(_ACL_FILE)
    config = tuple(
        tuple(word.replace("{aclfile}", str(acl_file)) for word in item)
        for item in entry.extra_config
    )
    modules = raw_command(redis_stack.endpoint, "MODULE", "LIST")
    context: dict[str, Any] = {
        "stack_port": redis_stack.port,
        "module_path": _module_path(modules, b"bf"),
    }

    async def endpoint() -> tuple[str, int]:
        server = redis_server_factory(kind="stack", config=config)
        return server.host, server.port

    _fail_on(run_in_new_loop(run_entry(entry, endpoint, flush=False, context=context)), entry)


@pytest.mark.parametrize("entry", _entries("cluster"))
def test_reply_conforms_on_a_cluster_node(entry: Entry, redis_cluster: ClusterInfo) -> None:
    node = redis_cluster.primaries[0]

    async def endpoint() -> tuple[str, int]:
        return node.host, node.port

    _fail_on(run_in_new_loop(run_entry(entry, endpoint, flush=False, context={})), entry)


@pytest.mark.parametrize("entry", _entries("cluster_factory"))
def test_reply_conforms_on_a_disposable_cluster_node(
    entry: Entry, redis_stack: RedisServerInfo, redis_server_factory: Any
) -> None:
    context: dict[str, Any] = {"peer_port": redis_stack.port}

    async def endpoint() -> tuple[str, int]:
        server = redis_server_factory(kind="stack", config=(("cluster-enabled", "yes"),))
        return server.host, server.port

    _fail_on(run_in_new_loop(run_entry(entry, endpoint, flush=False, context=context)), entry)


def _module_path(modules: Any, name: bytes) -> str:
    for module in modules:
        fields = dict(zip(module[::2], module[1::2], strict=True))
        if fields[b"name"] == name:
            return str(fields[b"path"].decode())
    raise AssertionError(f"the Stack server has no module {name!r}: {modules!r}")
