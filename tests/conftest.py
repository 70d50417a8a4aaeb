"""Fixtures shared by every test: the shipped protocol (loaded once) and a complete, risk-free client."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import engine

# tests.trace_results: --trace-results PATH, scenario outcomes for 'trace'/'docs';
# tests.rule_coverage: fails a complete run in which some rule was never true.
pytest_plugins = ("pytester", "tests.trace_results", "tests.rule_coverage")

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"


@pytest.fixture(scope="session", autouse=True)
def _private_protocol_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The compiled-protocol cache of commands run by the tests (in process or not) lives in the run's temp folder."""
    previous = os.environ.get("PORE_PROTOCOL_CACHE_DIR")
    os.environ["PORE_PROTOCOL_CACHE_DIR"] = str(tmp_path_factory.mktemp("protocol-cache"))
    yield
    if previous is None:
        os.environ.pop("PORE_PROTOCOL_CACHE_DIR", None)
    else:
        os.environ["PORE_PROTOCOL_CACHE_DIR"] = previous


BASELINE: dict[str, Any] = {
    "assessment_date": "2026-11-25",
    "age": 30,
    "pore_causes": ["excess_sebum", "congestion"],
    "sex_at_birth": "female",
    "pregnant": False,
    "breastfeeding": False,
    "fitzpatrick": 2,
    "skin_type": "oily",
    "downtime_tolerance": "short",
    "active_infection": False,
    "open_wounds": False,
    "skin_cancer_in_area": False,
    "unrealistic_expectations": False,
    "last_tan_or_sunburn": "never",
    "last_unprotected_sun": "never",
    "photosensitising_drugs": [],
    "photosensitising_drug_last_dose": "never",
    "st_johns_wort_last_dose": "never",
    "salicylate_allergy": False,
    "keloid_history": False,
    "eczema_or_dermatitis": False,
    "rosacea_active": False,
    "rosacea_tendency": False,
    "active_inflammatory_acne": False,
    "anticoagulant_use": False,
    "immunosuppressed": False,
    "autoimmune_disease": "none",
    "diabetes": "none",
    "facial_radiotherapy": False,
    "last_facial_surgery": "never",
    "melasma": False,
    "vitiligo": False,
    "pih_history": False,
    "isotretinoin_last_dose": "never",
    "topical_retinoid_last_use": "never",
    "herpes_simplex_history": False,
    "smoker": False,
    "elective_blood_thinners": False,
    "light_triggered_seizures": False,
    "previous_treatments": [],
    "last_facial_waxing": "never",
    "last_botulinum_toxin": "never",
    "last_dermal_filler": "never",
}
"""A client who answered every question of the intake vocabulary (2.0.0) and has no risk factor.

Every feature file shows these answers in its ``Background:`` table, and the step that reads
the table checks that it matches this dict, so the reviewer sees who the baseline client is.
"""


@pytest.fixture(scope="session")
def protocol() -> Iterator[engine.Protocol]:
    loaded = engine.load_protocol(RULES)
    yield loaded
    loaded.close()


@pytest.fixture
def baseline() -> dict[str, Any]:
    return copy.deepcopy(BASELINE)
