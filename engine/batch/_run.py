"""Evaluate many clients in order, in one process or across several, without one bad record stopping the rest.

durable_rules serialises every call behind one lock and its C core is not thread-safe,
so parallelism comes from processes. Each worker process builds its own protocol from
the rules folder in its initializer (nothing unpicklable crosses a process boundary, so
this works with the ``spawn`` start method, which is what we use everywhere for the same
behaviour on every platform) and checks that it loaded the very rules the caller loaded
(same sha256). Records travel to the workers in small chunks and come back as plan JSON;
results are yielded strictly in input order, and a bounded number of chunks is in flight
so that a file of any length streams through in constant memory.

A record that fails (bad facts, or an engine failure on that client) yields a result
carrying the error instead of a plan; the batch carries on.

The workers end with the batch: when the caller stops iterating early (an exception, a
signal turned into one, or ``close()``), the chunks not yet started are cancelled and the
workers exit once the few in flight are done. A worker ignores SIGINT (the caller decides
what an interrupt means, and a Ctrl-C reaches the whole process group) and exits by itself
soon after the process that started it goes away, however it went.
"""

from __future__ import annotations

import collections
import gc
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple

from engine._errors import EngineError, FactsError, Issue, PoreProtocolError
from engine._plan_model import TreatmentPlan
from engine._protocol import Protocol, load_protocol, shipped_rules_path

__all__ = [
    "MAX_ID_LENGTH",
    "BatchError",
    "BatchResult",
    "Record",
    "RecordError",
    "RecordId",
    "evaluate_batch",
    "id_problem",
    "run_batch",
    "split_record",
]

ErrorKind = Literal["input", "facts", "engine"]
RecordId = str | int
"""A caller's name for a record (a client number, say), echoed in its result."""
MAX_ID_LENGTH = 200
"""The longest id: characters of text, or digits of a whole number."""


@dataclass(frozen=True)
class RecordError:
    """Why one record produced no plan (a result, not an exception: the batch carries on).

    ``kind`` is ``input`` (the record could not be read, e.g. a malformed JSON line),
    ``facts`` (the facts do not fit the vocabulary; ``issues`` lists each problem) or
    ``engine`` (the engine failed on this client; please report it).
    """

    kind: ErrorKind
    message: str
    issues: tuple[Issue, ...] = ()


BatchError = RecordError
"""The former name of :class:`RecordError` (it was never an exception); kept for one version."""


@dataclass(frozen=True)
class BatchResult:
    """The outcome for one record: a plan (as its JSON) or an error, never both.

    :param number: 1-based position of the record in the input.
    :param line: the line of the input file the record is on, when it came from a file.
    :param plan_json: the plan exactly as ``Protocol.evaluate(facts).model_dump_json()`` writes it.
    :param id: the record's own id, when it gave one (``{"id": ..., "facts": {...}}``, or a CSV
        ``id`` column).
    """

    number: int
    plan_json: str | None = None
    error: RecordError | None = None
    line: int | None = None
    id: RecordId | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def plan(self) -> TreatmentPlan:
        """The plan as a model (re-validated from its JSON); raises the record's error if there is none."""
        if self.plan_json is None:
            assert self.error is not None
            if self.error.kind == "engine":
                raise EngineError(self.error.message)
            raise FactsError(self.error.message, self.error.issues)
        return TreatmentPlan.model_validate_json(self.plan_json)

    def to_json(self) -> str:
        """One output line, an envelope naming the record: its number, line and id, then its plan or error.

        ``{"record": n, "line": l, "id": ..., "plan": {...}}`` or ``{"record": n, "line": l, "id": ...,
        "error": "input"|"facts"|"engine", "message": ..., "issues": [...]}``; ``line`` and ``id`` only
        when known. The plan is embedded as its JSON text, byte for byte.
        """
        head: dict[str, Any] = {"record": self.number}
        if self.line is not None:
            head["line"] = self.line
        if self.id is not None:
            head["id"] = self.id
        if self.plan_json is not None:
            return json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"plan":' + self.plan_json + "}"
        assert self.error is not None
        head["error"] = self.error.kind
        head["message"] = self.error.message
        head["issues"] = [{"path": i.path, "message": i.message, "hint": i.hint} for i in self.error.issues]
        return json.dumps(head, ensure_ascii=False, separators=(",", ":"))


class Record(NamedTuple):
    """One record as it travels to a worker: numbered, located, with its facts (or why it could not be read)."""

    number: int
    line: int | None
    facts: Any
    """The facts, or a :class:`RecordError` of kind ``input`` for a record that could not be read."""
    id: RecordId | None = None


