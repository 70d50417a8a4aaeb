"""Run one client's facts through the compiled rulesets and read back three-valued outcomes.

The facts are first flattened into the matcher's fact: sets become one boolean field per
member, ``never`` becomes a date before any other, previous treatments become the date of
the latest one per technique selector, and every period a rule uses becomes a per-client
cut-off date (``assessment_date`` minus the period). That is data preparation; every
condition is decided by the matcher. Strata run in order: after each, the derived facts
it decides are added to the fact the next stratum sees (forward chaining).

Rules without a condition are true for every client and never reach the matcher.
Within a stratum the "definitely true" rulesets always run. A rule whose T rail did not
fire is false when every field it reads is present (its condition is then two-valued);
only rules with a missing field need the "definitely false" rulesets, which run for
those clients alone and tell false from unknown. Whenever an F ruleset runs, every rule
in it is cross-checked: deciding a rule both true and false, or a complete rule neither,
is an engine failure.

Each compiled F ruleset is created as up to eight, by the intake facts its rules read
(:func:`_split_false`): asking an F ruleset fires the F rail of every false rule in it,
and most of its rules are false, so a client missing one answer paid for some 24 firings
to settle 4 rules. Rules that read the same answers go missing together, so an F ruleset
asked now holds mostly the rules that are waiting (measured on the benchmark population:
22 F firings per client become 9, for 3.1 smaller asks instead of 1.4).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Set
from dataclasses import dataclass, field, replace
from typing import Any

from engine._adapter import Encoded, Matcher
from engine._compile import Chunk, CompiledProtocol
from engine._errors import EngineError
from engine._facts import NEVER, ONGOING, ClientFacts, check_facts
from engine._names import (
    CATCH_ALL,
    DETAIL_PREFIX,
    NEVER_DATE,
    NO_TREATMENT,
    cut_field,
    detail_fact,
    history_detail_field,
    history_field,
    set_member_field,
)
from engine._reader import Reader, compile_reader
from engine._spec import ProtocolSpec, atoms

__all__ = ["NEVER_DATE", "NO_TREATMENT", "Evaluator", "Flattener", "Outcome", "Truth", "matcher_fact"]


class Truth(str, enum.Enum):
    """Kleene truth value of a rule's condition for one client (public: ``engine.Truth``)."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    """What the matcher decided for one client (public: ``engine.Outcome``, from ``Protocol.outcomes``).

    ``truth`` has every rule's :class:`Truth`; ``derived`` the derived facts that were
    decided (e.g. ``pih_risk``), with their values.
    """

    truth: Mapping[str, Truth]
    derived: Mapping[str, Any]
    needs: Mapping[str, frozenset[str]]
    """For each unknown rule, the absent intake facts that would decide it."""
    true_rules: frozenset[str] = frozenset()
    """The rules decided true (what ``truth`` says, for callers that only need those)."""


class Flattener:
    """How one protocol's facts become the matcher's fields, worked out once per protocol.

    Holds state: a bounded cache of the cut-off dates of each assessment date seen (every
    client assessed on the same day shares them), so it belongs to one evaluator.
    """

    def __init__(self, spec: ProtocolSpec) -> None:
        self.kinds: dict[str, tuple[str, Any]] = {}
        for name, fact in spec.facts.items():
            if fact.planning_only:
                continue
            if fact.type == "set":
                self.kinds[name] = ("set", tuple((set_member_field(name, member), member) for member in fact.values))
            elif fact.type == "date":
                self.kinds[name] = ("date", None)
            elif fact.type == "treatment_history":
                selectors = tuple(
                    (
                        history_field(selector),
                        frozenset(spec.select(selector)),
                        history_detail_field(selector, "reaction") if fact.reactions else None,
                        history_detail_field(selector, "response") if fact.responses else None,
                    )
                    for selector in sorted(spec.history_selectors)
                )
                self.kinds[name] = ("history", selectors)
            else:
                self.kinds[name] = ("plain", None)
        self.periods = tuple((cut_field(period.key), period) for period in spec.periods)
        self.cuts: dict[Any, dict[str, str]] = {}

    def __call__(self, facts: ClientFacts) -> dict[str, Any]:
        out: dict[str, Any] = {}
        kinds = self.kinds
        for name, value in facts.values.items():
            kind, extra = kinds.get(name, ("skip", None))
            if kind == "plain":
                out[name] = value
            elif kind == "date":
                if value == NEVER:
                    out[name] = NEVER_DATE
                elif value == ONGOING:  # still taken: within every period back from the assessment
                    out[name] = facts.assessment_date.isoformat()
                else:
                    out[name] = value.isoformat()
            elif kind == "set":
                for field, member in extra:
                    out[field] = member in value
            elif kind == "history":
                for field, chosen, reaction, response in extra:
                    latest = None
                    for treatment in value:  # sorted by date: the last match is the latest
                        if treatment.technique in chosen:
                            latest = treatment
                    if latest is None:
                        out[field] = NEVER_DATE
                        if reaction:
                            out[reaction] = NO_TREATMENT
                        if response:
                            out[response] = NO_TREATMENT
                        continue
                    out[field] = latest.date.isoformat()
                    if reaction and latest.reaction is not None:  # a detail not recorded stays absent: unknown
                        out[reaction] = latest.reaction
                    if response and latest.response is not None:
                        out[response] = latest.response
        anchor = facts.assessment_date
        cuts = self.cuts.get(anchor)
        if cuts is None:
            if len(self.cuts) > 4096:  # many distinct assessment dates: start again rather than grow
                self.cuts.clear()
            cuts = self.cuts[anchor] = {field: period.cut_off(anchor).isoformat() for field, period in self.periods}
        out.update(cuts)
        return out


def matcher_fact(spec: ProtocolSpec, facts: ClientFacts) -> dict[str, Any]:
    """Flatten validated facts into the fields the compiled rules test (for tests and tools; slow)."""
    return Flattener(spec)(facts)


@dataclass
class _Stratum:
    """One stratum's rulesets and rules, as the evaluator walks them."""

    true_chunks: list[tuple[int, dict[str, tuple[str, ...]]]] = field(default_factory=list)
    """(matcher index, matcher rule -> the rule ids it decides) of each T ruleset (see ``Matcher.match``)."""
    always: dict[str, Truth] = field(default_factory=dict)
    """Rules without a condition, all true."""
    false_by_default: dict[str, Truth] = field(default_factory=dict)
    """Every conditional rule, false: right for any rule whose T rail did not fire and whose fields are present."""
    readers: dict[str, set[str]] = field(default_factory=dict)
    """For each field a conditional rule reads (by its short name in the matcher), those rules
    (a missing field makes them suspects)."""
    asks: dict[str, tuple[tuple[int, frozenset[str]], ...]] = field(default_factory=dict)
    """``readers`` by the F ruleset that decides them: for each field, (matcher index, rules)."""
    base: dict[str, Truth] = field(default_factory=dict)
    """``always`` then ``false_by_default``: every rule of the stratum before its T rulesets fire."""
    fields: frozenset[str] = frozenset()
    """The fields of ``readers``, to take the client's present ones from in one step."""


