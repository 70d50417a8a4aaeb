"""What the planner needs of a protocol, worked out once per load, and each rule's justification.

:class:`PlanTables` holds what depends only on the rules: each rule's position, its
evidence as plan models, the facts it reads in the order a justification lists them, the
catalogue order, and the protocol stamp. :class:`engine._protocol.Protocol` builds it once
and passes it to every plan, so that per client the planner only visits the rules whose
outcome matters.

:class:`Justifier` writes a rule's justification for one client: the rule, the facts it
read with this client's values, its rationale and evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_args

from engine._evaluate import Outcome
from engine._fastmodel import FULL_VALIDATION, Prototype, constructor
from engine._model import AgentUse, RuleKind
from engine._plan_model import Evidence, Exclusion, Justification, MissingFact, Pending, ProtocolStamp, Ranking
from engine._spec import (
    SAFETY_KINDS,
    AftercareEffect,
    ContraindicationEffect,
    Effect,
    ProtocolSpec,
    RequirementEffect,
    Rule,
    SequencingEffect,
    SuitabilityEffect,
)
from engine._step_tables import StepTables

__all__ = [
    "EXCLUSION",
    "KIND_SLOTS",
    "PENDING",
    "RANKING",
    "Governed",
    "Justifier",
    "Parts",
    "PlanTables",
    "Reason",
    "Summed",
    "SummedArguments",
]

if TYPE_CHECKING:  # _agents and _holding import this module: the types only
    from engine._agents import AgentCheck
    from engine._holding import Holding

_new_evidence = constructor(Evidence)
_new_protocol_stamp = constructor(ProtocolStamp)
_JUSTIFICATION = Prototype(
    Justification, ("rule_id", "title", "kind", "severity", "rationale", "evidence"), ("facts", "note")
)
"""A justification: the rule's parts are written once per protocol, the facts and note per client."""
RANKING = Prototype(
    Ranking,
    ("technique", "title", "invasiveness"),
    ("status", "score", "indicated_by", "arguments_for", "arguments_against", "cautions"),
)
"""A ranking row: the technique's parts once per protocol (:attr:`PlanTables.ranking_row`)."""
EXCLUSION = Prototype(Exclusion, ("technique", "title"), ("reasons", "reconsider_from", "advice"))
PENDING = Prototype(Pending, ("technique", "title"), ("missing_facts", "rules"))


@dataclass(frozen=True)
class Reason:
    """A rule that rules a technique out (or asks for its review), and why it applies to that technique.

    ``note`` is set when the rule concerns an agent rather than the technique itself: it
    names the step that would have used the agent. Without a note, every client shares the
    rule's one reason (:attr:`PlanTables.reason`).
    """

    rule: Rule[ContraindicationEffect]
    note: str | None = None


_ID = attrgetter("id")
_LISTED = frozenset({"set", "treatment_history"})
"""Fact types answered with a list (a justification copies it, so as not to share it with ``plan.facts``)."""

KIND_SLOTS: Mapping[RuleKind, int] = {kind: n for n, kind in enumerate(get_args(RuleKind))}
"""Each kind's field in :class:`engine._holding.Holding`, whose fields follow the order of ``RuleKind``."""


