"""``pore-protocol lint``: static analysis of a rules folder, beyond what loading checks.

Loading (``validate``) proves each rule is well formed. Lint asks what the rules mean
together, as Drools' decision-table analysis does for tables: conditions that can never
hold, rules that duplicate or subsume another, gaps, conflicts, unreachable techniques,
contradictory waiting periods and intervals, unused vocabulary, rules without a scenario,
an overdue review. Every finding has a severity, a code, the rules involved, a file and
line, a sentence saying what is wrong and a hint saying how to fix it.

Conditions are analysed exactly, by enumerating the finite domains of the facts they read
(:mod:`engine._logic`); a check that would take too long is skipped with a note rather
than guessed.

Exit status of the command: 0 no errors (warnings and notes allowed), 1 warnings and
``--strict``, 3 errors (including a folder that does not load), 64 usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import yaml

from engine._english import condition_text, treatment_text
from engine._errors import Issue, RulesError
from engine._load import LoadedDocument, YamlProblem, load_yaml_file
from engine._logic import Logic, TooComplex, atoms, period_days
from engine._model import Period, WaitSpec
from engine._names import history_field
from engine._spec import (
    ASSESSMENT_DATE,
    PREVIOUS_TREATMENTS,
    AftercareEffect,
    AllOf,
    Always,
    AnyOf,
    Atom,
    Condition,
    ContraindicationEffect,
    DerivedEffect,
    Effect,
    NotOf,
    ProtocolSpec,
    RequirementEffect,
    Rule,
    SequencingEffect,
    SuitabilityEffect,
)
from engine._validate import MANIFEST_FILE, TECHNIQUES_FILE, VOCABULARY_FILE, validate_folder

__all__ = ["CODES", "EXIT_ERRORS", "EXIT_WARNINGS", "Finding", "LintReport", "lint_folder", "register"]

Severity = Literal["error", "warning", "info"]
_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
EXIT_WARNINGS = 1
EXIT_ERRORS = 3

CODES: dict[str, tuple[Severity, str]] = {
    "invalid": ("error", "the folder does not load; the validator's message is repeated"),
    "undeclared-fact": ("error", "a condition tests a fact the vocabulary does not declare"),
    "never-true": ("error", "a rule's condition can never hold, so the rule never fires"),
    "masked": ("error", "a derived rule never decides: earlier rules (by priority) always decide first"),
    "interval-conflict": ("error", "a waiting period cannot be kept with the technique's session interval"),
    "review-in-future": ("error", "the manifest's last review date is after today"),
    "duplicate": ("warning", "two rules have the same kind, effect, techniques and equivalent conditions"),
    "subsumed": ("warning", "whenever a rule holds, another with the same effect holds too"),
    "dead-branch": ("warning", "part of an 'any' can never hold"),
    "always-true": ("warning", "a rule's condition holds for every client"),
    "required-but-excluded": ("warning", "a requirement only ever applies when its technique is excluded"),
    "gap": ("warning", "for some value of a fact a technique gets no suitability verdict at all"),
    "unreachable-technique": ("warning", "no client can ever be offered a technique"),
    "wait-mismatch": ("warning", "a waiting period and the condition that triggers it disagree"),
    "unused-fact": ("warning", "a fact is declared (or derived) but no rule reads it"),
    "no-scenario": ("warning", "no scenario in features/ is tagged @rule:<ID> for the rule"),
    "review-overdue": ("warning", "the protocol's review is overdue"),
    "required-and-excluded": ("info", "a requirement and an exclusion of the same technique can hold together"),
    "not-analysed": ("info", "a check was skipped (too many combinations, or nothing to check against)"),
}
"""Every finding code, its severity and what it means (the README lists them too)."""


@dataclass(frozen=True)
class Finding:
    """One lint finding, located and explained.

    :param severity: ``error``, ``warning`` or ``info``.
    :param code: a stable identifier from :data:`CODES`.
    :param message: what is wrong, as a sentence.
    :param file: file relative to the rules folder (``None`` when the folder as a whole is meant).
    :param line: 1-based line in ``file``.
    :param rule_ids: the rules (or facts, techniques) involved, the one to fix first.
    :param hint: how to fix it.
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    rule_ids: tuple[str, ...] = ()
    hint: str | None = None

    def format(self) -> str:
        """``file:line: severity [code] IDS: message (hint)`` on one line."""
        where = self.file or "<rules>"
        if self.line:
            where += f":{self.line}"
        ids = f" {', '.join(self.rule_ids)}:" if self.rule_ids else ""
        text = f"{where}: {self.severity} [{self.code}]{ids} {self.message}"
        if self.hint:
            text += f" (fix: {self.hint})"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "rule_ids": list(self.rule_ids),
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class LintReport:
    """The result of linting one folder."""

    root: Path
    findings: tuple[Finding, ...]
    rules_checked: int

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def exit_status(self, strict: bool = False) -> int:
        """3 with errors; 1 with warnings when ``strict``; else 0."""
        if self.count("error"):
            return EXIT_ERRORS
        if strict and self.count("warning"):
            return EXIT_WARNINGS
        return 0

    def summary(self) -> str:
        errors, warnings, notes = self.count("error"), self.count("warning"), self.count("info")
        return (
            f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, "
            f"{notes} note{'s' * (notes != 1)} in {self.root} ({self.rules_checked} rules analysed)"
        )


