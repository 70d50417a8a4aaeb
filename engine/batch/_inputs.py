"""Where a batch's records come from: one file, standard input, or a folder or glob of files.

* **One file** (or ``-``, standard input): JSON Lines or CSV (:mod:`engine.batch._records`),
  or Parquet when pyarrow is installed. Its records' output has no ``file`` field, exactly as
  before folders were accepted.
* **A folder**: its JSON Lines (``.jsonl``, ``.ndjson``), CSV (``.csv``) and Parquet
  (``.parquet``) files, not its subfolders; other files are listed in
  :attr:`BatchInput.skipped` so that a caller can say so (nothing is skipped silently).
  Files whose names start with a dot are left out, as a shell's ``*`` leaves them out.
* **A glob** (``data/*.jsonl``, ``data/**/*.csv``): every regular file it matches.

Files are read one after the other in sorted path order, each numbered on its own (``record``
and ``line`` count within the file), and every record of a folder or glob names its file (the
envelope's ``file``), so that a result joins back to its input whatever the number of files.
Each file's format comes from its extension (``.csv``, ``.parquet``, anything else JSON
Lines) unless one is forced. Limits hold while reading: a line of more than
:data:`~engine.batch.MAX_LINE_BYTES` is an error for its record, a Parquet file is read a few
hundred rows at a time, and a folder or glob of more than :data:`MAX_INPUT_FILES` files is
refused while it is listed.
"""

from __future__ import annotations

import datetime
import glob
import itertools
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from engine._errors import FactsError
from engine._model import FactSpec
from engine.batch._records import ID_COLUMN, Line, cell_value, csv_records, jsonl_records, read_lines
from engine.batch._results import Record, RecordError, id_problem

__all__ = ["FORMATS", "MAX_INPUT_FILES", "SUFFIXES", "SUFFIXES_TEXT", "BatchInput", "InputFile", "open_input"]

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
"""The extensions a folder's batch files have, and their formats."""
SUFFIXES_TEXT = ".jsonl, .ndjson, .csv or .parquet"
FORMATS = ("auto", "jsonl", "csv", "parquet")
MAX_INPUT_FILES = 100_000
"""The most files a folder or glob may hold (refused while they are listed)."""
PARQUET_ROWS = 256
"""Rows of a Parquet file decoded at a time."""


@dataclass(frozen=True)
class InputFile:
    """One file of a batch's input: its name (as given or found) and its format."""

    name: str
    format: str
    """``jsonl``, ``csv`` or ``parquet``; ``auto`` only for standard input (the first line decides)."""


@dataclass(frozen=True)
class BatchInput:
    """The files of a batch's input, in the order they are read.

    :param several: the input is a folder or a glob, so each record names its file (even if
        there is only one: the output's shape does not depend on how many files there are today).
    :param skipped: files of the folder that are not batch input (another extension), for a note.
    """

    files: tuple[InputFile, ...]
    several: bool = False
    skipped: tuple[str, ...] = ()

    def records(self, facts: Mapping[str, FactSpec]) -> Iterator[Record]:
        """Every record of every file, in order; CSV and Parquet cells typed by the vocabulary ``facts``.

        :raises FactsError: a file cannot be opened, or its CSV header or Parquet structure
            cannot be read (then none of its records can).
        """
        for file in self.files:
            label = file.name if self.several else None
            records = _read(file, facts)
            if label is None:
                yield from records
            else:
                for record in records:
                    yield record._replace(file=label)

    def count(self) -> int | None:
        """How many records there are (for a progress bar), reading each file once more; ``None`` if unknown."""
        total = 0
        for file in self.files:
            if file.name == "-" or file.format == "auto":
                return None
            counted = _count(file)
            if counted is None:
                return None
            total += counted
        return total


