"""The sans-IO key extractor and slot function on their edge cases, without a server.

The real-server agreement (COMMAND GETKEYS, CLUSTER KEYSLOT) is in ``test_keys.py``; these pin
the corners a server comparison of valid calls does not reach: arguments that do not fit a spec,
key counts that are not counts, keywords at the edges of their search window.
"""

from __future__ import annotations

import enum

import pytest

from redis_oxide._command import CommandFlag, CommandMeta, KeySpec, KeySpecFlag
from redis_oxide._generated._meta import COMMANDS
from redis_oxide._keys import SLOT_COUNT, KeyExtraction, command_keys, key_slot


def _meta(*specs: KeySpec, flags: CommandFlag = CommandFlag.NONE) -> CommandMeta:
    return CommandMeta("TEST", 1, -1, flags, "generic", "1.0.0", key_specs=specs)


def _keys(name: str, *args: object) -> KeyExtraction:
    return command_keys(COMMANDS[name], (*name.split(" "), *args))  # type: ignore[arg-type]


def test_one_key_at_index_one() -> None:
    assert _keys("GET", "k") == (("k",), True)
    assert _keys("SET", b"k", "v", "EX", 5) == ((b"k",), True)
    # Too few arguments: the spec does not fit, so the answer is the server's.
    assert _keys("GET") == ((), False)


def test_negative_last_key_stops_before_the_timeout() -> None:
    assert _keys("BLPOP", "a", "b", "c", 0) == (("a", "b", "c"), True)
    assert _keys("BLPOP", "a", 0) == (("a",), True)
    assert _keys("BLPOP", 0) == ((), False)


def test_step_two_range_takes_every_other_argument() -> None:
    assert _keys("MSET", "a", 1, "b", 2, "c", 3) == (("a", "b", "c"), True)
    # An odd tail still ends at the last argument, as Redis's loop does.
    assert _keys("MSET", "a", 1, "b") == (("a", "b"), True)


def test_fixed_range_of_two_keys() -> None:
    assert _keys("LCS", "a", "b", "LEN") == (("a", "b"), True)
    assert _keys("LCS", "a") == ((), False)


def test_key_count_reads_keys_after_it() -> None:
    assert _keys("EVAL", "s", 2, "a", "b", "x") == (("a", "b"), True)
    assert _keys("EVAL", "s", b"2", "a", "b") == (("a", "b"), True)
    assert _keys("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", 1, 2) == (("d", "a", "b"), True)
    assert _keys("LMPOP", 1, "a", "LEFT") == (("a",), True)


def test_zero_keys_is_complete_only_where_keys_are_optional() -> None:
    assert _keys("EVAL", "return 1", 0) == ((), True)
    assert _keys("FCALL_RO", "f", "0", "arg") == ((), True)
    # ZUNION needs a key: Redis calls the spec invalid and so does the extractor.
    assert _keys("ZUNION", 0) == ((), False)
    # ZUNIONSTORE's destination spec still holds: the partial answer keeps it.
    assert _keys("ZUNIONSTORE", "d", 0) == (("d",), False)


@pytest.mark.parametrize(
    "count", ["-1", -1, "-0", "01", "+1", " 1", "1.0", 1.0, "x", "", 2**63, "9" * 21]
)
def test_key_count_that_string2ll_refuses_leaves_it_to_the_server(count: object) -> None:
    assert _keys("EVAL", "s", count, "a") == ((), False)


def test_key_count_beyond_the_arguments_or_missing() -> None:
    assert _keys("EVAL", "s", 3, "a", "b") == ((), False)
    assert _keys("EVAL", "s") == ((), False)


def test_keyword_search_from_the_end() -> None:
    # MIGRATE's KEYS search starts at argc-2 and walks back, stopping before index 1.
    assert _keys("MIGRATE", "h", 1, "k", 0, 1000) == (("k",), True)
    found = _keys("MIGRATE", "h", 1, "", 0, 1000, "keys", "a", "b")
    assert found == (("", "a", "b"), False)  # the KEYS spec is INCOMPLETE
    spec = KeySpec(begin_keyword="KEYS", begin_keyword_start=-1, last_key=-1)
    # From the end means from the last argument down to index 2: index 1 is never read.
    assert command_keys(_meta(spec), ("T", "KEYS", "x", "y")) == ((), True)
    # A keyword with nothing after it leaves the range empty: the spec does not fit.
    assert command_keys(_meta(spec), ("T", "x", "y", "KEYS")) == ((), False)
    assert command_keys(_meta(spec), ("T", "x", "KEYS", "a")) == (("a",), True)


def test_keyword_search_forward_stops_before_the_last_argument() -> None:
    assert _keys("XREAD", "COUNT", 2, "STREAMS", "a", "b", 0, 0) == (("a", "b"), True)
    # The keyword is never the last argument: nothing would follow it.
    spec = KeySpec(begin_keyword="STORE", begin_keyword_start=1, last_key=0)
    assert command_keys(_meta(spec), ("T", "x", "STORE")) == ((), True)
    assert command_keys(_meta(spec), ("T", "STORE", "d")) == (("d",), True)
    # startfrom beyond the arguments finds nothing.
    late = KeySpec(begin_keyword="STORE", begin_keyword_start=6, last_key=0)
    assert command_keys(_meta(late), ("T", "STORE", "d")) == ((), True)


