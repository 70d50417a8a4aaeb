"""The only module that touches durable_rules; it contains every workaround the matcher needs.

durable_rules 2.0.28 is a C extension with process-global state and sharp edges
(see ``shared/reference/durable-rules.md`` §2-§7). This adapter drives its C API directly,
never the ``Host`` class, and keeps these promises:

* **No background threads.** The ``Host`` starts timer threads that race with callers and
  segfault; we never create one.
* **One lock.** Every call into the C library holds :data:`_LOCK`; nothing there is re-entrant.
* **One session per ruleset, reused, emptied after every client.** A ruleset allows 1,024
  live sessions and looks sessions up by a 32-bit hash of the sid, so every evaluation
  uses the same sid. Creating a session costs time in proportion to the ruleset's rule
  count (it allocates and clears about 8 KB of join-frame index per rule), and deleting
  it again after each client used to be most of the matcher's time. So the session is
  kept: every client fact carries the same message id, is retracted once its firings are
  read, and the next assert would report the id as already seen if a retraction ever
  failed to empty the session. On any failure the session is deleted (or, if it never
  ran an action, the whole ruleset rebuilt) before the lock is released, so no client can
  see another's fact.
* **A catch-all rule in every ruleset.** ``delete_state`` segfaults on a session in which no
  action ran; the compiler adds the catch-all rule (:data:`engine._names.CATCH_ALL`), which
  matches every client fact, so the first client runs an action in every session. Its
  firing is also checked every time.
* **A guard on every pattern.** The matcher re-asserts its own state document as a fact;
  every pattern requires the guard field (:data:`engine._names.GUARD_FIELD`), which only
  client facts carry, so nothing loops.
* **Unique ruleset names**, and handles freed when a compiled protocol is dropped
  (rebuild-and-swap is how rules are reloaded; the library cannot modify a ruleset).
* **No exponent-form numbers.** Facts are encoded here; floats are refused because the
  matcher rejects ``1e-05`` and the vocabulary has no use for them.
* **Short field names, each value encoded once.** Every assert makes the C core parse
  the fact and every firing returns it as JSON, so fact fields are renamed ``f0``,
  ``f1``... inside the rulesets (measured: about a sixth of the time of the largest
  shipped ruleset) and a client's fact is encoded field by field once
  (:meth:`Matcher.encode`), each ruleset's message being a join of the fragments it tests.
* **Rules with the same pattern are one matcher rule**, under a short name of fixed
  width (:func:`_merged`): each firing costs an action round trip that serialises the
  whole fact, and protocol rules often share a condition.
* **Branch nodes under the guard** (:func:`_branched`): the matcher probes a node's
  children once per fact property in a table with only 32 start buckets, so a guard
  with 50 children cost some 2,000 probes per assert.
* **No Python actions**, so no exception can be swallowed inside one: firings are read
  from the C API as rule names and the decision logic stays in plain Python.
* **The alpha stack never overflows.** ``handleAlpha`` walks the ruleset's network of
  tests depth-first with a fixed 64-entry stack; overflowing it raises error 303, and
  in a reused session can crash the process. :class:`StackGauge` computes, for the
  rules the compiler packs into one ruleset, the most entries any fact can need (see
  its docstring); the compiler keeps that under its budget. The short field names are
  chosen free of 32-bit hash collisions, which would let one test be pushed twice.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine._errors import EngineError
from engine._names import CATCH_ALL, GUARD_FIELD

try:
    import durable_rules_engine as _dre
except ImportError as exc:  # pragma: no cover - exercised only on unsupported interpreters
    raise ImportError(
        "durable_rules could not be imported; it builds from source and supports Python 3.10-3.12 only"
    ) from exc

__all__ = ["STACK_LIMIT", "Encoded", "Matcher", "StackGauge", "live_rulesets"]

_SID = "1"
_MID = "c"
"""The message id of every client fact: constant, so that a fact left behind is detected."""
_RETRACT = json.dumps({"sid": _SID, "id": _MID})
_HEAD = json.dumps({"sid": _SID, "id": _MID, GUARD_FIELD: 1}, separators=(",", ":"))[:-1]
_RESERVED = frozenset({"sid", "id", GUARD_FIELD})
_LOCK = threading.RLock()
_NAMES = itertools.count(1)
_LIVE: set[int] = set()


STACK_LIMIT = 64
"""Entries of durable_rules' alpha stack (``MAX_STACK_SIZE`` in events.c)."""


