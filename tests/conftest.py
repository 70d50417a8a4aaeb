"""Fixtures shared by every test: the shipped protocol (loaded once) and a complete, risk-free client."""

from __future__ import annotations

import copy
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

BASELINE: dict[str, Any] = {
    "assessment_date": "2026-11-25",
    "age": 30,
    "fitzpatrick": 2,
    "skin_type": "oily",
    "pore_causes": ["excess_sebum", "congestion"],
    "downtime_tolerance": "short",
    "pregnant": False,
    "breastfeeding": False,
    "isotretinoin_last_dose": "never",
    "topical_retinoid_last_use": "never",
    "active_infection": False,
    "herpes_simplex_history": False,
    "keloid_history": False,
    "open_wounds": False,
    "active_inflammatory_acne": False,
    "rosacea": False,
    "eczema_or_dermatitis": False,
    "recent_tan_or_sunburn": False,
    "salicylate_allergy": False,
    "photosensitising_medication": False,
    "anticoagulant_use": False,
    "immunosuppressed": False,
    "melasma": False,
    "vitiligo": False,
    "pih_history": False,
    "last_facial_waxing": "never",
    "last_botulinum_toxin": "never",
    "last_dermal_filler": "never",
    "last_facial_surgery": "never",
    "diabetes": "none",
    "facial_radiotherapy": False,
    "smoker": False,
    "skin_cancer_in_area": False,
    "unrealistic_expectations": False,
    "light_triggered_seizures": False,
    "elective_blood_thinners": False,
    "unprotected_sun_last_2_months": False,
    "previous_treatments": [],
}
"""A client who answered every question of the minimum vocabulary and has no risk factor."""


@pytest.fixture(scope="session")
def protocol() -> Iterator[engine.Protocol]:
    loaded = engine.load_protocol(RULES)
    yield loaded
    loaded.close()


@pytest.fixture
def baseline() -> dict[str, Any]:
    return copy.deepcopy(BASELINE)
