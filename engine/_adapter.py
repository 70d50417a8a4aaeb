"""The only module that touches durable_rules; it contains every workaround the matcher needs.

durable_rules 2.0.28 is a C extension with process-global state and sharp edges
(see ``shared/reference/durable-rules.md`` §2-§7). This adapter drives its C API directly,
never the ``Host`` class, and keeps these promises:

* **No background threads.** The ``Host`` starts timer threads that race with callers and
  segfault; we never create one.
* **One lock.** Every call into the C library holds :data:`_LOCK`; nothing there is re-entrant.
* **One live session at a time, deleted in ``finally``.** A ruleset allows 1,024 live
  sessions and looks sessions up by a 32-bit hash of the sid, so every evaluation uses the
  same sid and deletes its state before the lock is released.
* **A catch-all rule in every ruleset.** ``delete_state`` segfaults on a session in which no
  action ran; the compiler adds ``__catch_all``, which matches every client fact.
* **A guard on every pattern.** The matcher re-asserts its own state document as a fact;
  every pattern requires the ``_c`` field, which only client facts carry, so nothing loops.
* **Unique ruleset names**, and handles freed when a compiled protocol is dropped
  (rebuild-and-swap is how rules are reloaded; the library cannot modify a ruleset).
* **No exponent-form numbers.** Facts are encoded here; floats are refused because the
  matcher rejects ``1e-05`` and the vocabulary has no use for them.
* **No Python actions**, so no exception can be swallowed inside one: firings are read
  from the C API as rule names and the decision logic stays in plain Python.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from engine._errors import EngineError

try:
    import durable_rules_engine as _dre
except ImportError as exc:  # pragma: no cover - exercised only on unsupported interpreters
    raise ImportError(
        "durable_rules could not be imported; it builds from source and supports Python 3.10-3.12 only"
    ) from exc

__all__ = ["CATCH_ALL", "Matcher", "live_rulesets"]

CATCH_ALL = "__catch_all"
_SID = "1"
_LOCK = threading.RLock()
_NAMES = itertools.count(1)
_LIVE: set[int] = set()


def live_rulesets() -> int:
    """How many matcher rulesets this process holds (for leak tests)."""
    with _LOCK:
        return len(_LIVE)


def _free(handles: Sequence[int]) -> None:
    with _LOCK:
        for handle in handles:
            if handle in _LIVE:
                _LIVE.discard(handle)
                with contextlib.suppress(_dre.error):  # nothing useful to do while freeing
                    _dre.delete_ruleset(handle)


def _encode(fact: Mapping[str, Any]) -> str:
    for key, value in fact.items():
        if isinstance(value, float):
            raise EngineError(f"field {key!r} holds a float ({value!r}); the matcher only receives whole numbers")
        if isinstance(value, int) and not isinstance(value, bool) and not -(2**53) < value < 2**53:
            raise EngineError(f"field {key!r} holds {value}, outside the matcher's exact integer range")
    return json.dumps(fact, ensure_ascii=False, separators=(",", ":"))


class Matcher:
    """A set of durable_rules rulesets built from compiled definitions.

    :param definitions: one matcher ruleset definition per chunk, as produced by the compiler.
    :param label: a short tag used in the (unique) ruleset names, for debugging.
    """

    def __init__(self, definitions: Sequence[Mapping[str, Any]], label: str = "pp") -> None:
        handles: list[int] = []
        with _LOCK:
            try:
                for definition in definitions:
                    if CATCH_ALL not in definition:
                        raise EngineError("a ruleset without the catch-all rule would crash delete_state")
                    name = f"{label}-{next(_NAMES)}"
                    text = json.dumps(definition, ensure_ascii=False, separators=(",", ":"))
                    handle = _dre.create_ruleset(name, text)
                    handles.append(handle)
                    _LIVE.add(handle)
            except _dre.error as exc:
                _free(handles)
                raise EngineError(f"the matcher refused a compiled ruleset: {exc}") from None
            except BaseException:
                _free(handles)
                raise
        self._handles = tuple(handles)
        self._finalizer = weakref.finalize(self, _free, self._handles)

    def __len__(self) -> int:
        return len(self._handles)

    def close(self) -> None:
        """Free the rulesets now instead of when the matcher is garbage-collected."""
        self._finalizer()

    def fire(self, index: int, fact: Mapping[str, Any]) -> list[str]:
        """Assert ``fact`` into ruleset ``index`` and return the names of the rules that fired.

        The session is deleted before returning, whatever happens, so consecutive clients
        never see each other's facts.
        """
        if not self._finalizer.alive:
            raise EngineError("this compiled protocol has been closed")
        payload = dict(fact)
        payload["sid"] = _SID
        payload["_c"] = 1
        text = _encode(payload)
        handle = self._handles[index]
        fired: list[str] = []
        with _LOCK:
            asserted = False
            try:
                result = _dre.assert_fact(handle, text)
                asserted = True
                if result[0] != 0:
                    raise EngineError(f"the matcher did not accept the client fact (status {result[0]})")
                state = result[1]
                step = _dre.start_action_for_state(handle, state)
                message = step[1] if step else None
                while message:
                    fired.append(message[2 : message.index('"', 2)])
                    message = _dre.complete_and_start_action(handle, state)
            except _dre.error as exc:
                raise EngineError(f"the matcher failed while evaluating: {exc}") from None
            finally:
                if asserted:
                    try:
                        _dre.delete_state(handle, _SID)
                    except _dre.error as exc:  # pragma: no cover - would leave a live session behind
                        raise EngineError(f"could not delete the client session: {exc}") from None
        if CATCH_ALL not in fired:
            raise EngineError("the catch-all rule did not fire; the session state is undefined")
        return fired
