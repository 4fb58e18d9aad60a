"""``assert_type`` examples of RediSearch values that may be null, on both clients.

Checked by ``mypy --strict`` (see ``test_generated_types.py``); the functions are never called.
A row value of FT.AGGREGATE and a field value of FT.SEARCH are ``None`` where RediSearch sends
a null; a document's ``fields`` are ``None`` without content or once its key is gone.
"""

from __future__ import annotations

from typing import assert_type

from redis_oxide import Redis


async def str_client(r: Redis[str]) -> None:
    aggregated = await r.ft.aggregate("idx", "*", load=["@opt"])
    for row in aggregated.rows:
        assert_type(row["opt"], str | list[str] | None)
        value = row["opt"]
        if isinstance(value, str):  # narrowing leaves the text
            assert_type(int(value), int)
    found = await r.ft.search("idx", "*", return_fields=["$.n"])
    for document in found.documents:
        assert_type(document.fields, dict[str, str | None] | None)


async def bytes_client(r: Redis[bytes]) -> None:
    rows, _cursor = await r.ft.aggregate("idx", "*", withcursor=True)
    for row in rows.rows:
        assert_type(row[b"opt"], bytes | list[bytes] | None)
    found = await r.ft.search("idx", "*")
    for document in found.documents:
        assert_type(document.fields, dict[bytes, bytes | None] | None)
