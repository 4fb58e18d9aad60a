"""Both decoders against the vector table: whole, byte by byte, split everywhere, with trailers."""

from __future__ import annotations

import gc
import types
import weakref
from collections.abc import Iterable
from typing import Any, Literal

import pytest

from redis_oxide._exceptions import ProtocolError, ServerError, server_error_from_message
from redis_oxide._protocol import (
    HIREDIS_AVAILABLE,
    NOT_ENOUGH,
    Decoder,
    NeedMoreData,
    PushMessage,
    make_decoder,
)

from ._vectors import INVALID, TEXT_VECTORS, VECTORS, Vector, canon

IMPLEMENTATIONS: list[Literal["hiredis", "python"]] = ["hiredis", "python"]


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> Literal["hiredis", "python"]:
    # "hiredis" falls back to the pure decoder without hiredis; here it must be the real one.
    assert HIREDIS_AVAILABLE or request.param != "hiredis", "hiredis is a dependency"
    return request.param  # type: ignore[no-any-return]


def drain(decoder: Decoder, chunks: Iterable[bytes]) -> list[Any]:
    """Feed chunk by chunk, collecting every reply that becomes complete."""
    replies = []
    for chunk in chunks:
        decoder.feed(chunk)
        while (reply := decoder.next_reply()) is not NOT_ENOUGH:
            replies.append(reply)
    return replies


def _ids(vectors: list[Vector]) -> list[str]:
    return [f"{v.resp}-{v.id}" for v in vectors]


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_vector_fed_whole(impl: Literal["hiredis", "python"], vector: Vector) -> None:
    replies = drain(make_decoder(implementation=impl), [vector.data])
    assert canon(replies) == canon(list(vector.replies))


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_vector_fed_byte_by_byte(impl: Literal["hiredis", "python"], vector: Vector) -> None:
    chunks = [vector.data[i : i + 1] for i in range(len(vector.data))]
    replies = drain(make_decoder(implementation=impl), chunks)
    assert canon(replies) == canon(list(vector.replies))


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_vector_split_at_every_offset(impl: Literal["hiredis", "python"], vector: Vector) -> None:
    expected = canon(list(vector.replies))
    for cut in range(1, len(vector.data)):
        chunks = [vector.data[:cut], vector.data[cut:]]
        assert canon(drain(make_decoder(implementation=impl), chunks)) == expected, cut


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_trailing_bytes_stay_buffered(impl: Literal["hiredis", "python"], vector: Vector) -> None:
    decoder = make_decoder(implementation=impl)
    replies = drain(decoder, [vector.data + b"+next\r\n$5\r\nhel"])
    assert canon(replies) == canon([*vector.replies, b"next"])
    assert decoder.next_reply() is NOT_ENOUGH
    assert drain(decoder, [b"lo\r\n"]) == [b"hello"]


@pytest.mark.parametrize("vector", TEXT_VECTORS, ids=_ids(TEXT_VECTORS))
def test_text_vector_with_encoding(impl: Literal["hiredis", "python"], vector: Vector) -> None:
    chunks = [vector.data[i : i + 1] for i in range(len(vector.data))]
    for feed in ([vector.data], chunks):
        decoder = make_decoder(encoding="utf-8", implementation=impl)
        assert canon(drain(decoder, feed)) == canon(list(vector.replies))


@pytest.mark.parametrize(("data", "case"), INVALID, ids=[case for _, case in INVALID])
def test_invalid_stream_raises_protocol_error_and_stays_failed(
    impl: Literal["hiredis", "python"], data: bytes, case: str
) -> None:
    decoder = make_decoder(implementation=impl)
    decoder.feed(data)
    with pytest.raises(ProtocolError):
        decoder.next_reply()
    decoder.feed(b"+OK\r\n")
    with pytest.raises(ProtocolError):
        decoder.next_reply()


def test_nesting_limit_matches_hiredis(impl: Literal["hiredis", "python"]) -> None:
    deepest = b"*1\r\n" * 1024 + b":1\r\n"
    reply = drain(make_decoder(implementation=impl), [deepest])[0]
    for _ in range(1024):
        assert type(reply) is list
        reply = reply[0]
    assert reply == 1


def test_push_frames_and_only_push_frames_have_the_push_type(
    impl: Literal["hiredis", "python"],
) -> None:
    replies = drain(make_decoder(implementation=impl), [b">1\r\n:1\r\n*1\r\n:1\r\n~1\r\n:1\r\n"])
    assert [type(r) is PushMessage for r in replies] == [True, False, False]
    assert isinstance(replies[0], list)


