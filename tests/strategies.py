"""Generators of clients (and of rule conditions) over the vocabulary of a loaded protocol.

Everything is read from the protocol itself (``protocol.facts``, ``protocol.techniques``
and the periods and thresholds its rules use), so the generators keep covering the whole
intake when the rules grow. A generated client may leave any fact out (unknown), and the
values lean on the edges where bugs hide: integer thresholds and one either side, dates
exactly at a ``within`` cut-off and one day either side, month ends, ``never``, empty and
full sets, and previous treatments at those same boundaries.

Two flavours are provided:

* hypothesis strategies (:func:`clients`, :func:`conditions`, :func:`rule_sets`) for the
  tests, which shrink a failure to a minimal client (fewest facts: leaving a fact out is
  the simplest choice);
* :func:`random_client`, a plain ``random.Random`` generator over exactly the same space
  (both decode bytes with :func:`decode_client`), for scripts and benchmarks that need
  millions of clients without hypothesis.

The hypothesis settings profiles used by the safety tests are registered here too.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import engine
from engine._model import FactSpec, Period, SessionSpec
from engine._spec import AllOf, AnyOf, Atom, Condition, NotOf

__all__ = [
    "ClientSpace",
    "client_size",
    "clients",
    "conditions",
    "decode_client",
    "profile",
    "random_client",
    "rule_sets",
    "space",
    "to_yaml",
]

# ----------------------------------------------------------------------------- YAML output


class _PlainDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Never writes anchors and aliases: the engine refuses them, rightly."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(data: Any) -> str:
    """``data`` as YAML that the engine's loader accepts (no aliases, keys in insertion order)."""
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True)


# ----------------------------------------------------------------------------- settings profiles

settings.register_profile(
    "pore-ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "pore-dev",
    parent=settings.get_profile("pore-ci"),
    derandomize=False,
)


def profile(max_examples: int) -> settings:
    """Settings for one safety test: the ``pore-ci`` profile (deterministic, no deadline).

    ``PORE_HYPOTHESIS_PROFILE=pore-dev`` switches to random seeds for exploratory runs, and
    ``PORE_HYPOTHESIS_SCALE`` multiplies every example count (e.g. ``10`` before a release).
    """
    name = os.environ.get("PORE_HYPOTHESIS_PROFILE", "pore-ci")
    scale = float(os.environ.get("PORE_HYPOTHESIS_SCALE", "1"))
    return settings(settings.get_profile(name), max_examples=max(1, int(max_examples * scale)))


# ----------------------------------------------------------------------------- what the vocabulary offers

_EARLIEST = dt.date(1900, 1, 1)
_INTERESTING_DAYS = (
    dt.date(2026, 11, 25),
    dt.date(2024, 2, 29),  # leap day
    dt.date(2025, 3, 31),  # month ends: "1 month before" clamps to 28 Feb
    dt.date(2024, 8, 31),
    dt.date(2026, 12, 31),
    dt.date(2027, 1, 1),
    dt.date(2028, 3, 1),
)


@dataclass(frozen=True)
class ClientSpace:
    """What a client of one protocol can say: the askable facts and the edges rules test."""

    facts: tuple[tuple[str, FactSpec], ...]
    techniques: tuple[str, ...]
    selectors: tuple[str, ...]
    periods: tuple[Period, ...]
    thresholds: Mapping[str, tuple[int, ...]]
    anchor: str
    courses: tuple[tuple[int, int, int], ...] = ()
    """For each technique (in ``techniques`` order): its shortest and longest interval in days, and
    its typical number of sessions, to generate courses in progress and just completed."""

    def boundaries(self, fact: FactSpec, name: str) -> tuple[int, ...]:
        assert fact.minimum is not None and fact.maximum is not None
        values = {fact.minimum, fact.maximum, fact.minimum + 1, fact.maximum - 1}
        for t in self.thresholds.get(name, ()):
            values.update((t - 1, t, t + 1))
        return tuple(sorted(v for v in values if fact.minimum <= v <= fact.maximum))


_SPACES: weakref.WeakKeyDictionary[engine.Protocol, ClientSpace] = weakref.WeakKeyDictionary()


def space(protocol: engine.Protocol) -> ClientSpace:
    """The client space of ``protocol`` (computed once per protocol)."""
    found = _SPACES.get(protocol)
    if found is None:
        found = _build_space(protocol)
        _SPACES[protocol] = found
    return found


