"""What one worker process serves with: its configuration, the reloadable protocol, per-protocol caches, the log.

Every request reads :meth:`ServiceState.snapshot` once and uses that protocol (and the
caches built for it) from start to finish, so one answer always comes from one version of
the rules, even while SIGHUP reloads them in a thread (:class:`engine.ReloadingProtocol`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from engine import Protocol, ReloadingProtocol, RulesError
from engine._fhir_mapping import FhirMapping, default_mapping
from engine._spec import ProtocolSpec
from engine.service._auth import ReplayStore, TokenVerifier, TrustedIssuers
from engine.service._fhir_facts import FactReader
from engine.service._fhir_resources import code_system, plan_definition, rules_code_system

__all__ = ["MAX_BODY_BYTES", "Served", "ServiceConfig", "ServiceState", "log_event"]

MAX_BODY_BYTES = 1_000_000
"""Larger bodies are refused (413) before they are read: one client's facts are a few kilobytes."""


@dataclass(frozen=True)
class ServiceConfig:
    """How the service runs; picklable, so that a supervisor hands it to each worker process."""

    rules: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    trusted_issuers: Path | None = None
    public_url: str | None = None
    time_zone: str = "UTC"
    state_dir: Path | None = None
    """The private folder holding the replay store (made by the server when tokens are checked)."""


def log_event(event: dict[str, Any], stream: TextIO | None = None) -> None:
    """Write one JSON log line (UTC time first). Callers never put facts or patient identifiers in ``event``."""
    line = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), **event}
    out = stream or sys.stderr
    out.write(json.dumps(line, separators=(",", ":"), default=str) + "\n")
    out.flush()


@dataclass(frozen=True)
class Served:
    """One protocol version and what the service derived from it once (the FHIR resources, the fact reader)."""

    protocol: Protocol
    spec: ProtocolSpec
    mapping: FhirMapping
    reader: FactReader
    resources: dict[str, bytes] = field(default_factory=dict)
    """Serialised FHIR resources that only depend on the protocol, by name; built on first use."""

    def resource(self, name: str) -> bytes:
        """``plan_definition``, ``code_system`` or ``rules_code_system`` as JSON bytes, cached."""
        found = self.resources.get(name)
        if found is None:
            builders = {
                "plan_definition": plan_definition,
                "code_system": code_system,
                "rules_code_system": rules_code_system,
            }
            found = json.dumps(builders[name](self.spec, self.mapping), ensure_ascii=False).encode("utf-8")
            self.resources[name] = found
        return found


def _served(protocol: Protocol) -> Served:
    spec: ProtocolSpec = protocol._spec
    mapping = spec.fhir_mapping or default_mapping(spec.facts, spec.techniques)
    return Served(protocol, spec, mapping, FactReader(mapping, spec.facts))


class ServiceState:
    """The worker's protocol (reloadable), token verifier and time zone.

    :raises RulesError: the rules folder is invalid when the worker starts.
    """

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.zone = ZoneInfo(config.time_zone)
        self.reloading = ReloadingProtocol(config.rules)
        self._served = _served(self.reloading.current)
        self._lock = threading.Lock()
        self.verifier: TokenVerifier | None = None
        self.replay: ReplayStore | None = None
        if config.trusted_issuers is not None and config.public_url and config.state_dir is not None:
            self.replay = ReplayStore(config.state_dir / "replay.sqlite3")
            self.verifier = TokenVerifier(TrustedIssuers.load(config.trusted_issuers), config.public_url, self.replay)
        self.worker = os.getpid()

    def snapshot(self) -> Served:
        """The protocol (with its caches) this request uses from start to finish."""
        served = self._served
        if served.protocol is not self.reloading.current:  # reloaded since: build the caches for the new one
            with self._lock:
                if self._served.protocol is not self.reloading.current:
                    self._served = _served(self.reloading.current)
                served = self._served
        return served

    def reload(self) -> None:
        """Reload the rules folder (SIGHUP); on invalid rules the old ones keep serving and the log says why."""
        before = self.snapshot().protocol
        try:
            fresh = self.reloading.reload()
        except RulesError as exc:
            log_event(
                {
                    "event": "reload",
                    "outcome": "failed",
                    "worker": self.worker,
                    "reason": str(exc),
                    "serving_version": before.version,
                    "serving_sha256": before.sha256,
                }
            )
            return
        except Exception as exc:  # an unreadable folder must not kill the worker either
            log_event({"event": "reload", "outcome": "failed", "worker": self.worker, "reason": repr(exc)})
            return
        self.snapshot()
        log_event(
            {
                "event": "reload",
                "outcome": "ok",
                "worker": self.worker,
                "protocol_version": fresh.version,
                "protocol_sha256": fresh.sha256,
            }
        )

    def today(self) -> dt.date:
        """Today's date in the configured time zone (the assessment date when a hook names no appointment)."""
        return dt.datetime.now(self.zone).date()

    def close(self) -> None:
        if self.replay is not None:
            self.replay.close()
        self.reloading.close()
