"""The guard, in process: an exception escaping the application is a JSON 500, never a traceback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from engine.service._guard import Guard, route_of
from engine.service._state import ServiceConfig, ServiceState


async def _failing_app(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("secret detail that must not reach the client")


def test_an_escaping_exception_is_a_json_500_and_is_logged(capsys: pytest.CaptureFixture[str]) -> None:
    state = ServiceState(ServiceConfig())
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/evaluate", "headers": [], "query_string": b""}
    try:
        asyncio.run(Guard(_failing_app, state)(scope, receive, send))
    finally:
        state.close()
    assert sent[0]["status"] == 500
    body = json.loads(sent[1]["body"])
    assert body["error"] == "internal" and "secret" not in sent[1]["body"].decode()
    (line,) = [json.loads(x) for x in capsys.readouterr().err.splitlines() if '"event":"request"' in x]
    assert line["status"] == 500 and line["error"] == "RuntimeError" and "secret" not in json.dumps(line)


def test_routes_in_the_log_are_templates() -> None:
    assert route_of("/fhir/PlanDefinition/pore-reduction") == "/fhir/PlanDefinition/{id}"
    assert route_of("/fhir/Patient/123") == "(unmatched)"
    assert route_of("/v1/evaluate") == "/v1/evaluate"