def _atoms(condition: Condition) -> list[Atom]:
    if isinstance(condition, Atom):
        return [condition]
    if isinstance(condition, AllOf | AnyOf):
        return [a for item in condition.items for a in _atoms(item)]
    if isinstance(condition, NotOf):
        return _atoms(condition.item)
    return []


def _build_space(protocol: engine.Protocol) -> ClientSpace:
    spec = protocol._spec
    anchor = next((n for n, f in spec.facts.items() if f.type == "date" and f.required), "assessment_date")
    thresholds: dict[str, set[int]] = {}
    for rule in spec.rules:
        for atom in _atoms(rule.condition):
            if isinstance(atom.value, int) and not isinstance(atom.value, bool):
                thresholds.setdefault(atom.fact, set()).add(atom.value)
    askable = tuple(sorted((n, f) for n, f in spec.facts.items() if not f.derived))
    for name, fact in askable:
        if fact.type not in ("boolean", "integer", "enum", "set", "date", "treatment_history"):
            raise AssertionError(f"the client generators do not know fact type {fact.type!r} ({name}); teach them")
    families = sorted({f"{t.family}.*" for t in spec.techniques.values()})
    return ClientSpace(
        facts=askable,
        techniques=tuple(sorted(spec.techniques)),
        selectors=("all", *families, *sorted(spec.techniques)),
        periods=tuple(sorted(spec.periods)),
        thresholds={k: tuple(sorted(v)) for k, v in thresholds.items()},
        anchor=anchor,
        courses=tuple(_course_shape(spec.techniques[t].sessions) for t in sorted(spec.techniques)),
    )


def _course_shape(sessions: SessionSpec) -> tuple[int, int, int]:
    """A technique's intervals in days (the longest no shorter than the shortest) and its typical count."""
    day = dt.date(2001, 1, 1)
    low = (sessions.interval_min.after(day) - day).days
    high = (sessions.interval_max.after(day) - day).days
    return low, max(low, high), sessions.typical


# ----------------------------------------------------------------------------- clients
#
# A client is decoded from an assessment date and a fixed-size string of bytes, a few
# bytes per fact. Hypothesis draws the bytes in one go (a structured strategy with one draw
# per answer costs four times as much per example, more than the evaluation under test),
# shrinks them towards zero, and zero always decodes to the simplest choice: the fact left
# out, the first value, the smallest set. ``random_client`` decodes random bytes the same
# way, so scripts and tests cover exactly the same space.

_HISTORY_MAX = 6
_COURSE_MAX = 10
"""At most this many sessions in a generated course: 3 bytes each, within a history's bytes."""
_RARITY = (2, 8, 32, 256)
"""How rarely a yes/no answer is yes, chosen per client: most risk factors are yes/no questions,
and a client with none of them (so a plan can be ``ready``) must come up often enough."""


