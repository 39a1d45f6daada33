"""Peak resident memory of this process, for the benchmarks and the bounded-memory test."""

from __future__ import annotations

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float:
    """This process's own high-water RSS in MB.

    Linux's ``ru_maxrss`` also counts the RSS of the process that forked this one when it
    exec'd (a pytest parent of several hundred MB), so ``VmHWM`` is read where there is one.
    """
    if _STATUS.exists():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
