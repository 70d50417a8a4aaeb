"""Batch evaluation: many clients, in input order, one result per record, across processes or a Dask cluster.

The wing reads the core's :class:`~engine.Protocol` and never changes it; the core never
imports it (``engine.evaluate_batch`` and friends are loaded from here on first use).
:class:`DaskCluster` and :class:`ClusterError` come from ``engine.batch._dask``, imported only
when first asked for, so that nothing but a Dask run needs dask installed.
"""

from __future__ import annotations

import typing
from typing import Any

from engine.batch._inputs import FORMATS, MAX_INPUT_FILES, SUFFIXES, SUFFIXES_TEXT, BatchInput, InputFile, open_input
from engine.batch._pool import chunked
from engine.batch._records import MAX_LINE_BYTES, Line, csv_records, jsonl_records, read_lines
from engine.batch._results import Answers
from engine.batch._run import (
    DASK_CHUNK_SIZE,
    MAX_ID_LENGTH,
    BatchError,
    BatchResult,
    Record,
    RecordError,
    RecordId,
    check_address,
    evaluate_batch,
    run_batch,
    split_record,
    stream_batch,
)

if typing.TYPE_CHECKING:
    from engine.batch._dask import ClusterError, DaskCluster

__all__ = [
    "DASK_CHUNK_SIZE",
    "FORMATS",
    "MAX_ID_LENGTH",
    "MAX_INPUT_FILES",
    "MAX_LINE_BYTES",
    "SUFFIXES",
    "SUFFIXES_TEXT",
    "Answers",
    "BatchError",
    "BatchInput",
    "BatchResult",
    "ClusterError",
    "DaskCluster",
    "InputFile",
    "Line",
    "Record",
    "RecordError",
    "RecordId",
    "check_address",
    "chunked",
    "csv_records",
    "evaluate_batch",
    "jsonl_records",
    "open_input",
    "read_lines",
    "run_batch",
    "split_record",
    "stream_batch",
]

_FROM_DASK = frozenset({"ClusterError", "DaskCluster"})


def __getattr__(name: str) -> Any:
    """The Dask names, imported when first asked for (PEP 562): importing them needs dask."""
    if name in _FROM_DASK:
        from engine.batch import _dask

        value = getattr(_dask, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine.batch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_DASK})
