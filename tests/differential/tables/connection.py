"""redis-py calls for the conformance entries of the ``connection`` group."""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import connection

from .._case import cases

EXTRA = [
    (E("echo", lambda r: r.echo("h\u00e9llo"), variant="unicode"), lambda p: p.echo("h\u00e9llo")),
    (E("echo", lambda r: r.echo(12), variant="number"), lambda p: p.echo(12)),
]

CASES = cases(
    connection.ENTRIES,
    {
        "client_getname": lambda p: p.client_getname(),
        "client_getredir": lambda p: p.client_getredir(),
        "client_help": lambda p: p.execute_command("CLIENT HELP"),
        "client_id": lambda p: p.client_id(),
        "client_info": lambda p: p.client_info(),
        "client_kill": lambda p: p.client_kill_filter(_id=p.context["other_id"], skipme=True),
        "client_list": lambda p: p.client_list(_type="normal"),
        "client_no_evict": lambda p: p.client_no_evict("OFF"),
        "client_no_touch": lambda p: p.client_no_touch("OFF"),
        "client_pause": lambda p: p.client_pause(1, all=False),
        "client_setinfo": lambda p: p.client_setinfo("LIB-NAME", "redis-oxide"),
        "client_setname": lambda p: p.client_setname("conformance"),
        "client_trackinginfo": lambda p: p.client_trackinginfo(),
        "client_unblock": lambda p: p.client_unblock(p.context["other_id"]),
        "client_unpause": lambda p: p.client_unpause(),
        "echo": lambda p: p.echo("hello"),
        "ping": lambda p: p.ping(),
        "ping-message": lambda p: p.execute_command("PING", "hi"),
    },
    {},
    extra=EXTRA,
)
