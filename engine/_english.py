"""Say what a rule does in plain English, from its parsed condition and typed effect (never from YAML).

The validator compiles the shorthand of the rule language into a small tree (``one_of``
becomes an ``any`` of equalities, ``between`` an ``all`` of two bounds, and so on). This
module recognises those shapes again so that a reviewer reads "Skin type is oily or
combination" rather than a nest of tests, and names techniques by their catalogue titles
and facts by their intake labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine._model import AgentUse, FactSpec, StepAlternative, WaitSpec
from engine._spec import (
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

__all__ = [
    "Line",
    "condition_lines",
    "condition_text",
    "effect_text",
    "selector_text",
    "techniques_text",
    "treatment_text",
]

_WORDS = {"eq": "is", "ne": "is not", "ge": "is at least", "le": "is at most", "gt": "is above", "lt": "is below"}
_PHASE = {
    "consultation": "consultation",
    "preparation": "preparation",
    "pre_treatment": "pre-treatment",
    "exfoliation": "exfoliation",
    "treatment": "treatment",
    "aftercare": "aftercare",
    "follow_up": "follow-up",
}


@dataclass(frozen=True)
class Line:
    """One line of a condition laid out as an indented list."""

    depth: int
    text: str


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


def _either(values: Sequence[str], joiner: str = "or") -> str:
    if len(values) == 1:
        return values[0]
    return ", ".join(values[:-1]) + f" {joiner} " + values[-1]


def selector_text(selector: str, spec: ProtocolSpec) -> str:
    """``peel.*`` -> "any peel"; ``all`` -> "any technique"; an id -> its catalogue title."""
    if selector == "all":
        return "any technique"
    if selector.endswith(".*"):
        return f"any {selector[:-2].replace('_', ' ')}"
    technique = spec.techniques.get(selector)
    return technique.title if technique else selector


def techniques_text(rule: Rule[Effect], spec: ProtocolSpec) -> str:
    """The techniques a rule applies to, as written (families and ``all`` kept) and resolved."""
    selectors = rule.spec.applies_to
    if not selectors:
        return "every technique" if rule.kind != "derived" else "no technique (it works out a fact)"
    if selectors == ("all",):
        return "every technique"
    parts = []
    for selector in selectors:
        if selector.endswith(".*"):
            family = selector[:-2]
            titles = [spec.techniques[t].title for t in spec.select(selector)]
            parts.append(f"every {family.replace('_', ' ')} ({', '.join(titles)})")
        elif selector == "all":
            parts.append("every technique")
        else:
            parts.append(selector_text(selector, spec))
    return _either(parts, "and")


class _Phrases:
    """Phrases for the conditions of one protocol; holds only the spec, to name facts by their labels."""

    def __init__(self, spec: ProtocolSpec) -> None:
        self.spec = spec

    def fact(self, name: str) -> FactSpec | None:
        """The vocabulary entry of ``name`` (None for a name the vocabulary lacks, e.g. in lint)."""
        return self.spec.facts.get(name)

    def label(self, name: str) -> str:
        """The intake form's label of ``name``, or the name itself."""
        fact = self.fact(name)
        return fact.label if fact else name

    def atom(self, atom: Atom) -> str:
        """One test in words: "Fitzpatrick skin type is at least 4"."""
        fact = self.fact(atom.fact)
        if atom.fact == PREVIOUS_TREATMENTS and atom.detail is not None:
            what = treatment_text(atom.selector or "all", self.spec, "the last")
            return f"the {atom.detail} recorded for {what} was {_value(atom.value)}"
        if atom.fact == PREVIOUS_TREATMENTS and atom.op == "within":
            selector = atom.selector
            what = treatment_text(selector, self.spec) if selector else "a treatment"
            return f"the client had {what} less than {atom.value} before the assessment"
        if fact is None:
            return atom.text
        label = fact.label
        if fact.type == "set" and atom.field != atom.fact:
            member = atom.member
            return f"{label} include {_value(member)}" if atom.value else f"{label} do not include {_value(member)}"
        if fact.type == "date" and atom.op == "within":
            return f"{label} was less than {atom.value} before the assessment"
        if fact.type == "boolean" and atom.op in ("eq", "ne"):
            yes = bool(atom.value) == (atom.op == "eq")
            return f"{label}: {'yes' if yes else 'no'}"
        unit = f" {fact.unit}" if fact.unit and " " not in fact.unit and fact.type == "integer" else ""
        return f"{label} {_WORDS.get(atom.op, atom.op)} {_value(atom.value)}{unit}"

    def grouped(self, condition: Condition) -> str | None:
        """Recognise the shapes the validator builds for one_of, none_of, between, includes_any/all."""
        if not isinstance(condition, AllOf | AnyOf) or not condition.items:
            return None
        items = condition.items
        if not all(isinstance(i, Atom) for i in items):
            return None
        atoms = [i for i in items if isinstance(i, Atom)]
        facts = {a.fact for a in atoms}
        if len(facts) != 1:
            return None
        fact = self.fact(atoms[0].fact)
        if fact is None:
            return None
        label = fact.label
        ops = {a.op for a in atoms}
        if fact.type == "set" and ops == {"eq"} and all(a.value is True for a in atoms):
            members = [_value(a.member) for a in atoms]
            joiner = "or" if isinstance(condition, AnyOf) else "and"
            return f"{label} include {_either(members, joiner)}"
        if isinstance(condition, AnyOf) and ops == {"eq"} and fact.type in ("enum", "integer"):
            return f"{label} is {_either([_value(a.value) for a in atoms])}"
        if isinstance(condition, AllOf) and ops == {"ne"} and fact.type in ("enum", "integer"):
            return f"{label} is neither {_either([_value(a.value) for a in atoms], 'nor')}"
        if isinstance(condition, AllOf) and len(atoms) == 2 and [a.op for a in atoms] == ["ge", "le"]:
            unit = f" {fact.unit}" if fact.unit and " " not in fact.unit else ""
            return f"{label} is between {atoms[0].value} and {atoms[1].value}{unit}"
        return None

    def inline(self, condition: Condition, nested: bool = False) -> str:
        """The condition on one line; nested groups in parentheses."""
        if isinstance(condition, Atom):
            return self.atom(condition)
        if isinstance(condition, Always):
            return "always"
        grouped = self.grouped(condition)
        if grouped is not None:
            return grouped
        if isinstance(condition, NotOf):
            return f"not ({self.inline(condition.item)})"
        assert isinstance(condition, AllOf | AnyOf)
        joiner = " and " if isinstance(condition, AllOf) else " or "
        text = joiner.join(self.inline(item, nested=True) for item in condition.items)
        return f"({text})" if nested else text

    def lines(self, condition: Condition, depth: int) -> list[Line]:
        """The condition as an indented list, one sentence per test or group."""
        if isinstance(condition, Always):
            return [Line(depth, "Always (the rule has no condition).")]
        grouped = self.grouped(condition) if not isinstance(condition, Atom) else None
        if isinstance(condition, Atom) or grouped is not None:
            return [Line(depth, _sentence(grouped or self.inline(condition)))]
        if isinstance(condition, NotOf):
            inner = condition.item
            if isinstance(inner, AnyOf) and self.grouped(inner) is None:
                out = [Line(depth, "None of the following:")]
                for item in inner.items:
                    out.extend(self.lines(item, depth + 1))
                return out
            out = [Line(depth, "It is not the case that:")]
            out.extend(self.lines(inner, depth + 1))
            return out
        assert isinstance(condition, AllOf | AnyOf)
        head = "All of the following:" if isinstance(condition, AllOf) else "Any of the following:"
        out = [Line(depth, head)]
        for item in condition.items:
            out.extend(self.lines(item, depth + 1))
        return out


