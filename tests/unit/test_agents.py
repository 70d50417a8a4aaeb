"""Steps are checked against the client's contraindicated agents: kept, replaced, dropped, or the technique ruled out.

Each test writes a tiny protocol: a technique ``peel.one`` indicated by the cause ``x``, a
priming step that uses hydroquinone, and contraindications of agents that hold when fact
``a`` (or ``b``) is true.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import engine
from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

AGENTS = {
    "hydroquinone": {"title": "Hydroquinone 4%", "groups": ["bleaching"]},
    "glycolic_acid": {"title": "Glycolic acid lotion", "groups": ["acids"]},
    "salicylic_acid": {"title": "Salicylic acid", "groups": ["acids"]},
    "retinoid": {"title": "Topical retinoid"},
}
FACTS_X = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
CLIENT = {"assessment_date": "2026-11-25", "a": False, "b": False, "causes": ["x"], "start_date": "2026-12-10"}

CAUSE = rule("SUIT-X-PEEL", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})
CAUSE["applies_to"] = ["peel.one"]


def priming(required: bool = True, alternative: bool = True) -> dict[str, Any]:
    then: dict[str, Any] = {
        "phase": "preparation",
        "step": "Skin priming",
        "instructions": "Hydroquinone 4% at night.",
        "lead_time": "4 weeks",
        "required": required,
        "agents": [
            {"agent": "hydroquinone", "from": "4 weeks before first session", "until": "2 days before each session"},
            {"agent": "retinoid", "role": "withholds", "from": "1 week before first session", "until": "last session"},
        ],
    }
    if alternative:
        then["alternative"] = {
            "step": "Skin priming without hydroquinone",
            "instructions": "Glycolic acid lotion at night.",
            "agents": [{"agent": "glycolic_acid", "from": "4 weeks before first session", "until": "first session"}],
        }
    return rule("REQ-PRIMING", "requirement", then)


def against(rule_id: str, fact: str, agents: list[str], level: str = "absolute") -> dict[str, Any]:
    body = rule(rule_id, "contraindication", {"level": level, "agents": agents}, {fact: True})
    del body["applies_to"]
    return body


def plan_of(tmp_path: Path, rules: list[dict[str, Any]], **facts: Any) -> engine.TreatmentPlan:
    techniques = {
        "peel.one": {**TECHNIQUES["peel.one"], "agents": ["salicylic_acid"]},
        "laser.two": TECHNIQUES["laser.two"],
    }
    root = write_protocol(tmp_path / "rules", [CAUSE, *rules], facts=FACTS_X, techniques=techniques, agents=AGENTS)
    protocol = engine.load_protocol(root)
    try:
        return protocol.evaluate({**CLIENT, **facts})
    finally:
        protocol.close()


def titles(plan: engine.TreatmentPlan) -> list[str]:
    return [step.title for step in plan.steps]


def test_a_step_keeps_its_agents_when_none_is_contraindicated(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [priming(), against("AG-A", "a", ["hydroquinone"])])
    assert plan.status == "ready" and plan.technique == "peel.one"
    step = next(s for s in plan.steps if s.title == "Skin priming")
    uses = {a.agent: a for a in step.agents}
    assert uses["hydroquinone"].start == "4 weeks before first session"
    # the priming's 4-week lead time moves the first session from the asked 2026-12-10 to 2026-12-23
    assert [s.date for s in plan.steps if s.phase == "treatment"] == ["2026-12-23", "2027-01-06", "2027-01-20"]
    assert uses["hydroquinone"].start_on == "2026-11-25"  # 4 weeks before the first session: the assessment
    assert uses["hydroquinone"].until_on == "2027-01-18"  # 2 days before the last (third) session
    assert uses["retinoid"].role == "withholds"
    assert step.start_on == "2026-11-25"


def test_a_contraindicated_agent_switches_the_step_to_its_alternative(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [priming(), against("AG-A", "a", ["bleaching"])], a=True)
    assert plan.technique == "peel.one"
    assert "Skin priming" not in titles(plan) and "Skin priming without hydroquinone" in titles(plan)
    step = next(s for s in plan.steps if s.title == "Skin priming without hydroquinone")
    assert [a.agent for a in step.agents] == ["glycolic_acid"]
    notes = {j.rule_id: j.note for j in step.justifications}
    assert notes["AG-A"] is not None and "Skin priming" in notes["AG-A"]


def test_an_optional_step_is_dropped(tmp_path: Path) -> None:
    plan = plan_of(
        tmp_path, [priming(required=False, alternative=False), against("AG-A", "a", ["hydroquinone"])], a=True
    )
    assert plan.technique == "peel.one"
    assert not any("priming" in title for title in titles(plan))


def test_a_required_step_without_alternative_rules_the_technique_out(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [priming(alternative=False), against("AG-A", "a", ["hydroquinone"])], a=True)
    assert plan.technique is None and plan.status == "not_suitable"
    exclusion = next(e for e in plan.excluded if e.technique == "peel.one")
    [reason] = [r for r in exclusion.reasons if r.rule_id == "AG-A"]
    assert reason.note is not None and "Hydroquinone 4%" in reason.note and "REQ-PRIMING" in reason.note


def test_the_alternative_is_checked_too(tmp_path: Path) -> None:
    rules = [priming(), against("AG-A", "a", ["hydroquinone"]), against("AG-B", "b", ["acids"])]
    plan = plan_of(tmp_path, rules, a=True, b=True)  # acids also rule out the sessions' salicylic acid
    assert plan.technique is None
    reasons = {r.rule_id for e in plan.excluded if e.technique == "peel.one" for r in e.reasons}
    assert reasons == {"AG-A", "AG-B"}


def test_an_undecided_agent_contraindication_keeps_the_technique_pending(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [priming(alternative=False), against("AG-A", "a", ["hydroquinone"])], a=None)
    assert plan.status == "needs_information" and plan.technique is None
    assert "peel.one" in {p.technique for p in plan.pending}
    assert "a" in {m.fact for m in plan.missing_facts}


def test_a_relative_agent_contraindication_asks_for_review(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [priming(), against("AG-A", "a", ["hydroquinone"], level="relative")], a=True)
    assert plan.status == "needs_review" and plan.technique == "peel.one"
    assert [c.rule_id for c in plan.cautions] == ["AG-A"]
    assert "Skin priming" in titles(plan)


def test_the_sessions_own_agents_rule_the_technique_out(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [against("AG-B", "b", ["salicylic_acid"])], b=True)
    assert plan.technique is None
    [reason] = next(e for e in plan.excluded if e.technique == "peel.one").reasons
    assert reason.rule_id == "AG-B" and reason.note is not None and "sessions" in reason.note


def test_a_withheld_agent_is_never_checked(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, [priming(), against("AG-R", "a", ["retinoid"])], a=True)
    assert plan.status == "ready" and "Skin priming" in titles(plan)


@pytest.mark.parametrize(
    ("then", "message"),
    [
        (
            {"level": "absolute", "agents": ["hydroquinon"]},
            "unknown agent 'hydroquinon' (did you mean 'hydroquinone'?)",
        ),
        ({"level": "absolute", "agents": ["acids"], "applies_to": ["all"]}, None),
    ],
)
def test_agents_are_validated(tmp_path: Path, then: dict[str, Any], message: str | None) -> None:
    applies = then.pop("applies_to", None)
    body = rule("AG-X", "contraindication", then, {"a": True})
    if applies is None:
        del body["applies_to"]
    root = write_protocol(tmp_path / "rules", [CAUSE, body], facts=FACTS_X, agents=AGENTS)
    with pytest.raises(engine.RulesError) as info:
        engine.load_protocol(root)
    expected = message or "a contraindication of agents does not apply to techniques"
    assert expected in str(info.value)


def test_a_step_that_starts_an_agent_before_the_first_session_needs_that_lead_time(tmp_path: Path) -> None:
    short = priming()
    short["then"]["lead_time"] = "2 weeks"
    root = write_protocol(tmp_path / "rules", [CAUSE, short], facts=FACTS_X, agents=AGENTS)
    with pytest.raises(engine.RulesError) as info:
        engine.load_protocol(root)
    main, alternative = info.value.issues  # the step and its alternative both start 4 weeks ahead
    assert main.path == "rules[1].then.agents[0].from" and main.hint == "add lead_time: 4 weeks to the step"
    assert "starts hydroquinone 4 weeks before first session" in main.message
    assert alternative.path == "rules[1].then.alternative.agents[0].from"