class _Node:
    """A test node of :class:`StackGauge`'s trie: its children and the stack entries below it."""

    __slots__ = ("children", "need")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.need = 0


class StackGauge:
    """The worst-case alpha-stack depth of a ruleset, kept up to date as patterns are added.

    durable_rules turns each pattern ``{"$and": [guard, t1, t2, ...]}`` into a chain of
    test nodes under one guard node, sharing a node with an earlier pattern when the
    test is identical and the prefix is the same (a trie). A test that compares with
    another field (``{"$m": ...}``) is never shared. To match a fact, ``handleAlpha``
    pops a node and pushes every child whose test passes (a test against another field
    is pushed untested), depth first. With ``k`` children at a node, the stack can hold
    the ``k - 1`` siblings still waiting at each node on the way down, so the most it
    can ever hold is ``need(guard)``, where ``need(v) = max(k, k - 1 + max need(child))``
    (0 for a leaf), whatever the fact. Measured on 2.0.28: 64 sibling tests pass and 65
    raise 303; 33 siblings under the guard, one of which has 32 children, pass (64) and
    33 under it crash (65); chains of any length under distinct siblings do not add up.
    """

    def __init__(self) -> None:
        self._guard = _Node()
        self._serial = itertools.count()

    @property
    def need(self) -> int:
        """Stack entries the worst fact needs (the root and the guard take one before the children)."""
        return max(1, self._guard.need)

    def add(self, tests: Sequence[Mapping[str, Any]]) -> None:
        """Add one pattern's tests (in the order they will appear after the guard)."""
        self.add_keys([json.dumps(test, sort_keys=True, separators=(",", ":")) for test in tests])

    @staticmethod
    def shared(key: str) -> bool:
        """Whether the matcher shares a test (given as canonical JSON) between patterns."""
        return '"$m"' not in key

    def add_keys(self, keys: Sequence[str]) -> None:
        """:meth:`add`, for tests already written as canonical JSON (``sort_keys``, no spaces)."""
        path = [self._guard]
        node = self._guard
        for key in keys:
            if not self.shared(key):
                key += f"#{next(self._serial)}"  # compared with another field: never shared
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Node()
            path.append(child)
            node = child
        for node in reversed(path):
            k = len(node.children)
            deepest = max((c.need for c in node.children.values()), default=0)
            node.need = max(k, k - 1 + deepest) if k else 0


def _fnv1a32(name: str) -> int:
    """durable_rules' 32-bit FNV-1a hash of a property name (state.c fnv1Hash32)."""
    value = 2166136261
    for byte in name.encode("utf-8"):
        value = ((value ^ (byte - 256 if byte > 127 else byte)) * 16777619) & 0xFFFFFFFF
    return value


def _field_names(node: Any, out: set[str]) -> None:
    """Every fact field a ruleset definition tests (keys of tests and ``$m`` references)."""
    if isinstance(node, list):
        for item in node:
            _field_names(item, out)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$m" and isinstance(value, str):
                out.add(value)
            elif key.startswith("$"):
                _field_names(value, out)
            else:
                out.add(key)
                if isinstance(value, dict):
                    _field_names(value, out)


def _definition_fields(definition: Mapping[str, Any]) -> set[str]:
    names: set[str] = set()
    for rule in definition.values():
        for pattern in rule.get("all", ()):
            for test in pattern.values():
                _field_names(test, names)
    return names - _RESERVED


