"""``pore-protocol evaluate-batch``: many clients from JSON Lines or CSV, one result line each.

Input: JSON Lines or CSV, as :mod:`engine.batch._records` reads them.

Output: one line per input record, in input order: the plan as compact JSON, or an
error object ``{"record": n, "line": l, "error": "input"|"facts"|"engine", "message":
..., "issues": [...]}``. With ``--output`` the file is written under a temporary name
and renamed at the end, so a failed run never leaves a truncated result behind.

Exit status: 0 every record has a plan; 2 some record had invalid facts or could not be
read (the others are still written); 3 invalid rules; 4 the engine failed (on a record,
or as a whole); 64 usage.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from engine._errors import FactsError
from engine._protocol import load_protocol
from engine.batch import csv_records, jsonl_records, run_batch

__all__ = ["Progress", "add_parser"]

EXIT_OK = 0
EXIT_FACTS = 2
EXIT_ENGINE = 4


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``evaluate-batch`` to the command line's subparsers."""
    batch = sub.add_parser(name, help=help_text)
    batch.add_argument("file", help="JSON Lines or CSV file of client facts, or - to read standard input")
    batch.add_argument("--workers", type=_positive, default=1, metavar="N", help="processes to use (default 1)")
    batch.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    batch.add_argument("--output", metavar="FILE", default=None, help="write results here instead of stdout")
    batch.add_argument(
        "--format",
        choices=("auto", "jsonl", "csv"),
        default="auto",
        help="input format (default: from the file extension; for stdin, JSON Lines if it starts with '{')",
    )
    batch.add_argument("--no-progress", action="store_true", help="do not draw the progress bar on stderr")
    batch.set_defaults(handler=cmd_evaluate_batch)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("needs at least 1 worker")
    return value


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
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            if kind == "jsonl":
                return sum(1 for line in stream if line.strip())
            return max(sum(1 for row in csv.reader(stream) if any(c.strip() for c in row)) - 1, 0)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


# -- the command


def _open_input(name: str) -> tuple[IO[str], Path | None]:
    if name == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline=""), None
    path = Path(name)
    if path.is_dir():
        raise FactsError(f"{name!r} is a folder; give a JSON Lines or CSV file")
    try:
        return path.open(encoding="utf-8", newline=""), path
    except FileNotFoundError:
        raise FactsError(f"facts file {name!r} does not exist") from None
    except OSError as exc:
        raise FactsError(f"cannot read facts file {name!r}: {exc.strerror}") from None


def _format(requested: str, path: Path | None, stream: IO[str]) -> tuple[str, Iterator[str]]:
    if requested != "auto":
        return requested, iter(stream)
    if path is not None:
        return ("csv" if path.suffix.lower() == ".csv" else "jsonl"), iter(stream)
    first = stream.readline()
    kind = "jsonl" if first.lstrip().startswith("{") or not first.strip() else "csv"

    def again() -> Iterator[str]:
        yield first
        yield from stream

    return kind, again()


def cmd_evaluate_batch(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``evaluate-batch``; exceptions are turned into exit codes by ``cli.main``."""
    protocol = load_protocol(args.rules)
    stream, path = _open_input(args.file)
    progress = Progress(sys.stderr, None, enabled=False)
    try:
        kind, lines = _format(args.format, path, stream)
        records = csv_records(lines, protocol.facts) if kind == "csv" else jsonl_records(lines)
        total = _count_records(path, kind) if path is not None else None
        progress = Progress(sys.stderr, total, enabled=not args.no_progress and sys.stderr.isatty())
        results = run_batch(records, rules=args.rules, workers=args.workers, protocol=protocol)
        return _write(args, out, results, progress)
    except UnicodeDecodeError as exc:
        raise FactsError(f"the input is not valid UTF-8 (byte {exc.start})") from None
    finally:
        progress.close()
        if path is not None:
            stream.close()
        protocol.close()


def _write(args: argparse.Namespace, out: TextIO, results: Iterator[Any], progress: Progress) -> int:
    status = EXIT_OK
    target: TextIO
    temporary: Path | None = None
    if args.output is not None:
        final = Path(args.output)
        temporary = final.with_name(f".{final.name}.{os.getpid()}.partial")
        try:
            target = temporary.open("w", encoding="utf-8", newline="\n")
        except OSError as exc:
            raise FactsError(f"cannot write {args.output!r}: {exc.strerror}") from None
    else:
        target = out
    completed = False
    try:
        for result in _counted(results, progress):
            target.write(result.to_json() + "\n")
            if result.error is not None:
                status = EXIT_ENGINE if result.error.kind == "engine" else max(status, EXIT_FACTS)
        completed = True
    finally:
        if temporary is not None:
            target.close()
            if completed:
                temporary.replace(Path(args.output))
            else:
                temporary.unlink(missing_ok=True)
    return status


def _counted(results: Iterator[Any], progress: Progress) -> Iterator[Any]:
    for result in results:
        progress(1)
        yield result