# ----------------------------------------------------------------------------- loading


@dataclass
class _Loaded:
    spec: ProtocolSpec | None
    findings: list[Finding]
    docs: dict[str, LoadedDocument]


def _issue_finding(issue: Issue) -> Finding:
    undeclared = issue.message.startswith("unknown fact")
    code = "undeclared-fact" if undeclared else "invalid"
    message = issue.message
    if undeclared:
        name = issue.message.removeprefix("unknown fact").strip()
        message = f"The condition tests the fact {name} (at {issue.path}), which the vocabulary does not declare"
    elif issue.path:
        message = f"{issue.path}: {issue.message}"
    hint = issue.hint
    if undeclared:
        hint = (hint + " Otherwise d" if hint else "D") + "eclare the fact in vocabulary.yaml"
    return Finding(
        "error",
        code,
        _sentence(message),
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
        return _Loaded(validate_folder(root), [], docs)
    except RulesError as exc:
        findings = [_issue_finding(issue) for issue in exc.issues] or [
            Finding("error", "invalid", _sentence(exc.summary), hint="fix the folder; see 'pore-protocol validate'")
        ]
        spec = _without_bad_rules(root, exc.issues, docs)
        if spec is None:
            findings.append(
                Finding(
                    "info",
                    "not-analysed",
                    "The meaning of the rules was not analysed because the manifest, vocabulary or catalogue "
                    "does not load.",
                    hint="fix the errors above and lint again",
                )
            )
        else:
            skipped = sum(len(d.data.get("rules", [])) for d in _rule_docs(docs)) - len(spec.rules)
            findings.append(
                Finding(
                    "info",
                    "not-analysed",
                    f"{skipped} invalid rule{'s' * (skipped != 1)} left out; the other {len(spec.rules)} were "
                    "analysed.",
                )
            )
        return _Loaded(spec, findings, docs)


def _rule_docs(docs: Mapping[str, LoadedDocument]) -> list[LoadedDocument]:
    core = (MANIFEST_FILE, VOCABULARY_FILE, TECHNIQUES_FILE)
    return [
        d
        for name, d in sorted(docs.items())
        if name not in core and isinstance(d.data, dict) and isinstance(d.data.get("rules"), list)
    ]


_INDEX = re.compile(r"^rules\[(\d+)\]")


def _without_bad_rules(root: Path, issues: Sequence[Issue], docs: Mapping[str, LoadedDocument]) -> ProtocolSpec | None:
    """Validate a copy of the folder without the rules the issues point at; keep original lines."""
    core = (MANIFEST_FILE, VOCABULARY_FILE, TECHNIQUES_FILE)
    drop: dict[str, set[int]] = {}
    for issue in issues:
        if issue.file is None or issue.file in core:
            return None
        doc = docs.get(issue.file)
        match = _INDEX.match(issue.path)
        if doc is None or match is None:
            return None
        drop.setdefault(issue.file, set()).add(int(match.group(1)))
    with tempfile.TemporaryDirectory(prefix="pp-lint-") as tmp:
        copy = Path(tmp)
        lines: dict[tuple[str, str], int] = {}
        for name in core:
            shutil.copyfile(root / name, copy / name)
        for doc in _rule_docs(docs):
            kept = []
            for index, body in enumerate(doc.data["rules"]):
                if index in drop.get(doc.file, set()):
                    continue
                kept.append(body)
                if isinstance(body, dict) and isinstance(body.get("id"), str):
                    lines[(doc.file, body["id"])] = doc.line_of(("rules", index)) or 0
            target = copy / doc.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump({"rules": kept}, sort_keys=False, allow_unicode=True), "utf-8")
        try:
            spec = validate_folder(copy)
        except RulesError:
            return None
    rules = tuple(dataclasses.replace(r, line=lines.get((r.file, r.id), r.line)) for r in spec.rules)
    return dataclasses.replace(spec, root=root, rules=rules)


