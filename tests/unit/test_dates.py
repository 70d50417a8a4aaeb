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
