"""End a helper process soon after the process that started it is gone, even killed outright.

Batch workers and the service's workers are spawned processes that would otherwise outlive
a parent killed with SIGKILL: a batch worker waits for work forever on queues whose pipes it
holds open itself, and a service worker keeps answering on the shared socket with nobody to
restart it, reload it or stop it. Each starts :func:`watch_parent` with its parent's process
id as the parent passed it (read in the child, ``os.getppid()`` would already name whichever
process adopted it if the parent died while it was starting). That pid is the parent only
for processes the parent starts itself (the ``spawn`` context, as both pools use): under
``forkserver`` it would be the server's, and the watch would end every helper at once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

__all__ = ["CHECK_SECONDS", "GRACE_SECONDS", "watch_parent"]

CHECK_SECONDS = 0.5
"""How often the watch looks: a helper starts to end within about this long of its parent."""
GRACE_SECONDS = 10.0
"""How long a helper may take to stop by itself (a service worker finishing its requests) before it is cut off."""


def watch_parent(
    parent: int,
    check_seconds: float = CHECK_SECONDS,
    grace_seconds: float = GRACE_SECONDS,
    gone: Callable[[], None] | None = None,
) -> None:
    """End this process once ``parent`` is no longer its parent.

    The process is sent SIGTERM, so that one that handles it stops in order (uvicorn finishes
    the requests in flight and closes), and one that does not ends at once; after
    ``grace_seconds`` it exits regardless (status 1). ``gone`` runs first (a log line, say).
    A daemon thread: it never keeps the process alive, and costs one ``getppid`` call per look.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(check_seconds)
        try:
            if gone is not None:
                gone()
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(grace_seconds)
        finally:
            os._exit(1)

    threading.Thread(target=watch, name="pore-protocol-parent-watch", daemon=True).start()
