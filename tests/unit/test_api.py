"""The public API is exactly what ``engine.__all__`` lists; a new name cannot slip in unnoticed."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import engine


def test_all_lists_exactly_the_public_names() -> None:
    public = sorted(
        name
        for name in dir(engine)
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(getattr(engine, name), types.ModuleType)
        and name not in ("annotations", "Any")  # the __future__ import and a typing name
    )
    assert public == sorted(engine.__all__)


def test_importing_engine_loads_no_wing() -> None:
    """The core imports no wing: the batch names are loaded on first use, the CLI and tools only when run."""
    program = "import sys, engine; print(sorted(m for m in sys.modules if m.split('.')[:2][-1] in WINGS))"
    program = program.replace("WINGS", repr(("authoring", "batch", "cli", "service")))
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert engine.evaluate_batch.__module__ == "engine.batch._run"


def test_evaluate_imports_only_its_own_subcommand(tmp_path: Path) -> None:
    facts = tmp_path / "client.json"
    facts.write_text('{"assessment_date": "2026-11-25"}', encoding="utf-8")
    program = (
        "import sys\n"
        "from engine.cli import main\n"
        "main(['evaluate', sys.argv[1]])\n"
        "wings = ('engine.authoring', 'engine.batch', 'engine.service')\n"
        "wings = sorted(m for m in sys.modules if m.startswith(wings))\n"
        "print(wings, 'fastapi' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", program, str(facts)], capture_output=True, text=True, check=False)
    assert done.stderr.strip().splitlines()[-1] == "[] False"


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
        "CheckResult",
        "Violation",
        "Proposal",
    } <= set(engine.__all__)


def test_error_tree() -> None:
    assert issubclass(engine.RulesError, engine.PoreProtocolError)
    assert issubclass(engine.FactsError, engine.PoreProtocolError)
    assert issubclass(engine.EngineError, engine.PoreProtocolError)
    assert not issubclass(engine.RulesError, engine.FactsError)
