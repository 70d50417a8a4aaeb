"""``pore-protocol evaluate`` and ``pore-protocol validate``: one client's plan; a rules folder's check."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from engine import FactsError, load_protocol, render_text, shipped_rules_path

__all__ = ["add_evaluate_parser", "add_validate_parser"]


def add_evaluate_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``evaluate`` to the command line's subparsers."""
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("file", help="facts file, or - to read standard input")
    parser.add_argument("--format", choices=("json", "text"), default="json", help="output format (default json)")
    parser.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    parser.set_defaults(handler=_evaluate)


def add_validate_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``validate`` to the command line's subparsers."""
    parser = sub.add_parser(name, help=help_text)
    parser.add_argument("dir", nargs="?", default=None, help=f"rules folder (default {shipped_rules_path()})")
    parser.set_defaults(handler=_validate)


def _read_input(name: str) -> tuple[bytes, str]:
    if name == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    path = Path(name)
    try:
        return path.read_bytes(), name
    except FileNotFoundError:
        raise FactsError(f"facts file {name!r} does not exist") from None
    except IsADirectoryError:
        raise FactsError(f"{name!r} is a folder; give a YAML or JSON file of facts") from None
    except OSError as exc:
        raise FactsError(f"cannot read facts file {name!r}: {exc.strerror}") from None


def _evaluate(args: argparse.Namespace, out: TextIO) -> int:
    protocol = load_protocol(args.rules)
    data, source = _read_input(args.file)
    plan = protocol.evaluate_document(data, source)
    out.write(plan.model_dump_json(indent=2) + "\n" if args.format == "json" else render_text(plan))
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
