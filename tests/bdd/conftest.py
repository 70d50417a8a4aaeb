"""Step definitions for the feature files, written in the clinic's words.

Techniques are named by their catalogue title ("Salicylic acid peel"), facts by their
vocabulary label ("Fitzpatrick skin type"), so that a reviewer reads the same words in the
features, the rules and the plans. Tags ``@rule:ID`` become ``pytest.mark.rule(id=ID)``.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import re
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

import engine
from tests.conftest import BASELINE
from tests.rule_coverage import record


def pytest_bdd_apply_tag(tag: str, function: Any) -> bool | None:
    if tag.startswith("rule:"):
        pytest.mark.rule(id=tag.removeprefix("rule:"))(function)
        return True
    return None


def _fact_name(protocol: engine.Protocol, label: str) -> str:
    for name, spec in protocol.facts.items():
        if label.lower() in (spec.label.lower(), name):
            return name
    raise AssertionError(f"no fact is labelled {label!r}")


def _technique(protocol: engine.Protocol, title: str) -> str:
    for tid, spec in protocol.techniques.items():
        if title.lower() in (spec.title.lower(), spec.title.split(" (")[0].lower(), tid):
            return tid
    raise AssertionError(f"no technique is titled {title!r}")


_AGO = re.compile(r"^(\d+) (day|days|week|weeks|month|months|year|years) before the assessment$")


def _answer(protocol: engine.Protocol, name: str, text: str, assessment: str) -> Any:
    spec = protocol.facts[name]
    text = text.strip()
    if spec.type == "boolean":
        assert text in ("yes", "no"), f"answer {name} with yes or no"
        return text == "yes"
    if spec.type == "integer":
        return int(text)
    if spec.type == "enum":
        return text.replace(" ", "_")
    if spec.type == "set":
        return [] if text == "none" else [item.strip().replace(" ", "_") for item in text.split(",")]
    if spec.type == "treatment_history":
        assert text == "none", "previous treatments are added with 'the client had a ...' steps"
        return []
    if spec.type == "date":
        if text == "the assessment date":
            return assessment
        match = _AGO.match(text)
        if match:
            from engine._model import Period

            period = Period.parse(f"{match.group(1)} {match.group(2)}")
            return period.before(dt.date.fromisoformat(assessment)).isoformat()
        return text
    raise AssertionError(f"cannot answer {name} ({spec.type}) in a table")


UNANSWERED = "unanswered"
"""An answer that leaves the question out: the fact is unknown (never "no")."""


def _apply(protocol: engine.Protocol, client: dict[str, Any], label: str, text: str) -> None:
    name = _fact_name(protocol, label)
    if text.strip() == UNANSWERED:
        client.pop(name, None)
    else:
        client[name] = _answer(protocol, name, text, client["assessment_date"])


def _table(datatable: list[list[str]]) -> list[tuple[str, str]]:
    header, *rows = datatable
    assert [h.lower() for h in header] == ["question", "answer"], "the table needs the columns question | answer"
    return [(label, text) for label, text in rows]


@given("a client with these answers:", target_fixture="client")
def client_with_answers(protocol: engine.Protocol, datatable: list[list[str]]) -> dict[str, Any]:
    """The Background of every feature: the baseline client, shown to the reviewer as a table.

    The table must say exactly what ``tests.conftest.BASELINE`` says, so that the client a
    reviewer reads is the client the scenarios (and the other tests) run.
    """
    client: dict[str, Any] = {}
    for label, text in _table(datatable):
        if _fact_name(protocol, label) == "assessment_date":
            client["assessment_date"] = text.strip()
    for label, text in _table(datatable):
        _apply(protocol, client, label, text)
    assert client == BASELINE, f"the Background table and tests.conftest.BASELINE differ: {_diff(client, BASELINE)}"
    return copy.deepcopy(client)


def _diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [
        f"{k}: {a.get(k, '(absent)')!r} != {b.get(k, '(absent)')!r}" for k in sorted({*a, *b}) if a.get(k) != b.get(k)
    ]


@given("a client who has only given the assessment date", target_fixture="client")
def client_with_only_a_date() -> dict[str, Any]:
    return {"assessment_date": BASELINE["assessment_date"]}


@given("the client's answers include:")
def answers(protocol: engine.Protocol, client: dict[str, Any], datatable: list[list[str]]) -> None:
    for label, text in _table(datatable):
        _apply(protocol, client, label, text)


@given(parsers.parse("the client's answers differ from the baseline in: {changes}"))
def answers_inline(protocol: engine.Protocol, client: dict[str, Any], changes: str) -> None:
    """One line of a Scenario Outline: ``Label: answer; Label: answer`` (or ``none``)."""
    if changes.strip() == "none":
        return
    for change in changes.split(";"):
        label, _, text = change.partition(":")
        assert text, f"write each change as 'Question label: answer', not {change!r}"
        _apply(protocol, client, label.strip(), text)


@given(parsers.parse('the client has not answered "{label}"'))
def unanswered(protocol: engine.Protocol, client: dict[str, Any], label: str) -> None:
    client.pop(_fact_name(protocol, label), None)


def _had(protocol: engine.Protocol, client: dict[str, Any], title: str, amount: int, unit: str, **details: str) -> None:
    from engine._model import Period

    day = Period.parse(f"{amount} {unit}").before(dt.date.fromisoformat(client["assessment_date"]))
    entry = {"technique": _technique(protocol, title), "date": day.isoformat(), **details}
    client.setdefault("previous_treatments", []).append(entry)


@given(parsers.parse('the client had a "{title}" {amount:d} {unit} before the assessment'))
def previous_treatment(protocol: engine.Protocol, client: dict[str, Any], title: str, amount: int, unit: str) -> None:
    """A previous session the skin tolerated (its reaction is recorded as none)."""
    _had(protocol, client, title, amount, unit, reaction="none")


@given(parsers.parse('the client had a "{title}" {amount:d} {unit} before the assessment, which left {reaction}'))
def previous_reaction(
    protocol: engine.Protocol, client: dict[str, Any], title: str, amount: int, unit: str, reaction: str
) -> None:
    """A previous session and the skin's reaction to it, in words: e.g. "prolonged redness"."""
    _had(protocol, client, title, amount, unit, reaction=reaction.replace(" ", "_"))


