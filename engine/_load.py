"""Read YAML safely, in bounded memory, and remember where every value came from.

Rule authors need errors that point at a line, so loading keeps a map from each value's
path inside the document (``("rules", 3, "when")``) to its line. The document's data is
built in one pass straight from the parser's events (libyaml's when PyYAML has it), never
composed or constructed by PyYAML, which refuses as it reads:

* aliases, which make billion-laughs documents possible and hide what a rule says;
* explicit tags (``!!python/object``) and merge keys (``<<``): rules and facts are plain data;
* a key written twice in one mapping (YAML would keep the last and lose the first);
* more than one document in a file, and nesting deeper than :data:`MAX_DEPTH`;
* numbers that are not decimal (see :func:`_plain`).

Files are read through :func:`read_capped`, which stops at the size limit instead of
reading a file of any size first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from engine._errors import Issue

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "DocPath",
    "LoadedDocument",
    "YamlProblem",
    "content_sha256",
    "decode_utf8",
    "load_yaml_file",
    "load_yaml_text",
    "problem_to_issue",
    "read_capped",
]

DocPath = tuple[str | int, ...]

MAX_DOCUMENT_BYTES = 5_000_000
"""The largest rules file or facts document read: refused while reading, never after."""
MAX_DEPTH = 40
MAX_INT_DIGITS = 60
"""Digits a number may have: more is no answer and no rule value, and converting it costs time."""


class YamlProblem(Exception):
    """Raised by the loader; converted to an :class:`Issue` by callers."""

    def __init__(self, message: str, line: int | None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed YAML document with the line of every value in it."""

    file: str
    data: Any
    lines: dict[DocPath, int]

    def line_of(self, path: Iterable[str | int]) -> int | None:
        """Line of the deepest prefix of ``path`` that has a known position."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), None)


# ----------------------------------------------------------------------------- scalars

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_NOT_DECIMAL = re.compile(r"[-+]?(0[0-9]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[bB][01]+)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _plain(text: str, line: int) -> Any:
    """The value of a plain (unquoted) scalar, read by YAML 1.2's core schema and more strictly.

    PyYAML's default (YAML 1.1) would silently turn ``030`` into 24 (octal), ``1:05`` into 65
    (base 60) and ``yes`` into true. Here a number is decimal: ``030``, ``0o17``, ``0x1F`` and
    ``0b1`` are errors; ``1:05``, ``yes`` and ``1_000`` stay text, which the vocabulary then
    refuses where a number or a yes/no answer is due. Dates are ISO (``2026-11-25``).
    """
    if text in _NULL:
        return None
    found = _BOOL.get(text)
    if found is not None:
        return found
    first = text[0]
    if not (first.isdigit() or first in "+-."):
        return text
    if _INT.fullmatch(text):
        if len(text) > MAX_INT_DIGITS:
            raise YamlProblem(f"the number {text[:12]}... has {len(text)} digits", line, "no answer needs so many")
        return int(text)
    if _NOT_DECIMAL.fullmatch(text):
        raise YamlProblem(
            f"{text!r} is not a decimal number",
            line,
            "write numbers in decimal without a leading zero (YAML 1.1 reads 030 as 24, in octal); "
            "quote it if it is text",
        )
    if _FLOAT.fullmatch(text):
        if len(text) > MAX_INT_DIGITS:
            raise YamlProblem(f"the number {text[:12]}... has {len(text)} characters", line, "no answer needs so many")
        return float(text)
    if text in _SPECIAL_FLOAT:
        return float(text.lower().replace(".", ""))
    if _DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise YamlProblem(
                f"{text!r} is not a valid date: {exc}", line, "check the value, or quote it to make it text"
            ) from None
    return text


# ----------------------------------------------------------------------------- documents

_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser when PyYAML was built with it: many times faster than the pure-Python one."""

_NO_KEY = object()


class _Builder:
    """Builds one document's data from parser events, recording the line of every value.

    Holds the stack of open mappings and sequences (each with its path) and, for each open
    mapping, the key waiting for its value; state lives only for the one document.
    """

    def __init__(self) -> None:
        self.lines: dict[DocPath, int] = {}
        self.stack: list[tuple[Any, DocPath]] = []
        self.keys: list[Any] = []
        self.root: Any = None
        self.documents = 0

    def expecting_key(self) -> bool:
        """Whether the next scalar is a key of the innermost open mapping."""
        return bool(self.stack) and self.keys[-1] is _NO_KEY and isinstance(self.stack[-1][0], dict)

    def key(self, value: Any, line: int) -> None:
        """Take a mapping key: a plain word, at most once per mapping, and never a merge key."""
        if value == "<<":
            raise YamlProblem("YAML merge keys (<<) are not allowed", line, "write the keys out in full")
        if not isinstance(value, str | int | bool) or isinstance(value, float):
            raise YamlProblem(f"mapping key {value!r} must be a word", line)
        if value in self.stack[-1][0]:
            raise YamlProblem(
                f"key {value!r} appears twice in the same block",
                line,
                "YAML keeps only the last one, so the first would be silently lost; merge them",
            )
        self.keys[-1] = value

    def place(self, value: Any, line: int) -> DocPath:
        """Put ``value`` where the innermost open collection expects it; returns its path."""
        if not self.stack:
            self.root = value
            path: DocPath = ()
        else:
            parent, where = self.stack[-1]
            if isinstance(parent, list):
                path = (*where, len(parent))
                parent.append(value)
            else:
                key = self.keys[-1]
                path = (*where, str(key))
                parent[key] = value
                self.keys[-1] = _NO_KEY
        self.lines[path] = line
        return path

    def open(self, container: Any, line: int) -> None:
        """Start a mapping or sequence inside the current one."""
        if self.expecting_key():
            raise YamlProblem("mapping keys must be plain words", line)
        if len(self.stack) > MAX_DEPTH:
            raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", line)
        self.stack.append((container, self.place(container, line)))
        self.keys.append(_NO_KEY)

    def close(self) -> None:
        self.stack.pop()
        self.keys.pop()