def treatment_text(selector: str, spec: ProtocolSpec, article: str = "a") -> str:
    """A treatment named by a selector: "a peel treatment", "any treatment", "a Glycolic acid peel".

    :param article: ``a`` (the default), or any other word to put in front ("the last", "previous"),
        or an empty string for the bare words ("peel treatment", "treatment of any kind").
    """
    if selector == "all":
        if article == "a":
            return "any treatment"
        words = "treatment of any kind"
    elif selector.endswith(".*"):
        words = f"{selector[:-2].replace('_', ' ')} treatment"
    else:
        technique = spec.techniques.get(selector)
        words = technique.title if technique else selector
    if article == "a":
        return ("an " if words[:1].lower() in "aeiou" else "a ") + words
    return f"{article} {words}".strip()


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def condition_text(condition: Condition, spec: ProtocolSpec) -> str:
    """The condition on one line, e.g. ``Fitzpatrick skin type is at least 4 or Melasma: yes``."""
    return _Phrases(spec).inline(condition)


def condition_lines(condition: Condition, spec: ProtocolSpec) -> list[Line]:
    """The condition as an indented list of sentences, for the rulebook."""
    return _Phrases(spec).lines(condition, 0)


def _wait(wait: WaitSpec, spec: ProtocolSpec) -> str:
    if wait.after is not None:
        fact = spec.facts.get(wait.after)
        label = fact.label if fact else wait.after
        return f"{wait.period} after the {label[:1].lower()}{label[1:]}"
    assert wait.after_previous is not None
    return f"{wait.period} after the most recent {treatment_text(wait.after_previous, spec, '')}"


