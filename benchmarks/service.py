"""A bounded loopback load test of the HTTP service: ``python benchmarks/service.py [--requests N] [--workers N]``.

Starts ``pore-protocol serve`` itself (loopback, a free port, N workers), sends POST
/v1/evaluate with the benchmark population's clients (``benchmarks/population.py``, fixed
seed) over keep-alive connections, first one request in flight, then 16, and stops the
server. Every loop is bounded by a request count and a deadline. Prints a markdown table
with throughput and p50 / p99 latency (wall clock, as the client sees it, loopback
included), next to the in-process ``Protocol.evaluate`` + ``model_dump_json`` time of the
same clients. The client is a small asyncio HTTP/1.1 writer and reader (not httpx), so
that the load generator, which shares the machine's cores with the workers, costs as
little as it can. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from benchmarks.population import population  # noqa: E402

DEADLINE = 300.0
"""Seconds any one phase may take before it stops, whatever is left."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _request(port: int, body: bytes) -> bytes:
    head = (
        f"POST /v1/evaluate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _load(port: int, requests: list[bytes], in_flight: int) -> tuple[list[float], float, int]:
    """Send every request with ``in_flight`` connections; latencies (s), elapsed (s), non-200 answers."""
    latencies: list[float] = []
    errors = 0
    queue = iter(requests)
    deadline = time.monotonic() + DEADLINE

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for request in queue:
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                if await _one(reader, writer, request) != 200:
                    errors += 1
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(in_flight)))
    return latencies, time.perf_counter() - started, errors


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _serve(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "engine", "serve", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as stream:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stream)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = log.read_text("utf-8", errors="replace").count('"event":"worker_ready"')
        if ready >= workers:
            return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server did not start:\n{log.read_text('utf-8', errors='replace')}")


def _in_process(protocol: engine.Protocol, clients: list[dict[str, object]]) -> list[float]:
    out = []
    for facts in clients:
        started = time.perf_counter()
        protocol.evaluate(facts).model_dump_json()
        out.append(time.perf_counter() - started)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="requests at 16 in flight (default 20,000)")
    parser.add_argument("--single", type=int, default=2_000, help="requests at 1 in flight (default 2,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    args = parser.parse_args()

    protocol = engine.load_protocol()
    clients = population(protocol, 500)
    bodies = [json.dumps(c, default=str).encode("utf-8") for c in clients]
    in_process = _in_process(protocol, clients * 2)
    protocol.close()

    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = _serve(port, args.workers, Path(folder) / "serve.log")
        try:
            warm = [_request(port, b) for b in bodies]
            asyncio.run(_load(port, warm, 4))  # every worker's first calls (imports, caches) are not measured
            single = [_request(port, bodies[i % len(bodies)]) for i in range(args.single)]
            many = [_request(port, bodies[i % len(bodies)]) for i in range(args.requests)]
            rows = [(1, *asyncio.run(_load(port, single, 1))), (16, *asyncio.run(_load(port, many, 16)))]
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        share = Counter(
            line.split('"worker":')[1].rstrip("}\n")
            for line in (Path(folder) / "serve.log").read_text("utf-8").splitlines()
            if '"event":"request"' in line
        )

    print(f"POST /v1/evaluate, {args.workers} workers, loopback, {os.cpu_count()} CPUs, {len(clients)} clients\n")
    print("| in flight | requests | throughput | p50 | p99 | errors |")
    print("|---|---|---|---|---|---|")
    for in_flight, latencies, elapsed, errors in rows:
        print(
            f"| {in_flight} | {len(latencies):,} | {len(latencies) / elapsed:,.0f} req/s | "
            f"{_percentile(latencies, 0.5) * 1000:.2f} ms | {_percentile(latencies, 0.99) * 1000:.2f} ms | {errors} |"
        )
    print(
        f"| in process (`evaluate` + `model_dump_json`) | {len(in_process):,} | "
        f"{len(in_process) / sum(in_process):,.0f} /s (1 core) | {statistics.median(in_process) * 1000:.2f} ms | "
        f"{_percentile(in_process, 0.99) * 1000:.2f} ms | |"
    )
    print(f"\nRequests per worker (warm-up included): {sorted(share.values(), reverse=True)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
