"""``pore-protocol docs`` and ``pore-protocol trace``: the rulebook and the traceability matrix."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from engine import RulesError, shipped_rules_path
from engine._validate import validate_folder
from engine.authoring import (
    FeatureError,
    ResultsError,
    build_matrix,
    build_rulebook,
    index_features,
    load_results,
    render_matrix_json,
    render_matrix_markdown,
    render_rulebook_html,
    render_rulebook_markdown,
)
from engine.cli._output import UsageError, check_output, write_output

__all__ = ["add_docs_parser", "add_trace_parser"]


def add_docs_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``docs`` to the command line's subparsers."""
    parser = sub.add_parser(
        name,
        help=help_text,
        description="The rulebook in Markdown or as one offline HTML page. With --results (written by "
        "'python -m pytest --trace-results FILE'), each scenario shows the outcome of its last run.",
    )
    parser.add_argument("dir", nargs="?", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument("--format", choices=("markdown", "html"), default="markdown", help="default markdown")
    parser.add_argument(
        "--output", metavar="FILE", default=None, help="write to FILE (replaced at the end) instead of standard output"
    )
    parser.add_argument("--results", metavar="FILE", default=None, help="results file from --trace-results")
    parser.add_argument("--features", metavar="DIR", default=None, help="feature files (default ../features)")
    parser.set_defaults(handler=_docs)


def add_trace_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``trace`` to the command line's subparsers."""
    parser = sub.add_parser(
        name,
        help=help_text,
        description="Join the rules, the scenarios of the feature files (gherkin pickles) and, optionally, the "
        "results written by 'python -m pytest --trace-results FILE'. Exit status: 0 every rule traced and no "
        "scenario failed, 1 problems or failures, 3 invalid rules or unreadable features/results, 64 usage "
        "(including a --results file that does not exist).",
    )
    parser.add_argument("dir", nargs="?", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument("--features", metavar="DIR", default=None, help="feature files (default ../features)")
    parser.add_argument("--results", metavar="FILE", default=None, help="results file from --trace-results")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="default markdown")
    parser.set_defaults(handler=_trace)


def _check_results(name: str | None) -> None:
    """A ``--results`` file that is missing is a usage error (exit 64), with the command that writes one."""
    if name is not None and not Path(name).is_file():
        raise UsageError(
            f"--results {name!r} does not exist or is not a file; write it first with: "
            f"python -m pytest --trace-results {name}"
        )


def _docs(args: argparse.Namespace, out: TextIO) -> int:
    if args.output is not None:
        check_output(args.output)  # a wrong --output is reported before any work is done
    root = Path(args.dir) if args.dir is not None else shipped_rules_path()
    _check_results(args.results)
    spec = validate_folder(root)
    try:
        results = load_results(args.results) if args.results else None
    except ResultsError as exc:  # a file that is there but is not a results file: as documented, exit 3
        raise RulesError(str(exc)) from None
    features = Path(args.features) if args.features else root.resolve().parent / "features"
    try:
        index = index_features(features) if features.is_dir() or args.features else None
    except FeatureError as exc:
        raise RulesError(str(exc)) from None
    book = build_rulebook(spec, index, results, source=root.name)
    text = render_rulebook_html(book) if args.format == "html" else render_rulebook_markdown(book)
    write_output(args.output, text, out)
    return 0


def _trace(args: argparse.Namespace, out: TextIO) -> int:
    root = Path(args.dir) if args.dir is not None else shipped_rules_path()
    features = Path(args.features) if args.features else root.resolve().parent / "features"
    _check_results(args.results)
    spec = validate_folder(root)
    try:
        results = load_results(args.results) if args.results else None
    except ResultsError as exc:  # a file that is there but is not a results file: as documented, exit 3
        raise RulesError(str(exc)) from None
    try:
        index = index_features(features)
    except FeatureError as exc:
        raise RulesError(str(exc)) from None
    matrix = build_matrix(spec, index, results)
    out.write(render_matrix_json(matrix) if args.format == "json" else render_matrix_markdown(matrix))
    return 1 if matrix.problems or matrix.by_status("failed") else 0