def agents_text(selector: str, spec: ProtocolSpec) -> str:
    """An agent by its catalogue title, or a group of agents with their titles."""
    agent = spec.agents.get(selector)
    if agent is not None:
        return agent.title
    members = [spec.agents[a].title for a in spec.select_agents(selector)]
    return f"{selector.replace('_', ' ')} ({', '.join(members)})" if members else selector


def _use_text(use: AgentUse, spec: ProtocolSpec) -> str:
    verb = "uses" if use.role == "uses" else "pauses"
    span = " ".join(
        part for part in (f"from {use.start}" if use.start else "", f"until {use.until}" if use.until else "") if part
    )
    return f"{verb} {agents_text(use.agent, spec)}" + (f" {span}" if span else "")


def _step_agents(
    uses: tuple[AgentUse, ...], required: bool, alternative: StepAlternative | None, spec: ProtocolSpec
) -> str:
    """The agents a step names, its alternative, and whether a plan may leave it out."""
    text = ""
    if uses:
        text += " The step " + _either([_use_text(u, spec) for u in uses], "and") + "."
    if alternative is not None:
        text += f" If an agent it uses is ruled out for the client: \u201c{alternative.step}\u201d"
        if alternative.agents:
            text += " (" + _either([_use_text(u, spec) for u in alternative.agents], "and") + ")"
        text += "."
    if not required:
        text += " Optional: left out when an agent it uses is ruled out and there is no alternative."
    return text


def effect_text(rule: Rule[Effect], spec: ProtocolSpec) -> str:
    """What happens when the rule holds, in one or two sentences."""
    effect = rule.effect
    targets = techniques_text(rule, spec)
    if isinstance(effect, DerivedEffect):
        fact = spec.facts.get(effect.fact)
        label = fact.label if fact else effect.fact
        default = fact.default if fact else None
        text = f"{label} is set to {_value(effect.value)} (priority {rule.spec.priority}; the first true rule wins"
        text += f", otherwise it is {_value(default)})." if default is not None else ")."
        return text
    if isinstance(effect, ContraindicationEffect):
        if effect.agents:
            named = _either([agents_text(a, spec) for a in effect.agents], "and")
            if effect.level == "absolute":
                text = (
                    f"Rules out {named} in every step: a step that uses one switches to its alternative, "
                    "or is left out if optional; a required one with no alternative excludes its technique."
                )
            else:
                text = f"Allows steps that use {named} only after a practitioner's review (a caution)."
        elif effect.level == "absolute":
            text = f"Excludes {targets}."
        else:
            text = f"Allows {targets} only after a practitioner's review (a caution)."
        if effect.wait is not None:
            text += f" The exclusion may be reconsidered {_wait(effect.wait, spec)}."
        if effect.advice:
            text += f" Advice: {_sentence(effect.advice)}"
        return text
    if isinstance(effect, SuitabilityEffect):
        return f"A {effect.strength} argument {effect.argument} {targets} ({effect.points:+d} to its score)."
    if isinstance(effect, RequirementEffect):
        text = f"Adds the {_PHASE[effect.phase]} step \u201c{effect.step}\u201d"
        text += f" for {targets}: {_sentence(effect.instructions)}"
        if effect.lead_time is not None:
            text += f" It must start at least {effect.lead_time} before the first session."
        if effect.ready_after is not None:
            text += f" The first session may not be earlier than {_wait(effect.ready_after, spec)}."
        if effect.after_last_session is not None:
            text += f" It takes place {effect.after_last_session} after the last session."
        if effect.after_each_session is not None:
            text += f" It takes place {effect.after_each_session} after each session."
        return text + _step_agents(effect.agents, effect.required, effect.alternative, spec)
    if isinstance(effect, SequencingEffect):
        if effect.not_before is not None:
            return f"For {targets}, the first session may not be earlier than {_wait(effect.not_before, spec)}."
        if effect.skip_phase is not None:
            return f"For {targets}, the {_PHASE[effect.skip_phase]} phase is skipped: {_sentence(effect.reason)}"
        if effect.late_course is not None:
            verb = "continues" if effect.late_course == "continue" else "starts again"
            return f"A course of {targets} that a wait pushes past its longest interval {verb}."
        if effect.end_course:
            return f"A course of {targets} is not carried on or maintained: {_sentence(effect.reason)}"
        if effect.session_note:
            return f"Each session of {targets} adds: {_sentence(effect.session_note)}"
        others = _either([selector_text(s, spec) for s in effect.not_same_day], "and")
        return f"For {targets}, do not combine on the same day: {others}."
    if isinstance(effect, AftercareEffect):
        text = f"After each session of {targets}, for {effect.duration}: {_sentence(effect.instruction)}"
        return text + _step_agents(effect.agents, effect.required, effect.alternative, spec)
    return str(effect)  # pragma: no cover - every kind is handled above
