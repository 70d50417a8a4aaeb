"""Build small rules folders in a temporary directory, for tests of the engine itself.

Tests of the machinery should not depend on the clinical content (which changes as the
protocol grows), so they write tiny protocols of their own with :func:`write_protocol`.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import RULES

MANIFEST = {
    "id": "tiny",
    "title": "Tiny test protocol",
    "version": "1.2.3",
    "status": "draft",
    "owner": "tests",
    "last_review": "2026-01-01",
}

FACTS: dict[str, Any] = {
    "assessment_date": {
        "type": "date",
        "required": True,
        "label": "Assessment date",
        "description": "d",
        "question": "q",
    },
    "start_date": {"type": "date", "planning_only": True, "label": "Start", "description": "d", "question": "q"},
    "a": {"type": "boolean", "label": "A", "description": "fact a", "question": "a?"},
    "b": {"type": "boolean", "label": "B", "description": "fact b", "question": "b?"},
    "n": {"type": "integer", "minimum": 1, "maximum": 6, "label": "N", "description": "n", "question": "n?"},
    "kind": {"type": "enum", "values": ["oily", "dry"], "label": "Kind", "description": "k", "question": "k?"},
    "causes": {"type": "set", "values": ["x", "y"], "label": "Causes", "description": "c", "question": "c?"},
    "last": {"type": "date", "allow_never": True, "label": "Last", "description": "l", "question": "l?"},
    "previous_treatments": {"type": "treatment_history", "label": "History", "description": "h", "question": "h?"},
}

RISK: dict[str, Any] = {
    "type": "enum",
    "values": ["low", "high"],
    "derived": True,
    "default": "low",
    "label": "Risk",
    "description": "a derived level, for tests of chaining",
    "question": "-",
}
"""A derived fact to add to :data:`FACTS` where a test needs one."""

TECHNIQUES: dict[str, Any] = {
    "peel.one": {
        "family": "peel",
        "title": "Peel one",
        "exfoliates": True,
        "downtime": "a day",
        "downtime_level": "short",
        "invasiveness": 1,
        "sessions": {"typical": 3, "minimum": 1, "maximum": 4, "interval_min": "2 weeks", "interval_max": "4 weeks"},
    },
    "laser.two": {
        "family": "laser",
        "title": "Laser two",
        "exfoliates": False,
        "downtime": "none",
        "downtime_level": "none",
        "invasiveness": 1,
        "sessions": {"typical": 2, "minimum": 1, "maximum": 3, "interval_min": "1 month", "interval_max": "2 months"},
    },
}

EVIDENCE = [{"citation": "A test citation", "url": "https://example.org/source"}]


def rule(rule_id: str, kind: str, then: dict[str, Any], when: Any = None, **extra: Any) -> dict[str, Any]:
    """A complete rule with placeholder text, so tests only state what matters."""
    body: dict[str, Any] = {
        "id": rule_id,
        "kind": kind,
        "title": f"Rule {rule_id}",
        "then": then,
        "rationale": "Because the test says so.",
        "severity": "moderate",
        "evidence": EVIDENCE,
    }
    if when is not None:
        body["when"] = when
    if kind in ("contraindication", "suitability", "aftercare") and "applies_to" not in extra:
        body["applies_to"] = ["all"]
    body.update(extra)
    return body


def write_protocol(
    root: Path,
    rules: list[dict[str, Any]],
    facts: dict[str, Any] | None = None,
    techniques: dict[str, Any] | None = None,
    manifest: dict[str, Any] | None = None,
    agents: dict[str, Any] | None = None,
    evidence: dict[str, Any] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)

    def dump(data: Any) -> str:
        return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)

    (root / "protocol.yaml").write_text(dump(manifest or MANIFEST))
    (root / "vocabulary.yaml").write_text(dump({"facts": facts or FACTS}))
    (root / "techniques.yaml").write_text(dump({"techniques": techniques or TECHNIQUES}))
    (root / "rules.yaml").write_text(dump({"rules": rules}))
    if agents is not None:
        (root / "agents.yaml").write_text(dump({"agents": agents}))
    if evidence is not None:
        (root / "evidence.yaml").write_text(dump({"evidence": evidence}))
    return root


class _NoAliasDumper(yaml.SafeDumper):
    """Our loader refuses aliases, so test fixtures must never write them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_text(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.write_text(textwrap.dedent(text))
    return path


def copy_shipped(root: Path) -> Path:
    shutil.copytree(RULES, root)
    return root
