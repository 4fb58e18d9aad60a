"""How a pair of outcomes is judged: findings, documented differences, stale entries."""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

from redis_oxide.exceptions import ServerError

from ._judge import judge
from ._run import CONFIGS, Outcome, Pair
from .tables import CASES

_BY_ID = {case.id: case for case in CASES}
_RESP2_BYTES, _RESP3_STR = CONFIGS[0], CONFIGS[3]


def _pair(case_id: str, oxide: Any, py: Any) -> Pair:
    def outcome(value: Any) -> Outcome:
        return Outcome(None, value) if isinstance(value, BaseException) else Outcome(value)

    return Pair(_BY_ID[case_id], outcome(oxide), outcome(py))


def test_equal_values_agree_and_other_values_are_a_finding() -> None:
    assert judge(_pair("get", b"v", b"v"), _RESP2_BYTES, {}).status == "same"
    verdict = judge(_pair("get", b"v", "v"), _RESP2_BYTES, {})
    assert verdict.status == "differs"
    assert "b'v' against 'v'" in verdict.detail


def test_a_documented_difference_must_show_and_the_rest_must_agree() -> None:
    documented = judge(_pair("ping", b"PONG", True), _RESP2_BYTES, {})
    assert (documented.status, documented.differences) == ("documented", ("ping-reply",))
    assert judge(_pair("ping", True, True), _RESP2_BYTES, {}).status == "stale"
    assert judge(_pair("ping", b"PING", True), _RESP2_BYTES, {}).status == "differs"


def test_a_difference_applies_only_in_its_configurations() -> None:
    # redis-py decodes ACL WHOAMI on a bytes client under RESP2 only.
    assert judge(_pair("acl_whoami", b"default", "default"), _RESP2_BYTES, {}).status == (
        "documented"
    )
    assert judge(_pair("acl_whoami", "default", "default"), _RESP3_STR, {}).status == "same"


def test_a_known_issue_must_still_differ() -> None:
    known = {"get": frozenset({_RESP2_BYTES.id})}
    assert judge(_pair("get", b"v", b"w"), _RESP2_BYTES, known).status == "known"
    assert judge(_pair("get", b"v", b"v"), _RESP2_BYTES, known).status == "stale"


def test_errors_agree_on_the_server_message() -> None:
    ours = ServerError("ERR value is not an integer or out of range", code="ERR")
    theirs = ResponseError("value is not an integer or out of range")
    assert judge(_pair("incr", ours, theirs), _RESP2_BYTES, {}).status == "same"
    assert judge(_pair("incr", ours, ResponseError("other")), _RESP2_BYTES, {}).status == (
        "differs"
    )
    assert judge(_pair("incr", ours, 1), _RESP2_BYTES, {}).status == "differs"


def test_varying_replies_are_compared_by_shape() -> None:
    assert judge(_pair("client_id", 7, 9), _RESP3_STR, {}).status == "same"
    assert judge(_pair("client_id", 7, "9"), _RESP3_STR, {}).status == "differs"
