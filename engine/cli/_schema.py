"""``pore-protocol schema``: JSON Schemas for editors, from the authoring wing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from engine import shipped_rules_path
from engine._validate import validate_folder
from engine.authoring import SCHEMAS, build_schemas, schema_text

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
    parser.add_argument("--output", metavar="PATH", default=None, help="write to this file (a folder with --all)")
    parser.set_defaults(handler=_run, which="rules")


def _run(args: argparse.Namespace, out: TextIO) -> int:
    spec = validate_folder(Path(args.dir) if args.dir is not None else shipped_rules_path())
    schemas = build_schemas(spec)
    if args.which == "all":
        if not args.output:
            raise SystemExit(_usage("--all needs --output DIR"))
        folder = Path(args.output)
        folder.mkdir(parents=True, exist_ok=True)
        for schema in SCHEMAS:
            (folder / f"{schema}.schema.json").write_text(schema_text(schemas[schema]), "utf-8")
        out.write(f"wrote {', '.join(f'{n}.schema.json' for n in SCHEMAS)} to {folder}\n")
        return 0
    text = schema_text(schemas[args.which])
    if args.output:
        Path(args.output).write_text(text, "utf-8")
    else:
        out.write(text)
    return 0


def _usage(message: str) -> int:
    sys.stderr.write(f"pore-protocol schema: error: {message}\n")
    return 64
