"""The resident memory of this process, for memory tests and the soak script (no dependencies)."""

from __future__ import annotations

import os
import sys

__all__ = ["rss_bytes"]


def rss_bytes() -> int:
    """Current resident set size in bytes.

    Linux: ``/proc/self/statm`` (current, can go down). Elsewhere: the peak from
    ``getrusage``, which only grows; a test that checks growth stays meaningful with it.
    """
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
