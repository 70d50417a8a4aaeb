"""CDS Hooks 2.0 through the real service: discovery, requests shaped like the specification's examples, cards.

The requests follow the CDS Hooks 2.0 examples (hookInstance, hook, context with userId,
patientId and appointments, prefetch keyed as the discovery document says) and the
appointment-book hook's two shapes of ``appointments`` (a Bundle, or a bare array).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.operationoutcome import OperationOutcome

import engine
from tests.conftest import BASELINE, ROOT
from tests.service.records import appointment, bundle, hook_request
from tests.service.server import Server, running_server

SERVICE = "/cds-services/pore-reduction-plan"
INDICATOR = {"ready": "info", "needs_review": "warning", "needs_information": "info", "not_suitable": "warning"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, rules: Path) -> Iterator[Server]:
    with running_server(
        tmp_path_factory.mktemp("cds"), "--rules", str(rules), "--time-zone", "Pacific/Auckland"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


class _FhirServer(BaseHTTPRequestHandler):
    """A FHIR server on loopback for the fetch tests: answers searches from ``routes``, records what it was asked."""

    routes: ClassVar[dict[str, tuple[int, Any]]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        resource = self.path.removeprefix("/fhir/").split("?")[0]
        status, body = type(self).routes.get(resource, (404, {"resourceType": "OperationOutcome", "issue": []}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def fhir_server() -> Iterator[tuple[str, type[_FhirServer]]]:
    handler = type("Handler", (_FhirServer,), {"routes": {}, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/fhir", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def _card(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert len(cards) == 1
    return cards[0]


def _check_card_shape(card: dict[str, Any]) -> None:
    assert set(card) <= {"uuid", "summary", "detail", "indicator", "source", "suggestions", "selectionBehavior"}
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"] and card["source"]["url"].startswith("http")
    assert card["detail"]


def test_discovery_lists_the_service_with_its_prefetch(client: httpx.Client) -> None:
    services = client.get("/cds-services").json()["services"]
    assert len(services) == 1
    service = services[0]
    assert service["id"] == "pore-reduction-plan" and service["hook"] == "appointment-book"
    assert service["title"] and service["description"]
    templates = service["prefetch"].values()
    for kind in (
        "Patient/",
        "Observation?",
        "Condition?",
        "MedicationStatement?",
        "MedicationRequest?",
        "AllergyIntolerance?",
        "Procedure?",
    ):
        assert any(t.startswith(kind) and "{{context.patientId}}" in t for t in templates), kind


def test_a_ready_plan_is_an_info_card_with_a_careplan_to_create(
    client: httpx.Client, protocol: engine.Protocol
) -> None:
    card = _card(client.post(SERVICE, json=hook_request(protocol, BASELINE)))
    _check_card_shape(card)
    assert card["indicator"] == "info"
    assert "Salicylic acid peel" in card["summary"]
    assert "the appointment's start date" in card["detail"]
    plan = protocol.evaluate({**BASELINE, "start_date": BASELINE["assessment_date"]})
    assert plan.status == "ready"
    for rule_id in {j.rule_id for s in plan.steps for j in s.justifications}:
        assert f"`{rule_id}`" in card["detail"]
    (suggestion,) = card["suggestions"]
    assert card["selectionBehavior"] == "at-most-one"
    assert suggestion["isRecommended"] is True
    (action,) = suggestion["actions"]
    assert action["type"] == "create"
    care_plan = CarePlan.model_validate(action["resource"])
    assert care_plan.subject.reference == "Patient/p1"
    sessions = [a for a in care_plan.activity if a.detail.code.text == "treatment"]
    assert sessions and all(a.detail.scheduledPeriod is not None for a in sessions)


def test_both_shapes_of_appointments_and_unknown_fields(client: httpx.Client, protocol: engine.Protocol) -> None:
    facts = {**BASELINE, "assessment_date": "2026-12-03"}
    as_bundle = hook_request(protocol, facts)
    as_array = hook_request(protocol, facts, appointments=[appointment("2026-12-03")])
    as_array["context"]["someVendorField"] = {"nested": [1, 2]}
    as_array["extension"] = {"com.example.flag": True}
    first, second = _card(client.post(SERVICE, json=as_bundle)), _card(client.post(SERVICE, json=as_array))
    assert first == second
    assert "2026-12-03" in first["detail"]


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_status_maps_to_the_card(client: httpx.Client, protocol: engine.Protocol, example: Path) -> None:
    facts = json.loads(json.dumps(yaml.safe_load(example.read_text("utf-8")), default=str))
    facts.pop("start_date", None)
    plan = protocol.evaluate({**facts, "start_date": facts["assessment_date"]})
    card = _card(client.post(SERVICE, json=hook_request(protocol, facts)))
    _check_card_shape(card)
    assert card["indicator"] == INDICATOR[plan.status]
    if plan.status in ("ready", "needs_review"):
        (suggestion,) = card["suggestions"]
        assert ("review" in suggestion["label"]) == (plan.status == "needs_review")
        for caution in plan.cautions:
            assert f"`{caution.rule_id}`" in card["detail"]
    else:
        assert "suggestions" not in card
    if plan.status == "not_suitable":
        for excluded in plan.excluded:
            assert excluded.title in card["detail"]
        if plan.reconsider_from:
            assert plan.reconsider_from in card["summary"]
    if plan.status == "needs_information":
        assert plan.missing_facts[0].question in card["detail"]


def test_a_record_that_holds_nothing_asks_and_never_suggests(client: httpx.Client, protocol: engine.Protocol) -> None:
    request = hook_request(protocol, {"assessment_date": "2026-11-25"})
    request["prefetch"] = dict.fromkeys(request["prefetch"])
    card = _card(client.post(SERVICE, json=request))
    assert card["indicator"] == "info"
    assert "suggestions" not in card
    assert "Questions to ask" in card["detail"]


def test_a_key_not_prefetched_without_a_fhir_server_is_412(client: httpx.Client, protocol: engine.Protocol) -> None:
    request = hook_request(protocol, BASELINE)
    del request["prefetch"]["conditions"]
    answer = client.post(SERVICE, json=request)
    assert answer.status_code == 412
    outcome = OperationOutcome.model_validate_json(answer.content)
    assert [i.expression for i in outcome.issue] == [["prefetch.conditions"]]
    request["prefetch"]["medicationRequests"] = None
    del request["prefetch"]["medicationStatements"]  # either medication key is enough: still only conditions
    assert [i["expression"] for i in client.post(SERVICE, json=request).json()["issue"]] == [["prefetch.conditions"]]
    del request["prefetch"]["medicationRequests"]  # neither: both are named
    named = [i["expression"][0] for i in client.post(SERVICE, json=request).json()["issue"]]
    assert named == ["prefetch.conditions", "prefetch.medicationStatements", "prefetch.medicationRequests"]


def test_a_missing_key_is_fetched_from_the_fhir_server(
    client: httpx.Client, protocol: engine.Protocol, fhir_server: tuple[str, type[_FhirServer]]
) -> None:
    base, handler = fhir_server
    request = hook_request(protocol, BASELINE)
    observations = request["prefetch"].pop("observations")
    handler.routes["Observation"] = (200, observations)
    request["fhirServer"] = base
    request["fhirAuthorization"] = {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read",
        "subject": "cds-service4",
    }
    card = _card(client.post(SERVICE, json=request))
    assert card == _card(client.post(SERVICE, json=hook_request(protocol, BASELINE)))
    assert handler.seen == [("/fhir/Observation?patient=p1", "Bearer some-opaque-fhir-access-token")]


def test_a_failed_fetch_is_412(
    client: httpx.Client, protocol: engine.Protocol, fhir_server: tuple[str, type[_FhirServer]]
) -> None:
    base, handler = fhir_server
    handler.routes["Procedure"] = (500, {"resourceType": "OperationOutcome", "issue": []})
    request = hook_request(protocol, BASELINE)
    del request["prefetch"]["procedures"]
    request["fhirServer"] = base
    request["fhirAuthorization"] = {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "x",
        "subject": "s",
    }
    answer = client.post(SERVICE, json=request)
    assert answer.status_code == 412
    (issue,) = OperationOutcome.model_validate_json(answer.content).issue
    assert issue.expression == ["prefetch.procedures"] and "500" in (issue.diagnostics or "")


def test_without_an_appointment_date_today_in_the_configured_zone_is_used_and_said(
    client: httpx.Client, protocol: engine.Protocol
) -> None:
    request = hook_request(protocol, BASELINE, appointments=bundle([]))
    card = _card(client.post(SERVICE, json=request))
    zone = ZoneInfo("Pacific/Auckland")
    days = {dt.datetime.now(zone).date().isoformat() for _ in range(1)}
    assert "today in Pacific/Auckland" in card["detail"]
    assert any(
        f"Assessment date {day}" in card["detail"]
        for day in days | {(dt.datetime.now(zone) - dt.timedelta(minutes=1)).date().isoformat()}
    )


def test_a_request_that_is_not_a_hook_call_is_400(client: httpx.Client, protocol: engine.Protocol) -> None:
    wrong = copy.deepcopy(hook_request(protocol, BASELINE))
    wrong["hook"] = "patient-view"
    assert client.post(SERVICE, json=wrong).status_code == 400
    del wrong["context"]
    wrong["hook"] = "appointment-book"
    answer = client.post(SERVICE, json=wrong)
    assert answer.status_code == 400 and "context" in answer.json()["message"]


def test_feedback_is_accepted_and_logged(server: Server, client: httpx.Client) -> None:
    feedback = {
        "feedback": [
            {
                "card": "f2def2a2-10e4-5160-89e0-40d28b906d32",
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
                "outcomeTimestamp": "2026-12-01T10:03:00Z",
            }
        ]
    }
    answer = client.post(f"{SERVICE}/feedback", json=feedback)
    assert answer.status_code == 200
    lines = server.wait_for_log(lambda line: line.get("event") == "cds_feedback")
    assert lines and lines[-1]["outcomes"] == ["accepted"]


def test_no_patient_identifier_reaches_the_log(server: Server, client: httpx.Client, protocol: engine.Protocol) -> None:
    request = hook_request(protocol, BASELINE)
    request["context"]["patientId"] = "PATIENT-ID-7c1e9"
    request["prefetch"]["patient"]["id"] = "PATIENT-ID-7c1e9"
    _card(client.post(SERVICE, json=request))
    server.wait_for_log(lambda line: line.get("route") == SERVICE, count=3)
    assert "PATIENT-ID-7c1e9" not in server.log_text()


def test_the_readme_example_request_gets_a_card_with_a_careplan(client: httpx.Client) -> None:
    """The request the README's curl command sends (examples/cds-hooks/appointment-book.json)."""
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "--data @examples/cds-hooks/appointment-book.json" in readme
    request = json.loads((ROOT / "examples" / "cds-hooks" / "appointment-book.json").read_text("utf-8"))
    card = _card(client.post(SERVICE, json=request))
    assert card["indicator"] == "info" and "Salicylic acid peel" in card["summary"]
    CarePlan.model_validate(card["suggestions"][0]["actions"][0]["resource"])