class PlanTables:
    """Per-protocol tables for the planner; read-only once built, shared by every plan of the protocol."""

    def __init__(self, spec: ProtocolSpec) -> None:
        self.spec = spec
        self.catalogue: tuple[str, ...] = tuple(spec.techniques)
        self.order: Mapping[str, int] = {t: i for i, t in enumerate(self.catalogue)}
        """Each technique's position in the catalogue (the last tie-break of the ranking)."""
        self.position: Mapping[str, int] = {rule.id: n for n, rule in enumerate(spec.rules)}
        """Each rule's position in the protocol: plans list rules in this order."""
        self.evidence: Mapping[str, tuple[Evidence, ...]] = {
            rule.id: tuple(
                _new_evidence(
                    source=c.source, citation=c.citation, url=c.url, grade=c.grade, facts=c.facts, note=c.note
                )
                for c in spec.citations(rule)
            )
            for rule in spec.rules
        }
        self.sources: Mapping[str, tuple[Rule[Effect], ...]] = {
            rule.id: tuple(source for name in sorted(rule.facts) for source in spec.deriving.get(name, ()))
            for rule in spec.rules
        }
        """For each rule, the rules that derive the facts it reads (mostly none)."""
        self.fact_order: Mapping[str, int] = {name: n for n, name in enumerate(spec.facts)}
        """Each fact's position in the vocabulary (the order questions are asked in, after how much they hold back)."""
        self.facts_read: Mapping[str, tuple[str, ...]] = {rule.id: tuple(sorted(rule.facts)) for rule in spec.rules}
        derivable = {*spec.deriving, *(name for name, fact in spec.facts.items() if fact.derived)}
        self.plain_reads: frozenset[str] = frozenset(
            rule.id
            for rule in spec.rules
            if all(
                name in spec.facts and name not in derivable and spec.facts[name].type not in _LISTED
                for name in rule.facts
            )
        )
        """The rules that read only intake facts answered with a single value (no derived fact,
        nothing answered with a list): a justification lists their values as the client gave them."""
        self.sequencing_of: Mapping[str, Rule[SequencingEffect]] = {r.id: r for r in spec.sequencing}
        self.agent_rule: Mapping[str, Rule[ContraindicationEffect]] = {
            r.id: r for r in spec.contraindications if r.effect.agents
        }
        """Contraindications of agents (not techniques), by id."""
        self.agent_rules: Mapping[str, frozenset[str]] = {
            rule_id: frozenset(agent for name in rule.effect.agents for agent in spec.select_agents(name))
            for rule_id, rule in self.agent_rule.items()
        }
        """For each contraindication of agents, the agent ids it rules out (groups expanded)."""
        """Sequencing rules by id, with their effect type known (an unknown one may still skip a phase)."""
        steps: list[Rule[RequirementEffect] | Rule[AftercareEffect]] = [*spec.requirements, *spec.aftercare]
        self.step_agents: Mapping[str, tuple[tuple[str, ...], tuple[str, ...] | None]] = {
            rule.id: (
                _used(rule.effect.agents),
                None if rule.effect.alternative is None else _used(rule.effect.alternative.agents),
            )
            for rule in steps
        }
        """For each step rule, the agents its step uses and those its alternative uses (``None``: no alternative)."""
        self.arguments: Mapping[str, tuple[int, tuple[str, ...], bool]] = {
            rule.id: (rule.effect.points, rule.techniques, rule.cause_argument) for rule in spec.suitability
        }
        """For each suitability argument: the points it adds, the techniques it argues about, and
        whether it is a cause argument (one that can indicate a technique)."""
        self.holds_back: Mapping[str, frozenset[str]] = {
            rule.id: frozenset(rule.scope or rule.techniques or self.catalogue) for rule in spec.rules
        }
        """The techniques an unknown rule holds back (the more, the sooner its facts are asked for)."""
        self.summed = SummedArguments(spec)
        """What each technique's arguments that hold add up to (the ranking's score and lists)."""
        self.rank_order: tuple[tuple[str, int, int, int, Mapping[int, Summed]], ...] = tuple(
            (t, spec.techniques[t].invasiveness, n, self.summed.mask[t], self.summed.seen[t])
            for n, t in enumerate(self.catalogue)
        )
        """Each technique in catalogue order with its invasiveness and position (the ranking's
        tie-breaks), the bit mask of the arguments about it and what they add up to so far (see
        :class:`SummedArguments`)."""
        self.session_names: Mapping[str, str] = {
            t: f"the sessions of {technique.title}" for t, technique in spec.techniques.items()
        }
        """How a reason names each technique's sessions (e.g. "the sessions of Salicylic acid peel")."""
        self.titles: Mapping[str, str] = {t: technique.title for t, technique in spec.techniques.items()}
        self.reason: Mapping[str, Reason] = {rule.id: Reason(rule) for rule in spec.contraindications}
        """Each contraindication's reason without a note, shared by every technique and client it excludes."""
        self.governed = Governed(spec, self.reason)
        """Which techniques the contraindications that hold and the safety rules left unknown govern."""
        by_kind = sorted(spec.rules, key=lambda rule: (KIND_SLOTS[rule.kind], self.position[rule.id]))
        self.kind_place: Mapping[str, int] = {rule.id: n for n, rule in enumerate(by_kind)}
        """Each rule's place when the rules are grouped by kind, in the order of the fields of
        :class:`engine._holding.Holding`, and each kind in protocol order: sorting a client's
        rules by it sorts them by kind and, within a kind, as the protocol lists them."""
        self.by_kind_place: Mapping[int, Rule[Effect]] = dict(enumerate(by_kind))
        """The rule at each place (a dict rather than a tuple: its look-up maps faster)."""
        self.kind_starts: tuple[int, ...] = tuple(
            next((n for n, rule in enumerate(by_kind) if KIND_SLOTS[rule.kind] >= slot), len(by_kind))
            for slot in range(len(KIND_SLOTS) + 1)
        )
        """The place where each kind's rules start (and, last, the number of rules)."""
        self.justification: Mapping[str, dict[str, Any]] = {
            rule.id: _JUSTIFICATION.template(
                rule_id=rule.id,
                title=rule.spec.title,
                kind=rule.spec.kind,
                severity=rule.spec.severity,
                rationale=rule.spec.rationale,
                evidence=self.evidence[rule.id],
            )
            for rule in spec.rules
        }
        """What every justification of a rule says whatever the client: all but the facts and the note."""
        self.writing: Mapping[str, tuple[dict[str, Any], tuple[str, ...], bool]] = {
            rule.id: (self.justification[rule.id], self.facts_read[rule.id], rule.id in self.plain_reads)
            for rule in spec.rules
        }
        """For :class:`Justifier`, each rule's justification template, the facts it reads and
        whether they are all plain intake facts (:attr:`plain_reads`), in one look-up."""
        self.ranking_row: Mapping[str, dict[str, Any]] = {
            t: RANKING.template(technique=t, title=technique.title, invasiveness=technique.invasiveness)
            for t, technique in spec.techniques.items()
        }
        self.rankings: Parts[tuple[Any, ...], Ranking] = Parts(4096)
        """Ranking parts made so far, by their :class:`engine._decide.RankRow` (about 1.2 kB each
        with its row: at most some 5 MB; 53% of the benchmark population's rows are found)."""
        self.pendings: Parts[tuple[str, tuple[str, ...], tuple[str, ...]], Pending] = Parts(2048)
        """Pending parts made so far, by technique, missing facts and rules."""
        self.missing: Parts[tuple[str, tuple[str, ...]], MissingFact] = Parts(2048)
        """Missing-fact parts made so far, by fact and the rules that need it."""
        self.exclusion: Mapping[str, dict[str, Any]] = {
            t: EXCLUSION.template(technique=t, title=technique.title) for t, technique in spec.techniques.items()
        }
        self.pending: Mapping[str, dict[str, Any]] = {
            t: PENDING.template(technique=t, title=technique.title) for t, technique in spec.techniques.items()
        }
        self.agent_checks: dict[tuple[int, int], AgentCheck] = {}
        """The agent checks made so far, by the agent rules that hold and those unknown (see :meth:`AgentCheck.of`)."""
        self.steps = StepTables(spec)
        """What each step says whatever the client (see :mod:`engine._step_tables`)."""
        self.stamp = _new_protocol_stamp(
            id=spec.manifest.id,
            title=spec.manifest.title,
            version=spec.manifest.version,
            status=spec.manifest.status,
            sha256=spec.sha256,
        )


