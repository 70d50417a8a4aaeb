"""Time this checkout's engine against another checkout's, side by side, in one run.

    python benchmarks/side_by_side.py /path/to/other/checkout [--clients 1000] [--rounds 5]

Two engines cannot share one Python process (both are the package ``engine``), so each
checkout gets a worker process of its own, started with that checkout first on
``sys.path``. The parent sends both workers the same population (``benchmarks/population.py``,
fixed seed) and has them time a round each, alternately, so that noise from other work on
a shared machine falls on both. A worker times every client's ``Protocol.evaluate``,
``evaluate`` + ``model_dump_json`` and ``outcomes`` with the calling thread's CPU clock
and the wall clock. The figures are printed as one table, this checkout first; nothing
is asserted. The workers also report a digest of the plans, so the table says whether the
two engines wrote the same plans for these clients.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_WORKER = textwrap.dedent(
    """
    import gc, hashlib, json, sys, time
    sys.path[:0] = [sys.argv[1], sys.argv[2]]
    import engine
    from population import population
    protocol = engine.load_protocol()
    clients = population(protocol, int(sys.argv[3]))
    gc.freeze()
    paths = {
        "evaluate": protocol.evaluate,
        "evaluate + JSON": lambda c: protocol.evaluate(c).model_dump_json(),
        "outcomes": protocol.outcomes,
    }
    for fn in paths.values():
        for c in clients[:50]:
            fn(c)
    digest = hashlib.sha256(b"".join(protocol.evaluate(c).model_dump_json().encode() for c in clients)).hexdigest()
    print(json.dumps({"digest": digest}), flush=True)
    cpu, wall = time.thread_time, time.perf_counter
    for line in sys.stdin:
        out = {}
        for name, fn in paths.items():
            samples = []
            for c in clients:
                t0, w0 = cpu(), wall()
                fn(c)
                samples.append((cpu() - t0, wall() - w0))
            out[name] = samples
        print(json.dumps(out), flush=True)
    """
)


def _start(checkout: Path, clients: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(checkout), str(checkout / "benchmarks"), str(clients)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(checkout),
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (a folder holding engine/ and rules/)")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    names = {"this": ROOT, "other": args.other.resolve()}
    workers = {label: _start(path, args.clients) for label, path in names.items()}
    digests = {}
    for label, worker in workers.items():
        assert worker.stdout is not None
        digests[label] = json.loads(worker.stdout.readline())["digest"]
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {label: {} for label in workers}
    for round_number in range(args.rounds):
        order = list(workers) if round_number % 2 == 0 else list(reversed(workers))
        for label in order:
            worker = workers[label]
            assert worker.stdin is not None and worker.stdout is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
            for path, values in json.loads(worker.stdout.readline()).items():
                samples[label].setdefault(path, []).extend((c, w) for c, w in values)
    for worker in workers.values():
        assert worker.stdin is not None
        worker.stdin.close()
        worker.wait()
    print(f"{args.clients} clients x {args.rounds} rounds, alternating; times in µs")
    print(f"this: {names['this']}\nother: {names['other']}\n")
    print("| path | this CPU p50 | other CPU p50 | this/other | this wall p50 / p99 | other wall p50 / p99 |")
    print("|---|---|---|---|---|---|")
    for path in samples["this"]:
        row: dict[str, Any] = {}
        for label in workers:
            cpu = [c * 1e6 for c, _ in samples[label][path]]
            wall = [w * 1e6 for _, w in samples[label][path]]
            row[label] = (statistics.median(cpu), statistics.median(wall), _percentile(wall, 0.99))
        this, other = row["this"], row["other"]
        print(
            f"| {path} | {this[0]:.0f} | {other[0]:.0f} | {this[0] / other[0]:.3f} | "
            f"{this[1]:.0f} / {this[2]:.0f} | {other[1]:.0f} / {other[2]:.0f} |"
        )
    same = "the same" if digests["this"] == digests["other"] else "DIFFERENT"
    print(f"\nplans for these clients: {same} (sha256 {hashlib.sha256(digests['this'].encode()).hexdigest()[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
