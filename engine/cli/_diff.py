"""``pore-protocol diff``: which clients' plans a rule change affects, and how."""

from __future__ import annotations

import argparse
import os
import stat
from typing import Any, TextIO

from engine import FactsError, load_protocol
from engine.authoring import diff_protocols, read_clients, render_diff_json, render_diff_text

__all__ = ["MAX_CLIENTS_BYTES", "add_parser"]

MAX_CLIENTS_BYTES = 200_000_000
"""The largest clients file read (about 100,000 clients); every client is held in memory for the report."""


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``diff`` to the command line's subparsers."""
    parser = sub.add_parser(
        name,
        help=help_text,
        description="Evaluate every client under the OLD and the NEW rules folder and list what changes. "
        "Exit status: 0 (whatever changed), 2 unreadable clients file, 3 invalid rules, 64 usage.",
    )
    parser.add_argument("old", help="rules folder before the change")
    parser.add_argument("new", help="rules folder after the change")
    parser.add_argument("--clients", metavar="FILE", required=True, help="clients: JSON Lines, or a YAML or JSON list")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="default text")
    parser.set_defaults(handler=_run)


def _check_clients_file(name: str) -> None:
    """Refuse, before reading, a clients file that is not a regular file or is too large to hold (``/dev/zero``)."""
    try:
        status = os.stat(name)
    except FileNotFoundError:
        raise FactsError(f"clients file {name!r} does not exist") from None
    except OSError as exc:
        raise FactsError(f"cannot read clients file {name!r}: {exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise FactsError(f"clients file {name!r} is not a regular file")
    if status.st_size > MAX_CLIENTS_BYTES:
        raise FactsError(f"clients file {name!r} is larger than {MAX_CLIENTS_BYTES:,} bytes")


def _run(args: argparse.Namespace, out: TextIO) -> int:
    _check_clients_file(args.clients)
    clients = read_clients(args.clients)
    old = load_protocol(args.old)
    new = load_protocol(args.new)
    try:
        report = diff_protocols(old, new, clients)
    finally:
        old.close()
        new.close()
    out.write(render_diff_json(report) if args.format == "json" else render_diff_text(report))
    return 0
