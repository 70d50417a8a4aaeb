"""Decide questions about rule conditions by enumerating the finite domains of the facts they read.

Every fact a condition can test has a small domain: booleans, enum values, set members (one
yes/no each), integers (whose behaviour only changes at the constants the conditions mention)
and elapsed times for ``within`` tests (which only change at the periods mentioned). So
"can this condition ever be true?" and "does A imply B?" are answered exactly by a
backtracking search over representative values, with three-valued pruning: a branch stops
as soon as the partial assignment decides the formula. No SMT solver is needed.

Derived facts are replaced by the conditions of the rules that derive them (first true rule
by priority wins, else the vocabulary default), so a test of ``pih_risk`` is analysed in
terms of the Fitzpatrick type and melasma. The searches do not write that replacement out
(with k rules deriving a fact it holds k² tests, and every node of a search would evaluate
them all): they work out the derived value from the variables assigned so far, once per
node, and search over the same variables the replacement would read. The answers are the
same; only the cost differs. Two approximations, both on the side of *fewer*
findings: months and years are compared by their average length in days, and previous
treatments of overlapping technique selectors (``peel.*`` and ``peel.glycolic``) are
treated as independent. A result that says "never" or "always" is therefore reliable.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine._model import Period
from engine._spec import AllOf, Always, AnyOf, Atom, Condition, NotOf, ProtocolSpec, atoms

__all__ = ["Logic", "TooComplex", "evaluate", "period_days"]

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


class _Meaning:
    """What a condition of one protocol means: derived facts expanded into the facts they rest on,
    and its three-valued truth under a (partial) assignment, derived facts worked out as needed.

    It holds caches per condition and per derived value because lint asks about the same
    conditions hundreds of times (each rule against every other); they only grow, and a
    ``Logic`` lives as long as one lint run.

    :param spec: the validated protocol whose vocabulary and derived rules give the domains.
    """

    def __init__(self, spec: ProtocolSpec) -> None:
        self.spec = spec
        self._deriving = spec.deriving
        self._expanded: dict[Condition, Condition] = {}
        self._derived: dict[tuple[str, Any], Condition] = {}
        self._fields: dict[Condition, frozenset[str]] = {}
        self._base: dict[Condition, tuple[Atom, ...]] = {}
        self._closure: dict[str, tuple[Atom, ...]] = {}
        self._parts: dict[Condition, tuple[Condition, ...]] = {}
        self._facts: dict[Condition, frozenset[str]] = {}

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
        key = (name, value)
        cached = self._derived.get(key)
        if cached is None:
            cached = self._derived[key] = self._derived_is_uncached(name, value)
        return cached

    def _derived_is_uncached(self, name: str, value: Any) -> Condition:
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

    def disjuncts(self, condition: Condition, limit: int = 32) -> tuple[Condition, ...]:
        """``condition`` as an ``any`` of parts, each an ``all`` of tests or ``not`` s.

        ``all``s are multiplied out over the ``any``s inside them while there are at most
        ``limit`` parts, derived facts expanded if that stays within the limit; beyond it the
        condition is its only part. Every model of a part is a model of the condition, and the
        condition implies what every part implies.
        """
        cached = self._parts.get(condition)
        if cached is None:
            parts = _disjuncts(self.expand(condition), limit) or _disjuncts(condition, limit) or [condition]
            cached = self._parts[condition] = tuple(parts)
        return cached

    def facts(self, condition: Condition) -> frozenset[str]:
        """The facts ``condition`` tests once derived facts are expanded."""
        cached = self._facts.get(condition)
        if cached is None:
            cached = self._facts[condition] = frozenset(a.fact for a in atoms(self.expand(condition)))
        return cached

    def fields(self, condition: Condition) -> frozenset[str]:
        """The variables (matcher fields) a search over ``condition`` assigns: what it reads, derived facts expanded."""
        cached = self._fields.get(condition)
        if cached is None:
            cached = self._fields[condition] = frozenset(a.field for a in self._base_atoms(condition))
        return cached

    # ------------------------------------------------------------------ derived facts, worked out as the search goes

    def _lazy(self, atom: Atom) -> bool:
        """Whether ``atom`` tests a derived fact the search works out rather than assigns (as expansion would)."""
        return atom.fact in self._deriving and atom.op in _WORKED_OUT_OPS and self.spec.facts[atom.fact].derived

    def _base_atoms(self, condition: Condition) -> tuple[Atom, ...]:
        """The tests of variables a search over ``condition`` assigns: its own, and those its derived facts read."""
        cached = self._base.get(condition)
        if cached is None:
            found: list[Atom] = []
            for atom in atoms(condition):
                found.extend(self._closure_of(atom.fact) if self._lazy(atom) else (atom,))
            cached = self._base[condition] = tuple(found)
        return cached

    def _closure_of(self, name: str) -> tuple[Atom, ...]:
        cached = self._closure.get(name)
        if cached is None:
            cached = self._closure[name] = tuple(a for r in self._deriving[name] for a in self._base_atoms(r.condition))
        return cached

    def truth(self, condition: Condition, assignment: Mapping[str, Any]) -> bool | None:
        """Three-valued truth of ``condition`` (not expanded) under a partial assignment of its variables.

        A test of a derived fact is decided by working out the fact's value: the first rule
        (by priority) that holds sets it, an earlier rule still undecided leaves it unknown,
        and the vocabulary default applies when none holds.
        """
        return self._truth(condition, assignment, _Derived({}))

    def _judge(
        self, condition: Condition, assignment: Mapping[str, Any], known: Mapping[str, int]
    ) -> tuple[bool | None, Mapping[str, int]]:
        """:meth:`truth` inside a search: ``known`` says, for each derived fact, how many of its rules
        the assignment on the way to this node already makes false; returns the same for the nodes below.

        A rule that a partial assignment makes false stays false however the assignment is
        extended, so a node never looks at those rules again: working out a derived fact costs
        one rule per node rather than all of them.
        """
        derived = _Derived(known)
        verdict = self._truth(condition, assignment, derived)
        return verdict, derived.positions()

    def _truth(self, condition: Condition, assignment: Mapping[str, Any], derived: _Derived) -> bool | None:
        if isinstance(condition, Atom):
            if condition.fact in self._deriving and self._lazy(condition):
                value = self._derived_value(condition.fact, assignment, derived)
                if value is _UNDECIDED:
                    return None
                if value is _NO_VALUE:
                    return False
                return bool(value == condition.value) if condition.op == "eq" else bool(value != condition.value)
            if condition.field not in assignment:
                return None
            return _test(condition, assignment[condition.field])
        if isinstance(condition, AllOf):
            return _all(self._truth(item, assignment, derived) for item in condition.items)
        if isinstance(condition, AnyOf):
            return _any(self._truth(item, assignment, derived) for item in condition.items)
        if isinstance(condition, NotOf):
            value = self._truth(condition.item, assignment, derived)
            return None if value is None else not value
        assert isinstance(condition, Always)
        return True

    def _derived_value(self, name: str, assignment: Mapping[str, Any], derived: _Derived) -> Any:
        if name in derived.values:
            return derived.values[name]
        rules = self._deriving[name]
        default = self.spec.facts[name].default
        value: Any = default if default is not None else _NO_VALUE
        index = derived.known.get(name, 0)
        while index < len(rules):
            holds = self._truth(rules[index].condition, assignment, derived)
            if holds is None:
                value = _UNDECIDED
                break
            if holds:
                value = rules[index].effect.value
                break
            index += 1
        derived.values[name] = value
        derived.reached[name] = index
        return value


class Logic(_Meaning):
    """Satisfiability, implication and enumeration over the rules of one protocol.

    The questions lint asks (can this hold? does it imply that? which clients show
    it?), answered by searching the representative values of each variable; what a
    condition means is :class:`_Meaning`'s.

    :param spec: the validated protocol whose vocabulary and derived rules give the domains.
    """

    # ------------------------------------------------------------------ domains

    def _domain(self, conditions: Iterable[Condition], expanded: bool = True) -> _Domain:
        """The variables of ``conditions`` and their values.

        For expanded conditions, in name order; otherwise as a search assigns them, in the
        order the conditions first read them (a derived fact's rules in priority order, where
        it is tested), so that the parts of a condition, and the rules deriving a fact, are
        decided one after the other rather than all at once at the bottom of the search.
        """
        constants: dict[str, set[Any]] = {}
        kinds: dict[str, Atom] = {}
        for condition in conditions:
            for atom in atoms(condition) if expanded else self._base_atoms(condition):
                kinds.setdefault(atom.field, atom)
                constants.setdefault(atom.field, set()).add(atom.value)
        values: dict[str, tuple[Any, ...]] = {}
        for field, atom in sorted(kinds.items()) if expanded else kinds.items():
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
        domain = self._domain([condition], expanded=False)
        order = [field for field in domain.values if not fixed or field not in fixed]
        assignment: dict[str, Any] = dict(fixed or {})
        budget = [_BUDGET]
        if _search(self._judge, condition, order, domain.values, assignment, budget):
            return assignment
        return None

    def escape(
        self, conditions: Sequence[Condition], fixed: Mapping[str, Any] | None = None, budget: int = _BUDGET
    ) -> dict[str, Any] | None:
        """An assignment of every variable ``conditions`` read under which none of them holds (``None``: none exists).

        :param fixed: variables whose value is given rather than searched (they may lie outside
            the representative values: any concrete value will do).
        :param budget: the most nodes the search may visit.

        The search tries first, for each variable, the values that make the fewest of the
        tests of it true (no risk factor, no recent treatment), so that the assignment it
        finds tends to keep other conditions false too: a good base for witnesses.

        :raises TooComplex: the search exceeded its budget.
        """
        assignment: dict[str, Any] = dict(fixed or {})
        if not conditions:
            return assignment
        formula = NotOf(AnyOf(tuple(conditions)))
        domain = self._domain(conditions, expanded=False)
        tests: dict[str, list[Atom]] = {}
        for condition in conditions:
            for atom in self._base_atoms(condition):
                tests.setdefault(atom.field, []).append(atom)
        preferred = {
            field: _fewest_true(values, tests.get(field, []))
            for field, values in domain.values.items()
            if field not in assignment
        }
        if _search(self._judge, formula, list(preferred), preferred, assignment, [budget]):
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

    def models(
        self,
        condition: Condition,
        context: Iterable[Condition] = (),
        prefer: Mapping[str, Any] | None = None,
        limit: int = 64,
    ) -> Iterator[dict[str, Any]]:
        """Assignments of the variables ``condition`` reads that make it true, up to ``limit`` of them.

        A variable that does not matter once the others are set is left out. Values are
        drawn from the domain of ``condition`` together with ``context`` (so that they also
        fall on either side of the constants the context compares them with), the value in
        ``prefer`` first. Stops quietly at ``limit`` models or when a small search budget runs
        out: for finding witnesses, not for proving that none exists.
        """
        own = self.fields(condition)
        domain = self._domain([condition, *context], expanded=False)
        values = {
            field: _preferring(domain.values[field], (prefer or {}).get(field, _NO_PREFERENCE))
            for field in domain.values
            if field in own
        }
        budget = [min(_BUDGET, 2_000)]
        yield from itertools.islice(_models(self._judge, condition, list(values), values, {}, 0, budget), limit)

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


def _all(values: Iterable[bool | None]) -> bool | None:
    """Kleene "and": false as soon as one part is false (the rest not worked out), else unknown if one is."""
    result: bool | None = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def _any(values: Iterable[bool | None]) -> bool | None:
    """Kleene "or": true as soon as one part is true (the rest not worked out), else unknown if one is."""
    result: bool | None = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def evaluate(condition: Condition, assignment: Mapping[str, Any]) -> bool | None:
    """Kleene evaluation of an expanded condition under a partial assignment."""
    if isinstance(condition, Atom):
        if condition.field not in assignment:
            return None
        return _test(condition, assignment[condition.field])
    if isinstance(condition, AllOf):
        return _all(evaluate(item, assignment) for item in condition.items)
    if isinstance(condition, AnyOf):
        return _any(evaluate(item, assignment) for item in condition.items)
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


def _disjuncts(condition: Condition, limit: int) -> list[Condition] | None:
    """The parts of ``condition``'s disjunctive form, or ``None`` when there would be more than ``limit``."""
    if isinstance(condition, AnyOf):
        parts: list[Condition] = []
        for item in condition.items:
            inner = _disjuncts(item, limit)
            if inner is None or len(parts) + len(inner) > limit:
                return None
            parts.extend(inner)
        return parts
    if isinstance(condition, AllOf):
        rows: list[tuple[Condition, ...]] = [()]
        for item in condition.items:
            inner = _disjuncts(item, limit)
            if inner is None or len(rows) * len(inner) > limit:
                return None
            rows = [(*row, part) for row in rows for part in inner]
        return [row[0] if len(row) == 1 else AllOf(row) for row in rows]
    return [condition]


