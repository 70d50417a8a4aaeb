"""The plan's invariants are enforced when the model is built: an unsafe plan cannot exist."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest

import engine


@pytest.fixture
def plan_json(protocol: engine.Protocol, baseline: dict[str, Any]) -> dict[str, Any]:
    baseline["start_date"] = "2026-12-01"
    plan = protocol.evaluate(baseline)
    assert plan.status == "ready"
    data: dict[str, Any] = json.loads(plan.model_dump_json())
    return data


def rebuild(data: dict[str, Any]) -> engine.TreatmentPlan:
    return engine.TreatmentPlan.model_validate_json(json.dumps(data))


def test_the_plan_round_trips(plan_json: dict[str, Any]) -> None:
    assert json.loads(rebuild(plan_json).model_dump_json()) == plan_json


def test_an_excluded_technique_cannot_be_planned(plan_json: dict[str, Any]) -> None:
    reason = plan_json["steps"][0]["justifications"][0]
    plan_json["excluded"].append({"technique": plan_json["technique"], "title": "x", "reasons": [reason]})
    with pytest.raises(pydantic.ValidationError, match="excluded technique"):
        rebuild(plan_json)


def test_a_pending_technique_cannot_be_planned(plan_json: dict[str, Any]) -> None:
    plan_json["pending"].append(
        {"technique": plan_json["technique"], "title": "x", "missing_facts": ["pregnant"], "rules": ["CI-X"]}
    )
    with pytest.raises(pydantic.ValidationError, match="pending"):
        rebuild(plan_json)


def test_every_step_needs_a_justification(plan_json: dict[str, Any]) -> None:
    plan_json["steps"][0]["justifications"] = []
    with pytest.raises(pydantic.ValidationError, match="no justification"):
        rebuild(plan_json)


def test_a_ready_plan_cannot_have_missing_facts(plan_json: dict[str, Any]) -> None:
    plan_json["missing_facts"] = [{"fact": "pregnant", "label": "Pregnant", "question": "?", "needed_by": ["X"]}]
    with pytest.raises(pydantic.ValidationError, match="ready plan cannot have missing facts"):
        rebuild(plan_json)


def test_a_ready_plan_cannot_carry_a_caution_on_its_technique(plan_json: dict[str, Any]) -> None:
    justification = plan_json["steps"][0]["justifications"][0]
    plan_json["cautions"] = [
        {
            "rule_id": "CI-X",
            "title": "x",
            "techniques": [plan_json["technique"]],
            "advice": "a",
            "justification": justification,
        }
    ]
    with pytest.raises(pydantic.ValidationError, match="needs review"):
        rebuild(plan_json)


def test_needs_information_requires_missing_facts(plan_json: dict[str, Any]) -> None:
    plan_json["status"] = "needs_information"
    with pytest.raises(pydantic.ValidationError, match="without any missing fact"):
        rebuild(plan_json)


def test_not_suitable_cannot_schedule_treatment(plan_json: dict[str, Any]) -> None:
    plan_json["status"] = "not_suitable"
    with pytest.raises(pydantic.ValidationError, match="cannot schedule treatment"):
        rebuild(plan_json)


def test_sessions_must_respect_their_interval(plan_json: dict[str, Any]) -> None:
    sessions = [s for s in plan_json["steps"] if s["phase"] == "treatment"]
    sessions[1]["date"] = sessions[0]["date"]
    with pytest.raises(pydantic.ValidationError, match="breaks its interval"):
        rebuild(plan_json)


def test_steps_must_be_in_phase_order(plan_json: dict[str, Any]) -> None:
    plan_json["steps"].reverse()
    with pytest.raises(pydantic.ValidationError):
        rebuild(plan_json)


def test_treatment_steps_name_only_the_chosen_technique(plan_json: dict[str, Any]) -> None:
    sessions = [s for s in plan_json["steps"] if s["phase"] == "treatment"]
    sessions[-1]["technique"] = "laser.nd_yag"
    with pytest.raises(pydantic.ValidationError, match="other than the chosen one"):
        rebuild(plan_json)
