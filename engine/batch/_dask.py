"""Run batch work on a Dask cluster: an existing one (``tcp://HOST:8786``) or a LocalCluster (``local:N``).

Imported only when a caller asks for Dask (``--dask``), so that nothing else needs dask.

* **The rules travel as content.** Workers may not share this machine's files, so the bytes
  of the rules folder's files go to every worker inside a worker plugin, with the sha256 of
  the protocol the caller loaded and the engine's version. A worker compiles them once (on
  its first partition, off the worker's event loop), refuses to evaluate if the sha256 or
  the version differs, and drops them when the run ends. A plugin lives on the scheduler, so
  a worker that joins mid-run (a replacement for a lost one) gets it too.
* **Partitions, in order.** Records go out in partitions of a few hundred, at most a few per
  worker thread at a time (:func:`~engine.batch._pool.ordered`), and come back in input
  order whatever order they finish in, so output is identical to a local run.
* **A lost worker** is Dask's to handle: the scheduler runs its partitions again on another
  worker, and since each answer is taken from its partition's future exactly once, no record
  is lost or repeated. A partition that keeps killing workers (Dask's ``allowed-failures``)
  stops the batch with an :class:`EngineError`.
* **One thread per worker** for ``local:N``: durable_rules serialises every call behind one
  lock, so more threads in a worker would only wait for each other.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar

from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker
from distributed.client import FutureCancelledError

from engine._errors import EngineError, PoreProtocolError
from engine._folder import raw_files
from engine._issues import IssueCollector
from engine._load import content_sha256
from engine._protocol import Protocol, load_protocol
from engine._version import __version__
from engine.batch._pool import Waitable, ordered
from engine.batch._results import Answers, Record, answer_chunk
from engine.batch._run import LOCAL, check_address

__all__ = ["ClusterError", "DaskCluster", "RulesContent", "dask_setup"]

T = TypeVar("T")
R = TypeVar("R")

CONNECT_SECONDS = 20.0
"""How long to wait for a scheduler to answer, and for a cluster to have a worker."""


class ClusterError(PoreProtocolError):
    """The Dask cluster cannot be reached, has no workers, or went away during the run (not the records' fault)."""


# -- the rules, as content


@dataclass(frozen=True)
class RulesContent:
    """The files of a loaded protocol's rules folder (name and bytes), with the sha256 the caller loaded."""

    files: tuple[tuple[str, bytes], ...]
    sha256: str

    @classmethod
    def of(cls, protocol: Protocol) -> RulesContent:
        """Read ``protocol``'s folder again; refused if its content is no longer what was loaded."""
        issues = IssueCollector()
        files = tuple(raw_files(protocol.path, issues))
        if issues.issues or content_sha256(files) != protocol.sha256:
            raise EngineError(f"the rules folder {str(protocol.path)!r} changed after it was loaded; run it again")
        return cls(files, protocol.sha256)

    def load(self) -> Protocol:
        """Compile the content in this process (a temporary folder, removed once it is loaded) and check it."""
        with tempfile.TemporaryDirectory(prefix="pore-protocol-rules-") as folder:
            root = Path(folder)
            for name, data in self.files:
                relative = PurePosixPath(name)
                if relative.is_absolute() or ".." in relative.parts:
                    raise EngineError(f"the rules sent to this worker name a file outside their folder: {name!r}")
                path = root.joinpath(*relative.parts)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            protocol = load_protocol(root)
        if protocol.sha256 != self.sha256:
            protocol.close()
            raise EngineError(
                f"a Dask worker compiled rules with sha256 {protocol.sha256[:12]}, "
                f"not the {self.sha256[:12]} the client loaded"
            )
        return protocol


class _RulesPlugin(WorkerPlugin):
    """The rules of one run on a worker: compiled on the first partition that needs them, dropped at the end."""

    def __init__(self, contents: tuple[RulesContent, ...], version: str) -> None:
        self.contents = contents
        self.version = version
        self._protocols: tuple[Protocol, ...] | None = None
        self._error: str | None = None
        self._lock: threading.Lock | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"contents": self.contents, "version": self.version}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["contents"], state["version"])  # type: ignore[misc]

    def setup(self, worker: Any) -> None:
        self._lock = threading.Lock()

    def teardown(self, worker: Any) -> None:
        for protocol in self._protocols or ():
            protocol.close()
        self._protocols = None

    def protocols(self) -> tuple[Protocol, ...]:
        """The compiled protocols, compiling them the first time (once per worker, whatever its threads)."""
        lock = self._lock or threading.Lock()
        with lock:
            if self._protocols is None and self._error is None:
                self._protocols, self._error = self._compile()
        if self._error is not None:
            raise EngineError(self._error)
        assert self._protocols is not None
        return self._protocols

    def _compile(self) -> tuple[tuple[Protocol, ...] | None, str | None]:
        if self.version != __version__:
            return None, (
                f"a Dask worker runs pore-protocol {__version__} and the client {self.version}; "
                "install the same version on both, or plans could differ"
            )
        loaded: list[Protocol] = []
        try:
            for content in self.contents:
                loaded.append(content.load())
        except PoreProtocolError as exc:
            for protocol in loaded:
                protocol.close()
            return None, f"a Dask worker could not load the rules: {exc}"
        # The worker keeps the protocols for the whole run: out of the cyclic collector's reach
        # (see engine.batch._pool: full collections stop re-scanning them).
        gc.freeze()
        return tuple(loaded), None


@dataclass(frozen=True)
class _Partition(Generic[T]):
    """A partition's items, wrapped so that Dask sends them as they are instead of looking inside for tasks."""

    items: T