@given(
    parsers.parse('the client had a "{title}" {amount:d} {unit} before the assessment, with the result "{response}"')
)
def previous_response(
    protocol: engine.Protocol, client: dict[str, Any], title: str, amount: int, unit: str, response: str
) -> None:
    """The last session of a course and the practitioner's judgement of its result (adequate, inadequate)."""
    _had(protocol, client, title, amount, unit, reaction="none", response=response.replace(" ", "_"))


@given(parsers.parse("the client would like to start on {day}"))
def start_on(client: dict[str, Any], day: str) -> None:
    client["start_date"] = day


@pytest.fixture
def practitioner() -> dict[str, str]:
    """The practitioner's choice of technique, when a scenario makes one (empty: the protocol's choice)."""
    return {}


@given(parsers.parse('the practitioner asks for "{title}"'))
def practitioner_asks(protocol: engine.Protocol, practitioner: dict[str, str], title: str) -> None:
    practitioner["technique"] = _technique(protocol, title)


@when("the protocol is applied", target_fixture="plan")
def apply(protocol: engine.Protocol, client: dict[str, Any], practitioner: dict[str, str]) -> engine.TreatmentPlan:
    plan = protocol.evaluate(client, technique=practitioner.get("technique"))
    record(protocol, client)  # every rule must fire in some test: see tests/rule_coverage.py
    return plan


def _rule_ids(justifications: Any) -> set[str]:
    return {j.rule_id for j in justifications}


@then(parsers.parse('the plan status is "{status}"'))
def status_is(plan: engine.TreatmentPlan, status: str) -> None:
    assert plan.status == status.replace(" ", "_"), plan.summary


@then(parsers.parse('"{title}" is excluded because of {rule_id}'))
def excluded_because(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, rule_id: str) -> None:
    technique = _technique(protocol, title)
    found = [e for e in plan.excluded if e.technique == technique]
    assert found, f"{technique} is not excluded; excluded: {[e.technique for e in plan.excluded]}"
    assert rule_id in _rule_ids(found[0].reasons)
    assert all(s.technique != technique for s in plan.steps)


