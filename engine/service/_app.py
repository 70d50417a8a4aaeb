"""The HTTP endpoints (FastAPI): the plan, the check, the protocol as FHIR, and the CDS Hooks service.

Handlers read the raw body (already bounded by :class:`~engine.service._guard.Guard`) and
parse it with the core's strict JSON reader (duplicate keys, NaN and huge numbers are
refused), so an answer is exactly what the engine returns: the plan's JSON is the bytes of
``TreatmentPlan.model_dump_json()``, which ``pore-protocol evaluate --format json`` prints
(indented). Errors are JSON with a kind, a sentence and, for facts, the located issues.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from engine import CheckResult, EngineError, FactsError, TreatmentPlan, __version__
from engine._errors import Issue
from engine._facts import strict_json_loads
from engine.service._cds import (
    HookRequestError,
    PrefetchMissing,
    assessment_day,
    card_for,
    discovery,
    fetch_missing,
    read_hook_request,
)
from engine.service._fhir_facts import resources_of
from engine.service._fhir_resources import care_plan, operation_outcome
from engine.service._guard import Guard
from engine.service._state import ServiceState, log_event

__all__ = ["FHIR_JSON", "build_app"]

FHIR_JSON = "application/fhir+json"
_FACTS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "One client's facts (schemas/facts.schema.json); an absent answer is unknown.",
                "additionalProperties": True,
            }
        }
    },
}


class BadRequest(Exception):
    """The body is not the JSON expected (400)."""


def _issue(issue: Issue) -> dict[str, Any]:
    return {
        "file": issue.file,
        "line": issue.line,
        "rule_id": issue.rule_id,
        "path": issue.path,
        "message": issue.message,
        "hint": issue.hint,
    }


def _facts_error(exc: FactsError) -> JSONResponse:
    return JSONResponse(
        {"error": "facts", "message": exc.summary, "issues": [_issue(i) for i in exc.issues]}, status_code=422
    )


def _json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("the body is empty; send a JSON object")
    try:
        return strict_json_loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


def _wants_fhir(request: Request) -> bool:
    return FHIR_JSON in request.headers.get("accept", "")


def _fhir(payload: dict[str, Any] | bytes, status: int = 200) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type=FHIR_JSON)


def build_app(state: ServiceState) -> Guard:
    """The application for one worker, wrapped in its :class:`Guard`."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        reloading: set[asyncio.Task[None]] = set()

        def on_hangup() -> None:
            task = loop.create_task(asyncio.to_thread(state.reload))
            reloading.add(task)
            task.add_done_callback(reloading.discard)

        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, on_hangup)
        log_event(
            {"event": "worker_ready", "worker": state.worker, "protocol_version": state.snapshot().protocol.version}
        )
        yield
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGHUP)

    app = FastAPI(
        title="pore-protocol",
        version=__version__,
        description=(
            "Pore reduction treatment plans as JSON, FHIR R4 and CDS Hooks 2.0 cards. Decision support only; "
            "the clinical content is illustrative until a clinician signs it off."
        ),
        lifespan=lifespan,
    )

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)

    @app.exception_handler(EngineError)
    async def engine_failed(request: Request, exc: EngineError) -> JSONResponse:
        return JSONResponse({"error": "engine", "message": "the engine failed; please report it"}, status_code=500)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> JSONResponse:
        """Anything unexpected: a JSON 500 with no detail (the guard logs the exception's type), never a traceback."""
        return JSONResponse({"error": "internal", "message": "the service failed; the request id is in the log"}, 500)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: 200 while the worker serves (never needs a token)."""
        return {"status": "ok"}

    @app.get("/v1/protocol", tags=["plans"])
    async def protocol() -> dict[str, str]:
        """The protocol this worker serves now: id, title, version, status and the rules' sha256."""
        current = state.snapshot().protocol
        return {
            "id": current.id,
            "title": current.title,
            "version": current.version,
            "status": current.status,
            "sha256": current.sha256,
        }

    @app.post(
        "/v1/evaluate",
        tags=["plans"],
        response_model=TreatmentPlan,
        responses={
            200: {"content": {FHIR_JSON: {}}, "description": "The plan (JSON), or a FHIR R4 CarePlan"},
            400: {"description": "The body is not JSON"},
            413: {"description": "The body is larger than 1 MB"},
            422: {"description": "Invalid facts, with located issues"},
        },
        openapi_extra={"requestBody": _FACTS_BODY},
    )
    async def evaluate(request: Request, technique: str | None = None) -> Response:
        """The plan for one client's facts (``pore-protocol evaluate --format json``), or a CarePlan with
        ``Accept: application/fhir+json``. ``technique`` is the practitioner's choice."""
        facts = _json(await request.body())
        served = state.snapshot()
        if not isinstance(facts, dict):
            return _facts_error(FactsError("the facts must be a JSON object of answers"))
        try:
            plan = served.protocol.evaluate(facts, technique=technique)
        except FactsError as exc:
            return _facts_error(exc)
        if _wants_fhir(request):
            return _fhir(care_plan(plan, served.spec, served.mapping))
        return Response(plan.model_dump_json(), media_type="application/json")

    @app.post(
        "/v1/check",
        tags=["plans"],
        response_model=CheckResult,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["facts", "proposal"],
                            "properties": {
                                "facts": {"type": "object"},
                                "proposal": {
                                    "type": "object",
                                    "properties": {
                                        "technique": {"type": "string"},
                                        "sessions": {"type": "array", "items": {"type": "string", "format": "date"}},
                                    },
                                },
                            },
                        }
                    }
                },
            }
        },
    )
    async def check(request: Request) -> Response:
        """Is a practitioner's own plan ({technique, sessions}) acceptable for these facts? (``Protocol.check``)."""
        body = _json(await request.body())
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("facts"), dict)
            or not isinstance(body.get("proposal"), dict)
        ):
            return _facts_error(
                FactsError(
                    "the body must be {facts: {...}, proposal: {technique, sessions}}",
                    [Issue(None, None, None, "", "facts and proposal must both be JSON objects", None)],
                )
            )
        try:
            result = state.snapshot().protocol.check(body["facts"], body["proposal"])
        except FactsError as exc:
            return _facts_error(exc)
        return Response(result.model_dump_json(), media_type="application/json")

    @app.get("/fhir/PlanDefinition/{protocol_id}", tags=["fhir"], responses={200: {"content": {FHIR_JSON: {}}}})
    async def fhir_plan_definition(protocol_id: str) -> Response:
        """The protocol as a FHIR R4 PlanDefinition, its techniques as contained ActivityDefinitions."""
        served = state.snapshot()
        if protocol_id != served.spec.manifest.id:
            return _fhir(operation_outcome({"": f"no PlanDefinition {protocol_id!r}"}, "not-found"), 404)
        return _fhir(served.resource("plan_definition"))

    @app.get("/fhir/CodeSystem/{system_id}", tags=["fhir"], responses={200: {"content": {FHIR_JSON: {}}}})
    async def fhir_code_system(system_id: str) -> Response:
        """The project CodeSystems: ``pore-protocol`` (facts, values, techniques) and ``pore-protocol-rules``."""
        names = {"pore-protocol": "code_system", "pore-protocol-rules": "rules_code_system"}
        if system_id not in names:
            return _fhir(operation_outcome({"": f"no CodeSystem {system_id!r}"}, "not-found"), 404)
        return _fhir(state.snapshot().resource(names[system_id]))

    @app.get("/cds-services", tags=["cds-hooks"])
    async def cds_discovery() -> dict[str, Any]:
        """CDS Hooks 2.0 discovery: the ``pore-reduction-plan`` service on ``appointment-book``."""
        return discovery()

    @app.post("/cds-services/pore-reduction-plan", tags=["cds-hooks"])
    async def cds_service(request: Request) -> Response:
        """CDS Hooks 2.0: one card for the booked client (see the README for the status -> card table)."""
        try:
            hook = read_hook_request(_json(await request.body()))
        except HookRequestError as exc:
            raise BadRequest(str(exc)) from None
        try:
            await fetch_missing(hook)
        except PrefetchMissing as exc:
            problems = [(f"prefetch.{key}", exc.reasons[key]) for key in exc.keys]
            return _fhir(operation_outcome(problems, "required"), 412)
        served = state.snapshot()
        day, from_appointment = assessment_day(hook, state.today())
        dated_by = (
            "the appointment's start date"
            if from_appointment
            else f"no appointment start was given, so today in {state.config.time_zone}"
        )
        extraction = served.reader.read(resources_of(list(hook.prefetch.values())), day)
        # Sessions are dated from the appointment day: the earliest the protocol allows after every wait.
        facts = {"start_date": day.isoformat(), **extraction.facts, "assessment_date": day.isoformat()}
        notes = list(extraction.notes)
        plan = None
        for _ in range(3):  # a value the record holds but the vocabulary refuses is left unknown, and said so
            try:
                plan = served.protocol.evaluate(facts)
                break
            except FactsError as exc:
                bad = {i.path.split(".")[0].split("[")[0] for i in exc.issues} - {"assessment_date", ""}
                if not bad:
                    raise BadRequest(f"the appointment date cannot be used: {exc}") from None
                for name in sorted(bad):
                    facts.pop(name, None)
                    notes.append(
                        f"the record's answer for {name} is not valid for the protocol; it is treated as unknown"
                    )
        if plan is None:
            raise BadRequest("the record's answers cannot be read by the protocol")
        base = (state.config.public_url or str(request.base_url)).rstrip("/")
        source = f"{base}/fhir/PlanDefinition/{served.spec.manifest.id}"
        card = card_for(plan, served.spec, served.mapping, hook, source, dated_by, notes)
        return Response(json.dumps({"cards": [card]}, ensure_ascii=False), media_type="application/json")

    @app.post("/cds-services/pore-reduction-plan/feedback", tags=["cds-hooks"])
    async def cds_feedback(request: Request) -> dict[str, Any]:
        """CDS Hooks 2.0 feedback: accepted and logged (outcomes only, no identifiers)."""
        body = _json(await request.body())
        items = body.get("feedback") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise BadRequest("feedback must be {feedback: [{card, outcome, ...}]}")
        outcomes = sorted(str(i.get("outcome")) for i in items if isinstance(i, dict))
        log_event({"event": "cds_feedback", "worker": state.worker, "items": len(items), "outcomes": outcomes})
        return {}

    return Guard(app, state)