def id_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a record's id (a phrase completing "the id ..."), or ``None`` if it can."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return f"must be text or a whole number, not {type(value).__name__}"
    if isinstance(value, int):
        return f"has more than {MAX_ID_LENGTH} digits" if abs(value) >= 10**MAX_ID_LENGTH else None
    if not value or len(value) > MAX_ID_LENGTH:
        return f"must be 1 to {MAX_ID_LENGTH} characters long"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid text"
    if not value.isprintable():
        return "holds a control character"
    return None


def split_record(record: Any) -> tuple[RecordId | None, Any]:
    """A record's id and facts: ``{"id": ..., "facts": {...}}`` (id optional), or the facts themselves.

    A mapping with a ``facts`` key is the wrapped form; any other value is the facts (and the
    engine reports it if it is not a mapping of facts). Returns the facts, or a
    :class:`RecordError` of kind ``input`` when the wrapper is wrong (the id is kept when it is
    usable, so that the error can still be joined to its record).
    """
    if not isinstance(record, Mapping) or "facts" not in record:
        return None, record
    raw_id = record.get("id")
    problem = None if raw_id is None else id_problem(raw_id)
    record_id: RecordId | None = raw_id if raw_id is not None and problem is None else None
    extra = sorted(str(key) for key in record if key not in ("id", "facts"))
    if extra:
        listed = ", ".join(repr(key[:40]) for key in extra[:5])
        return record_id, RecordError("input", f"a record with 'facts' may hold only 'id' beside it, not {listed}")
    if problem is not None:
        return None, RecordError("input", f"the record's id {problem}")
    if not isinstance(record["facts"], Mapping):
        return record_id, RecordError("input", "'facts' must be an object of fact names and answers")
    return record_id, record["facts"]


def _evaluate_one(protocol: Protocol, record: Record) -> BatchResult:
    number, line, facts, record_id = record
    if isinstance(facts, RecordError):
        return BatchResult(number, None, facts, line, record_id)
    try:
        return BatchResult(number, protocol.evaluate(facts).model_dump_json(), None, line, record_id)
    except FactsError as exc:
        return BatchResult(number, None, RecordError("facts", exc.summary, exc.issues), line, record_id)
    except PoreProtocolError as exc:
        return BatchResult(number, None, RecordError("engine", str(exc)), line, record_id)
    except Exception as exc:  # fail closed: no plan for this client, and say why
        return BatchResult(number, None, RecordError("engine", f"{type(exc).__name__}: {exc}"[:2000]), line, record_id)


# -- worker side (module-level so that spawn can import it)

_WORKER: dict[str, Any] = {}


def _worker_start(rules: str, sha256: str) -> None:
    """A worker process's initializer: detach from the caller's interrupts, watch the caller, load the rules."""
    # An interrupt is the caller's to handle (it stops the batch and ends the workers); a
    # worker that took it too would print a traceback and break the pool mid-chunk.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch_parent(os.getppid())
    _worker_init(rules, sha256)


def _worker_init(rules: str, sha256: str) -> None:
    try:
        protocol = load_protocol(rules)
    except BaseException as exc:  # reported with the first chunk; a failing initializer would respawn forever
        _WORKER["error"] = f"a worker could not load the rules: {exc}"
        return
    if protocol.sha256 != sha256:
        _WORKER["error"] = "the rules folder changed while the batch was starting; run it again"
        protocol.close()
        return
    _WORKER["protocol"] = protocol
    # This process exists only to evaluate: move the loaded protocol (many long-lived objects)
    # out of the cyclic collector's reach, so that full collections triggered by the plans'
    # garbage stop re-scanning it. Measured on the 10,000-rule synthetic protocol: the
    # slowest of 80 clients took 1,379 ms without this (a full collection), 142 ms with it.
    gc.freeze()


PARENT_CHECK_SECONDS = 0.5


