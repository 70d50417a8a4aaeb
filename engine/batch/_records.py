"""Read batch input: JSON Lines or CSV, one record per physical line, each numbered and located.

Input is read as bytes, one line at a time and never more than :data:`MAX_LINE_BYTES` of a
line at once (a longer line is skipped to its end in bounded memory and becomes an error
for that record), so a stream of any length, or one with no line break at all, is read in
constant memory. Each line is decoded on its own: a byte that is not UTF-8 spoils only its
record, and the error names its line and its offset in the input. A byte-order mark at the
start (as spreadsheets write "CSV UTF-8") is skipped.

* **JSON Lines**: one JSON object per line: the facts, or ``{"id": ..., "facts": {...}}``
  (see :func:`~engine.batch.split_record`). Blank lines are skipped. Duplicate keys and
  ``NaN`` / ``Infinity`` are refused, as for single documents.
* **CSV**: a header of fact names (and optionally ``id``), then one client per line. A
  record is one physical line: a quote left open at the end of a line is an error for that
  record alone, and the next line starts the next record (so a cell cannot hold a line
  break). Cells are typed by the vocabulary, never guessed: an empty cell is unknown;
  ``true`` / ``false`` for yes/no facts; whole numbers for numbers; text for choices and
  dates (``never`` included); a set of choices is written ``a;b`` or as a JSON list (``[]``
  for none); previous treatments as a JSON list of ``{"technique": ..., "date": ...}``. A
  cell that does not convert is passed on as text, so the record is reported with the
  usual message. The ``id`` column is text, kept as written.

A record that cannot be read becomes a :class:`~engine.batch.RecordError` of kind ``input``
in its place, so every record still gets exactly one result.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from engine._errors import FactsError
from engine._facts import strict_json_loads
from engine._model import FactSpec
from engine.batch._results import Record, RecordError, id_problem, split_record

__all__ = [
    "ID_COLUMN",
    "MAX_CELL_DIGITS",
    "MAX_LINE_BYTES",
    "CellProblem",
    "Line",
    "cell_value",
    "csv_records",
    "jsonl_records",
    "read_lines",
]

MAX_LINE_BYTES = 1_000_000
"""The longest line (one record) read; a longer one is an input error for that record."""
MAX_CELL_DIGITS = 60
"""Digits a number in a CSV cell may have (as in YAML facts): more is no answer, and converting it costs time."""
ID_COLUMN = "id"
"""The CSV column holding each record's id."""

_BOM = b"\xef\xbb\xbf"
_SKIP = 1 << 16


@dataclass(frozen=True)
class Line:
    """One physical line of the input.

    :param number: 1-based line number.
    :param offset: offset in the input of the line's first byte (after a byte-order mark).
    :param data: the line without its line break (``\\n`` or ``\\r\\n``); ``None`` when it is
        longer than the limit (it was skipped, not kept).
    """

    number: int
    offset: int
    data: bytes | None


def read_lines(stream: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """The lines of a binary stream, each read in at most ``limit + 1`` bytes of memory."""
    number = 0
    offset = 0
    while True:
        chunk = stream.readline(limit + 1)
        if not chunk:
            return
        number += 1
        start = offset
        offset += len(chunk)
        if number == 1 and chunk.startswith(_BOM):
            chunk = chunk[len(_BOM) :]
            start += len(_BOM)
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            while chunk and not chunk.endswith(b"\n"):  # skip to the end of the line, a bounded piece at a time
                chunk = stream.readline(min(_SKIP, limit + 1))
                offset += len(chunk)
            yield Line(number, start, None)
            continue
        if chunk.endswith(b"\n"):
            chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1]
        yield Line(number, start, chunk)


def _text(line: Line) -> str | RecordError:
    """The line decoded, or the input error saying why it cannot be."""
    if line.data is None:
        return RecordError("input", f"line {line.number} is longer than {MAX_LINE_BYTES:,} bytes")
    try:
        return line.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = line.data[exc.start : exc.start + 1]
        return RecordError(
            "input",
            f"line {line.number} is not valid UTF-8: byte {byte!r} at offset {line.offset + exc.start} "
            f"(column {exc.start + 1} of the line); save the file as UTF-8",
        )


def _blank(line: Line) -> bool:
    return line.data is not None and not line.data.strip()


def _lines(source: IO[bytes] | Iterable[Line]) -> Iterable[Line]:
    return read_lines(source) if hasattr(source, "readline") else source  # type: ignore[arg-type]


