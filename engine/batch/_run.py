"""Evaluate many clients in order, in one process, across local processes or on a Dask cluster.

Whatever runs the records, every record gets exactly one result, in input order, and the
same bytes: a record that fails (bad facts, or an engine failure on that client) yields a
result carrying the error instead of a plan, and the batch carries on. Parallel runs send
records to their workers in chunks, and the workers send back each chunk's output lines as
JSON bytes (:func:`~engine.batch._results.answer_chunk`), not pickled objects.

* one process: :func:`~engine.batch._results.evaluate_one` on each record, here;
* ``workers=N``: N spawned processes on this machine (:mod:`engine.batch._pool`), each
  loading the rules folder and checking its sha256 against the caller's;
* ``dask=cluster``: a Dask cluster (:mod:`engine.batch._dask`), whose workers are sent the
  rules' content (they may not share this machine's files).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine._cache import load_protocol_cached
from engine._protocol import Protocol, shipped_rules_path
from engine.batch._pool import chunked, pool_answers
from engine.batch._results import (
    MAX_ID_LENGTH,
    Answers,
    BatchError,
    BatchResult,
    Record,
    RecordError,
    RecordId,
    answer_chunk,
    evaluate_one,
    id_problem,
    results_of,
    split_record,
)

if TYPE_CHECKING:
    from engine.batch._dask import DaskCluster

__all__ = [
    "DASK_CHUNK_SIZE",
    "LOCAL",
    "MAX_ID_LENGTH",
    "MAX_LOCAL_WORKERS",
    "BatchError",
    "BatchResult",
    "Record",
    "RecordError",
    "RecordId",
    "check_address",
    "evaluate_batch",
    "id_problem",
    "run_batch",
    "split_record",
    "stream_batch",
]

LOCAL = "local:"
MAX_LOCAL_WORKERS = 256
"""More local worker processes than this is a typing mistake, not a machine."""
DASK_CHUNK_SIZE = 200
"""Records in a Dask partition: about a fifth of a second of one worker's time, so that the
scheduler's few milliseconds per task stay small and a lost worker costs little to redo."""


def check_address(text: str) -> str:
    """``text`` if it names a Dask scheduler (``tcp://HOST:PORT``, ``tls://...``) or ``local:N``, else ``ValueError``.

    Checked without importing dask, so that a command line can refuse a mistyped address at once.
    """
    if text.startswith(LOCAL):
        count = text[len(LOCAL) :]
        if not (count.isdigit() and count.isascii() and len(count) <= 6):
            raise ValueError(f"{text[:60]!r}: local:N needs a whole number of worker processes")
        if not 1 <= int(count) <= MAX_LOCAL_WORKERS:
            raise ValueError(f"{text[:60]!r}: local:N starts 1 to {MAX_LOCAL_WORKERS} worker processes")
        return text
    scheme, sep, rest = text.partition("://")
    if not sep or scheme not in ("tcp", "tls", "ucx", "ws", "wss") or not rest:
        raise ValueError(f"{text[:60]!r} is not a Dask scheduler address (tcp://HOST:8786) or local:N")
    return text


def _records(records: Iterable[Record | tuple[Any, ...]]) -> Iterator[Record]:
    """Accept plain ``(number, line, facts)`` and ``(number, line, facts, id)`` tuples as well as :class:`Record`."""
    for record in records:
        yield record if isinstance(record, Record) else Record(*record)


def _chunk_answers(
    records: Iterable[Record],
    root: Path,
    loaded: Protocol,
    workers: int,
    chunk_size: int | None,
    dask: DaskCluster | None,
) -> Iterator[tuple[list[Record], Answers]]:
    """Each chunk of ``records`` with its answers, in order, from wherever the batch runs."""
    if dask is not None:
        return dask.answers(chunked(records, chunk_size or DASK_CHUNK_SIZE), loaded)
    chunks = chunked(records, chunk_size or 32)
    if workers == 1:
        return ((chunk, answer_chunk(loaded, chunk)) for chunk in chunks)
    return pool_answers(chunks, str(root), loaded.sha256, workers)


def _check(workers: int, chunk_size: int | None) -> None:
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")


