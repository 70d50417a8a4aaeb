"""The planner builds plans without re-validating each part; prove that changes nothing a caller can see.

Plans are assembled with ``engine._fastmodel.make`` (``model_construct`` without its
overhead) and ``assemble_plan`` (invariants checked, no field re-validation). These
tests re-validate generated plans in full and check that nothing differs, and that an
unsafe plan is still refused with the same ``ValidationError``.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from typing import Any

import pydantic
import pytest

import engine
from engine import _fastmodel
from engine._fastmodel import assemble_plan, make
from engine._plan_model import (
    Evidence,
    Exclusion,
    Justification,
    MissingFact,
    Ranking,
    Step,
    TreatmentPlan,
    check_invariants,
)
from tests.conftest import BASELINE


def _variants() -> list[dict[str, Any]]:
    out = []
    for i in range(60):
        facts = copy.deepcopy(BASELINE)
        facts["fitzpatrick"] = 1 + i % 6
        facts["skin_type"] = ("oily", "dry", "combination", "normal", "sensitive")[i % 5]
        facts["pore_causes"] = [["excess_sebum", "congestion"], ["sun_damage"], ["elasticity_loss"], []][i % 4]
        facts["downtime_tolerance"] = ("none", "short", "extended")[i % 3]
        if i % 4 == 1:
            facts["start_date"] = "2026-12-01"
        if i % 5 == 2:
            facts["previous_treatments"] = [{"technique": "peel.glycolic", "date": "2026-11-15"}]
        if i % 6 == 3:
            facts.pop("pregnant")
            facts.pop("melasma")
        if i % 7 == 4:
            facts["isotretinoin_last_dose"] = "2026-08-01"
        if i % 9 == 5:
            facts["rosacea_active"] = True
        out.append(facts)
    return out


@pytest.mark.parametrize("facts", _variants())
def test_a_plan_revalidates_to_itself(protocol: engine.Protocol, facts: dict[str, Any]) -> None:
    plan = protocol.evaluate(facts)
    again = TreatmentPlan.model_validate(plan.model_dump())
    assert again == plan
    assert again.model_dump_json() == plan.model_dump_json()
    assert TreatmentPlan.model_validate_json(plan.model_dump_json()).model_dump_json(indent=2) == plan.model_dump_json(
        indent=2
    )


def test_the_population_covers_every_status(protocol: engine.Protocol) -> None:
    statuses = {protocol.evaluate(f).status for f in _variants()}
    assert {"ready", "needs_information", "not_suitable"} <= statuses


def test_make_equals_validation_field_for_field() -> None:
    evidence = make(Evidence, source=None, citation="A citation", url="https://example.org", grade=None, facts=())
    justification = make(
        Justification,
        rule_id="CI-X-Y",
        title="t",
        kind="contraindication",
        severity="high",
        facts={"pregnant": True},
        rationale="because",
        evidence=(evidence,),
    )
    step = make(Step, phase="consultation", title="Consult", instructions="Talk.", justifications=(justification,))
    validated = Step.model_validate(step.model_dump())
    assert step == validated
    assert step.model_dump_json() == validated.model_dump_json()
    assert step.model_fields_set == {"phase", "title", "instructions", "justifications"}
    assert step.model_fields_set == Step.model_construct(**step.model_dump(exclude_unset=True)).model_fields_set
    assert step.skipped is False and step.technique is None and justification.note is None
    with pytest.raises(pydantic.ValidationError):  # frozen like any validated instance
        step.title = "changed"  # type: ignore[misc]


def test_make_refuses_unknown_and_missing_fields() -> None:
    refused = (TypeError, pydantic.ValidationError)  # the latter when every part is validated
    with pytest.raises(refused, match=r"unknown|[Ee]xtra"):
        make(MissingFact, fact="a", label="A", question="?", needed_by=(), extra=1)
    with pytest.raises(refused, match=r"[Mm]issing"):
        make(Ranking, technique="peel.glycolic")


def test_assemble_plan_still_refuses_an_unsafe_plan(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate(BASELINE)
    assert plan.status == "ready"
    fields = dict(plan)
    check_invariants(plan)
    unsafe = dict(
        fields, missing_facts=(make(MissingFact, fact="pregnant", label="P", question="?", needed_by=("X",)),)
    )
    with pytest.raises(pydantic.ValidationError, match="ready plan cannot have missing facts"):
        assemble_plan(**unsafe)
    reason = plan.steps[0].justifications[0]
    barred = make(Exclusion, technique=plan.technique, title="x", reasons=(reason,))
    excluded = dict(fields, excluded=(barred,))
    with pytest.raises(pydantic.ValidationError, match="excluded technique"):
        assemble_plan(**excluded)


def test_plan_facts_and_justification_facts_are_separate_lists(protocol: engine.Protocol) -> None:
    plan = protocol.evaluate(BASELINE)
    causes = plan.facts["pore_causes"]
    for step in plan.steps:
        for justification in step.justifications:
            if "pore_causes" in justification.facts:
                assert justification.facts["pore_causes"] == causes
                assert justification.facts["pore_causes"] is not causes
    assert json.loads(plan.model_dump_json())["facts"]["pore_causes"] == sorted(BASELINE["pore_causes"])


def test_fast_and_validated_construction_agree_at_import() -> None:
    assert _fastmodel._self_check()
    assert not _fastmodel.FULL_VALIDATION or os.environ.get(_fastmodel.VALIDATE_ENV)


def test_full_validation_writes_the_same_plans(protocol: engine.Protocol) -> None:
    """Under PORE_PROTOCOL_VALIDATE_PLANS=1 every part is validated, and the plans are byte-identical."""
    clients = _variants()[:12]
    program = (
        "import json, sys\n"
        "import engine, engine._fastmodel as f\n"
        "assert f.FULL_VALIDATION\n"
        "p = engine.load_protocol()\n"
        "for c in json.load(sys.stdin): print(p.evaluate(c).model_dump_json())\n"
    )
    env = {**os.environ, _fastmodel.VALIDATE_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-c", program], input=json.dumps(clients), capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.splitlines() == [protocol.evaluate(c).model_dump_json() for c in clients]
