"""Dates as a receptionist books them: windows around each session, steps with a day of their own,
follow-ups after each session, and what a plan says it cannot do and why.

The tiny protocol: ``peel.one`` (3 sessions, 2 weeks apart) treats cause x, ``laser.two`` treats y.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import engine
from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

VOCABULARY = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
AGENTS = {"antiviral": {"title": "Antiviral"}, "hydroquinone": {"title": "Hydroquinone"}}
PEEL = {"applies_to": ["peel.one"]}


def pre_treatment(rule_id: str, step: str, instructions: str, *agents: dict[str, str], **then: Any) -> dict[str, Any]:
    """A pre-treatment step of the tiny peel naming ``agents`` (``then``: a lead time or readiness wait)."""
    effect = {"phase": "pre_treatment", "step": step, "instructions": instructions, "agents": list(agents), **then}
    return rule(rule_id, "requirement", effect, applies_to=["peel.one"])


CAUSE_X = rule(
    "SUIT-X", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}}, **PEEL
)
ANTIVIRAL = pre_treatment(
    "REQ-ANTIVIRAL",
    "Antiviral",
    "Take the antiviral around each session.",
    {"agent": "antiviral", "from": "2 days before each session", "until": "5 days after each session"},
)
RULES = [
    CAUSE_X,
    {
        **rule("SUIT-Y", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "y"}}),
        "applies_to": ["laser.two"],
    },
    {
        **rule("SUIT-NOT-B", "suitability", {"argument": "against", "strength": "strong"}, {"b": True}),
        "applies_to": ["laser.two"],
    },
    rule("REQ-CLEANSE", "requirement", {"phase": "preparation", "step": "Cleansing", "instructions": "Cleanse."}),
    rule(
        "REQ-PRIME",
        "requirement",
        {
            "phase": "preparation",
            "step": "Priming",
            "instructions": "Prime, pausing around each peel.",
            "lead_time": "2 weeks",
            "agents": [
                {"agent": "hydroquinone", "from": "assessment", "until": "2 weeks after last session"},
                {
                    "agent": "hydroquinone",
                    "role": "withholds",
                    "from": "2 days before each session",
                    "until": "2 days after each session",
                },
            ],
        },
        applies_to=["peel.one"],
    ),
    ANTIVIRAL,
    rule(
        "REQ-WOUND",
        "requirement",
        {"phase": "follow_up", "step": "Wound check", "instructions": "Check healing.", "after_each_session": "1 week"},
        applies_to=["peel.one"],
    ),
    rule(
        "REQ-REVIEW",
        "requirement",
        {"phase": "follow_up", "step": "Review", "instructions": "Review the result.", "after_last_session": "4 weeks"},
    ),
    rule(
        "REQ-EARLY",
        "requirement",
        {"phase": "follow_up", "step": "Call", "instructions": "Phone the client.", "after_last_session": "2 days"},
    ),
    {
        **rule(
            "CI-A",
            "contraindication",
            {"level": "absolute", "advice": "Refer to a doctor; reassess once treated."},
            {"a": True},
        ),
        **PEEL,
    },
]
CLIENT: dict[str, Any] = {
    "assessment_date": "2026-11-25",
    "start_date": "2026-12-09",
    "a": False,
    "b": False,
    "causes": ["x"],
    "last": "never",
}


@pytest.fixture(scope="module")
def protocol(tmp_path_factory: pytest.TempPathFactory) -> Any:
    techniques = {
        "peel.one": {**TECHNIQUES["peel.one"], "maintenance_every": "6 months"},
        "laser.two": TECHNIQUES["laser.two"],
    }
    root = write_protocol(
        tmp_path_factory.mktemp("schedule") / "rules", RULES, facts=VOCABULARY, techniques=techniques, agents=AGENTS
    )
    loaded = engine.load_protocol(root)
    yield loaded
    loaded.close()


def step(plan: engine.TreatmentPlan, title: str) -> engine.Step:
    return next(s for s in plan.steps if s.title == title)


def test_an_agent_around_each_session_has_each_sessions_window(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate(CLIENT)
    assert [s.date for s in plan.steps if s.phase == "treatment"] == ["2026-12-09", "2026-12-23", "2027-01-06"]
    antiviral = step(plan, "Antiviral").agents[0]
    assert [(w.start_on, w.until_on) for w in antiviral.windows] == [
        ("2026-12-07", "2026-12-14"),
        ("2026-12-21", "2026-12-28"),
        ("2027-01-04", "2027-01-11"),
    ]
    use, pause = step(plan, "Priming").agents
    assert use.windows == () and (use.start_on, use.until_on) == ("2026-11-25", "2027-01-20")
    assert [w.start_on for w in pause.windows] == ["2026-12-07", "2026-12-21", "2027-01-04"]
    text = " ".join(engine.render_text(plan).split())
    assert "that is 2026-12-07 to 2026-12-11, 2026-12-21 to 2026-12-25, 2027-01-04 to 2027-01-08" in text


def test_only_steps_the_client_starts_before_the_sessions_have_a_start_day(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate(CLIENT)
    assert step(plan, "Cleansing").start_on is None  # done at each session
    assert step(plan, "Priming").start_on == "2026-11-25"  # its lead time and its agent start today
    assert step(plan, "Antiviral").start_on == "2026-12-07"


def test_a_follow_up_after_each_session_is_dated_per_session(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate(CLIENT)
    follow = [(s.title, s.date) for s in plan.steps if s.phase == "follow_up"]
    assert follow == [
        ("Wound check after session 1", "2026-12-16"),
        ("Wound check after session 2", "2026-12-30"),
        ("Call", "2027-01-08"),
        ("Wound check after session 3", "2027-01-13"),
        ("Review", "2027-02-03"),
    ]
    assert "Maintenance sessions every 6 months" in step(plan, "Review").instructions
    assert "Maintenance" not in step(plan, "Call").instructions  # told once, on the latest review
    text = engine.render_text(plan)
    assert "Review — on 2027-02-03 (4 weeks after the last session)" in text
    assert "Wound check after session 2 — on 2026-12-30 (1 week after session 2)" in text


def test_an_exclusion_carries_its_advice(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate({**CLIENT, "a": True})
    [exclusion] = [e for e in plan.excluded if e.technique == "peel.one"]
    assert exclusion.advice == ("Refer to a doctor; reassess once treated.",)
    assert "meanwhile: Refer to a doctor; reassess once treated." in engine.render_text(plan)


def test_a_choice_against_a_strong_argument_needs_review(protocol: engine.Protocol) -> None:
    client = {**CLIENT, "causes": ["x", "y"], "b": True}
    own = protocol.evaluate(client)
    assert own.technique == "peel.one" and own.status == "ready"
    chosen = protocol.evaluate(client, technique="laser.two")
    assert chosen.technique == "laser.two" and chosen.status == "needs_review"
    assert [c.rule_id for c in chosen.cautions] == ["SUIT-NOT-B"]
    assert chosen.cautions[0].advice.startswith("Confirm the choice with the client")
    assert chosen.choice is not None and "against it: SUIT-NOT-B" in chosen.choice


def test_the_protocols_own_choice_asked_for_is_not_overruled(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate({**CLIENT, "causes": ["x", "y"]}, technique="peel.one")
    assert plan.status == "ready" and plan.cautions == ()


def test_a_continuing_course_tells_the_first_session_of_this_plan_in_full(protocol: engine.Protocol) -> None:
    history = [{"technique": "peel.one", "date": d} for d in ("2026-10-28", "2026-11-11")]
    plan = protocol.evaluate({**CLIENT, "previous_treatments": history})
    assert plan.course is not None and plan.course.state == "continuing"
    text = engine.render_text(plan)
    session = text.split("Session 3 of 3: Peel one", 1)[1].split("\n")
    assert "because SUIT-X" in "\n".join(session[:8])  # the instructions and reasons follow it


def test_a_reaction_is_asked_only_once_the_history_is_known(protocol: engine.Protocol, tmp_path: Path) -> None:
    history = {**FACTS["previous_treatments"], "reactions": ["none", "blistering"]}
    reaction = {
        **rule(
            "CI-BLISTER",
            "contraindication",
            {"level": "absolute"},
            {"previous_treatment": {"technique": "peel.one", "within": "6 months", "reaction": ["blistering"]}},
        ),
        **PEEL,
    }
    root = write_protocol(
        tmp_path / "rules",
        [RULES[0], reaction],
        facts={**VOCABULARY, "previous_treatments": history},
        techniques={"peel.one": TECHNIQUES["peel.one"]},
    )
    with engine.load_protocol(root) as tiny:
        unknown = tiny.evaluate({k: v for k, v in CLIENT.items() if k != "previous_treatments"})
        assert [m.fact for m in unknown.missing_facts] == ["previous_treatments"]
        recorded = tiny.evaluate({**CLIENT, "previous_treatments": [{"technique": "peel.one", "date": "2026-11-11"}]})
        assert [m.fact for m in recorded.missing_facts] == ["previous_treatments.reaction"]


def test_the_calendar_books_each_window_and_flags_a_plan_to_review(protocol: engine.Protocol) -> None:
    import icalendar

    calendar = icalendar.Calendar.from_ical(engine.render_ics(protocol.evaluate(CLIENT)))
    summaries = {(e["dtstart"].dt.isoformat(), str(e["summary"])) for e in calendar.walk("VEVENT")}
    assert ("2026-12-07", "Start: Antiviral") in summaries
    assert ("2026-12-21", "Take Antiviral until 2026-12-28 (Antiviral)") in summaries
    assert ("2027-01-04", "Pause Hydroquinone until 2027-01-08 (Priming)") in summaries
    assert ("2026-12-30", "Wound check after session 2") in summaries
    assert not any("Cleansing" in s for _, s in summaries)
    reviewed = protocol.evaluate({**CLIENT, "causes": ["x", "y"], "b": True}, technique="laser.two")
    sessions = [
        e
        for e in icalendar.Calendar.from_ical(engine.render_ics(reviewed)).walk("VEVENT")
        if "Session" in str(e["summary"])
    ]
    assert sessions and all(str(e["summary"]).startswith("REVIEW FIRST: ") for e in sessions)
    assert all("SUIT-NOT-B" in str(e["description"]) for e in sessions)


# ----------------------------------------------------------------------------- maintenance

MAINTENANCE_AGENTS = {
    "retinoid": {"title": "Retinoid"},
    "sunscreen": {"title": "Sunscreen"},
    "hydroquinone": {"title": "Hydroquinone"},
    "antiviral": {"title": "Antiviral"},
}
MAINTENANCE_RULES = [
    CAUSE_X,
    pre_treatment(  # a week's preparation: paused from a week before each maintenance session
        "REQ-PAUSE",
        "Retinoid pause",
        "Stop the retinoid a week before.",
        {"agent": "retinoid", "role": "withholds", "from": "assessment", "until": "2 weeks after last session"},
        lead_time="1 week",
    ),
    pre_treatment(  # no preparation stated: from the previous session, as from the assessment before the first
        "REQ-SUN",
        "Sun avoidance",
        "Avoid the sun until the session.",
        {"agent": "sunscreen", "from": "assessment", "until": "first session"},
    ),
    pre_treatment(  # a preparation longer than the maintenance interval: never before the previous session
        "REQ-LONG",
        "Long priming",
        "Prime for ten weeks.",
        {"agent": "hydroquinone", "from": "assessment", "until": "first session"},
        ready_after={"after": "last", "period": "10 weeks"},
    ),
    ANTIVIRAL,
    rule(
        "AC-PAUSE",
        "aftercare",
        {
            "instruction": "No retinoid during the course and for two weeks after it.",
            "duration": "2 weeks",
            "agents": [
                {
                    "agent": "retinoid",
                    "role": "withholds",
                    "from": "first session",
                    "until": "2 weeks after last session",
                }
            ],
        },
        applies_to=["peel.one"],
    ),
]


@pytest.fixture(scope="module")
def maintained(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The tiny peel maintained every 2 months, with a step of each kind of timing."""
    techniques = {
        "peel.one": {**TECHNIQUES["peel.one"], "maintenance_every": "2 months"},
        "laser.two": TECHNIQUES["laser.two"],
    }
    root = write_protocol(
        tmp_path_factory.mktemp("maintained") / "rules",
        MAINTENANCE_RULES,
        facts=VOCABULARY,
        techniques=techniques,
        agents=MAINTENANCE_AGENTS,
    )
    loaded = engine.load_protocol(root)
    yield loaded
    loaded.close()


