"""A course over time: a returning client continues her course, restarts it after a long gap, or is maintained.

The tiny protocol's peel has a course of 3 sessions, 2 to 4 weeks apart, and maintenance every
2 months; the client's previous treatments say where she is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import engine
from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

PEEL = {**TECHNIQUES["peel.one"], "maintenance_every": "2 months"}
VOCABULARY = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
CAUSE = rule("SUIT-X", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})
CAUSE["applies_to"] = ["peel.one"]
OTHER = rule("SUIT-Y", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "y"}})
OTHER["applies_to"] = ["laser.two"]
BOOST = rule("SUIT-BOOST", "suitability", {"argument": "for", "strength": "strong"}, applies_to=["laser.two"])
FULL = rule(
    "REQ-CONSULT",
    "requirement",
    {"phase": "consultation", "step": "Full consultation", "instructions": "Take the history.", "course": "new"},
)
CHECK = rule(
    "REQ-VISIT",
    "requirement",
    {"phase": "consultation", "step": "Visit check", "instructions": "Check the skin.", "course": "continuing"},
)


@pytest.fixture
def protocol(tmp_path: Path) -> Any:
    techniques = {"peel.one": PEEL, "laser.two": TECHNIQUES["laser.two"]}
    root = write_protocol(
        tmp_path / "rules", [CAUSE, OTHER, BOOST, FULL, CHECK], facts=VOCABULARY, techniques=techniques
    )
    loaded = engine.load_protocol(root)
    yield loaded
    loaded.close()


def _plan(protocol: engine.Protocol, *dates: str, **facts: Any) -> engine.TreatmentPlan:
    client = {"assessment_date": "2026-11-25", "a": False, "b": False, "causes": ["x", "y"], "last": "never"}
    history = [{"technique": "peel.one", "date": day} for day in dates]
    return protocol.evaluate({**client, "previous_treatments": history, **facts})


def sessions(plan: engine.TreatmentPlan) -> list[tuple[int | None, int | None, str | None]]:
    return [(s.session, s.of_sessions, s.date) for s in plan.steps if s.phase == "treatment"]


def titles(plan: engine.TreatmentPlan, phase: str) -> list[str]:
    return [s.title for s in plan.steps if s.phase == phase]


def test_a_new_client_gets_the_best_ranked_technique_and_a_full_consultation(protocol: engine.Protocol) -> None:
    plan = _plan(protocol)
    assert plan.technique == "laser.two"  # the boost puts it first
    assert plan.course is not None and plan.course.state == "new"
    assert titles(plan, "consultation") == ["Full consultation"]


def test_a_course_in_progress_continues_with_the_next_session(protocol: engine.Protocol) -> None:
    plan = _plan(protocol, "2026-10-28", "2026-11-11")  # 2 of 3 done, the last 2 weeks ago
    assert plan.technique == "peel.one" and plan.status == "ready"
    assert plan.course is not None and (plan.course.state, plan.course.sessions_done) == ("continuing", 2)
    assert sessions(plan) == [(3, 3, "2026-11-25")]  # the last plus 2 weeks: today
    assert titles(plan, "consultation") == ["Visit check"]
    assert plan.choice is not None and "2 of 3 sessions since 2026-10-28" in plan.choice


def test_the_next_session_waits_for_the_start_date_within_the_interval(protocol: engine.Protocol) -> None:
    plan = _plan(protocol, "2026-11-11", start_date="2026-12-02")
    assert sessions(plan) == [(2, 3, "2026-12-02"), (3, 3, "2026-12-16")]


def test_a_course_pushed_past_its_interval_restarts(protocol: engine.Protocol) -> None:
    plan = _plan(protocol, "2026-11-11", start_date="2027-01-20")  # more than 4 weeks after the last
    assert plan.course is not None and plan.course.state == "restarting"
    assert [s[0] for s in sessions(plan)] == [1, 2, 3]
    assert titles(plan, "consultation") == ["Full consultation"]


def test_a_late_course_continues_when_a_rule_says_so(tmp_path: Path) -> None:
    carry_on = rule("SEQ-CARRY-ON", "sequencing", {"late_course": "continue"}, applies_to=["peel.one"])
    techniques = {"peel.one": PEEL, "laser.two": TECHNIQUES["laser.two"]}
    root = write_protocol(
        tmp_path / "rules", [CAUSE, OTHER, BOOST, FULL, CHECK, carry_on], facts=VOCABULARY, techniques=techniques
    )
    protocol = engine.load_protocol(root)
    try:
        plan = _plan(protocol, "2026-11-11", start_date="2027-01-20")
        assert plan.course is not None and plan.course.state == "continuing"
        assert sessions(plan)[0] == (2, 3, "2027-01-20")
    finally:
        protocol.close()


def test_an_old_course_is_forgotten(protocol: engine.Protocol) -> None:
    plan = _plan(protocol, "2026-06-01")
    assert plan.technique == "laser.two" and plan.course is not None and plan.course.state == "new"


def test_a_completed_course_is_maintained_for_a_year(protocol: engine.Protocol) -> None:
    plan = _plan(protocol, "2026-09-16", "2026-09-30", "2026-10-14")
    assert plan.technique == "peel.one" and plan.course is not None and plan.course.state == "maintenance"
    treatment = [s for s in plan.steps if s.phase == "treatment"]
    assert all(s.maintenance for s in treatment)
    assert [s.date for s in treatment] == [
        "2026-12-14",
        "2027-02-14",
        "2027-04-14",
        "2027-06-14",
        "2027-08-14",
        "2027-10-14",
    ]
    assert treatment[0].title == "Maintenance session 1 of 6: Peel one"


def test_a_course_technique_no_longer_safe_is_not_continued(tmp_path: Path) -> None:
    barred = rule("CI-A", "contraindication", {"level": "absolute"}, {"a": True}, applies_to=["peel.one"])
    techniques = {"peel.one": PEEL, "laser.two": TECHNIQUES["laser.two"]}
    root = write_protocol(
        tmp_path / "rules", [CAUSE, OTHER, BOOST, FULL, CHECK, barred], facts=VOCABULARY, techniques=techniques
    )
    protocol = engine.load_protocol(root)
    try:
        plan = _plan(protocol, "2026-11-11", a=True)
        assert plan.technique == "laser.two" and plan.course is not None and plan.course.state == "new"
    finally:
        protocol.close()


def test_a_rule_can_end_a_course_so_that_the_choice_starts_afresh(tmp_path: Path) -> None:
    history = {**FACTS["previous_treatments"], "responses": ["good", "inadequate"], "response_question": "Did it work?"}
    ends = rule(
        "SEQ-INADEQUATE",
        "sequencing",
        {"end_course": True, "reason": "The course did not work: do not repeat it."},
        {"previous_treatment": {"technique": "peel.one", "within": "12 months", "response": ["inadequate"]}},
        applies_to=["peel.one"],
    )
    techniques = {"peel.one": PEEL, "laser.two": TECHNIQUES["laser.two"]}
    facts = {**VOCABULARY, "previous_treatments": history}
    root = write_protocol(
        tmp_path / "rules", [CAUSE, OTHER, BOOST, FULL, CHECK, ends], facts=facts, techniques=techniques
    )
    protocol = engine.load_protocol(root)
    try:
        client = {"assessment_date": "2026-11-25", "a": False, "b": False, "causes": ["x", "y"], "last": "never"}
        done = [{"technique": "peel.one", "date": d} for d in ("2026-09-16", "2026-09-30")]
        last = {"technique": "peel.one", "date": "2026-10-14"}
        asked = protocol.evaluate({**client, "previous_treatments": [*done, last]})
        assert [(m.fact, m.question) for m in asked.missing_facts] == [("previous_treatments.response", "Did it work?")]
        good = protocol.evaluate({**client, "previous_treatments": [*done, {**last, "response": "good"}]})
        assert good.course is not None and good.course.state == "maintenance"
        poor = protocol.evaluate({**client, "previous_treatments": [*done, {**last, "response": "inadequate"}]})
        assert poor.technique == "laser.two" and poor.course is not None and poor.course.state == "new"
    finally:
        protocol.close()
