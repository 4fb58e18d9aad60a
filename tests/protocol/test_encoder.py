"""One encode table for the hiredis encoder and the pure-Python one."""

from __future__ import annotations

import array
import enum
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from redis_oxide._command import ArgT
from redis_oxide._protocol import _encode, _hiredis, _templates, encode_command, encode_commands

Encoder = Callable[[Sequence[ArgT]], bytes]
ENCODERS: dict[str, Encoder] = {
    "hiredis": _hiredis.encode_command,
    "python": _encode.encode_command,
    # The hot paths' encoder takes tuples only.
    "templates": lambda args: _templates.pack_args(tuple(args)),
    # A pipeline's: frames late what is_late allows (its template exists after pack_args).
    "late": lambda args: _late_frame(tuple(args)),
}


def _late_frame(args: tuple[Any, ...]) -> bytes:
    frame = _templates.pack_args(args)
    return _templates.join_frames([args]) if _templates.is_late(args) else frame


@pytest.fixture(params=sorted(ENCODERS))
def encoder(request: pytest.FixtureRequest) -> Encoder:
    return ENCODERS[request.param]


class Color(enum.IntEnum):
    RED = 1


class Mode(enum.StrEnum):
    NX = "NX"


class LegacyMode(str, enum.Enum):  # noqa: UP042 - the pre-StrEnum idiom, whose str() differs
    XX = "XX"


class LoudFloat(float):
    def __repr__(self) -> str:  # what NumPy 2 does for np.float64
        return f"np.float64({float(self)})"


class TaggedBytes(bytes):
    pass


def bulk(payload: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(payload), payload)


def command(*payloads: bytes) -> bytes:
    return b"*%d\r\n" % len(payloads) + b"".join(bulk(p) for p in payloads)


ENCODE_TABLE: list[tuple[str, tuple[Any, ...], bytes]] = [
    ("str", ("GET", "key"), command(b"GET", b"key")),
    ("bytes", (b"GET", b"k\x00y"), command(b"GET", b"k\x00y")),
    ("empty-string", ("SET", "", b""), command(b"SET", b"", b"")),
    ("nul-bytes", ("SET", "\x00", b"\x00\x00"), command(b"SET", b"\x00", b"\x00\x00")),
    ("crlf-in-value", ("SET", "a\r\nb"), command(b"SET", b"a\r\nb")),
    (
        "non-ascii-text",
        ("SET", "cl\u00e9", "\u65e5\u672c"),
        command(b"SET", "cl\u00e9".encode(), "\u65e5\u672c".encode()),
    ),
    ("memoryview", ("SET", memoryview(b"abc")), command(b"SET", b"abc")),
    ("memoryview-slice", ("SET", memoryview(b"abcdef")[1:3]), command(b"SET", b"bc")),
    ("memoryview-strided", ("SET", memoryview(b"abcdef")[::2]), command(b"SET", b"ace")),
    (
        "memoryview-int-array",
        ("SET", memoryview(array.array("B", [1, 2]))),
        command(b"SET", b"\x01\x02"),
    ),
    ("int", ("INCRBY", "k", 5, -7, 0), command(b"INCRBY", b"k", b"5", b"-7", b"0")),
    ("huge-int", ("SET", 2**100), command(b"SET", b"1267650600228229401496703205376")),
    ("float-shortest-repr", ("INCRBYFLOAT", 0.1), command(b"INCRBYFLOAT", b"0.1")),
    ("float-integral", ("X", 1.0, -0.0), command(b"X", b"1.0", b"-0.0")),
    ("float-exponent", ("X", 1e100, 5e-324), command(b"X", b"1e+100", b"5e-324")),
    ("float-inf", ("ZADD", math.inf, -math.inf), command(b"ZADD", b"inf", b"-inf")),
    ("int-enum-as-number", ("X", Color.RED), command(b"X", b"1")),
    ("str-enum-as-value", ("X", Mode.NX, LegacyMode.XX), command(b"X", b"NX", b"XX")),
    ("float-subclass-as-float", ("X", LoudFloat(0.5)), command(b"X", b"0.5")),
    ("bytes-subclass", ("X", TaggedBytes(b"t")), command(b"X", b"t")),
    ("bytes-key-and-value", ("SET", b"k", b"v" * 300), command(b"SET", b"k", b"v" * 300)),
    ("bytes-key", ("GET", b"\r\n%s"), command(b"GET", b"\r\n%s")),
    ("percent-in-name", ("A%dB%%", b"%b", b""), command(b"A%dB%%", b"%b", b"")),
    ("non-ascii-name", ("\u00e9", b"x"), command("\u00e9".encode(), b"x")),
    ("bytes-subclass-key", ("GET", TaggedBytes(b"t")), command(b"GET", b"t")),
]


