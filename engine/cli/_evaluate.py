"""``pore-protocol evaluate`` and ``pore-protocol validate``: one client's plan; a rules folder's check."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import IO, Any, TextIO

from engine import FactsError, load_protocol, shipped_rules_path
from engine._cache import load_protocol_cached
from engine._load import MAX_DOCUMENT_BYTES
from engine.cli._output import UsageError

__all__ = ["add_evaluate_parser", "add_validate_parser", "read_input"]


def add_evaluate_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``evaluate`` to the command line's subparsers."""
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("file", help="facts file, or - to read standard input")
    parser.add_argument(
        "--format",
        choices=("json", "text", "ics"),
        default="json",
        help="output format (default json); ics: the dated steps as an iCalendar file (needs a start_date)",
    )
    parser.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument(
        "--technique",
        metavar="ID",
        default=None,
        help="the practitioner's choice: plan this technique when it is neither excluded nor pending "
        "(it never overrides a safety rule)",
    )
    parser.add_argument(
        "--client-id",
        metavar="ID",
        default=None,
        help="with --format ics: the client's id in your records, so that the events of later plans "
        "update these instead of adding copies",
    )
    parser.set_defaults(handler=_evaluate)


def add_validate_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``validate`` to the command line's subparsers."""
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("dir", nargs="?", default=None, help=f"rules folder (default {shipped_rules_path()})")
    parser.set_defaults(handler=_validate)


def read_input(name: str, what: str = "facts") -> tuple[bytes, str]:
    """A YAML or JSON document named on the command line (``-``: standard input) and the name to cite it by.

    At most one byte past the size limit is read, so that the parser refuses a larger
    document by its size: ``/dev/zero`` or an endless pipe is refused at once, in bounded
    memory. ``what`` names the document in messages (``facts``, ``proposal``).

    :raises FactsError: the file is missing, a folder, or unreadable.
    """
    if name == "-":
        return _capped(sys.stdin.buffer), "<stdin>"
    path = Path(name)
    kind = "facts" if what == "facts" else f"the {what}"
    try:
        with path.open("rb") as stream:
            return _capped(stream), name
    except FileNotFoundError:
        raise FactsError(f"{what} file {name!r} does not exist") from None
    except IsADirectoryError:
        raise FactsError(f"{name!r} is a folder; give a YAML or JSON file of {kind}") from None
    except OSError as exc:
        raise FactsError(f"cannot read {what} file {name!r}: {exc.strerror}") from None


def _capped(stream: IO[bytes]) -> bytes:
    """At most ``MAX_DOCUMENT_BYTES + 1`` bytes: enough for the parser to refuse a larger document by its size."""
    parts: list[bytes] = []
    left = MAX_DOCUMENT_BYTES + 1
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    if args.client_id is not None and args.format != "ics":
        raise UsageError("--client-id only names the events of --format ics")
    protocol = load_protocol_cached(args.rules)  # the YAML is read and validated only on a cache miss
    gc.freeze()  # the protocol lives as long as the process: out of the collector's reach (see cli.main)
    data, source = read_input(args.file)
    plan = protocol.evaluate_document(data, source, technique=args.technique)
    if args.format == "ics":
        from engine import NotDatedError, render_ics  # imported only for the format that needs them

        try:
            out.write(render_ics(plan, client_id=args.client_id).decode("utf-8"))
        except NotDatedError as exc:
            raise UsageError(str(exc)) from None
        return 0
    if args.format == "json":
        out.write(plan.model_dump_json(indent=2) + "\n")
    else:
        from engine import render_text

        out.write(render_text(plan))
    return 0


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    protocol = load_protocol(args.dir)
    out.write(
        f"OK: {protocol.id} {protocol.version} ({protocol.status}) at {protocol.path}\n"
        f"  {len(protocol.rule_ids)} rules, {len(protocol.techniques)} techniques, {len(protocol.facts)} facts; "
        f"compiled into {protocol.matcher_rulesets} matcher rulesets\n"
        f"  sha256 {protocol.sha256}\n"
    )
    return 0
