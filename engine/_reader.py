"""Check, flatten and encode a client's facts in one function generated for each protocol.

The generic path to the matcher takes three loops over the vocabulary per client:
:func:`engine._facts.check_facts` looks each answer's description up and checks it,
:class:`engine._evaluate.Flattener` turns it into the matcher's fields, and
:meth:`engine._adapter.Matcher.encode` writes each field as JSON. Measured on the shipped
protocol and the benchmark population, that was about 40% of ``Protocol.outcomes``, spent
on looking up what is the same for every client. :func:`compile_reader` writes, once per
protocol, one Python function with a few lines per fact (its type, range, values, matcher
fields and their encoded constants written in) that does all three in one pass.

The function only ever *accepts*. Whatever it is not sure of (not a plain ``dict``, a
name outside the vocabulary, a derived fact, a wrong type, a value out of range, a date
after the assessment, a treatment history it cannot read) makes it return ``None``, and
the caller takes the generic path, which raises :class:`~engine._errors.FactsError` with
every issue in its order and wording, or evaluates what the fast path declined. So the
errors are those of ``check_facts`` by construction; for what it accepts, the values and
the encoded fields are the generic path's (``tests/unit/test_reader.py`` compares both
paths on generated and hand-made clients). No condition is decided here: the matcher
still receives the same message for every ruleset and decides every rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from engine._adapter import Matcher
from engine._facts import FIRST_YEAR, LAST_YEAR, NEVER, ONGOING, Treatment, as_date, read_history
from engine._model import FactSpec
from engine._names import NEVER_DATE, NO_TREATMENT, cut_field, history_detail_field, history_field, set_member_field
from engine._spec import ASSESSMENT_DATE, PREVIOUS_TREATMENTS, ProtocolSpec

__all__ = ["Reader", "compile_reader"]

Reader = Callable[[Any], tuple[dict[str, Any], dict[str, str]] | None]
"""A generated reader: raw facts -> (checked values in the caller's order, encoded fragments), or ``None``."""

_MAX_CACHED_DAYS = 20_000
"""Dates remembered as text -> (date, ISO text); cleared when full (a clinic's dates repeat)."""
_MAX_CACHED_ANCHORS = 4096
"""Assessment dates whose cut-off fragments are remembered, as the Flattener bounds its own."""


class _Writer:
    """Lines of the generated function, and the constants it refers to by name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}

    def const(self, value: Any, hint: str) -> str:
        """A name in the generated code's namespace bound to ``value``."""
        name = f"_{hint}{len(self.names)}"
        self.names[name] = value
        return name

    def add(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def compile_reader(spec: ProtocolSpec, matcher: Matcher) -> Reader:
    """The reader of ``spec``'s facts, encoding them for ``matcher`` (see the module docstring)."""
    w = _Writer()
    days: dict[Any, tuple[dt.date, str]] = {}
    w.names.update(
        _NEVER=NEVER,
        _ONGOING=ONGOING,
        _DAYS=days,
        _day=_day_reader(days),
        _frozenset=frozenset,
        _int=int,
        _repr=int.__repr__,
        _str=str,
        _list=list,
        _dict=dict,
        _type=type,
    )
    w.names["_KNOWN"] = frozenset(name for name, fact in spec.facts.items() if not fact.derived)
    w.add(0, "def read(data):")
    w.add(1, "if _type(data) is not _dict or not data.keys() <= _KNOWN:")
    w.add(2, "return None")  # a name outside the vocabulary, a derived fact, a key that is not text
    w.add(1, "get = data.get")
    w.add(1, "values = _dict(data)")  # the caller's order, as check_facts keeps it; answers read as dates
    w.add(1, "frags = {}")  # (sets, histories) are replaced in place below, unknown ones dropped at the end
    anchor = spec.facts.get(ASSESSMENT_DATE)
    if anchor is None or anchor.type != "date":
        w.add(1, "return None")  # not a vocabulary this reader knows: the generic path decides
    else:
        _assessment(w, matcher, anchor)
        for name, fact in spec.facts.items():
            if name == ASSESSMENT_DATE or fact.derived:
                continue
            w.add(1, f"raw = get({name!r})")
            w.add(1, "if raw is not None:")
            _FACT_WRITERS[fact.type](w, matcher, spec, name, fact)
        _cuts(w, matcher, spec)
        w.add(1, "if None in values.values():")  # every other value is a checked bool, int, text or one read above
        w.add(2, "values = {k: v for k, v in values.items() if v is not None}")
        w.add(1, "return values, frags")
    namespace = dict(w.names)
    exec(compile("\n".join(w.lines) + "\n", f"<facts reader of {spec.manifest.id}>", "exec"), namespace)
    read: Reader = namespace["read"]
    return read


def _day_reader(cache: dict[Any, tuple[dt.date, str]]) -> Callable[[Any], tuple[dt.date, str] | None]:
    """Text or a date -> (date, ISO text) as ``check_facts`` reads it, or ``None`` when it would refuse it."""

    def day(raw: Any) -> tuple[dt.date, str] | None:
        found = as_date(raw)
        if found is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
            return None
        out = (found, found.isoformat())
        if type(raw) is str:
            if len(cache) >= _MAX_CACHED_DAYS:
                cache.clear()
            cache[raw] = out
        return out

    return day


def _parse_day(w: _Writer, indent: int, raw: str = "raw") -> None:
    """Lines setting ``day, iso`` from ``raw``, or returning ``None`` when it is not an accepted date."""
    w.add(indent, f"found = _DAYS.get({raw}) if _type({raw}) is _str else None")
    w.add(indent, "if found is None:")
    w.add(indent + 1, f"found = _day({raw})")
    w.add(indent + 1, "if found is None:")
    w.add(indent + 2, "return None")
    w.add(indent, "day, iso = found")


def _assessment(w: _Writer, matcher: Matcher, fact: FactSpec) -> None:
    """The assessment date first: every other date is checked against it."""
    w.add(1, f"raw = get({ASSESSMENT_DATE!r})")
    w.add(1, "if raw is None:")
    w.add(2, "return None")
    _parse_day(w, 1)
    w.add(1, "anchor, anchor_iso = day, iso")
    w.add(1, f"values[{ASSESSMENT_DATE!r}] = day")
    if not fact.planning_only and matcher.short(ASSESSMENT_DATE):
        head = w.const(matcher.head(ASSESSMENT_DATE), "head")
        w.add(1, f"frags[{matcher.short(ASSESSMENT_DATE)!r}] = {head} + '\"' + iso + '\"'")


def _boolean(w: _Writer, matcher: Matcher, spec: ProtocolSpec, name: str, fact: FactSpec) -> None:
    """A boolean answer stays as given; anything but ``True`` or ``False`` is refused."""
    short = None if fact.planning_only else matcher.short(name)
    if not short:
        w.add(2, "if raw is not True and raw is not False:")
        w.add(3, "return None")
        return
    w.add(2, "if raw is True:")
    w.add(3, f"frags[{short!r}] = {w.const(matcher.fragment(name, True), 'frag')}")
    w.add(2, "elif raw is False:")
    w.add(3, f"frags[{short!r}] = {w.const(matcher.fragment(name, False), 'frag')}")
    w.add(2, "else:")
    w.add(3, "return None")


def _integer(w: _Writer, matcher: Matcher, spec: ProtocolSpec, name: str, fact: FactSpec) -> None:
    """A whole number (not a boolean) within the vocabulary's range stays as given."""
    low, high = fact.minimum, fact.maximum
    assert low is not None and high is not None  # FactSpec requires both for an integer
    w.add(2, f"if _type(raw) is not _int or not {low!r} <= raw <= {high!r}:")
    w.add(3, "return None")
    if not matcher.exact(low, high):
        w.add(2, "return None")  # some values would not reach the matcher exactly: the generic path refuses them
        return
    short = None if fact.planning_only else matcher.short(name)
    if short:
        w.add(2, f"frags[{short!r}] = {w.const(matcher.head(name), 'head')} + _repr(raw)")


def _enum(w: _Writer, matcher: Matcher, spec: ProtocolSpec, name: str, fact: FactSpec) -> None:
    """One of the vocabulary's values, as text, stays as given."""
    short = None if fact.planning_only else matcher.short(name)
    if short:
        table = w.const({value: matcher.fragment(name, value) for value in fact.values}, "enum")
        w.add(2, f"frag = {table}.get(raw) if _type(raw) is _str else None")
        w.add(2, "if frag is None:")
        w.add(3, "return None")
        w.add(2, f"frags[{short!r}] = frag")
    else:
        allowed = w.const(frozenset(fact.values), "enum")
        w.add(2, f"if _type(raw) is not _str or raw not in {allowed}:")
        w.add(3, "return None")


def _set(w: _Writer, matcher: Matcher, spec: ProtocolSpec, name: str, fact: FactSpec) -> None:
    """A list of the vocabulary's values, each once, becomes a frozenset and a field per member."""
    allowed = w.const(frozenset(fact.values), "set")
    w.add(2, "if _type(raw) is not _list:")
    w.add(3, "return None")
    w.add(2, "try:")
    w.add(3, "chosen = _frozenset(raw)")
    w.add(2, "except TypeError:")
    w.add(3, "return None")
    w.add(2, f"if len(chosen) != len(raw) or not chosen <= {allowed}:")
    w.add(3, "return None")  # a value twice, or one outside the set's values
    w.add(2, f"values[{name!r}] = chosen")
    if fact.planning_only:
        return
    for member in fact.values:
        field = set_member_field(name, member)
        short = matcher.short(field)
        if short:
            yes, no = w.const(matcher.fragment(field, True), "frag"), w.const(matcher.fragment(field, False), "frag")
            w.add(2, f"frags[{short!r}] = {yes} if {member!r} in chosen else {no}")


def _date(w: _Writer, matcher: Matcher, spec: ProtocolSpec, name: str, fact: FactSpec) -> None:
    """A date (or ``never``, or ``ongoing``), not after the assessment (a planning date: not before it)."""
    short = None if fact.planning_only else matcher.short(name)
    head = w.const(matcher.head(name), "head") if short else None
    branch = "if"
    if fact.allow_never:
        w.add(2, f"{branch} raw == _NEVER:")
        w.add(3, f"values[{name!r}] = _NEVER")
        if short:
            w.add(3, f"frags[{short!r}] = {w.const(matcher.fragment(name, NEVER_DATE), 'frag')}")
        branch = "elif"
    if fact.allow_ongoing:
        w.add(2, f"{branch} raw == _ONGOING:")
        w.add(3, f"values[{name!r}] = _ONGOING")
        if short:
            w.add(3, f"frags[{short!r}] = {head} + '\"' + anchor_iso + '\"'")  # still taken: as of the assessment
        branch = "elif"
    indent = 2
    if branch == "elif":
        w.add(2, "else:")
        indent = 3
    _parse_day(w, indent)
    w.add(indent, "if day < anchor:" if fact.planning_only else "if day > anchor:")
    w.add(indent + 1, "return None")
    w.add(indent, f"values[{name!r}] = day")
    if short:
        w.add(indent, f"frags[{short!r}] = {head} + '\"' + iso + '\"'")


def _history(w: _Writer, matcher: Matcher, spec: ProtocolSpec, name: str, fact: FactSpec) -> None:
    """The treatment history: read as ``check_facts`` reads it, then the latest treatment per selector."""
    reader = w.const(lambda raw: read_history(spec, name, fact, raw), "history")
    w.add(2, f"treatments = {reader}(raw)")
    w.add(2, "if treatments is None:")
    w.add(3, "return None")
    if name == PREVIOUS_TREATMENTS:  # the history check_facts holds to the assessment date
        w.add(2, "for treatment in treatments:")
        w.add(3, "if treatment.date > anchor:")
        w.add(4, "return None")
    w.add(2, f"values[{name!r}] = treatments")
    if fact.planning_only:
        return
    selectors: list[_Selector] = []
    for selector in sorted(spec.history_selectors):
        details = []
        for detail, allowed in (("reaction", fact.reactions), ("response", fact.responses)):
            field = history_detail_field(selector, detail)
            short = matcher.short(field) if allowed else None
            if short:
                table = {value: matcher.fragment(field, value) for value in allowed}
                details.append((short, matcher.fragment(field, NO_TREATMENT), table, detail == "reaction"))
        field = history_field(selector)
        short = matcher.short(field)
        if short or details:
            never = matcher.fragment(field, NEVER_DATE) if short else ""
            head = matcher.head(field) if short else ""
            selectors.append((short, frozenset(spec.select(selector)), never, head, tuple(details)))
    flatten = w.const(_history_writer(tuple(selectors)), "latest")
    w.add(2, f"{flatten}(treatments, frags)")


_Detail = tuple[str, str, dict[str, str], bool]
"""A detail field of a selector's latest treatment: short name, fragment when there is no such
treatment, fragment of each value, and whether it is the reaction (else the response)."""
_Selector = tuple[str | None, frozenset[str], str, str, tuple[_Detail, ...]]
"""A selector: its date field's short name (``None``: untested), the techniques it names, the
fragment of no such treatment, the start of a dated fragment, and its detail fields."""


def _history_writer(
    selectors: tuple[_Selector, ...],
) -> Callable[[tuple[Treatment, ...], dict[str, str]], None]:
    """Writes each selector's latest treatment (its date, reaction and response) as the Flattener does.

    Every selector starts as "no such treatment"; each treatment, oldest first, then becomes
    the latest of the selectors naming its technique (found through a table by technique).
    """
    none: dict[str, str] = {}
    for short, _, never, _, details in selectors:
        if short:
            none[short] = never
        for detail_short, no_treatment, _, _ in details:
            none[detail_short] = no_treatment
    naming: dict[str, list[int]] = {}
    for n, (_, chosen, _, _, _) in enumerate(selectors):
        for technique in chosen:
            naming.setdefault(technique, []).append(n)

    def write(treatments: tuple[Treatment, ...], frags: dict[str, str]) -> None:
        frags.update(none)
        latest: dict[int, Treatment] = {}
        for treatment in treatments:  # sorted by date: the last match is the latest
            for n in naming.get(treatment.technique, ()):
                latest[n] = treatment
        for n, treatment in latest.items():
            short, _, _, head, details = selectors[n]
            if short:
                frags[short] = head + '"' + treatment.date.isoformat() + '"'
            for detail_short, _, table, reaction in details:
                given = treatment.reaction if reaction else treatment.response
                if given is None:  # a detail not recorded stays absent: unknown
                    del frags[detail_short]
                else:
                    frags[detail_short] = table[given]

    return write


def _cuts(w: _Writer, matcher: Matcher, spec: ProtocolSpec) -> None:
    """Each period's cut-off date for this assessment, remembered per assessment date."""
    periods = []
    for period in sorted(spec.periods, key=lambda p: p.key):
        field = cut_field(period.key)
        short = matcher.short(field)
        if short:
            periods.append((short, matcher.head(field), period))
    cache: dict[dt.date, dict[str, str]] = {}

    def cuts(anchor: dt.date) -> dict[str, str]:
        if len(cache) >= _MAX_CACHED_ANCHORS:
            cache.clear()
        found = cache[anchor] = {short: head + '"' + p.cut_off(anchor).isoformat() + '"' for short, head, p in periods}
        return found

    w.names["_CUTS"] = cache
    w.names["_cuts"] = cuts
    w.add(1, "found = _CUTS.get(anchor)")
    w.add(1, "frags.update(found if found is not None else _cuts(anchor))")


_FACT_WRITERS: dict[str, Callable[[_Writer, Matcher, ProtocolSpec, str, FactSpec], None]] = {
    "boolean": _boolean,
    "integer": _integer,
    "enum": _enum,
    "set": _set,
    "date": _date,
    "treatment_history": _history,
}
