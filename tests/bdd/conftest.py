"""Step definitions for the feature files, written in the clinic's words.

Techniques are named by their catalogue title ("Salicylic acid peel"), facts by their
vocabulary label ("Fitzpatrick skin type"), so that a reviewer reads the same words in the
features, the rules and the plans. Tags ``@rule:ID`` become ``pytest.mark.rule(id=ID)``.
"""

from __future__ import annotations

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
    if spec.type == "date":
        match = _AGO.match(text)
        if match:
            from engine._model import Period

            period = Period.parse(f"{match.group(1)} {match.group(2)}")
            return period.before(dt.date.fromisoformat(assessment)).isoformat()
        return text
    raise AssertionError(f"cannot answer {name} ({spec.type}) in a table")


@given("a client with no risk factors", target_fixture="client")
def client_without_risks() -> dict[str, Any]:
    return dict(BASELINE, previous_treatments=[], pore_causes=list(BASELINE["pore_causes"]))


@given("a client who has only given the assessment date", target_fixture="client")
def client_with_only_a_date() -> dict[str, Any]:
    return {"assessment_date": BASELINE["assessment_date"]}


@given("the client's answers include:")
def answers(protocol: engine.Protocol, client: dict[str, Any], datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert [h.lower() for h in header] == ["question", "answer"], "the table needs the columns question | answer"
    for label, text in rows:
        name = _fact_name(protocol, label)
        client[name] = _answer(protocol, name, text, client["assessment_date"])


@given(parsers.parse('the client has not answered "{label}"'))
def unanswered(protocol: engine.Protocol, client: dict[str, Any], label: str) -> None:
    client.pop(_fact_name(protocol, label), None)


@given(parsers.parse('the client had a "{title}" {amount:d} {unit} before the assessment'))
def previous_treatment(protocol: engine.Protocol, client: dict[str, Any], title: str, amount: int, unit: str) -> None:
    from engine._model import Period

    day = Period.parse(f"{amount} {unit}").before(dt.date.fromisoformat(client["assessment_date"]))
    client.setdefault("previous_treatments", []).append(
        {"technique": _technique(protocol, title), "date": day.isoformat()}
    )


@given(parsers.parse("the client would like to start on {day}"))
def start_on(client: dict[str, Any], day: str) -> None:
    client["start_date"] = day


@when("the protocol is applied", target_fixture="plan")
def apply(protocol: engine.Protocol, client: dict[str, Any]) -> engine.TreatmentPlan:
    plan = protocol.evaluate(client)
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


@then(parsers.parse('"{title}" is not excluded'))
def not_excluded(protocol: engine.Protocol, plan: engine.TreatmentPlan, title: str) -> None:
    technique = _technique(protocol, title)
    assert technique not in {e.technique for e in plan.excluded}


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
