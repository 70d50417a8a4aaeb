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
from typing import Any

from engine._evaluate import Outcome
from engine._fastmodel import constructor
from engine._model import AgentUse
from engine._plan_model import Evidence, Justification, ProtocolStamp
from engine._spec import (
    AftercareEffect,
    ContraindicationEffect,
    Effect,
    ProtocolSpec,
    RequirementEffect,
    Rule,
    SequencingEffect,
)

__all__ = ["Justifier", "PlanTables"]

_new_evidence = constructor(Evidence)
_new_justification = constructor(Justification)
_new_protocol_stamp = constructor(ProtocolStamp)


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
        self.fact_order: Mapping[str, int] = {name: n for n, name in enumerate(spec.facts)}
        """Each fact's position in the vocabulary (the order questions are asked in, after how much they hold back)."""
        self.facts_read: Mapping[str, tuple[str, ...]] = {rule.id: tuple(sorted(rule.facts)) for rule in spec.rules}
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
        self.rank_order: tuple[tuple[str, int, int], ...] = tuple(
            (t, spec.techniques[t].invasiveness, n) for n, t in enumerate(self.catalogue)
        )
        """Each technique in catalogue order with its invasiveness and position (the ranking's tie-breaks)."""
        self.session_names: Mapping[str, str] = {
            t: f"the sessions of {technique.title}" for t, technique in spec.techniques.items()
        }
        """How a reason names each technique's sessions (e.g. "the sessions of Salicylic acid peel")."""
        self.stamp = _new_protocol_stamp(
            id=spec.manifest.id,
            title=spec.manifest.title,
            version=spec.manifest.version,
            status=spec.manifest.status,
            sha256=spec.sha256,
        )


def _used(agents: Iterable[AgentUse]) -> tuple[str, ...]:
    """The agents a step uses (those it only pauses are never checked against the client)."""
    return tuple(use.agent for use in agents if use.role == "uses")


class Justifier:
    """Writes justifications for one client's plan, one object per rule and note.

    Holds state: the justifications already written, so that a contraindication that
    excludes several techniques is cited under each with one shared object.
    """

    def __init__(self, tables: PlanTables, supplied: Mapping[str, Any], outcome: Outcome) -> None:
        self._tables = tables
        self._supplied = supplied
        self._derived = outcome.derived
        self._written: dict[tuple[str, str | None], Justification] = {}

    def __call__(self, rule: Rule[Effect], note: str | None = None) -> Justification:
        """The rule's justification for this client, with ``note`` when the plan qualifies it."""
        key = (rule.id, note)
        found = self._written.get(key)
        if found is None:
            found = self._written[key] = self._write(rule, note)
        return found

    def _write(self, rule: Rule[Effect], note: str | None) -> Justification:
        derived = self._derived
        supplied = self._supplied
        facts: dict[str, Any] = {}
        for name in self._tables.facts_read[rule.id]:
            if name in derived:
                facts[name] = derived[name]
            else:
                value = supplied.get(name, "unknown")
                facts[name] = value[:] if isinstance(value, list) else value  # not shared with plan.facts
        spec = rule.spec
        return _new_justification(
            rule_id=rule.id,
            title=spec.title,
            kind=spec.kind,
            severity=spec.severity,
            facts=facts,
            rationale=spec.rationale,
            evidence=self._tables.evidence[rule.id],
            note=note,
        )