_NO_PREFERENCE = object()
_NOTHING_KNOWN: Mapping[str, int] = {}
_UNDECIDED = object()
"""A derived fact's value while an earlier rule deriving it is still undecided."""
_NO_VALUE = object()
"""A derived fact with no default for which no rule holds."""

_WORKED_OUT_OPS = frozenset({"eq", "ne"})
"""The tests of a derived fact that expansion replaces (others treat the fact as a variable)."""


class _Derived:
    """Derived facts worked out at one node of a search: their values, and how far their rules were read."""

    __slots__ = ("known", "reached", "values")

    def __init__(self, known: Mapping[str, int]) -> None:
        self.known = known
        self.values: dict[str, Any] = {}
        self.reached: dict[str, int] = {}

    def positions(self) -> Mapping[str, int]:
        """For the nodes below: the rules of each derived fact known to be false."""
        if not self.reached:
            return self.known
        return {**self.known, **self.reached}


Judge = Callable[[Condition, Mapping[str, Any], Mapping[str, int]], "tuple[bool | None, Mapping[str, int]]"]
"""Three-valued truth of a condition under a partial assignment, inside a search (:meth:`Logic._judge`)."""


def _preferring(values: tuple[Any, ...], preferred: Any) -> tuple[Any, ...]:
    """``values`` with ``preferred`` tried first (added if it is not among them: any concrete value may witness)."""
    if preferred is _NO_PREFERENCE:
        return values
    return (preferred, *(value for value in values if value != preferred))