# ----------------------------------------------------------------------------- analysis


_WEIGHT = {"weak": 1, "moderate": 2, "strong": 3}
_SAFETY_KINDS = ("contraindication", "requirement", "sequencing", "aftercare")


class _Linter:
    def __init__(
        self,
        spec: ProtocolSpec,
        docs: Mapping[str, LoadedDocument],
        today: dt.date,
        features: Path | None,
        review_every: Period,
    ) -> None:
        self.spec = spec
        self.docs = docs
        self.today = today
        self.features = features
        self.review_every = review_every
        self.logic = Logic(spec)
        self.findings: list[Finding] = []
        self.never: set[str] = set()
        self.always: set[str] = set()
        self.history = {history_field(s): s for s in spec.history_selectors}

    # -- helpers

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        where: Rule[Effect] | tuple[str | None, int | None],
        rule_ids: Iterable[str] = (),
        hint: str | None = None,
    ) -> None:
        file: str | None
        line: int | None
        if isinstance(where, Rule):
            file, line = where.file, where.line
        else:
            file, line = where
        self.findings.append(Finding(severity, code, _sentence(message), file, line, tuple(rule_ids), hint))

    def line(self, file: str, path: tuple[str | int, ...]) -> tuple[str, int | None]:
        doc = self.docs.get(file)
        return file, doc.line_of(path) if doc else None

    def technique_at(self, technique: str) -> tuple[str, int | None]:
        return self.line(TECHNIQUES_FILE, ("techniques", technique))

    def title(self, technique: str) -> str:
        spec = self.spec.techniques.get(technique)
        return f"{spec.title} ({technique})" if spec else technique

    def targets(self, rule: Rule[Effect]) -> tuple[str, ...]:
        """The techniques a rule applies to; a safety rule without applies_to applies to all."""
        if rule.spec.applies_to:
            return rule.techniques
        if rule.kind in _SAFETY_KINDS:
            return tuple(self.spec.techniques)
        return ()

    def said(self, condition: Condition) -> str:
        return f"\u201c{condition_text(condition, self.spec)}\u201d"

    def guarded(
        self, what: str, where: Rule[Effect] | tuple[str | None, int | None], check: Callable[[], None]
    ) -> None:
        try:
            check()
        except TooComplex:
            self.add("info", "not-analysed", f"{what} was not checked: too many combinations", where)

    def exclusions(self, technique: str) -> list[Rule[Effect]]:
        return [
            r
            for r in self.spec.rules
            if isinstance(r.effect, ContraindicationEffect)
            and r.effect.level == "absolute"
            and technique in self.targets(r)
        ]

    def excluded_when(self, technique: str) -> Condition | None:
        rules = self.exclusions(technique)
        if not rules:
            return None
        return rules[0].condition if len(rules) == 1 else AnyOf(tuple(r.condition for r in rules))

    # -- checks

    def run(self) -> list[Finding]:
        for rule in self.spec.rules:
            if not isinstance(rule.condition, Always):
                self.guarded(f"The condition of {rule.id}", rule, lambda rule=rule: self.condition(rule))  # type: ignore[misc]
        self.guarded("Duplicate and subsumed rules", (None, None), self.redundancy)
        self.guarded("Derived rules", (None, None), self.derived_order)
        self.guarded("Requirements against exclusions", (None, None), self.required_excluded)
        for technique in self.spec.techniques:
            where = self.technique_at(technique)
            self.guarded(f"Reachability of {technique}", where, lambda t=technique: self.reachable(t))  # type: ignore[misc]
            self.guarded(f"Gaps for {technique}", where, lambda t=technique: self.gaps(t))  # type: ignore[misc]
        self.intervals()
        self.waits()
        self.unused_facts()
        self.scenarios()
        self.review()
        return self.findings

    def condition(self, rule: Rule[Effect]) -> None:
        logic = self.logic
        if logic.never(rule.condition):
            self.never.add(rule.id)
            self.add(
                "error",
                "never-true",
                f"The condition {self.said(rule.condition)} can never be true, so {rule.id} never applies",
                rule,
                [rule.id],
                "remove or correct the tests that contradict each other",
            )
            return
        if logic.always(rule.condition):
            self.always.add(rule.id)
            self.add(
                "warning",
                "always-true",
                f"The condition {self.said(rule.condition)} holds for every client, so it tests nothing",
                rule,
                [rule.id],
                "leave out 'when:' if the rule should always apply, or correct the test",
            )
            return
        for branch in _any_items(rule.condition):
            if logic.never(branch):
                self.add(
                    "warning",
                    "dead-branch",
                    f"The part {self.said(branch)} of {rule.id}'s 'any' can never be true",
                    rule,
                    [rule.id],
                    "correct or remove that part",
                )

    def redundancy(self) -> None:
        groups: dict[tuple[str, str], list[Rule[Effect]]] = {}
        for rule in self.spec.rules:
            if rule.kind == "derived" or rule.id in self.never:
                continue
            groups.setdefault((rule.kind, _effect_key(rule)), []).append(rule)
        for rules in groups.values():
            for index, later in enumerate(rules):
                for earlier in rules[:index]:
                    self.pair(earlier, later)

    def pair(self, first: Rule[Effect], second: Rule[Effect]) -> None:
        logic = self.logic
        t1, t2 = set(self.targets(first)), set(self.targets(second))
        if not (t1 & t2) or {first.id, second.id} & self.always:
            return
        one_two = logic.implies(first.condition, second.condition)
        two_one = logic.implies(second.condition, first.condition)
        counted = " (its argument is counted twice in the score)" if first.kind == "suitability" else ""
        adds = (
            "always counts on top of it: the same argument is scored twice"
            if first.kind == "suitability"
            else "adds nothing"
        )
        if one_two and two_one and t1 == t2:
            self.add(
                "warning",
                "duplicate",
                f"{second.id} repeats {first.id} ({first.file}:{first.line}): same kind, effect and techniques, "
                f"and their conditions hold for exactly the same clients{counted}",
                second,
                [second.id, first.id],
                f"delete one of them, or make {second.id} say something {first.id} does not",
            )
            return
        for small, big, implied, ts, tb in ((first, second, one_two, t1, t2), (second, first, two_one, t2, t1)):
            if implied and ts <= tb:
                self.add(
                    "warning",
                    "subsumed",
                    f"Whenever {small.id} holds, {big.id} ({big.file}:{big.line}) holds too, with the same effect "
                    f"on the same techniques, so {small.id} {adds}",
                    small,
                    [small.id, big.id],
                    f"delete {small.id}, or narrow {big.id}"
                    + (
                        ", or give them different strengths if both arguments are meant"
                        if small.kind == "suitability"
                        else ""
                    ),
                )
                return

    def derived_order(self) -> None:
        for rules in self.spec.deriving.values():
            for index, rule in enumerate(rules):
                earlier = [e for e in rules[:index] if e.id not in self.never]
                if not earlier or rule.id in self.never:
                    continue
                union = AnyOf(tuple(e.condition for e in earlier))
                if not self.logic.implies(rule.condition, union):
                    continue
                assert isinstance(rule.effect, DerivedEffect)
                value = rule.effect.value
                overlapping = [e for e in earlier if not self.logic.never(AllOf((rule.condition, e.condition)))]
                ids = [e.id for e in overlapping]
                verb = "comes first by priority and decides" if len(ids) == 1 else "come first by priority and decide"
                other_values = [
                    e.id for e in overlapping if isinstance(e.effect, DerivedEffect) and e.effect.value != value
                ]
                if other_values:
                    self.add(
                        "error",
                        "masked",
                        f"{rule.id} can never set {rule.effect.fact} to {value}: whenever it holds, "
                        f"{', '.join(ids)} {verb} it",
                        rule,
                        [rule.id, *ids],
                        f"give {rule.id} a lower priority number than {', '.join(other_values)}, or narrow them",
                    )
                else:
                    self.add(
                        "warning",
                        "subsumed",
                        f"{rule.id} never decides {rule.effect.fact}: whenever it holds, {', '.join(ids)} already "
                        f"set the same value first",
                        rule,
                        [rule.id, *ids],
                        f"delete {rule.id}",
                    )

    def required_excluded(self) -> None:
        for rule in self.spec.rules:
            if not isinstance(rule.effect, RequirementEffect) or rule.id in self.never:
                continue
            targets = self.targets(rule)
            named = {s for s in rule.spec.applies_to if s in self.spec.techniques}
            dead: dict[str, list[str]] = {}
            for technique in targets:
                exclusions = self.exclusions(technique)
                excluded = self.excluded_when(technique)
                if excluded is None:
                    continue
                if self.logic.implies(rule.condition, excluded):
                    dead[technique] = [e.id for e in exclusions]
                    continue
                if isinstance(rule.condition, Always) or technique not in named:
                    continue
                facts = {a.fact for a in atoms(self.logic.expand(rule.condition))}
                for exclusion in exclusions:
                    shared = facts & {a.fact for a in atoms(self.logic.expand(exclusion.condition))}
                    if shared and not self.logic.never(AllOf((rule.condition, exclusion.condition))):
                        self.add(
                            "info",
                            "required-and-excluded",
                            f"{rule.id} asks for \u201c{rule.effect.step}\u201d before {self.title(technique)} "
                            f"when {self.said(rule.condition)}, and {exclusion.id} excludes that technique when "
                            f"{self.said(exclusion.condition)}; both can hold for the same client",
                            rule,
                            [rule.id, exclusion.id],
                            "check that the requirement is meant for clients who can still have the technique",
                        )
            if not dead:
                continue
            if set(dead) == set(targets) or set(dead) & named:
                which = sorted(dead) if set(dead) != set(targets) else sorted(targets)
                by = sorted({i for t in which for i in dead[t]})
                self.add(
                    "warning",
                    "required-but-excluded",
                    f"{rule.id} requires \u201c{rule.effect.step}\u201d for {', '.join(self.title(t) for t in which)}"
                    f" only when that technique is excluded (by {', '.join(by)}), so the step can never appear in "
                    "a plan for it",
                    rule,
                    [rule.id, *by],
                    "correct the condition or applies_to of the requirement, or of the exclusion",
                )

    def reachable(self, technique: str) -> None:
        where = self.technique_at(technique)
        exclusions = self.exclusions(technique)
        excluded = self.excluded_when(technique)
        if excluded is not None and self.logic.always(excluded):
            self.add(
                "warning",
                "unreachable-technique",
                f"{self.title(technique)} is excluded for every client (by {', '.join(e.id for e in exclusions)})",
                where,
                [technique, *(e.id for e in exclusions)],
                "narrow the exclusions, or remove the technique from the catalogue",
            )
            return
        suits = [r for r in self.spec.rules if isinstance(r.effect, SuitabilityEffect) and technique in r.techniques]
        pro = [r for r in suits if isinstance(r.effect, SuitabilityEffect) and r.effect.argument == "for"]
        if not pro:
            self.add(
                "warning",
                "unreachable-technique",
                f"No suitability rule argues for {self.title(technique)}, so it never has a positive score and is "
                "never offered",
                where,
                [technique],
                "add a suitability rule with argument: for, or remove the technique from the catalogue",
            )
            return
        not_excluded: Condition = NotOf(excluded) if excluded is not None else Always()
        try:
            for assignment in self.logic.assignments([r.condition for r in suits], limit=20_000):
                score = 0
                for rule in suits:
                    assert isinstance(rule.effect, SuitabilityEffect)
                    if self.logic.evaluate(rule.condition, assignment):
                        weight = _WEIGHT[rule.effect.strength]
                        score += weight if rule.effect.argument == "for" else -weight
                if score > 0 and not self.logic.never(not_excluded, assignment):
                    return
        except TooComplex:
            if any(not self.logic.never(AllOf((r.condition, not_excluded))) for r in pro):
                return
        self.add(
            "warning",
            "unreachable-technique",
            f"No client can be offered {self.title(technique)}: whenever an argument for it holds, the arguments "
            f"against outweigh it or an absolute contraindication excludes it",
            where,
            [technique, *(r.id for r in suits)],
            "review the strengths of the arguments for and against it, and its exclusions",
        )

    def gaps(self, technique: str) -> None:
        suits = [r for r in self.spec.rules if isinstance(r.effect, SuitabilityEffect) and technique in r.techniques]
        if not suits:
            return
        excluded = self.excluded_when(technique)
        facts: dict[str, list[str]] = {}
        for rule in suits:
            for atom in atoms(self.logic.expand(rule.condition)):
                facts.setdefault(atom.fact, [])
                if rule.id not in facts[atom.fact]:
                    facts[atom.fact].append(rule.id)
            for name in rule.facts:
                facts.setdefault(name, [])
                if rule.id not in facts[name]:
                    facts[name].append(rule.id)
        for name, rule_ids in sorted(facts.items()):
            fact = self.spec.facts[name]
            values: Sequence[Any]
            if fact.type == "enum":
                values = fact.values
            elif fact.type == "integer":
                listed = self.logic.integer_values(name)
                if listed is None:
                    continue
                values = listed
            else:
                continue
            uncovered: list[Any] = []
            memo: dict[tuple[int, ...], bool] = {}
            constants = _constants(name, [r.condition for r in suits] + ([excluded] if excluded else []), self.logic)
            for value in values:
                signature = tuple((value > c) - (value < c) for c in constants) if fact.type == "integer" else ()
                if fact.type == "integer" and signature in memo:
                    covered = memo[signature]
                else:
                    is_value = Atom(name, "eq", value, f"{fact.label} is {value}")
                    covered = (excluded is not None and self.logic.implies(is_value, excluded)) or any(
                        not self.logic.never(AllOf((rule.condition, is_value))) for rule in suits
                    )
                    if fact.type == "integer":
                        memo[signature] = covered
                if not covered:
                    uncovered.append(value)
            if uncovered and len(uncovered) < len(values):
                shown = _ranges(uncovered) if fact.type == "integer" else ", ".join(str(v) for v in uncovered)
                self.add(
                    "warning",
                    "gap",
                    f"{self.title(technique)} has no suitability verdict when {fact.label} is {shown}: none of its "
                    f"suitability rules ({', '.join(r.id for r in suits)}) can hold then, and it is not excluded",
                    self.technique_at(technique),
                    [technique, *rule_ids],
                    f"add a rule for or against {technique} that covers {shown}, or widen an existing one",
                )

    def intervals(self) -> None:
        for rule in self.spec.rules:
            effect = rule.effect
            if not isinstance(effect, SequencingEffect) or effect.not_before is None:
                continue
            wait = effect.not_before
            if wait.after_previous is None:
                continue
            anchors = set(self.spec.select(wait.after_previous))
            gap = period_days(wait.period)
            for technique in self.targets(rule):
                if technique not in anchors:
                    continue
                sessions = self.spec.techniques[technique].sessions
                # During a course the only previous treatment is the last session of the same technique.
                shortest = self.during_course(rule, technique, period_days(sessions.interval_min))
                longest = self.during_course(rule, technique, period_days(sessions.interval_max))
                if longest and gap > period_days(sessions.interval_max):
                    self.add(
                        "error",
                        "interval-conflict",
                        f"{rule.id} requires {wait.period} after a previous "
                        f"{treatment_text(wait.after_previous, self.spec, '')} before {self.title(technique)}, but "
                        f"its sessions are {sessions.interval_min} to {sessions.interval_max} apart: a course "
                        "cannot keep both",
                        rule,
                        [rule.id, technique],
                        f"lengthen interval_max of {technique} to at least {wait.period}, or leave {technique} out "
                        "of the rule",
                    )
                elif shortest and gap > period_days(sessions.interval_min):
                    self.add(
                        "warning",
                        "interval-conflict",
                        f"{rule.id} requires {wait.period} between treatments of {self.title(technique)}, but the "
                        f"plan dates its sessions {sessions.interval_min} apart (its interval_min)",
                        rule,
                        [rule.id, technique],
                        f"raise interval_min of {technique} to {wait.period}",
                    )
        for technique, spec in self.spec.techniques.items():
            every = spec.maintenance_every
            if every is not None and period_days(every) < period_days(spec.sessions.interval_min):
                self.add(
                    "warning",
                    "interval-conflict",
                    f"{self.title(technique)} has maintenance every {every}, sooner than the shortest interval "
                    f"between its sessions ({spec.sessions.interval_min})",
                    self.line(TECHNIQUES_FILE, ("techniques", technique, "maintenance_every")),
                    [technique],
                    "make maintenance_every at least interval_min",
                )

    def during_course(self, rule: Rule[Effect], technique: str, elapsed: float) -> bool:
        """Can ``rule`` hold when the last treatment, ``elapsed`` days ago, was a session of ``technique``?"""
        fixed = {
            field: (elapsed if technique in self.spec.select(selector) else math.inf)
            for field, selector in self.history.items()
        }
        try:
            return not self.logic.never(rule.condition, fixed)
        except TooComplex:
            return True

    def waits(self) -> None:
        for rule in self.spec.rules:
            effect = rule.effect
            waits: list[tuple[str, WaitSpec]] = []
            if isinstance(effect, ContraindicationEffect) and effect.wait:
                waits.append(("wait", effect.wait))
            if isinstance(effect, RequirementEffect) and effect.ready_after:
                waits.append(("ready_after", effect.ready_after))
            if isinstance(effect, SequencingEffect) and effect.not_before:
                waits.append(("not_before", effect.not_before))
            for key, wait in waits:
                if wait.after is not None:
                    self.date_wait(rule, key, wait, wait.after)
                elif wait.after_previous is not None:
                    self.history_wait(rule, key, wait, wait.after_previous)

    def date_wait(self, rule: Rule[Effect], key: str, wait: WaitSpec, fact: str) -> None:
        tests = [a for a in atoms(rule.condition) if a.fact == fact and a.op == "within"]
        label = self.spec.facts[fact].label
        if not tests:
            self.add(
                "warning",
                "wait-mismatch",
                f"{rule.id}'s {key} counts {wait.period} from {label}, but its condition does not test {fact}",
                rule,
                [rule.id],
                f"test {fact} in the condition (e.g. {fact}: {{within: {wait.period}}}) or count from a fact it tests",
            )
            return
        for atom in tests:
            if isinstance(atom.value, Period) and period_days(atom.value) != period_days(wait.period):
                sooner = period_days(wait.period) < period_days(atom.value)
                consequence = (
                    "on that date the rule still applies"
                    if sooner
                    else "the rule stops applying before that date, so the later date is never enforced"
                )
                self.add(
                    "warning",
                    "wait-mismatch",
                    f"{rule.id} applies while {label} is within {atom.value}, but its {key} ends {wait.period} after "
                    f"it: {consequence}",
                    rule,
                    [rule.id],
                    f"use the same period in the condition and in {key}",
                )

    def history_wait(self, rule: Rule[Effect], key: str, wait: WaitSpec, anchor: str) -> None:
        covered = set(self.spec.select(anchor))
        for atom in atoms(rule.condition):
            if atom.fact != PREVIOUS_TREATMENTS:
                continue
            selector = self.history.get(atom.field)
            if selector is None:
                continue
            missing = sorted(set(self.spec.select(selector)) - covered)
            if missing:
                self.add(
                    "warning",
                    "wait-mismatch",
                    f"{rule.id} applies after {treatment_text(selector, self.spec)}, but its {key} counts only from "
                    f"the last {treatment_text(anchor, self.spec, '')}: after a "
                    f"{' or '.join(self.title(m) for m in missing)} alone the wait is not enforced",
                    rule,
                    [rule.id],
                    f"count {key} from a selector that covers {selector} (e.g. after_previous: all)",
                )
            elif isinstance(atom.value, Period) and period_days(atom.value) > period_days(wait.period):
                self.add(
                    "warning",
                    "wait-mismatch",
                    f"{rule.id} applies after {treatment_text(selector, self.spec)} within {atom.value}, but its "
                    f"{key} is only {wait.period}",
                    rule,
                    [rule.id],
                    f"use the same period in the condition and in {key}",
                )

    def unused_facts(self) -> None:
        read: set[str] = set()
        for rule in self.spec.rules:
            read |= set(rule.facts)
            effect = rule.effect
            for wait in _waits(effect):
                if wait.after:
                    read.add(wait.after)
                if wait.after_previous:
                    read.add(PREVIOUS_TREATMENTS)
        for name, fact in self.spec.facts.items():
            if name == ASSESSMENT_DATE or fact.planning_only or name in read:
                continue
            where = self.line(VOCABULARY_FILE, ("facts", name))
            if fact.derived:
                message = f"Derived fact {name} ({fact.label}) is worked out but no rule reads it"
                hint = "use it in a condition, or remove it and the rules deriving it"
            else:
                message = f"Fact {name} ({fact.label}) is asked at intake but no rule reads it"
                hint = "use it in a condition, or remove it from the vocabulary"
            self.add("warning", "unused-fact", message, where, [name], hint)

    def scenarios(self) -> None:
        if self.features is None or not self.features.is_dir():
            self.add(
                "info",
                "not-analysed",
                "Scenario coverage was not checked: there is no features folder"
                + (f" at {self.features}" if self.features else ""),
                (None, None),
                hint="pass --features DIR",
            )
            return
        from engine._trace import FeatureError, index_features

        try:
            index = index_features(self.features)
        except FeatureError as exc:
            self.add("warning", "no-scenario", f"Scenario coverage was not checked: {exc}", (None, None))
            return
        tagged = {rid for pickle in index.pickles for rid in pickle.rule_ids}
        for rule in self.spec.rules:
            if rule.id not in tagged:
                self.add(
                    "warning",
                    "no-scenario",
                    f"No scenario in {self.features.name}/ is tagged @rule:{rule.id}, so nothing shows it works",
                    rule,
                    [rule.id],
                    f"add a scenario tagged @rule:{rule.id}",
                )

    def review(self) -> None:
        manifest = self.spec.manifest
        where = self.line(MANIFEST_FILE, ("last_review",))
        if manifest.last_review > self.today:
            self.add(
                "error",
                "review-in-future",
                f"The last review date {manifest.last_review} is after today ({self.today})",
                where,
                [manifest.id],
                "write the date on which the protocol was actually reviewed",
            )
            return
        due = self.review_every.after(manifest.last_review)
        if due < self.today:
            self.add(
                "warning",
                "review-overdue",
                f"The protocol was last reviewed on {manifest.last_review}; with a review every {self.review_every} "
                f"it was due on {due}",
                where,
                [manifest.id],
                "review the rules with the clinical lead and update last_review",
            )