@then(parsers.parse('"{title}" may be reconsidered from {day}'))
def reconsider(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, day: str) -> None:
    technique = _technique(protocol, title)
    (found,) = [e for e in plan.excluded if e.technique == technique]
    assert found.reconsider_from == day


@then(parsers.parse('"{title}" is waiting for "{label}" because of {rule_id}'))
def pending(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, label: str, rule_id: str) -> None:
    technique = _technique(protocol, title)
    found = [p for p in plan.pending if p.technique == technique]
    assert found, f"{technique} is not pending; pending: {[p.technique for p in plan.pending]}"
    assert _fact_name(protocol, label) in found[0].missing_facts
    assert rule_id in found[0].rules
    assert all(s.technique != technique for s in plan.steps)


@then(parsers.parse('the plan asks for "{label}" because of {rule_id}'))
def asks_for(protocol: engine.Protocol, plan: engine.TreatmentPlan, label: str, rule_id: str) -> None:
    name = _fact_name(protocol, label)
    found = [m for m in plan.missing_facts if m.fact == name]
    assert found, f"{name} is not asked for; missing: {[m.fact for m in plan.missing_facts]}"
    assert rule_id in found[0].needed_by


@then(parsers.parse('the planned technique is "{title}"'))
def planned(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str) -> None:
    assert plan.technique == _technique(protocol, title), plan.choice


@then("no technique is planned")
def nothing_planned(plan: engine.TreatmentPlan) -> None:
    assert plan.technique is None
    assert not [s for s in plan.steps if s.phase == "treatment"]


@then(parsers.parse('the plan cautions about "{title}" because of {rule_id}'))
def caution(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, rule_id: str) -> None:
    technique = _technique(protocol, title)
    found = [c for c in plan.cautions if c.rule_id == rule_id]
    assert found and technique in found[0].techniques, [c.rule_id for c in plan.cautions]


@then(parsers.parse('"{title}" has an argument {direction} it from {rule_id}'))
def argument(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, direction: str, rule_id: str) -> None:
    technique = _technique(protocol, title)
    (row,) = [r for r in plan.ranking if r.technique == technique]
    assert direction in ("for", "against")
    ids = row.arguments_for if direction == "for" else row.arguments_against
    assert rule_id in ids, (row.arguments_for, row.arguments_against)


@then(parsers.parse('"{first}" is ranked above "{second}"'))
def ranked_above(protocol: engine.Protocol, plan: engine.TreatmentPlan, first: str, second: str) -> None:
    order = [r.technique for r in plan.ranking]
    assert order.index(_technique(protocol, first)) < order.index(_technique(protocol, second))


@then(parsers.parse('the plan includes the step "{title}" because of {rule_id}'))
def includes_step(plan: engine.TreatmentPlan, title: str, rule_id: str) -> None:
    found = [s for s in plan.steps if s.title == title and not s.skipped]
    assert found, [s.title for s in plan.steps]
    assert rule_id in _rule_ids(found[0].justifications)


@then(parsers.parse('the plan does not include the step "{title}"'))
def lacks_step(plan: engine.TreatmentPlan, title: str) -> None:
    assert title not in [s.title for s in plan.steps if not s.skipped]


@then(parsers.parse('the plan does not ask for "{label}"'))
def not_asked(protocol: engine.Protocol, plan: engine.TreatmentPlan, label: str) -> None:
    assert _fact_name(protocol, label) not in {m.fact for m in plan.missing_facts}


@then(parsers.parse("every treatment session names the rule {rule_id}"))
def sessions_name_rule(plan: engine.TreatmentPlan, rule_id: str) -> None:
    sessions = [s for s in plan.steps if s.phase == "treatment"]
    assert sessions and all(rule_id in _rule_ids(s.justifications) for s in sessions)


@then(parsers.parse("the exfoliation phase is skipped because of {rule_id}"))
def exfoliation_skipped(plan: engine.TreatmentPlan, rule_id: str) -> None:
    found = [s for s in plan.steps if s.phase == "exfoliation"]
    assert found and found[0].skipped, [s.title for s in found]
    assert rule_id in _rule_ids(found[0].justifications)


