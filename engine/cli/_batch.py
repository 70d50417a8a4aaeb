"""``pore-protocol evaluate-batch``: many clients from JSON Lines or CSV, one result line each.

Input: JSON Lines or CSV, as :mod:`engine.batch` reads them: one record per physical line,
read in bounded memory, each record with an optional id.

Output: exactly one line per input record, in input order, whatever happens to the record:
``{"record": n, "line": l, "id": ..., "plan": {...}}`` or ``{"record": n, "line": l, "id": ...,
"error": "input"|"facts"|"engine", "message": ..., "issues": [...]}`` (``id`` only when the
record gave one). The plan is exactly what ``pore-protocol evaluate`` would compute, as
compact JSON. With ``--output`` the file is written under a temporary name and renamed at the
end (see :mod:`engine.cli._output`), so a failed or interrupted run never leaves a truncated
result behind.

Exit status: 0 every record has a plan; 2 some record had invalid facts or could not be
read (the others are still written); 3 invalid rules; 4 the engine failed (on a record,
or as a whole); 64 usage; 74 the output cannot be written; 130 / 143 interrupted by
SIGINT / SIGTERM (the workers are ended and no output file is left).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from engine._errors import FactsError
from engine._protocol import load_protocol
from engine.batch import BatchResult, Line, csv_records, jsonl_records, read_lines, run_batch
from engine.cli._output import check_output, open_output

__all__ = ["MAX_WORKERS", "Progress", "add_parser"]

EXIT_OK = 0
EXIT_FACTS = 2
EXIT_ENGINE = 4
MAX_WORKERS = 256
"""More processes than this is a typing mistake, not a machine."""


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``evaluate-batch`` to the command line's subparsers."""
    batch = sub.add_parser(name, help=help_text)
    batch.add_argument("file", help="JSON Lines or CSV file of client facts, or - to read standard input")
    batch.add_argument(
        "--workers", type=_workers, default=1, metavar="N", help=f"processes to use (default 1, at most {MAX_WORKERS})"
    )
    batch.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    batch.add_argument(
        "--output", metavar="FILE", default=None, help="write results to FILE (replaced at the end) instead of stdout"
    )
    batch.add_argument(
        "--format",
        choices=("auto", "jsonl", "csv"),
        default="auto",
        help="input format (default: from the file extension; for stdin, JSON Lines if it starts with '{')",
    )
    batch.add_argument("--no-progress", action="store_true", help="do not draw the progress bar on stderr")
    batch.set_defaults(handler=cmd_evaluate_batch)


def _workers(text: str) -> int:
    digits = text.strip()
    if not (digits.isdigit() and digits.isascii()):
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number")
    if len(digits) > 6 or int(digits) > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WORKERS} workers (one per core is the most that helps)")
    if int(digits) < 1:
        raise argparse.ArgumentTypeError("needs at least 1 worker")
    return int(digits)


# -- progress


class Progress:
    """A one-line progress bar on a terminal: done/total, percentage, rate; redrawn at most 10 times a second."""

    def __init__(self, stream: TextIO, total: int | None, enabled: bool) -> None:
        self._stream = stream
        self._total = total
        self._enabled = enabled
        self._done = 0
        self._start = time.monotonic()
        self._drawn = 0.0

    def __call__(self, finished: int) -> None:
        self._done += finished
        now = time.monotonic()
        if self._enabled and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self._done / max(now - self._start, 1e-9)
        if self._total:
            share = min(self._done / self._total, 1.0)
            filled = int(share * 30)
            bar = "#" * filled + "-" * (30 - filled)
            text = f"\r[{bar}] {self._done}/{self._total} {share:4.0%} {rate:,.0f} records/s"
        else:
            text = f"\r{self._done} records {rate:,.0f} records/s"
        self._stream.write(text)
        self._stream.flush()

    def close(self) -> None:
        if self._enabled and self._done:
            self._draw(time.monotonic())
            self._stream.write("\n")
            self._stream.flush()


def _count_records(path: Path, kind: str) -> int | None:
    """Non-blank lines of a regular file (less the CSV header), for the progress bar; read in bounded memory."""
    try:
        with path.open("rb") as stream:
            count = sum(1 for line in read_lines(stream) if line.data is None or line.data.strip())
    except OSError:
        return None
    return max(count - 1, 0) if kind == "csv" else count


# -- the command


def _open_input(name: str) -> tuple[IO[bytes], Path | None]:
    """The input as bytes: standard input, a regular file or a pipe (a folder or a device is refused)."""
    if name == "-":
        return sys.stdin.buffer, None
    path = Path(name)
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        raise FactsError(f"facts file {name!r} does not exist") from None
    except IsADirectoryError:
        raise FactsError(f"{name!r} is a folder; give a JSON Lines or CSV file") from None
    except OSError as exc:
        raise FactsError(f"cannot read facts file {name!r}: {exc.strerror}") from None
    mode = os.fstat(stream.fileno()).st_mode
    if stat.S_ISDIR(mode):
        stream.close()
        raise FactsError(f"{name!r} is a folder; give a JSON Lines or CSV file")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        stream.close()
        raise FactsError(f"{name!r} is not a regular file or a pipe; give a JSON Lines or CSV file, or - for stdin")
    return stream, path if stat.S_ISREG(mode) else None


def _format(requested: str, name: str, lines: Iterator[Line]) -> tuple[str, Iterable[Line]]:
    if requested != "auto":
        return requested, lines
    if name != "-":
        return ("csv" if name.lower().endswith(".csv") else "jsonl"), lines
    first = next(lines, None)
    if first is None:
        return "jsonl", ()
    data = first.data or b""
    kind = "jsonl" if data.lstrip().startswith(b"{") or not data.strip() else "csv"
    return kind, itertools.chain([first], lines)


def cmd_evaluate_batch(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``evaluate-batch``; exceptions are turned into exit codes by ``cli.main``."""
    if args.output is not None:
        check_output(args.output)  # a wrong --output is reported before any work is done
    protocol = load_protocol(args.rules)
    progress = Progress(sys.stderr, None, enabled=False)
    try:
        stream, path = _open_input(args.file)
        with contextlib.ExitStack() as stack:
            if path is not None:
                stack.enter_context(stream)
            kind, lines = _format(args.format, args.file, read_lines(stream))
            records = csv_records(lines, protocol.facts) if kind == "csv" else jsonl_records(lines)
            enabled = not args.no_progress and sys.stderr.isatty()
            total = _count_records(path, kind) if enabled and path is not None else None
            progress = Progress(sys.stderr, total, enabled=enabled)
            results = stack.enter_context(
                contextlib.closing(run_batch(records, rules=args.rules, workers=args.workers, protocol=protocol))
            )
            target = stack.enter_context(open_output(args.output, out))
            return _write(target, results, progress)
    finally:
        progress.close()
        protocol.close()


def _write(target: TextIO, results: Iterator[BatchResult], progress: Progress) -> int:
    status = EXIT_OK
    for result in results:
        progress(1)
        target.write(result.to_json() + "\n")
        if result.error is not None:
            status = EXIT_ENGINE if result.error.kind == "engine" else max(status, EXIT_FACTS)
    return status
