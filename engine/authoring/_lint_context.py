"""What every lint check reads and what it returns: :class:`LintContext` and :class:`Finding`.

The checks of ``pore-protocol lint`` (:mod:`engine.authoring._lint_checks`) are independent
functions of one :class:`LintContext`. Whatever more than one check needs (whether each
condition can ever hold or always holds, which absolute contraindications exclude each
technique, the lines of the catalogue) is computed here, once and first, so that no check
depends on another having run and the checks give the same findings in any order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine._english import condition_text
from engine._issues import TECHNIQUES_FILE
from engine._load import DocPath, LoadedDocument
from engine._model import Period
from engine._names import history_field
from engine._spec import Always, AnyOf, Condition, ContraindicationEffect, Effect, ProtocolSpec, Rule
from engine.authoring._logic import Logic, TooComplex

__all__ = ["CODES", "Exclusions", "Finding", "LintContext", "Severity", "Where", "finding", "sentence"]

Severity = Literal["error", "warning", "info"]

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
    "agent-timing-conflict": (
        "warning",
        "two steps of one plan use and pause the same agent at once, or give it different timings",
    ),
    "unindicated-technique": (
        "warning",
        "no cause argument (an argument reading only indication facts) can indicate a technique",
    ),
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
        """The finding for ``--format json``."""
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "rule_ids": list(self.rule_ids),
            "message": self.message,
            "hint": self.hint,
        }


Where = Rule[Effect] | tuple[str | None, int | None]
"""Where a finding points: at a rule (its file and line), or at a (file, line) of the folder."""


def sentence(text: str) -> str:
    """``text`` as a sentence: capital first letter, final full stop."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def finding(
    severity: Severity,
    code: str,
    message: str,
    where: Where,
    rule_ids: Iterable[str] = (),
    hint: str | None = None,
) -> Finding:
    """A finding at ``where``, its message made a sentence."""
    file: str | None
    line: int | None
    if isinstance(where, Rule):
        file, line = where.file, where.line
    else:
        file, line = where
    return Finding(severity, code, sentence(message), file, line, tuple(rule_ids), hint)


@dataclass(frozen=True)
class Exclusions:
    """The absolute contraindications of one technique, indexed to show cheaply that a condition escapes them.

    Whether a condition implies "the technique is excluded" is exact but costly to decide when
    a technique has hundreds of exclusions: the formula holds them all. Most conditions do not
    imply it, and one assignment proves that: the condition holds and no exclusion does.
    :meth:`escapes` looks for one by combining a model of the condition with ``witness``, an
    assignment under which no exclusion holds; only the exclusions that read a variable of the
    condition need evaluating again. Conversely, a condition that implies one exclusion on its
    own implies them all together (:meth:`implied_by`), a small question each. When neither
    settles it, decide exactly.

    :param conditions: the exclusions' conditions (derived facts are worked out by :meth:`Logic.truth`).
    :param by_field: for each variable, the indices of the conditions that read it.
    :param witness: an assignment of every variable the conditions read under which none holds;
        ``None`` when there is none (the technique is always excluded) or it was too costly to find.
    """

    conditions: tuple[Condition, ...]
    by_field: Mapping[str, tuple[int, ...]]
    witness: Mapping[str, Any] | None

    @classmethod
    def build(cls, logic: Logic, rules: Iterable[Rule[ContraindicationEffect]]) -> Exclusions:
        conditions = tuple(rule.condition for rule in rules)
        by_field: dict[str, list[int]] = {}
        for index, condition in enumerate(conditions):
            for field in sorted(logic.fields(condition)):
                by_field.setdefault(field, []).append(index)
        try:
            witness = logic.escape(conditions)
        except TooComplex:
            witness = None
        return cls(conditions, {f: tuple(i) for f, i in by_field.items()}, witness)

    def touched(self, logic: Logic, condition: Condition) -> list[Condition]:
        """The exclusions that read a variable ``condition`` reads, in rule order."""
        return [
            self.conditions[i] for i in sorted({i for f in logic.fields(condition) for i in self.by_field.get(f, ())})
        ]

    def implied_by(self, logic: Logic, condition: Condition) -> bool:
        """True when each part of ``condition`` (see :meth:`Logic.disjuncts`) implies one exclusion on its own.

        Each part then implies that some exclusion holds, so the whole does: a few small
        questions instead of one about every exclusion at once.
        """
        return all(
            any(logic.implies(part, exclusion) for exclusion in self.touched(logic, part))
            for part in logic.disjuncts(condition)
        )

    def escapes(self, logic: Logic, condition: Condition) -> bool:
        """True when some assignment makes ``condition`` hold and every exclusion false (so it implies none).

        Each part of ``condition`` (see :meth:`Logic.disjuncts`) is tried in turn: each of its
        models (trying the witness's values first) is laid over the witness; when that makes
        some exclusions true, the variables of those exclusions that the model leaves free are
        searched again, briefly, with everything else held.
        """
        if self.witness is None:
            return False
        return any(self._part_escapes(logic, part) for part in logic.disjuncts(condition))

    def _part_escapes(self, logic: Logic, part: Condition) -> bool:
        assert self.witness is not None
        relevant = self.touched(logic, part)
        for number, model in enumerate(logic.models(part, relevant, prefer=self.witness, limit=MODELS)):
            assignment = {**self.witness, **model}
            broken = [c for c in relevant if logic.truth(c, assignment) is not False]
            if not broken:
                return True
            if number < REPAIRS and self._repaired(logic, model, assignment, broken):
                return True
        return False

    def _repaired(
        self, logic: Logic, model: Mapping[str, Any], assignment: Mapping[str, Any], broken: list[Condition]
    ) -> bool:
        """Can the variables of ``broken`` that ``model`` leaves free be set so that no exclusion holds?"""
        free = {field for c in broken for field in logic.fields(c)} - set(model)
        if not free:
            return False
        reading = sorted({i for field in free | set(model) for i in self.by_field.get(field, ())})
        constraints = [self.conditions[i] for i in reading]
        held = {f: assignment[f] for c in constraints for f in logic.fields(c) if f not in free}
        try:
            return logic.escape(constraints, fixed=held, budget=REPAIR_BUDGET) is not None
        except TooComplex:
            return False


