"""Memory stays flat over 100,000 clients evaluated in one process.

Every client opens a matcher session (deleted before the next), builds a flattened fact
and three-valued outcomes; a leak of a few hundred bytes per client would show as tens
of megabytes here. The bound is generous on purpose (allocator noise, lazy caches), and
``test_the_meter_sees_a_leak`` shows the meter does see a deliberate 64 MB one.
``scripts/memory_soak.py --clients 1000000`` runs the long version and prints RSS as it goes.
"""

from __future__ import annotations

import gc
import os
import random

import engine
from engine._adapter import live_rulesets
from tests.rss import rss_bytes
from tests.strategies import random_client

CLIENTS = int(os.environ.get("PORE_MEMORY_CLIENTS", "100000"))
POOL = 1_000
WARM_UP = 5_000
MAX_GROWTH = 48 * 2**20


def test_memory_is_flat_over_100k_clients(protocol: engine.Protocol) -> None:
    rng = random.Random(100_000)
    pool = [random_client(protocol, rng) for _ in range(POOL)]
    first: list[object] = []
    rulesets = live_rulesets()
    for i in range(WARM_UP):
        outcome = protocol.outcomes(pool[i % POOL])
        if i < POOL:
            first.append(outcome)
    gc.collect()
    start = rss_bytes()
    peak = start
    for i in range(WARM_UP, CLIENTS):
        outcome = protocol.outcomes(pool[i % POOL])
        if i % 10_000 == 0:
            peak = max(peak, rss_bytes())
        if i >= CLIENTS - POOL:  # the last round: still the same answers as the first
            assert outcome == first[i % POOL], f"client {i % POOL} changed its outcomes after {i} evaluations"
    gc.collect()
    end = rss_bytes()
    growth = max(peak, end) - start
    print(f"\n{CLIENTS:,} clients: RSS {start / 2**20:.1f} MB after warm-up, {end / 2**20:.1f} MB at the end")
    assert growth < MAX_GROWTH, f"RSS grew by {growth / 2**20:.1f} MB over {CLIENTS - WARM_UP:,} clients"
    assert live_rulesets() == rulesets


def test_the_meter_sees_a_leak() -> None:
    gc.collect()
    before = rss_bytes()
    leak = bytearray(64 * 2**20)
    for offset in range(0, len(leak), 4096):
        leak[offset] = 1  # touch every page so it is resident
    grown = rss_bytes() - before
    del leak
    assert grown > MAX_GROWTH, f"the meter saw only {grown / 2**20:.1f} MB of a 64 MB allocation"
