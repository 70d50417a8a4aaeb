"""``pore-protocol diff``: which clients' plans a rule change affects, and how."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from engine import load_protocol
from engine.authoring import diff_protocols, read_clients, render_diff_json, render_diff_text

__all__ = ["add_parser"]


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


def _run(args: argparse.Namespace, out: TextIO) -> int:
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