MODELS = 16
"""Models of each part of a condition tried against the witness."""
REPAIRS = 4
"""Models of a condition whose clashes with the witness are worth a second, local search."""
REPAIR_BUDGET = 2_000
"""Nodes each local search may visit: it only ever proves, so giving up early costs nothing but time."""


@dataclass(frozen=True)
class LintContext:
    """Everything the lint checks share, computed before any check runs.

    The inputs: the protocol to analyse (``spec``; when some rules are broken, the rules
    that are fine), the loaded YAML documents (for the lines of facts, techniques and the
    manifest), the date reviews are compared with, the features folder and the review
    interval.

    Shared answers, computed once in :meth:`build` so that no check depends on another
    having run:

    * ``logic``: the exact analysis of conditions for this protocol (its cache of expanded
      conditions is the only thing that changes as checks run, and it only saves time);
    * ``never``, ``always``: the rules whose condition can never hold, or holds for every
      client; ``undecided``: those too complex to decide (a rule without ``when`` is in
      none of them). A rule that never holds is left out of the comparisons between rules,
      and one that always holds out of the redundancy check;
    * ``history``: the matcher field of each treatment-history selector the rules read;
    * ``exclusions``, ``excluded_when``: for each technique, the absolute
      contraindications that govern it (in rule order) and the condition under which one
      excludes it (``None``: never excluded);
    * ``escapes``: the same exclusions indexed for the quick proof that a condition does not
      imply them (:class:`Exclusions`); every check that asks "is the technique then
      excluded?" asks it first.
    """

    spec: ProtocolSpec
    docs: Mapping[str, LoadedDocument]
    today: dt.date
    features: Path | None
    review_every: Period
    logic: Logic
    never: frozenset[str]
    always: frozenset[str]
    undecided: frozenset[str]
    history: Mapping[str, str]
    exclusions: Mapping[str, tuple[Rule[ContraindicationEffect], ...]]
    excluded_when: Mapping[str, Condition | None]
    escapes: Mapping[str, Exclusions]

    @classmethod
    def build(
        cls,
        spec: ProtocolSpec,
        docs: Mapping[str, LoadedDocument],
        today: dt.date,
        features: Path | None,
        review_every: Period,
    ) -> LintContext:
        """Analyse what the checks share: each rule's condition, each technique's exclusions."""
        logic = Logic(spec)
        never: set[str] = set()
        always: set[str] = set()
        undecided: set[str] = set()
        for rule in spec.rules:
            if isinstance(rule.condition, Always):
                continue
            try:
                if logic.never(rule.condition):
                    never.add(rule.id)
                elif logic.always(rule.condition):
                    always.add(rule.id)
            except TooComplex:
                undecided.add(rule.id)
        exclusions = {
            technique: tuple(r for r in spec.contraindications if r.effect.absolute and r.governs(technique))
            for technique in spec.techniques
        }
        return cls(
            spec=spec,
            docs=docs,
            today=today,
            features=features,
            review_every=review_every,
            logic=logic,
            never=frozenset(never),
            always=frozenset(always),
            undecided=frozenset(undecided),
            history={history_field(s): s for s in spec.history_selectors},
            exclusions=exclusions,
            excluded_when={technique: _any_of(rules) for technique, rules in exclusions.items()},
            escapes={technique: Exclusions.build(logic, rules) for technique, rules in exclusions.items()},
        )

    def implies_excluded(self, condition: Condition, technique: str) -> bool:
        """Whether ``technique`` is excluded whenever ``condition`` holds (``False`` when nothing excludes it).

        :raises TooComplex: the exact search exceeded its budget.
        """
        excluded = self.excluded_when[technique]
        if excluded is None:
            return False
        index = self.escapes[technique]
        if index.escapes(self.logic, condition):
            return False
        if index.implied_by(self.logic, condition):
            return True
        return self.logic.implies(condition, excluded)

    def line(self, file: str, path: DocPath) -> tuple[str, int | None]:
        """(file, line) of ``path`` in one of the folder's documents, for findings about facts and techniques."""
        doc = self.docs.get(file)
        return file, doc.line_of(path) if doc else None

    def technique_at(self, technique: str) -> tuple[str, int | None]:
        """Where the catalogue describes ``technique``."""
        return self.line(TECHNIQUES_FILE, ("techniques", technique))

    def title(self, technique: str) -> str:
        """``Glycolic peel (peel.glycolic)``: how findings name a technique."""
        spec = self.spec.techniques.get(technique)
        return f"{spec.title} ({technique})" if spec else technique

    def said(self, condition: Condition) -> str:
        """A condition in words, quoted, as findings cite it."""
        return f"\u201c{condition_text(condition, self.spec)}\u201d"

    def not_checked(self, what: str, where: Where) -> Finding:
        """The note that ``what`` was skipped because its search exceeded the budget (never a guess)."""
        return finding("info", "not-analysed", f"{what} was not checked: too many combinations", where)


def _any_of(rules: tuple[Rule[ContraindicationEffect], ...]) -> Condition | None:
    """The condition under which one of ``rules`` holds (``None`` for no rule)."""
    if not rules:
        return None
    return rules[0].condition if len(rules) == 1 else AnyOf(tuple(r.condition for r in rules))
