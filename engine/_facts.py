"""Check one client's facts against the intake vocabulary before anything is evaluated.

An absent key (or ``null``) means *unknown*; everything present must have the declared
type and range. Nothing is coerced: ``"yes"`` is not ``true`` and ``"5"`` is not ``5``,
because a silently reinterpreted answer is worse than a rejected one. Every problem is
reported at once, with a did-you-mean for misspelt names.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine._errors import FactsError, Issue, suggest
from engine._load import MAX_DOCUMENT_BYTES, LoadedDocument, YamlProblem, decode_utf8, load_yaml_text
from engine._model import FactSpec
from engine._spec import ASSESSMENT_DATE, PREVIOUS_TREATMENTS, ProtocolSpec

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "NEVER",
    "ONGOING",
    "ClientFacts",
    "Treatment",
    "as_date",
    "check_facts",
    "out_of_range",
    "parse_facts_text",
    "read_history",
    "strict_json_loads",
]

NEVER = "never"
ONGOING = "ongoing"
"""A last dose that has not happened yet: the medicine is still taken."""
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_HISTORY = 500
FIRST_YEAR, LAST_YEAR = 1900, 2999
"""Dates a clinic could mean. Outside them every date the plan computes (cut-offs decades back,
sessions, aftercare and maintenance years ahead) still fits the calendar, so none can overflow."""
MAX_ISSUES = 50
"""Problems listed in one FactsError; the rest are counted (thousands of unknown keys must not take minutes)."""
Hint = str | Callable[[], str | None] | None


@dataclass(frozen=True, order=True)
class Treatment:
    """One previous treatment, as :attr:`ClientFacts.values` holds it: which technique, on which day,
    and, when recorded, how the skin reacted and whether the result was adequate (``None``: not recorded)."""

    date: dt.date
    technique: str
    reaction: str | None = None
    response: str | None = None


@dataclass(frozen=True)
class ClientFacts:
    """One client's facts, checked against the vocabulary and normalised (public: ``engine.ClientFacts``).

    ``values`` holds only the facts the client supplied (an absent fact is unknown), as
    Python values: ``bool`` and ``int``; ``str`` for a choice; a ``frozenset`` of ``str`` for a
    set; a ``datetime.date`` or the string ``"never"`` for a date; a tuple of
    :class:`Treatment` for the previous treatments.
    """

    values: Mapping[str, Any]

    @property
    def assessment_date(self) -> dt.date:
        """The day the plan is for: every "within" is measured back from it."""
        value = self.values[ASSESSMENT_DATE]
        assert isinstance(value, dt.date)  # check_facts requires it and parses it as a date
        return value

    def known(self, name: str) -> bool:
        """Whether the client answered ``name`` (an unanswered fact is unknown, never "no")."""
        return name in self.values

    def as_json(self) -> dict[str, Any]:
        """The facts in the same JSON shape the caller sent, sorted for stable output."""
        out: dict[str, Any] = {}
        values = self.values
        for name in sorted(values):
            value = values[name]
            kind = type(value)
            if kind is bool or kind is int or kind is str:  # most answers, told apart without isinstance
                out[name] = value
            elif isinstance(value, dt.date):
                out[name] = value.isoformat()
            elif isinstance(value, frozenset):
                out[name] = sorted(value)
            elif isinstance(value, tuple):
                out[name] = [_treatment_json(t) for t in value]
            else:
                out[name] = value
        return out


def _treatment_json(treatment: Treatment) -> dict[str, str]:
    out = {"technique": treatment.technique, "date": treatment.date.isoformat()}
    if treatment.reaction is not None:
        out["reaction"] = treatment.reaction
    if treatment.response is not None:
        out["response"] = treatment.response
    return out


def parse_facts_text(
    text: bytes | str,
    source: str,
    what: str = "facts",
    example: str = "a mapping of facts such as 'assessment_date: 2026-01-15'",
) -> tuple[Any, LoadedDocument | None]:
    """Parse YAML or JSON client facts; raise :class:`FactsError` if the text is not readable.

    ``what`` and ``example`` name the document in messages, for other documents read the
    same way (a practitioner's proposal).

    A ``.json`` source is JSON and a ``.yaml`` or ``.yml`` source YAML. Anything else (standard
    input, say) is read as JSON when it starts with ``{``, and as YAML otherwise or when it is
    not JSON but is valid YAML (a YAML flow mapping ``{a: 1}`` also starts with ``{``).
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        raise FactsError(f"{source} is larger than {MAX_DOCUMENT_BYTES:,} bytes; {what} are a few hundred")
    if isinstance(text, bytes):
        try:
            text = decode_utf8(text)
        except YamlProblem as problem:
            issue = Issue(source, problem.line, None, "", problem.message, problem.hint)
            raise FactsError(f"{source} cannot be read", [issue]) from None
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write; it is not part of the facts
    if not text.strip():
        raise FactsError(f"{source} is empty; expected {example}")
    suffix = source.rsplit(".", 1)[-1].lower() if "." in source else ""
    if suffix == "json" or (suffix not in ("yaml", "yml") and text.lstrip().startswith("{")):
        try:
            return _json_facts(text, source, what), None
        except FactsError as not_json:
            if suffix == "json":
                raise
            try:
                doc = load_yaml_text(text, source)
            except YamlProblem:
                raise not_json from None
            if not isinstance(doc.data, dict):
                raise not_json from None
            return doc.data, doc
    try:
        doc = load_yaml_text(text, source)
    except YamlProblem as problem:
        raise FactsError(
            f"the {what} are not valid YAML",
            [Issue(source, problem.line, None, "", problem.message, problem.hint)],
        ) from None
    if doc.data is None:
        raise FactsError(f"{source} holds no {what} (only comments or an empty document)")
    return doc.data, doc


def _json_facts(text: str, source: str, what: str) -> Any:
    try:
        return strict_json_loads(text)
    except json.JSONDecodeError as exc:
        raise FactsError(
            f"the {what} are not valid JSON",
            [Issue(source, exc.lineno, None, "", f"{exc.msg} (line {exc.lineno}, column {exc.colno})", None)],
        ) from None
    except ValueError as exc:
        message = str(exc).split("; use sys.", 1)[0]  # Python's hint on huge integers is not the caller's
        raise FactsError(f"the {what} are not valid JSON", [Issue(source, None, None, "", message, None)]) from None
    except RecursionError:
        raise FactsError(f"the {what} are nested too deeply") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice; the first value would be lost")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def strict_json_loads(text: str) -> Any:
    """``json.loads`` that refuses duplicate keys (the first value would be lost) and NaN/Infinity."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def check_facts(
    spec: ProtocolSpec, data: Any, source: str | None = None, doc: LoadedDocument | None = None
) -> ClientFacts:
    """Validate ``data`` against the vocabulary of ``spec``; raise :class:`FactsError` listing every problem."""
    issues: list[Issue] = []
    hidden = 0

    def add(name: str, message: str, hint: Hint = None, path: tuple[Any, ...] = ()) -> None:
        nonlocal hidden
        if len(issues) >= MAX_ISSUES:
            hidden += 1  # a flood of problems is not more actionable, and each costs a did-you-mean search
            return
        line = doc.line_of((name, *path)) if doc else None
        shown = _printable(name) + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        issues.append(Issue(source, line, None, shown, message, hint() if callable(hint) else hint))

    if not isinstance(data, Mapping):
        raise FactsError(
            "client facts must be a mapping of fact names to answers",
            [Issue(source, None, None, "", f"got {type(data).__name__}", "e.g. {assessment_date: 2026-01-15}")],
        )
    values: dict[str, Any] = {}
    askable: list[str] | None = None
    for name, raw in data.items():
        if not isinstance(name, str):
            add(_show(name), "fact names must be text")
            continue
        fact = spec.facts.get(name)
        if fact is None:
            replacement = spec.replaced.get(name)
            if replacement is not None:
                add(
                    name,
                    f"was replaced in protocol {replacement.since} by {', '.join(replacement.by)}",
                    replacement.note or None,
                )
            else:
                if askable is None:  # worked out only when a name is wrong
                    askable = [n for n, f in spec.facts.items() if not f.derived]
                add(name, "unknown fact", _hint(name, askable, "see the intake vocabulary"))
            continue
        if fact.derived:
            add(name, "is worked out by the protocol and cannot be supplied", "remove it from the facts")
            continue
        if raw is None:
            continue
        checked = _check_value(name, fact, raw, spec, add)
        if checked is not _BAD:
            values[name] = checked
    anchor = values.get(ASSESSMENT_DATE)
    if ASSESSMENT_DATE not in data or data.get(ASSESSMENT_DATE) is None:
        add(ASSESSMENT_DATE, "is required", "the date of the consultation, e.g. 2026-01-15")
    if isinstance(anchor, dt.date):
        for name, value in values.items():
            fact = spec.facts[name]
            if fact.planning_only:
                if isinstance(value, dt.date) and value < anchor:
                    add(
                        name,
                        f"{value} is before the assessment date {anchor}",
                        "a course cannot start in the past",
                    )
            elif isinstance(value, dt.date) and value > anchor and name != ASSESSMENT_DATE:
                add(name, f"{value} is after the assessment date {anchor}", "answers describe the past")
            elif name == PREVIOUS_TREATMENTS:
                for i, treatment in enumerate(value):
                    if treatment.date > anchor:
                        add(name, f"{treatment.date} is after the assessment date {anchor}", path=(i, "date"))
    if issues:
        if hidden:
            more = f"and {hidden} more problem{'s' if hidden != 1 else ''} not listed"
            issues.append(Issue(source, None, None, "", more, f"only the first {MAX_ISSUES} are shown"))
        raise FactsError("the client's facts are invalid", issues)
    return ClientFacts(values)


_BAD = object()


def _check_value(name: str, fact: FactSpec, raw: Any, spec: ProtocolSpec, add: Any) -> Any:
    kind = fact.type
    if kind == "boolean":
        if not isinstance(raw, bool):
            add(name, f"must be true or false, not {_show(raw)}")
            return _BAD
        return raw
    if kind == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            add(name, f"must be a whole number, not {_show(raw)}")
            return _BAD
        if not fact.minimum <= raw <= fact.maximum:  # type: ignore[operator]
            add(name, f"{_show(raw)} is outside {fact.minimum}-{fact.maximum}")
            return _BAD
        return raw
    if kind == "enum":
        if not isinstance(raw, str) or raw not in fact.values:
            add(name, f"{_show(raw)} is not one of {', '.join(fact.values)}", _hint(raw, fact.values))
            return _BAD
        return raw
    if kind == "set":
        if not isinstance(raw, list):
            add(name, f"must be a list of {', '.join(fact.values)} (possibly empty), not {_show(raw)}")
            return _BAD
        good = True
        for i, item in enumerate(raw):
            if not isinstance(item, str) or item not in fact.values:
                add(
                    name,
                    f"{_show(item)} is not one of {', '.join(fact.values)}",
                    _hint(item, fact.values),
                    path=(i,),
                )
                good = False
        if good and len(set(raw)) != len(raw):
            add(name, "lists a value twice")
            good = False
        return frozenset(raw) if good else _BAD
    if kind == "date":
        if fact.allow_never and raw == NEVER:
            return NEVER
        if fact.allow_ongoing and raw == ONGOING:
            return ONGOING
        day = as_date(raw)
        if day is None:
            extra = "".join(
                f' or "{word}"'
                for word, allowed in ((NEVER, fact.allow_never), (ONGOING, fact.allow_ongoing))
                if allowed
            )
            add(name, f"must be a date written YYYY-MM-DD{extra}, not {_show(raw)}")
            return _BAD
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            add(name, out_of_range(day), "check the year")
            return _BAD
        return day
    # treatment history
    if not isinstance(raw, list):
        add(name, f"must be a list of {{technique, date}} entries, not {_show(raw)}")
        return _BAD
    if len(raw) > MAX_HISTORY:
        add(name, f"lists {len(raw)} treatments; at most {MAX_HISTORY} are accepted")
        return _BAD
    out: list[Treatment] = []
    good = True
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping) or not {"technique", "date"} <= set(item) <= _TREATMENT_KEYS:
            add(name, "each entry needs 'technique' and 'date' (and may give 'reaction' and 'response')", path=(i,))
            good = False
            continue
        details: dict[str, str | None] = {}
        for key, allowed in (("reaction", fact.reactions), ("response", fact.responses)):
            given = item.get(key)
            if given is None:
                details[key] = None
            elif isinstance(given, str) and given in allowed:
                details[key] = given
            else:
                shown = ", ".join(allowed) or "none are declared"
                add(name, f"{_show(given)} is not a {key} ({shown})", _hint(given, allowed), path=(i, key))
                good = False
        technique, day = item["technique"], as_date(item["date"])
        if not isinstance(technique, str) or technique not in spec.techniques:
            add(
                name,
                f"unknown technique {_show(technique)}",
                _hint(technique, spec.techniques),
                path=(i, "technique"),
            )
            good = False
        if day is None:
            add(name, f"must be a date written YYYY-MM-DD, not {_show(item['date'])}", path=(i, "date"))
            good = False
        elif not FIRST_YEAR <= day.year <= LAST_YEAR:
            add(name, out_of_range(day), "check the year", path=(i, "date"))
            good = False
        if good and day is not None:
            treatment = Treatment(day, technique, details["reaction"], details["response"])
            if treatment in out:
                add(name, f"lists {technique} on {day} twice", "list each treatment once", path=(i,))
                good = False
            out.append(treatment)
    return tuple(sorted(out, key=_treatment_order)) if good else _BAD


_TREATMENT_KEYS = frozenset({"technique", "date", "reaction", "response"})


def read_history(spec: ProtocolSpec, name: str, fact: FactSpec, raw: Any) -> tuple[Treatment, ...] | None:
    """A treatment history read exactly as :func:`check_facts` reads it, or ``None`` if it has any problem.

    For the generated readers (:mod:`engine._reader`), which leave the naming of problems to
    :func:`check_facts`.
    """
    problems: list[object] = []
    value = _check_value(name, fact, raw, spec, lambda *args, **kwargs: problems.append(args))
    return None if problems or value is _BAD else value


def _treatment_order(treatment: Treatment) -> tuple[dt.date, str, str, str]:
    return (treatment.date, treatment.technique, treatment.reaction or "", treatment.response or "")


def out_of_range(day: dt.date) -> str:
    return f"{day.isoformat()} is not a date a clinic could mean (years {FIRST_YEAR}-{LAST_YEAR} are accepted)"


def as_date(raw: Any) -> dt.date | None:
    """A date written as a YAML date or ISO text (``YYYY-MM-DD``), or ``None``; never a timestamp."""
    if isinstance(raw, dt.datetime):
        return None
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str) and _ISO_DATE.match(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _hint(word: Any, options: Iterable[str], fallback: str | None = None) -> Callable[[], str | None]:
    """A did-you-mean, computed only if the problem is listed (see ``MAX_ISSUES``)."""
    return functools.partial(_suggestion, word, options, fallback)


def _suggestion(word: Any, options: Iterable[str], fallback: str | None) -> str | None:
    return (suggest(word, options) if isinstance(word, str) else None) or fallback


def _printable(name: str) -> str:
    """A fact name as the caller can print it: control characters and lone surrogates escaped, length capped."""
    if name.isprintable() and len(name) <= 80:
        try:
            name.encode("utf-8")
            return name
        except UnicodeEncodeError:
            pass
    return _show(name)


def _show(value: Any) -> str:
    """A bad answer quoted in a message: its repr, capped; never an error of its own.

    A whole number of thousands of digits has no repr (Python refuses to print it) and a list
    nested a hundred thousand deep overflows the stack: both are described instead.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a whole number of about {int(value.bit_length() * 0.30103) + 1:,} digits"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__} too large or deep to show"
    return text if len(text) <= 60 else text[:57] + "..."