def _waits(effect: object) -> list[WaitSpec]:
    out = []
    if isinstance(effect, ContraindicationEffect) and effect.wait:
        out.append(effect.wait)
    if isinstance(effect, RequirementEffect) and effect.ready_after:
        out.append(effect.ready_after)
    if isinstance(effect, SequencingEffect) and effect.not_before:
        out.append(effect.not_before)
    return out


def _any_items(condition: Condition) -> list[Condition]:
    out: list[Condition] = []
    if isinstance(condition, AnyOf):
        out.extend(condition.items)
    if isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            out.extend(_any_items(item))
    elif isinstance(condition, NotOf):
        out.extend(_any_items(condition.item))
    return out


def _effect_key(rule: Rule[Effect]) -> str:
    effect = rule.effect
    if isinstance(effect, ContraindicationEffect):
        data: Any = {"level": effect.level, "wait": str(effect.wait)}
    elif isinstance(effect, SuitabilityEffect):
        data = {"argument": effect.argument, "strength": effect.strength}
    elif isinstance(effect, RequirementEffect):
        data = {"phase": effect.phase, "step": effect.step.lower()}
    elif isinstance(effect, SequencingEffect):
        data = {"not_before": str(effect.not_before), "skip": effect.skip_phase, "same_day": effect.not_same_day}
    elif isinstance(effect, AftercareEffect):
        data = {"instruction": effect.instruction.lower(), "duration": str(effect.duration)}
    else:
        data = repr(effect)
    return json.dumps(data, sort_keys=True, default=str)


