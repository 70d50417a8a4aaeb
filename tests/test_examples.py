"""The example clients in examples/ against their expected plans (golden files), byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import engine
from tests.golden import EXPECTED, REGENERATE, ROOT, examples, render
from tests.rule_coverage import record

EXAMPLES = examples()


def test_there_are_at_least_eight_examples_each_with_a_description() -> None:
    assert len(EXAMPLES) >= 8
    for example in EXAMPLES:
        header = example.read_text("utf-8").startswith("# ")
        assert header, f"{example.name} needs a comment header describing the client"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_plan_matches_its_golden_files(protocol: engine.Protocol, example: Path) -> None:
    record(protocol, yaml.safe_load(example.read_text("utf-8")))
    for suffix, got in render(protocol, example).items():
        golden = EXPECTED / f"{example.stem}.{suffix}"
        assert golden.is_file(), f"{golden.relative_to(ROOT)} is missing; create it with: {REGENERATE}"
        expected = golden.read_text("utf-8")
        if got != expected:
            stamp_only = _without_stamp(got) == _without_stamp(expected)
            hint = (
                "only the protocol's sha256 or version stamp differs (the rule files changed without changing "
                "this plan)"
                if stamp_only
                else "the plan itself changed"
            )
            pytest.fail(
                f"{golden.relative_to(ROOT)} no longer matches the plan: {hint}. If the rule change was "
                f"deliberate, regenerate with `{REGENERATE}` and review the diff of examples/expected/.",
                pytrace=False,
            )


def test_golden_files_have_no_orphans() -> None:
    names = {e.stem for e in EXAMPLES}
    orphans = sorted(p.name for p in EXPECTED.iterdir() if p.suffix in (".txt", ".json") and p.stem not in names)
    assert not orphans, f"golden files without an example: {orphans}; regenerate with `{REGENERATE}`"


def test_the_command_line_prints_the_golden_plan() -> None:
    """The golden files are what `pore-protocol evaluate` prints, not just what the library returns."""
    example = ROOT / "examples" / "isotretinoin-three-months.yaml"
    for fmt, suffix in (("text", "txt"), ("json", "json")):
        done = subprocess.run(
            [sys.executable, "-m", "engine", "evaluate", str(example.relative_to(ROOT)), "--format", fmt],
            cwd=ROOT,
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout == (EXPECTED / f"{example.stem}.{suffix}").read_bytes()


def _without_stamp(text: str) -> str:
    keep = []
    for line in text.splitlines():
        if "sha256" in line or line.startswith(("Engine ", "Pore reduction plan")) or '"engine_version"' in line:
            continue
        if line.strip().startswith('"version"'):
            continue
        keep.append(line)
    return "\n".join(keep)
