"""Swap the rules a long-running service evaluates with, without stopping it or mixing versions.

durable_rules cannot modify a loaded ruleset, so a reload builds a complete new
:class:`Protocol` (validated and compiled) *outside* any lock that evaluations wait on, then
replaces the reference to the current protocol in one assignment. Each evaluation reads
that reference once and uses the same :class:`Protocol` from start to finish, so one plan
is always built from one version of the rules, stamped with that version's sha256.

Nothing frees the old protocol explicitly while it may be in use: evaluations still
running hold a reference to it, and when the last of them returns (and nothing else holds
it) CPython's reference counting frees it at once, which frees its matcher rulesets
(``Protocol`` registers a finaliser for that). Code that keeps ``current`` in a variable
keeps that version alive; use :meth:`ReloadingProtocol.evaluate` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine._evaluate import Outcome
from engine._plan_model import TreatmentPlan
from engine._protocol import Protocol, load_protocol, shipped_rules_path

__all__ = ["ReloadingProtocol"]


class ReloadingProtocol:
    """A protocol whose rules can be reloaded while other threads evaluate with it.

    :param path: the rules folder (``None``: the rules shipped with the package). It is
        loaded at once, so an invalid folder raises :class:`RulesError` here.

    ``evaluate`` and friends never block on a reload; reloads are serialised among
    themselves, so two concurrent reloads cannot leave an older folder in place of a newer
    one. A reload that fails (:class:`RulesError`) leaves the current protocol in service.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self._path = Path(path) if path is not None else shipped_rules_path()
        self._reload_lock = threading.Lock()
        self._current: Protocol = load_protocol(self._path)

    def __repr__(self) -> str:
        return f"<ReloadingProtocol {self._current!r} from {self._path}>"

    @property
    def current(self) -> Protocol:
        """The protocol new evaluations use (a snapshot: it does not change under you)."""
        return self._current

    @property
    def path(self) -> Path:
        """The folder the next :meth:`reload` without argument reads."""
        return self._path

    def reload(self, path: str | Path | None = None) -> Protocol:
        """Load ``path`` (default: the folder loaded last) and make it current; return it.

        The new rules are validated and compiled before anything changes; on
        :class:`RulesError` the current protocol stays in service and the error propagates.
        """
        with self._reload_lock:
            root = Path(path) if path is not None else self._path
            fresh = load_protocol(root)
            self._current = fresh  # one reference assignment: atomic for every reader
            self._path = root
            return fresh

    def evaluate(self, facts: Mapping[str, Any]) -> TreatmentPlan:
        """:meth:`Protocol.evaluate` on the current rules; the whole plan comes from one version."""
        return self._current.evaluate(facts)

    def evaluate_document(self, text: bytes | str, source: str = "<facts>") -> TreatmentPlan:
        """:meth:`Protocol.evaluate_document` on the current rules."""
        return self._current.evaluate_document(text, source)

    def outcomes(self, facts: Mapping[str, Any]) -> Outcome:
        """:meth:`Protocol.outcomes` on the current rules."""
        return self._current.outcomes(facts)

    def close(self) -> None:
        """Free the current protocol's matcher rulesets now; evaluating afterwards raises :class:`EngineError`."""
        self._current.close()