def test_false_is_a_value_not_the_need_more_data_sentinel(
    impl: Literal["hiredis", "python"],
) -> None:
    decoder = make_decoder(implementation=impl)
    decoder.feed(b"#f\r\n")
    assert decoder.next_reply() is False
    assert decoder.next_reply() is NOT_ENOUGH
    assert isinstance(NOT_ENOUGH, NeedMoreData)
    assert repr(NOT_ENOUGH) == "NOT_ENOUGH"


def test_server_errors_are_returned_not_raised(impl: Literal["hiredis", "python"]) -> None:
    (reply,) = drain(make_decoder(implementation=impl), [b"-NOSCRIPT No matching script\r\n"])
    assert isinstance(reply, ServerError)
    assert type(reply).__name__ == "NoScriptError"
    assert reply.code == "NOSCRIPT"


def test_decode_false_keeps_bytes_for_one_reply(impl: Literal["hiredis", "python"]) -> None:
    decoder = make_decoder(encoding="utf-8", implementation=impl)
    decoder.feed(b"$2\r\n\xff\xfe\r\n*1\r\n$1\r\na\r\n")
    assert decoder.next_reply(False) == b"\xff\xfe"
    assert decoder.next_reply() == ["a"]


def test_strict_decoding_error_raises_unicode_decode_error(
    impl: Literal["hiredis", "python"],
) -> None:
    decoder = make_decoder(encoding="utf-8", errors="strict", implementation=impl)
    decoder.feed(b"$1\r\n\xff\r\n")
    with pytest.raises(UnicodeDecodeError):
        decoder.next_reply()


def test_errors_handler_applies_to_text(impl: Literal["hiredis", "python"]) -> None:
    decoder = make_decoder(encoding="utf-8", errors="replace", implementation=impl)
    assert drain(decoder, [b"+\xff\r\n$1\r\n\xff\r\n"]) == ["\ufffd", "\ufffd"]


def test_unknown_codec_is_refused_up_front(impl: Literal["hiredis", "python"]) -> None:
    with pytest.raises(LookupError):
        make_decoder(encoding="no-such-codec", implementation=impl)
    with pytest.raises(LookupError):
        make_decoder(encoding="utf-8", errors="no-such-handler", implementation=impl)


def test_aggregate_map_key_breaks_the_decoder() -> None:
    # Redis never sends one. Pinned divergence: hiredis raises a bare TypeError from C and
    # its reader is unusable afterwards; the pure decoder raises ProtocolError.
    data = b"%1\r\n*0\r\n:1\r\n"
    hiredis_decoder = make_decoder(implementation="hiredis")
    hiredis_decoder.feed(data)
    with pytest.raises(TypeError, match="unhashable"):
        hiredis_decoder.next_reply()
    python_decoder = make_decoder(implementation="python")
    python_decoder.feed(data)
    with pytest.raises(ProtocolError, match="map key"):
        python_decoder.next_reply()


def test_unknown_implementation_is_refused() -> None:
    with pytest.raises(ValueError, match="implementation"):
        make_decoder(implementation="rust")  # type: ignore[arg-type]


def test_hiredis_next_reply_is_the_readers_c_method() -> None:
    decoder = make_decoder(implementation="hiredis")
    # No Python frame per reply: the attribute is the builtin bound method itself.
    assert type(decoder.next_reply) is types.BuiltinMethodType
    assert type(decoder.feed) is types.BuiltinMethodType


def test_custom_reply_error_factory_is_used(impl: Literal["hiredis", "python"]) -> None:
    def factory(message: str) -> ServerError:
        return server_error_from_message(message).with_context(address="10.0.0.1:6379")

    decoder = make_decoder(implementation=impl, reply_error=factory)
    (reply,) = drain(decoder, [b"-ERR x\r\n"])
    assert isinstance(reply, ServerError)
    assert reply.address == "10.0.0.1:6379"


def test_decoder_with_callback_referencing_its_owner_is_collected(
    impl: Literal["hiredis", "python"],
) -> None:
    class Owner:
        decoder: Decoder

        def on_error(self, message: str) -> ServerError:
            return server_error_from_message(message).with_context(address=repr(self))

    owner = Owner()
    # owner -> decoder -> bound method -> owner: only the cycle collector can free it.
    owner.decoder = make_decoder(implementation=impl, reply_error=owner.on_error)
    owner.decoder.feed(b"*2\r\n-ERR x\r\n")
    assert owner.decoder.next_reply() is NOT_ENOUGH
    ref = weakref.ref(owner)
    del owner
    gc.collect()
    assert ref() is None
