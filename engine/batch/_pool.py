"""Local worker processes for a batch, and the ordered, bounded loop every parallel batch runs in.

durable_rules serialises every call behind one lock and its C core is not thread-safe,
so parallelism comes from processes. Each worker process builds its own protocol from
the rules folder in its initializer (nothing unpicklable crosses a process boundary, so
this works with the ``spawn`` start method, which is what we use everywhere for the same
behaviour on every platform) and checks that it loaded the very rules the caller loaded
(same sha256). It reads them through the compiled-protocol cache (:mod:`engine._cache`),
which the caller's own load has just filled, so that N workers do not validate and compile
the same YAML N times. Records travel to the workers in small chunks and come back as the chunk's
output lines, already JSON bytes (:class:`~engine.batch._results.Answers`).

:func:`ordered` keeps a bounded number of chunks in flight and hands their answers back
strictly in input order, so that a file of any length streams through in constant memory;
the Dask runner uses it too, with its own futures.

The workers end with the batch: when the caller stops iterating early (an exception, a
signal turned into one, or ``close()``), the chunks not yet started are cancelled and the
workers exit once the few in flight are done. A worker ignores SIGINT (the caller decides
what an interrupt means, and a Ctrl-C reaches the whole process group) and exits by itself
soon after the process that started it goes away, however it went.
"""

from __future__ import annotations

import collections
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from engine._cache import load_protocol_cached
from engine._errors import EngineError, PoreProtocolError
from engine._lifeline import CHECK_SECONDS, watch_parent
from engine.batch._results import Answers, Record, answer_chunk

__all__ = ["PARENT_CHECK_SECONDS", "Waitable", "chunked", "ordered", "pool_answers"]

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Waitable(Protocol[R_co]):
    """A future of either kind (``concurrent.futures`` or Dask's): waited for, or cancelled."""

    def result(self, timeout: float | None = None) -> R_co: ...

    def cancel(self) -> Any: ...


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ordered(
    chunks: Iterable[T],
    submit: Callable[[T], Waitable[R]],
    window: int,
    wait: Callable[[Waitable[R]], R],
) -> Generator[tuple[T, R], None, None]:
    """Submit ``chunks`` with at most ``window`` in flight; yield each chunk with its answer, in input order.

    ``wait`` takes a future's result and turns the runner's failures into the engine's errors.
    Chunks still in flight when the caller stops early are cancelled.
    """
    pending: collections.deque[tuple[T, Waitable[R]]] = collections.deque()
    feed = iter(chunks)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < window:
                chunk = next(feed, None)
                if chunk is None:
                    exhausted = True
                else:
                    pending.append((chunk, submit(chunk)))
            if not pending:
                return
            chunk, future = pending.popleft()
            yield chunk, wait(future)
    finally:
        for _, future in pending:
            future.cancel()


# -- worker side (module-level so that spawn can import it)

_WORKER: dict[str, Any] = {}
PARENT_CHECK_SECONDS = CHECK_SECONDS
"""How soon a worker ends after the caller is gone (see :mod:`engine._lifeline`)."""


def _worker_start(rules: str, sha256: str, parent: int) -> None:
    """A worker process's initializer: detach from the caller's interrupts, watch the caller, load the rules.

    ``parent``: the caller's process id, passed in rather than read here, so that a caller
    that died while this worker was starting is seen as gone (``os.getppid()`` would by then
    name whichever process adopted the worker, and it would be watched forever).
    """
    # An interrupt is the caller's to handle (it stops the batch and ends the workers); a
    # worker that took it too would print a traceback and break the pool mid-chunk.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent(parent)
    _worker_init(rules, sha256)


def _worker_init(rules: str, sha256: str) -> None:
    try:
        protocol = load_protocol_cached(rules)  # validated and compiled once, not by every worker
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


def _worker_run(chunk: list[Record]) -> Answers:
    if "error" in _WORKER:
        raise EngineError(_WORKER["error"])
    return answer_chunk(_WORKER["protocol"], chunk)


# -- caller side


def _wait(future: Waitable[Answers]) -> Answers:
    try:
        return future.result()
    except PoreProtocolError:
        raise
    except BrokenProcessPool:
        raise EngineError("a batch worker process died; the batch cannot promise a result per record") from None
    except Exception as exc:  # e.g. a result that could not be sent back
        raise EngineError(f"a batch worker failed: {type(exc).__name__}: {exc}") from None


def pool_answers(
    chunks: Iterable[list[Record]], rules: str, sha256: str, workers: int
) -> Generator[tuple[list[Record], Answers], None, None]:
    """Each chunk with its answers, in order, from ``workers`` spawned processes that load ``rules`` themselves."""
    # ProcessPoolExecutor rather than multiprocessing.Pool: when a worker dies, Pool
    # silently loses its task and the caller waits forever; the executor raises.
    context = multiprocessing.get_context("spawn")
    executor = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_start, initargs=(rules, sha256, os.getpid())
    )
    try:
        yield from ordered(chunks, lambda chunk: executor.submit(_worker_run, chunk), workers * 4, _wait)
    finally:
        # Also when the caller stops early: chunks not yet started are cancelled and the few
        # already sent to a worker (at most one per worker, plus one) are finished, so the
        # workers exit cleanly. Terminating them instead can kill one while it writes a
        # result, which leaves the executor's reader thread waiting forever for the rest.
        executor.shutdown(wait=True, cancel_futures=True)
