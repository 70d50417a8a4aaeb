"""``pore-protocol lint``: static analysis of a rules folder, beyond what loading checks.

Loading (``validate``) proves each rule is well formed. Lint asks what the rules mean
together, as Drools' decision-table analysis does for tables: conditions that can never
hold, rules that duplicate or subsume another, gaps, conflicts, unreachable techniques,
contradictory waiting periods and intervals, unused vocabulary, rules without a scenario,
an overdue review. Every finding has a severity, a code, the rules involved, a file and
line, a sentence saying what is wrong and a hint saying how to fix it.

This module loads the folder (reporting the validator's issues as findings, and analysing
the rules that are fine when only some are broken), builds the
:class:`~engine.authoring._lint_context.LintContext` every check reads, runs the registered checks
of :mod:`engine.authoring._lint_checks`, and prints the report. Conditions are analysed exactly, by
enumerating the finite domains of the facts they read (:mod:`engine.authoring._logic`); a check that
would take too long is skipped with a note rather than guessed.

Exit status of the command: 0 no errors (warnings and notes allowed), 1 warnings and
``--strict``, 3 errors (including a folder that does not load), 64 usage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine._errors import Issue, RulesError
from engine._issues import MANIFEST_FILE, TECHNIQUES_FILE, VOCABULARY_FILE, tested_name
from engine._load import LoadedDocument, YamlProblem, load_yaml_file
from engine._model import Period
from engine._spec import ProtocolSpec
from engine._validate import validate_folder_partial
from engine.authoring._lint_checks import run_checks
from engine.authoring._lint_context import CODES, Finding, LintContext, Severity, sentence

__all__ = [
    "CODES",
    "EXIT_ERRORS",
    "EXIT_WARNINGS",
    "LOADING_CODES",
    "MAX_PER_CODE",
    "SEVERITY_RANK",
    "Finding",
    "LintReport",
    "lint_folder",
]

SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
"""Severities from the most to the least severe (the order findings are listed in)."""
EXIT_WARNINGS = 1
EXIT_ERRORS = 3
MAX_PER_CODE = 50
"""Findings of one code listed in a report; the rest are counted in one summary finding after them."""


@dataclass(frozen=True)
class LintReport:
    """The result of linting one folder.

    :param findings: what is listed: at most :data:`MAX_PER_CODE` findings of each code, each
        code over the limit followed by one finding counting the others.
    :param totals: every finding by severity, those not listed included (``None``: count ``findings``).
    """

    root: Path
    findings: tuple[Finding, ...]
    rules_checked: int
    totals: Mapping[str, int] | None = None

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity`` (those not listed included)."""
        if self.totals is not None:
            return self.totals.get(severity, 0)
        return sum(1 for f in self.findings if f.severity == severity)

    def codes(self) -> set[str]:
        """The codes found."""
        return {f.code for f in self.findings}

    def exit_status(self, strict: bool = False) -> int:
        """3 with errors; 1 with warnings when ``strict``; else 0."""
        if self.count("error"):
            return EXIT_ERRORS
        if strict and self.count("warning"):
            return EXIT_WARNINGS
        return 0

    def summary(self) -> str:
        """The last line of the text report."""
        errors, warnings, notes = self.count("error"), self.count("warning"), self.count("info")
        return (
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, "
            f"{notes} note{'s' * (notes != 1)} in {self.root} ({self.rules_checked} rules analysed)"
        )


# ----------------------------------------------------------------------------- loading

LOADING_CODES = ("invalid", "undeclared-fact", "not-analysed")
"""The finding codes loading emits (the validator's issues, and what was left out); the checks emit the others."""

_FINDING_OF_ISSUE: Mapping[str, str] = {"unknown-fact": "undeclared-fact"}
"""Validator issue codes (:data:`engine._validate.ISSUE_CODES`) lint reports under a code of its own; every
other issue is ``invalid``."""


@dataclass(frozen=True)
class _Loaded:
    """What loading a folder gives lint: the protocol to analyse (if any), findings so far, the documents."""

    spec: ProtocolSpec | None
    findings: list[Finding]
    docs: dict[str, LoadedDocument]


def _issue_finding(issue: Issue) -> Finding:
    """A validator issue as a finding, chosen by the issue's code (never by its wording)."""
    code = _FINDING_OF_ISSUE.get(issue.code or "", "invalid")
    if code == "undeclared-fact":
        message = (
            f"The condition tests the fact '{tested_name(issue)}' (at {issue.path}), which the vocabulary does not "
            "declare"
        )
        hint: str | None = (issue.hint + " Otherwise d" if issue.hint else "D") + "eclare the fact in vocabulary.yaml"
    else:
        message = f"{issue.path}: {issue.message}" if issue.path else issue.message
        hint = issue.hint
    return Finding(
        "error",
        code,
        sentence(message),
        issue.file,
        issue.line,
        (issue.rule_id,) if issue.rule_id else (),
        hint,
    )


