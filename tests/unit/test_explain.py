"""The practitioner's text: how the techniques waiting for answers are listed (engine/_explain.py)."""

from __future__ import annotations

from engine._explain import _waiting
from engine._plan_model import Pending


def _pending(technique: str, facts: tuple[str, ...], rules: tuple[str, ...] = ("R1",)) -> Pending:
    return Pending(technique=technique, title=technique.title(), missing_facts=facts, rules=rules)


def test_answers_every_waiting_technique_needs_are_said_once() -> None:
    lines = _waiting(
        [
            _pending("laser", ("fitzpatrick", "smoker", "vitiligo")),
            _pending("peel", ("fitzpatrick", "vitiligo")),
        ]
    )
    assert lines[0] == "  - all 2 need: fitzpatrick, vitiligo"
    assert lines[1] == "  - Laser [laser]: also needs smoker (R1)"
    assert lines[2] == "  - Peel [peel]: only those (R1)"
    assert sum("fitzpatrick" in line for line in lines) == 1


def test_without_shared_answers_each_technique_lists_its_own() -> None:
    lines = _waiting([_pending("laser", ("smoker",)), _pending("peel", ("vitiligo",))])
    assert lines == ["  - Laser [laser]: needs smoker (R1)", "  - Peel [peel]: needs vitiligo (R1)"]


def test_one_waiting_technique_lists_everything_it_needs_and_names_three_rules() -> None:
    lines = _waiting([_pending("peel", ("fitzpatrick", "vitiligo"), rules=("A", "B", "C", "D", "E"))])
    assert lines == ["  - Peel [peel]: needs fitzpatrick, vitiligo (A, B, C and 2 more rules)"]
