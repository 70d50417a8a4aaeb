"""A plan's dated steps as an iCalendar file: parsed back, byte-identical, and events that update in place.

The tiny protocol's peel has a course of 3 sessions 2 weeks apart, a preparation step whose
agent starts a week before the first session, an everyday cleansing step (no day of its
own), and a follow-up 4 weeks after the last session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest

import engine
from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

VOCABULARY = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
AGENTS = {"antiviral": {"title": "Antiviral"}, "wax": {"title": "Waxing"}}
RULES = [
    {**rule("SUIT-X", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})},
    rule(
        "REQ-ANTIVIRAL",
        "requirement",
        {
            "phase": "pre_treatment",
            "step": "Antiviral",
            "instructions": "Take the antiviral.",
            "agents": [{"agent": "antiviral", "from": "2 days before first session", "until": "last session"}],
            "lead_time": "1 week",
        },
        applies_to=["peel.one"],
    ),
    rule(
        "REQ-NO-WAX",
        "requirement",
        {
            "phase": "pre_treatment",
            "step": "No waxing",
            "instructions": "Do not wax.",
            "agents": [{"agent": "wax", "role": "withholds", "from": "2 weeks before first session"}],
        },
    ),
    rule("REQ-CLEANSE", "requirement", {"phase": "preparation", "step": "Cleansing", "instructions": "Cleanse."}),
    rule(
        "REQ-REVIEW",
        "requirement",
        {"phase": "follow_up", "step": "Review", "instructions": "Review.", "after_last_session": "4 weeks"},
    ),
]
CLIENT: dict[str, Any] = {
    "assessment_date": "2026-11-25",
    "start_date": "2026-12-02",
    "a": False,
    "b": False,
    "causes": ["x"],
    "last": "never",
}


@pytest.fixture(scope="module")
def protocol(tmp_path_factory: pytest.TempPathFactory) -> Any:
    techniques = {"peel.one": TECHNIQUES["peel.one"]}
    root = write_protocol(
        tmp_path_factory.mktemp("ics") / "rules", RULES, facts=VOCABULARY, techniques=techniques, agents=AGENTS
    )
    loaded = engine.load_protocol(root)
    yield loaded
    loaded.close()


def events(data: bytes) -> list[tuple[dt.date, str, str]]:
    calendar = icalendar.Calendar.from_ical(data)
    return [(e["dtstart"].dt, str(e["summary"]), str(e["uid"])) for e in calendar.walk("VEVENT")]


def test_every_dated_step_and_only_those_become_events(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate(CLIENT)
    assert plan.status == "ready"
    got = [(day.isoformat(), summary) for day, summary, _ in events(engine.render_ics(plan))]
    assert got == [
        ("2026-11-30", "Start: Antiviral"),
        ("2026-11-25", "Start: No waxing"),  # 2 weeks before the first session is in the past: from today
        ("2026-12-02", "Session 1 of 3: Peel one"),
        ("2026-12-16", "Session 2 of 3: Peel one"),
        ("2026-12-30", "Session 3 of 3: Peel one"),
        ("2027-01-27", "Review"),
    ]


def test_events_are_all_day_with_instructions_and_rules(protocol: engine.Protocol) -> None:
    calendar = icalendar.Calendar.from_ical(engine.render_ics(protocol.evaluate(CLIENT)))
    first = calendar.walk("VEVENT")[2]
    assert first["dtend"].dt - first["dtstart"].dt == dt.timedelta(days=1)
    assert isinstance(first["dtstart"].dt, dt.date) and not isinstance(first["dtstart"].dt, dt.datetime)
    assert "Rules: SUIT-X" in str(first["description"])
    assert first["dtstamp"].dt == dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)  # the assessment, not the clock


def test_the_same_plan_gives_the_same_bytes(protocol: engine.Protocol) -> None:
    assert engine.render_ics(protocol.evaluate(CLIENT)) == engine.render_ics(protocol.evaluate(CLIENT))


def test_moving_the_start_keeps_each_events_identity(protocol: engine.Protocol) -> None:
    before = events(engine.render_ics(protocol.evaluate(CLIENT)))
    after = events(engine.render_ics(protocol.evaluate({**CLIENT, "start_date": "2026-12-09"})))
    assert [uid for *_, uid in before] == [uid for *_, uid in after]
    assert before[2][0] != after[2][0]  # the sessions moved; a re-import updates them


def test_a_client_id_identifies_events_across_assessments(protocol: engine.Protocol) -> None:
    first = engine.render_ics(protocol.evaluate(CLIENT), client_id="C-17")
    later = engine.render_ics(protocol.evaluate({**CLIENT, "assessment_date": "2026-11-26"}), client_id="C-17")
    other = engine.render_ics(protocol.evaluate(CLIENT), client_id="C-18")
    assert [e[2] for e in events(first)] == [e[2] for e in events(later)]
    assert not {e[2] for e in events(first)} & {e[2] for e in events(other)}


def test_different_clients_never_share_an_event(protocol: engine.Protocol) -> None:
    one = events(engine.render_ics(protocol.evaluate(CLIENT)))
    two = events(engine.render_ics(protocol.evaluate({**CLIENT, "b": True})))
    assert not {e[2] for e in one} & {e[2] for e in two}
    assert len({e[2] for e in one}) == len(one)


def test_a_plan_without_dates_is_refused_with_the_reason(protocol: engine.Protocol) -> None:
    undated = protocol.evaluate({k: v for k, v in CLIENT.items() if k != "start_date"})
    with pytest.raises(engine.NotDatedError, match="start_date"):
        engine.render_ics(undated)
    unsuitable = protocol.evaluate({**CLIENT, "causes": ["y"]})
    with pytest.raises(engine.NotDatedError, match="not_suitable"):
        engine.render_ics(unsuitable)
