"""The command line as an integrator sees it: exit codes, stdout only on success, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import BASELINE, ROOT, RULES

EXAMPLE = ROOT / "examples" / "oily-skin-type-ii.yaml"


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, PYTHONWARNINGS="error")
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_evaluate_the_shipped_example_from_another_folder(tmp_path: Path) -> None:
    result = run("evaluate", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    plan = json.loads(result.stdout)
    assert plan["status"] == "ready"
    assert result.stderr == b""


def test_text_format_is_readable() -> None:
    result = run("evaluate", str(EXAMPLE), "--format", "text")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "Status: READY" in text and "Steps:" in text and "because REQ-CONSULTATION" in text


def test_stdin_and_json_input() -> None:
    result = run("evaluate", "-", stdin=json.dumps(BASELINE).encode())
    assert result.returncode == 0
    assert json.loads(result.stdout)["status"] == "ready"


def test_output_is_byte_identical_between_runs() -> None:
    assert run("evaluate", str(EXAMPLE)).stdout == run("evaluate", str(EXAMPLE)).stdout


@pytest.mark.parametrize(
    ("facts", "fragment"),
    [
        ({**BASELINE, "fitzpatrick": 9}, "fitzpatrick: 9 is outside 1-6"),
        ({**BASELINE, "pregnat": True}, "did you mean 'pregnant'?"),
    ],
)
def test_invalid_facts_exit_2_with_a_clear_message(tmp_path: Path, facts: dict[str, Any], fragment: str) -> None:
    path = tmp_path / "client.yaml"
    path.write_text(yaml.safe_dump(facts))
    result = run("evaluate", str(path))
    assert result.returncode == 2
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert fragment in stderr and "client.yaml:" in stderr
    assert "Traceback" not in stderr


def test_a_missing_facts_file_exits_2() -> None:
    result = run("evaluate", "no-such-client.yaml")
    assert result.returncode == 2 and b"does not exist" in result.stderr and b"Traceback" not in result.stderr


def test_invalid_rules_exit_3_and_list_every_problem(tmp_path: Path) -> None:
    import shutil

    rules = shutil.copytree(RULES, tmp_path / "rules")
    path = rules / "contraindications.yaml"
    path.write_text(
        path.read_text()
        .replace("active_infection: true", "active_infecton: true", 1)
        .replace("keloid_history: true", "keloid: true", 1)
    )
    for args in (("evaluate", str(EXAMPLE), "--rules", str(rules)), ("validate", str(rules))):
        result = run(*args)
        assert result.returncode == 3
        assert result.stdout == b""
        stderr = result.stderr.decode()
        assert "2 problems" in stderr and "contraindications.yaml:" in stderr
        assert "did you mean 'active_infection'?" in stderr
        assert "Traceback" not in stderr


def test_validate_the_shipped_rules() -> None:
    result = run("validate")
    assert result.returncode == 0
    assert b"OK: pore-reduction" in result.stdout


def test_usage_errors_exit_64() -> None:
    assert run("evaluate").returncode == 64
    assert run("frobnicate").returncode == 64


def test_running_main_in_process_leaves_nothing_frozen(capsys: pytest.CaptureFixture[str]) -> None:
    """main() keeps the collector off what it imported while it runs, and gives it all back when it returns."""
    import gc

    from engine.cli import main

    assert gc.get_freeze_count() == 0
    assert main(["evaluate", str(ROOT / "examples" / "oily-skin-type-ii.yaml")]) == 0
    assert json.loads(capsys.readouterr().out)["status"]
    assert gc.get_freeze_count() == 0
