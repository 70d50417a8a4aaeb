"""Checking a practitioner's own plan: each check, its verdict and the rule each violation names.

The tiny protocol: ``peel.one`` treats cause x (a course of 1 to 4 sessions, 2 to 4 weeks
apart, maintained every 2 months), ``laser.two`` treats cause y. ``last`` (a date) rules
the peel out for 2 weeks; ``a`` rules it out for good; ``b`` asks for a review; a
preparation step must start a week before the first session.
"""

from __future__ import annotations

from typing import Any

import pytest

import engine
from engine._check import CheckResult
from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

PEEL = {**TECHNIQUES["peel.one"], "maintenance_every": "2 months"}
VOCABULARY = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
PEEL_ONLY = {"applies_to": ["peel.one"]}
RULES = [
    {
        **rule("SUIT-X", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}}),
        **PEEL_ONLY,
    },
    {
        **rule("SUIT-Y", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "y"}}),
        "applies_to": ["laser.two"],
    },
    {
        **rule(
            "CI-LAST",
            "contraindication",
            {"level": "absolute", "wait": {"after": "last", "period": "2 weeks"}},
            {"last": {"within": "2 weeks"}},
        ),
        **PEEL_ONLY,
    },
    {**rule("CI-A", "contraindication", {"level": "absolute"}, {"a": True}), **PEEL_ONLY},
    {**rule("CI-B", "contraindication", {"level": "relative", "advice": "Review b."}, {"b": True}), **PEEL_ONLY},
    rule(
        "REQ-PRIME",
        "requirement",
        {"phase": "preparation", "step": "Prime", "instructions": "Prime the skin.", "lead_time": "1 week"},
        applies_to=["peel.one"],
    ),
]
TODAY = "2026-11-25"
CLIENT: dict[str, Any] = {"assessment_date": TODAY, "a": False, "b": False, "causes": ["x"], "last": "never"}


@pytest.fixture(scope="module")
def protocol(tmp_path_factory: pytest.TempPathFactory) -> Any:
    techniques = {"peel.one": PEEL, "laser.two": TECHNIQUES["laser.two"]}
    root = write_protocol(tmp_path_factory.mktemp("check") / "rules", RULES, facts=VOCABULARY, techniques=techniques)
    loaded = engine.load_protocol(root)
    yield loaded
    loaded.close()


def check(protocol: engine.Protocol, *sessions: str, technique: str = "peel.one", **facts: Any) -> CheckResult:
    return protocol.check({**CLIENT, **facts}, {"technique": technique, "sessions": list(sessions)})


def found(result: CheckResult) -> list[tuple[str, int | None]]:
    return [(v.rule_id, v.session) for v in result.violations]


def test_a_course_that_keeps_every_wait_and_interval_is_acceptable(protocol: engine.Protocol) -> None:
    result = check(protocol, "2026-12-02", "2026-12-16", "2027-01-06")
    assert result.verdict == "acceptable" and result.violations == ()
    assert result.earliest_start == "2026-12-02"  # the priming's week
    assert result.summary == "The proposed course of Peel one keeps to the protocol."


def test_a_session_before_a_preparation_lead_time_names_the_requirement(protocol: engine.Protocol) -> None:
    result = check(protocol, TODAY)
    assert result.verdict == "unacceptable"
    assert found(result) == [("REQ-PRIME", 1)]
    assert result.violations[0].message.startswith("not today, from 2026-12-02: ")


def test_a_session_before_the_assessment_names_the_facts(protocol: engine.Protocol) -> None:
    result = check(protocol, "2026-11-20", "2026-12-04")
    assert ("facts:assessment_date", 1) in found(result)


def test_sessions_too_close_or_too_far_apart_break_the_catalogue_interval(protocol: engine.Protocol) -> None:
    result = check(protocol, "2026-12-02", "2026-12-09", "2027-02-01")
    assert found(result) == [("techniques.yaml:peel.one", 2), ("techniques.yaml:peel.one", 3)]


def test_more_sessions_than_the_catalogue_allows(protocol: engine.Protocol) -> None:
    days = ["2026-12-02", "2026-12-16", "2026-12-30", "2027-01-13", "2027-01-27"]
    result = check(protocol, *days)
    assert found(result) == [("techniques.yaml:peel.one", 5)]
    assert "at most 4 sessions" in result.violations[0].message


def test_an_excluded_technique_is_unacceptable_on_any_date(protocol: engine.Protocol) -> None:
    result = check(protocol, "2027-06-01", a=True)
    assert result.verdict == "unacceptable" and found(result) == [("CI-A", None)]


def test_a_wait_that_ends_says_not_today_and_from_when(protocol: engine.Protocol) -> None:
    result = check(protocol, TODAY, last="2026-11-20")
    assert found(result) == [("CI-LAST", 1)]
    assert result.violations[0].message == "not today, from 2026-12-04: Rule CI-LAST"


def test_a_wait_that_ends_before_the_proposal_still_needs_a_new_assessment(protocol: engine.Protocol) -> None:
    result = check(protocol, "2026-12-10", last="2026-11-20")
    assert result.verdict == "unacceptable" and found(result) == [("CI-LAST", None)]
    assert "reassess the client on or after 2026-12-04" in result.violations[0].message


def test_a_caution_makes_an_otherwise_sound_proposal_need_review(protocol: engine.Protocol) -> None:
    result = check(protocol, "2026-12-02", b=True)
    assert result.verdict == "needs_review" and [c.rule_id for c in result.cautions] == ["CI-B"]