def open_input(name: str, format: str = "auto") -> BatchInput:
    """The input named ``name``: ``-``, a file, a folder or a glob; ``format`` forces every file's format.

    :raises FactsError: nothing by that name exists, a folder holds no batch file, a glob
        matches nothing, or there are too many files.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if name == "-":
        return BatchInput((InputFile("-", format),))
    path = Path(name)
    if path.is_dir():
        return _folder(name, format)
    if path.exists():
        return BatchInput((InputFile(name, _format(name, format)),))
    if glob.has_magic(name):
        return _glob(name, format)
    raise FactsError(f"facts file {name!r} does not exist")


def _format(name: str, forced: str) -> str:
    if forced != "auto":
        return forced
    return SUFFIXES.get(os.path.splitext(name)[1].lower(), "jsonl")


def _folder(name: str, forced: str) -> BatchInput:
    found: list[str] = []
    skipped: list[str] = []
    try:
        with os.scandir(name) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if len(found) + len(skipped) >= MAX_INPUT_FILES:
                    raise FactsError(f"the folder {name!r} holds more than {MAX_INPUT_FILES:,} files")
                if not entry.is_file():
                    continue
                suffix = os.path.splitext(entry.name)[1].lower()
                (found if suffix in SUFFIXES else skipped).append(os.path.join(name, entry.name))
    except OSError as exc:
        raise FactsError(f"cannot list the folder {name!r}: {exc.strerror}") from None
    if not found:
        raise FactsError(f"the folder {name!r} holds no JSON Lines, CSV or Parquet file ({SUFFIXES_TEXT})")
    files = tuple(InputFile(path, _format(path, forced)) for path in sorted(found))
    return BatchInput(files, several=True, skipped=tuple(sorted(skipped)))


def _glob(pattern: str, forced: str) -> BatchInput:
    found: list[str] = []
    for match in glob.iglob(pattern, recursive=True):
        if len(found) >= MAX_INPUT_FILES:
            raise FactsError(f"{pattern!r} matches more than {MAX_INPUT_FILES:,} files")
        if os.path.isfile(match):
            found.append(match)
    if not found:
        raise FactsError(f"no file matches {pattern!r}")
    return BatchInput(tuple(InputFile(path, _format(path, forced)) for path in sorted(found)), several=True)


# -- reading


def _open(name: str) -> IO[bytes]:
    """The file as bytes: standard input, a regular file or a pipe (a folder or a device is refused)."""
    if name == "-":
        return sys.stdin.buffer
    try:
        stream = open(name, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError:
        raise FactsError(f"facts file {name!r} does not exist") from None
    except IsADirectoryError:
        raise FactsError(f"{name!r} is a folder; give a JSON Lines or CSV file") from None
    except OSError as exc:
        raise FactsError(f"cannot read facts file {name!r}: {exc.strerror}") from None
    mode = os.fstat(stream.fileno()).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        stream.close()
        raise FactsError(f"{name!r} is not a regular file or a pipe; give a JSON Lines or CSV file, or - for stdin")
    return stream


def _read(file: InputFile, facts: Mapping[str, FactSpec]) -> Iterator[Record]:
    if file.format == "parquet":
        yield from _parquet(file.name, facts)
        return
    stream = _open(file.name)
    try:
        kind, lines = _sniff(file.format, read_lines(stream))
        yield from (csv_records(lines, facts) if kind == "csv" else jsonl_records(lines))
    finally:
        if file.name != "-":
            stream.close()


def _sniff(requested: str, lines: Iterator[Line]) -> tuple[str, Iterable[Line]]:
    """Standard input's format, from its first line: JSON Lines if it starts with ``{`` (or is blank)."""
    if requested != "auto":
        return requested, lines
    first = next(lines, None)
    if first is None:
        return "jsonl", ()
    data = first.data or b""
    kind = "jsonl" if data.lstrip().startswith(b"{") or not data.strip() else "csv"
    return kind, itertools.chain([first], lines)


def _count(file: InputFile) -> int | None:
    """Records in a regular file (non-blank lines, less a CSV header; Parquet rows), read in bounded memory."""
    try:
        if file.format == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(file.name).metadata.num_rows)
        with open(file.name, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None
            count = sum(1 for line in read_lines(stream) if line.data is None or line.data.strip())
    except Exception:  # only a progress bar's total: reading reports the real problem
        return None
    return max(count - 1, 0) if file.format == "csv" else count


# -- Parquet


def _parquet(name: str, facts: Mapping[str, FactSpec]) -> Iterator[Record]:
    """Rows of a Parquet file as records: a column per fact (and optionally ``id``); a null is unknown."""
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        raise FactsError(
            f"{name!r} is a Parquet file; reading Parquet needs pyarrow (pip install 'pore-protocol[parquet]')"
        ) from None
    stream = _open(name)
    number = 0
    try:
        try:
            handle = pq.ParquetFile(stream)
            columns = list(handle.schema_arrow.names)
        except (pyarrow.ArrowException, OSError) as exc:
            raise FactsError(f"{name!r} is not a readable Parquet file: {exc}") from None
        if len(set(columns)) != len(columns):
            twice = sorted({c for c in columns if columns.count(c) > 1})
            raise FactsError(f"the Parquet file {name!r} has the column {', '.join(map(repr, twice))} twice")
        batches = handle.iter_batches(batch_size=PARQUET_ROWS)
        while True:
            try:
                batch = next(batches, None)
            except (pyarrow.ArrowException, OSError) as exc:
                raise FactsError(f"cannot read the Parquet file {name!r} after row {number:,}: {exc}") from None
            if batch is None:
                return
            for row in batch.to_pylist():
                number += 1
                yield _parquet_record(number, row, facts)
    finally:
        stream.close()


def _parquet_record(number: int, row: dict[str, Any], facts: Mapping[str, FactSpec]) -> Record:
    record_id = row.pop(ID_COLUMN, None)
    if record_id is not None:
        problem = id_problem(record_id)
        if problem is not None:
            return Record(number, None, RecordError("input", f"the record's id {problem}"))
    record: dict[str, Any] = {}
    for column, value in row.items():
        if value is None:
            continue
        try:
            record[column] = cell_value(facts.get(column), value) if isinstance(value, str) else _plain(value)
        except ValueError as problem:
            return Record(number, None, RecordError("input", f"column {column!r} holds {problem}"), record_id)
    return Record(number, None, record, record_id)


def _plain(value: Any) -> Any:
    """A Parquet value as the JSON-like value the engine reads (dates as ISO text, as in JSON Lines)."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() and value.tzinfo is None else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items() if item is not None}  # a struct's null: unknown
    if isinstance(value, bytes | bytearray):
        raise ValueError("binary data, not an answer")
    return value
