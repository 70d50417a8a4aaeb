"""End a helper process soon after the process that started it is gone, even killed outright.

Batch workers and the service's workers are spawned processes that would otherwise outlive
a parent killed with SIGKILL: a batch worker waits for work forever on queues whose pipes it
holds open itself, and a service worker keeps answering on the shared socket with nobody to
restart it, reload it or stop it. Each starts :func:`watch_parent` with its parent's process
id as the parent passed it (read in the child, ``os.getppid()`` would already name whichever
process adopted it if the parent died while it was starting).
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["CHECK_SECONDS", "watch_parent"]

CHECK_SECONDS = 0.5
"""How often the watch looks: a helper ends within about this long of its parent."""


def watch_parent(parent: int, check_seconds: float = CHECK_SECONDS) -> None:
    """Exit this process (status 1, at once) once ``parent`` is no longer its parent.

    A daemon thread: it never keeps the process alive, and costs one ``getppid`` call per look.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(check_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="pore-protocol-parent-watch", daemon=True).start()