def _constants(name: str, conditions: Iterable[Condition], logic: Logic) -> tuple[Any, ...]:
    found: set[Any] = set()
    for condition in conditions:
        for atom in atoms(logic.expand(condition)):
            if atom.fact == name and isinstance(atom.value, int) and not isinstance(atom.value, bool):
                found.add(atom.value)
    return tuple(sorted(found))


def _ranges(values: Sequence[int]) -> str:
    parts: list[str] = []
    start = prev = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start} to {prev}")
        if value is not None:
            start = prev = value
    return ", ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


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
        linter = _Linter(loaded.spec, loaded.docs, today, feature_dir, review_every or Period(12, "months"))
        findings.extend(linter.run())
        checked = len(loaded.spec.rules)
    unique = sorted(
        set(findings),
        key=lambda f: (_RANK[f.severity], f.file or "", f.line or 0, f.code, f.rule_ids, f.message),
    )
    return LintReport(root, tuple(unique), checked)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _command(args: argparse.Namespace, out: TextIO) -> int:
    from engine._protocol import shipped_rules_path

    root = Path(args.dir) if args.dir is not None else shipped_rules_path()
    if not root.is_dir():
        raise RulesError(f"rules folder {str(root)!r} does not exist or is not a folder")
    report = lint_folder(root, today=args.today, features=args.features, review_every=args.review_every)
    shown = [f for f in report.findings if _RANK[f.severity] <= _RANK[args.min_severity]]
    if args.format == "json":
        payload = {
            "root": str(report.root),
            "summary": {
                "errors": report.count("error"),
                "warnings": report.count("warning"),
                "notes": report.count("info"),
                "rules_analysed": report.rules_checked,
            },
            "findings": [f.as_json() for f in shown],
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        for finding in shown:
            out.write(finding.format() + "\n")
        out.write(report.summary() + "\n")
    return report.exit_status(args.strict)


def register(sub: Any) -> None:
    """Add the ``lint`` subcommand to the CLI's subparsers."""
    codes = "\n".join(f"  {code:<24} {sev:<8} {text}" for code, (sev, text) in CODES.items())
    parser = sub.add_parser(
        "lint",
        help="find contradictions, redundancy, gaps and other mistakes in a rules folder",
        description="Static analysis of a rules folder. Exit status: 0 no errors, 1 warnings with --strict, "
        "3 errors, 64 usage.",
        epilog="finding codes:\n" + codes,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", nargs="?", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument(
        "--features", metavar="DIR", default=None, help="feature files to check coverage against (default ../features)"
    )
    parser.add_argument(
        "--today",
        type=_date,
        default=dt.date.today(),
        metavar="YYYY-MM-DD",
        help="the date to compare review dates with (default: today)",
    )
    parser.add_argument(
        "--review-every",
        type=_period,
        default=Period(12, "months"),
        metavar="PERIOD",
        help="how often the protocol must be reviewed (default '12 months')",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    parser.add_argument(
        "--min-severity",
        choices=("error", "warning", "info"),
        default="info",
        help="hide findings less severe than this (default: show all)",
    )
    parser.set_defaults(handler=_command)
