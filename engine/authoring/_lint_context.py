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

__all__ = ["CODES", "Finding", "LintContext", "Severity", "Where", "finding", "sentence"]

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
      excludes it (``None``: never excluded).
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
        )

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