@then(parsers.parse("the first session is on {day}"))
def first_session(plan: engine.TreatmentPlan, day: str) -> None:
    sessions = [s for s in plan.steps if s.phase == "treatment"]
    assert sessions and sessions[0].date == day, [s.date for s in sessions]


@then(parsers.parse("the first session may not be before {day}"))
def earliest(plan: engine.TreatmentPlan, day: str) -> None:
    assert plan.earliest_start == day


@then(parsers.parse("the sessions are {period} apart"))
def sessions_apart(plan: engine.TreatmentPlan, period: str) -> None:
    from engine._model import Period

    sessions = [s for s in plan.steps if s.phase == "treatment"]
    assert len(sessions) > 1
    for before, after in itertools.pairwise(sessions):
        assert before.date and after.date
        assert Period.parse(period).after(dt.date.fromisoformat(before.date)).isoformat() == after.date


@then(parsers.parse("the phases come in the order {phases}"))
def phase_order(plan: engine.TreatmentPlan, phases: str) -> None:
    expected = [p.strip().replace(" ", "_") for p in phases.replace(" and ", ", ").split(",")]
    seen: list[str] = []
    for step in plan.steps:
        if step.phase not in seen:
            seen.append(step.phase)
    assert seen == expected, seen


@then(parsers.parse('the aftercare includes "{title}" for {duration} because of {rule_id}'))
def aftercare(plan: engine.TreatmentPlan, title: str, duration: str, rule_id: str) -> None:
    found = [s for s in plan.steps if s.phase == "aftercare" and s.title == title]
    assert found, [s.title for s in plan.steps if s.phase == "aftercare"]
    assert found[0].duration == duration
    assert rule_id in _rule_ids(found[0].justifications)


@then(parsers.parse('the derived fact "{label}" is "{value}" because of {rule_id}'))
def derived(protocol: engine.Protocol, plan: engine.TreatmentPlan, label: str, value: str, rule_id: str) -> None:
    name = _fact_name(protocol, label)
    (found,) = [d for d in plan.derived_facts if d.fact == name]
    assert str(found.value) == value
    assert found.justification is not None and found.justification.rule_id == rule_id


@then(parsers.parse("every step names the rule behind it"))
def every_step_justified(plan: engine.TreatmentPlan) -> None:
    assert plan.steps and all(s.justifications for s in plan.steps)


def _titles(protocol: engine.Protocol, text: str) -> list[str]:
    if text.strip() in ("none", "-"):
        return []
    return [_technique(protocol, title.strip()) for title in text.split(",")]


@then(parsers.parse('the plan chooses "{title}"'))
def chooses(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str) -> None:
    """``no technique`` when nothing may be planned (not suitable, or questions still open)."""
    if title == "no technique":
        assert plan.technique is None, plan.choice
        assert not [s for s in plan.steps if s.phase == "treatment"]
    else:
        assert plan.technique == _technique(protocol, title), plan.choice or plan.summary


@then(parsers.parse("none of these is the planned technique: {titles}"))
def never_planned(protocol: engine.Protocol, plan: engine.TreatmentPlan, titles: str) -> None:
    for technique in _titles(protocol, titles):
        assert plan.technique != technique, f"{technique} must never be chosen here: {plan.choice}"


@then(parsers.parse("none of these is a candidate: {titles}"))
def not_candidates(protocol: engine.Protocol, plan: engine.TreatmentPlan, titles: str) -> None:
    rows = {r.technique: r for r in plan.ranking}
    for technique in _titles(protocol, titles):
        assert rows[technique].status not in ("chosen", "candidate"), (technique, rows[technique].status)


def _agent(protocol: engine.Protocol, title: str) -> str:
    agents = protocol._spec.agents
    for agent_id, spec in agents.items():
        if title.lower() in (spec.title.lower(), agent_id):
            return agent_id
    raise AssertionError(f"no agent is titled {title!r}")


@then(parsers.parse('no step of the plan uses "{title}"'))
def agent_not_used(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str) -> None:
    agent = _agent(protocol, title)
    used = [s.title for s in plan.steps for a in s.agents if a.agent == agent and a.role == "uses"]
    assert not used, f"{agent} is used by {used}"
    if plan.technique is not None:
        assert agent not in protocol._spec.techniques[plan.technique].agents, (
            f"the sessions of {plan.technique} use {agent}"
        )


