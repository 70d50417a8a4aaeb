"""``pore-protocol fhir facts BUNDLE.json``: the facts ``fhir-mapping.yaml`` reads from a FHIR record."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any, TextIO

from engine import FactsError, load_protocol
from engine._facts import strict_json_loads
from engine.cli._evaluate import read_input
from engine.cli._output import UsageError

__all__ = ["add_parser"]


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``fhir`` (with its one action, ``facts``) to the command line's subparsers."""
    parser = sub.add_parser(name, help=help_text, description="FHIR tools for integrators.")
    actions = parser.add_subparsers(dest="fhir_action", required=True)
    facts = actions.add_parser(
        "facts",
        help="print the facts the FHIR mapping extracts from a Bundle (or a resource, or a list of them)",
        description="Print, as JSON, the intake facts rules/fhir-mapping.yaml reads from FHIR R4 resources; notes "
        "on what was ignored or left unknown go to stderr. Facts the record does not hold are absent (unknown).",
    )
    facts.add_argument("bundle", help="a FHIR JSON file (a Bundle, a resource, or a list), or - for standard input")
    facts.add_argument(
        "--assessment-date",
        metavar="YYYY-MM-DD",
        default=None,
        help="the date ages are counted at and the facts are dated (default: today)",
    )
    facts.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    facts.set_defaults(handler=_facts)


def _facts(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from engine.service import FactReader, resources_of
    except ImportError as exc:
        raise UsageError(
            f"'fhir facts' needs the 'service' extra: pip install 'pore-protocol[service]' ({exc})"
        ) from None
    try:
        day = dt.date.fromisoformat(args.assessment_date) if args.assessment_date else dt.date.today()
    except ValueError:
        raise UsageError(f"--assessment-date {args.assessment_date!r} is not a date (YYYY-MM-DD)") from None
    protocol = load_protocol(args.rules)
    data, source = read_input(args.bundle, "FHIR")
    try:
        record = strict_json_loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FactsError(f"{source} is not FHIR JSON: {exc}") from None
    spec = protocol._spec
    mapping = spec.fhir_mapping
    if mapping is None:  # pragma: no cover - validation always sets one
        raise FactsError("the rules folder has no FHIR mapping")
    extraction = FactReader(mapping, spec.facts).read(resources_of(record), day)
    facts = {"assessment_date": day.isoformat(), **extraction.facts}
    out.write(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
    for note in extraction.notes:
        sys.stderr.write(f"note: {note}\n")
    return 0