def _spans(agent: engine.AgentTiming) -> list[tuple[str, str]]:
    return [(w.start_on, w.until_on) for w in agent.windows]


def _agent(plan: engine.TreatmentPlan, title: str, agent: str) -> engine.AgentTiming:
    return next(a for a in step(plan, title).agents if a.agent == agent)


COMPLETED = [{"technique": "peel.one", "date": day} for day in ("2026-09-16", "2026-09-30", "2026-10-14")]


def test_a_maintenance_session_is_a_course_of_one_for_what_is_paused_or_used_around_it(
    maintained: engine.Protocol,
) -> None:
    client = {k: v for k, v in CLIENT.items() if k != "start_date"}
    plan = maintained.evaluate({**client, "previous_treatments": COMPLETED})
    assert plan.course is not None and plan.course.state == "maintenance"
    days = [s.date for s in plan.steps if s.phase == "treatment"]
    assert days == ["2026-12-14", "2027-02-14", "2027-04-14", "2027-06-14", "2027-08-14", "2027-10-14"]
    # Paused from a week (the step's lead time) before each session, the first one (19 days away)
    # included, until two weeks after each: not for the whole year.
    pause = _agent(plan, "Retinoid pause", "retinoid")
    assert _spans(pause) == [
        ("2026-12-07", "2026-12-28"),
        ("2027-02-07", "2027-02-28"),
        ("2027-04-07", "2027-04-28"),
        ("2027-06-07", "2027-06-28"),
        ("2027-08-07", "2027-08-28"),
        ("2027-10-07", "2027-10-28"),
    ]
    assert (pause.start_on, pause.until_on) == ("2026-12-07", "2027-10-28")  # the first start, the last end
    assert (pause.start, pause.until) == ("assessment", "2 weeks after last session")  # the rule's own words
    # A step with no preparation runs from one session to the next: one window for the year.
    assert _spans(_agent(plan, "Sun avoidance", "sunscreen")) == [("2026-11-25", "2027-10-14")]
    # A preparation longer than the interval never starts before the previous session.
    assert _spans(_agent(plan, "Long priming", "hydroquinone")) == [("2026-11-25", "2027-10-14")]
    # "First session" in the aftercare is each maintenance session.
    after = next(a for s in plan.steps if s.phase == "aftercare" for a in s.agents)
    assert _spans(after)[:2] == [("2026-12-14", "2026-12-28"), ("2027-02-14", "2027-02-28")]
    assert len(after.windows) == 6
    # Around each session, as in any course.
    assert _spans(_agent(plan, "Antiviral", "antiviral"))[0] == ("2026-12-12", "2026-12-19")
    text = " ".join(engine.render_text(plan).split())
    assert (
        "pauses Retinoid around each maintenance session, that is 2026-12-07 to 2026-12-28, 2027-02-07 to 2027-02-28"
        in text
    )
    assert "as since the course began" not in text
    assert "Retinoid pause — around each maintenance session (dates below)" in text  # not one year-long span
    assert "uses Sunscreen from 2026-11-25 to 2027-10-14, across the maintenance sessions" in text
    # The rule's words ("until 2 weeks after last session") were written for a course: the step says how they apply.
    assert "around each maintenance session, on the dates below" in step(plan, "Retinoid pause").instructions


