"""rules/fhir-mapping.yaml is validated with the rules: each mistake is located, with a did-you-mean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import engine
from tests.conftest import RULES


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    path = folder / "fhir-mapping.yaml"
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message", "hint"),
    [
        ("  pregnant:\n", "  pregnnt:\n", "unknown fact 'pregnnt'", "did you mean 'pregnant'?"),
        (
            "{system: atc, code: D10BA01",
            "{system: act, code: D10BA01",
            "unknown code system 'act'",
            "did you mean 'sct'?",
        ),
        ("- {value: 5, codes", "- {value: 7, codes", "7 is not a value of fitzpatrick", None),
        (
            "  keloid_history:\n    conditions:",
            "  keloid_history:\n    procedures:",
            "cannot be read from procedures",
            None,
        ),
        (
            "canonical_base: https://",
            "canonical_bse: https://",
            "unknown key 'canonical_bse'",
            "did you mean 'canonical_base'?",
        ),
    ],
)
def test_a_mistake_in_the_mapping_is_a_located_rules_error(
    tmp_path: Path, old: str, new: str, message: str, hint: str | None
) -> None:
    with pytest.raises(engine.RulesError) as caught:
        engine.load_protocol(_broken(tmp_path, old, new))
    issues = [i for i in caught.value.issues if message in i.message]
    assert issues, caught.value
    assert issues[0].file == "fhir-mapping.yaml" and issues[0].line is not None
    if hint:
        assert issues[0].hint == hint


def test_the_protocol_sha256_covers_the_mapping(tmp_path: Path, protocol: engine.Protocol) -> None:
    folder = _broken(tmp_path, "display: Keloid scar", "display: Keloid scar (checked)")
    assert engine.load_protocol(folder).sha256 != protocol.sha256


def test_a_folder_without_the_mapping_reads_project_codes(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    (folder / "fhir-mapping.yaml").unlink()
    mapping = engine.load_protocol(folder)._spec.fhir_mapping
    assert mapping is not None
    assert mapping.facts["pregnant"].observation == {(mapping.codesystem_url, "pregnant")}
