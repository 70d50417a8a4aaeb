"""``pore-protocol serve``: the HTTP service (CDS Hooks, FHIR, plans); the service wing is imported only here."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from engine.cli._output import UsageError

__all__ = ["add_parser"]


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``serve`` to the command line's subparsers."""
    parser = sub.add_parser(
        name,
        help=help_text,
        description="Serve plans, checks, FHIR R4 resources and CDS Hooks 2.0 cards over HTTP. Without "
        "--trusted-issuers requests are not authenticated, so the service listens on loopback only. "
        "SIGHUP reloads the rules (an invalid folder leaves the old rules serving). Needs the 'service' extra.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    parser.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="worker processes (default 1)")
    parser.add_argument(
        "--trusted-issuers",
        metavar="FILE",
        default=None,
        help="YAML or JSON mapping each trusted issuer to its keys (JWKS or public key): every request but "
        "/healthz then needs a CDS Hooks bearer JWT",
    )
    parser.add_argument(
        "--public-url", metavar="URL", default=None, help="the URL clients call (the tokens' aud is checked under it)"
    )
    parser.add_argument(
        "--time-zone",
        metavar="ZONE",
        default="UTC",
        help="IANA time zone of 'today' when a hook names no appointment date (default UTC)",
    )
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from engine.service import ConfigError, ServiceConfig, serve
    except ImportError as exc:
        raise UsageError(
            f"the service needs the 'service' extra: pip install 'pore-protocol[service]' ({exc})"
        ) from None
    config = ServiceConfig(
        rules=Path(args.rules) if args.rules else None,
        host=args.host,
        port=args.port,
        workers=args.workers,
        trusted_issuers=Path(args.trusted_issuers) if args.trusted_issuers else None,
        public_url=args.public_url,
        time_zone=args.time_zone,
    )
    try:
        return serve(config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
