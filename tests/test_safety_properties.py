"""Safety properties of plans, on generated clients of the shipped protocol.

Each property is checked against the *reference evaluator's* outcomes where it can be, so
that a planner bug and a matcher bug cannot hide each other:

* nothing excluded (a true absolute contraindication) or pending (an undecided
  contraindication, requirement or timing rule) is ever planned;
* a plan is never ``ready`` while a contraindication, requirement or timing rule of its
  technique is undecided (a fact it needs is absent), nor while any fact is missing;
* every step is justified by rules that hold for this client, quoting the facts they read;
* the same facts give byte-identical JSON, whatever the key order, set order or ``null``
  spelling of an absent answer, and the JSON round-trips through the model;
* Kleene monotonicity, i.e. *unknown never counts as no*: answering more questions never
  changes an outcome that was already decided, and every unknown rule names absent facts;
* a paused agent is paused over the whole stretch before and around each session its words
  cover (in a course or, each session a course of one, in maintenance).
"""

from __future__ import annotations

import datetime as dt
import random
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine._model import Moment
from engine._spec import ContraindicationEffect, Effect, RequirementEffect, Rule
from tests.conftest import BASELINE
from tests.reference_evaluator import FALSE, TRUE, UNKNOWN, reference_outcomes
from tests.strategies import clients, near, profile, random_client, to_yaml

PLAN_CASES = 700
MONOTONE_CASES = 700

SAFETY_KINDS = ("contraindication", "requirement", "sequencing")
"""The rules whose outcome decides whether a technique is safe to plan (the brief's list)."""


def _applies(rule: Rule[Effect], technique: str) -> bool:
    """Does ``rule`` constrain ``technique``? A rule without ``applies_to`` constrains every technique."""
    return technique in rule.techniques or not rule.spec.applies_to


def _of_agents(rule: Rule[Effect]) -> bool:
    """A contraindication of agents, not techniques: it rules out the steps that use them (checked apart)."""
    return isinstance(rule.effect, ContraindicationEffect) and bool(rule.effect.agents)


def _unsafe_agents(protocol: engine.Protocol, truth: Mapping[str, str]) -> dict[str, str]:
    """Agent -> why no step may use it: an absolute contraindication that holds, or any that is undecided."""
    spec = protocol._spec
    out: dict[str, str] = {}
    for rule in spec.contraindications:
        if not rule.effect.agents or truth[rule.id] == FALSE:
            continue
        if truth[rule.id] == TRUE and not rule.effect.absolute:
            continue
        for selector in rule.effect.agents:
            for agent in spec.select_agents(selector):
                out.setdefault(agent, f"{rule.id} is {truth[rule.id]}")
    return out


def _safety_table(protocol: engine.Protocol) -> list[tuple[str, tuple[str, ...], bool]]:
    """(rule id, techniques it constrains, is an absolute contraindication) for every safety rule."""
    table = _TABLES.get(protocol)
    if table is None:
        table = [
            (
                rule.id,
                tuple(t for t in protocol.techniques if _applies(rule, t)),
                isinstance(rule.effect, ContraindicationEffect) and rule.effect.level == "absolute",
            )
            for rule in protocol._spec.rules
            if rule.kind in SAFETY_KINDS and not _of_agents(rule)
        ]
        _TABLES[protocol] = table
    return table


_TABLES: weakref.WeakKeyDictionary[engine.Protocol, list[tuple[str, tuple[str, ...], bool]]] = (
    weakref.WeakKeyDictionary()
)


def _unsafe(protocol: engine.Protocol, truth: Mapping[str, str]) -> dict[str, str]:
    """Technique -> why it must not be planned, from the reference outcomes alone."""
    out: dict[str, str] = {}
    for rule_id, techniques, absolute in _safety_table(protocol):
        outcome = truth[rule_id]
        if outcome == UNKNOWN:
            for technique in techniques:
                out.setdefault(technique, f"{rule_id} is undecided")
        elif outcome == TRUE and absolute:
            for technique in techniques:
                out[technique] = f"{rule_id} excludes it"
    return out


def _planned(plan: engine.TreatmentPlan) -> set[str]:
    techniques = {s.technique for s in plan.steps if s.technique is not None}
    if plan.technique is not None:
        techniques.add(plan.technique)
    return techniques


