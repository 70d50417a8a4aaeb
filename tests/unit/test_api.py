"""The public API is exactly what ``engine.__all__`` lists; a new name cannot slip in unnoticed."""

from __future__ import annotations

import engine


def test_all_lists_exactly_the_public_names() -> None:
    public = sorted(name for name in vars(engine) if not name.startswith("_") or name == "__version__")
    modules = {"cli", "annotations"}  # a submodule, and the __future__ import
    assert sorted(set(public) - modules) == sorted(engine.__all__)


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
