"""CDS Hooks 2.0 bearer tokens: trusted issuers, JWT checks (PyJWT), and a replay store shared by every worker.

A clinic's CDS client signs a short-lived JWT for each call (CDS Hooks 2.0, "Trusting CDS
Clients"): ``iss`` names the client, ``aud`` the service endpoint being called, ``exp`` and
``iat`` its lifetime, ``jti`` makes it unique. The service accepts a call only when:

* ``iss`` is in the trusted-issuers file, and the signature verifies with one of its keys
  (asymmetric algorithms only: never ``none`` or a shared secret);
* ``aud`` is the endpoint called, under ``--public-url`` (what the client sees, which a proxy
  may hide from the service);
* ``exp`` and ``iat`` hold (with a small clock leeway), and the token lives at most an hour;
* its ``jti`` has not been seen while the token is alive: the replay store is one SQLite
  file that every worker process writes to, so a replayed token fails on every worker.

The trusted-issuers file (YAML or JSON) maps each issuer to its keys::

    issuers:
      https://ehr.example.org:
        jwks_file: ehr-jwks.json        # or jwks: {keys: [...]} inline
      https://scheduler.example.org:
        public_key_file: scheduler.pem  # or public_key: "-----BEGIN PUBLIC KEY-----..."

Keys are exchanged out of band (a ``jku`` header is never fetched).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import yaml
from cryptography.hazmat.primitives.serialization import load_pem_public_key

__all__ = ["AuthError", "IssuerFileError", "ReplayStore", "TokenVerifier", "TrustedIssuers"]

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
"""Asymmetric only: a service that trusted HS256 would accept tokens signed with a key it must keep secret."""
LEEWAY = 30
"""Seconds of clock difference tolerated for exp and iat."""
MAX_LIFETIME = 3600
"""CDS Hooks recommends five minutes; a token valid for longer than an hour is refused."""


class IssuerFileError(Exception):
    """The trusted-issuers file cannot be used (a usage error when the service starts); the message says why."""


class AuthError(Exception):
    """A request's token is missing or invalid (answered 401); the message says which check failed."""


@dataclass(frozen=True)
class _Key:
    kid: str | None
    key: Any


