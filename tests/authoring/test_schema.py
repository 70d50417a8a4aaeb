"""``pore-protocol schema``: the committed schemas are current, and the shipped files validate against them."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import engine
from engine.authoring._schema import SCHEMAS, build_schemas, schema_text
from engine.cli import main
from tests.conftest import BASELINE, ROOT, RULES

SCHEMA_DIR = ROOT / "schemas"
REGENERATE = "regenerate them with: pore-protocol schema --all --output schemas/"
_COMMENT = "# yaml-language-server: $schema=../schemas/"


def _plain(value: Any) -> Any:
    """YAML data as an editor sees it: dates are strings (YAML 1.2 has no date type)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def schemas(protocol: engine.Protocol) -> dict[str, dict[str, Any]]:
    return build_schemas(protocol._spec)


def _validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def _errors(schema: dict[str, Any], data: Any) -> list[str]:
    """Every message, including those inside anyOf branches (an editor shows the closest one)."""
    out: list[str] = []
    pending = list(_validator(schema).iter_errors(data))
    while pending:
        error = pending.pop(0)
        out.append(f"{list(error.absolute_path)}: {error.message}")
        pending.extend(error.context or ())
    return out


@pytest.mark.parametrize("name", SCHEMAS)
def test_committed_schema_is_up_to_date(schemas: dict[str, dict[str, Any]], name: str) -> None:
    path = SCHEMA_DIR / f"{name}.schema.json"
    assert path.is_file(), f"{path} is missing; {REGENERATE}"
    assert path.read_text("utf-8") == schema_text(schemas[name]), f"{path} is out of date; {REGENERATE}"


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_a_valid_draft7_schema(schemas: dict[str, dict[str, Any]], name: str) -> None:
    jsonschema.Draft7Validator.check_schema(schemas[name])


@pytest.mark.parametrize(
    "path",
    # fhir-mapping.yaml has no editor schema yet; the loader validates it (engine/_fhir_mapping.py)
    sorted(p for p in RULES.glob("*.yaml") if p.name != "fhir-mapping.yaml"),
    ids=lambda p: p.name,
)
def test_shipped_rule_file_names_its_schema_first_and_validates(schemas: dict[str, dict[str, Any]], path: Path) -> None:
    first = path.read_text("utf-8").splitlines()[0]
    assert first.startswith(_COMMENT), f"{path.name} must start with '{_COMMENT}<name>.schema.json'"
    name = first.removeprefix(_COMMENT).removesuffix(".schema.json")
    expected = {
        "protocol.yaml": "protocol",
        "vocabulary.yaml": "vocabulary",
        "techniques.yaml": "techniques",
        "evidence.yaml": "evidence",
        "agents.yaml": "agents",
    }
    assert name == expected.get(path.name, "rules")
    data = _plain(yaml.safe_load(path.read_text("utf-8")))
    assert not _errors(schemas[name], data)


def test_client_facts_validate(schemas: dict[str, dict[str, Any]]) -> None:
    assert not _errors(schemas["facts"], BASELINE)
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        assert not _errors(schemas["facts"], _plain(yaml.safe_load(example.read_text("utf-8")))), example.name
    assert not _errors(schemas["facts"], {"assessment_date": "2026-01-15", "pregnant": None})


def test_facts_schema_rejects_what_the_engine_rejects(schemas: dict[str, dict[str, Any]]) -> None:
    facts = copy.deepcopy(BASELINE)
    facts.update(fitzpatrick=7, skin_type="greasy", pregant=True, isotretinoin_last_dose="last year")
    facts["pore_causes"] = ["congestion", "congestion"]
    del facts["assessment_date"]
    problems = "\n".join(_errors(schemas["facts"], facts))
    for expected in ("'assessment_date' is a required property", "7 is greater than the maximum of 6", "'greasy'"):
        assert expected in problems
    assert "'pregant' was unexpected" in problems
    assert "non-unique" in problems
    assert "'last year'" in problems


def _rule(**changes: Any) -> dict[str, Any]:
    rule = {
        "id": "CI-TEST",
        "kind": "contraindication",
        "title": "A test rule",
        "applies_to": ["peel.*"],
        "when": {"fitzpatrick": {"at_least": 4}},
        "then": {"level": "absolute"},
        "rationale": "Written for the schema tests.",
        "severity": "high",
        "evidence": [{"citation": "Test", "url": "https://example.org"}],
    }
    rule.update(changes)
    return {"rules": [rule]}


def test_rules_schema_accepts_a_correct_rule(schemas: dict[str, dict[str, Any]]) -> None:
    assert not _errors(schemas["rules"], _rule())
    nested = {"any": [{"pregnant": True}, {"all": [{"skin_type": {"one_of": ["oily", "dry"]}}, {"not": {"age": 30}}]}]}
    assert not _errors(schemas["rules"], _rule(when=nested))
    history = {"previous_treatment": {"technique": "laser.*", "within": "4 weeks"}}
    assert not _errors(schemas["rules"], _rule(when=history))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"when": {"fitzpatrik": {"at_least": 4}}}, "'fitzpatrik' was unexpected"),
        ({"when": {"fitzpatrick": {"at_least": 9}}}, "9 is greater than the maximum of 6"),
        ({"when": {"skin_type": {"at_least": 4}}}, "'at_least' was unexpected"),
        ({"when": {"pregnant": True, "melasma": True}}, "has too many properties"),
        ({"when": {"isotretinoin_last_dose": {"within": "six months"}}}, "does not match"),
        ({"applies_to": ["peel.glycolc"]}, "'peel.glycolc' is not one of"),
        ({"then": {"argument": "for", "strength": "strong"}}, "'level' is a required property"),
        ({"kind": "suitability", "then": {"argument": "for", "strength": "huge"}}, "'huge' is not one of"),
        ({"kind": "derived", "then": {"fact": "pih_risk", "value": "high"}}, "is expected to be empty"),
        ({"id": "ci-lower"}, "does not match"),
        ({"then": {"level": "absolute", "wait": {"after": "pregnant", "period": "6 months"}}}, "'pregnant' is not one"),
    ],
)
def test_rules_schema_rejects_mistakes(
    schemas: dict[str, dict[str, Any]], changes: dict[str, Any], expected: str
) -> None:
    problems = "\n".join(_errors(schemas["rules"], _rule(**changes)))
    assert expected in problems, problems


def test_rules_schema_completes_names_from_the_vocabulary(schemas: dict[str, dict[str, Any]]) -> None:
    definitions = schemas["rules"]["definitions"]
    assert "fitzpatrick" in definitions["condition"]["properties"]
    assert "start_date" not in definitions["condition"]["properties"]  # planning only
    assert {"peel.salicylic", "peel.*", "all"} <= set(definitions["selector"]["enum"])
    assert definitions["then.derived"]["properties"]["fact"]["enum"] == ["pih_risk"]


def test_cli_writes_and_prints_schemas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", str(RULES), "--all", "--output", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.schema.json" for n in SCHEMAS)
    capsys.readouterr()
    assert main(["schema", "--facts"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("Client facts")
    out = tmp_path / "rules.json"
    assert main(["schema", "--rules", "--output", str(out)]) == 0
    assert json.loads(out.read_text("utf-8"))["required"] == ["rules"]
