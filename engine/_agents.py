"""Check every step's agents against the client: keep the step, replace it, drop it, or rule the technique out.

Steps name the agents they use (hydroquinone in priming, an antiviral in prophylaxis,
salicylic acid in a peel session) and those they ask the client to pause. Contraindication
rules can rule out agents as well as techniques (``then: {agents: [...]}``). For one
client, each step that would be in a plan gets a :class:`StepFate`:

* ``keep``: none of the agents it uses is contraindicated (a relative contraindication of
  one of them is a caution on the technique);
* ``alternative``: one is, and the step's declared alternative uses none that is;
* ``drop``: one is, there is no usable alternative, and the step is optional;
* ``blocked``: one is absolutely contraindicated, there is no usable alternative, and the
  step is required: the technique cannot go ahead, and the plan names the rule;
* ``undecided``: the same, but the contraindication is unknown (a fact is missing): fail
  closed, the technique is pending until it is answered.

Agents a step only pauses (``role: withholds``) are never checked: pausing is always safe.
A technique's own session agents are a required step without an alternative.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from engine._holding import Holding
from engine._plan_tables import PlanTables
from engine._spec import AftercareEffect, ContraindicationEffect, RequirementEffect, Rule

__all__ = ["KEEP", "AgentCheck", "Fate", "StepFate"]

Fate = Literal["keep", "alternative", "drop", "blocked", "undecided"]


@dataclass(frozen=True)
class StepFate:
    """What becomes of one step for this client, and the agent contraindications behind it."""

    fate: Fate
    because: tuple[Rule[ContraindicationEffect], ...] = ()
    """The agent contraindications that hold and made the step change (none for ``keep``)."""
    agents: tuple[str, ...] = ()
    """The agents the step uses that are contraindicated or undecided."""
    cautions: tuple[Rule[ContraindicationEffect], ...] = ()
    """Relative contraindications of agents the step (as planned) uses: the technique needs review."""
    unsure: tuple[Rule[ContraindicationEffect], ...] = ()
    """The agent contraindications that are unknown (a fact is missing) and, failing closed, made
    the step change too: never the reason for an exclusion, which only a rule that holds can give."""


KEEP = _KEEP = StepFate("keep")
"""The fate of a step none of whose agents is in question: it stays as it is."""


class AgentCheck:
    """The agents ruled out, cautioned or undecided for a client, and the fate of each step.

    Holds which agent contraindication rules hold (absolute or relative) and which are
    unknown, by agent, and the fates already worked out, by step rule. Everything it holds
    follows from those rules alone, so clients for whom the same ones hold share one check
    (:meth:`of`): its fates are worked out once, not once per client. There are few such
    combinations (a protocol has a handful of agent contraindications).
    """

    _MAX_SHARED = 4096
    """Checks remembered per protocol (combinations of agent rules that hold or are unknown)."""

    @classmethod
    def of(cls, tables: PlanTables, rules: Holding, masks: tuple[int, int] | None = None) -> AgentCheck:
        """The check for the agent rules that hold for a client, shared with every client for whom the same hold.

        :param masks: the contraindications that hold and the safety rules left unknown, as the
            masks of :class:`engine._plan_tables.Governed` (worked out from ``rules`` when not given).
        """
        governed = tables.governed
        if masks is None:
            held, unsure = governed.masks(rules)
        else:
            held, unsure = masks
        key = (held & governed.agent_contraindications, unsure & governed.agent_safety)
        shared = tables.agent_checks
        found = shared.get(key)
        if found is None:
            if len(shared) >= cls._MAX_SHARED:
                shared.clear()
            found = shared[key] = cls(tables, rules)
        return found

    def __init__(self, tables: PlanTables, rules: Holding) -> None:
        self._tables = tables
        self.absolute: dict[str, list[Rule[ContraindicationEffect]]] = {}
        self.relative: dict[str, list[Rule[ContraindicationEffect]]] = {}
        self.unknown: dict[str, list[Rule[ContraindicationEffect]]] = {}
        agent_rules = tables.agent_rules
        for rule in rules.contraindications:
            if rule.id in agent_rules:
                target = self.absolute if rule.effect.absolute else self.relative
                for agent in agent_rules[rule.id]:
                    target.setdefault(agent, []).append(rule)
        for unknown in rules.unknown:
            if unknown.id in agent_rules:
                typed = tables.agent_rule[unknown.id]
                for agent in agent_rules[unknown.id]:
                    self.unknown.setdefault(agent, []).append(typed)
        self._fates: dict[str, StepFate] = {}
        self._affected = frozenset((*self.absolute, *self.relative, *self.unknown))
        """Every agent contraindicated, cautioned or undecided: a step that uses none of them is kept as it is."""
        self.memo: dict[tuple[str, ...], Any] = {}
        """For :mod:`engine._decide`: what the steps whose fate tells (by rule ids) do to each technique."""
        self._telling: tuple[Rule[RequirementEffect] | Rule[AftercareEffect], ...] | None = None

    @property
    def telling(self) -> tuple[Rule[RequirementEffect] | Rule[AftercareEffect], ...]:
        """The protocol's step rules whose fate tells: blocked, undecided or cautioned (requirements, then aftercare).

        Worked out once per check, for every step rule of the protocol, since a step's fate
        depends only on the check: per client :mod:`engine._decide` then only asks which of
        these few hold, rather than the fate of each step that holds.
        """
        found = self._telling
        if found is None:
            spec = self._tables.spec
            steps: list[Rule[RequirementEffect] | Rule[AftercareEffect]] = [*spec.requirements, *spec.aftercare]
            found = self._telling = tuple(
                rule for rule in steps if (fate := self.step(rule)).fate in ("blocked", "undecided") or fate.cautions
            )
        return found

    @property
    def active(self) -> bool:
        """Whether any agent is contraindicated, cautioned or undecided for this client (else every step stays)."""
        return bool(self._affected)

    def _judge(self, uses: Iterable[str]) -> tuple[list[str], list[str], list[Rule[ContraindicationEffect]]]:
        """(agents ruled out, agents undecided, relative rules) among ``uses``."""
        blocked, undecided, cautions = [], [], []
        for agent in uses:
            if agent in self.absolute:
                blocked.append(agent)
            elif agent in self.unknown:
                undecided.append(agent)
            elif agent in self.relative:
                cautions.extend(self.relative[agent])
        return blocked, undecided, cautions

    def _rules(
        self, agents: Iterable[str], by_agent: dict[str, list[Rule[ContraindicationEffect]]]
    ) -> tuple[Rule[ContraindicationEffect], ...]:
        found: dict[str, Rule[ContraindicationEffect]] = {}
        for agent in agents:
            for rule in by_agent.get(agent, ()):
                found.setdefault(rule.id, rule)
        return tuple(sorted(found.values(), key=lambda r: r.id))

    def step(self, rule: Rule[RequirementEffect] | Rule[AftercareEffect]) -> StepFate:
        """The fate of a step rule that holds for this client (the same for every technique)."""
        affected = self._affected
        if not affected:
            return _KEEP
        found = self._fates.get(rule.id)
        if found is None:
            used, alternative = self._tables.step_agents[rule.id]
            # A step none of whose agents is in question stays as it is, whatever its alternative.
            found = _KEEP if affected.isdisjoint(used) else self._fate(used, rule.effect.required, alternative)
            self._fates[rule.id] = found
        return found

    def session(self, technique: str) -> StepFate:
        """The fate of a technique's sessions: their agents are required and have no alternative."""
        uses = self._tables.spec.techniques[technique].agents
        if self._affected.isdisjoint(uses):
            return _KEEP
        return self._fate(uses, True, None)

    def _fate(self, uses: Iterable[str], required: bool, alternative: Iterable[str] | None) -> StepFate:
        blocked, undecided, cautions = self._judge(uses)
        if not blocked and not undecided:
            return StepFate("keep", cautions=_unique(cautions)) if cautions else _KEEP
        because = self._rules(blocked, self.absolute)
        unsure = self._rules(undecided, self.unknown)
        agents = tuple(sorted({*blocked, *undecided}))
        if alternative is not None:
            alt_blocked, alt_undecided, alt_cautions = self._judge(alternative)
            if not alt_blocked and not alt_undecided:
                return StepFate("alternative", because, agents, _unique(alt_cautions), unsure)
        if not required:
            return StepFate("drop", because, agents, unsure=unsure)
        if blocked:
            return StepFate("blocked", because, tuple(sorted(set(blocked))), unsure=unsure)
        return StepFate("undecided", (), agents, unsure=unsure)


def _unique(rules: Iterable[Rule[ContraindicationEffect]]) -> tuple[Rule[ContraindicationEffect], ...]:
    return tuple({rule.id: rule for rule in sorted(rules, key=lambda r: r.id)}.values())
