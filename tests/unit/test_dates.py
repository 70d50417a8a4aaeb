"""Date facts at their edges: exactly the period before the assessment, never, and ongoing.

``within P`` means less than P before the assessment: on the day a wait of P ends, the
condition no longer holds, so an exclusion and its "reconsider from" date never disagree.
A last dose answered ``ongoing`` is within every period, and the wait after it has not begun.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import engine
from tests.protocols import FACTS, rule, write_protocol

DOSE = {
    "type": "date",
    "allow_never": True,
    "allow_ongoing": True,
    "label": "Last dose",
    "description": "d",
    "question": "q",
}
CAUSE_FACTS = {**FACTS, "causes": {**FACTS["causes"], "indication": True}, "dose": DOSE}
CAUSE = rule("SUIT-X", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})
WAIT = rule(
    "CI-DOSE",
    "contraindication",
    {"level": "absolute", "wait": {"after": "dose", "period": "6 months"}},
    {"dose": {"within": "6 months"}},
    applies_to=["peel.one"],
)


@pytest.fixture
def protocol(tmp_path: Path) -> Any:
    loaded = engine.load_protocol(write_protocol(tmp_path / "rules", [CAUSE, WAIT], facts=CAUSE_FACTS))
    yield loaded
    loaded.close()


def _peel(protocol: engine.Protocol, dose: str) -> engine.Exclusion | None:
    plan = protocol.evaluate({"assessment_date": "2026-11-25", "a": False, "b": False, "causes": ["x"], "dose": dose})
    return next((e for e in plan.excluded if e.technique == "peel.one"), None)


def test_exactly_the_period_before_is_no_longer_within(protocol: engine.Protocol) -> None:
    assert _peel(protocol, "2026-05-25") is None  # 6 months to the day: the wait has ended today
    excluded = _peel(protocol, "2026-05-26")
    assert excluded is not None and excluded.reconsider_from == "2026-11-26"  # the first day the rule no longer holds


def test_ongoing_is_within_every_period_and_never_ends_the_wait(protocol: engine.Protocol) -> None:
    excluded = _peel(protocol, "ongoing")
    assert excluded is not None and excluded.reconsider_from is None
    assert _peel(protocol, "never") is None


def test_ongoing_is_refused_where_the_fact_does_not_allow_it(protocol: engine.Protocol) -> None:
    with pytest.raises(engine.FactsError, match='YYYY-MM-DD or "never", not'):
        protocol.evaluate({"assessment_date": "2026-11-25", "last": "ongoing"})


def test_a_scheduling_wait_after_an_ongoing_fact_is_refused(tmp_path: Path) -> None:
    step = rule(
        "REQ-AFTER-DOSE",
        "requirement",
        {
            "phase": "pre_treatment",
            "step": "Wait",
            "instructions": "Wait.",
            "ready_after": {"after": "dose", "period": "1 week"},
        },
    )
    with pytest.raises(engine.RulesError, match="may be ongoing"):
        engine.load_protocol(write_protocol(tmp_path / "rules", [CAUSE, step], facts=CAUSE_FACTS))


# ----------------------------------------------------------------------------- reactions recorded on past sessions

HISTORY = {
    **FACTS["previous_treatments"],
    "reactions": ["none", "expected", "hyperpigmentation", "blistering"],
    "responses": ["adequate", "inadequate"],
    "reaction_question": "How did the skin react after the last session?",
}
REACTED = rule(
    "CI-DARK-MARKS-BEFORE",
    "contraindication",
    {"level": "relative", "advice": "Review the last reaction."},
    {"previous_treatment": {"technique": "peel.*", "within": "6 months", "reaction": ["hyperpigmentation"]}},
    applies_to=["all"],
)


@pytest.fixture
def reacting(tmp_path: Path) -> Any:
    facts = {**CAUSE_FACTS, "previous_treatments": HISTORY}
    loaded = engine.load_protocol(write_protocol(tmp_path / "rules", [CAUSE, REACTED], facts=facts))
    yield loaded
    loaded.close()


def _history(protocol: engine.Protocol, *entries: dict[str, str]) -> engine.TreatmentPlan:
    client = {"assessment_date": "2026-11-25", "a": False, "b": False, "causes": ["x"], "dose": "never"}
    return protocol.evaluate({**client, "previous_treatments": list(entries)})


def test_a_recorded_reaction_at_the_last_session_decides(reacting: engine.Protocol) -> None:
    plan = _history(reacting, {"technique": "peel.one", "date": "2026-10-01", "reaction": "hyperpigmentation"})
    assert plan.status == "needs_review" and [c.rule_id for c in plan.cautions] == ["CI-DARK-MARKS-BEFORE"]
    later = {"technique": "peel.one", "date": "2026-11-01", "reaction": "expected"}  # the last session went well
    assert (
        _history(
            reacting, {"technique": "peel.one", "date": "2026-10-01", "reaction": "hyperpigmentation"}, later
        ).status
        == "ready"
    )


def test_an_unrecorded_reaction_is_asked_for(reacting: engine.Protocol) -> None:
    plan = _history(reacting, {"technique": "peel.one", "date": "2026-10-01"})
    assert plan.status == "needs_information"
    [missing] = plan.missing_facts
    assert missing.fact == "previous_treatments.reaction"
    assert missing.question == "How did the skin react after the last session?"


def test_a_session_older_than_the_horizon_is_not_asked_about(reacting: engine.Protocol) -> None:
    assert _history(reacting, {"technique": "peel.one", "date": "2025-11-01"}).status == "ready"
    assert _history(reacting).status == "ready"


def test_reactions_are_checked_and_echoed(reacting: engine.Protocol) -> None:
    with pytest.raises(engine.FactsError, match="'hyperpigmentaion' is not a reaction"):
        _history(reacting, {"technique": "peel.one", "date": "2026-10-01", "reaction": "hyperpigmentaion"})
    same = {"technique": "peel.one", "date": "2026-10-01"}
    with pytest.raises(engine.FactsError, match="twice"):
        _history(reacting, same, dict(same))
    plan = _history(
        reacting, {"technique": "peel.one", "date": "2026-10-01", "reaction": "none", "response": "adequate"}
    )
    assert plan.facts["previous_treatments"] == [
        {"technique": "peel.one", "date": "2026-10-01", "reaction": "none", "response": "adequate"}
    ]