def test_a_new_course_keeps_one_continuous_pause(maintained: engine.Protocol) -> None:
    """Sessions two weeks apart: the pause runs through the course, as the rule says."""
    plan = maintained.evaluate(CLIENT)
    assert plan.course is not None and plan.course.state == "new"
    assert [s.date for s in plan.steps if s.phase == "treatment"] == ["2026-12-09", "2026-12-23", "2027-01-06"]
    pause = _agent(plan, "Retinoid pause", "retinoid")
    assert pause.windows == ()
    assert (pause.start_on, pause.until_on) == ("2026-11-25", "2027-01-20")
    assert "maintenance session" not in step(plan, "Retinoid pause").instructions


def test_a_window_over_before_the_assessment_is_left_out(tmp_path: Path) -> None:
    """Priming "until 2 weeks before first session" with the first maintenance session 6 days away: nothing to keep."""
    priming = pre_treatment(
        "REQ-PRIME-SHORT",
        "Short priming",
        "Prime until two weeks before.",
        {"agent": "retinoid", "from": "assessment", "until": "2 weeks before first session"},
    )
    techniques = {
        "peel.one": {**TECHNIQUES["peel.one"], "maintenance_every": "2 months"},
        "laser.two": TECHNIQUES["laser.two"],
    }
    root = write_protocol(
        tmp_path / "rules", [CAUSE_X, priming], facts=VOCABULARY, techniques=techniques, agents=MAINTENANCE_AGENTS
    )
    protocol = engine.load_protocol(root)
    try:
        client = {k: v for k, v in CLIENT.items() if k != "start_date"}
        done = [{"technique": "peel.one", "date": day} for day in ("2026-09-03", "2026-09-17", "2026-10-01")]
        plan = protocol.evaluate({**client, "previous_treatments": done})
        assert plan.course is not None and plan.course.state == "maintenance"
        assert [s.date for s in plan.steps if s.phase == "treatment"][:2] == ["2026-12-01", "2027-02-01"]
        timing = _agent(plan, "Short priming", "retinoid")
        windows = _spans(timing)
        # Before the first session (6 days away) the priming would have ended on 2026-11-17: no window.
        assert windows[0] == ("2026-12-01", "2027-01-18")  # before the second: from the first session
        assert all(a <= b for a, b in windows)
        assert (timing.start_on, timing.until_on) == (windows[0][0], windows[-1][1])
    finally:
        protocol.close()


