"""The public API is exactly what ``engine.__all__`` lists; a new name cannot slip in unnoticed."""

from __future__ import annotations

import types

import engine


def test_all_lists_exactly_the_public_names() -> None:
    public = sorted(
        name
        for name, value in vars(engine).items()
        if (not name.startswith("_") or name == "__version__") and not isinstance(value, types.ModuleType)
    )
    assert sorted(set(public) - {"annotations"}) == sorted(engine.__all__)  # less the __future__ import


def test_all_is_sorted() -> None:
    assert list(engine.__all__) == sorted(engine.__all__)


def test_pinned_names() -> None:
    assert {
        "load_protocol",
        "Protocol",
        "TreatmentPlan",
        "RulesError",
        "FactsError",
        "EngineError",
        "PoreProtocolError",
        "ReloadingProtocol",
    } <= set(engine.__all__)


def test_error_tree() -> None:
    assert issubclass(engine.RulesError, engine.PoreProtocolError)
    assert issubclass(engine.FactsError, engine.PoreProtocolError)
    assert issubclass(engine.EngineError, engine.PoreProtocolError)
    assert not issubclass(engine.RulesError, engine.FactsError)