class Evaluator:
    """Holds the matcher for one compiled protocol and evaluates clients against it.

    Its state is per protocol and read-only after construction (the matcher's rulesets,
    the walk through strata, which ruleset decides each rule's false rail), apart from the
    flattener's cut-off cache and the matcher's sessions, which the adapter serialises.
    """

    def __init__(self, spec: ProtocolSpec, compiled: CompiledProtocol) -> None:
        self._spec = spec
        self._compiled = compiled
        self._flatten = Flattener(spec)
        chunks = (
            *compiled.chunks,
            *(part for chunk in compiled.false_chunks for part in _split_false(chunk, spec, compiled.rule_fields)),
        )
        self._matcher = Matcher([c.definition for c in chunks], label=f"pp-{spec.sha256[:10]}")
        self._reader: Reader | None = None
        """Generated on first use: the command line evaluates one document, through check_facts."""
        short = self._short
        self._strata = [_Stratum() for _ in range(compiled.strata)]
        for rule_id in compiled.always:
            self._strata[spec.strata[rule_id]].always[rule_id] = Truth.TRUE
        self._position = {rule.id: n for n, rule in enumerate(spec.rules)}
        self._details: dict[str, tuple[tuple[str, str], ...]] = {
            rule.id: details
            for rule in spec.rules
            if (
                details := tuple(
                    (short(a.field), detail_fact(a.fact, a.detail)) for a in atoms(rule.condition) if a.detail
                )
            )
        }
        """For each rule testing a detail of the treatment history: (matcher field's short name, name to ask it by)."""
        self._rules = spec.by_id
        self._false_of: dict[str, int] = {}
        self._false: dict[int, tuple[dict[str, tuple[str, ...]], tuple[str, ...], frozenset[str]]] = {}
        for index, chunk in enumerate(chunks):
            rule_of = dict(chunk.fired)  # the catch-all decides no rule
            names = {
                short: tuple(dict.fromkeys(rule_of[name] for name in fired if name in rule_of))
                for short, fired in self._matcher.rules(index).items()
            }
            if chunk.polarity == "T":
                stratum = self._strata[chunk.stratum]
                stratum.true_chunks.append((index, names))
                for rule_id in chunk.rule_ids:
                    stratum.false_by_default[rule_id] = Truth.FALSE
                    for name in compiled.rule_fields[rule_id]:
                        stratum.readers.setdefault(short(name), set()).add(rule_id)
            else:
                self._false[index] = (names, chunk.rule_ids, frozenset(chunk.rule_ids))
                for rule_id in chunk.rule_ids:
                    self._false_of[rule_id] = index
        self._deriving = spec.deriving
        self._derived_at = {name: spec.strata[rules[0].id] for name, rules in self._deriving.items()}
        self._derive_order = [
            [name for name, level in sorted(self._derived_at.items()) if level == s] for s in range(compiled.strata)
        ]
        for stratum in self._strata:
            stratum.base = {**stratum.always, **stratum.false_by_default}
            stratum.fields = frozenset(stratum.readers)
            for name, rules in stratum.readers.items():
                by_ruleset: dict[int, set[str]] = {}
                for rule_id in rules:
                    by_ruleset.setdefault(self._false_of[rule_id], set()).add(rule_id)
                stratum.asks[name] = tuple((index, frozenset(found)) for index, found in sorted(by_ruleset.items()))
        self._reads: dict[str, tuple[frozenset[str], tuple[tuple[str, tuple[str, ...]], ...]]] = {
            rule.id: (
                frozenset(name for name in rule.facts if name not in self._deriving),
                tuple(
                    (name, tuple(source.id for source in self._deriving[name]))
                    for name in rule.facts
                    if name in self._deriving
                ),
            )
            for rule in spec.rules
        }
        """For each rule, the intake facts it reads, and the derived ones with the rules deriving them."""

    def _short(self, name: str) -> str:
        """The short name of a field some rule reads (every such field is tested by a ruleset)."""
        found = self._matcher.short(name)
        if found is None:
            raise EngineError(f"no matcher ruleset tests field {name!r}, which a rule reads")
        return found

    def read(self, data: Any) -> tuple[ClientFacts, Encoded]:
        """Check ``data`` against the vocabulary, flatten and encode it for the matcher.

        The protocol's generated reader (:mod:`engine._reader`) does it in one pass; whatever
        it declines goes through :func:`~engine._facts.check_facts` (which raises
        :class:`~engine._errors.FactsError` naming every problem), the flattener and the encoder.
        """
        reader = self._reader
        if reader is None:
            reader = self._reader = compile_reader(self._spec, self._matcher)
        found = reader(data)
        if found is None:
            facts = check_facts(self._spec, data)
            return facts, self._matcher.encode(self._flatten(facts))
        values, fragments = found
        return ClientFacts(values), self._matcher.wrap(fragments)

    def close(self) -> None:
        """Free the matcher's rulesets now rather than at garbage collection."""
        self._matcher.close()

    @property
    def chunk_count(self) -> int:
        """How many matcher rulesets the protocol was compiled into."""
        return len(self._matcher)

    def evaluate(self, facts: ClientFacts, encoded: Encoded | None = None) -> Outcome:
        """Decide every rule for ``facts`` (true, false or unknown).

        ``encoded``: the facts as :meth:`read` encoded them (flattened and encoded here when not given).
        """
        if encoded is None:
            encoded = self._matcher.encode(self._flatten(facts))
        present = encoded.fragments
        truth: dict[str, Truth] = {}
        derived: dict[str, Any] = {}
        match = self._matcher.match
        unknown: list[str] = []
        true_rules: set[str] = set()
        true = Truth.TRUE
        for level, stratum in enumerate(self._strata):
            yes: set[str] = set()
            for index, names in stratum.true_chunks:
                yes.update(*map(names.__getitem__, match(index, encoded)))
            truth.update(stratum.base)
            truth.update(dict.fromkeys(yes, true))
            true_rules.update(stratum.always, yes)
            missing = stratum.fields.difference(present)
            if missing:
                # Rules reading a missing field, not already true, may be false or unknown: ask their F rails.
                suspects: dict[int, set[str]] = {}
                for name in missing:
                    for index, rules in stratum.asks[name]:
                        found = suspects.get(index)
                        if found is None:
                            suspects[index] = set(rules)
                        else:
                            found |= rules
                for index in sorted(suspects):
                    waiting = suspects[index] - yes
                    if waiting:
                        unknown.extend(self._ask_false(index, encoded, waiting, truth, yes))
            for name in self._derive_order[level]:
                value = self._derive(name, truth)
                if value is not _UNKNOWN:
                    derived[name] = value
                    self._matcher.encode({name: value}, into=encoded)
        unknown.sort(key=self._position.__getitem__)  # protocol order, as callers have always seen it
        values = facts.values
        needs = {rule_id: self._absent(rule_id, values, present, truth, derived) for rule_id in unknown}
        for rule_id, absent in needs.items():
            if not absent:
                raise EngineError(f"rule {rule_id} is unknown although every fact it reads is known")
        return Outcome(truth, derived, needs, frozenset(true_rules))

    def _ask_false(
        self, index: int, encoded: Encoded, pending: set[str], truth: dict[str, Truth], yes: Set[str]
    ) -> set[str]:
        """Fire F ruleset ``index``; settle the pending rules; cross-check every other rule in it.

        The pending rules are false in ``truth`` already (their T rail did not fire); those
        whose F rail does not fire either become unknown, and are returned. ``yes``: the
        rules of the stratum decided true. Every rule of the ruleset that is not pending is
        true or false already: true must not fire its F rail, false must.
        """
        names, members, member_set = self._false[index]
        no: set[str] = set().union(*map(names.__getitem__, self._matcher.match(index, encoded)))
        unknown = pending - no
        if unknown:
            truth.update(dict.fromkeys(unknown, Truth.UNKNOWN))
        # The others must fire their F rail exactly when not true: no true rule in ``no``, and the
        # others in ``no`` as many as the others not true (``no`` and ``pending`` hold members only,
        # ``pending`` no true rule). Counted on the small sets rather than a set algebra on the members.
        if not no.isdisjoint(yes) or len(no) - len(no & pending) != len(member_set) - len(pending) - len(
            member_set.intersection(yes)
        ):
            self._contradiction(members, pending, no, truth)
        return unknown

    @staticmethod
    def _contradiction(members: tuple[str, ...], pending: Set[str], no: Set[str], truth: Mapping[str, Truth]) -> None:
        """Raise for the first rule of ``members`` (in order) that the T and F rails contradict."""
        for rule_id in members:
            if rule_id in pending:
                continue
            if rule_id in no and truth[rule_id] is Truth.TRUE:
                raise EngineError(f"rule {rule_id} was decided both true and false")
            if rule_id not in no and truth[rule_id] is Truth.FALSE:
                raise EngineError(f"rule {rule_id} reads only known facts but was decided neither way")
        raise EngineError("the true and false rails contradict each other")  # pragma: no cover - found above

    def _derive(self, name: str, truth: Mapping[str, Truth]) -> Any:
        """A derived fact's value: the first true rule's, unknown after an unknown one, else the default."""
        for rule in self._deriving[name]:
            outcome = truth[rule.id]
            if outcome is Truth.TRUE:
                return rule.effect.value
            if outcome is Truth.UNKNOWN:
                return _UNKNOWN
        default = self._spec.facts[name].default
        return _UNKNOWN if default is None else default

    def _absent(
        self,
        rule_id: str,
        values: Mapping[str, Any],
        present: Mapping[str, str],
        truth: Mapping[str, Truth],
        derived: Mapping[str, Any],
    ) -> frozenset[str]:
        """The intake facts whose absence leaves rule ``rule_id`` unknown, traced through derived facts.

        ``values``: the client's facts (an absent one is unknown); ``present``: the client's
        encoded fields, by short name.

        A detail of the treatment history that the latest treatment did not record (its
        reaction, say) is named ``previous_treatments.reaction`` (see ``engine._names.detail_fact``).
        """
        intake, via = self._reads[rule_id]
        absent = intake.difference(values)
        details = self._details.get(rule_id)
        if not via and not details:
            return absent  # most rules: only intake facts
        more = set(absent)
        for name, sources in via:
            if name not in derived:
                for source in sources:
                    if truth[source] is Truth.UNKNOWN:
                        more |= self._absent(source, values, present, truth, derived)
        for name, detail in details or ():
            if name not in present and detail.partition(".")[0] in values:
                more.add(detail)  # asked only once the history is known: there may be no such treatment
        return frozenset(more)


