"""Same facts + same rules = byte-identical plan, stamped with the protocol's version and hash."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import engine
from tests.conftest import RULES


def test_two_loads_give_byte_identical_plans(tmp_path: Path, baseline: dict[str, Any]) -> None:
    copy = shutil.copytree(RULES, tmp_path / "elsewhere")
    one, two = engine.load_protocol(RULES), engine.load_protocol(copy)
    assert one.sha256 == two.sha256  # the hash ignores where the folder lives
    assert one.evaluate(baseline).model_dump_json() == two.evaluate(dict(reversed(baseline.items()))).model_dump_json()
    one.close()
    two.close()


def test_the_plan_is_stamped(protocol: engine.Protocol, baseline: dict[str, Any]) -> None:
    plan = protocol.evaluate(baseline)
    assert plan.protocol.id == protocol.id
    assert plan.protocol.version == protocol.version
    assert plan.protocol.sha256 == protocol.sha256 and len(plan.protocol.sha256) == 64
    assert plan.engine_version == engine.__version__


def test_any_change_to_a_rule_file_changes_the_hash(tmp_path: Path) -> None:
    copy = shutil.copytree(RULES, tmp_path / "rules")
    before = engine.load_protocol(copy)
    path = copy / "aftercare.yaml"
    path.write_text(path.read_text() + "\n# a comment\n")
    after = engine.load_protocol(copy)
    assert before.sha256 != after.sha256
    before.close()
    after.close()


def test_a_complete_risk_free_client_gets_a_ready_plan(protocol: engine.Protocol, baseline: dict[str, Any]) -> None:
    plan = protocol.evaluate(baseline)
    assert plan.status == "ready", plan.summary
    assert plan.missing_facts == ()
    assert {s.phase for s in plan.steps} >= {"consultation", "preparation", "treatment", "aftercare", "follow_up"}