class _Reader:
    """Reads small numbers from a byte string; reads past the end give zero."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        value = self.data[self.pos] if self.pos < len(self.data) else 0
        self.pos += 1
        return value

    def below(self, n: int) -> int:
        """A number in ``range(n)`` (two bytes, so ranges up to 65,536 are covered evenly enough)."""
        if n <= 1:
            self.pos += 2
            return 0
        return (self.byte() * 256 + self.byte()) % n


def _fact_bytes(fact: FactSpec) -> int:
    if fact.type == "treatment_history":
        return 1 + 1 + _HISTORY_MAX * 6
    if fact.type == "set":
        return 1 + 3 + (len(fact.values) + 7) // 8
    return 1 + 6


def client_size(protocol: engine.Protocol) -> int:
    """How many bytes :func:`decode_client` reads for ``protocol``."""
    sp = space(protocol)
    return 1 + sum(_fact_bytes(f) for n, f in sp.facts if n != sp.anchor)


def decode_client(
    protocol: engine.Protocol, anchor: dt.date, data: bytes, complete: bool | None = None
) -> dict[str, Any]:
    """The client that ``data`` describes (see the module notes); always valid for ``protocol``.

    :param complete: ``True`` answers every question, ``False`` leaves at least one out,
        ``None`` lets the first byte choose (zero: facts may be left out).
    """
    return _decode(space(protocol), anchor, data, complete)


def _decode(sp: ClientSpace, anchor: dt.date, data: bytes, complete: bool | None) -> dict[str, Any]:
    read = _Reader(data)
    mode = read.byte()
    everything = complete if complete is not None else mode % 2 == 1
    rarity = _RARITY[(mode >> 1) % len(_RARITY)]
    out: dict[str, Any] = {}
    for name, fact in sp.facts:
        if name == sp.anchor:
            out[name] = anchor.isoformat()
            continue
        start = read.pos
        presence = read.byte() % 8
        if everything:
            presence = 7
        if presence == 2:
            out[name] = None  # null means unknown, like a missing key
        elif presence > 2:
            out[name] = _decode_value(sp, name, fact, anchor, read, rarity)
        read.pos = start + _fact_bytes(fact)
    if complete is False:
        candidates = [n for n, f in sp.facts if n != sp.anchor and not f.planning_only]
        if all(out.get(n) is not None for n in candidates):
            del out[candidates[mode % len(candidates)]]
    return out


def _decode_value(sp: ClientSpace, name: str, fact: FactSpec, anchor: dt.date, read: _Reader, rarity: int) -> Any:
    if fact.type == "boolean":
        return read.byte() % rarity == rarity - 1
    if fact.type == "integer":
        assert fact.minimum is not None and fact.maximum is not None
        edges = sp.boundaries(fact, name)
        if read.byte() % 2 == 0:
            return edges[read.below(len(edges))]
        return fact.minimum + read.below(fact.maximum - fact.minimum + 1)
    if fact.type == "enum":
        return fact.values[read.byte() % len(fact.values)]
    if fact.type == "set":
        members = list(fact.values)
        shape = read.byte() % 4
        rotate = read.byte() % len(members)
        reverse = read.byte() % 2 == 1
        if shape == 0:
            return []
        if shape == 1:
            chosen = members
        else:
            mask = int.from_bytes(bytes(read.byte() for _ in range((len(members) + 7) // 8)), "little")
            chosen = [m for i, m in enumerate(members) if mask >> i & 1]
        chosen = chosen[rotate % len(chosen) :] + chosen[: rotate % len(chosen)] if chosen else []
        return chosen[::-1] if reverse else chosen
    if fact.type == "date":
        if fact.planning_only:
            return (anchor + dt.timedelta(days=read.below(400))).isoformat()
        if fact.allow_never or fact.allow_ongoing:
            # like a yes/no risk factor, a dated event is as rare as the client's rarity says: most
            # clients never had most of them, and a client with none must come up (a ready plan)
            word = read.byte()
            if fact.allow_ongoing and word % rarity == rarity - 1 and word & 1:
                return "ongoing"
            if fact.allow_never and word % rarity != rarity - 1:
                return "never"
        return _decode_past(sp, anchor, read)
    entries: list[dict[str, Any]] = []
    shape = read.byte()
    if shape % 4 == 3 and sp.courses:
        return _decode_course(sp, fact, anchor, read, rarity)
    for _ in range(shape % (_HISTORY_MAX + 1)):
        start = read.pos
        entry: dict[str, Any] = {"technique": sp.techniques[read.byte() % len(sp.techniques)]}
        entry["date"] = _decode_past(sp, anchor, read)
        read.pos = start + 4
        _details(entry, fact, read, rarity)
        if entry not in entries:  # the same treatment twice is refused
            entries.append(entry)
    return entries


def _details(entry: dict[str, Any], fact: FactSpec, read: _Reader, rarity: int) -> None:
    """A treatment's reaction and response: as rare as a risk factor, else the first two values
    (none, expected: the usual answers) or not recorded (so a rule reading it is unknown)."""
    for detail, values in (("reaction", fact.reactions), ("response", fact.responses)):
        if not values:
            continue
        pick = read.byte()
        if pick % rarity == rarity - 1:
            entry[detail] = values[(pick // rarity) % len(values)]
        elif pick % 3:
            entry[detail] = values[(pick % 3 - 1) % len(values)]


def _decode_course(
    sp: ClientSpace, fact: FactSpec, anchor: dt.date, read: _Reader, rarity: int = 2
) -> list[dict[str, Any]]:
    """A course of one technique in progress, just completed or just lapsed: 1 to typical + 1 sessions,
    each a shortest-to-longest interval (give or take a day) after the one before, the last one
    about an interval before the assessment."""
    index = read.byte() % len(sp.techniques)
    low, high, typical = sp.courses[index]
    count = 1 + read.byte() % min(typical + 1, _COURSE_MAX)
    day = anchor - dt.timedelta(days=max(1, low - 1 + read.byte() % (high - low + 3)))
    entries: list[dict[str, Any]] = []
    for _ in range(count):
        if day < _EARLIEST:
            break
        entry: dict[str, Any] = {"technique": sp.techniques[index], "date": min(day, anchor).isoformat()}
        _details(entry, fact, read, rarity)
        entries.insert(0, entry)
        day -= dt.timedelta(days=max(1, low - 1 + read.byte() % (high - low + 3)))
    return entries


def _decode_past(sp: ClientSpace, anchor: dt.date, read: _Reader) -> str:
    """A date on or before ``anchor``: half the time a rule's cut-off or one day either side."""
    kind = read.byte() % 4
    if kind < 2 and sp.periods:
        cut = sp.periods[read.byte() % len(sp.periods)].cut_off(anchor)
        day = cut + dt.timedelta(days=read.byte() % 3 - 1)
    elif kind == 2:
        day = anchor - dt.timedelta(days=read.byte() % 3)
        read.pos += 1
    else:
        day = anchor - dt.timedelta(days=read.below(365 * 12))
    return min(anchor, max(_EARLIEST, day)).isoformat()


