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


def test_every_skin_type_pore_cause_and_downtime_tolerance_is_argued(protocol: engine.Protocol) -> None:
    suitability = [r for r in protocol._spec.rules if r.kind == "suitability"]
    for fact in ("skin_type", "pore_causes", "downtime_tolerance"):
        argued = set().union(*(_values(r.condition, fact) for r in suitability))
        missing = set(protocol.facts[fact].values) - argued
        assert not missing, f"no suitability rule argues {fact} = {sorted(missing)}"


def test_every_citation_names_the_digest_facts_it_rests_on(protocol: engine.Protocol) -> None:
    """Each evidence entry points a reviewer to fact ids of the clinical digest, e.g. 'clinical-facts ISO-03'."""
    missing = [
        rule.id
        for rule in protocol._spec.rules
        for evidence in rule.spec.evidence
        if not re.fullmatch(r"clinical-facts [A-Z]+(-[A-Z]+)*-\d+(, [A-Z]+(-[A-Z]+)*-\d+)*", evidence.reference or "")
    ]
    assert not missing, f"evidence without digest fact ids in: {sorted(set(missing))}"