def test_an_open_question_on_the_technique_needs_information(protocol: engine.Protocol) -> None:
    client = {k: v for k, v in CLIENT.items() if k != "a"}
    result = protocol.check(client, {"technique": "peel.one", "sessions": ["2026-12-02"]})
    assert result.verdict == "needs_information" and [m.fact for m in result.missing_facts] == ["a"]


def test_a_technique_nothing_indicates_is_unacceptable(protocol: engine.Protocol) -> None:
    result = check(protocol, "2026-12-02", technique="laser.two")
    assert found(result) == [("techniques.yaml:laser.two", None)]
    assert "not indicated" in result.violations[0].message


def test_the_next_session_of_a_course_in_progress_counts_from_the_last(protocol: engine.Protocol) -> None:
    history = [{"technique": "peel.one", "date": "2026-11-11"}]
    ok = check(protocol, "2026-12-02", previous_treatments=history)
    assert ok.verdict == "acceptable" and ok.course is not None and ok.course.state == "continuing"
    too_soon = check(protocol, "2026-12-02", previous_treatments=[{"technique": "peel.one", "date": "2026-11-20"}])
    assert found(too_soon) == [("techniques.yaml:peel.one", 1)]
    # two done, three proposed: five is one more than the catalogue's maximum of four
    two = [*history, {"technique": "peel.one", "date": "2026-10-28"}]
    over = check(protocol, "2026-12-02", "2026-12-16", "2026-12-30", previous_treatments=two)
    assert found(over) == [("techniques.yaml:peel.one", 3)] and "(2 already done)" in over.violations[0].message


def test_maintenance_sessions_keep_their_spacing(protocol: engine.Protocol) -> None:
    done = [{"technique": "peel.one", "date": d} for d in ("2026-09-16", "2026-09-30", "2026-10-14")]
    ok = check(protocol, "2026-12-14", "2027-02-14", previous_treatments=done)
    assert ok.verdict == "acceptable" and ok.course is not None and ok.course.state == "maintenance"
    early = check(protocol, "2026-12-02", previous_treatments=done)
    assert found(early) == [("techniques.yaml:peel.one", 1)]


@pytest.mark.parametrize(
    ("proposal", "path"),
    [
        ({"technique": "peel.onee", "sessions": ["2026-12-02"]}, "technique"),
        ({"technique": "peel.one", "sessions": []}, "sessions"),
        ({"technique": "peel.one", "sessions": ["2026-12-02", "soon"]}, "sessions[1]"),
        ({"technique": "peel.one", "sessions": ["0001-01-01"]}, "sessions[0]"),
        ({"technique": "peel.one", "sessions": ["2026-12-02"], "sesions": 1}, "sesions"),
        ({"technique": "peel.one", "sessions": ["2026-12-02"] * 53}, "sessions"),
        ([], ""),
    ],
)
def test_a_bad_proposal_is_a_located_facts_error(protocol: engine.Protocol, proposal: Any, path: str) -> None:
    with pytest.raises(engine.FactsError) as caught:
        protocol.check(CLIENT, proposal)
    assert [i.path for i in caught.value.issues] == [path]


def test_unknown_technique_suggests_the_catalogue_id(protocol: engine.Protocol) -> None:
    with pytest.raises(engine.FactsError) as caught:
        protocol.check(CLIENT, {"technique": "peel.onee", "sessions": ["2026-12-02"]})
    assert "peel.one" in (caught.value.issues[0].hint or "")


def test_a_proposal_document_locates_its_errors_by_line(protocol: engine.Protocol) -> None:
    facts = "assessment_date: 2026-11-25\na: false\nb: false\ncauses: [x]\nlast: never\n"
    proposal = "technique: peel.one\nsessions:\n  - 2026-12-02\n  - later\n"
    with pytest.raises(engine.FactsError) as caught:
        protocol.check_document(facts, proposal, "client.yaml", "proposal.yaml")
    issue = caught.value.issues[0]
    assert (issue.file, issue.line, issue.path) == ("proposal.yaml", 4, "sessions[1]")
    result = protocol.check_document(facts, '{"technique": "peel.one", "sessions": ["2026-12-02"]}')
    assert result.verdict == "acceptable"


def test_the_answer_is_deterministic_and_stamped(protocol: engine.Protocol) -> None:
    one = check(protocol, TODAY, last="2026-11-20").model_dump_json()
    assert one == check(protocol, TODAY, last="2026-11-20").model_dump_json()
    result = CheckResult.model_validate_json(one)
    assert result.protocol.sha256 == protocol.sha256 and result.format_version == "1"


def test_a_verdict_that_does_not_follow_from_the_findings_cannot_be_built(protocol: engine.Protocol) -> None:
    result = check(protocol, TODAY)
    with pytest.raises(ValueError, match="does not follow"):
        CheckResult.model_validate({**result.model_dump(), "verdict": "acceptable"})


def test_the_text_answer_names_the_verdict_each_violation_and_its_rule(protocol: engine.Protocol) -> None:
    text = engine.render_check_text(check(protocol, TODAY, last="2026-11-20"))
    assert "Verdict: UNACCEPTABLE" in text
    assert "session 1 (2026-11-25) [CI-LAST]: not today, from 2026-12-04: Rule CI-LAST" in text
    assert f"sha256 {protocol.sha256}" in text