def test_an_agent_started_before_each_session_without_an_end_is_dated_for_every_session(tmp_path: Path) -> None:
    """'An antibiotic from 1 day before each session' (for the course a prescriber sets) has no window,
    yet it starts again before every session: the text and the calendar give each day."""
    antibiotic = pre_treatment(
        "REQ-ANTIBIOTIC",
        "Antibiotic cover",
        "From the day before each session, for the prescribed course.",
        {"agent": "antibiotic", "from": "1 day before each session"},
    )
    gentle = rule(
        "AC-GENTLE",
        "aftercare",
        {
            "instruction": "A bland moisturiser for a week after each session; no retinoid during the course.",
            "duration": "1 week",
            "agents": [
                {
                    "agent": "retinoid",
                    "role": "withholds",
                    "from": "first session",
                    "until": "1 week after last session",
                }
            ],
        },
        applies_to=["peel.one"],
    )
    agents = {**MAINTENANCE_AGENTS, "antibiotic": {"title": "Antibiotic"}}
    root = write_protocol(tmp_path / "rules", [CAUSE_X, antibiotic, gentle], facts=VOCABULARY, agents=agents)
    protocol = engine.load_protocol(root)
    try:
        plan = protocol.evaluate(CLIENT)
        assert [s.date for s in plan.steps if s.phase == "treatment"] == ["2026-12-09", "2026-12-23", "2027-01-06"]
        timing = _agent(plan, "Antibiotic cover", "antibiotic")
        assert timing.windows == () and timing.start_on == "2026-12-08"  # the plan's JSON is as before
        text = " ".join(engine.render_text(plan).split())
        assert "uses Antibiotic: from 1 day before each session (2026-12-08, 2026-12-22, 2027-01-05)" in text
        calendar = engine.render_ics(plan).decode()
        assert calendar.count("SUMMARY:Take Antibiotic (Antibiotic cover)") == 2  # sessions 2 and 3
        assert "DTSTART;VALUE=DATE:20261222" in calendar and "DTSTART;VALUE=DATE:20270105" in calendar
        # An aftercare step whose pause runs without a break says so, not "after each session".
        assert "— pauses from 2026-12-09 until 2027-01-13; the rest after each session, for 1 week" in text
    finally:
        protocol.close()
