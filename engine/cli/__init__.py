"""The ``pore-protocol`` command line.

Exit status: 0 a plan or a clean check; 1 a proposal ``check`` does not find acceptable;
2 invalid client facts (or proposal); 3 invalid rules; 4 an internal engine failure; 64 a
usage error; 69 a Dask cluster that cannot be reached or went away (EX_UNAVAILABLE, as in
sysexits); 74 an output that cannot be written (EX_IOERR); 130 interrupted (SIGINT); 143
terminated (SIGTERM). Errors go to stderr as plain sentences, never as tracebacks, and
nothing is written to stdout unless the command
succeeded. SIGTERM is turned into an exception while a command runs, so that, as on an
interrupt, temporary files are removed and batch workers ended before the process exits.

Each subcommand lives in a module of this package that is imported only when that
subcommand runs: ``pore-protocol evaluate`` never imports the authoring tools or the batch
machinery, so it starts as fast as the core allows.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import NoReturn, TextIO

from engine._errors import EngineError, FactsError, PoreProtocolError, RulesError
from engine._version import __version__
from engine.cli._output import OutputError, UnavailableError, UsageError, guard_stream

__all__ = [
    "EXIT_ENGINE",
    "EXIT_FACTS",
    "EXIT_INTERRUPTED",
    "EXIT_IO",
    "EXIT_OK",
    "EXIT_RULES",
    "EXIT_TERMINATED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "Terminated",
    "build_parser",
    "main",
]

EXIT_OK = 0
EXIT_FACTS = 2
EXIT_RULES = 3
EXIT_ENGINE = 4
EXIT_USAGE = 64
EXIT_UNAVAILABLE = 69
"""EX_UNAVAILABLE: a Dask cluster that cannot be reached, or went away during the run."""
EXIT_IO = 74
"""EX_IOERR: an output could not be written."""
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM

COMMANDS: dict[str, tuple[str, str, str]] = {
    "evaluate": ("_evaluate", "add_evaluate_parser", "evaluate one client's facts (YAML or JSON) and print the plan"),
    "check": (
        "_check",
        "add_parser",
        "check a proposed plan (a technique and its session dates) against a client's facts; exit 0 only if acceptable",
    ),
    "validate": ("_evaluate", "add_validate_parser", "check a rules folder and print every problem"),
    "evaluate-batch": (
        "_batch",
        "add_parser",
        "evaluate many clients (JSON Lines or CSV) and write one JSON plan or error per line",
    ),
    "lint": ("_lint", "add_parser", "find contradictions, redundancy, gaps and other mistakes in a rules folder"),
    "schema": ("_schema", "add_parser", "print the JSON Schema of the rule files or of client facts (for editors)"),
    "docs": (
        "_docs",
        "add_docs_parser",
        "write the rulebook for reviewers: every rule in plain English with its evidence and scenarios",
    ),
    "trace": ("_docs", "add_trace_parser", "print the traceability matrix: rule -> scenarios -> pass/fail"),
    "diff": ("_diff", "add_parser", "show how a rule change affects the plans of a set of clients"),
    "serve": ("_serve", "add_parser", "serve plans, FHIR R4 resources and CDS Hooks cards over HTTP (service extra)"),
    "fhir": ("_fhir", "add_parser", "FHIR tools: 'fhir facts BUNDLE.json' prints the facts the FHIR mapping extracts"),
}
"""Each subcommand: the module of this package that implements it, the function adding its parser, its help."""


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 64 (EX_USAGE) instead of 2, which means invalid facts here."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


Command = Callable[[argparse.Namespace, TextIO], int]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; only the subcommand named in ``argv`` (if any) is imported and built in full."""
    words = list(sys.argv[1:] if argv is None else argv)
    chosen = next((word for word in words if not word.startswith("-")), None)
    parser = _Parser(
        prog="pore-protocol",
        description="Evaluate pore reduction protocol rules against a client's facts.",
    )
    parser.add_argument("--version", action="version", version=f"pore-protocol {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parser.set_defaults(subcommands=sub.choices)
    for name, (module, adder, help_text) in COMMANDS.items():
        if name == chosen:
            add = getattr(importlib.import_module(f"engine.cli.{module}"), adder)
            add(sub, name, help_text)
        else:
            sub.add_parser(name, help=help_text, add_help=False)  # listed in --help; built when chosen
    return parser


class Terminated(BaseException):
    """SIGTERM arrived while a command ran (a ``BaseException``, like ``KeyboardInterrupt``, so nothing swallows it)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the command runs (only possible in the main thread)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals to whoever owns them
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _usage(args: argparse.Namespace, message: str) -> int:
    """Report a usage error found while running, as argparse reports one found while parsing."""
    subcommand = args.subcommands.get(args.command)
    if subcommand is not None:
        subcommand.print_usage(sys.stderr)
    sys.stderr.write(f"pore-protocol {args.command}: error: {message}\n")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of raising.

    ``argv`` ``None`` (the process's own command line) means the command is the program: what
    it loads is then kept out of the cyclic collector's reach until the process ends. A
    program that runs commands itself passes ``argv`` and gets its collector back as it was.
    """
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    # Everything imported so far (the engine, the subcommand's modules) lives as long as the
    # process: out of the cyclic collector's reach, its passes (the one at exit included) no
    # longer re-scan it. About 4% of a cold `pore-protocol evaluate`; for long runs (a batch,
    # the service), every full pass. When main() is called with argv, by a program that runs
    # commands in its own process, everything is given back afterwards (unless that program
    # froze objects of its own), so that its garbage of the moment is not kept for good.
    embedded = argv is not None and not gc.get_freeze_count()
    gc.freeze()
    try:
        return _run(args)
    finally:
        if embedded:
            gc.unfreeze()


def _run(args: argparse.Namespace) -> int:
    handler: Command = args.handler
    out = guard_stream(sys.stdout)
    try:
        with _sigterm_raises():
            status = handler(args, out)
            out.flush()
            return status
    except UsageError as exc:
        return _usage(args, str(exc))
    except UnavailableError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_UNAVAILABLE
    except OutputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        _discard_stdout()
        return EXIT_IO
    except RulesError as exc:
        sys.stderr.write(f"error: invalid rules\n{exc}\n")
        return EXIT_RULES
    except FactsError as exc:
        sys.stderr.write(f"error: invalid facts\n{exc}\n")
        return EXIT_FACTS
    except EngineError as exc:
        sys.stderr.write(f"error: engine failure (please report this): {exc}\n")
        return EXIT_ENGINE
    except PoreProtocolError as exc:  # pragma: no cover - every subclass is handled above
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_ENGINE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except Terminated:
        sys.stderr.write("terminated\n")
        return EXIT_TERMINATED
    except BrokenPipeError:  # e.g. piped into `head`; the reader left, nothing to report
        _discard_stdout()
        return EXIT_OK


def _discard_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