def test_keyword_matches_like_strcasecmp() -> None:
    spec = KeySpec(begin_keyword="STREAMS", begin_keyword_start=1, last_key=0)
    meta = _meta(spec)
    assert command_keys(meta, ("T", b"sTrEaMs", "a"))[0] == ("a",)
    assert command_keys(meta, ("T", memoryview(b"streams"), "a"))[0] == ("a",)
    # C compares up to the NUL; a Unicode look-alike (long s) is not ASCII case folding.
    assert command_keys(meta, ("T", b"STREAMS\0tail", "a"))[0] == ("a",)
    assert command_keys(meta, ("T", "\u017ftreams", "a"))[0] == ()
    assert command_keys(meta, ("T", "STREAM", "a"))[0] == ()


def test_limit_divides_the_remaining_arguments() -> None:
    # XREAD STREAMS: half of what follows the keyword are keys, the rest ids.
    assert _keys("XREAD", "STREAMS", "a", "b", "c", 1, 2, 3) == (("a", "b", "c"), True)
    assert _keys("XREAD", "STREAMS", "a", 1) == (("a",), True)
    # An odd count rounds down, as C's integer division.
    assert _keys("XREAD", "STREAMS", "a", "b", 1) == (("a",), True)
    spec = KeySpec(begin_index=1, last_key=-1, limit=3)
    assert command_keys(_meta(spec), ("T", "a", "b", 1, 2, 3, 4)) == (("a", "b"), True)


def test_unknown_and_incomplete_specs_say_so() -> None:
    found = _keys("SORT", "k", "STORE", "d")
    assert found == (("k",), False)
    incomplete = KeySpec(begin_index=1, last_key=0, flags=KeySpecFlag.RW | KeySpecFlag.INCOMPLETE)
    assert command_keys(_meta(incomplete), ("T", "k")) == (("k",), False)


def test_not_key_specs_are_skipped_unless_asked_for() -> None:
    assert _keys("SPUBLISH", "ch", "m") == ((), True)
    both = command_keys(COMMANDS["SSUBSCRIBE"], ("SSUBSCRIBE", "a", "b"), include_not_keys=True)
    assert both == (("a", "b"), True)


def test_commands_without_specs() -> None:
    assert _keys("PING") == ((), True)
    assert command_keys(_meta(flags=CommandFlag.MOVABLEKEYS), ("T", "x")) == ((), False)


def test_subcommand_indices_count_from_the_container_name() -> None:
    assert _keys("XINFO STREAM", "s", "FULL") == (("s",), True)
    assert _keys("OBJECT ENCODING", "k") == (("k",), True)


def test_several_specs_report_keys_in_spec_order() -> None:
    found = _keys("GEORADIUS", "g", 1, 2, 3, "m", "STOREDIST", "d2", "STORE", "d1")
    assert found == (("g", "d1", "d2"), True)
    assert _keys("SINTERSTORE", "d", "a", "b") == (("d", "a", "b"), True)


def test_any_sequence_of_arguments_and_runtime_metadata() -> None:
    assert command_keys(COMMANDS["MGET"], ["MGET", "a", "b"]) == (("a", "b"), True)
    for index in range(1, 4):
        meta = _meta(KeySpec(begin_index=index, last_key=0))
        assert command_keys(meta, ("T", "a", "b", "c"))[0] == (("a", "b", "c")[index - 1],)


class _Color(enum.IntEnum):
    RED = 7


@pytest.mark.parametrize(
    ("key", "slot"),
    [
        (b"123456789", 0x31C3),  # CRC16/XMODEM's check value, below 16384
        ("foo", 12182),
        (b"{user1000}.following", 3443),
        ("{user1000}.followers", 3443),
        (b"foo{}{bar}", 8363),  # an empty first tag: the whole key is hashed
        (b"foo{{bar}}zap", 4015),  # the tag is "{bar"
        (b"foo{bar}{zap}", 5061),  # only the first tag counts
        (b"", 0),
    ],
)
def test_key_slot_known_values(key: str | bytes, slot: int) -> None:
    assert key_slot(key) == slot


def test_key_slot_hashes_the_wire_text() -> None:
    assert key_slot(123) == key_slot(b"123")
    assert key_slot(_Color.RED) == key_slot(b"7")
    assert key_slot(1.5) == key_slot(b"1.5")
    assert key_slot("\u00e9t\u00e9") == key_slot("\u00e9t\u00e9".encode())
    assert key_slot(memoryview(b"{a}b")) == key_slot(b"a")
    assert 0 <= key_slot(b"\xff" * 100) < SLOT_COUNT


@pytest.mark.parametrize("key", [True, None, ["a"]])
def test_key_slot_refuses_what_the_wire_cannot_carry(key: object) -> None:
    with pytest.raises(TypeError):
        key_slot(key)  # type: ignore[arg-type]


def test_plans_stay_right_past_the_cache_bound() -> None:
    for round_ in range(5000):
        index = round_ % 3 + 1
        meta = _meta(KeySpec(begin_index=index, last_key=-1))
        assert command_keys(meta, ("T", "a", "b", "c")) == (("a", "b", "c")[index - 1 :], True)


def test_keyword_search_refuses_what_the_wire_cannot_carry() -> None:
    with pytest.raises(TypeError):
        _keys("XREAD", None, "STREAMS", "a", 0)