def _load(root: Path) -> _Loaded:
    """Validate ``root``; when some rules are invalid, report them and analyse the others."""
    docs: dict[str, LoadedDocument] = {}
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".yaml", ".yml"):
                try:
                    docs[path.relative_to(root).as_posix()] = load_yaml_file(path, root)
                except (YamlProblem, OSError):
                    continue
    try:
        spec, issues = validate_folder_partial(root)
    except RulesError as exc:  # not a folder: nothing to analyse
        findings = [
            Finding("error", "invalid", sentence(exc.summary), hint="fix the folder; see 'pore-protocol validate'")
        ]
        return _Loaded(None, [*findings, _NOT_ANALYSED], docs)
    if not issues:
        return _Loaded(spec, [], docs)
    findings = [_issue_finding(issue) for issue in issues]
    if spec is None:
        findings.append(_NOT_ANALYSED)
    else:
        skipped = sum(len(d.data.get("rules", [])) for d in _rule_docs(docs)) - len(spec.rules)
        findings.append(
            Finding(
                "info",
                "not-analysed",
                f"{skipped} invalid rule{'s' * (skipped != 1)} left out; the other {len(spec.rules)} were analysed.",
            )
        )
    return _Loaded(spec, findings, docs)


_NOT_ANALYSED = Finding(
    "info",
    "not-analysed",
    "The meaning of the rules was not analysed because the manifest, vocabulary or catalogue does not load.",
    hint="fix the errors above and lint again",
)


def _rule_docs(docs: Mapping[str, LoadedDocument]) -> list[LoadedDocument]:
    """The documents that hold a list of rules."""
    core = (MANIFEST_FILE, VOCABULARY_FILE, TECHNIQUES_FILE)
    return [
        d
        for name, d in sorted(docs.items())
        if name not in core and isinstance(d.data, dict) and isinstance(d.data.get("rules"), list)
    ]


# ----------------------------------------------------------------------------- entry points


def lint_folder(
    root: str | Path,
    *,
    today: dt.date,
    features: str | Path | None = None,
    review_every: Period | None = None,
) -> LintReport:
    """Lint a rules folder and return every finding, errors first.

    :param root: the rules folder.
    :param today: the date review dates are compared with (pass it explicitly in tests).
    :param features: the folder of ``.feature`` files to check scenario coverage against;
        ``None`` means ``features/`` beside the rules folder, if there is one.
    :param review_every: how often the protocol must be reviewed (default 12 months).
    """
    root = Path(root)
    loaded = _load(root)
    findings = list(loaded.findings)
    checked = 0
    if loaded.spec is not None:
        feature_dir = Path(features) if features is not None else root.resolve().parent / "features"
        context = LintContext.build(loaded.spec, loaded.docs, today, feature_dir, review_every or Period(12, "months"))
        findings.extend(run_checks(context))
        checked = len(loaded.spec.rules)
    unique = sorted(
        set(findings),
        key=lambda f: (SEVERITY_RANK[f.severity], f.file or "", f.line or 0, f.code, f.rule_ids, f.message),
    )
    totals = {severity: sum(1 for f in unique if f.severity == severity) for severity in SEVERITY_RANK}
    return LintReport(root, _capped(unique), checked, totals)


def _capped(findings: list[Finding]) -> tuple[Finding, ...]:
    """At most :data:`MAX_PER_CODE` findings of each code, in order; after the last one listed, the count of the rest.

    A folder of thousands of rules can have thousands of findings of one kind (a generous
    rule that subsumes hundreds of others): listing them all makes the report unreadable
    and its first lines no more actionable.
    """
    per_code: dict[str, int] = {}
    for finding in findings:
        per_code[finding.code] = per_code.get(finding.code, 0) + 1
    listed: list[Finding] = []
    seen: dict[str, int] = {}
    for finding in findings:
        number = seen[finding.code] = seen.get(finding.code, 0) + 1
        if number > MAX_PER_CODE:
            continue
        listed.append(finding)
        rest = per_code[finding.code] - MAX_PER_CODE
        if number == MAX_PER_CODE and rest > 0:
            listed.append(
                Finding(
                    finding.severity,
                    finding.code,
                    f"And {rest:,} more [{finding.code}] finding{'s' * (rest != 1)}, not listed: only the first "
                    f"{MAX_PER_CODE} of each code are shown.",
                    hint="fix the ones listed and lint again",
                )
            )
    return tuple(listed)
