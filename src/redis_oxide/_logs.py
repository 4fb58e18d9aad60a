"""The structured fields of redis-oxide's log records, built in one place.

Rules this module keeps:

- Every record of the ``redis_oxide.<layer>`` loggers (``connection``, ``pool``, ``client``,
  ``cluster``, ``sentinel``) carries ``redis.event`` (a short, stable name of what happened)
  and, where there is one, ``redis.address`` (``host:port`` or the socket path) as ``extra``
  fields, so a JSON formatter or a log shipper can filter on them without parsing messages.
- Only the names below are ever used as fields, and none of them can hold a secret: no
  password, no AUTH or HELLO argument, no command argument. A command appears by its name
  (``redis.command``), an error by its class (``error.type``) and the server's error code.
"""

from __future__ import annotations

__all__ = ["log_fields"]


def log_fields(
    event: str,
    address: str | None = None,
    *,
    command: str | None = None,
    error: BaseException | None = None,
    **more: str | int | float | bool | None,
) -> dict[str, object]:
    """Return the ``extra`` mapping of one log record.

    Args:
        event: What happened (``"reconnected"``, ``"connection_lost"`` …).
        address: The server concerned.
        command: The command concerned, by name only.
        error: The error concerned; its class name becomes ``error.type``, and a server
            error's code ``db.response.status_code``.
        **more: Further ``redis.*`` fields (counts, states, names), each a scalar.

    Returns:
        The fields, keyed ``redis.event``, ``redis.address``, ``redis.command``,
        ``error.type``, ``db.response.status_code`` and ``redis.<name>`` for ``more``.
    """
    fields: dict[str, object] = {"redis.event": event}
    if address is not None:
        fields["redis.address"] = address
    if command is not None:
        fields["redis.command"] = command
    if error is not None:
        fields["error.type"] = type(error).__name__
        code = getattr(error, "code", None)
        if isinstance(code, str):
            fields["db.response.status_code"] = code
    for name, value in more.items():
        fields[f"redis.{name}"] = value
    return fields
