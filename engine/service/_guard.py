"""The ASGI layer every request passes first: request id, token check, body limit, JSON errors, one log line.

Written as plain ASGI rather than a Starlette ``BaseHTTPMiddleware`` so that it adds
microseconds, not a task per request. In order, for each HTTP request:

1. a request id (``X-Request-Id`` on the answer, and in the log line);
2. with trusted issuers, the bearer token (except ``/healthz``): 401 JSON when it fails;
3. the body, read here up to :data:`MAX_BODY_BYTES`: 413 JSON beyond it (from
   ``Content-Length`` before reading, or while reading a chunked body);
4. the application; an exception escaping it is answered 500 JSON without any detail
   (the log line names its type), never a traceback;
5. one JSON log line: id, method, route template, status, latency, protocol version and
   sha256, worker. Never the body, the query string or a path parameter other than the
   protocol's id, so no facts and no patient identifiers.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from engine.service._auth import AuthError
from engine.service._state import MAX_BODY_BYTES, ServiceState, log_event

__all__ = ["Guard", "json_body", "route_of"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ROUTES = frozenset(
    {
        "/healthz",
        "/v1/protocol",
        "/v1/evaluate",
        "/v1/check",
        "/cds-services",
        "/cds-services/pore-reduction-plan",
        "/cds-services/pore-reduction-plan/feedback",
        "/openapi.json",
        "/docs",
        "/redoc",
    }
)
_UNGUARDED = frozenset({"/healthz"})


def route_of(path: str) -> str:
    """The route template a path matched, for the log: never an identifier a client sent."""
    if path in _ROUTES:
        return path
    for prefix in ("/fhir/PlanDefinition/", "/fhir/CodeSystem/"):
        if path.startswith(prefix) and "/" not in path[len(prefix) :]:
            return prefix + "{id}"
    return "(unmatched)"


def json_body(status: int, payload: Any) -> tuple[int, bytes]:
    return status, json.dumps(payload, separators=(",", ":")).encode("utf-8")


class Guard:
    """Wraps the FastAPI application; see the module's docstring for what it does, in order."""

    def __init__(self, app: ASGIApp, state: ServiceState) -> None:
        self.app = app
        self.state = state
        self._ids = itertools.count(1)
        self._prefix = f"{os.getpid():x}-{int(time.time()):x}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = f"{self._prefix}-{next(self._ids)}"
        served = self.state.snapshot()
        status = [500]
        response_started = [False]
        id_header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_started[0] = True
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), id_header]
            await send(message)

        async def answer(code: int, payload: dict[str, Any], extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
            _, body = json_body(code, payload)
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
            await send_with_id({"type": "http.response.start", "status": code, "headers": headers})
            await send_with_id({"type": "http.response.body", "body": body})

        error: str | None = None
        try:
            path = scope["path"]
            if self.state.verifier is not None and path not in _UNGUARDED:
                try:
                    self.state.verifier.verify(_header(scope, b"authorization"), path)
                except AuthError as exc:
                    await answer(
                        401, {"error": "unauthorized", "message": str(exc)}, ((b"www-authenticate", b"Bearer"),)
                    )
                    return
            body = await _read_body(scope, receive)
            if body is None:
                await answer(
                    413, {"error": "too_large", "message": f"the body is larger than {MAX_BODY_BYTES:,} bytes"}
                )
                return
            await self.app(scope, _replay(body), send_with_id)
        except Exception as exc:  # the last line of defence: a JSON 500, the type in the log, never a traceback
            error = type(exc).__name__
            if not response_started[0]:
                await answer(500, {"error": "internal", "message": "the service failed; the request id is in the log"})
        finally:
            event: dict[str, Any] = {
                "event": "request",
                "request_id": request_id,
                "method": scope.get("method"),
                "route": route_of(scope.get("path", "")),
                "status": status[0],
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "protocol_version": served.protocol.version,
                "protocol_sha256": served.protocol.sha256,
                "worker": self.state.worker,
            }
            if error:
                event["error"] = error
            log_event(event)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The whole request body, or ``None`` when it is larger than the limit (refused before or while reading)."""
    declared = _header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _replay(body: bytes) -> Receive:
    """A ``receive`` that gives the application the body already read, then waits as a live connection would."""
    sent = [False]

    async def receive() -> Message:
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
