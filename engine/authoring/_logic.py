"""Decide questions about rule conditions by enumerating the finite domains of the facts they read.

Every fact a condition can test has a small domain: booleans, enum values, set members (one
yes/no each), integers (whose behaviour only changes at the constants the conditions mention)
and elapsed times for ``within`` tests (which only change at the periods mentioned). So
"can this condition ever be true?" and "does A imply B?" are answered exactly by a
backtracking search over representative values, with three-valued pruning: a branch stops
as soon as the partial assignment decides the formula. No SMT solver is needed.

Derived facts are replaced by the conditions of the rules that derive them (first true rule
by priority wins, else the vocabulary default), so a test of ``pih_risk`` is analysed in
terms of the Fitzpatrick type and melasma. Two approximations, both on the side of *fewer*
findings: months and years are compared by their average length in days, and previous
treatments of overlapping technique selectors (``peel.*`` and ``peel.glycolic``) are
treated as independent. A result that says "never" or "always" is therefore reliable.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine._model import Period
from engine._spec import AllOf, Always, AnyOf, Atom, Condition, NotOf, ProtocolSpec, atoms

__all__ = ["Logic", "TooComplex", "period_days"]

_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.2425 / 12, "years": 365.2425}
_NEVER = math.inf
_BUDGET = 400_000


class TooComplex(Exception):
    """The search exceeded its budget; callers skip the check rather than guess."""


def period_days(period: Period) -> float:
    """The length of ``period`` in days, months and years by their average length."""
    return period.amount * _DAYS[period.unit]


@dataclass(frozen=True)
class _Domain:
    """Representative values of every variable a formula reads, keyed by matcher field."""

    values: Mapping[str, tuple[Any, ...]]


class Logic:
    """Satisfiability, implication and enumeration over the rules of one protocol.

    :param spec: the validated protocol whose vocabulary and derived rules give the domains.
    """

    def __init__(self, spec: ProtocolSpec) -> None:
        self.spec = spec
        self._deriving = spec.deriving
        self._expanded: dict[Condition, Condition] = {}

    # ------------------------------------------------------------------ expansion

    def expand(self, condition: Condition) -> Condition:
        """``condition`` with every test of a derived fact replaced by the rules that derive it."""
        cached = self._expanded.get(condition)
        if cached is None:
            cached = self._expanded[condition] = self._expand(condition)
        return cached

    def _expand(self, condition: Condition) -> Condition:
        if isinstance(condition, Atom):
            fact = self.spec.facts.get(condition.fact)
            if fact is None or not fact.derived or condition.fact not in self._deriving:
                return condition
            values: tuple[Any, ...] = (True, False) if fact.type == "boolean" else fact.values
            if condition.op == "eq":
                return self._derived_is(condition.fact, condition.value)
            if condition.op == "ne":
                return AnyOf(tuple(self._derived_is(condition.fact, v) for v in values if v != condition.value))
            return condition
        if isinstance(condition, AllOf):
            return AllOf(tuple(self._expand(c) for c in condition.items))
        if isinstance(condition, AnyOf):
            return AnyOf(tuple(self._expand(c) for c in condition.items))
        if isinstance(condition, NotOf):
            return NotOf(self._expand(condition.item))
        return condition

    def _derived_is(self, name: str, value: Any) -> Condition:
        """The condition under which derived fact ``name`` takes ``value`` (two-valued reading)."""
        rules = self._deriving[name]
        branches: list[Condition] = []
        earlier: list[Condition] = []
        for rule in rules:
            own = self._expand(rule.condition)
            if rule.effect.value == value:
                branches.append(AllOf((own, *(NotOf(e) for e in earlier))))
            earlier.append(own)
        default = self.spec.facts[name].default
        if default is not None and default == value:
            branches.append(AllOf(tuple(NotOf(e) for e in earlier)) if earlier else Always())
        if not branches:
            return NotOf(Always())
        return branches[0] if len(branches) == 1 else AnyOf(tuple(branches))

    # ------------------------------------------------------------------ domains

    def _domain(self, conditions: Iterable[Condition]) -> _Domain:
        constants: dict[str, set[Any]] = {}
        kinds: dict[str, Atom] = {}
        for condition in conditions:
            for atom in atoms(condition):
                kinds.setdefault(atom.field, atom)
                constants.setdefault(atom.field, set()).add(atom.value)
        values: dict[str, tuple[Any, ...]] = {}
        for field, atom in sorted(kinds.items()):
            values[field] = self._values(atom, constants[field])
        return _Domain(values)

    def _values(self, atom: Atom, constants: set[Any]) -> tuple[Any, ...]:
        if atom.op == "within":
            days = sorted({period_days(p) for p in constants if isinstance(p, Period)})
            points = [0.0]
            for low, high in itertools.pairwise(days):
                points.append((low + high) / 2)
            if days:
                points.append(days[-1] + 1)
            points.append(_NEVER)
            return tuple(points)
        fact = self.spec.facts.get(atom.fact)
        if fact is not None and atom.detail is not None:  # a recorded reaction or response
            return fact.reactions if atom.detail == "reaction" else fact.responses
        if fact is None or atom.field != atom.fact or fact.type == "boolean":
            return (True, False)
        if fact.type == "enum":
            return fact.values
        if fact.type == "integer":
            assert fact.minimum is not None and fact.maximum is not None
            low, high = fact.minimum, fact.maximum
            points_set = {low, high}
            for c in constants:
                if isinstance(c, int) and not isinstance(c, bool):
                    points_set.update(v for v in (c - 1, c, c + 1) if low <= v <= high)
            return tuple(sorted(points_set))
        return (True, False)

    def integer_values(self, fact_name: str, limit: int = 250) -> tuple[int, ...] | None:
        """Every value of an integer fact when its range is small enough to list, else ``None``."""
        fact = self.spec.facts[fact_name]
        if fact.type != "integer" or fact.minimum is None or fact.maximum is None:
            return None
        if fact.maximum - fact.minimum + 1 > limit:
            return None
        return tuple(range(fact.minimum, fact.maximum + 1))

    # ------------------------------------------------------------------ questions

    def satisfiable(self, condition: Condition, fixed: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """An assignment of representative values making ``condition`` true, or ``None`` if none exists.

        :param fixed: variables (matcher fields) whose value is given rather than searched.
        :raises TooComplex: the search exceeded its budget.
        """
        expanded = self.expand(condition)
        domain = self._domain([expanded])
        order = [field for field in domain.values if not fixed or field not in fixed]
        assignment: dict[str, Any] = dict(fixed or {})
        budget = [_BUDGET]
        if _search(expanded, order, domain.values, assignment, 0, budget):
            return assignment
        return None

    def never(self, condition: Condition, fixed: Mapping[str, Any] | None = None) -> bool:
        """True when ``condition`` can never hold (with ``fixed`` values, if given)."""
        return self.satisfiable(condition, fixed) is None

    def always(self, condition: Condition) -> bool:
        """True when ``condition`` holds for every client whose facts are all known."""
        return self.satisfiable(NotOf(condition)) is None

    def implies(self, first: Condition, second: Condition) -> bool:
        """True when every client for whom ``first`` holds also satisfies ``second``."""
        return self.satisfiable(AllOf((first, NotOf(second)))) is None

    def assignments(self, conditions: Iterable[Condition], limit: int) -> Iterator[dict[str, Any]]:
        """Every combination of representative values of the variables ``conditions`` read.

        :raises TooComplex: there are more than ``limit`` combinations.
        """
        expanded = [self.expand(c) for c in conditions]
        domain = self._domain(expanded)
        total = math.prod(len(v) for v in domain.values.values())
        if total > limit:
            raise TooComplex(f"{total} combinations")
        fields = list(domain.values)
        for combo in itertools.product(*(domain.values[f] for f in fields)):
            yield dict(zip(fields, combo, strict=True))

    def evaluate(self, condition: Condition, assignment: Mapping[str, Any]) -> bool | None:
        """Three-valued truth of ``condition`` (``None``: an unassigned variable decides it)."""
        return evaluate(self.expand(condition), assignment)


def evaluate(condition: Condition, assignment: Mapping[str, Any]) -> bool | None:
    """Kleene evaluation of an expanded condition under a partial assignment."""
    if isinstance(condition, Atom):
        if condition.field not in assignment:
            return None
        return _test(condition, assignment[condition.field])
    if isinstance(condition, AllOf):
        result: bool | None = True
        for item in condition.items:
            value = evaluate(item, assignment)
            if value is False:
                return False
            if value is None:
                result = None
        return result
    if isinstance(condition, AnyOf):
        result = False
        for item in condition.items:
            value = evaluate(item, assignment)
            if value is True:
                return True
            if value is None:
                result = None
        return result
    if isinstance(condition, NotOf):
        value = evaluate(condition.item, assignment)
        return None if value is None else not value
    assert isinstance(condition, Always)
    return True


def _test(atom: Atom, value: Any) -> bool:
    op, target = atom.op, atom.value
    if op == "within":
        assert isinstance(target, Period)
        return bool(value < period_days(target))
    if op == "eq":
        return bool(value == target)
    if op == "ne":
        return bool(value != target)
    if op == "lt":
        return bool(value < target)
    if op == "le":
        return bool(value <= target)
    if op == "gt":
        return bool(value > target)
    if op == "ge":
        return bool(value >= target)
    raise ValueError(f"unknown operator {op!r}")


def _search(
    condition: Condition,
    order: list[str],
    values: Mapping[str, tuple[Any, ...]],
    assignment: dict[str, Any],
    index: int,
    budget: list[int],
) -> bool:
    budget[0] -= 1
    if budget[0] < 0:
        raise TooComplex("search budget exhausted")
    verdict = evaluate(condition, assignment)
    if verdict is not None:
        if verdict:
            for field in order[index:]:
                assignment.setdefault(field, values[field][0])
        return verdict
    if index >= len(order):
        return False
    field = order[index]
    for value in values[field]:
        assignment[field] = value
        if _search(condition, order, values, assignment, index + 1, budget):
            return True
    del assignment[field]
    return False
