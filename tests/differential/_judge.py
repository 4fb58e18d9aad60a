"""Judge one pair of outcomes: agreement, a documented difference, or a finding.

Rules:

- Replies of commands that vary between two calls (the conformance suite's ``VARYING``:
  clocks, ids, counters) are compared by shape, except the cases in ``EXACT``, whose
  replies in this run do not vary.
- Two raised errors agree when both are server errors with the same text (redis-py drops
  an ``ERR`` prefix, redis-oxide keeps the message verbatim), or both are the same local
  exception (a ``UnicodeDecodeError`` on a decoding client).
- A documented difference (``differences.py``) must show in its configurations, and the
  outcomes must agree once its adapters are applied (to the value, or to the exception a
  call raised). A known issue (listed by the test) must
  still differ; once it agrees, its listing is stale and fails the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from redis.exceptions import ResponseError

from redis_oxide.exceptions import ServerError
from tests.conformance._runner import command_of
from tests.conformance.tables import VARYING

from ._compare import difference
from ._run import Config, Outcome, Pair
from .differences import DIFFERENCES, Difference

__all__ = ["EXACT", "Verdict", "judge"]

#: Cases of ``VARYING`` commands whose replies are stable here: no idle times or counters.
EXACT = frozenset(
    {
        "info",
        "info-keys",
        "info-modules",
        "xinfo_stream",
        "xinfo_stream-emptied",
        "xpending",
        "xpending-none",
    }
)

Status = Literal["same", "documented", "known", "differs", "stale"]


@dataclass(frozen=True)
class Verdict:
    """What one case came to in one configuration.

    Attributes:
        case_id: The case.
        status: ``same``, ``documented`` (a documented difference, and the rest agrees),
            ``known`` (listed as a known issue), ``differs`` (a finding) or ``stale`` (a
            documented or known difference that no longer shows).
        detail: For a finding or a stale entry, what happened.
        differences: The documented differences that applied.
    """

    case_id: str
    status: Status
    detail: str = ""
    differences: tuple[str, ...] = ()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


def _server_message(error: BaseException) -> str | None:
    if isinstance(error, ServerError):
        return error.message
    if isinstance(error, ResponseError):
        return str(error)
    return None


def _errors_agree(oxide: BaseException, py: BaseException) -> bool:
    ours, theirs = _server_message(oxide), _server_message(py)
    if ours is not None and theirs is not None:
        return theirs in (ours, ours.partition(" ")[2])
    return type(oxide) is type(py)


def _compare(
    oxide: Outcome, py: Outcome, shape: bool, adapters: tuple[Difference, ...]
) -> str | None:
    ours = oxide.value if oxide.error is None else oxide.error
    theirs = py.value if py.error is None else py.error
    try:
        for entry in adapters:
            ours, theirs = entry.oxide(ours), entry.py(theirs)
    except Exception as error:
        return f"an adapter failed on {_short(ours)} / {_short(theirs)}: {error!r}"
    if isinstance(ours, BaseException) or isinstance(theirs, BaseException):
        if (
            isinstance(ours, BaseException)
            and isinstance(theirs, BaseException)
            and _errors_agree(ours, theirs)
        ):
            return None
        return f"redis-oxide: {_short(ours)}; redis-py: {_short(theirs)}"
    found = difference(ours, theirs, shape)
    if found is None:
        return None
    return f"{found}\n      redis-oxide: {_short(ours)}\n      redis-py:    {_short(theirs)}"


def judge(pair: Pair, config: Config, known: Mapping[str, frozenset[str]]) -> Verdict:
    """Compare the two outcomes of one case in one configuration.

    Args:
        pair: Both outcomes.
        config: The configuration they ran in.
        known: Case ids listed as known issues, with the configurations affected.

    Returns:
        The verdict.
    """
    case = pair.case
    shape = command_of(case.entry.method) in VARYING and case.id not in EXACT
    names = tuple(
        name
        for kind in ("redis-py", "choice")
        for name, entry in DIFFERENCES.items()
        if entry.kind == kind and case.id in entry.cases and config.id in entry.configs
    )
    adapters = tuple(DIFFERENCES[name] for name in names)
    adapted = _compare(pair.oxide, pair.py, shape, adapters)
    if config.id in known.get(case.id, frozenset()):
        if adapted is None:
            return Verdict(case.id, "stale", "listed as known but agrees now", names)
        return Verdict(case.id, "known", adapted, names)
    if not names:
        return Verdict(case.id, "same") if adapted is None else Verdict(case.id, "differs", adapted)
    if _compare(pair.oxide, pair.py, shape, ()) is None:
        return Verdict(case.id, "stale", f"documented as {', '.join(names)} but agrees", names)
    if adapted is not None:
        return Verdict(case.id, "differs", f"after {', '.join(names)}: {adapted}", names)
    return Verdict(case.id, "documented", "", names)
