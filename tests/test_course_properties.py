"""Safety of the course features, proved like the rest: the practitioner's choice, courses
in progress with reactions, and the check of a practitioner's own plan.

* the practitioner's choice never yields a plan for an excluded or pending technique, and
  every plan it gives keeps every safety property of :func:`tests.test_safety_properties.check_plan`;
* a returning client's plan (a course in progress, completed or lapsed, with reactions
  recorded or not) keeps them too;
* ``check`` never answers ``acceptable`` or ``needs_review`` for a proposal ``evaluate`` would
  refuse: an excluded, pending or unindicated technique, or a session before the first day the
  protocol allows; and ``acceptable`` only when the practitioner's choice gives a ``ready`` plan.

Clients are the generated ones (any mix of answers) and the baseline client (a ready plan)
with a generated course, so that courses that continue and are maintained come up often.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import engine
from tests.conftest import BASELINE
from tests.reference_evaluator import reference_outcomes
from tests.strategies import clients, course_history, profile, proposals, random_client
from tests.test_safety_properties import _unsafe, check_plan

CHOICE_CASES = 300
CHECK_CASES = 400
ANCHOR = dt.date.fromisoformat(BASELINE["assessment_date"])


def _returning(data: st.DataObject, protocol: engine.Protocol) -> dict[str, Any]:
    """Half the time a generated client, half the time the baseline client with a course behind her."""
    if data.draw(st.booleans(), label="baseline"):
        history = data.draw(course_history(protocol, ANCHOR), label="course")
        client = {**BASELINE, "previous_treatments": history}
        later = data.draw(st.sampled_from([None, 7, 60]), label="start in days")  # 60: the course restarts
        if later is not None:
            client["start_date"] = (ANCHOR + dt.timedelta(days=later)).isoformat()
        return client
    return data.draw(clients(protocol, complete=data.draw(st.sampled_from([None, True]))), label="client")


@profile(CHOICE_CASES)
@given(data=st.data())
def test_the_practitioners_choice_is_as_safe_as_the_protocols(protocol: engine.Protocol, data: st.DataObject) -> None:
    client = _returning(data, protocol)
    technique = data.draw(st.sampled_from(sorted(protocol.techniques)), label="technique")
    plan = protocol.evaluate(client, technique=technique)
    check_plan(protocol, client, plan, requested=technique)
    assert plan.technique in (None, technique), f"asked for {technique}, planned {plan.technique}"
    if any(e.technique == technique for e in plan.excluded):
        assert plan.status == "not_suitable" and plan.technique is None
    if any(p.technique == technique for p in plan.pending):
        assert plan.status == "needs_information" and plan.technique is None


@profile(CHOICE_CASES)
@given(data=st.data())
def test_a_returning_clients_plan_keeps_every_safety_property(protocol: engine.Protocol, data: st.DataObject) -> None:
    history = data.draw(course_history(protocol, ANCHOR), label="course")
    # Sometimes a retinoid user, sometimes pigment-prone: the steps that pause or prime around
    # the sessions of a course carried on or maintained.
    retinoid = data.draw(st.sampled_from(["never", (ANCHOR - dt.timedelta(days=1)).isoformat()]), label="retinoid")
    client = {
        **BASELINE,
        "previous_treatments": history,
        "topical_retinoid_last_use": retinoid,
        "pih_history": data.draw(st.booleans(), label="dark marks"),
    }
    check_plan(protocol, client, protocol.evaluate(client))


@profile(CHECK_CASES)
@given(data=st.data())
def test_check_never_accepts_what_evaluate_refuses(protocol: engine.Protocol, data: st.DataObject) -> None:
    client = _returning(data, protocol)
    anchor = dt.date.fromisoformat(client["assessment_date"])
    proposal = data.draw(proposals(protocol, anchor), label="proposal")
    technique = proposal["technique"]
    result = protocol.check(client, proposal)
    plan = protocol.evaluate(client, technique=technique)
    accepted = result.verdict in ("acceptable", "needs_review")
    if plan.technique != technique:  # excluded, pending, or not indicated
        assert not accepted, f"{result.verdict} for {technique}, which the plan refuses ({plan.status})"
        return
    days = [dt.date.fromisoformat(d) for d in proposal["sessions"]]
    assert plan.earliest_start is not None
    if min(days) < dt.date.fromisoformat(plan.earliest_start):
        assert result.verdict == "unacceptable", f"a session before {plan.earliest_start} was {result.verdict}"
    if result.verdict == "acceptable":
        assert plan.status == "ready"
        assert technique not in _unsafe(protocol, reference_outcomes(protocol, client))
    if result.verdict == "needs_review":
        assert plan.status == "needs_review" and result.cautions
    for violation in result.violations:
        assert violation.rule_id in protocol.rule_ids or violation.rule_id in (
            f"techniques.yaml:{technique}",
            "facts:assessment_date",
        ), violation


def test_the_course_properties_are_not_vacuous(protocol: engine.Protocol) -> None:
    """Courses continue, restart and are maintained, and every verdict comes up, in the populations above."""
    rng = random.Random(20261201)
    states: set[str] = set()
    verdicts: set[str] = set()
    for _ in range(400):
        client = {**BASELINE, "previous_treatments": _course(protocol, rng)}
        if rng.random() < 0.3:  # a start two months away: a course in progress cannot wait that long
            client["start_date"] = (ANCHOR + dt.timedelta(days=60)).isoformat()
        plan = protocol.evaluate(client)
        if plan.course is not None:
            states.add(plan.course.state)
        proposal = {
            "technique": plan.technique or rng.choice(sorted(protocol.techniques)),
            "sessions": _days(rng, ANCHOR),
        }
        verdicts.add(protocol.check(client, proposal).verdict)
    for _ in range(200):
        client = random_client(protocol, rng)
        days = _days(rng, dt.date.fromisoformat(client["assessment_date"]))
        verdicts.add(protocol.check(client, {"technique": "peel.salicylic", "sessions": days}).verdict)
    assert states == {"new", "continuing", "restarting", "maintenance"}, states
    assert verdicts == {"acceptable", "needs_review", "needs_information", "unacceptable"}, verdicts


def _course(protocol: engine.Protocol, rng: random.Random) -> list[dict[str, Any]]:
    from tests.strategies import _COURSE_BYTES, _decode_course, _Reader, space

    sp = space(protocol)
    history = next(f for _, f in sp.facts if f.type == "treatment_history")
    return _decode_course(sp, history, ANCHOR, _Reader(rng.randbytes(_COURSE_BYTES)))


def _days(rng: random.Random, anchor: dt.date) -> list[str]:
    day = anchor + dt.timedelta(days=rng.choice([0, 0, 3, 10, 30]))
    out = [day]
    for _ in range(rng.randrange(4)):
        out.append(out[-1] + dt.timedelta(days=rng.choice([7, 14, 21, 28, 35])))
    return [d.isoformat() for d in out]