K = TypeVar("K")
P = TypeVar("P")


class Parts(Generic[K, P]):
    """Plan parts that hold only strings, numbers and tuples of them, remembered by what they are made of.

    Such a part can be in any number of plans (nothing in it can change), and many repeat
    between clients (a ranking row, a pending technique, a question): one made for a client
    is reused for the next who needs the same. The first ``limit`` are remembered, and no
    more: the common parts are met early, and a full memory that kept changing would miss
    more often (measured on the ranking rows of 2,000 generated clients, at 4,096: 53% found
    against 36% when the memory is emptied as it fills). None under
    :data:`engine._fastmodel.FULL_VALIDATION`, where every part is validated as it is made.
    """

    def __init__(self, limit: int) -> None:
        self._made: dict[K, P] = {}
        self._limit = limit
        self.get = self._made.get
        """The part made for ``key``, if it is remembered (else ``None``)."""

    def keep(self, key: K, part: P) -> P:
        """Remember ``part`` for ``key``, and return it."""
        if not FULL_VALIDATION and len(self._made) < self._limit:
            self._made[key] = part
        return part

    def __len__(self) -> int:
        return len(self._made)


class Governed:
    """The techniques each contraindication and unknown safety rule governs, as bit masks.

    Each contraindication has a bit (:attr:`contraindication`), and so has each safety rule
    (:attr:`safety`), in protocol order; each technique has the masks of the absolute and
    relative contraindications and the safety rules that govern it (:attr:`techniques`). For a
    client, the rules that hold (or are unknown) are a mask too, and what excludes, cautions or
    holds back a technique is that mask and the technique's: its reasons (:meth:`reasons`) and
    rule ids (:meth:`rule_ids`) are worked out the first time a mask is seen and remembered.
    Per client that is a few operations per technique, instead of a step per technique each
    rule governs.
    """

    _MAX_REMEMBERED = 20_000

    def __init__(self, spec: ProtocolSpec, reason: Mapping[str, Reason]) -> None:
        position = {rule.id: n for n, rule in enumerate(spec.rules)}  # the order the planner meets them in
        contraindications = sorted(spec.contraindications, key=lambda rule: position[rule.id])
        safety = [rule for rule in spec.rules if rule.kind in SAFETY_KINDS]
        self.contraindication: Mapping[str, int] = {rule.id: 1 << n for n, rule in enumerate(contraindications)}
        self.safety: Mapping[str, int] = {rule.id: 1 << n for n, rule in enumerate(safety)}
        self._reason_of_bit = {self.contraindication[rule.id]: reason[rule.id] for rule in contraindications}
        self._id_of_bit = {bit: rule_id for rule_id, bit in self.safety.items()}
        self.techniques: tuple[tuple[str, int, int, int], ...] = tuple(
            (
                t,
                sum(self.contraindication[r.id] for r in contraindications if r.effect.absolute and t in r.scope),
                sum(self.contraindication[r.id] for r in contraindications if not r.effect.absolute and t in r.scope),
                sum(self.safety[r.id] for r in safety if t in r.scope),
            )
            for t in spec.techniques
        )
        """Each technique in catalogue order, with the masks of its absolute contraindications,
        its relative ones and the safety rules that govern it."""
        agent_rules = [rule for rule in contraindications if rule.effect.agents]
        self.agent_contraindications: int = sum(self.contraindication[rule.id] for rule in agent_rules)
        """The contraindications of agents (not techniques), as a mask of :attr:`contraindication`."""
        self.agent_safety: int = sum(self.safety[rule.id] for rule in agent_rules)
        """The same, as a mask of :attr:`safety`."""
        self._reasons_of: dict[int, tuple[Reason, ...]] = {}
        self._ids_of: dict[int, frozenset[str]] = {}
        self.reasons_of: Mapping[int, tuple[Reason, ...]] = self._reasons_of
        """The reasons worked out so far, by mask (never empty: a look-up may stand for :meth:`reasons`)."""
        self.rule_ids_of: Mapping[int, frozenset[str]] = self._ids_of
        """The rule ids worked out so far, by mask (never empty)."""

    def masks(self, rules: Holding) -> tuple[int, int]:
        """The contraindications that hold and the safety rules left unknown, as masks."""
        held = 0
        bit = self.contraindication
        for contra in rules.contraindications:
            held |= bit[contra.id]
        unsure = 0
        bit = self.safety
        for rule in rules.unknown:
            unsure |= bit.get(rule.id, 0)
        return held, unsure

    def reasons(self, mask: int) -> tuple[Reason, ...]:
        """The reasons of the contraindications in ``mask``, in protocol order."""
        found = self._reasons_of.get(mask)
        if found is None:
            if len(self._reasons_of) >= self._MAX_REMEMBERED:
                self._reasons_of.clear()
            found = self._reasons_of[mask] = tuple(map(self._reason_of_bit.__getitem__, _bits(mask)))
        return found

    def rule_ids(self, mask: int) -> frozenset[str]:
        """The ids of the safety rules in ``mask``."""
        found = self._ids_of.get(mask)
        if found is None:
            if len(self._ids_of) >= self._MAX_REMEMBERED:
                self._ids_of.clear()
            found = self._ids_of[mask] = frozenset(map(self._id_of_bit.__getitem__, _bits(mask)))
        return found