def _timing(
    plan: engine.TreatmentPlan, protocol: engine.Protocol, step: str, role: str, title: str
) -> engine.AgentTiming:
    """The first timing of agent ``title`` that step ``step`` uses or pauses (``role``), as the scenario words it."""
    agent = _agent(protocol, title)
    wanted = {"uses": "uses", "pauses": "withholds"}[role]
    found = [s for s in plan.steps if s.title == step and not s.skipped]
    assert found, [s.title for s in plan.steps]
    timings = [a for a in found[0].agents if a.agent == agent and a.role == wanted]
    assert timings, found[0].agents
    return timings[0]


@then(parsers.parse('the step "{step}" {role} "{title}" from {start} until {until}'))
def agent_timing(
    plan: engine.TreatmentPlan, protocol: engine.Protocol, step: str, role: str, title: str, start: str, until: str
) -> None:
    """Dates of a timed agent: ``from 2026-12-07 until 2027-01-22`` as the plan prints them."""
    timing = _timing(plan, protocol, step, role, title)
    assert (timing.start_on, timing.until_on) == (start, until), timing


@then(parsers.parse('the step "{step}" {role} "{title}" around each maintenance session: {spans}'))
def agent_windows(
    plan: engine.TreatmentPlan, protocol: engine.Protocol, step: str, role: str, title: str, spans: str
) -> None:
    """Each window of a timed agent: ``2026-11-25 to 2026-12-28, 2027-02-07 to 2027-02-28`` as the plan prints them."""
    timing = _timing(plan, protocol, step, role, title)
    expected = [tuple(span.split(" to ")) for span in spans.split(", ")]
    assert [(w.start_on, w.until_on) for w in timing.windows] == expected, timing.windows


@then(parsers.parse('no {kind} of "{title}" in the plan lasts longer than {weeks:d} weeks'))
def agent_longest(plan: engine.TreatmentPlan, protocol: engine.Protocol, kind: str, title: str, weeks: int) -> None:
    """Every use (or pause) of the agent in any step, window by window, is at most ``weeks`` long."""
    agent = _agent(protocol, title)
    wanted = {"use": "uses", "pause": "withholds"}[kind]
    spans = [
        (w.start_on, w.until_on) if a.windows else (a.start_on, a.until_on)
        for s in plan.steps
        for a in s.agents
        if a.agent == agent and a.role == wanted
        for w in (a.windows or (None,))
    ]
    assert spans, f"no step {wanted} {agent}"
    for start, until in spans:
        assert start and until, spans
        length = dt.date.fromisoformat(until) - dt.date.fromisoformat(start)
        assert length <= dt.timedelta(weeks=weeks), (start, until, spans)


@then(parsers.parse('"{title}" is ranked above "{second}" because it has fewer cautions'))
def fewer_cautions(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, second: str) -> None:
    rows = {r.technique: (i, r) for i, r in enumerate(plan.ranking)}
    first_at, first = rows[_technique(protocol, title)]
    second_at, other = rows[_technique(protocol, second)]
    assert first_at < second_at, [r.technique for r in plan.ranking]
    assert len(first.cautions) < len(other.cautions), (first.cautions, other.cautions)
    assert first.score <= other.score, "the score alone would already decide: pick a pair where it does not"


@then(parsers.parse('"{title}" is a candidate, indicated by {rule_id}'))
def candidate_indicated(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, rule_id: str) -> None:
    technique = _technique(protocol, title)
    (row,) = [r for r in plan.ranking if r.technique == technique]
    assert row.status in ("chosen", "candidate"), row.status
    assert rule_id in row.indicated_by, row.indicated_by


@then(parsers.parse('"{title}" is not indicated for this pore cause'))
def not_indicated(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str) -> None:
    technique = _technique(protocol, title)
    (row,) = [r for r in plan.ranking if r.technique == technique]
    assert row.status == "not_indicated" and not row.indicated_by, (row.status, row.indicated_by)


