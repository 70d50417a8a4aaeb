"""``pore-protocol schema``: JSON Schemas for editors, from the authoring wing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from engine import shipped_rules_path
from engine._validate import validate_folder
from engine.authoring import SCHEMAS, build_schemas, schema_text
from engine.cli._output import UsageError, check_output, write_folder, write_output

__all__ = ["add_parser"]


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``schema`` to the command line's subparsers."""
    parser = sub.add_parser(
        name,
        help=help_text,
        description="JSON Schemas generated from the engine's models and the vocabulary of a rules folder. "
        "Regenerate the committed ones with: pore-protocol schema --all --output schemas/",
    )
    parser.add_argument("dir", nargs="?", default=None, help="rules folder (default: the shipped rules)")
    which = parser.add_mutually_exclusive_group()
    for schema in SCHEMAS:
        which.add_argument(f"--{schema}", dest="which", action="store_const", const=schema, help=f"the {schema} schema")
    which.add_argument("--all", dest="which", action="store_const", const="all", help="every schema, into --output DIR")
    parser.add_argument(
        "--output",
        metavar="PATH",
        default=None,
        help="write to this file, replaced at the end (with --all: into this folder, which must exist or whose "
        "parent must)",
    )
    parser.set_defaults(handler=_run, which="rules")


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.which == "all":
        if not args.output or args.output == "-":
            raise UsageError("--all needs --output DIR (a folder: one file per schema)")
        if Path(args.output).exists() and not Path(args.output).is_dir():
            raise UsageError(f"--all writes one file per schema, so --output must be a folder; {args.output!r} is not")
    elif args.output is not None:
        check_output(args.output)  # a wrong --output is reported before any work is done
    spec = validate_folder(Path(args.dir) if args.dir is not None else shipped_rules_path())
    schemas = build_schemas(spec)
    if args.which == "all":
        files = {f"{schema}.schema.json": schema_text(schemas[schema]) for schema in SCHEMAS}
        folder = write_folder(args.output, files)
        out.write(f"wrote {', '.join(files)} to {folder}\n")
        return 0
    write_output(args.output, schema_text(schemas[args.which]), out)
    return 0