def _bits(mask: int) -> list[int]:
    """The bits set in ``mask``, lowest first (a rule's bit follows its place in the protocol)."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low)
        mask ^= low
    return out


Summed = tuple[int, tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""A technique's score and the ids of its cause arguments, arguments for and arguments against that hold."""


class SummedArguments:
    """The suitability arguments about each technique, and what those of them that hold add up to.

    A client's arguments that hold are a bit mask (:meth:`held`); what the ones about a
    technique add up to, in protocol order, is worked out the first time that combination
    is seen and remembered. A technique has a handful of arguments, so the combinations are
    few whatever the number of clients (and the memory is bounded all the same); per client
    the ranking is a look-up per technique instead of a walk over every argument.
    """

    _MAX_REMEMBERED = 10_000
    """Masks remembered per technique."""

    def __init__(self, spec: ProtocolSpec) -> None:
        self.bit: Mapping[str, int] = {rule.id: 1 << n for n, rule in enumerate(spec.suitability)}
        about: dict[str, list[Rule[SuitabilityEffect]]] = {t: [] for t in spec.techniques}
        for rule in spec.suitability:  # protocol order: the plan lists arguments in it
            for technique in rule.techniques:
                about[technique].append(rule)
        self._about = about
        self.mask: Mapping[str, int] = {t: sum({self.bit[r.id] for r in rules}) for t, rules in about.items()}
        """Each technique's arguments, as a bit mask."""
        self._seen: dict[str, dict[int, Summed]] = {t: {} for t in about}
        self.seen: Mapping[str, Mapping[int, Summed]] = self._seen
        """For each technique, what each mask of its arguments that hold adds up to, so far: the
        ranking looks a technique up here first and calls this object only for a mask not seen yet."""

    def held(self, rules: Iterable[Rule[SuitabilityEffect]]) -> int:
        """The bit mask of the arguments that hold (``rules``: those of one client)."""
        return sum(map(self.bit.__getitem__, map(_ID, rules)))  # distinct bits: the sum is their union

    def __call__(self, technique: str, held: int) -> Summed:
        """What the arguments about ``technique`` among ``held`` add up to."""
        held &= self.mask[technique]
        seen = self._seen[technique]
        found = seen.get(held)
        if found is None:
            if len(seen) >= self._MAX_REMEMBERED:
                seen.clear()
            found = seen[held] = self._sum(technique, held)
        return found

    def _sum(self, technique: str, held: int) -> Summed:
        score = 0
        causes: list[str] = []
        pros: list[str] = []
        cons: list[str] = []
        for rule in self._about[technique]:
            if held & self.bit[rule.id]:
                points = rule.effect.points
                (pros if points > 0 else cons).append(rule.id)
                score += points
                if rule.cause_argument:
                    causes.append(rule.id)
        return score, tuple(causes), tuple(pros), tuple(cons)


