"""The real service over HTTP (uvicorn in a subprocess, on loopback): plans equal to the CLI's, FHIR, errors, logs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fhir.resources.R4B.activitydefinition import ActivityDefinition
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.plandefinition import PlanDefinition

import engine
from tests.conftest import BASELINE, ROOT
from tests.service.server import Server, running_server

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, rules: Path) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("http"), "--rules", str(rules)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _facts(example: Path) -> dict[str, Any]:
    return json.loads(json.dumps(yaml.safe_load(example.read_text("utf-8")), default=str))


def _cli(rules: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args, "--rules", str(rules)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_healthz_and_protocol(client: httpx.Client, protocol: engine.Protocol) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/v1/protocol").json() == {
        "id": protocol.id,
        "title": protocol.title,
        "version": protocol.version,
        "status": protocol.status,
        "sha256": protocol.sha256,
    }


@pytest.mark.parametrize("example", EXAMPLES[:3], ids=[e.stem for e in EXAMPLES[:3]])
def test_the_plan_is_the_one_the_command_line_prints(client: httpx.Client, rules: Path, example: Path) -> None:
    answer = client.post("/v1/evaluate", json=_facts(example))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    done = _cli(rules, "evaluate", str(example.relative_to(ROOT)), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert answer.json() == json.loads(done.stdout)


def test_every_example_plan_is_the_library_plan_byte_for_byte(client: httpx.Client, protocol: engine.Protocol) -> None:
    for example in EXAMPLES:
        answer = client.post("/v1/evaluate", json=_facts(example))
        assert answer.content == protocol.evaluate(_facts(example)).model_dump_json().encode(), example.name


def test_the_practitioners_choice(client: httpx.Client, rules: Path) -> None:
    example = ROOT / "examples" / "oily-skin-type-ii.yaml"
    answer = client.post("/v1/evaluate", params={"technique": "peel.glycolic"}, json=_facts(example))
    done = _cli(rules, "evaluate", str(example.relative_to(ROOT)), "--technique", "peel.glycolic")
    assert answer.json() == json.loads(done.stdout)
    assert answer.json()["technique"] == "peel.glycolic"
    unknown = client.post("/v1/evaluate", params={"technique": "peel.glycolc"}, json=_facts(example))
    assert unknown.status_code == 422
    assert unknown.json()["issues"][0]["hint"] == "did you mean 'peel.glycolic'?"


def test_check_answers_what_the_command_line_prints(client: httpx.Client, rules: Path, tmp_path: Path) -> None:
    example = ROOT / "examples" / "oily-skin-type-ii.yaml"
    proposal = {"technique": "peel.salicylic", "sessions": ["2026-12-01", "2026-12-15", "2026-12-29"]}
    answer = client.post("/v1/check", json={"facts": _facts(example), "proposal": proposal})
    assert answer.status_code == 200
    (tmp_path / "proposal.json").write_text(json.dumps(proposal), "utf-8")
    done = _cli(rules, "check", str(example.relative_to(ROOT)), str(tmp_path / "proposal.json"))
    assert answer.json() == json.loads(done.stdout)
    wrong = client.post("/v1/check", json={"facts": _facts(example)})
    assert wrong.status_code == 422 and wrong.json()["error"] == "facts"


def test_invalid_facts_are_422_with_located_issues(client: httpx.Client) -> None:
    answer = client.post("/v1/evaluate", json={**BASELINE, "fitzpatrik": 2, "age": 300})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "facts"
    by_path = {i["path"]: i for i in body["issues"]}
    assert by_path["fitzpatrik"]["hint"] == "did you mean 'fitzpatrick'?"
    assert "age" in by_path
    assert set(by_path["age"]) == {"file", "line", "rule_id", "path", "message", "hint"}
    assert client.post("/v1/evaluate", json=[1, 2]).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        b"{bad json",
        b'{"age": 30, "age": 31}',
        b'{"age": NaN}',
        b"",
        '{"age": 30}\udc80'.encode("utf-8", "surrogatepass"),
    ],
    ids=["truncated", "duplicate-key", "nan", "empty", "not-utf8"],
)
def test_bad_json_is_400_with_a_json_error(client: httpx.Client, body: bytes) -> None:
    answer = client.post("/v1/evaluate", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request"
    assert "Traceback" not in answer.text


def test_a_body_over_one_megabyte_is_413(client: httpx.Client) -> None:
    big = b'{"pad": "' + b"x" * 1_000_000 + b'"}'
    answer = client.post("/v1/evaluate", content=big)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while reading
        for _ in range(11):
            yield b" " * 100_000

    chunked = client.post("/v1/evaluate", content=chunks())
    assert chunked.status_code == 413
    assert client.post("/v1/evaluate", content=b" " * 999_000 + b"{}").status_code == 422  # under the limit


def test_unknown_paths_and_methods_answer_json(client: httpx.Client) -> None:
    assert client.get("/v2/evaluate").status_code == 404
    assert client.get("/v2/evaluate").json()
    assert client.get("/v1/evaluate").status_code == 405


def test_the_plan_as_a_fhir_careplan(client: httpx.Client, protocol: engine.Protocol) -> None:
    facts = {**BASELINE, "start_date": "2026-12-01"}
    answer = client.post("/v1/evaluate", json=facts, headers={"accept": "application/fhir+json"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/fhir+json")
    care_plan = CarePlan.model_validate_json(answer.content)
    plan = protocol.evaluate(facts)
    assert care_plan.status == "draft" and care_plan.intent == "proposal"
    assert len(care_plan.activity) == len(plan.steps)
    sessions = [s for s in plan.steps if s.phase == "treatment"]
    scheduled = [a.detail.scheduledPeriod.start for a in care_plan.activity if a.detail.scheduledPeriod]
    assert all(s.date in {str(d) for d in scheduled} for s in sessions)
    rules = {c.code for a in care_plan.activity for r in a.detail.reasonCode or [] for c in r.coding}
    assert rules == {j.rule_id for s in plan.steps for j in s.justifications}
    assert care_plan.instantiatesCanonical[0].endswith(f"/PlanDefinition/{protocol.id}|{protocol.version}")


def test_the_protocol_as_a_plan_definition(client: httpx.Client, protocol: engine.Protocol) -> None:
    answer = client.get(f"/fhir/PlanDefinition/{protocol.id}")
    assert answer.status_code == 200
    definition = PlanDefinition.model_validate_json(answer.content)
    assert definition.version == protocol.version and definition.status == protocol.status
    assert str(definition.lastReviewDate) == str(protocol._spec.manifest.last_review)
    contained = [ActivityDefinition.model_validate(r.model_dump()) for r in definition.contained]
    assert len(contained) == len(protocol.techniques)
    rule_actions = {a.id for group in definition.action[1:] for a in group.action}
    assert rule_actions == set(protocol.rule_ids)
    documented = {a.id: a for group in definition.action[1:] for a in group.action}
    rule = next(r for r in protocol._spec.rules if "isotretinoin_last_dose" in r.facts)
    when = [d.display or "" for d in documented[rule.id].documentation if d.label == "when"]
    assert when and "isotretinoin" in when[0].lower()
    missing = client.get("/fhir/PlanDefinition/other")
    assert missing.status_code == 404
    OperationOutcome.model_validate_json(missing.content)


def test_the_project_code_systems(client: httpx.Client, protocol: engine.Protocol) -> None:
    codes = CodeSystem.model_validate_json(client.get("/fhir/CodeSystem/pore-protocol").content)
    assert {"pregnant", "fitzpatrick", "skin_type.oily", "never", "peel.salicylic"} <= {c.code for c in codes.concept}
    rules = CodeSystem.model_validate_json(client.get("/fhir/CodeSystem/pore-protocol-rules").content)
    assert {c.code for c in rules.concept} == set(protocol.rule_ids)


def test_openapi_and_docs(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    assert {"/v1/evaluate", "/v1/check", "/cds-services", "/fhir/PlanDefinition/{protocol_id}"} <= set(
        document["paths"]
    )
    assert "TreatmentPlan" in document["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_one_json_log_line_per_request_without_facts(server: Server, client: httpx.Client) -> None:
    marker = "2026-11-24"  # a fact value that appears nowhere else
    before = len([line for line in server.log() if line.get("event") == "request"])
    answer = client.post("/v1/evaluate", json={**BASELINE, "last_dermal_filler": marker})
    assert answer.status_code == 200
    request_id = answer.headers["x-request-id"]
    lines = server.wait_for_log(lambda line: line.get("request_id") == request_id)
    assert len(lines) == 1
    line = lines[0]
    assert line["route"] == "/v1/evaluate" and line["status"] == 200 and line["method"] == "POST"
    assert line["protocol_sha256"] == client.get("/v1/protocol").json()["sha256"]
    assert isinstance(line["latency_ms"], float)
    assert marker not in server.log_text()
    assert len([line for line in server.log() if line.get("event") == "request"]) > before
