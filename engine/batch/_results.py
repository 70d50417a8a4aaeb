"""What a batch produces for each record, and how a chunk of records is answered as JSON bytes.

Every record gets exactly one :class:`BatchResult`: a plan (as its JSON text) or a
:class:`RecordError`, never both, numbered and located so that it joins back to its input.

Worker processes (local ones or a Dask cluster's) answer a chunk of records with
:func:`answer_chunk`: the chunk's output lines already written as UTF-8 bytes
(:class:`Answers`), not pickled result objects. The issue that asked for it measured 60 µs
per record in the parent unpickling a 37 KB plan; a block of bytes is copied, not parsed, and
the command line writes it as it is. :func:`results_of` turns a block back into
:class:`BatchResult` s for library callers, byte for byte the same text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from engine._errors import EngineError, FactsError, Issue, PoreProtocolError
from engine._plan_model import TreatmentPlan
from engine._protocol import Protocol

__all__ = [
    "MAX_ID_LENGTH",
    "Answers",
    "BatchError",
    "BatchResult",
    "ErrorKind",
    "Record",
    "RecordError",
    "RecordId",
    "answer_chunk",
    "evaluate_one",
    "id_problem",
    "results_of",
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


def _head(number: int, line: int | None, record_id: RecordId | None, file: str | None) -> dict[str, Any]:
    head: dict[str, Any] = {} if file is None else {"file": file}
    head["record"] = number
    if line is not None:
        head["line"] = line
    if record_id is not None:
        head["id"] = record_id
    return head


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _value(value: Any) -> str:
    """``_dumps(value)``, without the encoder's machinery for a whole number (what most heads hold)."""
    return str(value) if type(value) is int else _dumps(value)


def _plan_head(number: int, line: int | None, record_id: RecordId | None, file: str | None) -> str:
    """``_dumps(_head(...))`` without its closing brace, then ``,"plan":``: what precedes a plan's JSON.

    Written field by field (the same text): encoding the head as a dictionary was a third of
    the time a batch adds around each plan.
    """
    text = '{"record":' if file is None else '{"file":' + _dumps(file) + ',"record":'
    text += _value(number)
    if line is not None:
        text += ',"line":' + _value(line)
    if record_id is not None:
        text += ',"id":' + _value(record_id)
    return text + ',"plan":'


@dataclass(frozen=True)
class BatchResult:
    """The outcome for one record: a plan (as its JSON) or an error, never both.

    :param number: 1-based position of the record in the input (in its file, when there are several).
    :param line: the line of the input file the record is on, when it came from a file.
    :param plan_json: the plan exactly as ``Protocol.evaluate(facts).model_dump_json()`` writes it.
    :param id: the record's own id, when it gave one (``{"id": ..., "facts": {...}}``, or a CSV
        ``id`` column).
    :param file: the input file the record came from, when the input was a folder or a glob.
    """

    number: int
    plan_json: str | None = None
    error: RecordError | None = None
    line: int | None = None
    id: RecordId | None = None
    file: str | None = None

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
        """One output line, an envelope naming the record: its file, number, line and id, then its plan or error.

        ``{"file": ..., "record": n, "line": l, "id": ..., "plan": {...}}`` or ``{..., "error":
        "input"|"facts"|"engine", "message": ..., "issues": [...]}``; ``file``, ``line`` and ``id``
        only when known. The plan is embedded as its JSON text, byte for byte.
        """
        if self.plan_json is not None:
            return "".join((_plan_head(self.number, self.line, self.id, self.file), self.plan_json, "}"))
        assert self.error is not None
        head = _head(self.number, self.line, self.id, self.file)
        head["error"] = self.error.kind
        head["message"] = self.error.message
        head["issues"] = [{"path": i.path, "message": i.message, "hint": i.hint} for i in self.error.issues]
        return _dumps(head)


class Record(NamedTuple):
    """One record as it travels to a worker: numbered, located, with its facts (or why it could not be read)."""

    number: int
    line: int | None
    facts: Any
    """The facts, or a :class:`RecordError` of kind ``input`` for a record that could not be read."""
    id: RecordId | None = None
    file: str | None = None
    """The input file's name in the output, when the input is a folder or a glob (``None`` for one file)."""


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


def evaluate_one(protocol: Protocol, record: Record) -> BatchResult:
    """The result for one record: its plan's JSON, or the error that stopped it (never raised)."""
    number, line, facts, record_id, file = record
    if isinstance(facts, RecordError):
        return BatchResult(number, None, facts, line, record_id, file)
    try:
        return BatchResult(number, protocol.evaluate(facts).model_dump_json(), None, line, record_id, file)
    except FactsError as exc:
        return BatchResult(number, None, RecordError("facts", exc.summary, exc.issues), line, record_id, file)
    except PoreProtocolError as exc:
        return BatchResult(number, None, RecordError("engine", str(exc)), line, record_id, file)
    except Exception as exc:  # fail closed: no plan for this client, and say why
        error = RecordError("engine", f"{type(exc).__name__}: {exc}"[:2000])
        return BatchResult(number, None, error, line, record_id, file)


@dataclass(frozen=True)
class Answers:
    """A chunk's output as a worker sends it back: the envelope lines as UTF-8 bytes, and an index into them.

    ``data`` is exactly what ``evaluate-batch`` writes for the chunk (each record's
    :meth:`BatchResult.to_json` and a line break). ``ends[i]`` is where record ``i``'s line ends
    in ``data`` (after its line break) and ``plans[i]`` where its plan's JSON starts (-1 when it
    has none); ``errors`` holds the records that have no plan, by position in the chunk, with
    their error. Small numbers and one block of bytes: cheap to send and to receive.
    """

    data: bytes
    ends: tuple[int, ...]
    plans: tuple[int, ...]
    errors: tuple[tuple[int, RecordError], ...]

    @property
    def count(self) -> int:
        return len(self.ends)


def answer_chunk(protocol: Protocol, records: Sequence[Record]) -> Answers:
    """Evaluate ``records`` in order and write their output lines (what workers run on each chunk)."""
    parts: list[bytes] = []
    ends: list[int] = []
    plans: list[int] = []
    errors: list[tuple[int, RecordError]] = []
    size = 0
    for index, record in enumerate(records):
        result = evaluate_one(protocol, record)
        if result.plan_json is not None:
            head = _plan_head(result.number, result.line, result.id, result.file).encode()
            plan = result.plan_json.encode()
            parts += (head, plan, b"}\n")
            plans.append(size + len(head))
            size += len(head) + len(plan) + 2
        else:
            assert result.error is not None
            line = (result.to_json() + "\n").encode()
            parts.append(line)
            plans.append(-1)
            errors.append((index, result.error))
            size += len(line)
        ends.append(size)
    return Answers(b"".join(parts), tuple(ends), tuple(plans), tuple(errors))


def results_of(records: Sequence[Record], answers: Answers) -> Iterator[BatchResult]:
    """The :class:`BatchResult` s of a chunk from its answers (``records`` are the chunk's, in order)."""
    if answers.count != len(records):  # a worker that answered another chunk would misnumber every record
        raise EngineError(f"a batch worker answered {answers.count} records for a chunk of {len(records)}")
    errors = dict(answers.errors)
    data = answers.data
    for index, record in enumerate(records):
        error = errors.get(index)
        if error is not None:
            yield BatchResult(record.number, None, error, record.line, record.id, record.file)
        else:
            plan = data[answers.plans[index] : answers.ends[index] - 2].decode("utf-8")
            yield BatchResult(record.number, plan, None, record.line, record.id, record.file)
