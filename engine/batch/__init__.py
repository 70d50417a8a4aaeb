"""Batch evaluation: many clients, in input order, one result per record, across processes.

The wing reads the core's :class:`~engine.Protocol` and never changes it; the core never
imports it (``engine.evaluate_batch`` and friends are loaded from here on first use).
"""

from __future__ import annotations

from engine.batch._records import MAX_LINE_BYTES, Line, csv_records, jsonl_records, read_lines
from engine.batch._run import (
    MAX_ID_LENGTH,
    BatchError,
    BatchResult,
    Record,
    RecordError,
    RecordId,
    evaluate_batch,
    run_batch,
    split_record,
)

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_LINE_BYTES",
    "BatchError",
    "BatchResult",
    "Line",
    "Record",
    "RecordError",
    "RecordId",
    "csv_records",
    "evaluate_batch",
    "jsonl_records",
    "read_lines",
    "run_batch",
    "split_record",
]
