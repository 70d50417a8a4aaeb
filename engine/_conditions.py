"""Parse a rule's ``when:`` into a typed :data:`~engine._spec.Condition`, checking it against the vocabulary.

The validator (:mod:`engine._validate`) hands each rule's ``when:`` to a
:class:`ConditionParser`. Every test is checked against the declared type of its fact
(operators, values, ranges, periods, technique selectors), so that a rule comparing a
number with an enum, or naming a fact the vocabulary lacks, never reaches the matcher.
Problems go to the validator's collector, located and with a did-you-mean hint where
one exists, and parsing goes on so that one run reports every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from engine._errors import suggest
from engine._issues import IssueCollector
from engine._load import DocPath, LoadedDocument
from engine._model import FactSpec, Period, TechniqueSpec
from engine._spec import PREVIOUS_TREATMENTS, AllOf, AnyOf, Atom, Condition, NotOf, Op, select_techniques

__all__ = ["ConditionParser", "check_selector"]

_OPS_BY_TYPE = {
    "boolean": {"is", "is_not"},
    "integer": {"is", "is_not", "at_least", "at_most", "above", "below", "one_of", "none_of", "between"},
    "enum": {"is", "is_not", "one_of", "none_of"},
    "set": {"includes", "excludes", "includes_any", "includes_all"},
    "date": {"within"},
    "treatment_history": set(),
}
_ALL_OPS = sorted(set().union(*_OPS_BY_TYPE.values()))
_SIMPLE: dict[str, Op] = {"is": "eq", "is_not": "ne", "at_least": "ge", "at_most": "le", "above": "gt", "below": "lt"}
_WORDS = {"eq": "is", "ne": "is not", "ge": "is at least", "le": "is at most", "gt": "is above", "lt": "is below"}

_BAD = object()
"""Returned by :meth:`ConditionParser._value` for a value already reported (``None`` can be a value)."""


def check_selector(
    issues: IssueCollector,
    techniques: Mapping[str, TechniqueSpec],
    doc: LoadedDocument,
    path: DocPath,
    selector: str,
    rule_id: str,
) -> tuple[str, ...]:
    """The techniques ``selector`` names; reports a selector that names none, with the closest one.

    Shared by conditions (``previous_treatment``) and the rule builder (``applies_to``, waits,
    ``not_same_day``), so that every selector is checked and suggested the same way.
    """
    found = select_techniques(selector, techniques)
    if not found:
        families = {f"{t.family}.*" for t in techniques.values()}
        options = [*techniques, *families, "all"]
        issues.add(
            "unknown-technique", doc, path, f"unknown technique '{selector}'", suggest(selector, options), rule_id
        )
    return found


class ConditionParser:
    """Turns ``when:`` trees into conditions for one rules folder.

    State: the folder's vocabulary and catalogue, which every test is checked against, and
    the validator's collector, which receives every problem so that one run reports them
    all. The parser keeps nothing per rule: what a rule uses (its periods and treatment
    history selectors) can be read off the condition it returns.
    """

    def __init__(
        self, facts: Mapping[str, FactSpec], techniques: Mapping[str, TechniqueSpec], issues: IssueCollector
    ) -> None:
        self.facts = facts
        self.techniques = techniques
        self.issues = issues

    def parse(self, doc: LoadedDocument, path: DocPath, node: Any, rule_id: str) -> Condition | None:
        """The condition written at ``path``, or ``None`` when any part of it is wrong (and reported)."""
        return self._condition(doc, path, node, rule_id)

    def _condition(self, doc: LoadedDocument, path: DocPath, node: Any, rule_id: str) -> Condition | None:
        """One node: ``all``/``any``/``not`` recurse, ``previous_treatment`` and facts are tests."""
        if not isinstance(node, dict) or len(node) != 1:
            if isinstance(node, list):
                hint = "wrap a list of tests in 'all:' (every one must hold) or 'any:' (one is enough)"
            elif isinstance(node, dict) and len(node) > 1:
                hint = "write one test per item and combine them with 'all:' or 'any:'"
            else:
                hint = "write e.g. 'pregnant: true' or 'fitzpatrick: {at_least: 4}'"
            self.issues.add(
                "bad-condition", doc, path, "a condition must be a mapping with exactly one key", hint, rule_id
            )
            return None
        key, value = next(iter(node.items()))
        sub = (*path, str(key))
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.issues.add(
                    "bad-condition", doc, sub, f"'{key}' needs a non-empty list of conditions", rule_id=rule_id
                )
                return None
            items = [self._condition(doc, (*sub, i), item, rule_id) for i, item in enumerate(value)]
            if any(item is None for item in items):
                return None
            parsed = tuple(item for item in items if item is not None)
            return AllOf(parsed) if key == "all" else AnyOf(parsed)
        if key == "not":
            inner = self._condition(doc, sub, value, rule_id)
            return None if inner is None else NotOf(inner)
        if key == "previous_treatment":
            return self._history(doc, sub, value, rule_id)
        if key in self.issues.broken_facts:
            return None
        if not isinstance(key, str) or key not in self.facts:
            options = [*self.facts, "all", "any", "not", "previous_treatment"]
            self.issues.add("unknown-fact", doc, sub, f"unknown fact '{key}'", suggest(str(key), options), rule_id)
            return None
        return self._test(doc, sub, key, value, rule_id)

    def _history(self, doc: LoadedDocument, path: DocPath, value: Any, rule_id: str) -> Condition | None:
        """``previous_treatment: {technique, within}``: a treatment of those techniques that recently.

        With ``reaction: [...]`` (or ``response: [...]``), the latest such treatment was that
        recent and recorded one of those values; a latest treatment that recorded none makes
        the test unknown, so the plan asks. ``within`` is then the horizon beyond which a
        treatment no longer matters (and is not asked about).
        """
        if PREVIOUS_TREATMENTS not in self.facts:
            self.issues.add(
                "reserved-fact", doc, path, "the vocabulary has no previous_treatments fact", rule_id=rule_id
            )
            return None
        history = self.facts[PREVIOUS_TREATMENTS]
        if (
            not isinstance(value, dict)
            or not {"technique", "within"} <= set(value) <= _HISTORY_KEYS
            or ("reaction" in value and "response" in value)
        ):
            self.issues.add(
                "bad-condition",
                doc,
                path,
                "previous_treatment needs 'technique' and 'within', and may test one of 'reaction' or 'response'",
                "e.g. previous_treatment: {technique: peel.*, within: 3 months, reaction: [hyperpigmentation]}",
                rule_id,
            )
            return None
        selector = value["technique"]
        if not isinstance(selector, str) or not check_selector(
            self.issues, self.techniques, doc, (*path, "technique"), selector, rule_id
        ):
            return None
        period = self._period(doc, (*path, "within"), value["within"], rule_id)
        if period is None:
            return None
        recent = Atom(
            PREVIOUS_TREATMENTS,
            "within",
            period,
            f"a previous {selector} treatment within {period}",
            selector=selector,
        )
        details: tuple[tuple[Literal["reaction", "response"], tuple[str, ...]], ...] = (
            ("reaction", history.reactions),
            ("response", history.responses),
        )
        for detail, allowed in details:
            if detail in value:
                values = self._details(doc, (*path, detail), value[detail], detail, allowed, rule_id)
                if values is None:
                    return None
                tests = tuple(
                    Atom(
                        PREVIOUS_TREATMENTS,
                        "eq",
                        v,
                        f"the last {selector} {detail} was {v}",
                        selector=selector,
                        detail=detail,
                    )
                    for v in values
                )
                return AllOf((recent, tests[0] if len(tests) == 1 else AnyOf(tests)))
        return recent

    def _details(
        self, doc: LoadedDocument, path: DocPath, value: Any, detail: str, allowed: tuple[str, ...], rule_id: str
    ) -> tuple[str, ...] | None:
        """The reactions (or responses) a previous-treatment test names: a non-empty list of declared values."""
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v in allowed for v in values):
            bad = next((v for v in values if not (isinstance(v, str) and v in allowed)), values)
            self.issues.add(
                "bad-value",
                doc,
                path,
                f"{bad!r} is not a {detail} of the treatment history",
                suggest(str(bad), allowed) or f"use one of {list(allowed)} (declared in the vocabulary)",
                rule_id,
            )
            return None
        return tuple(values)

    def _period(self, doc: LoadedDocument, path: DocPath, value: Any, rule_id: str) -> Period | None:
        """A ``within`` period; zero is refused because no date is ever within it."""
        try:
            period = Period.parse(value)
        except ValueError as exc:
            self.issues.add("bad-value", doc, path, str(exc), rule_id=rule_id)
            return None
        if period.amount == 0:
            self.issues.add("bad-value", doc, path, "a period of zero can never hold", rule_id=rule_id)
            return None
        return period

    def _test(self, doc: LoadedDocument, path: DocPath, name: str, value: Any, rule_id: str) -> Condition | None:
        """A test of fact ``name``: the operator must suit the fact's type and the values its domain."""
        fact = self.facts[name]
        if fact.planning_only:
            self.issues.add(
                "wrong-fact",
                doc,
                path,
                f"'{name}' is used for scheduling only and cannot appear in conditions",
                rule_id=rule_id,
            )
            return None
        if fact.type == "treatment_history":
            self.issues.add(
                "wrong-fact",
                doc,
                path,
                f"'{name}' is tested with previous_treatment",
                "e.g. previous_treatment: {technique: laser.*, within: 4 weeks}",
                rule_id,
            )
            return None
        if not isinstance(value, dict):
            if fact.type in ("set", "date"):
                example = "{includes: congestion}" if fact.type == "set" else "{within: 6 months}"
                self.issues.add(
                    "bad-condition",
                    doc,
                    path,
                    f"{name} is a {fact.type}; say how to test it",
                    f"e.g. {name}: {example}",
                    rule_id,
                )
                return None
            value = {"is": value}
        if len(value) != 1:
            self.issues.add(
                "bad-condition", doc, path, "one operator per test", "combine several tests with 'all:'", rule_id
            )
            return None
        op, operand = next(iter(value.items()))
        allowed = _OPS_BY_TYPE[fact.type]
        opath = (*path, str(op))
        if op not in allowed:
            hint = suggest(str(op), allowed) or f"a {fact.type} fact allows: {', '.join(sorted(allowed))}"
            where = "unknown operator" if op not in _ALL_OPS else f"'{op}' does not apply to a {fact.type} fact"
            self.issues.add("bad-condition", doc, opath, f"{where} '{op}' for {name}", hint, rule_id)
            return None
        if fact.type == "date":
            period = self._period(doc, opath, operand, rule_id)
            if period is None:
                return None
            return Atom(name, "within", period, f"{fact.label} within {period} before the assessment")
        if op in ("one_of", "none_of", "includes_any", "includes_all", "between"):
            return self._listed(doc, opath, fact, name, op, operand, rule_id)
        checked = self._value(doc, opath, fact, name, operand, rule_id)
        if checked is _BAD:
            return None
        if fact.type == "set":
            return self._atom(fact, name, "has" if op == "includes" else "lacks", checked)
        return self._atom(fact, name, _SIMPLE[str(op)], checked)

    def _listed(
        self, doc: LoadedDocument, opath: DocPath, fact: FactSpec, name: str, op: str, operand: Any, rule_id: str
    ) -> Condition | None:
        """An operator over a list (``one_of``, ``between`` ...), written as atoms joined by ``any`` or ``all``."""
        if not isinstance(operand, list) or not operand:
            self.issues.add("bad-condition", doc, opath, f"'{op}' needs a list of values", rule_id=rule_id)
            return None
        if op == "between" and len(operand) != 2:
            self.issues.add("bad-condition", doc, opath, "'between' needs exactly [low, high]", rule_id=rule_id)
            return None
        values = [self._value(doc, (*opath, i), fact, name, v, rule_id) for i, v in enumerate(operand)]
        if any(v is _BAD for v in values):
            return None
        if op == "between":
            low, high = values
            if low > high:
                self.issues.add("bad-condition", doc, opath, f"between [{low}, {high}] can never hold", rule_id=rule_id)
                return None
            return AllOf((self._atom(fact, name, "ge", low), self._atom(fact, name, "le", high)))
        if op in ("one_of", "includes_any"):
            atoms = tuple(self._atom(fact, name, "eq" if op == "one_of" else "has", v) for v in values)
            return atoms[0] if len(atoms) == 1 else AnyOf(atoms)
        atoms = tuple(self._atom(fact, name, "ne" if op == "none_of" else "has", v) for v in values)
        return atoms[0] if len(atoms) == 1 else AllOf(atoms)

    def _atom(self, fact: FactSpec, name: str, op: Op | Literal["has", "lacks"], value: Any) -> Atom:
        """One checked test, with the words the rulebook and lint show for it."""
        if op == "has":
            return Atom(name, "eq", True, f"{fact.label} includes {value}", member=value)
        if op == "lacks":
            return Atom(name, "eq", False, f"{fact.label} does not include {value}", member=value)
        shown = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
        return Atom(name, op, value, f"{fact.label} {_WORDS[op]} {shown}")

    def _value(self, doc: LoadedDocument, path: DocPath, fact: FactSpec, name: str, value: Any, rule_id: str) -> Any:
        """``value`` if the fact can take it, else :data:`_BAD` (reported): a test that could never be decided."""
        if fact.type == "boolean":
            if not isinstance(value, bool):
                self.issues.add("bad-value", doc, path, f"{name} is true or false, not {value!r}", rule_id=rule_id)
                return _BAD
            return value
        if fact.type == "integer":
            if isinstance(value, float):
                self.issues.add(
                    "bad-value",
                    doc,
                    path,
                    f"{name} takes whole numbers; {value!r} is not one",
                    "numbers in exponent or decimal form are not accepted",
                    rule_id,
                )
                return _BAD
            if isinstance(value, bool) or not isinstance(value, int):
                self.issues.add("bad-value", doc, path, f"{name} is a number, not {value!r}", rule_id=rule_id)
                return _BAD
            assert fact.minimum is not None and fact.maximum is not None
            if not fact.minimum <= value <= fact.maximum:
                self.issues.add(
                    "bad-value",
                    doc,
                    path,
                    f"{value} is outside the range of {name} ({fact.minimum}-{fact.maximum})",
                    "such a test could never be decided as written",
                    rule_id,
                )
                return _BAD
            return value
        if not isinstance(value, str) or value not in fact.values:
            self.issues.add(
                "bad-value",
                doc,
                path,
                f"{value!r} is not a value of {name}",
                suggest(str(value), fact.values) or f"use one of {list(fact.values)}",
                rule_id,
            )
            return _BAD
        return value


_HISTORY_KEYS = frozenset({"technique", "within", "reaction", "response"})
