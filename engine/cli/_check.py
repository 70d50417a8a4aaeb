"""``pore-protocol check FACTS PROPOSAL``: is a practitioner's own plan acceptable?

The exit status is the verdict, so that a script that books sessions can gate on it:
0 only for ``acceptable``; 1 for ``needs_review``, ``needs_information`` and
``unacceptable`` (a session that still needs a review is never booked by a script that
only looks at the status); 2 for invalid facts or an invalid proposal (an unknown technique
included); 3, 4 and 64 as for every subcommand.
"""

from __future__ import annotations

import argparse
import gc
from typing import Any, TextIO

from engine import render_check_text
from engine._cache import load_protocol_cached
from engine.cli._evaluate import read_input
from engine.cli._output import UsageError

__all__ = ["EXIT_NOT_ACCEPTABLE", "add_parser"]

EXIT_NOT_ACCEPTABLE = 1
"""Any verdict but ``acceptable``."""


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``check`` to the command line's subparsers."""
    parser = sub.add_parser(
        name,
        help=help_text,
        description="Check a proposed plan ({technique: T, sessions: [dates]}, YAML or JSON) against a "
        "client's facts. One session dated on the assessment day asks whether today's session can go "
        "ahead. Exit 0 only when the verdict is acceptable; 1 for any other verdict.",
    )
    parser.add_argument("facts", help="the client's facts file, or - for standard input")
    parser.add_argument("proposal", help="the proposal file, or - for standard input")
    parser.add_argument("--format", choices=("json", "text"), default="json", help="output format (default json)")
    parser.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    parser.set_defaults(handler=_check)


def _check(args: argparse.Namespace, out: TextIO) -> int:
    if args.facts == "-" and args.proposal == "-":
        raise UsageError("only one of the facts and the proposal can be read from standard input")
    protocol = load_protocol_cached(args.rules)
    gc.freeze()  # the protocol lives as long as the process: out of the collector's reach (see cli.main)
    facts, facts_source = read_input(args.facts)
    proposal, proposal_source = read_input(args.proposal, "proposal")
    result = protocol.check_document(facts, proposal, facts_source, proposal_source)
    out.write(result.model_dump_json(indent=2) + "\n" if args.format == "json" else render_check_text(result))
    return 0 if result.verdict == "acceptable" else EXIT_NOT_ACCEPTABLE
