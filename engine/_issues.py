"""Collect located problems while a rules folder is validated, each with a code tools can act on.

Every problem the validator finds is an :class:`~engine._errors.Issue` with a code from
:data:`ISSUE_CODES`, so that tools (``pore-protocol lint``) map problems by code and never
by their wording. The collector also remembers which single rule each problem faults,
so that the sound rules of a broken folder can still be analysed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import ValidationError

from engine._errors import Issue, suggest
from engine._load import DocPath, LoadedDocument, YamlProblem

__all__ = [
    "AGENTS_FILE",
    "CORE_FILES",
    "EVIDENCE_FILE",
    "FHIR_MAPPING_FILE",
    "ISSUE_CODES",
    "MANIFEST_FILE",
    "REQUIRED_FILES",
    "TECHNIQUES_FILE",
    "VOCABULARY_FILE",
    "IssueCode",
    "IssueCollector",
    "tested_name",
]

MANIFEST_FILE = "protocol.yaml"
VOCABULARY_FILE = "vocabulary.yaml"
TECHNIQUES_FILE = "techniques.yaml"
EVIDENCE_FILE = "evidence.yaml"
AGENTS_FILE = "agents.yaml"
FHIR_MAPPING_FILE = "fhir-mapping.yaml"
"""How each intake fact is read from FHIR resources (:mod:`engine._fhir_mapping`); optional."""
REQUIRED_FILES = (MANIFEST_FILE, VOCABULARY_FILE, TECHNIQUES_FILE)
"""The files every rules folder must have."""
CORE_FILES = (*REQUIRED_FILES, EVIDENCE_FILE, AGENTS_FILE, FHIR_MAPPING_FILE)
"""The files a rules folder recognises by name; every other ``*.yaml`` holds rules."""

IssueCode = Literal[
    "yaml",
    "missing-file",
    "bad-shape",
    "bad-name",
    "unknown-key",
    "missing-key",
    "bad-value",
    "unknown-fact",
    "wrong-fact",
    "reserved-fact",
    "unknown-technique",
    "unknown-evidence",
    "unknown-agent",
    "bad-condition",
    "duplicate-id",
    "derived-cycle",
    "underived-fact",
    "too-many-rules",
]
"""The code of every issue the validator reports (see :data:`ISSUE_CODES`)."""

ISSUE_CODES: Mapping[IssueCode, str] = {
    "yaml": "a file is not valid YAML, or uses what the loader refuses (aliases, duplicate keys, tags)",
    "missing-file": "protocol.yaml, vocabulary.yaml or techniques.yaml is missing",
    "bad-shape": "a document, rule or entry is not the mapping or list expected, or the catalogue is empty",
    "bad-name": "a fact name or technique id does not have the required form, or is a reserved word",
    "unknown-key": "a key that is not allowed where it is written",
    "missing-key": "a required key is absent (applies_to, for the kinds and effects that need it)",
    "bad-value": "a value of the wrong type, form or range, including periods and a family unlike its id",
    "unknown-fact": "a condition tests a fact the vocabulary does not declare",
    "wrong-fact": "a fact used where its type does not allow it (a wait from a non-date fact, a derived rule "
    "setting a fact that is not derived, a scheduling-only or treatment-history fact tested directly)",
    "reserved-fact": "assessment_date or previous_treatments is missing, or declared with the wrong type",
    "unknown-technique": "a technique selector names no technique of the catalogue",
    "unknown-evidence": "a rule cites a source that the evidence registry (evidence.yaml) does not list",
    "unknown-agent": "a step, a technique or a contraindication names an agent that agents.yaml does not list",
    "bad-condition": "a malformed condition: not one key per test, an empty all/any, an operator the fact's "
    "type does not allow, a list of the wrong length, a range that can never hold",
    "duplicate-id": "two rules have the same id (the second is reported)",
    "derived-cycle": "derived facts depend on each other in a cycle",
    "underived-fact": "a derived fact has no rule deriving it",
    "too-many-rules": "more rules than the engine can hold",
}
"""Every issue code the validator emits and what it means; ``pore-protocol lint`` maps its findings from them."""


class IssueCollector:
    """Every problem one validation run finds, so that the run reports them all at once.

    State: the issues in the order found; beside each, the rule it faults (file and position)
    when it concerns one rule only, which is what :func:`validate_folder_partial` needs to
    leave exactly those rules out; and the facts whose declaration is broken, so that rules
    testing them stay quiet instead of repeating the problem.
    """

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.faults: list[tuple[str, int] | None] = []
        """For each issue, the rule it faults as (file, index in ``rules:``), or ``None``."""
        self.broken_facts: set[str] = set()
        """Facts whose declaration is invalid: already reported, so rules using them stay quiet."""

    def add(
        self,
        code: IssueCode,
        doc: LoadedDocument | None,
        path: DocPath,
        message: str,
        hint: str | None = None,
        rule_id: str | None = None,
    ) -> None:
        """Record a problem at ``path`` of ``doc`` (its line is looked up there)."""
        file = doc.file if doc else None
        line = doc.line_of(path) if doc else None
        self.issues.append(Issue(file, line, rule_id, _dotted(path), message, hint, code))
        self.faults.append(_faulted_rule(doc, path))

    def yaml(self, file: str, problem: YamlProblem) -> None:
        """Record a file the loader refused."""
        self.issues.append(Issue(file, problem.line, None, "", problem.message, problem.hint, "yaml"))
        self.faults.append(None)

    def pydantic(
        self,
        doc: LoadedDocument,
        base: DocPath,
        error: ValidationError,
        rule_id: str | None = None,
        known: Iterable[str] = (),
    ) -> None:
        """Record each error of a document shape, in the validator's words and with did-you-mean hints."""
        errors = error.errors()
        deeper = {tuple(e["loc"][:i]) for e in errors for i in range(len(e["loc"]))}
        for err in errors:
            if err["type"] == "too_short" and tuple(err["loc"]) in deeper:
                continue  # "empty after validation" only restates the item errors below it
            loc = _document_loc(err["loc"])
            path = (*base, *loc)
            msg = err["msg"].removeprefix("Value error, ")
            hint = None
            code: IssueCode = "bad-value"
            if err["type"] == "extra_forbidden" and loc:
                msg = f"unknown key '{loc[-1]}'"
                hint = suggest(str(loc[-1]), known)
                code = "unknown-key"
            elif err["type"] == "missing" and loc:
                msg = f"'{loc[-1]}' is required"
                code = "missing-key"
            elif err["type"] == "literal_error":
                msg = f"{msg}, got {err.get('input')!r}"
                bad = err.get("input")
                expected = err.get("ctx", {}).get("expected", "")
                if isinstance(bad, str):
                    hint = suggest(bad, re.findall(r"'([^']+)'", expected))
            elif err["type"] == "string_pattern_mismatch":
                msg = f"{err.get('input')!r} does not have the required form ({err['ctx']['pattern']})"
            self.add(code, doc, path, msg, hint, rule_id)

    def faulty_rules(self) -> set[tuple[str, int]] | None:
        """The rules the issues fault, as (file, index); ``None`` when some issue is not about one rule."""
        if any(fault is None for fault in self.faults):
            return None
        return {fault for fault in self.faults if fault is not None}


