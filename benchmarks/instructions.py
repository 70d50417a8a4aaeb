"""Count the CPU instructions one client costs, under callgrind: a figure that noise does not move.

    python benchmarks/instructions.py [OTHER_CHECKOUT ...] [--clients 200] [--paths evaluate,json,outcomes]

On a shared machine wall-clock and even CPU times move by ±30% between runs, too much to
see a 5% change. Instruction counts from ``valgrind --tool=callgrind`` repeat to within a
fraction of a percent, so each step of a speed-up can be judged on them (and confirmed in
time with ``benchmarks/run.py`` or ``benchmarks/side_by_side.py``). For each checkout
(this one first) and each path, a fresh process loads the shipped protocol, evaluates the
benchmark population once to warm up, then runs the path over it once more, or twice; the
difference between the two processes' totals, per client, is the figure. Needs
``valgrind`` on the PATH; it runs about 50 times slower than native, so keep ``--clients``
in the hundreds. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_RUN = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [sys.argv[1], sys.argv[2]]
    import engine
    from population import population
    protocol = engine.load_protocol()
    clients = []
    for facts in population(protocol, int(sys.argv[3])):
        try:
            protocol.check_facts(facts)
        except engine.FactsError:
            continue
        clients.append(facts)
    path = sys.argv[4]
    if path == "evaluate":
        def run(c):
            protocol.evaluate(c)
    elif path == "json":
        def run(c):
            protocol.evaluate(c).model_dump_json()
    elif path == "outcomes":
        run = protocol.outcomes
    else:
        raise SystemExit(f"unknown path {path}")
    for c in clients:
        run(c)
    for _ in range(int(sys.argv[5])):
        for c in clients:
            run(c)
    print(len(clients))
    """
)


def _total(checkout: Path, clients: int, path: str, rounds: int) -> tuple[int, int]:
    """(instructions of the whole process, clients evaluated) for one checkout, path and rounds."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-c",
                _RUN,
                str(checkout),
                str(HERE),
                str(clients),
                path,
                str(rounds),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        evaluated = int(done.stdout.strip().splitlines()[-1])
        totals = re.search(r"^summary:\s*(\d+)", out.read_text(), re.MULTILINE) or re.search(
            r"^totals:\s*(\d+)", out.read_text(), re.MULTILINE
        )
        assert totals, "no totals in the callgrind output"
        return int(totals.group(1)), evaluated


def _count(checkout: Path, clients: int, path: str) -> tuple[int, int]:
    """(instructions of one round over the clients, clients evaluated): two rounds less one."""
    one, evaluated = _total(checkout, clients, path, 1)
    two, _ = _total(checkout, clients, path, 2)
    return two - one, evaluated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("others", nargs="*", type=Path, help="other checkouts to count beside this one")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--paths", default="evaluate,json,outcomes")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    checkouts = [ROOT, *(p.resolve() for p in args.others)]
    paths = args.paths.split(",")
    print(f"instructions per client (callgrind), {args.clients} generated clients\n")
    print("| path | " + " | ".join(str(c) for c in checkouts) + " |")
    print("|---|" + "---|" * len(checkouts))
    for path in paths:
        cells = []
        for checkout in checkouts:
            count, evaluated = _count(checkout, args.clients, path)
            cells.append(f"{count / max(1, evaluated) / 1e6:.3f} M")
        print(f"| {path} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
