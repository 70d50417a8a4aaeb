"""``pore-protocol diff``: which clients' plans a rule change affects, and how.

``--clients`` takes what ``evaluate-batch`` takes (a JSON Lines, CSV or Parquet file, a folder
or a glob of them) and, as before, a YAML or JSON list; ``--dask`` compares the clients on a
Dask cluster, with the same report.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

from engine import load_protocol
from engine.authoring import diff_protocols, open_clients, render_diff_json, render_diff_text
from engine.batch import open_input
from engine.cli._batch import Progress, add_dask_option, connect_dask, skipped_note

__all__ = ["add_parser"]


def add_parser(sub: Any, name: str, help_text: str) -> None:
    """Add ``diff`` to the command line's subparsers."""
    parser = sub.add_parser(
        name,
        help=help_text,
        description="Evaluate every client under the OLD and the NEW rules folder and list what changes. "
        "Exit status: 0 (whatever changed), 2 unreadable clients, 3 invalid rules, 64 usage, "
        "69 the Dask cluster cannot be reached.",
    )
    parser.add_argument("old", help="rules folder before the change")
    parser.add_argument("new", help="rules folder after the change")
    parser.add_argument(
        "--clients",
        metavar="FILE",
        required=True,
        help="clients: JSON Lines, CSV or Parquet, a folder or a glob (quoted) of them, or a YAML or JSON list",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="default text")
    add_dask_option(parser)
    parser.add_argument("--no-progress", action="store_true", help="do not draw the progress bar on stderr")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, out: TextIO) -> int:
    old = load_protocol(args.old)
    progress = Progress(sys.stderr, None, enabled=not args.no_progress and sys.stderr.isatty())
    try:
        new = load_protocol(args.new)
        try:
            clients = open_clients(args.clients, {**new.facts, **old.facts})
            if Path(args.clients).is_dir():
                skipped_note(open_input(args.clients).skipped)
            with contextlib.ExitStack() as stack:
                cluster = stack.enter_context(connect_dask(args.dask))
                report = diff_protocols(old, new, clients, dask=cluster, progress=progress)
        finally:
            new.close()
    finally:
        progress.close()
        old.close()
    out.write(render_diff_json(report) if args.format == "json" else render_diff_text(report))
    return 0