def _assessment_dates() -> st.SearchStrategy[dt.date]:
    return st.one_of(
        st.sampled_from(_INTERESTING_DAYS),
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)),
    )


_ASSESSMENT = _assessment_dates()


_CLIENTS: weakref.WeakKeyDictionary[engine.Protocol, dict[bool | None, st.SearchStrategy[dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)


def clients(protocol: engine.Protocol, complete: bool | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Valid clients of ``protocol`` (see :func:`decode_client` for ``complete``)."""
    cache = _CLIENTS.setdefault(protocol, {})
    if complete not in cache:
        size = client_size(protocol)
        sp = space(protocol)  # the strategy must not hold the protocol, or the cache would keep it alive
        cache[complete] = st.tuples(_ASSESSMENT, st.binary(min_size=size, max_size=size)).map(
            lambda drawn: _decode(sp, drawn[0], drawn[1], complete)
        )
    return cache[complete]


def random_client(protocol: engine.Protocol, rng: random.Random, complete: bool | None = None) -> dict[str, Any]:
    """A valid client drawn with ``rng`` (no hypothesis), from the same space as :func:`clients`."""
    if rng.random() < 0.3:
        anchor = rng.choice(_INTERESTING_DAYS)
    else:
        anchor = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(36500))
    return decode_client(protocol, anchor, rng.randbytes(client_size(protocol)), complete)


# ----------------------------------------------------------------------------- hypothesis: conditions and rule sets


def _period_text(draw: st.DrawFn) -> str:
    unit = draw(st.sampled_from(["days", "weeks", "months", "years"]))
    amount = draw(st.integers(1, {"days": 400, "weeks": 60, "months": 30, "years": 5}[unit]))
    return f"{amount} {unit}"


@st.composite
def _fact_test(
    draw: st.DrawFn, sp: ClientSpace, facts: Mapping[str, FactSpec], readable: tuple[str, ...]
) -> dict[str, Any]:
    """One test of one fact, written the way a clinical lead writes it in YAML."""
    name = draw(st.sampled_from(readable))
    if name == "previous_treatment":
        return {"previous_treatment": {"technique": draw(st.sampled_from(sp.selectors)), "within": _period_text(draw)}}
    fact = facts[name]
    if fact.type == "boolean":
        value = draw(st.booleans())
        form = draw(st.sampled_from(["bare", "is", "is_not"]))
        return {name: value if form == "bare" else {form: value}}
    if fact.type == "integer":
        assert fact.minimum is not None and fact.maximum is not None
        number = st.one_of(st.sampled_from(sp.boundaries(fact, name)), st.integers(fact.minimum, fact.maximum))
        op = draw(
            st.sampled_from(["is", "is_not", "at_least", "at_most", "above", "below", "between", "one_of", "none_of"])
        )
        if op == "between":
            low, high = sorted((draw(number), draw(number)))
            return {name: {"between": [low, high]}}
        if op in ("one_of", "none_of"):
            return {name: {op: draw(st.lists(number, min_size=1, max_size=3))}}
        return {name: {op: draw(number)}}
    if fact.type == "enum":
        values = st.sampled_from(fact.values)
        op = draw(st.sampled_from(["bare", "is", "is_not", "one_of", "none_of"]))
        if op == "bare":
            return {name: draw(values)}
        if op in ("one_of", "none_of"):
            return {name: {op: draw(st.lists(values, min_size=1, max_size=3))}}
        return {name: {op: draw(values)}}
    if fact.type == "set":
        values = st.sampled_from(fact.values)
        op = draw(st.sampled_from(["includes", "excludes", "includes_any", "includes_all"]))
        if op in ("includes_any", "includes_all"):
            return {name: {op: draw(st.lists(values, min_size=1, max_size=3, unique=True))}}
        return {name: {op: draw(values)}}
    assert fact.type == "date"
    return {name: {"within": _period_text(draw)}}


def conditions(
    protocol: engine.Protocol, readable: tuple[str, ...] | None = None, max_depth: int = 3
) -> st.SearchStrategy[dict[str, Any]]:
    """A ``when:`` condition (raw YAML data) over the facts ``readable`` (default: every testable fact)."""
    if readable is None:
        readable = _testable(protocol, include_derived=True)
    cache = _CONDITIONS.setdefault(protocol, {})
    if (readable, max_depth) not in cache:
        facts = {**_EXTRA_SPECS, **protocol.facts}  # plain data: the cached strategy must not hold the protocol
        cache[readable, max_depth] = _conditions(_fact_test(space(protocol), facts, readable), max_depth)
    return cache[readable, max_depth]


_CONDITIONS: weakref.WeakKeyDictionary[
    engine.Protocol, dict[tuple[tuple[str, ...], int], st.SearchStrategy[dict[str, Any]]]
] = weakref.WeakKeyDictionary()


def _conditions(leaf: st.SearchStrategy[dict[str, Any]], max_depth: int) -> st.SearchStrategy[dict[str, Any]]:
    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda items: {"all": items}),
            st.lists(inner, min_size=1, max_size=3).map(lambda items: {"any": items}),
            inner.map(lambda item: {"not": item}),
        )

    return st.recursive(leaf, extend, max_leaves=max_depth * 2)


def _testable(protocol: engine.Protocol, include_derived: bool) -> tuple[str, ...]:
    names = [
        n
        for n, f in sorted(protocol.facts.items())
        if not f.planning_only and f.type != "treatment_history" and (include_derived or not f.derived)
    ]
    if any(f.type == "treatment_history" for f in protocol.facts.values()):
        names.append("previous_treatment")
    return tuple(names)


_EVIDENCE = [{"citation": "Generated rule for differential testing", "url": "https://example.org/generated"}]


def _rule(rule_id: str, kind: str, when: Any, then: Mapping[str, Any], priority: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": rule_id,
        "kind": kind,
        "title": f"Generated rule {rule_id}",
        "rationale": "Generated to compare the matcher with the reference evaluator.",
        "severity": "info",
        "evidence": _EVIDENCE,
        "then": dict(then),
    }
    if kind != "derived":
        body["applies_to"] = ["all"]
    if when is not None:
        body["when"] = when
    if priority is not None:
        body["priority"] = priority
    return body


EXTRA_DERIVED: dict[str, dict[str, Any]] = {
    "gen_level": {
        "type": "enum",
        "values": ["level_low", "level_mid", "level_high"],
        "derived": True,
        "default": "level_low",
        "label": "Generated level",
        "description": "A derived enum added by the differential tests.",
        "question": "(derived; not asked)",
    },
    "gen_flag": {
        "type": "boolean",
        "derived": True,
        "default": False,
        "label": "Generated flag",
        "description": "A derived boolean reading other derived facts.",
        "question": "(derived; not asked)",
    },
}
"""Derived facts added to the vocabulary of generated rule sets: ``gen_flag`` reads the others (a second stratum)."""
_EXTRA_SPECS = {name: FactSpec.model_validate(body) for name, body in EXTRA_DERIVED.items()}


@st.composite
def rule_sets(draw: st.DrawFn, protocol: engine.Protocol, max_rules: int = 8) -> list[dict[str, Any]]:
    """Extra rules for ``protocol`` plus ``EXTRA_DERIVED``: suitability rules over every fact, derived rules with
    random priorities (including ties and rules without a condition), and a derived fact reading derived facts."""
    base = _testable(protocol, include_derived=False)
    derived_names = tuple(sorted(n for n, f in protocol.facts.items() if f.derived))
    rules: list[dict[str, Any]] = []
    count = 0

    def next_id(prefix: str) -> str:
        nonlocal count
        count += 1
        return f"GEN-{prefix}-{count}"

    def maybe_when(readable: tuple[str, ...]) -> Any:
        return None if draw(st.integers(0, 9)) == 0 else draw(conditions(protocol, readable))

    priorities = st.sampled_from([0, 5, 10, 10, 50, 100, 65535])
    for name in derived_names:
        fact = protocol.facts[name]
        values = list(fact.values) if fact.type == "enum" else [True, False]
        for _ in range(draw(st.integers(0, 2))):
            value = draw(st.sampled_from(values))
            rules.append(
                _rule(next_id("D"), "derived", maybe_when(base), {"fact": name, "value": value}, draw(priorities))
            )
    for _ in range(draw(st.integers(1, 3))):
        value = draw(st.sampled_from(EXTRA_DERIVED["gen_level"]["values"]))
        rules.append(
            _rule(next_id("L"), "derived", maybe_when(base), {"fact": "gen_level", "value": value}, draw(priorities))
        )
    reads_derived = (*base, *derived_names, "gen_level")
    for _ in range(draw(st.integers(1, 3))):
        rules.append(
            _rule(
                next_id("F"),
                "derived",
                maybe_when(reads_derived),
                {"fact": "gen_flag", "value": draw(st.booleans())},
                draw(priorities),
            )
        )
    everything = (*reads_derived, "gen_flag")
    for _ in range(draw(st.integers(1, max_rules))):
        then = {"argument": draw(st.sampled_from(["for", "against"])), "strength": "weak"}
        rules.append(_rule(next_id("S"), "suitability", draw(conditions(protocol, everything)), then))
    return rules


# ----------------------------------------------------------------------------- courses and proposals

_COURSE_BYTES = 3 + 3 * _COURSE_MAX


def course_history(protocol: engine.Protocol, anchor: dt.date) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Previous treatments that form a course of one technique (in progress, completed or lapsed),
    with reactions and responses recorded or not, for a client assessed on ``anchor``."""
    sp = space(protocol)
    history = next(f for _, f in sp.facts if f.type == "treatment_history")
    return st.binary(min_size=_COURSE_BYTES, max_size=_COURSE_BYTES).map(
        lambda data: _decode_course(sp, history, anchor, _Reader(data))
    )


def proposals(protocol: engine.Protocol, anchor: dt.date) -> st.SearchStrategy[dict[str, Any]]:
    """A practitioner's proposal: any technique, 1 to 8 sessions from a little before the assessment
    to half a year after it, spaced anything from a day to two months (in order or not)."""
    techniques = sorted(protocol.techniques)
    first = st.one_of(st.just(0), st.integers(-10, 180)).map(lambda d: anchor + dt.timedelta(days=d))  # 0: today
    gaps = st.one_of(st.just([]), st.lists(st.integers(-3, 60), max_size=7))  # []: one visit

    def build(technique: str, start: dt.date, steps: list[int]) -> dict[str, Any]:
        days = [start]
        for gap in steps:
            days.append(days[-1] + dt.timedelta(days=gap))
        return {"technique": technique, "sessions": [d.isoformat() for d in days]}

    return st.builds(build, st.sampled_from(techniques), first, gaps)


def near(base: Mapping[str, Any], protocol: engine.Protocol) -> st.SearchStrategy[dict[str, Any]]:
    """``base`` (a complete client, say with a ready plan) with one to four answers changed or left out:
    the clients a clinic mostly sees, and the ones whose plans are ready or need review."""
    names = sorted(n for n in protocol.facts if not protocol.facts[n].derived and n != "assessment_date")

    def build(other: dict[str, Any], changed: list[str]) -> dict[str, Any]:
        out = dict(base)
        for name in changed:
            if other.get(name) is None:
                out.pop(name, None)
            else:
                out[name] = other[name]
        out["assessment_date"] = base["assessment_date"]
        return out

    anchor = dt.date.fromisoformat(str(base["assessment_date"]))
    sp_size = client_size(protocol)
    sp = space(protocol)
    others = st.binary(min_size=sp_size, max_size=sp_size).map(lambda data: _decode(sp, anchor, data, None))
    return st.builds(build, others, st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