@pytest.mark.parametrize(
    ("args", "expected"), [c[1:] for c in ENCODE_TABLE], ids=[c[0] for c in ENCODE_TABLE]
)
def test_encode_table(encoder: Encoder, args: tuple[Any, ...], expected: bytes) -> None:
    assert encoder(args) == expected
    assert encoder(list(args)) == expected


REFUSED: list[tuple[str, tuple[Any, ...], type[Exception]]] = [
    ("bool", ("SET", "k", True), TypeError),
    ("bool-false", ("SET", "k", False), TypeError),
    ("none", ("SET", "k", None), TypeError),
    ("bytearray", ("SET", "k", bytearray(b"x")), TypeError),
    ("complex", ("SET", "k", 1j), TypeError),
    ("object", ("SET", "k", object()), TypeError),
    ("empty-command", (), ValueError),
    ("lone-surrogate", ("SET", "\ud800"), UnicodeEncodeError),
]


@pytest.mark.parametrize(("args", "error"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_arguments(encoder: Encoder, args: tuple[Any, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        encoder(args)


def test_released_memoryview_is_refused(encoder: Encoder) -> None:
    view = memoryview(b"abc")
    view.release()
    with pytest.raises(ValueError, match="released"):
        encoder(("SET", view))


def test_bool_error_names_the_argument(encoder: Encoder) -> None:
    with pytest.raises(TypeError, match="argument 2"):
        encoder(("SET", "k", True))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("SET", "k", None), "^SET argument 2 is None; Redis has no NoneType"),
        ((b"hset", "h", "f", object()), "^HSET argument 3 has type object"),
        ((None, "k"), "^command argument 0 is None"),
    ],
)
def test_a_refused_argument_names_its_command(
    encoder: Encoder, args: tuple[Any, ...], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        encoder(args)


def test_public_encoder_is_the_hiredis_one() -> None:
    assert encode_command is _hiredis.encode_command


def test_short_command_templates_stay_bounded() -> None:
    # Raw commands with ever-new names must not grow the template caches without bound.
    for index in range(_templates._MAX_NAMES + 50):
        name = f"CMD{index}"
        assert _templates.pack_args((name, b"k", b"v")) == command(name.encode(), b"k", b"v")
        assert _templates.pack_args((name, b"k")) == command(name.encode(), b"k")
    assert len(_templates._THREE) <= _templates._MAX_NAMES
    assert len(_templates._TWO) <= _templates._MAX_NAMES


def test_encode_commands_concatenates() -> None:
    commands = [("SET", "a", 1), ("GET", "a")]
    expected = command(b"SET", b"a", b"1") + command(b"GET", b"a")
    assert encode_commands(commands) == expected
    assert encode_commands(iter(commands)) == expected
    assert _encode.encode_commands(commands) == expected
    assert encode_commands([]) == b""


def test_join_frames_frames_late_commands_among_framed_ones() -> None:
    _templates.pack_args(("SET", b"k", b"v"))
    _templates.pack_args(("GET", b"k"))
    items = [
        ("SET", b"key", b"x" * 300),
        command(b"INCR", b"n"),
        ("GET", b"key"),
        ("SET", b"", b"%d%b"),
    ]
    assert all(_templates.is_late(item) for item in items if type(item) is tuple)
    assert _templates.join_frames(items) == (
        command(b"SET", b"key", b"x" * 300)
        + command(b"INCR", b"n")
        + command(b"GET", b"key")
        + command(b"SET", b"", b"%d%b")
    )
    assert _templates.join_frames([]) == b""


@pytest.mark.parametrize(
    "args",
    [
        ("SET", "k", b"v"),
        ("SET", b"k", "v"),
        ("SET", b"k", 1),
        ("SET", b"k", memoryview(b"v")),
        ("GET", "k"),
        ("MSET", b"a", b"1", b"b"),
        ("PING",),
        ("NEVER-FRAMED-BEFORE", b"k", b"v"),
        (b"SET", b"k", b"v"),
    ],
    ids=repr,
)
def test_is_late_only_for_bytes_arguments_of_a_known_name(args: tuple[Any, ...]) -> None:
    _templates.pack_args(("SET", b"k", b"v"))
    _templates.pack_args(("GET", b"k"))
    assert not _templates.is_late(args)