def _run_partition(plugin: str, function: Callable[[tuple[Protocol, ...], Any], R], partition: _Partition[Any]) -> R:
    """What a Dask worker runs: ``function`` on the run's compiled protocols and one partition."""
    try:
        rules: _RulesPlugin = get_worker().plugins[plugin]  # type: ignore[assignment]
    except KeyError:
        raise EngineError("a Dask worker has not been sent the rules of this run") from None
    return function(rules.protocols(), partition.items)


def _answer_records(protocols: tuple[Protocol, ...], records: list[Record]) -> Answers:
    return answer_chunk(protocols[0], records)


def dask_setup(worker: Any) -> None:
    """Preload of ``local:N`` workers: leave the caller's process group.

    A Ctrl-C (or a SIGTERM to the group) is the caller's to handle: it stops the batch and
    ends the cluster in order. Workers that took it too would die under the scheduler, which
    then logs lost connections on the caller's stderr. A worker still exits at once if the
    caller dies (Dask's nanny pipe), so none is left behind.
    """
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)


# -- the client side


class DaskCluster:
    """A connection to a Dask cluster for one or more runs; ``local:N`` starts (and ends) a LocalCluster.

    Use as a context manager. :meth:`answers` runs batch records; :meth:`map` runs any
    module-level function of the compiled protocols and a partition (``diff`` uses it).

    :raises ClusterError: the scheduler cannot be reached, or has no worker within
        :data:`CONNECT_SECONDS`.
    """

    def __init__(self, address: str, *, timeout: float | None = None) -> None:
        self.address = check_address(address)
        timeout = CONNECT_SECONDS if timeout is None else timeout
        self._cluster: LocalCluster | None = None
        try:
            if address.startswith(LOCAL):
                self._cluster = LocalCluster(
                    n_workers=int(address[len(LOCAL) :]),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # No dashboard, and the scheduler's own HTTP server (metrics, health) on a free
                    # loopback port: its default, 8787, may be taken by another cluster.
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    # Dask's own log lines (a lost worker, connections closing as the run is
                    # interrupted) are not the caller's; what matters reaches it as an exception.
                    silence_logs=logging.CRITICAL,
                    preload=[__name__],  # dask_setup below, in each worker process
                )  # type: ignore[no-untyped-call]
                self.client = Client(self._cluster, set_as_default=False, timeout=timeout)  # type: ignore[no-untyped-call]
            else:
                self.client = Client(address, set_as_default=False, timeout=timeout)  # type: ignore[no-untyped-call]
            self.client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise ClusterError(f"cannot use the Dask cluster at {address}: {exc}") from None

    def __enter__(self) -> DaskCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect, and end the local cluster if this started one."""
        client = getattr(self, "client", None)
        with contextlib.suppress(Exception):
            if client is not None:
                client.close()
        with contextlib.suppress(Exception):
            if self._cluster is not None:
                self._cluster.close()
        self._cluster = None

    @property
    def threads(self) -> int:
        """Worker threads in the cluster now (what the number of partitions in flight follows)."""
        return sum(self.client.nthreads().values()) or 1  # type: ignore[no-untyped-call]

    def answers(
        self, chunks: Iterable[list[Record]], protocol: Protocol
    ) -> Generator[tuple[list[Record], Answers], None, None]:
        """Each chunk of records with its answers (output lines as JSON bytes), in order."""
        return self.map(_answer_records, (protocol,), chunks)

    def map(
        self,
        function: Callable[[tuple[Protocol, ...], T], R],
        protocols: Sequence[Protocol],
        partitions: Iterable[T],
    ) -> Generator[tuple[T, R], None, None]:
        """``function(compiled protocols, partition)`` on the workers for each partition; yields them in order.

        ``function`` must be importable on the workers (a module-level function of the engine).
        The protocols' rules are sent as content and compiled once per worker; they are checked
        against ``protocols``' sha256 there.
        """
        contents = tuple(RulesContent.of(p) for p in protocols)
        digest = hashlib.sha256("".join(c.sha256 for c in contents).encode()).hexdigest()[:12]
        name = f"pore-protocol-{digest}-{uuid.uuid4().hex[:8]}"
        return self._map(function, contents, name, partitions)

    def _map(
        self,
        function: Callable[[tuple[Protocol, ...], T], R],
        contents: tuple[RulesContent, ...],
        name: str,
        partitions: Iterable[T],
    ) -> Generator[tuple[T, R], None, None]:
        try:
            self.client.register_plugin(_RulesPlugin(contents, __version__), name=name)
        except (OSError, TimeoutError, FutureCancelledError) as exc:
            raise ClusterError(f"lost the Dask cluster at {self.address}: {exc}") from None
        counter = iter(range(1 << 62))

        def submit(partition: T) -> Waitable[R]:
            key = f"{name}-{next(counter)}"
            future: Future[R] = self.client.submit(_run_partition, name, function, _Partition(partition), key=key)
            return future

        try:
            yield from ordered(partitions, submit, max(4, 2 * self.threads), self._wait)
        finally:
            with contextlib.suppress(Exception):
                self.client.unregister_worker_plugin(name)  # type: ignore[no-untyped-call]

    def _wait(self, future: Waitable[R]) -> R:
        from distributed import KilledWorker

        try:
            return future.result()
        except PoreProtocolError:
            raise
        except KilledWorker as exc:
            raise EngineError(
                f"a partition of records ended every Dask worker that ran it ({exc}); "
                "the batch cannot promise a result per record"
            ) from None
        except (FutureCancelledError, OSError, TimeoutError) as exc:
            raise ClusterError(f"lost the Dask cluster at {self.address} during the run: {exc}") from None
        except Exception as exc:
            raise EngineError(f"a Dask worker failed: {type(exc).__name__}: {exc}"[:2000]) from None
