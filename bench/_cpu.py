"""CPU seconds of other processes (the gateway's children, workers), read from /proc."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def _cpu(stat: str) -> float:
    """User + system CPU seconds of a /proc ``stat`` file; 0 when it is gone."""
    try:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def process_cpu(pids: Iterable[int]) -> float:
    """User + system CPU seconds of each live process in ``pids`` (a gone one counts 0)."""
    return sum(_cpu(f"/proc/{pid}/stat") for pid in pids)


def thread_cpu(pid: int) -> dict[int, float]:
    """User + system CPU seconds of each live thread of ``pid``, by thread id (the main thread's is ``pid``)."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return {}
    return {tid: _cpu(f"/proc/{pid}/task/{tid}/stat") for tid in tids}


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and of its live children."""
    return process_cpu([pid, *_children(pid)])


def server_cpu(pid: int) -> float:
    """CPU seconds of a forking server (PostgreSQL's postmaster): itself, its live children, and
    the children it has already reaped (a backend that ended meanwhile still counts)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    reaped = (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    return reaped + process_cpu([pid, *_children(pid)])