def _watch_parent(parent: int) -> None:
    """End this worker soon after the process that started it is gone (even killed with SIGKILL).

    The executor's queues hold both ends of their pipes in every process, so a worker whose
    parent died would otherwise wait for work forever, keeping the parent's stderr open.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="pore-protocol-parent-watch", daemon=True).start()


def _worker_run(chunk: list[Record]) -> list[BatchResult]:
    if "error" in _WORKER:
        raise EngineError(_WORKER["error"])
    protocol: Protocol = _WORKER["protocol"]
    return [_evaluate_one(protocol, record) for record in chunk]


# -- caller side


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _records(records: Iterable[Record | tuple[Any, ...]]) -> Iterator[Record]:
    """Accept plain ``(number, line, facts)`` and ``(number, line, facts, id)`` tuples as well as :class:`Record`."""
    for record in records:
        yield record if isinstance(record, Record) else Record(*record)


def run_batch(
    records: Iterable[Record | tuple[Any, ...]],
    *,
    rules: str | Path | None = None,
    workers: int = 1,
    chunk_size: int = 32,
    progress: Callable[[int], None] | None = None,
    protocol: Protocol | None = None,
) -> Generator[BatchResult, None, None]:
    """Engine of :func:`evaluate_batch` for callers that number records themselves (the CLI).

    ``records`` are :class:`Record` s (or tuples of the same fields). ``protocol``, when given,
    must have been loaded from ``rules``; it is used for the one-process path and to check
    that the workers load the same rules. Close the iterator (or let it finish) to end the
    workers.
    """
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    root = Path(rules) if rules is not None else shipped_rules_path()
    own = protocol is None
    loaded = protocol if protocol is not None else load_protocol(root)
    try:
        if workers == 1:
            for record in _records(records):
                result = _evaluate_one(loaded, record)
                if progress is not None:
                    progress(1)
                yield result
            return
        yield from _parallel(_records(records), str(root), loaded.sha256, workers, chunk_size, progress)
    finally:
        if own:
            loaded.close()


def _parallel(
    records: Iterable[Record],
    rules: str,
    sha256: str,
    workers: int,
    chunk_size: int,
    progress: Callable[[int], None] | None,
) -> Generator[BatchResult, None, None]:
    # ProcessPoolExecutor rather than multiprocessing.Pool: when a worker dies, Pool
    # silently loses its task and the caller waits forever; the executor raises.
    context = multiprocessing.get_context("spawn")
    window = workers * 4
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start, initargs=(rules, sha256))
    try:
        pending: collections.deque[Future[list[BatchResult]]] = collections.deque()
        feed = _chunks(records, chunk_size)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                chunk = next(feed, None)
                if chunk is None:
                    exhausted = True
                else:
                    pending.append(executor.submit(_worker_run, chunk))
            if not pending:
                break
            try:
                results = pending.popleft().result()
            except PoreProtocolError:
                raise
            except BrokenProcessPool:
                raise EngineError("a batch worker process died; the batch cannot promise a result per record") from None
            except Exception as exc:  # e.g. a result that could not be sent back
                raise EngineError(f"a batch worker failed: {type(exc).__name__}: {exc}") from None
            if progress is not None:
                progress(len(results))
            yield from results
    finally:
        # Also when the caller stops early: chunks not yet started are cancelled and the few
        # already sent to a worker (at most one per worker, plus one) are finished, so the
        # workers exit cleanly. Terminating them instead can kill one while it writes a
        # result, which leaves the executor's reader thread waiting forever for the rest.
        executor.shutdown(wait=True, cancel_futures=True)


def evaluate_batch(
    records: Iterable[Mapping[str, Any]],
    *,
    rules: str | Path | None = None,
    workers: int = 1,
    chunk_size: int = 32,
    progress: Callable[[int], None] | None = None,
) -> Generator[BatchResult, None, None]:
    """Evaluate each record (one client's facts) and yield a :class:`BatchResult` per record, in input order.

    :param rules: the rules folder (``None``: the shipped rules). It is loaded once in
        this process, so an invalid folder raises :class:`RulesError` before any record
        is evaluated, and once in every worker process.
    :param workers: processes to spread the records over; 1 evaluates in this process.
    :param chunk_size: records sent to a worker at a time (larger amortises messaging).
    :param progress: called with the number of records just finished, for progress bars.

    The rules are loaded when iteration starts. A record whose facts are invalid, or on
    which the engine fails, yields a result with an ``error`` and no plan; nothing is
    raised for it. A worker that dies raises
    :class:`EngineError`, since the batch can no longer promise a result per record.

    A record is one client's facts, or ``{"id": ..., "facts": {...}}`` (see :func:`split_record`);
    the id comes back on the record's result. Each plan is byte-identical to
    ``Protocol.evaluate(facts).model_dump_json()``.
    """
    numbered = (Record(number, None, facts, record_id) for number, (record_id, facts) in _split(records))
    return run_batch(numbered, rules=rules, workers=workers, chunk_size=chunk_size, progress=progress)


def _split(records: Iterable[Any]) -> Iterator[tuple[int, tuple[RecordId | None, Any]]]:
    for number, record in enumerate(records, 1):
        yield number, split_record(record)
