"""A batch on a LocalCluster of its own that loses a worker mid-run; run by ``tests/batch/test_dask.py``.

Run in a process of its own (``python -m tests.batch.dask_lost_worker``) so that the test can
bound it in time and end it, with its workers, whatever happens. Prints one JSON object: what
the test checks.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import engine
from engine.batch import DaskCluster, Record, run_batch
from tests.batch.test_batch import CLIENTS
from tests.conftest import RULES

RECORDS = 1_200
PARTITION = 100
"""Partitions of about a tenth of a second: some are still running or waiting when the first comes back."""


def main() -> int:
    records = [Record(n, n, CLIENTS[n % len(CLIENTS)], f"client-{n}") for n in range(1, RECORDS + 1)]
    protocol = engine.load_protocol(RULES)
    expected = [result.to_json() for result in run_batch(records, protocol=protocol)]
    report: dict[str, object] = {}
    started = time.monotonic()
    with DaskCluster("local:2") as cluster:
        pids = cluster.client.run(os.getpid)
        results = run_batch(records, protocol=protocol, dask=cluster, chunk_size=PARTITION)
        got = [next(results).to_json()]  # the first partition is back; the next ones are on the workers
        processing = cluster.client.processing()
        victim = max(processing, key=lambda worker: len(processing[worker]))
        report["victim_tasks"] = len(processing[victim])
        os.kill(pids[victim], signal.SIGKILL)
        report["killed_at_record"] = len(got)
        got += [result.to_json() for result in results]
        report["workers_after"] = len(cluster.client.nthreads())
        removed = [event for _, event in cluster.client.get_events("all") if event.get("action") == "remove-worker"]
        # The partitions the scheduler had on the lost worker, and so ran again elsewhere.
        report["rerun"] = sorted(str(key) for event in removed for key in event.get("processing-tasks", ()))
    report["seconds"] = round(time.monotonic() - started, 1)
    numbers = [json.loads(line)["record"] for line in got]
    report["records"] = len(got)
    report["in_order_once"] = numbers == list(range(1, RECORDS + 1))
    report["identical"] = got == expected
    protocol.close()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
