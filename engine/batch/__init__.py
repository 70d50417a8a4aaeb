"""Batch evaluation: many clients, in input order, one result per record, across processes.

The wing reads the core's :class:`~engine.Protocol` and never changes it; the core never
imports it (``engine.evaluate_batch`` and friends are loaded from here on first use).
"""

from __future__ import annotations

from engine.batch._records import csv_records, jsonl_records
from engine.batch._run import BatchError, BatchResult, Record, RecordError, evaluate_batch, run_batch

__all__ = [
    "BatchError",
    "BatchResult",
    "Record",
    "RecordError",
    "csv_records",
    "evaluate_batch",
    "jsonl_records",
    "run_batch",
]