def _used(agents: Iterable[AgentUse]) -> tuple[str, ...]:
    """The agents a step uses (those it only pauses are never checked against the client)."""
    return tuple(use.agent for use in agents if use.role == "uses")


class Justifier:
    """Writes justifications for one client's plan, one object per rule and note.

    Holds state: the justifications already written, so that a contraindication that
    excludes several techniques is cited under each with one shared object.
    """

    def __init__(self, tables: PlanTables, supplied: Mapping[str, Any], outcome: Outcome) -> None:
        self._writing = tables.writing
        self._supplied = supplied
        self._derived = outcome.derived
        self._written: dict[tuple[str, str | None], Justification] = {}

    def __call__(self, rule: Rule[Effect], note: str | None = None) -> Justification:
        """The rule's justification for this client, with ``note`` when the plan qualifies it."""
        key = (rule.id, note)
        found = self._written.get(key)
        if found is not None:
            return found
        template, names, plain = self._writing[rule.id]
        supplied = self._supplied
        facts: dict[str, Any]
        if plain:  # most rules: their values as given, in the order read
            if len(names) == 1:  # most of those read one fact (no comprehension to call)
                facts = {names[0]: supplied.get(names[0], "unknown")}
            else:
                get = supplied.get
                facts = {name: get(name, "unknown") for name in names}
        else:
            derived = self._derived
            facts = {}
            for name in names:
                if name in derived:
                    facts[name] = derived[name]
                else:
                    value = supplied.get(name, "unknown")
                    facts[name] = value[:] if type(value) is list else value  # not shared with plan.facts
        found = self._written[key] = _JUSTIFICATION.build(template, facts=facts, note=note)
        return found
