"""``pore-protocol evaluate-batch``: many clients from JSON Lines, CSV or Parquet, one result line each.

Input: one file, ``-`` (standard input), or a folder or glob of files, as :mod:`engine.batch`
reads them: one record per physical line (a row, for Parquet), read in bounded memory, each
record with an optional id; with a folder or glob, each output line names its ``file``.

Output: exactly one line per input record, in input order, whatever happens to the record:
``{"record": n, "line": l, "id": ..., "plan": {...}}`` or ``{"record": n, "line": l, "id": ...,
"error": "input"|"facts"|"engine", "message": ..., "issues": [...]}`` (``id`` only when the
record gave one). The plan is exactly what ``pore-protocol evaluate`` would compute, as
compact JSON. With ``--output`` the file is written under a temporary name and renamed at the
end (see :mod:`engine.cli._output`), so a failed or interrupted run never leaves a truncated
result behind.

``--workers N`` runs N local processes; ``--dask tcp://HOST:8786`` a Dask cluster, and
``--dask local:N`` a LocalCluster of N one-thread processes started for the run. The output
is the same bytes either way.

Exit status: 0 every record has a plan; 2 some record had invalid facts or could not be
read (the others are still written); 3 invalid rules; 4 the engine failed (on a record,
or as a whole); 64 usage; 69 the Dask cluster cannot be reached or went away; 74 the output
cannot be written; 130 / 143 interrupted by SIGINT / SIGTERM (the workers are ended and no
output file is left).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from engine._cache import load_protocol_cached
from engine.batch import FORMATS, SUFFIXES_TEXT, Answers, check_address, open_input, stream_batch
from engine.cli._output import UnavailableError, check_output, open_output, write_bytes

if TYPE_CHECKING:
    from engine.batch import DaskCluster

__all__ = ["MAX_WORKERS", "Progress", "add_dask_option", "add_parser", "connect_dask", "skipped_note"]

EXIT_OK = 0
EXIT_FACTS = 2
EXIT_ENGINE = 4
MAX_WORKERS = 256
"""More processes than this is a typing mistake, not a machine."""


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``evaluate-batch`` to the command line's subparsers."""
    batch = sub.add_parser(name, help=help_text)
    batch.add_argument(
        "file",
        help="JSON Lines, CSV or Parquet file of client facts, a folder or a glob of them (quoted), or - for stdin",
    )
    where = batch.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help=f"local processes to use (default 1, at most {MAX_WORKERS})",
    )
    add_dask_option(where)
    batch.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    batch.add_argument(
        "--output", metavar="FILE", default=None, help="write results to FILE (replaced at the end) instead of stdout"
    )
    batch.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="input format (default: from each file's extension; for stdin, JSON Lines if it starts with '{')",
    )
    batch.add_argument("--no-progress", action="store_true", help="do not draw the progress bar on stderr")
    batch.set_defaults(handler=cmd_evaluate_batch)


def add_dask_option(parser: Any) -> None:
    """``--dask ADDRESS``, shared with ``diff``."""
    parser.add_argument(
        "--dask",
        type=_dask_address,
        default=None,
        metavar="ADDRESS",
        help="run on a Dask cluster: tcp://HOST:8786 for a running one, local:N to start N local worker processes",
    )


def _dask_address(text: str) -> str:
    try:
        return check_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


@contextlib.contextmanager
def connect_dask(address: str | None) -> Iterator[DaskCluster | None]:
    """The Dask cluster named by ``--dask`` for the length of the command (``None``: no Dask), ended after it."""
    if address is None:
        yield None
        return
    try:
        from engine.batch import ClusterError, DaskCluster
    except ImportError:
        raise UnavailableError("--dask needs dask installed: pip install 'pore-protocol[dask]'") from None
    try:
        cluster = DaskCluster(address)
    except ClusterError as exc:
        raise UnavailableError(str(exc)) from None
    try:
        with cluster:
            yield cluster
    except ClusterError as exc:
        raise UnavailableError(str(exc)) from None


def skipped_note(skipped: tuple[str, ...]) -> None:
    """Say on stderr which files of an input folder were not read (nothing is left out silently)."""
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        sys.stderr.write(f"note: not read, as they are not {SUFFIXES_TEXT} files: {shown}\n")


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


# -- the command


def cmd_evaluate_batch(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``evaluate-batch``; exceptions are turned into exit codes by ``cli.main``."""
    if args.output is not None:
        check_output(args.output)  # a wrong --output is reported before any work is done
    protocol = load_protocol_cached(args.rules)  # the YAML is read and validated only on a cache miss
    gc.freeze()  # the protocol lives as long as the process: the plans' garbage no longer makes full passes re-scan it
    progress = Progress(sys.stderr, None, enabled=False)
    try:
        source = open_input(args.file, args.format)
        skipped_note(source.skipped)
        enabled = not args.no_progress and sys.stderr.isatty()
        progress = Progress(sys.stderr, source.count() if enabled else None, enabled=enabled)
        with contextlib.ExitStack() as stack:
            cluster = stack.enter_context(connect_dask(args.dask))
            records = source.records(protocol.facts)
            blocks = stack.enter_context(
                contextlib.closing(stream_batch(records, protocol=protocol, workers=args.workers, dask=cluster))
            )
            target = stack.enter_context(open_output(args.output, out))
            return _write(target, blocks, progress)
    finally:
        progress.close()
        protocol.close()


def _write(target: TextIO, blocks: Iterator[Answers], progress: Progress) -> int:
    status = EXIT_OK
    for block in blocks:
        write_bytes(target, block.data)
        progress(block.count)
        for _, error in block.errors:
            status = EXIT_ENGINE if error.kind == "engine" else max(status, EXIT_FACTS)
    return status