class TrustedIssuers:
    """The issuers the service trusts and their public keys, read once when the service starts."""

    def __init__(self, keys: Mapping[str, tuple[_Key, ...]]) -> None:
        self._keys = dict(keys)

    def __contains__(self, issuer: object) -> bool:
        return issuer in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def key_for(self, issuer: str, kid: str | None) -> Any:
        """The key that verifies ``issuer``'s token with header ``kid``; raises :class:`AuthError`."""
        keys = self._keys[issuer]
        if kid is not None:
            for one in keys:
                if one.kid == kid:
                    return one.key
            raise AuthError(f"no key of the issuer has kid {kid!r}")
        if len(keys) == 1:
            return keys[0].key
        raise AuthError("the token names no kid and the issuer has several keys")

    @classmethod
    def load(cls, path: Path) -> TrustedIssuers:
        """Read the file; raises :class:`IssuerFileError` naming the issuer and what is wrong."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise IssuerFileError(f"cannot read {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise IssuerFileError(f"{path} is not valid YAML or JSON: {str(exc).splitlines()[0]}") from None
        issuers = data.get("issuers") if isinstance(data, dict) else None
        if not isinstance(issuers, dict) or not issuers:
            raise IssuerFileError(f"{path} must map 'issuers' to at least one issuer and its keys")
        keys: dict[str, tuple[_Key, ...]] = {}
        for issuer, entry in issuers.items():
            if not isinstance(issuer, str) or not isinstance(entry, dict) or len(entry) != 1:
                raise IssuerFileError(
                    f"{path}: issuer {issuer!r} needs exactly one of jwks, jwks_file, public_key, public_key_file"
                )
            keys[issuer] = _keys_of(path, issuer, entry)
        return cls(keys)


def _keys_of(path: Path, issuer: str, entry: Mapping[str, Any]) -> tuple[_Key, ...]:
    ((kind, value),) = entry.items()
    where = f"{path}: issuer {issuer!r}"
    try:
        if kind in ("jwks_file", "public_key_file"):
            if not isinstance(value, str):
                raise IssuerFileError(f"{where}: {kind} must be a file name")
            text = (path.parent / value).read_text(encoding="utf-8")
            kind, value = kind.removesuffix("_file"), (json.loads(text) if kind == "jwks_file" else text)
        if kind == "jwks":
            if not isinstance(value, dict):
                raise IssuerFileError(f"{where}: jwks must be a JWK Set ({{keys: [...]}})")
            found = tuple(_Key(k.key_id, k.key) for k in jwt.PyJWKSet.from_dict(value).keys)
            if not found:
                raise IssuerFileError(f"{where}: the JWK Set has no usable key")
            return found
        if kind == "public_key" and isinstance(value, str):
            return (_Key(None, load_pem_public_key(value.encode("utf-8"))),)
    except OSError as exc:
        raise IssuerFileError(f"{where}: cannot read {value!r}: {exc.strerror}") from None
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise IssuerFileError(f"{where}: the key cannot be read ({exc})") from None
    raise IssuerFileError(f"{where}: unknown key kind {kind!r} (jwks, jwks_file, public_key, public_key_file)")


class ReplayStore:
    """The ``jti`` of every token accepted and still alive, in one SQLite file shared by the worker processes.

    A row is inserted per accepted token under the primary key (issuer, jti): a second
    insert of the same pair fails in every process, atomically, which is the replay check.
    Rows are purged once their token has expired. The file lives in a private temporary
    folder the server creates; durability does not matter (synchronous off), exclusion does.
    """

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 10000")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (iss TEXT, jti TEXT, exp INTEGER, PRIMARY KEY (iss, jti))")
        self._claims = 0

    def claim(self, issuer: str, jti: str, expires: int) -> bool:
        """Record a token; ``False`` when it was seen before (a replay)."""
        with self._lock:
            self._claims += 1
            if self._claims % 1000 == 0:
                self._db.execute("DELETE FROM seen WHERE exp < ?", (int(time.time()) - LEEWAY,))
            try:
                self._db.execute("INSERT INTO seen (iss, jti, exp) VALUES (?, ?, ?)", (issuer, jti, expires))
            except sqlite3.IntegrityError:
                return False
            return True

    def close(self) -> None:
        self._db.close()


class TokenVerifier:
    """Checks the bearer token of one request against the trusted issuers, the public URL and the replay store."""

    def __init__(self, issuers: TrustedIssuers, public_url: str, replay: ReplayStore) -> None:
        self.issuers = issuers
        self.public_url = public_url.rstrip("/")
        self.replay = replay

    def verify(self, authorization: str | None, path: str) -> str:
        """The issuer of a valid token for the endpoint at ``path``; raises :class:`AuthError` otherwise."""
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("a bearer token is required (Authorization: Bearer <JWT>)")
        token = authorization.removeprefix("Bearer ").strip()
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise AuthError(f"algorithm {header.get('alg')!r} is not accepted (asymmetric signatures only)")
        if header.get("typ", "JWT") != "JWT":
            raise AuthError("the token's typ must be JWT")
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise AuthError("the token's issuer is not trusted")
        key = self.issuers.key_for(issuer, header.get("kid"))
        try:
            checked = jwt.decode(
                token,
                key,
                algorithms=[header["alg"]],
                audience=self.public_url + path,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token's audience is not this endpoint") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token was issued in the future") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the token has no {exc.claim} claim") from None
        except jwt.PyJWTError:
            raise AuthError("the token's signature or claims are invalid") from None
        exp, iat, jti = checked["exp"], checked["iat"], checked["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("the token's jti must be a non-empty string")
        if not isinstance(iat, int | float) or exp - iat > MAX_LIFETIME:
            raise AuthError(f"the token lives longer than {MAX_LIFETIME} seconds")
        if not self.replay.claim(issuer, jti, int(exp)):
            raise AuthError("the token was already used (jti replayed)")
        return issuer