def _renamed(node: Any, alias: Mapping[str, str]) -> Any:
    """A test with every field name replaced by its alias (the inverse walk of ``_field_names``)."""
    if isinstance(node, list):
        return [_renamed(item, alias) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$m" and isinstance(value, str):
            out[key] = alias.get(value, value)
        elif key.startswith("$"):
            out[key] = _renamed(value, alias)
        else:
            out[alias.get(key, key)] = _renamed(value, alias) if isinstance(value, dict) else value
    return out


def _aliases(fields: set[str]) -> dict[str, str]:
    """Short names for ``fields``, none sharing a matcher hash with another or with the reserved names."""
    used = {_fnv1a32(name) for name in _RESERVED}
    alias: dict[str, str] = {}
    serial = itertools.count()
    for name in sorted(fields):
        while True:
            short = f"f{next(serial):x}"
            code = _fnv1a32(short)
            if code not in used:  # a collision would let one test be pushed twice (see StackGauge)
                used.add(code)
                alias[name] = short
                break
    return alias


def _merged(
    definition: Mapping[str, Any], alias: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """A definition as the matcher receives it: fields renamed, identical rules merged, short rule names.

    Rules whose patterns are the same (a condition several protocol rules share, such as
    "the risk is high") are one matcher rule: the matcher tests the pattern and fires
    once, and the firing stands for every rule that has it (measured on the shipped
    protocol: 58 firings per client become 35, and assert, firing and retract cost a
    third less). Priorities only order the firings, which are read as a set, so the first
    rule's is kept. Each matcher rule gets a short name of one width (``r00``, ``r01``...):
    every firing's message starts with it, and it is sliced out without a search.
    Returns (the definition to create, each short name -> the names of the rules it decides).
    """
    groups: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for name, rule in definition.items():
        body = {**rule, "all": [{k: _renamed(test, alias) for k, test in p.items()} for p in rule["all"]]}
        key = json.dumps({k: v for k, v in body.items() if k != "pri"}, sort_keys=True, separators=(",", ":"))
        found = groups.get(key)
        if found is None:
            groups[key] = (body, [name])
        else:
            found[1].append(name)
    width = len(f"{len(groups) - 1:x}")
    shorts = [f"r{n:0{width}x}" for n in range(len(groups))]
    body = {short: rule for short, (rule, _) in zip(shorts, groups.values(), strict=True)}
    rules = {short: tuple(names) for short, (_, names) in zip(shorts, groups.values(), strict=True)}
    return _branched(body), rules


_BRANCH = 12
"""Most tests one node of the matcher's network gets to test first, after the guard (see :func:`_branched`)."""


def _branched(body: dict[str, Any]) -> dict[str, Any]:
    """The rules with an always-true test after the guard that splits the guard's children into branches.

    ``handleAlpha`` matches a fact against a node's children by walking, for *every*
    property of the fact, a hash table that starts each property at one of only 32
    buckets (``hash & HASH_MASK``, 0x1F) and probes linearly. The guard node has a child
    per distinct first test, some 50 in the shipped rulesets, so they fill the table's
    first 50-odd slots in one run and every property of the fact walks to its end: 1,500
    to 2,200 probes per fact, most of the matcher's time on an assert. Putting the first
    tests under a few branch nodes of at most :data:`_BRANCH` children each (the branch
    test is ``_c >= -n``, true for every client fact, one node per ``n``) leaves short runs:
    on the shipped rulesets the probes of a fact fall to 170-280 (branches of 12 measured
    best: 4, 8, 16 and 24 cost 1-4% more instructions per client).

    Chains with the same first test stay in one branch, so nodes are shared as before. The
    stack a fact can need does not grow: with ``S`` branches of ``k`` children out of ``G``,
    ``S - 1 + k <= G``, so ``S - 1 + max(k, k - 1 + m) <= max(G, G - 1 + m)``
    (see :class:`StackGauge`); the compiler's budget still holds.
    """
    firsts: dict[str, int] = {}
    for rule in body.values():
        chain = _chain(rule)
        if chain is not None:
            firsts.setdefault(json.dumps(chain[1], sort_keys=True), len(firsts))
    if len(firsts) <= _BRANCH:
        return body
    out: dict[str, Any] = {}
    for name, rule in body.items():
        chain = _chain(rule)
        if chain is None:
            out[name] = rule
            continue
        branch = {"$gte": {GUARD_FIELD: -(firsts[json.dumps(chain[1], sort_keys=True)] // _BRANCH)}}
        ((alias, _),) = rule["all"][0].items()
        out[name] = {**rule, "all": [{alias: {"$and": [chain[0], branch, *chain[1:]]}}]}
    return out


def _chain(rule: Mapping[str, Any]) -> list[Any] | None:
    """The tests of a rule of one pattern ``{alias: {"$and": [guard, test, ...]}}``, or ``None`` for another shape."""
    patterns = rule.get("all")
    if not isinstance(patterns, list) or len(patterns) != 1 or len(patterns[0]) != 1:
        return None
    ((_, test),) = patterns[0].items()
    chain = test.get("$and") if isinstance(test, dict) and len(test) == 1 else None
    if not isinstance(chain, list) or len(chain) < 2 or chain[0] != {GUARD_FIELD: 1}:
        return None
    return chain


def _picker(fields: Sequence[str]) -> Callable[[Mapping[str, str]], Sequence[str]]:
    """``fields``' values out of a mapping, as a sequence, in one call (``itemgetter`` of one item is no sequence)."""
    if len(fields) > 1:
        return operator.itemgetter(*fields)
    return lambda table: [table[name] for name in fields]


def live_rulesets() -> int:
    """How many matcher rulesets this process holds (for leak tests)."""
    with _LOCK:
        return len(_LIVE)


def _free(handles: Sequence[int], warm: set[int]) -> None:
    """Delete each ruleset, its session first (``delete_ruleset`` leaves sessions' memory behind)."""
    with _LOCK:
        for handle in handles:
            if handle in _LIVE:
                _LIVE.discard(handle)
                with contextlib.suppress(_dre.error):  # nothing useful to do while freeing
                    if handle in warm:
                        _dre.delete_state(handle, _SID)
                    _dre.delete_ruleset(handle)
            warm.discard(handle)


_EXACT = 2**53
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""One encoder for every value (``json.dumps`` with options builds a new one per call)."""


def _checked(key: str, value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is bool or (kind is int and -_EXACT < value < _EXACT):
        return value  # the usual cases, decided without isinstance
    if isinstance(value, float):
        raise EngineError(f"field {key!r} holds a float ({value!r}); the matcher only receives whole numbers")
    if isinstance(value, int) and not isinstance(value, bool) and not -_EXACT < value < _EXACT:
        raise EngineError(f"field {key!r} holds {value}, outside the matcher's exact integer range")
    return value


class Encoded:
    """One client's fact, encoded for the matcher a field at a time (see :meth:`Matcher.encode`).

    ``fragments`` maps each field's short name to its encoded ``,"name":value``; a field the
    client's facts leave unknown has none (the evaluator reads that to find missing fields).
    """

    __slots__ = ("_full", "_owner", "fragments")

    def __init__(self, owner: Matcher, fragments: dict[str, str]) -> None:
        self._owner = owner
        self.fragments = fragments
        self._full: dict[str, str] | None = None
        """Every field the rulesets test, absent ones as "" (made on the first firing; see :meth:`Matcher.fire`)."""


class Matcher:
    """A set of durable_rules rulesets built from compiled definitions.

    :param definitions: one matcher ruleset definition per chunk, as produced by the compiler.
    :param label: a short tag used in the (unique) ruleset names, for debugging.
    """

    def __init__(self, definitions: Sequence[Mapping[str, Any]], label: str = "pp") -> None:
        self._label = label
        self._texts: list[str] = []
        self._warm: set[int] = set()
        """Handles whose session exists and has run an action, so that deleting it is safe."""
        fields = [_definition_fields(d) for d in definitions]
        self._alias = _aliases(set().union(*fields))
        self._fields = [tuple(sorted(self._alias[f] for f in own)) for own in fields]
        """Per ruleset, the aliases of the fields it tests: what its message carries."""
        self._pick = [_picker(own) for own in self._fields]
        """Per ruleset, its fields' fragments picked out of an encoded fact's full table, in that order."""
        self._blank = dict.fromkeys(self._alias.values(), "")
        self._cache: dict[tuple[str, type, Any], str] = {}
        self._rules: list[dict[str, tuple[str, ...]]] = []
        """Per ruleset, each matcher rule's short name -> the names of the definition's rules it decides."""
        self._ends: list[int] = []
        """Per ruleset, where the short rule name ends in a firing's message (``{"r07":...``)."""
        self._catch_all: list[str] = []
        """Per ruleset, the short name of the matcher rule that holds the catch-all."""
        handles: list[int] = []
        with _LOCK:
            try:
                for definition in definitions:
                    if CATCH_ALL not in definition:
                        raise EngineError("a ruleset without the catch-all rule would crash delete_state")
                    body, rules = _merged(definition, self._alias)
                    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
                    handles.append(self._create(text))
                    self._texts.append(text)
                    self._rules.append(rules)
                    self._ends.append(2 + len(next(iter(rules))))
                    self._catch_all.append(next(short for short, names in rules.items() if CATCH_ALL in names))
            except BaseException:
                _free(handles, self._warm)
                raise
        self._handles = handles
        self._finalizer = weakref.finalize(self, _free, self._handles, self._warm)

    def _create(self, text: str) -> int:
        try:
            handle: int = _dre.create_ruleset(f"{self._label}-{next(_NAMES)}", text)
        except _dre.error as exc:
            raise EngineError(f"the matcher refused a compiled ruleset: {exc}") from None
        _LIVE.add(handle)
        return handle

    def __len__(self) -> int:
        return len(self._handles)

    def close(self) -> None:
        """Free the rulesets now instead of when the matcher is garbage-collected."""
        self._finalizer()

    def short(self, name: str) -> str | None:
        """The short name field ``name`` has inside the rulesets (``None``: no ruleset tests it)."""
        return self._alias.get(name)

    def fragment(self, name: str, value: Any) -> str:
        """What :meth:`encode` writes for ``name`` holding ``value`` (checked as it checks it); "" when untested.

        For code that writes a client's fragments itself (:mod:`engine._reader`), from constants.
        """
        fact = self.encode({name: value}).fragments
        return fact.get(self._alias.get(name, ""), "")

    def head(self, name: str) -> str:
        """The start of a fragment of tested field ``name`` (``,"f3":``): its value's JSON follows."""
        return f',"{self._alias[name]}":'

    @staticmethod
    def exact(minimum: int, maximum: int) -> bool:
        """Whether every whole number from ``minimum`` to ``maximum`` reaches the matcher exactly."""
        return minimum > -_EXACT and maximum < _EXACT

    def wrap(self, fragments: dict[str, str]) -> Encoded:
        """Fragments written as :meth:`fragment` and :meth:`head` write them, as an encoded fact."""
        return Encoded(self, fragments)

    def encode(self, fact: Mapping[str, Any], into: Encoded | None = None) -> Encoded:
        """Check and encode the fields of ``fact`` (added to ``into`` if given), once for every ruleset.

        Values must be text, booleans or whole numbers; fields no ruleset tests are dropped.
        """
        fragments: dict[str, str] = {}
        alias, cache = self._alias, self._cache
        for name, value in fact.items():
            short = alias.get(name)
            if short is None:
                _checked(name, value)
                continue
            key = (short, type(value), value)
            try:
                fragment = cache.get(key)
            except TypeError:  # an unhashable value (a list, say): encode it, do not remember it
                fragments[short] = f',"{short}":{_ENCODER.encode(_checked(name, value))}'
                continue
            if fragment is None:  # values in the cache have been checked already
                fragment = f',"{short}":{_ENCODER.encode(_checked(name, value))}'
                if len(cache) > 100_000:
                    cache.clear()
                cache[key] = fragment
            fragments[short] = fragment
        if into is None:
            return Encoded(self, fragments)
        into.fragments.update(fragments)
        if into._full is not None:
            into._full.update(fragments)
        return into

    def rules(self, index: int) -> Mapping[str, tuple[str, ...]]:
        """What :meth:`match` returns for ruleset ``index``: each short name -> the definition's rules it stands for."""
        return self._rules[index]

    def fire(self, index: int, fact: Mapping[str, Any] | Encoded) -> list[str]:
        """Assert ``fact`` into ruleset ``index`` and return the names of the rules that fired.

        ``fact`` is a mapping of fields, or the same :meth:`encode`-d once for several rulesets.
        The fact is retracted before returning; if anything goes wrong the session is
        discarded, so consecutive clients never see each other's facts.
        """
        rules = self._rules[index]
        return [name for short in self.match(index, fact) for name in rules[short]]

    def match(self, index: int, fact: Mapping[str, Any] | Encoded) -> list[str]:
        """:meth:`fire`, returning the short names of the matcher rules that fired (see :meth:`rules`)."""
        encoded = fact if isinstance(fact, Encoded) else self.encode(fact)
        if encoded._owner is not self:
            raise EngineError("a fact encoded for another matcher")
        full = encoded._full
        if full is None:  # absent fields as "", so that each ruleset's fields are picked in one call
            present = encoded.fragments  # only tested fields: with as many, none is absent
            full = encoded._full = present if len(present) == len(self._blank) else {**self._blank, **present}
        text = _HEAD + "".join(self._pick[index](full)) + "}"
        fired: list[str] = []
        end = self._ends[index]
        with _LOCK:
            handle = self._handles[index]
            if handle not in _LIVE:
                raise EngineError("this compiled protocol has been closed")
            clean = False
            try:
                result = _dre.assert_fact(handle, text)
                if result[0] != 0:
                    raise EngineError(f"the matcher did not accept the client fact (status {result[0]})")
                state = result[1]
                step = _dre.start_action_for_state(handle, state)
                message = step[1] if step else None
                while message:
                    fired.append(message[2:end])
                    message = _dre.complete_and_start_action(handle, state)
                if fired:
                    self._warm.add(handle)
                retracted = _dre.retract_fact(handle, _RETRACT)
                if retracted[0] != 0:
                    raise EngineError(f"the matcher could not retract the client fact (status {retracted[0]})")
                clean = True
            except _dre.error as exc:
                raise EngineError(f"the matcher failed while evaluating: {exc}") from None
            finally:
                if not clean:
                    self._discard_session(index)
        if self._catch_all[index] not in fired:
            raise EngineError("the catch-all rule did not fire; the session state is undefined")
        return fired

    def _discard_session(self, index: int) -> None:
        """Throw away whatever the session holds: delete it, or rebuild the ruleset if that is unsafe."""
        handle = self._handles[index]
        if handle in self._warm:
            self._warm.discard(handle)
            try:
                _dre.delete_state(handle, _SID)
                return
            except _dre.error:  # pragma: no cover - fall through to a rebuild
                pass
        # A session that never ran an action cannot be deleted (segfault); replace the ruleset.
        _LIVE.discard(handle)
        with contextlib.suppress(_dre.error):
            _dre.delete_ruleset(handle)
        self._handles[index] = self._create(self._texts[index])
