"""The ``pore-protocol`` command line.

Exit status: 0 a plan or a clean check; 2 invalid client facts; 3 invalid rules;
4 an internal engine failure; 64 a usage error. Errors go to stderr as plain sentences,
never as tracebacks, and nothing is written to stdout unless the command succeeded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from engine._errors import EngineError, FactsError, PoreProtocolError, RulesError
from engine._explain import render_text
from engine._protocol import load_protocol, shipped_rules_path
from engine._version import __version__
from engine.authoring import _diff, _docs, _lint, _schema, _trace
from engine.cli._batch import add_parser as _add_batch_parser

__all__ = ["EXIT_ENGINE", "EXIT_FACTS", "EXIT_OK", "EXIT_RULES", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_FACTS = 2
EXIT_RULES = 3
EXIT_ENGINE = 4
EXIT_USAGE = 64


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 64 (EX_USAGE) instead of 2, which means invalid facts here."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


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


def _cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    protocol = load_protocol(args.rules)
    data, source = _read_input(args.file)
    plan = protocol.evaluate_document(data, source)
    text = plan.model_dump_json(indent=2) + "\n" if args.format == "json" else render_text(plan)
    out.write(text)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    protocol = load_protocol(args.dir)
    out.write(
        f"OK: {protocol.id} {protocol.version} ({protocol.status}) at {protocol.path}\n"
        f"  {len(protocol.rule_ids)} rules, {len(protocol.techniques)} techniques, {len(protocol.facts)} facts; "
        f"compiled into {protocol.matcher_rulesets} matcher rulesets\n"
        f"  sha256 {protocol.sha256}\n"
    )
    return EXIT_OK


Command = Callable[[argparse.Namespace, TextIO], int]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pore-protocol",
        description="Evaluate pore reduction protocol rules against a client's facts.",
    )
    parser.add_argument("--version", action="version", version=f"pore-protocol {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    evaluate = sub.add_parser("evaluate", help="evaluate one client's facts (YAML or JSON) and print the plan")
    evaluate.add_argument("file", help="facts file, or - to read standard input")
    evaluate.add_argument("--format", choices=("json", "text"), default="json", help="output format (default json)")
    evaluate.add_argument("--rules", metavar="DIR", default=None, help="rules folder (default: the shipped rules)")
    evaluate.set_defaults(handler=_cmd_evaluate)

    validate = sub.add_parser("validate", help="check a rules folder and print every problem")
    validate.add_argument("dir", nargs="?", default=None, help=f"rules folder (default {shipped_rules_path()})")
    validate.set_defaults(handler=_cmd_validate)
    for tool in (_lint, _schema, _docs, _trace, _diff):  # tools for rule authors and reviewers
        tool.register(sub)

    _add_batch_parser(sub)  # evaluate-batch: JSON Lines or CSV in, one plan or error per line out
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status instead of raising."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Command = args.handler
    try:
        return handler(args, sys.stdout)
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
        return 130
    except BrokenPipeError:  # e.g. piped into `head`; the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