def jsonl_records(source: IO[bytes] | Iterable[Line]) -> Iterator[Record]:
    """Number the non-blank lines of a JSON Lines stream and parse each; bad lines become errors."""
    number = 0
    for line in _lines(source):
        if _blank(line):
            continue
        number += 1
        text = _text(line)
        if isinstance(text, RecordError):
            yield Record(number, line.number, text)
            continue
        try:
            data = strict_json_loads(text)
        except json.JSONDecodeError as exc:
            message = f"line {line.number} is not valid JSON: {exc.msg} (column {exc.colno})"
            yield Record(number, line.number, RecordError("input", message))
            continue
        except ValueError as exc:
            reason = str(exc).split("; use sys.", 1)[0]  # Python's hint on huge integers is not the caller's
            yield Record(number, line.number, RecordError("input", f"line {line.number} is not valid JSON: {reason}"))
            continue
        except RecursionError:
            yield Record(number, line.number, RecordError("input", "nested too deeply to be client facts"))
            continue
        record_id, facts = split_record(data)
        yield Record(number, line.number, facts, record_id)


def cell_value(spec: FactSpec | None, text: str) -> Any:
    """A CSV cell (or a Parquet text value) as the answer the vocabulary's type expects; text if it does not convert.

    :raises CellProblem: the cell cannot even be passed on (a number of too many digits).
    """
    kind = spec.type if spec is not None else None
    stripped = text.strip()
    if kind == "boolean":
        return {"true": True, "false": False}.get(stripped, text)
    if kind == "integer":
        digits = stripped[1:] if stripped[:1] in "+-" else stripped
        if digits.isdigit() and digits.isascii():
            if len(digits) > MAX_CELL_DIGITS:
                raise CellProblem(f"a number of {len(digits):,} digits; no answer needs so many")
            return int(stripped)
        return text
    if kind in ("set", "treatment_history"):
        if stripped.startswith("["):
            try:
                return strict_json_loads(stripped)
            except (ValueError, RecursionError):
                return text
        if kind == "set":
            return [item.strip() for item in stripped.split(";")]
        return text
    return stripped


class CellProblem(ValueError):
    """A cell that cannot even be passed on to the engine (the message completes "column X holds ...")."""


def _row(text: str, line: Line) -> list[str] | RecordError:
    try:
        return next(csv.reader([text], strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            reason = (
                f"a quote is left open at the end of line {line.number} "
                "(a record is one line; close the quote, or double a quote inside a quoted cell)"
            )
        else:
            reason = f"line {line.number}: {exc}"
        return RecordError("input", f"not valid CSV: {reason}")


def csv_records(source: IO[bytes] | Iterable[Line], facts: Mapping[str, FactSpec]) -> Iterator[Record]:
    """Lines of a CSV file with a header of fact names (and optionally ``id``), typed by the vocabulary.

    :raises FactsError: the header cannot be read (then no record can).
    """
    lines = iter(_lines(source))
    header_line = next((line for line in lines if not _blank(line)), None)
    if header_line is None:
        return
    header_text = _text(header_line)
    if isinstance(header_text, RecordError):
        raise FactsError(f"the CSV header cannot be read: {header_text.message}")
    header = _row(header_text, header_line)
    if isinstance(header, RecordError):
        raise FactsError(f"the CSV header cannot be read: {header.message}")
    names = [name.strip() for name in header]
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise FactsError(f"the CSV header names {', '.join(map(repr, twice))} twice")
    number = 0
    for line in lines:
        if _blank(line):
            continue
        text = _text(line)
        row = text if isinstance(text, RecordError) else _row(text, line)
        if isinstance(row, list) and not any(cell.strip() for cell in row):
            continue
        number += 1
        if isinstance(row, RecordError):
            yield Record(number, line.number, row)
            continue
        yield _csv_record(number, line.number, names, row, facts)


def _csv_record(number: int, line: int, names: list[str], row: list[str], facts: Mapping[str, FactSpec]) -> Record:
    record_id: str | None = None
    cells = dict(zip(names, row, strict=False))
    if ID_COLUMN in cells:
        raw = cells.pop(ID_COLUMN).strip()
        if raw:
            problem = id_problem(raw)
            if problem is not None:
                return Record(number, line, RecordError("input", f"the record's id {problem}"))
            record_id = raw
    if len(row) != len(names):
        message = f"line {line} has {len(row)} cells; the header names {len(names)} columns"
        return Record(number, line, RecordError("input", message), record_id)
    record: dict[str, Any] = {}
    for name, cell in cells.items():
        if not cell.strip():
            continue
        try:
            record[name] = cell_value(facts.get(name), cell)
        except CellProblem as problem:
            return Record(number, line, RecordError("input", f"column {name!r} holds {problem}"), record_id)
    return Record(number, line, record, record_id)
