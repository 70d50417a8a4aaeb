"""Read batch input: JSON Lines or CSV, one record per line, each numbered and located.

* **JSON Lines**: one JSON object of facts per line; blank lines are skipped. Duplicate
  keys and ``NaN`` / ``Infinity`` are refused, as for single documents.
* **CSV**: a header of fact names, then one client per row. Cells are typed by the
  vocabulary, never guessed: an empty cell is unknown; ``true`` / ``false`` for yes/no
  facts; whole numbers for numbers; text for choices and dates (``never`` included); a
  set of choices is written ``a;b`` or as a JSON list (``[]`` for none); previous
  treatments as a JSON list of ``{"technique": ..., "date": ...}``. A cell that does not
  convert is passed on as text, so the record is reported with the usual message.

A record that cannot be read becomes a :class:`~engine.batch.RecordError` of kind ``input``
in its place, so every record still gets exactly one result.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from engine._errors import FactsError
from engine._facts import strict_json_loads
from engine._model import FactSpec
from engine.batch._run import Record, RecordError

__all__ = ["MAX_LINE_BYTES", "csv_records", "jsonl_records"]

MAX_LINE_BYTES = 1_000_000


def jsonl_records(lines: Iterator[str]) -> Iterator[Record]:
    """Number the non-blank lines of a JSON Lines stream and parse each; bad lines become errors."""
    number = 0
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        number += 1
        if len(line) > MAX_LINE_BYTES:
            yield number, line_no, RecordError("input", f"line is longer than {MAX_LINE_BYTES} characters")
            continue
        try:
            data = strict_json_loads(line)
        except json.JSONDecodeError as exc:
            yield number, line_no, RecordError("input", f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        except ValueError as exc:
            yield number, line_no, RecordError("input", f"not valid JSON: {exc}")
            continue
        except RecursionError:
            yield number, line_no, RecordError("input", "nested too deeply to be client facts")
            continue
        yield number, line_no, data


def _cell(spec: FactSpec | None, text: str) -> Any:
    kind = spec.type if spec is not None else None
    stripped = text.strip()
    if kind == "boolean":
        return {"true": True, "false": False}.get(stripped, text)
    if kind == "integer":
        sign = stripped[1:] if stripped[:1] in "+-" else stripped
        return int(stripped) if sign.isdigit() and sign.isascii() else text
    if kind in ("set", "treatment_history"):
        if stripped.startswith("["):
            try:
                return strict_json_loads(stripped)
            except ValueError:
                return text
        if kind == "set":
            return [item.strip() for item in stripped.split(";")]
        return text
    return stripped


def csv_records(lines: Iterable[str], facts: Mapping[str, FactSpec]) -> Iterator[Record]:
    """Rows of a CSV file with a header of fact names, typed by the vocabulary."""
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FactsError(f"the CSV header could not be read: {exc}") from None
    if header is None:
        return
    names = [name.strip() for name in header]
    if len(set(names)) != len(names):
        raise FactsError("the CSV header names a fact twice")
    number = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield number, start, RecordError("input", f"not valid CSV: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        number += 1
        if len(row) != len(names):
            yield number, start, RecordError("input", f"has {len(row)} cells; the header names {len(names)} facts")
            continue
        record = {name: _cell(facts.get(name), cell) for name, cell in zip(names, row, strict=True) if cell.strip()}
        yield number, start, record