def _fewest_true(values: tuple[Any, ...], tests: list[Atom]) -> tuple[Any, ...]:
    """``values`` ordered by how many of ``tests`` each makes true, fewest first (stable)."""
    return tuple(sorted(values, key=lambda value: sum(_test(atom, value) for atom in tests)))


def _models(
    judge: Judge,
    condition: Condition,
    order: list[str],
    values: Mapping[str, tuple[Any, ...]],
    assignment: dict[str, Any],
    index: int,
    budget: list[int],
    known: Mapping[str, int] = _NOTHING_KNOWN,
    *,
    strict: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every (partial) assignment along ``order`` that makes ``condition`` true, depth first, within ``budget``.

    :param strict: raise :class:`TooComplex` when the budget runs out (a proof needs the whole
        search) instead of stopping quietly (enough for finding witnesses).
    """
    budget[0] -= 1
    if budget[0] < 0:
        if strict:
            raise TooComplex("search budget exhausted")
        return
    verdict, known = judge(condition, assignment, known)
    if verdict is not None:
        if verdict:
            yield dict(assignment)
        return
    if index >= len(order):
        return
    field = order[index]
    for value in values[field]:
        assignment[field] = value
        yield from _models(judge, condition, order, values, assignment, index + 1, budget, known, strict=strict)
    del assignment[field]


def _search(
    judge: Judge,
    condition: Condition,
    order: list[str],
    values: Mapping[str, tuple[Any, ...]],
    assignment: dict[str, Any],
    budget: list[int],
) -> bool:
    """Completes ``assignment`` to one that makes ``condition`` true (every field of ``order`` set), if any exists.

    :raises TooComplex: the search exceeded its budget before finding one or proving that none exists.
    """
    found = next(_models(judge, condition, order, values, dict(assignment), 0, budget, strict=True), None)
    if found is None:
        return False
    assignment.update(found)
    for field in order:  # the variables the verdict did not need: their first representative value
        assignment.setdefault(field, values[field][0])
    return True
