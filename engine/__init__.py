"""pore-protocol: a data-driven protocol rules engine for pore reduction treatment.

Load the rules once, evaluate clients many times::

    import engine
    protocol = engine.load_protocol()          # the rules shipped with the package
    plan = protocol.evaluate({"assessment_date": "2026-11-25", "fitzpatrick": 2, ...})
    print(plan.status, plan.technique)
    plan.model_dump_json(indent=2)             # byte-identical for the same facts and rules
    protocol.check(facts, {"technique": "peel.salicylic", "sessions": ["2026-12-01"]}).verdict

Everything not listed in ``__all__`` is private and may change without notice.

The batch names (``evaluate_batch``, ``BatchResult``, ``RecordError``) come from the batch
wing, ``engine.batch``, and are imported on first use: importing ``engine`` never loads
the wing, since the core imports no wing.
"""

from __future__ import annotations

import gc as _gc
import typing
from typing import Any

# Importing the engine builds thousands of long-lived objects (classes, tables) and no
# garbage, so the cyclic collector's passes over them during the import only cost time
# (about 3% of a cold ``pore-protocol evaluate``). It is on again, if it was, once the import ends.
_COLLECTING = _gc.isenabled()
_gc.disable()
try:
    from engine._errors import EngineError, FactsError, Issue, PoreProtocolError, RulesError
    from engine._evaluate import Outcome, Truth
    from engine._facts import ClientFacts, Treatment
    from engine._model import FactSpec, Period, SessionSpec, TechniqueSpec
    from engine._plan_model import (
        Caution,
        Exclusion,
        Justification,
        MissingFact,
        Pending,
        Ranking,
        Step,
        TreatmentPlan,
    )
    from engine._protocol import Protocol, load_protocol, shipped_rules_path
    from engine._version import __version__
finally:
    if _COLLECTING:
        _gc.enable()

if typing.TYPE_CHECKING:  # imported on first use (below), so that a command line starts faster
    from engine._calendar import NotDatedError, render_ics
    from engine._check import CheckResult, Proposal, Violation
    from engine._explain import render_check_text, render_text
    from engine._reload import ReloadingProtocol

__all__ = [
    "BatchError",
    "BatchResult",
    "Caution",
    "CheckResult",
    "ClientFacts",
    "EngineError",
    "Exclusion",
    "FactSpec",
    "FactsError",
    "Issue",
    "Justification",
    "MissingFact",
    "NotDatedError",
    "Outcome",
    "Pending",
    "Period",
    "PoreProtocolError",
    "Proposal",
    "Protocol",
    "Ranking",
    "RecordError",
    "ReloadingProtocol",
    "RulesError",
    "SessionSpec",
    "Step",
    "TechniqueSpec",
    "Treatment",
    "TreatmentPlan",
    "Truth",
    "Violation",
    "__version__",
    "evaluate_batch",
    "load_protocol",
    "render_check_text",
    "render_ics",
    "render_text",
    "shipped_rules_path",
]

_FROM_BATCH = frozenset({"BatchError", "BatchResult", "RecordError", "evaluate_batch"})
_LAZY = {
    "NotDatedError": "engine._calendar",
    "render_ics": "engine._calendar",
    "CheckResult": "engine._check",
    "Proposal": "engine._check",
    "Violation": "engine._check",
    "render_check_text": "engine._explain",
    "render_text": "engine._explain",
    "ReloadingProtocol": "engine._reload",
}
"""Core names imported on first use: ``pore-protocol evaluate`` needs none of their modules, and
importing them all made up about a tenth of its start-up."""


def __getattr__(name: str) -> Any:
    """The batch wing's public names, and the core's lazy ones, imported when first asked for (PEP 562)."""
    if name in _FROM_BATCH:
        import engine.batch

        value = getattr(engine.batch, name)
        globals()[name] = value
        return value
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_BATCH, *_LAZY})
