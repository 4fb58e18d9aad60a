"""Conformance entries for the ``connection`` group (CLIENT subcommands that a shared
connection may run)."""

from __future__ import annotations

import asyncio

from redis_oxide.types import ClientKillClientId, ClientKillSkipme

from .._entry import Entry, Recorder

E = Entry


async def _other_client(r: Recorder) -> None:
    """Open a second, plain connection and remember its id, for CLIENT KILL / UNBLOCK."""
    reader, writer = await asyncio.open_connection(r.context["host"], r.context["port"])
    writer.write(b"CLIENT ID\r\n")
    line = await reader.readline()
    r.context["other_id"] = int(line[1:])
    r.context["closers"].append(writer.close)


ENTRIES = [
    E("client_getname", lambda r: r.client_getname()),
    E("client_getredir", lambda r: r.client_getredir()),
    E("client_help", lambda r: r.client_help()),
    E("client_id", lambda r: r.client_id()),
    E("client_info", lambda r: r.client_info()),
    E(
        "client_kill",
        lambda r: r.client_kill(
            new_format=[
                ClientKillClientId(client_id=r.context["other_id"]),
                ClientKillSkipme(skipme="YES"),
            ]
        ),
        prepare=_other_client,
    ),
    E("client_list", lambda r: r.client_list(client_type="NORMAL")),
    E("client_no_evict", lambda r: r.client_no_evict("OFF")),
    E("client_no_touch", lambda r: r.client_no_touch("OFF")),
    E("client_pause", lambda r: r.client_pause(1, mode="WRITE"), cleanup=[("CLIENT", "UNPAUSE")]),
    E("client_setinfo", lambda r: r.client_setinfo(libname="redis-oxide")),
    E("client_setname", lambda r: r.client_setname("conformance")),
    E("client_trackinginfo", lambda r: r.client_trackinginfo()),
    E("client_unblock", lambda r: r.client_unblock(r.context["other_id"]), prepare=_other_client),
    E("client_unpause", lambda r: r.client_unpause()),
    E("echo", lambda r: r.echo("hello")),
    E("ping", lambda r: r.ping()),
    E("ping", lambda r: r.ping(message="hi"), variant="message"),
]
