"""Evaluate many clients in one process and print the resident memory as it goes.

    python scripts/memory_soak.py --clients 1000000             # outcomes (the matcher path)
    python scripts/memory_soak.py --clients 200000 --plans      # full plans, slower

Clients come from ``tests/strategies.random_client`` (a pool of distinct clients, cycled).
After a warm-up the script prints, every ``--every`` clients, the RSS, its growth since the
warm-up and the rate; at the end the start, peak and end RSS and the growth per 100,000
clients. With ``--max-growth-mb`` it exits 1 when the growth exceeds that bound.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine._adapter import live_rulesets  # noqa: E402
from tests.rss import rss_bytes  # noqa: E402
from tests.strategies import random_client  # noqa: E402

MB = 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1_000_000, help="clients to evaluate (default 1,000,000)")
    parser.add_argument("--every", type=int, default=50_000, help="print a line every N clients (default 50,000)")
    parser.add_argument("--pool", type=int, default=5_000, help="distinct clients, cycled (default 5,000)")
    parser.add_argument("--warm-up", type=int, default=10_000, help="clients before the baseline (default 10,000)")
    parser.add_argument("--plans", action="store_true", help="build full plans instead of outcomes only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rules", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument("--max-growth-mb", type=float, default=None, help="exit 1 if RSS grows more than this")
    args = parser.parse_args(argv)
    if min(args.clients, args.every, args.pool) < 1 or args.warm_up < 0:
        parser.error("counts must be positive")

    protocol = engine.load_protocol(args.rules)
    rng = random.Random(args.seed)
    pool = [random_client(protocol, rng) for _ in range(args.pool)]
    evaluate = protocol.evaluate if args.plans else protocol.outcomes
    rulesets = live_rulesets()
    print(f"{protocol!r}; {args.clients:,} clients ({'plans' if args.plans else 'outcomes'}), pool {args.pool:,}")
    print(f"RSS before the first client: {rss_bytes() / MB:,.1f} MB")

    warm = min(args.warm_up, args.clients)
    for i in range(warm):
        evaluate(pool[i % args.pool])
    gc.collect()
    start = peak = rss_bytes()
    print(f"RSS after {warm:,} warm-up clients: {start / MB:,.1f} MB")
    print(f"{'clients':>12} {'RSS MB':>9} {'growth MB':>10} {'clients/s':>10}")
    began = last = time.perf_counter()
    last_done = warm
    for i in range(warm, args.clients):
        evaluate(pool[i % args.pool])
        done = i + 1
        if done % args.every == 0 or done == args.clients:
            now = rss_bytes()
            peak = max(peak, now)
            rate = (done - last_done) / max(time.perf_counter() - last, 1e-9)
            last, last_done = time.perf_counter(), done
            print(f"{done:>12,} {now / MB:>9,.1f} {(now - start) / MB:>+10,.1f} {rate:>10,.0f}", flush=True)
    gc.collect()
    end = rss_bytes()
    peak = max(peak, end)
    measured = args.clients - warm
    growth = (peak - start) / MB
    per_100k = growth / measured * 100_000 if measured else 0.0
    print(
        f"done in {time.perf_counter() - began:,.0f} s: RSS start {start / MB:,.1f} MB, peak {peak / MB:,.1f} MB, "
        f"end {end / MB:,.1f} MB; growth {growth:+,.1f} MB ({per_100k:+,.2f} MB per 100,000 clients); "
        f"matcher rulesets live: {live_rulesets()} (was {rulesets})"
    )
    if args.max_growth_mb is not None and growth > args.max_growth_mb:
        print(f"FAIL: RSS grew {growth:,.1f} MB, more than --max-growth-mb {args.max_growth_mb}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
