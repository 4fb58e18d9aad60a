"""Text in replies: decoding what was read undecoded, and text that does not decode.

Rules this module keeps:

- A decoding connection never lets ``UnicodeDecodeError`` out of its decoder: with
  ``encoding_errors="strict"`` it uses ``RECORDING_ERRORS``, which puts U+FFFD where text
  does not decode and records the error in the thread's list (``decode_failures``). The
  connection checks the list after each reply and fails that reply's command alone
  (``take_failure``), so the stream stays in step and no other caller is touched.
- Decoding runs on the thread of the connection's event loop; each thread has its own list.
- ``decode_text`` turns a reply read undecoded (binary-aware reads) into what the decoder
  would have returned with its encoding.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Sequence
from typing import Any

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._exceptions import ReplyDecodeError
from redis_oxide._keys import command_keys
from redis_oxide._protocol import PushMessage

__all__ = ["RECORDING_ERRORS", "decode_failures", "decode_text", "take_failure"]

#: The codec error handler a decoding connection uses in place of ``"strict"``: it puts U+FFFD
#: where text does not decode and records the ``UnicodeDecodeError`` in the thread's list
#: (``decode_failures``), so the decoder always finishes the reply and the connection can fail
#: just the command that read it (or log a push frame) instead of the whole stream.
RECORDING_ERRORS = "redis_oxide.record"

# Decoding runs on the thread of the connection's event loop; each thread has its own list, so
# loops in several threads never see each other's failures.
_thread_state = threading.local()


def decode_failures() -> list[UnicodeDecodeError]:
    """Return this thread's list of recorded decoding failures (see ``RECORDING_ERRORS``).

    Returns:
        The list a connection created on this thread checks after each reply.
    """
    failures: list[UnicodeDecodeError] | None = getattr(_thread_state, "failures", None)
    if failures is None:
        failures = _thread_state.failures = []
    return failures


def _record_failure(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # only ever used for decoding
        raise exc
    decode_failures().append(exc)
    return "\ufffd", exc.end


codecs.register_error(RECORDING_ERRORS, _record_failure)


def decode_text(value: Any, encoding: str, errors: str) -> Any:
    """Decode every ``bytes`` inside a reply that was read undecoded.

    Args:
        value: The reply, as ``next_reply(False)`` returned it.
        encoding: The codec the connection's decoder uses.
        errors: The codec error handler.

    Returns:
        The reply as the decoder would have returned it with ``encoding``; a push frame
        stays a ``PushMessage``.

    Raises:
        UnicodeDecodeError: Text did not decode under ``errors="strict"``.
    """
    kind: object = value.__class__
    if kind is bytes:
        return value.decode(encoding, errors)
    if kind is list or kind is PushMessage:
        items = [decode_text(item, encoding, errors) for item in value]
        return items if kind is list else PushMessage(items)
    if kind is dict:
        return {
            decode_text(key, encoding, errors): decode_text(item, encoding, errors)
            for key, item in value.items()
        }
    return value


def take_failure(
    failures: list[UnicodeDecodeError],
    meta: CommandMeta,
    args: Sequence[ArgT] | None,
    address: str,
) -> ReplyDecodeError:
    """Turn the recorded failures of the reply just read into the error its command gets.

    Args:
        failures: The thread's recorded failures (``decode_failures``); emptied.
        meta: The command's metadata.
        args: Its wire arguments, when the entry kept them (to name the key).
        address: The server address.

    Returns:
        A ``ReplyDecodeError`` naming the command, its first key when known, and the first
        codec error, chained from it.
    """
    exc = failures[0]
    failures.clear()
    key = ""
    if args is not None and meta.key_specs:
        try:
            keys, _ = command_keys(meta, args)
        except (TypeError, IndexError, ValueError):
            keys = ()
        if keys:
            key = f" of key {keys[0]!r:.100}"
    err = ReplyDecodeError(
        f"the reply to {meta.name}{key} is not valid {exc.encoding} text ({exc.reason}); read "
        "it with decode_responses=False or another encoding_errors",
        command=meta.name,
        address=address,
    )
    err.__cause__ = exc
    return err