def check_plan(
    protocol: engine.Protocol, client: Mapping[str, Any], plan: engine.TreatmentPlan, requested: str | None = None
) -> None:
    """Every safety property of one plan; raises AssertionError naming the first broken one.

    ``requested``: the practitioner's choice the plan was asked for. Only what decides that
    technique must then be asked; it is never planned while excluded or pending.
    """
    truth = reference_outcomes(protocol, client)
    supplied = protocol.check_facts(client).as_json()

    # 1. nothing excluded or pending is planned (by the plan's own lists and by the reference)
    excluded = {e.technique for e in plan.excluded}
    listed = excluded | {p.technique for p in plan.pending}
    assert not _planned(plan) & listed, f"planned {_planned(plan) & listed} although excluded or pending"
    unsafe = _unsafe(protocol, truth)
    for technique in _planned(plan):
        assert technique not in unsafe, f"{technique} planned although {unsafe[technique]}"
    for technique, why in unsafe.items():
        assert technique in listed, f"{technique} is neither excluded nor pending although {why}"
    by_rule = {t for t, why in unsafe.items() if why.endswith("excludes it")}
    assert excluded >= by_rule
    for exclusion in plan.excluded:  # any other exclusion is an agent its steps need
        if exclusion.technique not in by_rule:
            assert all(_of_agents(protocol._spec.rule(r.rule_id)) for r in exclusion.reasons), exclusion

    # 6. no step names an agent the client must not have, and the sessions use none
    banned = _unsafe_agents(protocol, truth)
    for step in plan.steps:
        for agent in step.agents:
            if agent.role == "uses":
                assert agent.agent not in banned, f"step {step.title!r} uses {agent.agent}: {banned[agent.agent]}"
    if plan.technique is not None:
        for agent in protocol.techniques[plan.technique].agents:
            assert agent not in banned, f"{plan.technique}'s sessions use {agent}: {banned[agent]}"

    # 2. ready only when everything the technique's safety needs is known; an undecided rule
    #    that could still change the plan (it concerns a technique not excluded) means asking
    if requested is None and plan.course is not None and plan.course.state != "new":
        requested = plan.technique  # a course carried on (or restarted): only what decides its technique is asked
    wanted = {requested} - excluded if requested else set(protocol.techniques) - excluded
    open_undecided = [
        rule.id
        for rule in protocol._spec.rules
        if rule.kind != "derived"
        and truth[rule.id] == UNKNOWN
        and wanted  # with every technique ruled out, no answer could change the plan
        and (not rule.spec.applies_to or any(t in wanted for t in rule.techniques))
        and (
            requested is None
            or (
                requested not in excluded
                and rule.kind in SAFETY_KINDS
                and _applies(rule, requested)
                and not _of_agents(rule)  # an agent's rule concerns the choice only if its steps use the agent
            )
        )
    ]
    if open_undecided:
        assert plan.status == "needs_information", f"{plan.status} although {open_undecided[0]} is undecided"
        assert plan.missing_facts, "undecided rules but no missing fact to ask for"
    if plan.status == "ready":
        assert plan.technique is not None
        assert plan.missing_facts == ()
        for rule in protocol._spec.rules:
            if rule.kind in SAFETY_KINDS and _applies(rule, plan.technique):
                assert truth[rule.id] != UNKNOWN, f"ready although {rule.id} is undecided"
    for missing in plan.missing_facts:
        assert supplied.get(missing.fact) is None, f"{missing.fact} is asked for but was answered"

    # 3. every step is justified by rules that hold, quoting this client's facts
    by_id = {rule.id: rule for rule in protocol._spec.rules}
    for step in plan.steps:
        assert step.justifications, f"step {step.title!r} has no justification"
        for justification in step.justifications:
            rule = by_id[justification.rule_id]
            # an undecided rule may be cited only where the step fails closed and says so: a skipped
            # phase, or an alternative taken because an agent may be ruled out
            undecided = bool(justification.note) and (step.skipped or "it is undecided" in justification.note)
            expected = UNKNOWN if undecided else TRUE
            assert truth[rule.id] == expected, f"step {step.title!r} cites {rule.id}, which is {truth[rule.id]}"
            assert set(justification.facts) == set(rule.facts)
            for name, value in justification.facts.items():
                if not protocol.facts[name].derived:
                    assert value == supplied.get(name, "unknown"), (name, value)
    for exclusion in plan.excluded:
        for reason in exclusion.reasons:
            assert truth[reason.rule_id] == TRUE, f"{exclusion.technique} excluded by {reason.rule_id}, not true"
    for caution in plan.cautions:
        assert truth[caution.rule_id] == TRUE

    # 7. every pause whose words cover a session is in force on the session's day
    _pauses_cover_their_sessions(protocol, plan)

    # 5. the JSON round-trips through the model
    text = plan.model_dump_json()
    again = engine.TreatmentPlan.model_validate_json(text)
    assert again == plan
    assert again.model_dump_json() == text


