"""The library name in a function library's first line, read the way the server reads it.

Rules this module keeps:

- The server splits the ``#!<engine> ...`` line like a command line (``sdssplitargs``):
  double quotes with backslash escapes (``\\n``, ``\\xHH`` ...), single quotes with ``\\'``,
  a quote may open inside a word and must close before a blank or the line's end, and the
  ``name=`` prefix is matched without regard to case. This module repeats that split, so
  ``#!lua name="qlib"`` names ``qlib`` here as on the server.
- It only finds the name: an engine or an option the server refuses is left to the server,
  whose error says which.
"""

from __future__ import annotations

__all__ = ["library_name"]

_BLANKS = b" \t\n\r\v\f"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}


def _quoted(line: bytes, at: int, quote: int) -> tuple[bytes, int] | None:
    # The text of a quote opening before ``at``, and where it ends; None when it never
    # closes, or closes against a non-blank.
    out = bytearray()
    while at < len(line):
        char = line[at]
        if quote == ord('"') and char == ord("\\") and at + 1 < len(line):
            hex_digits = line[at + 2 : at + 4]
            if (
                line[at + 1] == ord("x")
                and len(hex_digits) == 2
                and all(c in _HEX for c in hex_digits)
            ):
                out.append(int(hex_digits, 16))
                at += 4
                continue
            out += _ESCAPES.get(line[at + 1], line[at + 1 : at + 2])
            at += 2
        elif quote == ord("'") and line[at : at + 2] == b"\\'":
            out.append(ord("'"))
            at += 2
        elif char == quote:
            if at + 1 < len(line) and line[at + 1] not in _BLANKS:
                return None
            return bytes(out), at + 1
        else:
            out.append(char)
            at += 1
    return None


def _split(line: bytes) -> list[bytes] | None:
    # ``sdssplitargs``: the words of ``line``, or None for unbalanced quotes.
    words: list[bytes] = []
    at = 0
    while True:
        while at < len(line) and line[at] in _BLANKS:
            at += 1
        if at == len(line):
            return words
        word = bytearray()
        while at < len(line) and line[at] not in _BLANKS:
            char = line[at]
            if char in b"\"'":
                quoted = _quoted(line, at + 1, char)
                if quoted is None:
                    return None
                text, at = quoted
                word += text
                break
            word.append(char)
            at += 1
        words.append(bytes(word))


def library_name(code: bytes) -> str | None:
    """The ``name=`` of a library's ``#!<engine> name=<library>`` first line.

    Args:
        code: The library source.

    Returns:
        The name as the server reads it; None when the first line is no ``#!`` line, its
        quotes do not balance, or it names no library.
    """
    if not code.startswith(b"#!"):
        return None
    words = _split(code.partition(b"\n")[0])
    for word in (words or [])[1:]:
        if word[:5].lower() == b"name=":
            return word[5:].decode(errors="replace") or None  # the server refuses an empty one
    return None
