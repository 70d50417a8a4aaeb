"""Read YAML safely and remember where every value came from.

Rule authors need errors that point at a line, so loading keeps a map from each value's
path inside the document (``("rules", 3, "when")``) to its line. The loader is PyYAML's
safe loader with three refusals that the plain one lacks: aliases (which make
billion-laughs documents possible and hide what a rule really says), duplicate keys
(which PyYAML would silently resolve to the last one, losing the first) and documents
with more than one YAML document in them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine._errors import Issue

__all__ = [
    "DocPath",
    "LoadedDocument",
    "YamlProblem",
    "content_sha256",
    "load_yaml_file",
    "load_yaml_text",
    "problem_to_issue",
]

DocPath = tuple[str | int, ...]

MAX_DOCUMENT_BYTES = 5_000_000
MAX_DEPTH = 40


class YamlProblem(Exception):
    """Raised by the loader; converted to an :class:`Issue` by callers."""

    def __init__(self, message: str, line: int | None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases; duplicate keys are caught when nodes are converted."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise YamlProblem(
                "YAML aliases (*name) are not allowed",
                event.start_mark.line + 1,
                "write the value out in full; aliases hide what a rule says",
            )
        return super().compose_node(parent, index)


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


def _convert(loader: _StrictSafeLoader, node: Node, path: DocPath, lines: dict[DocPath, int], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
    lines[path] = node.start_mark.line + 1
    if isinstance(node, MappingNode | SequenceNode) and node.tag not in _PLAIN_TAGS:
        raise YamlProblem(
            f"tags such as {node.tag.replace('tag:yaml.org,2002:', '!!')} are not allowed",
            node.start_mark.line + 1,
            "rules and facts are plain data; remove the tag",
        )
    if isinstance(node, MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlProblem("mapping keys must be plain words", key_node.start_mark.line + 1)
            key = _scalar(loader, key_node)
            if not isinstance(key, str | int | bool) or isinstance(key, float):
                raise YamlProblem(f"mapping key {key!r} must be a word", key_node.start_mark.line + 1)
            if key in result:
                raise YamlProblem(
                    f"key {key!r} appears twice in the same block",
                    key_node.start_mark.line + 1,
                    "YAML keeps only the last one, so the first would be silently lost; merge them",
                )
            result[key] = _convert(loader, value_node, (*path, str(key)), lines, depth + 1)
        return result
    if isinstance(node, SequenceNode):
        return [_convert(loader, item, (*path, index), lines, depth + 1) for index, item in enumerate(node.value)]
    return _scalar(loader, node)


def _scalar(loader: _StrictSafeLoader, node: Node) -> Any:
    """Construct a scalar; a value YAML recognises but cannot build (``2026-02-30``) is a located problem."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        raise YamlProblem(
            f"{str(node.value)[:40]!r} is not a valid {node.tag.rsplit(':', 1)[-1]}: {str(exc).split('; use sys.')[0]}",
            node.start_mark.line + 1,
            "check the value, or quote it to make it text",
        ) from None


_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser when PyYAML was built with it: about 20 times faster than the pure-Python one."""


def _new_loader(text: str) -> Any:
    """A loader over ``text`` whose node tree is safe to convert.

    A first pass over the parser's events refuses aliases, explicit tags and absurd nesting
    before anything is composed (libyaml's composer would silently share aliased nodes),
    with the same policy whichever parser is used. Raises :class:`YamlProblem` or a YAML error.
    """
    parser = _CSafeLoader if _CSafeLoader is not None else _StrictSafeLoader
    scanner = parser(text)
    try:
        depth = 0
        while scanner.check_event():
            event = scanner.get_event()
            if isinstance(event, AliasEvent):
                raise YamlProblem(
                    "YAML aliases (*name) are not allowed",
                    _line(event.start_mark),
                    "write the value out in full; aliases hide what a rule says",
                )
            tag = getattr(event, "tag", None)
            if tag is not None and isinstance(event, ScalarEvent | CollectionStartEvent):
                raise YamlProblem(
                    f"tags such as {tag.replace('tag:yaml.org,2002:', '!!')} are not allowed",
                    _line(event.start_mark),
                    "rules and facts are plain data; remove the tag",
                )
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:
                    raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", _line(event.start_mark))
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    finally:
        scanner.dispose()
    return parser(text)


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _char_at(text: str, mark: Any) -> str:
    index = getattr(mark, "index", None)
    return text[index] if isinstance(index, int) and 0 <= index < len(text) else ""


def load_yaml_text(text: str | bytes, file: str) -> LoadedDocument:
    """Parse one YAML document; raise :class:`YamlProblem` with a line on any defect."""
    if isinstance(text, bytes):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise YamlProblem(f"file is larger than {MAX_DOCUMENT_BYTES} bytes", None)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlProblem(f"file is not valid UTF-8 (byte {exc.start})", None, "save it as UTF-8") from None
    if len(text) > MAX_DOCUMENT_BYTES:
        raise YamlProblem(f"file is larger than {MAX_DOCUMENT_BYTES} characters", None)
    text = text.lstrip("\ufeff")  # byte-order marks: libyaml skips repeated ones, the Python parser reads them as text
    loader: Any = None
    try:
        loader = _new_loader(text)
        node = loader.get_single_node()
        if node is None:
            return LoadedDocument(file, None, {})
        lines: dict[DocPath, int] = {}
        data = _convert(loader, node, (), lines, 0)
        return LoadedDocument(file, data, lines)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        hint = None
        if "could not determine a constructor" in str(exc):
            problem = "tags such as !!python/object are not allowed"
            hint = "rules and facts are plain data; remove the tag"
        elif "\\t" in problem or "\t" in problem or _char_at(text, mark) == "\t":
            hint = "indent with spaces; YAML does not allow tabs"
        elif "maximum nesting depth" in problem:
            problem = f"nesting deeper than {MAX_DEPTH} levels"
        elif "expected a single document" in str(exc):
            problem = "more than one YAML document in the file"
            hint = "remove the '---' separator"
        raise YamlProblem(problem, line, hint) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc).splitlines()[0], None) from None
    except RecursionError:
        raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels", None) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml_file(path: Path, relative_to: Path) -> LoadedDocument:
    """Load ``path``, naming it relative to ``relative_to`` in positions and errors."""
    name = path.relative_to(relative_to).as_posix() if path.is_relative_to(relative_to) else str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlProblem(f"cannot read file: {exc.strerror}", None) from None
    try:
        return load_yaml_text(raw, name)
    except YamlProblem:
        raise


def problem_to_issue(problem: YamlProblem, file: str) -> Issue:
    """Turn a loader problem into a located :class:`Issue`."""
    return Issue(file=file, line=problem.line, rule_id=None, path="", message=problem.message, hint=problem.hint)


def content_sha256(files: Iterable[tuple[str, bytes]]) -> str:
    """Hash rule content independently of where the folder lives: name and bytes of each file, sorted."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()
