"""Errors raised by pore-protocol, in two families that callers handle differently.

The tree::

    PoreProtocolError                 base of everything this package raises on purpose
    ├── RulesError                    the rules folder is wrong: a clinical lead must fix YAML (CLI exit 3)
    ├── FactsError                    the client's facts are wrong: the caller must fix its input (CLI exit 2)
    └── EngineError                   the matcher misbehaved; never the user's fault (CLI exit 4)

``RulesError`` and ``FactsError`` carry every problem found, not only the first, as a
tuple of :class:`Issue`, so that one run tells an author or an integrator everything
they need to correct.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["EngineError", "FactsError", "Issue", "PoreProtocolError", "RulesError", "suggest"]


@dataclass(frozen=True, order=True)
class Issue:
    """One problem, located as precisely as the input allows.

    :param file: the file the problem is in (relative to the rules folder), or ``None``.
    :param line: 1-based line number in ``file``, or ``None`` when unknown.
    :param rule_id: the rule (or fact, or technique) the problem belongs to, if any.
    :param path: where inside the document, e.g. ``when.all[1].fitzpatrick``.
    :param message: what is wrong, in a sentence.
    :param hint: how to fix it, including a did-you-mean suggestion when one exists.
    :param code: what kind of problem it is, for tools that react to kinds (``pore-protocol lint``
        maps validator issues to its findings by code, never by wording); the validator's codes
        are listed in :data:`engine._validate.ISSUE_CODES`. ``None`` where no tool needs one. Not
        part of :meth:`format`, equality or ordering: two issues saying the same thing at the
        same place are the same issue.
    """

    file: str | None
    line: int | None
    rule_id: str | None
    path: str
    message: str
    hint: str | None = field(default=None, compare=True)
    code: str | None = field(default=None, compare=False)

    def format(self) -> str:
        """Render as ``file:line: [rule] path: message (hint)`` for terminals and logs."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where + ":"]
        if self.rule_id:
            parts.append(f"[{self.rule_id}]")
        if self.path:
            parts.append(f"{self.path}:")
        parts.append(self.message)
        text = " ".join(parts)
        if self.hint:
            text += f" ({self.hint})"
        return text


def suggest(word: str, options: Iterable[str]) -> str | None:
    """A did-you-mean hint for ``word`` among ``options``, or ``None`` when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(options)), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


class PoreProtocolError(Exception):
    """Base class of every error pore-protocol raises deliberately."""


class _IssuesError(PoreProtocolError):
    """An error that carries a list of located issues."""

    def __init__(self, summary: str, issues: tuple[Issue, ...] | list[Issue] = ()) -> None:
        self.summary = summary
        self.issues: tuple[Issue, ...] = tuple(sorted(issues, key=_issue_key))
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if not self.issues:
            return self.summary
        lines = [f"{self.summary} ({len(self.issues)} problem{'s' if len(self.issues) != 1 else ''}):"]
        lines.extend("  " + issue.format() for issue in self.issues)
        return "\n".join(lines)


def _issue_key(issue: Issue) -> tuple[str, int, str, str]:
    return (issue.file or "", issue.line or 0, issue.rule_id or "", issue.message)


class RulesError(_IssuesError):
    """The rules folder cannot be loaded: the YAML, the vocabulary or a rule is wrong."""


class FactsError(_IssuesError):
    """The client's facts are invalid: wrong type, out of range, unknown field, bad date."""


class EngineError(PoreProtocolError):
    """The matcher failed in a way the input does not explain; report it as a bug."""