def run_batch(
    records: Iterable[Record | tuple[Any, ...]],
    *,
    rules: str | Path | None = None,
    workers: int = 1,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    protocol: Protocol | None = None,
    dask: DaskCluster | None = None,
) -> Generator[BatchResult, None, None]:
    """Engine of :func:`evaluate_batch` for callers that number records themselves (the CLI).

    ``records`` are :class:`Record` s (or tuples of the same fields). ``protocol``, when given,
    must have been loaded from ``rules``; it is used for the one-process path and to check
    that the workers load the same rules. ``dask`` runs the records on a Dask cluster instead
    (``workers`` is then ignored). ``chunk_size`` is the records sent to a worker at a time
    (default 32 for local processes, :data:`DASK_CHUNK_SIZE` for Dask). Close the iterator
    (or let it finish) to end the workers.
    """
    _check(workers, chunk_size)
    root = Path(rules) if rules is not None else shipped_rules_path()
    own = protocol is None
    loaded = protocol if protocol is not None else load_protocol_cached(root)
    try:
        if workers == 1 and dask is None:
            for record in _records(records):
                result = evaluate_one(loaded, record)
                if progress is not None:
                    progress(1)
                yield result
            return
        answers = _chunk_answers(_records(records), root, loaded, workers, chunk_size, dask)
        try:
            for chunk, answer in answers:
                if progress is not None:
                    progress(answer.count)
                yield from results_of(chunk, answer)
        finally:
            _close(answers)
    finally:
        if own:
            loaded.close()


def stream_batch(
    records: Iterable[Record],
    *,
    protocol: Protocol,
    workers: int = 1,
    chunk_size: int | None = None,
    dask: DaskCluster | None = None,
) -> Generator[Answers, None, None]:
    """Like :func:`run_batch`, but each chunk's output lines as UTF-8 bytes (what ``evaluate-batch`` writes).

    The bytes are those of each record's :meth:`BatchResult.to_json` and a line break, in input
    order; ``Answers.errors`` names the records that have no plan. ``protocol`` is the caller's,
    loaded from the rules folder the local workers load (and checked against).
    """
    _check(workers, chunk_size)
    answers = _chunk_answers(records, protocol.path, protocol, workers, chunk_size, dask)
    try:
        for _, answer in answers:
            yield answer
    finally:
        _close(answers)


def _close(iterator: Iterator[Any]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def evaluate_batch(
    records: Iterable[Mapping[str, Any]],
    *,
    rules: str | Path | None = None,
    workers: int = 1,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    dask: DaskCluster | None = None,
) -> Generator[BatchResult, None, None]:
    """Evaluate each record (one client's facts) and yield a :class:`BatchResult` per record, in input order.

    :param rules: the rules folder (``None``: the shipped rules). It is loaded once in
        this process, so an invalid folder raises :class:`RulesError` before any record
        is evaluated, and once in every worker process, both through the command line's
        cache of validated, compiled protocols (``PORE_PROTOCOL_CACHE=0`` turns it off).
    :param workers: processes to spread the records over; 1 evaluates in this process.
    :param chunk_size: records sent to a worker at a time (larger amortises messaging).
    :param progress: called with the number of records just finished, for progress bars.
    :param dask: a :class:`~engine.batch.DaskCluster` to run on instead of local processes.

    The rules are loaded when iteration starts. A record whose facts are invalid, or on
    which the engine fails, yields a result with an ``error`` and no plan; nothing is
    raised for it. A worker that dies raises
    :class:`EngineError`, since the batch can no longer promise a result per record (on
    Dask, a lost worker's partitions are run again elsewhere instead).

    A record is one client's facts, or ``{"id": ..., "facts": {...}}`` (see :func:`split_record`);
    the id comes back on the record's result. Each plan is byte-identical to
    ``Protocol.evaluate(facts).model_dump_json()``.
    """
    numbered = (Record(number, None, facts, record_id) for number, (record_id, facts) in _split(records))
    return run_batch(numbered, rules=rules, workers=workers, chunk_size=chunk_size, progress=progress, dask=dask)


def _split(records: Iterable[Any]) -> Iterator[tuple[int, tuple[RecordId | None, Any]]]:
    for number, record in enumerate(records, 1):
        yield number, split_record(record)