def _refuse_tag(tag: str | None, line: int) -> None:
    if tag is not None:
        raise YamlProblem(
            f"tags such as {tag.replace('tag:yaml.org,2002:', '!!')} are not allowed",
            line,
            "rules and facts are plain data; remove the tag",
        )


def _events(text: str) -> Iterator[Any]:
    parser = (_CSafeLoader if _CSafeLoader is not None else yaml.SafeLoader)(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


def _build(text: str) -> tuple[Any, dict[DocPath, int]]:
    build = _Builder()
    for event in _events(text):
        kind = type(event)
        if kind is ScalarEvent:
            line = event.start_mark.line + 1
            _refuse_tag(event.tag, line)
            value = _plain(event.value, line) if not event.style else event.value
            if build.expecting_key():
                build.key(value, line)
            else:
                build.place(value, line)
        elif kind is MappingStartEvent:
            _refuse_tag(event.tag, event.start_mark.line + 1)
            build.open({}, event.start_mark.line + 1)
        elif kind is SequenceStartEvent:
            _refuse_tag(event.tag, event.start_mark.line + 1)
            build.open([], event.start_mark.line + 1)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            build.close()
        elif kind is AliasEvent:
            raise YamlProblem(
                "YAML aliases (*name) are not allowed",
                _line(event.start_mark),
                "write the value out in full; aliases hide what a rule says",
            )
        elif kind is DocumentStartEvent:
            build.documents += 1
            if build.documents > 1:
                raise YamlProblem(
                    "more than one YAML document in the file", _line(event.start_mark), "remove the '---' separator"
                )
    return build.root, build.lines


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _char_at(text: str, mark: Any) -> str:
    index = getattr(mark, "index", None)
    return text[index] if isinstance(index, int) and 0 <= index < len(text) else ""


def load_yaml_text(text: str | bytes, file: str) -> LoadedDocument:
    """Parse one YAML document; raise :class:`YamlProblem` with a line on any defect."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise YamlProblem(f"file is larger than {MAX_DOCUMENT_BYTES:,} bytes", None)
        text = decode_utf8(text)
    if len(text) > MAX_DOCUMENT_BYTES:
        raise YamlProblem(f"file is larger than {MAX_DOCUMENT_BYTES:,} characters", None)
    text = text.lstrip("\ufeff")  # byte-order marks: libyaml skips repeated ones, the Python parser reads them as text
    try:
        data, lines = _build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        hint = None
        if "\\t" in problem or "\t" in problem or _char_at(text, mark) == "\t":
            hint = "indent with spaces; YAML does not allow tabs"
        raise YamlProblem(problem, _line(mark), hint) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc).splitlines()[0], None) from None
    except RecursionError:  # pragma: no cover - the builder is iterative; the parser's own limit
        raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", None) from None
    return LoadedDocument(file, data, lines)


def decode_utf8(data: bytes) -> str:
    """``data`` as text; a byte that is not UTF-8 is a :class:`YamlProblem` naming its line and offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlProblem(
            f"not valid UTF-8: byte {data[exc.start : exc.start + 1]!r} at offset {exc.start} (line {line})",
            line,
            "save it as UTF-8",
        ) from None


def read_capped(path: Path, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, refusing one larger than ``limit`` while reading.

    A folder, a device or a pipe is refused too (none is a document): reading ``/dev/zero``
    or a sparse file of a gigabyte stops at ``limit + 1`` bytes.

    :raises YamlProblem: the file is missing, unreadable, not a regular file, or too large.
    """
    try:
        with path.open("rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise YamlProblem("the file is not a regular file", None, "give a YAML or JSON file")
            data = handle.read(limit + 1)
    except IsADirectoryError:
        raise YamlProblem("the file is a folder", None) from None
    except FileNotFoundError:
        raise YamlProblem("the file does not exist", None) from None
    except OSError as exc:
        raise YamlProblem(f"cannot read file: {exc.strerror}", None) from None
    if len(data) > limit:
        raise YamlProblem(f"file is larger than {limit:,} bytes", None, "check that it is the right file")
    return data


def load_yaml_file(path: Path, relative_to: Path) -> LoadedDocument:
    """Load ``path``, naming it relative to ``relative_to`` in positions and errors."""
    name = path.relative_to(relative_to).as_posix() if path.is_relative_to(relative_to) else str(path)
    return load_yaml_text(read_capped(path), name)


def problem_to_issue(problem: YamlProblem, file: str) -> Issue:
    """Turn a loader problem into a located :class:`Issue`."""
    return Issue(file=file, line=problem.line, rule_id=None, path="", message=problem.message, hint=problem.hint)


def content_sha256(files: Iterable[tuple[str, bytes]]) -> str:
    """Hash rule content independently of where the folder lives: name and bytes of each file, sorted."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()
