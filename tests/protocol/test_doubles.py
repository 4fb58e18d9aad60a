"""The batch reader of RESP2 doubles gives exactly what ``float()`` gives, or declines.

Sorted-set scores arrive as text under RESP2; ``_parsers.floats`` hands a column of them to
``decode_doubles`` (hiredis reading them as one RESP3 array of doubles). Every value it
returns must be bit for bit the one ``float()`` reads; any text the two could read
differently must make it decline, so the column goes through ``float()``.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from typing import Any

import pytest

from redis_oxide import _parsers
from redis_oxide._protocol import HIREDIS_AVAILABLE
from redis_oxide._protocol._hiredis import decode_doubles

pytestmark = pytest.mark.skipif(not HIREDIS_AVAILABLE, reason="hiredis is a dependency")


def _bits(values: Any) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def _scores(seed: int) -> list[str]:
    """Texts as Redis writes scores (shortest repr, %.17g) and longer decimal strings."""
    rnd = random.Random(seed)
    texts: list[str] = []
    for _ in range(3000):
        value = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
        if value != value or value in (float("inf"), float("-inf")):
            continue
        texts += [repr(value), f"{value:.17g}", f"{rnd.uniform(-1e6, 1e6):.17g}"]
        digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 40)))
        cut = rnd.randint(0, len(digits))
        texts.append(f"{'-' if rnd.random() < 0.5 else ''}{digits[:cut]}.{digits[cut:]}0")
    texts += ["inf", "-inf", "0", "-0", "5e-324", "2.2250738585072014e-308", "0.1"]
    texts += ["1.7976931348623157e+308", "4.9406564584124654e-324", "123456789012345678901234"]
    return texts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_score_is_read_in_one_batch_as_float_reads_it(seed: int) -> None:
    texts = _scores(seed)
    expected = _bits(float(t) for t in texts)
    assert _bits(decode_doubles([t.encode() for t in texts]) or []) == expected
    assert _bits(decode_doubles(texts) or []) == expected


def test_exponents_near_the_ends_of_the_range_read_as_float_or_decline() -> None:
    # hiredis declines a text that underflows to zero (float() reads 0.0): the column then
    # goes through float(), so what the caller gets is the same either way.
    rnd = random.Random(4)
    declined = 0
    for _ in range(4000):
        text = f"{rnd.randint(-(10**20), 10**20)}e{rnd.randint(-345, 287)}"
        decoded = decode_doubles([text] * 2)
        if decoded is None:
            declined += 1
            assert float(text) == 0.0, text
        else:
            assert _bits(decoded) == _bits([float(text)] * 2), text
    assert declined < 400


@pytest.mark.parametrize(
    "odd",
    [
        b"0x10",  # a hex float to strtod, refused by float()
        b"1_000",  # float() reads 1000.0, strtod stops at the underscore
        b"1.5 ",  # float() strips the blank, hiredis refuses it
        b"",  # refused by both: float() raises, so the caller must see it
        b"1\r\n,2",  # would shift every later frame
        b"1\n",
        b"1\r",
        b"1e999",  # inf to float(), out of range to hiredis
        b"1e-400",  # 0.0 to float(), out of range to hiredis
        b"+inf",
        b"x" * 400,  # longer than hiredis reads
    ],
)
def test_texts_the_two_could_read_differently_are_declined(odd: bytes) -> None:
    texts = [b"1.5"] * 20
    texts[7] = odd
    assert decode_doubles(texts) is None


def test_values_that_are_not_text_are_declined() -> None:
    assert decode_doubles([1.5] * 20) is None
    assert decode_doubles([b"1.5", "1.5"] * 10) is None
    # float() reads Unicode digits ("\u0661\u0665" is 15.0); hiredis reads ASCII only.
    assert decode_doubles(["1.5"] * 19 + ["\u0661\u0665"]) is None


@pytest.fixture
def no_batch() -> Iterator[None]:
    _parsers.use_double_decoder(None)
    try:
        yield
    finally:
        _parsers.use_double_decoder(decode_doubles)


@pytest.mark.parametrize("count", [0, 1, _parsers.FLOATS_BATCH - 1, _parsers.FLOATS_BATCH, 500])
def test_floats_gives_the_same_column_with_and_without_the_batch(
    count: int, no_batch: None
) -> None:
    texts = [b"%d.25" % i for i in range(count)]
    slow = list(_parsers.floats(texts))
    _parsers.use_double_decoder(decode_doubles)
    fast = list(_parsers.floats(texts))
    assert fast == slow == [i + 0.25 for i in range(count)]
    assert all(type(v) is float for v in fast)


def test_floats_falls_back_to_float_for_what_the_batch_declines() -> None:
    texts = [b"1_0"] + [b"2"] * 30
    assert list(_parsers.floats(texts)) == [10.0] + [2.0] * 30
    with pytest.raises(ValueError, match="could not convert"):
        list(_parsers.floats([b"oops"] + [b"2"] * 30))


def test_the_protocol_layer_installs_the_batch_reader() -> None:
    import redis_oxide._protocol  # noqa: F401  (importing it is what installs the reader)

    assert _parsers._decode_doubles is decode_doubles  # pyright: ignore[reportPrivateUsage]