def _pauses_cover_their_sessions(protocol: engine.Protocol, plan: engine.TreatmentPlan) -> None:
    """A paused agent (a retinoid, hydroquinone) is paused over the whole stretch before and around
    each session that its words cover, never only on the day or not at all.

    The stretch follows from the words and the step's rule alone: in a course, "first session"
    and "last session" are the course's, "each session" is each and "assessment" is the
    assessment; in a maintenance plan each session is a course of one, booked at the previous
    session (the assessment for the first), and a step whose rule states a preparation (lead
    time or readiness wait) needs that long before the session. The pause's dates (one of its
    windows, or its one span) must hold all of it: from the stretch's start (never before the
    assessment) to the session's day.
    """
    days = [dt.date.fromisoformat(s.date) for s in plan.steps if s.phase == "treatment" and s.date]
    if not days:
        return
    maintenance = plan.course is not None and plan.course.state == "maintenance"
    assessment = dt.date.fromisoformat(plan.assessment_date)
    spec = protocol._spec
    for step in plan.steps:
        rule = spec.rule(step.justifications[0].rule_id)  # a requirement's or aftercare's step cites its rule first
        preparation = rule.effect.preparation if isinstance(rule.effect, RequirementEffect) else None
        for agent in step.agents:
            if agent.role != "withholds" or agent.start is None or agent.until is None:
                continue
            start, until = Moment.parse(agent.start), Moment.parse(agent.until)
            for number, day in enumerate(days):
                first, last = (day, day) if maintenance else (days[0], days[-1])
                booked = days[number - 1] if maintenance and number else assessment
                if maintenance and preparation is not None:
                    booked = max(preparation.before(day), booked)
                anchors = {"assessment": booked, "first_session": first, "last_session": last, "each_session": day}
                begins, ends = max(start.on(anchors[start.anchor]), assessment), until.on(anchors[until.anchor])
                if not begins <= day <= ends:
                    continue  # the words do not cover this session
                spans = [(w.start_on, w.until_on) for w in agent.windows] or [(agent.start_on, agent.until_on)]
                assert any(a and b and a <= begins.isoformat() and day.isoformat() <= b for a, b in spans), (
                    f"step {step.title!r} pauses {agent.agent} {agent.start} to {agent.until}, "
                    f"but not from {begins} to the session of {day}: {spans}"
                )