@then(parsers.parse("the plan may be reconsidered from {day}"))
def plan_reconsider(plan: engine.TreatmentPlan, day: str) -> None:
    assert plan.reconsider_from == day, plan.reconsider_from


@then("the plan names no date to reconsider")
def no_reconsider(plan: engine.TreatmentPlan) -> None:
    assert plan.reconsider_from is None, plan.reconsider_from


@then(parsers.parse('"{title}" is excluded because {rule_id} rules out an agent it needs'))
def excluded_by_agent(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, rule_id: str) -> None:
    technique = _technique(protocol, title)
    found = [e for e in plan.excluded if e.technique == technique]
    assert found, f"{technique} is not excluded; excluded: {[e.technique for e in plan.excluded]}"
    reasons = [r for r in found[0].reasons if r.rule_id == rule_id]
    assert reasons and reasons[0].note and "rules out" in reasons[0].note, found[0].reasons


@then(parsers.parse('the plan asks first for "{label}"'))
def asks_first(protocol: engine.Protocol, plan: engine.TreatmentPlan, label: str) -> None:
    assert plan.missing_facts and plan.missing_facts[0].fact == _fact_name(protocol, label), [
        m.fact for m in plan.missing_facts
    ]


@then(parsers.parse('"{title}" has a caution from {rule_id}'))
def ranked_caution(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str, rule_id: str) -> None:
    """A caution on a technique that is not (or not necessarily) the chosen one: the ranking shows it."""
    technique = _technique(protocol, title)
    (row,) = [r for r in plan.ranking if r.technique == technique]
    assert rule_id in row.cautions, (technique, row.status, row.cautions)


@then(parsers.parse('the step "{title}" is on {day}'))
def step_on(plan: engine.TreatmentPlan, title: str, day: str) -> None:
    found = [s for s in plan.steps if s.title == title and not s.skipped]
    assert found, [s.title for s in plan.steps]
    assert found[0].date == day, found[0].date


# ---------------------------------------------------------------------- a course over time


def _sessions(plan: engine.TreatmentPlan) -> list[Any]:
    return [s for s in plan.steps if s.phase == "treatment" and not s.skipped]


@then(parsers.parse("the course continues with sessions {first:d} to {last:d} of {total:d}"))
def course_continues(plan: engine.TreatmentPlan, first: int, last: int, total: int) -> None:
    assert plan.course is not None and plan.course.state == "continuing", plan.course
    sessions = _sessions(plan)
    assert [(s.session, s.of_sessions) for s in sessions] == [(n, total) for n in range(first, last + 1)], [
        s.title for s in sessions
    ]
    assert plan.course.sessions_done == first - 1


@then(parsers.parse("the course continues with session {number:d} of {total:d}, its last"))
def course_last_session(plan: engine.TreatmentPlan, number: int, total: int) -> None:
    course_continues(plan, number, number, total)
    assert number == total


@then(parsers.parse("the plan starts a new course of {total:d} sessions"))
def new_course(plan: engine.TreatmentPlan, total: int) -> None:
    assert plan.course is not None and plan.course.state in ("new", "restarting"), plan.course
    assert plan.course.sessions_done == 0
    assert [(s.session, s.of_sessions) for s in _sessions(plan)] == [(n, total) for n in range(1, total + 1)]


@then(parsers.parse("the plan maintains the course with a session every {period}, the first on {day}"))
def maintained(plan: engine.TreatmentPlan, period: str, day: str) -> None:
    from engine._model import Period

    assert plan.course is not None and plan.course.state == "maintenance", plan.course
    sessions = _sessions(plan)
    assert sessions and all(s.maintenance for s in sessions), [s.title for s in sessions]
    assert sessions[0].date == day, sessions[0].date
    for before, after in itertools.pairwise(sessions):
        assert before.date and after.date
        assert Period.parse(period).after(dt.date.fromisoformat(before.date)).isoformat() == after.date


@then(parsers.parse('every session of the plan says "{text}" because of {rule_id}'))
def every_session_says(plan: engine.TreatmentPlan, text: str, rule_id: str) -> None:
    sessions = _sessions(plan)
    assert sessions, "the plan has no session"
    for session in sessions:
        assert text in " ".join(session.instructions.split()), (session.title, session.instructions)
        assert rule_id in {j.rule_id for j in session.justifications}, (session.title, session.justifications)