_UNKNOWN = object()


_FALSE_PARTS = 8
"""Most rulesets one compiled F ruleset becomes (each costs the matcher memory: some 50 KB)."""


def _split_false(chunk: Chunk, spec: ProtocolSpec, rule_fields: Mapping[str, frozenset[str]]) -> list[Chunk]:
    """F ruleset ``chunk`` as several, by the intake facts (and treatment details) its rules read.

    Rules reading the same facts are grouped; groups, in the order of their sorted fact
    names (rules reading like facts side by side), are joined into at most
    :data:`_FALSE_PARTS` parts. On the shipped protocol and the benchmark population,
    measured as F firings and asks per client: one part 22 and 1.4, at most 8 parts 8.8
    and 3.1, unbounded 4.5 and 3.7; but unbounded, a protocol of 1,000 synthetic rules
    had 588 rulesets and twice the memory.
    A subset of a ruleset's patterns never needs more matcher stack than the whole (the
    stack gauge's need only grows with children), so every part fits where the whole did.
    """
    groups: dict[frozenset[str], list[str]] = {}
    for rule_id in chunk.rule_ids:
        details = {name for name in rule_fields[rule_id] if name.startswith(DETAIL_PREFIX)}
        groups.setdefault(spec.by_id[rule_id].facts | details, []).append(rule_id)
    if len(groups) == 1:
        return [chunk]
    ordered = [groups[key] for key in sorted(groups, key=sorted)]
    size = -(-len(ordered) // _FALSE_PARTS)
    order = {rule_id: n for n, rule_id in enumerate(chunk.rule_ids)}
    parts: list[Chunk] = []
    for start in range(0, len(ordered), size):
        members = sorted((r for group in ordered[start : start + size] for r in group), key=order.__getitem__)
        keep = set(members)
        fired = {name: rule_id for name, rule_id in chunk.fired.items() if rule_id in keep}
        definition = {name: body for name, body in chunk.definition.items() if name == CATCH_ALL or name in fired}
        fields = tuple(sorted(set().union(*(rule_fields[rule_id] for rule_id in members))))
        parts.append(replace(chunk, definition=definition, rule_ids=tuple(members), fields=fields, fired=fired))
    return parts
