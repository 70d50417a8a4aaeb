"""The README's clinical tables match the rules, and the suitability verdicts have no gaps."""

from __future__ import annotations

import re

import engine
from engine._spec import AllOf, AnyOf, Atom, Condition, NotOf
from tests.clinical_tables import README, REGENERATE, ROMAN, fitzpatrick_cells, readme_with_tables


def test_readme_tables_are_generated_from_the_rules(protocol: engine.Protocol) -> None:
    text = README.read_text("utf-8")
    assert readme_with_tables(protocol, text) == text, f"README tables are out of date; run `{REGENERATE}`"


def test_every_technique_has_a_verdict_for_every_fitzpatrick_type(protocol: engine.Protocol) -> None:
    gaps = [
        f"{technique} x Fitzpatrick {ROMAN[i]}"
        for technique, row in fitzpatrick_cells(protocol).items()
        for i, (text, _) in enumerate(row)
        if not text
    ]
    assert not gaps, f"no rule gives a verdict for: {', '.join(gaps)}"


def _values(condition: Condition, fact: str) -> set[str]:
    if isinstance(condition, Atom):
        if condition.fact != fact:
            return set()
        if condition.member is not None:
            return {condition.member}
        return {str(condition.value)}
    if isinstance(condition, AllOf | AnyOf):
        return set().union(*(_values(c, fact) for c in condition.items))
    if isinstance(condition, NotOf):
        return _values(condition.item, fact)
    return set()


NEUTRAL = {"downtime_tolerance": {"extended"}}
"""Values that deliberately argue for nothing: accepting downtime permits a deeper technique but
is no reason to choose one (2.0.0 retired SUIT-EXTENDED-DOWNTIME)."""


def test_every_skin_type_pore_cause_and_downtime_tolerance_is_argued(protocol: engine.Protocol) -> None:
    suitability = [r for r in protocol._spec.rules if r.kind == "suitability"]
    for fact in ("skin_type", "pore_causes", "downtime_tolerance"):
        argued = set().union(*(_values(r.condition, fact) for r in suitability))
        missing = set(protocol.facts[fact].values) - argued - NEUTRAL.get(fact, set())
        assert not missing, f"no suitability rule argues {fact} = {sorted(missing)}"


def test_every_pore_cause_has_a_first_line_technique(protocol: engine.Protocol) -> None:
    """Each pore cause has a strong cause argument: the first-line option the evidence supports."""
    strong = [
        r
        for r in protocol._spec.rules
        if r.cause_argument and r.effect.strength == "strong"  # type: ignore[union-attr]
    ]
    covered = set().union(*(_values(r.condition, "pore_causes") for r in strong))
    assert covered == set(protocol.facts["pore_causes"].values), sorted(covered)


def test_every_technique_can_be_indicated_by_a_cause_argument(protocol: engine.Protocol) -> None:
    reachable = {t for r in protocol._spec.rules if r.cause_argument for t in r.techniques}
    assert reachable == set(protocol.techniques), sorted(set(protocol.techniques) - reachable)


def test_every_citation_names_the_digest_facts_it_rests_on(protocol: engine.Protocol) -> None:
    """Each citation of a digest source (S01-S240) names the digest fact ids it rests on, e.g. ISO-03;
    a source from outside the digest (BCH-ACNE-PEEL) has no digest facts to name."""
    spec = protocol._spec
    missing = [
        rule.id
        for rule in spec.rules
        for cited in spec.citations(rule)
        if cited.source is None or (re.fullmatch(r"S\d+", cited.source) and not cited.facts)
    ]
    assert not missing, f"citations without digest fact ids (or written inline) in: {sorted(set(missing))}"


def test_every_rule_cites_at_least_one_graded_source(protocol: engine.Protocol) -> None:
    spec = protocol._spec
    ungraded = [rule.id for rule in spec.rules if not any(c.grade for c in spec.citations(rule))]
    assert not ungraded, ungraded
