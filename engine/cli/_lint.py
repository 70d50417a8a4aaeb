"""``pore-protocol lint``: the authoring wing's static analysis, on the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from engine import Period, RulesError, shipped_rules_path
from engine.authoring import CODES, SEVERITY_RANK, lint_folder

__all__ = ["add_parser"]


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``lint`` to the command line's subparsers."""
    codes = "\n".join(f"  {code:<24} {sev:<8} {text}" for code, (sev, text) in CODES.items())
    parser = sub.add_parser(
        name,
        help=help_text,
        description="Static analysis of a rules folder. Exit status: 0 no errors, 1 warnings with --strict, "
        "3 errors, 64 usage.",
        epilog="finding codes:\n" + codes,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", nargs="?", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument(
        "--features", metavar="DIR", default=None, help="feature files to check coverage against (default ../features)"
    )
    parser.add_argument(
        "--today",
        type=_date,
        default=dt.date.today(),
        metavar="YYYY-MM-DD",
        help="the date to compare review dates with (default: today)",
    )
    parser.add_argument(
        "--review-every",
        type=_period,
        default=Period(12, "months"),
        metavar="PERIOD",
        help="how often the protocol must be reviewed (default '12 months')",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    parser.add_argument(
        "--min-severity",
        choices=("error", "warning", "info"),
        default="info",
        help="hide findings less severe than this (default: show all)",
    )
    parser.set_defaults(handler=_run)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _run(args: argparse.Namespace, out: TextIO) -> int:
    root = Path(args.dir) if args.dir is not None else shipped_rules_path()
    if not root.is_dir():
        raise RulesError(f"rules folder {str(root)!r} does not exist or is not a folder")
    report = lint_folder(root, today=args.today, features=args.features, review_every=args.review_every)
    shown = [f for f in report.findings if SEVERITY_RANK[f.severity] <= SEVERITY_RANK[args.min_severity]]
    if args.format == "json":
        payload = {
            "root": str(report.root),
            "summary": {
                "errors": report.count("error"),
                "warnings": report.count("warning"),
                "notes": report.count("info"),
                "rules_analysed": report.rules_checked,
            },
            "findings": [f.as_json() for f in shown],
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        for finding in shown:
            out.write(finding.format() + "\n")
        out.write(report.summary() + "\n")
    return report.exit_status(args.strict)