def _document_loc(loc: Iterable[Any]) -> DocPath:
    """A pydantic error location as a path in the document, without the tags of tagged unions."""
    return tuple(part if isinstance(part, int) else str(part) for part in loc if part not in UNION_TAGS)


UNION_TAGS = frozenset({"ref", "inline"})
"""The tags of the document models' tagged unions (``engine._model.RuleSpec.evidence``); no key is named so."""


def _faulted_rule(doc: LoadedDocument | None, path: DocPath) -> tuple[str, int] | None:
    """(file, index) of the rule a problem at ``path`` of ``doc`` is in, if it is inside one rule of a rule file."""
    if doc is None or doc.file in CORE_FILES or len(path) < 2 or path[0] != "rules":
        return None
    index = path[1]
    return (doc.file, index) if isinstance(index, int) else None


def _dotted(path: DocPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TEST_PATH = re.compile(r"^rules\[\d+\]\.when(?:\.(?:all|any)\[\d+\]|\.not)*\.(?P<name>.+)$", re.DOTALL)


def tested_name(issue: Issue) -> str:
    """The fact (as written) that an issue about one test of a condition is about, e.g. an ``unknown-fact``.

    Read from the issue's path, which :class:`IssueCollector` writes as the rule, ``when``,
    the ``all``/``any``/``not`` it is nested in and the name tested:
    ``rules[8].when.any[0].smokes`` is about ``smokes``.
    """
    match = _TEST_PATH.match(issue.path)
    return match.group("name") if match else issue.path.rpartition(".")[2]