@then(parsers.parse('no session of the plan says "{text}"'))
def no_session_says(plan: engine.TreatmentPlan, text: str) -> None:
    assert not [s.title for s in _sessions(plan) if text in " ".join(s.instructions.split())]


@then("no session of the plan is a maintenance session")
def not_maintained(plan: engine.TreatmentPlan) -> None:
    assert plan.course is None or plan.course.state != "maintenance", plan.course
    assert not [s.title for s in _sessions(plan) if s.maintenance]


@then("the plan says the practitioner chose it")
def practitioners_choice(plan: engine.TreatmentPlan) -> None:
    assert plan.choice is not None and "the practitioner's choice" in plan.choice, plan.choice


@then(parsers.parse("the plan says the practitioner's choice is {verdict}"))
def choice_refused(plan: engine.TreatmentPlan, verdict: str) -> None:
    """``not indicated for the pore cause`` or ``ruled out for this client``, as the summary says it."""
    assert "the practitioner's choice" in plan.summary and verdict in plan.summary, plan.summary


@then(parsers.parse("the plan asks how well the last course worked, because of {rule_id}"))
def asks_response(protocol: engine.Protocol, plan: engine.TreatmentPlan, rule_id: str) -> None:
    found = [m for m in plan.missing_facts if m.fact == "previous_treatments.response"]
    assert found, [m.fact for m in plan.missing_facts]
    assert rule_id in found[0].needed_by
    assert found[0].question == protocol.facts["previous_treatments"].response_question.strip()


# ---------------------------------------------------------------------- checking the practitioner's own plan


def _dates(text: str) -> list[str]:
    """``2026-12-01``, ``2026-12-01 and 2026-12-15`` or ``2026-12-01, 2026-12-15 and 2026-12-29``."""
    days = [d.strip() for d in re.split(r",|\band\b", text) if d.strip()]
    for day in days:
        dt.date.fromisoformat(day)  # a typo in a feature is an error, not a different proposal
    return days


@when(parsers.parse('the practitioner proposes "{title}" on {dates}'), target_fixture="check")
def proposes(protocol: engine.Protocol, client: dict[str, Any], title: str, dates: str) -> engine.CheckResult:
    result = protocol.check(client, {"technique": _technique(protocol, title), "sessions": _dates(dates)})
    record(protocol, client)
    return result


@then(parsers.parse('the check\'s verdict is "{verdict}"'))
def check_verdict(check: engine.CheckResult, verdict: str) -> None:
    assert check.verdict == verdict.replace(" ", "_"), (check.summary, check.violations)


@then(parsers.parse('the check says "{text}" because of {rule_id}'))
def check_says(protocol: engine.Protocol, check: engine.CheckResult, text: str, rule_id: str) -> None:
    """A violation of that rule (or of the catalogue: ``the catalogue entry of "Title"``) saying that."""
    wanted = rule_id
    catalogue = re.fullmatch(r'the catalogue entry of "(.+)"', rule_id)
    if catalogue:
        wanted = f"techniques.yaml:{_technique(protocol, catalogue.group(1))}"
    found = [v for v in check.violations if v.rule_id == wanted]
    assert found, [(v.rule_id, v.message) for v in check.violations]
    assert any(text in v.message for v in found), [v.message for v in found]


@then("the check names no violation")
def check_clean(check: engine.CheckResult) -> None:
    assert not check.violations, [(v.rule_id, v.message) for v in check.violations]


@then(parsers.parse("the check cautions about {rule_id}"))
def check_caution(check: engine.CheckResult, rule_id: str) -> None:
    assert rule_id in [c.rule_id for c in check.cautions], [c.rule_id for c in check.cautions]


@then(parsers.parse('the check asks for "{label}"'))
def check_asks(protocol: engine.Protocol, check: engine.CheckResult, label: str) -> None:
    assert _fact_name(protocol, label) in [m.fact for m in check.missing_facts], check.missing_facts


@then(parsers.parse("the check allows the first session from {day}"))
def check_earliest(check: engine.CheckResult, day: str) -> None:
    assert check.earliest_start == day, check.earliest_start