def _respelled(client: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
    """The same answers written differently: keys reversed, set members shuffled, absent as null."""
    out: dict[str, Any] = {}
    for name in reversed(list(client)):
        value = client[name]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = rng.sample(value, len(value))
        out[name] = value
    return out


@profile(PLAN_CASES)
@given(data=st.data())
def test_plans_are_safe_and_deterministic(protocol: engine.Protocol, data: st.DataObject) -> None:
    client = data.draw(st.one_of(clients(protocol), near(BASELINE, protocol)), label="client")
    plan = protocol.evaluate(client)
    check_plan(protocol, client, plan)
    # 4. byte-identical JSON on repeated evaluation, whatever the spelling of the same facts
    first = plan.model_dump_json(indent=2)
    assert protocol.evaluate(client).model_dump_json(indent=2) == first
    respelled = _respelled(client, random.Random(len(first)))
    assert protocol.evaluate(respelled).model_dump_json(indent=2) == first


@profile(MONOTONE_CASES)
@given(data=st.data())
def test_unknown_never_counts_as_no(protocol: engine.Protocol, data: st.DataObject) -> None:
    """Answering more questions only ever decides undecided rules; it never flips a decided one."""
    full = data.draw(clients(protocol), label="client")
    keep = data.draw(st.lists(st.booleans(), min_size=len(full), max_size=len(full)), label="keep")
    partial = {k: v for (k, v), kept in zip(full.items(), keep, strict=True) if kept or k == "assessment_date"}
    more = protocol.outcomes(full)
    less = protocol.outcomes(partial)
    for rule_id, outcome in less.truth.items():
        if outcome.value != UNKNOWN:
            assert more.truth[rule_id] == outcome, f"{rule_id} was {outcome.value}, became {more.truth[rule_id]}"
    checked = protocol.check_facts(partial)
    for rule_id, needed in less.needs.items():
        assert needed, f"{rule_id} is unknown but names no missing fact"
        for name in needed:
            fact = name.partition(".")[0]  # previous_treatments.reaction: a detail of the latest treatment
            assert not protocol.facts[fact].derived, (rule_id, name)
            assert not checked.known(name) or fact != name, (rule_id, name)


def test_generated_clients_reach_every_status(protocol: engine.Protocol) -> None:
    """The properties above are not vacuous: generated clients produce every kind of plan."""
    rng = random.Random(20261125)
    statuses: dict[str, int] = {}
    outcomes = {TRUE: 0, FALSE: 0, UNKNOWN: 0}
    excluded = pending = 0
    for i in range(400):
        client = random_client(protocol, rng, True if i % 2 else None)
        plan = protocol.evaluate(client)
        statuses[plan.status] = statuses.get(plan.status, 0) + 1
        excluded += bool(plan.excluded)
        pending += bool(plan.pending)
        for value in reference_outcomes(protocol, client).values():
            outcomes[value] += 1
    assert set(statuses) == {"ready", "needs_review", "needs_information", "not_suitable"}, statuses
    assert excluded and pending
    assert all(outcomes.values()), outcomes


def test_the_checker_catches_an_unsafe_plan(protocol: engine.Protocol) -> None:
    """``check_plan`` fails on a plan that schedules an excluded technique (built without validation)."""

    client = {**BASELINE, "active_infection": True}  # an absolute contraindication for every technique
    plan = protocol.evaluate(client)
    assert plan.technique is None
    ready = engine.TreatmentPlan.model_validate_json(protocol.evaluate(BASELINE).model_dump_json())
    forged = engine.TreatmentPlan.model_construct(**{**dict(ready), "excluded": plan.excluded, "facts": plan.facts})
    with pytest.raises(AssertionError):
        check_plan(protocol, client, forged)


# ----------------------------------------------------------------------------- regressions

_EVIDENCE = [{"citation": "Regression", "url": "https://example.org/regression"}]


def _minimal_folder(folder: Path, facts: dict[str, Any], rules: list[dict[str, Any]]) -> Path:
    folder.mkdir()
    manifest = {"id": "regression", "title": "Regression", "version": "1.0.0", "status": "draft", "owner": "Tests"}
    manifest["last_review"] = "2026-01-01"
    vocabulary = {
        "assessment_date": {"type": "date", "required": True, "label": "D", "description": "D", "question": "Q"}
    }
    vocabulary.update(facts)
    sessions = {"typical": 1, "minimum": 1, "maximum": 1, "interval_min": "1 week", "interval_max": "2 weeks"}
    technique = {
        "family": "peel",
        "title": "Peel",
        "exfoliates": True,
        "downtime": "none",
        "downtime_level": "none",
        "invasiveness": 1,
    }
    for name, body in (
        ("protocol.yaml", manifest),
        ("vocabulary.yaml", {"facts": vocabulary}),
        ("techniques.yaml", {"techniques": {"peel.x": {**technique, "sessions": sessions}}}),
        ("rules.yaml", {"rules": rules}),
    ):
        (folder / name).write_text(to_yaml(body), encoding="utf-8")
    return folder


def _rule(rule_id: str, kind: str, when: Any, then: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"id": rule_id, "kind": kind, "title": rule_id, "when": when, "then": then}
    body.update(rationale="A minimal reproduction of an engine bug.", severity="info", evidence=_EVIDENCE, **extra)
    return body


def test_derived_fact_without_default_all_rules_false(tmp_path: Path) -> None:
    """Regression: a derived fact without a default, every rule deriving it false, made evaluation raise
    EngineError (CLI exit 4) on a folder that had loaded. Found by the generated-rules differential test."""
    boolean = {"type": "boolean", "label": "A", "description": "D", "question": "Q?"}
    folder = _minimal_folder(
        tmp_path / "rules",
        {"a": boolean, "flag": {**boolean, "derived": True}},
        [
            _rule("DER-FLAG", "derived", {"a": True}, {"fact": "flag", "value": True}),
            _rule(
                "SUIT-FLAG", "suitability", {"flag": True}, {"argument": "for", "strength": "weak"}, applies_to=["all"]
            ),
        ],
    )
    try:
        protocol = engine.load_protocol(folder)
    except engine.RulesError as exc:  # the fix (a7cbc29): such a vocabulary is refused at load time
        assert "flag" in str(exc)
        return
    try:
        plan = protocol.evaluate({"assessment_date": "2026-01-15", "a": False})
        check_plan(protocol, {"assessment_date": "2026-01-15", "a": False}, plan)
    finally:
        protocol.close()


def test_previous_treatment_selectors_never_share_a_field(tmp_path: Path) -> None:
    sessions = {"typical": 1, "minimum": 1, "maximum": 1, "interval_min": "1 week", "interval_max": "2 weeks"}
    technique = {
        "family": "peel",
        "exfoliates": True,
        "downtime": "none",
        "downtime_level": "none",
        "invasiveness": 1,
        "sessions": sessions,
    }
    history = {"type": "treatment_history", "label": "P", "description": "D", "question": "Q?"}
    gap = {"not_before": {"after_previous": "all", "period": "2 weeks"}}
    folder = _minimal_folder(
        tmp_path / "rules",
        {"previous_treatments": history},
        [
            _rule(
                "SEQ-ANY-PEEL", "sequencing", {"previous_treatment": {"technique": "peel.*", "within": "2 weeks"}}, gap
            ),
            _rule(
                "SEQ-PEEL-ANY",
                "sequencing",
                {"previous_treatment": {"technique": "peel.any", "within": "2 weeks"}},
                gap,
            ),
        ],
    )
    techniques = folder / "techniques.yaml"
    techniques.write_text(
        to_yaml(
            {"techniques": {"peel.glycolic": {**technique, "title": "G"}, "peel.any": {**technique, "title": "A"}}}
        ),
        encoding="utf-8",
    )
    try:
        protocol = engine.load_protocol(folder)
    except engine.RulesError:
        return  # refusing such technique ids at load time would be a fix too
    try:
        client = {
            "assessment_date": "2026-11-25",
            "previous_treatments": [{"technique": "peel.glycolic", "date": "2026-11-20"}],
        }
        truth = {rule: t.value for rule, t in protocol.outcomes(client).truth.items()}
        assert truth == {"SEQ-ANY-PEEL": TRUE, "SEQ-PEEL-ANY": FALSE}
    finally:
        protocol.close()


def test_a_fact_name_never_shares_a_field_with_a_set_member(tmp_path: Path) -> None:
    absolute = {"level": "absolute"}
    folder = _minimal_folder(
        tmp_path / "rules",
        {
            "causes": {"type": "set", "values": ["x", "y"], "label": "C", "description": "D", "question": "Q?"},
            "causes__x": {"type": "boolean", "label": "B", "description": "D", "question": "Q?"},
        },
        [
            _rule("CI-SET", "contraindication", {"causes": {"includes": "x"}}, absolute, applies_to=["all"]),
            _rule("CI-BOOL", "contraindication", {"causes__x": True}, absolute, applies_to=["all"]),
        ],
    )
    try:
        protocol = engine.load_protocol(folder)
    except engine.RulesError:
        return  # refusing such fact names at load time would be a fix too
    try:
        client = {"assessment_date": "2026-11-25", "causes": ["x"], "causes__x": False}
        truth = {rule: t.value for rule, t in protocol.outcomes(client).truth.items()}
        assert truth == {"CI-SET": TRUE, "CI-BOOL": FALSE}
    finally:
        protocol.close()
