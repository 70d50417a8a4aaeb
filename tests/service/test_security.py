"""Bearer JWTs (CDS Hooks 2.0) on the real service with 2 workers: every check, and replay refused on every worker."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.conftest import BASELINE, ROOT
from tests.service.server import Server, running_server, workers_ready

PUBLIC = "https://cds.example.org/pore"
EHR = "https://ehr.example.org"
SCHEDULER = "https://scheduler.example.org"
EHR_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SCHEDULER_KEY = ec.generate_private_key(ec.SECP384R1())
STRANGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def issuers_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("issuers")
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(EHR_KEY.public_key()))
    (folder / "ehr-jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "ehr-1", "alg": "RS384"}]}), "utf-8")
    pem = SCHEDULER_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (folder / "scheduler.pem").write_bytes(pem)
    path = folder / "trusted-issuers.yaml"
    path.write_text(
        f"issuers:\n  {EHR}:\n    jwks_file: ehr-jwks.json\n  {SCHEDULER}:\n    public_key_file: scheduler.pem\n",
        "utf-8",
    )
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, issuers_file: Path) -> Iterator[Server]:
    args = ("--workers", "2", "--trusted-issuers", str(issuers_file), "--public-url", PUBLIC)
    with running_server(tmp_path_factory.mktemp("secure"), *args) as running:
        workers_ready(running, 2)
        yield running


def token(
    path: str,
    issuer: str = EHR,
    key: Any = EHR_KEY,
    kid: str | None = "ehr-1",
    algorithm: str = "RS384",
    lifetime: int = 300,
    issued: int = 0,
    **claims: Any,
) -> str:
    now = int(time.time()) + issued
    payload = {
        "iss": issuer,
        "aud": PUBLIC + path,
        "exp": now + lifetime,
        "iat": now,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    headers = {"typ": "JWT", **({"kid": kid} if kid else {})}
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def call(server: Server, path: str, bearer: str | None, body: Any = None) -> httpx.Response:
    """One request on a new connection (so that either worker may take it)."""
    headers = {"Connection": "close", **({"Authorization": f"Bearer {bearer}"} if bearer else {})}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        if body is None:
            return client.get(path, headers=headers)
        return client.post(path, headers=headers, json=body)


def _refused(answer: httpx.Response, words: str) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "unauthorized"
    assert words in answer.json()["message"]
    assert answer.headers["www-authenticate"] == "Bearer"


def test_healthz_needs_no_token(server: Server) -> None:
    assert call(server, "/healthz", None).status_code == 200


def test_a_valid_token_is_accepted(server: Server) -> None:
    assert call(server, "/v1/protocol", token("/v1/protocol")).status_code == 200
    plan = call(server, "/v1/evaluate", token("/v1/evaluate"), BASELINE)
    assert plan.status_code == 200 and plan.json()["status"] == "ready"
    pem_issuer = token("/v1/protocol", issuer=SCHEDULER, key=SCHEDULER_KEY, kid=None, algorithm="ES384")
    assert call(server, "/v1/protocol", pem_issuer).status_code == 200
    assert call(server, "/cds-services", token("/cds-services")).status_code == 200


def test_no_token_is_refused(server: Server) -> None:
    _refused(call(server, "/v1/protocol", None), "bearer token is required")
    _refused(call(server, "/v1/protocol", "not-a-jwt"), "not a JWT")


def test_an_expired_token_is_refused(server: Server) -> None:
    _refused(call(server, "/v1/protocol", token("/v1/protocol", issued=-900)), "expired")


def test_a_token_for_another_endpoint_is_refused(server: Server) -> None:
    _refused(call(server, "/v1/protocol", token("/v1/evaluate")), "audience")
    wrong_host = token("/v1/protocol", aud="https://elsewhere.example.org/pore/v1/protocol")
    _refused(call(server, "/v1/protocol", wrong_host), "audience")


def test_an_unknown_issuer_or_key_is_refused(server: Server) -> None:
    _refused(call(server, "/v1/protocol", token("/v1/protocol", issuer="https://evil.example.org")), "not trusted")
    _refused(call(server, "/v1/protocol", token("/v1/protocol", key=STRANGER_KEY)), "signature")
    _refused(call(server, "/v1/protocol", token("/v1/protocol", kid="ehr-9")), "kid")


def test_shared_secrets_future_and_long_lived_tokens_are_refused(server: Server) -> None:
    hmac = token("/v1/protocol", key="a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    _refused(call(server, "/v1/protocol", hmac), "asymmetric")
    _refused(call(server, "/v1/protocol", token("/v1/protocol", issued=600)), "future")
    _refused(call(server, "/v1/protocol", token("/v1/protocol", lifetime=86_400)), "longer than")


def test_a_replayed_token_is_refused_by_every_worker(server: Server) -> None:
    workers = workers_ready(server, 2)
    assert len(workers) == 2
    once = token("/v1/protocol")
    first = call(server, "/v1/protocol", once)
    assert first.status_code == 200
    refused_by: set[int] = set()
    for _ in range(300):  # bounded: new connections until each worker has refused the replay
        replay = call(server, "/v1/protocol", once)
        _refused(replay, "replayed")
        refused_by.add(int(replay.headers["x-request-id"].split("-")[0], 16))
        if refused_by == workers:
            break
    assert refused_by == workers


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_without_trusted_issuers_a_non_loopback_host_is_a_usage_error() -> None:
    done = _serve("--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 64
    assert "--trusted-issuers" in done.stderr and "Traceback" not in done.stderr


def test_trusted_issuers_need_a_public_url(issuers_file: Path) -> None:
    done = _serve("--trusted-issuers", str(issuers_file), "--port", "0")
    assert done.returncode == 64 and "--public-url" in done.stderr


def test_a_broken_issuers_file_is_a_usage_error(tmp_path: Path) -> None:
    broken = tmp_path / "issuers.yaml"
    broken.write_text("issuers:\n  https://x.example.org:\n    jwks: {keys: [{kty: RSA}]}\n", "utf-8")
    done = _serve("--trusted-issuers", str(broken), "--public-url", PUBLIC, "--port", "0")
    assert done.returncode == 64 and "https://x.example.org" in done.stderr


def test_the_server_says_it_listens_on_loopback_only_without_issuers(tmp_path: Path) -> None:
    with running_server(tmp_path) as plain:
        assert "loopback only" in plain.log_text()
