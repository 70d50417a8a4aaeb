"""Facts read out of FHIR resources through rules/fhir-mapping.yaml: absence is unknown, a yes wins, latest dates."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.service import FactReader, resources_of
from tests.conftest import BASELINE, ROOT
from tests.service.records import bundle, record_for

DAY = dt.date(2026, 11, 25)
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ATC = "http://www.whocc.no/atc"


@pytest.fixture(scope="module")
def reader(protocol: engine.Protocol) -> FactReader:
    mapping = protocol._spec.fhir_mapping
    assert mapping is not None
    return FactReader(mapping, protocol.facts)


def _read(reader: FactReader, *resources: dict[str, Any]) -> dict[str, Any]:
    return reader.read(resources_of(list(resources)), DAY).facts


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _condition(code: str, clinical: str = "active", verification: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": _concept("http://terminology.hl7.org/CodeSystem/condition-clinical", clinical),
        "code": _concept(SCT, code),
        "subject": {"reference": "Patient/p1"},
    }
    if verification:
        found["verificationStatus"] = _concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification
        )
    return found


def test_every_fact_of_the_baseline_client_round_trips_through_project_codes(
    protocol: engine.Protocol, reader: FactReader
) -> None:
    facts = {k: v for k, v in BASELINE.items() if k != "assessment_date"}
    facts["previous_treatments"] = [{"technique": "peel.salicylic", "date": "2026-06-01", "reaction": "none"}]
    facts["last_facial_waxing"] = "2026-10-01"
    facts["pore_causes"] = sorted(facts["pore_causes"])  # a set is read back in sorted order
    got = _read(reader, bundle(record_for(protocol, facts)))
    assert got == facts


def test_the_shipped_mapping_covers_every_intake_fact(protocol: engine.Protocol) -> None:
    mapping = protocol._spec.fhir_mapping
    assert mapping is not None
    intake = {name for name, fact in protocol.facts.items() if not fact.derived}
    assert set(mapping.facts) == intake
    text = (ROOT / "rules" / "fhir-mapping.yaml").read_text("utf-8")
    listed = {
        line.split(":")[0].strip()
        for line in text.split("\nfacts:\n")[1].splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    }
    assert intake - {"assessment_date", "start_date"} <= listed, "every intake fact has an entry in the file"


def test_absence_is_unknown_never_no(reader: FactReader) -> None:
    assert _read(reader, {"resourceType": "Patient", "id": "p1"}) == {}
    assert _read(reader, bundle([])) == {}


def test_standard_codes_give_answers(reader: FactReader) -> None:
    pregnancy = {
        "resourceType": "Observation",
        "status": "final",
        "code": _concept(LOINC, "82810-3"),
        "effectiveDateTime": "2026-11-20",
        "valueCodeableConcept": _concept(SCT, "60001007"),
    }
    smoking = {
        "resourceType": "Observation",
        "status": "final",
        "code": _concept(LOINC, "72166-2"),
        "valueCodeableConcept": _concept(SCT, "449868002"),
    }
    isotretinoin = {
        "resourceType": "MedicationStatement",
        "status": "completed",
        "medicationCodeableConcept": _concept(ATC, "D10BA01"),
        "effectivePeriod": {"start": "2026-01-01", "end": "2026-08-31"},
    }
    facts = _read(
        reader,
        pregnancy,
        smoking,
        isotretinoin,
        _condition("1475003"),
        {"resourceType": "Patient", "birthDate": "1990-05-01"},
    )
    assert facts == {
        "pregnant": False,
        "smoker": True,
        "isotretinoin_last_dose": "2026-08-31",
        "active_infection": True,
        "herpes_simplex_history": True,
        "age": 36,
    }


def test_an_inactive_condition_is_history_not_an_active_infection(reader: FactReader) -> None:
    assert _read(reader, _condition("1475003", clinical="resolved")) == {"herpes_simplex_history": True}


def test_a_refuted_condition_is_no_and_a_yes_wins_over_it(reader: FactReader) -> None:
    assert _read(reader, _condition("33659008", verification="refuted")) == {"keloid_history": False}
    both = _read(reader, _condition("33659008", verification="refuted"), _condition("33659008"))
    assert both == {"keloid_history": True}


def test_an_active_medication_without_an_end_is_ongoing(reader: FactReader) -> None:
    taking = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": _concept("http://www.nlm.nih.gov/research/umls/rxnorm", "197844"),
    }
    assert _read(reader, taking) == {"isotretinoin_last_dose": "ongoing"}


def test_the_latest_observation_wins_and_disagreeing_latest_ones_leave_it_unknown(
    protocol: engine.Protocol, reader: FactReader
) -> None:
    system = protocol._spec.fhir_mapping.codesystem_url  # type: ignore[union-attr]

    def fitz(value: int, day: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "status": "final",
            "code": _concept(system, "fitzpatrick"),
            "effectiveDateTime": day,
            "valueInteger": value,
        }

    assert _read(reader, fitz(2, "2025-01-01"), fitz(4, "2026-11-01")) == {"fitzpatrick": 4}
    extraction = reader.read(resources_of([fitz(2, "2026-11-01"), fitz(4, "2026-11-01")]), DAY)
    assert extraction.facts == {}
    assert any("disagree" in note for note in extraction.notes)


def test_an_entered_in_error_observation_is_ignored(reader: FactReader) -> None:
    wrong = {
        "resourceType": "Observation",
        "status": "entered-in-error",
        "code": _concept(LOINC, "82810-3"),
        "valueCodeableConcept": _concept(SCT, "77386006"),
    }
    assert _read(reader, wrong) == {}


def test_a_partial_birth_date_that_leaves_the_age_open_is_unknown(reader: FactReader) -> None:
    assert _read(reader, {"resourceType": "Patient", "birthDate": "1990"}) == {}
    assert _read(reader, {"resourceType": "Patient", "birthDate": "1990-01"}) == {"age": 36}


def test_fhir_facts_prints_what_the_mapping_extracts(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps(bundle([_condition("56727007")])), "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "engine", "fhir", "facts", str(record), "--assessment-date", "2026-11-25"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"assessment_date": "2026-11-25", "vitiligo": True}


def test_fhir_facts_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text("{not json", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "engine", "fhir", "facts", str(record)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2
    assert "not FHIR JSON" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
