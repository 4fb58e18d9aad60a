"""Typed views of what the sentinels know: monitored primaries and a group's health report.

Rules: every view is a frozen dataclass built from sentinel records (``dict[str, str]``,
see ``_sentinel_discovery.fields``) by one function here; fields a record lacks take a
neutral value rather than failing, so a newer Sentinel with more or fewer fields still
gives a report. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "MonitoredPrimary",
    "ReplicaStatus",
    "SentinelReport",
    "SentinelStatus",
    "build_report",
    "monitored_primary",
]

# Not usable: flagged down, or the answering sentinel has no link to it (replicas, peers).
_DOWN = frozenset({"s_down", "o_down", "disconnected"})
# What "down" means for a primary: subjectively (this sentinel) or objectively (a quorum).
# ``disconnected`` alone is the sentinel's own link being re-made, as it is for a while
# right after a failover while the new primary answers; down-after-milliseconds later an
# unreachable primary is ``s_down``.
_PRIMARY_DOWN = frozenset({"s_down", "o_down"})


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _flags(record: dict[str, str]) -> frozenset[str]:
    return frozenset(flag for flag in record.get("flags", "").split(",") if flag)


def _int(record: dict[str, str], key: str) -> int:
    try:
        return int(record.get(key, "0"))
    except ValueError:
        return 0


@dataclass(frozen=True, slots=True)
class MonitoredPrimary:
    """One name the sentinels monitor, as one sentinel sees it (``SENTINEL MASTERS``).

    Attributes:
        name: The monitored name.
        host: The primary's host.
        port: The primary's port.
        flags: Sentinel's flags for it (``master``, ``s_down``, ``o_down``,
            ``failover_in_progress`` …).
        quorum: Sentinels needed to agree it is down.
        replicas: Replicas the sentinel knows of.
        other_sentinels: Other sentinels monitoring it.
        config_epoch: The epoch of its current configuration (grows with each failover).
    """

    name: str
    host: str
    port: int
    flags: frozenset[str]
    quorum: int
    replicas: int
    other_sentinels: int
    config_epoch: int

    @property
    def address(self) -> str:
        """``host:port`` of the primary."""
        return _address(self.host, self.port)

    @property
    def is_down(self) -> bool:
        """Whether the sentinel considers it down: ``s_down`` (subjectively, this sentinel)
        or ``o_down`` (objectively, a quorum agrees); ``disconnected`` alone is not down."""
        return bool(self.flags & _PRIMARY_DOWN)

    @property
    def failover_in_progress(self) -> bool:
        """Whether a failover of this name is under way."""
        return "failover_in_progress" in self.flags


@dataclass(frozen=True, slots=True)
class ReplicaStatus:
    """One replica of a monitored primary (``SENTINEL REPLICAS``).

    Attributes:
        host: Its host.
        port: Its port.
        flags: Sentinel's flags for it (``slave``, ``s_down``, ``disconnected`` …).
        link_ok: Whether its replication link to the primary is up.
        link_down_ms: How long the link has been down, in milliseconds (0 when up).
        offset: Its replication offset.
    """

    host: str
    port: int
    flags: frozenset[str]
    link_ok: bool
    link_down_ms: int
    offset: int

    @property
    def address(self) -> str:
        """``host:port`` of the replica."""
        return _address(self.host, self.port)

    @property
    def healthy(self) -> bool:
        """Whether reads may go to it: not down or disconnected, and its link is up."""
        return self.link_ok and not self.flags & _DOWN


@dataclass(frozen=True, slots=True)
class SentinelStatus:
    """One sentinel seen monitoring the name.

    Attributes:
        host: Its host.
        port: Its port.
        run_id: Its run id (empty for the sentinel that answered, which does not list itself).
        flags: Flags the answering sentinel gives it (``sentinel``, ``s_down`` …).
    """

    host: str
    port: int
    run_id: str
    flags: frozenset[str]

    @property
    def address(self) -> str:
        """``host:port`` of the sentinel."""
        return _address(self.host, self.port)

    @property
    def healthy(self) -> bool:
        """Whether it is not flagged down or disconnected."""
        return not self.flags & _DOWN


@dataclass(frozen=True, slots=True)
class SentinelReport:
    """The health of one monitored name, from the first sentinel that answered.

    Attributes:
        name: The monitored name.
        primary: What the sentinels know of the primary.
        quorum_reached: Whether enough sentinels are reachable to agree on a failure and to
            authorise a failover (``SENTINEL CKQUORUM``).
        quorum_detail: The sentinel's explanation (``"OK 3 usable Sentinels. …"``).
        replicas: Every replica with its state, healthy or not.
        sentinels: Every sentinel seen: the one that answered first, then its peers.
        asked: The sentinel that answered (``host:port``).
    """

    name: str
    primary: MonitoredPrimary
    quorum_reached: bool
    quorum_detail: str
    replicas: tuple[ReplicaStatus, ...]
    sentinels: tuple[SentinelStatus, ...]
    asked: str

    @property
    def healthy_replicas(self) -> tuple[ReplicaStatus, ...]:
        """The replicas reads may go to."""
        return tuple(r for r in self.replicas if r.healthy)


def monitored_primary(record: dict[str, str]) -> MonitoredPrimary:
    """Build the view of one ``SENTINEL MASTERS``/``MASTER`` record.

    Args:
        record: The record.

    Returns:
        The view.
    """
    return MonitoredPrimary(
        name=record.get("name", ""),
        host=record.get("ip", ""),
        port=_int(record, "port"),
        flags=_flags(record),
        quorum=_int(record, "quorum"),
        replicas=_int(record, "num-slaves"),
        other_sentinels=_int(record, "num-other-sentinels"),
        config_epoch=_int(record, "config-epoch"),
    )


def build_report(
    name: str,
    asked: tuple[str, int],
    primary: dict[str, str],
    replicas: list[dict[str, str]],
    peers: list[dict[str, str]],
    quorum: Any,
) -> SentinelReport:
    """Build a group's report from one sentinel's answers.

    Args:
        name: The monitored name.
        asked: The sentinel that answered.
        primary: Its ``SENTINEL MASTER`` record.
        replicas: Its ``SENTINEL REPLICAS`` records.
        peers: Its ``SENTINEL SENTINELS`` records.
        quorum: Its ``SENTINEL CKQUORUM`` reply: a text, or the error it answered with.

    Returns:
        The report.
    """
    detail = str(getattr(quorum, "message", quorum))
    return SentinelReport(
        name=name,
        primary=monitored_primary(primary),
        quorum_reached=not isinstance(quorum, BaseException) and detail.startswith("OK"),
        quorum_detail=detail,
        replicas=tuple(
            ReplicaStatus(
                host=r.get("ip", ""),
                port=_int(r, "port"),
                flags=_flags(r),
                link_ok=r.get("master-link-status") == "ok",
                link_down_ms=_int(r, "master-link-down-time"),
                offset=_int(r, "slave-repl-offset"),
            )
            for r in replicas
        ),
        sentinels=(
            SentinelStatus(host=asked[0], port=asked[1], run_id="", flags=frozenset({"sentinel"})),
            *(
                SentinelStatus(
                    host=p.get("ip", ""),
                    port=_int(p, "port"),
                    run_id=p.get("runid", ""),
                    flags=_flags(p),
                )
                for p in peers
            ),
        ),
        asked=_address(*asked),
    )
