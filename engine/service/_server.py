"""Run the service: one uvicorn process, or a supervisor that owns N worker processes on one socket.

The supervisor binds the socket, starts the workers (spawned, each loading the rules), and:

* forwards SIGHUP to every worker: each reloads in a thread while it keeps serving with the
  rules it has, so a reload never leaves no worker serving, and an invalid folder leaves the
  old rules in service with the reason in the log;
* restarts a worker that died (at most :data:`MAX_RESTARTS` in a minute, then gives up);
* on SIGTERM or SIGINT ends the workers and removes its private folder.

A worker ends by itself soon after the supervisor is gone, even killed outright
(:mod:`engine._lifeline`).

Replay protection holds across workers because the replay store is one SQLite file in a
private folder (mode 0700) the supervisor makes, which every worker opens.
"""

from __future__ import annotations

import contextlib
import ipaddress
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import replace
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

from engine._lifeline import watch_parent
from engine.service._state import ServiceConfig, log_event

__all__ = ["ConfigError", "check_config", "is_loopback", "run_worker", "serve"]

MAX_RESTARTS = 5


class ConfigError(Exception):
    """The service cannot start as asked (a usage error, exit 64); the message says why and what to do."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_config(config: ServiceConfig) -> None:
    """Refuse what would be unsafe or cannot work, before anything is loaded."""
    if config.trusted_issuers is None:
        if config.public_url is not None:
            raise ConfigError("--public-url is only used with --trusted-issuers")
        if not is_loopback(config.host):
            raise ConfigError(
                f"--host {config.host} accepts connections from other machines, which needs --trusted-issuers "
                "(and --public-url) so that every request carries a signed token; without them bind to 127.0.0.1"
            )
    else:
        if not config.public_url or not config.public_url.startswith(("https://", "http://")):
            raise ConfigError("--trusted-issuers needs --public-url, the URL clients call (tokens' aud is checked)")
        if not config.trusted_issuers.is_file():
            raise ConfigError(f"--trusted-issuers {config.trusted_issuers} is not a file")
        from engine.service._auth import IssuerFileError, TrustedIssuers

        try:
            TrustedIssuers.load(config.trusted_issuers)
        except IssuerFileError as exc:
            raise ConfigError(str(exc)) from None
    if config.workers < 1 or config.workers > 64:
        raise ConfigError("--workers must be between 1 and 64")
    if not 0 <= config.port <= 65535:
        raise ConfigError("--port must be between 0 and 65535")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(config.time_zone)
    except (ValueError, KeyError, OSError):
        raise ConfigError(f"--time-zone {config.time_zone!r} is not an IANA time zone (e.g. Europe/London)") from None


def _uvicorn_config(app: Any, config: ServiceConfig) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        access_log=False,
        log_level="warning",
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=5,
    )


def run_worker(config: ServiceConfig, sock: socket.socket | None = None) -> None:
    """One worker: load the rules, build the app, serve (on ``sock`` when a supervisor bound it)."""
    import gc

    import uvicorn

    from engine.service._app import build_app
    from engine.service._state import ServiceState

    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the app's loop takes SIGHUP over: never die of one
    state = ServiceState(config)
    gc.collect()
    gc.freeze()  # the protocol's objects stay: full collections stop re-scanning them (see README, p99)
    server = uvicorn.Server(_uvicorn_config(build_app(state), config))
    try:
        server.run(sockets=[sock] if sock is not None else None)
    finally:
        state.close()


def _worker_main(config: ServiceConfig, sock: socket.socket, supervisor: int) -> None:
    """A worker process: serve until stopped, or until the supervisor is gone (killed outright, say).

    A worker left without its supervisor would keep answering on the shared socket with
    nobody to restart, reload or stop it, and its rules would never change again.
    """
    watch_parent(supervisor, gone=lambda: log_event({"event": "supervisor_gone", "worker": os.getpid()}))
    with contextlib.suppress(KeyboardInterrupt):
        run_worker(config, sock)


def _announce(config: ServiceConfig, port: int) -> None:
    secured = config.trusted_issuers is not None
    log_event(
        {
            "event": "start",
            "listening": f"http://{config.host}:{port}",
            "workers": config.workers,
            "rules": str(config.rules) if config.rules else "shipped",
            "security": "bearer JWT from trusted issuers" if secured else "none: loopback only",
        }
    )
    if not secured:
        sys.stderr.write(
            f"pore-protocol serve: no --trusted-issuers, so requests are not authenticated and the service "
            f"listens on loopback only ({config.host}:{port})\n"
        )
        sys.stderr.flush()


def serve(config: ServiceConfig) -> int:
    """Run until SIGTERM or SIGINT; returns the exit status.

    :raises ConfigError: the configuration is unsafe or unusable (see :func:`check_config`).
    :raises RulesError: the rules folder is invalid at start.
    """
    check_config(config)
    from engine import load_protocol

    load_protocol(config.rules).close()  # refuse invalid rules now, with every problem, before any worker starts
    state_dir = Path(tempfile.mkdtemp(prefix="pore-protocol-serve-")) if config.trusted_issuers else None
    config = replace(config, state_dir=state_dir)
    try:
        if config.workers == 1:
            sock = _bind(config)
            _announce(config, sock.getsockname()[1])
            with contextlib.suppress(KeyboardInterrupt):
                run_worker(config, sock)
            return 0
        return _Supervisor(config).run()
    finally:
        if state_dir is not None:
            shutil.rmtree(state_dir, ignore_errors=True)


def _bind(config: ServiceConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio disables Nagle's algorithm only on sockets whose proto says TCP, and
    # without that each answer's second write waits for a delayed ACK (40 ms on Linux).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Supervisor:
    """Owns the socket and the worker processes; signals are turned into flags handled by its loop."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[BaseProcess] = []
        self.stop = False
        self.hangups = 0
        self.restarts: list[float] = []

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.hangups += 1
        else:
            self.stop = True

    def _start(self, sock: socket.socket) -> BaseProcess:
        process = self.context.Process(target=_worker_main, args=(self.config, sock, os.getpid()), daemon=False)
        process.start()
        return process

    def run(self) -> int:
        sock = _bind(self.config)
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT)}
        try:
            _announce(self.config, sock.getsockname()[1])
            self.workers = [self._start(sock) for _ in range(self.config.workers)]
            while not self.stop:
                time.sleep(0.1)
                if self.hangups:
                    self.hangups = 0
                    log_event({"event": "reload_requested", "workers": [w.pid for w in self.workers]})
                    for worker in self.workers:
                        if worker.pid is not None and worker.is_alive():
                            os.kill(worker.pid, signal.SIGHUP)
                if not self._replace_dead(sock):
                    return 4
            return 0
        finally:
            for worker in self.workers:
                if worker.is_alive():
                    worker.terminate()
            for worker in self.workers:
                worker.join(timeout=10)
                if worker.is_alive():
                    worker.kill()
            sock.close()
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _replace_dead(self, sock: socket.socket) -> bool:
        for i, worker in enumerate(self.workers):
            if worker.is_alive() or self.stop:
                continue
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < 60] + [now]
            log_event({"event": "worker_died", "worker": worker.pid, "exitcode": worker.exitcode})
            if len(self.restarts) > MAX_RESTARTS:
                log_event({"event": "giving_up", "reason": f"more than {MAX_RESTARTS} worker restarts in a minute"})
                return False
            self.workers[i] = self._start(sock)
        return True
