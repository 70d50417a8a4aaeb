"""The planner's three parts, and what happens when a plan breaks a safety invariant.

A plan that breaks an invariant is a bug in the engine, never the caller's fault: it is not
returned, and the failure is an ``EngineError`` (exit 4 on the command line, error kind
``engine`` in a batch), never a ``pydantic.ValidationError`` traceback.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest

import engine
from engine import _decide, _holding, _plan
from engine._decide import Decision, RankKey
from engine._holding import Holding
from engine._model import RuleKind
from engine.batch._run import run_batch
from tests.conftest import ROOT

# Makes the decision choose the first technique the rules exclude, as a planner bug would.
_FORCE_EXCLUDED = textwrap.dedent(
    """
    import dataclasses
    from engine import _plan

    _real = _plan.decide

    def _broken(*args):
        decision = _real(*args)
        excluded = next(iter(decision.excluded))
        return dataclasses.replace(decision, chosen=excluded, status="ready")

    _plan.decide = _broken
    """
)


@pytest.fixture
def dark_skin(baseline: dict[str, Any]) -> dict[str, Any]:
    baseline["fitzpatrick"] = 6  # excludes ablative resurfacing
    return baseline


def _force_excluded(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _plan.decide

    def broken(*args: Any) -> Decision:
        decision = real(*args)
        return dataclasses.replace(decision, chosen=next(iter(decision.excluded)), status="ready")

    monkeypatch.setattr(_plan, "decide", broken)


def test_a_broken_invariant_is_an_engine_error(
    protocol: engine.Protocol, dark_skin: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _force_excluded(monkeypatch)
    with pytest.raises(engine.EngineError, match=r"safety invariant.*excluded"):
        protocol.evaluate(dark_skin)


def test_a_broken_invariant_is_an_engine_error_in_a_batch(
    protocol: engine.Protocol, dark_skin: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _force_excluded(monkeypatch)
    [result] = list(run_batch([(1, 1, dark_skin)], rules=protocol.path, workers=1, protocol=protocol))
    assert result.error is not None
    assert result.error.kind == "engine"
    assert "safety invariant" in result.error.message


def test_the_command_line_exits_4_without_a_traceback(dark_skin: dict[str, Any], tmp_path: Path) -> None:
    facts = tmp_path / "client.json"
    facts.write_text(json.dumps(dark_skin), encoding="utf-8")
    program = _FORCE_EXCLUDED + "from engine.cli import main\nraise SystemExit(main(['evaluate', sys.argv[1]]))\n"
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + program, str(facts)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 4, done.stderr
    assert "engine failure" in done.stderr and "safety invariant" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_holding_lists_kinds_in_the_order_of_its_fields() -> None:
    fields = [f.name for f in dataclasses.fields(Holding)]
    kinds = list(typing.get_args(RuleKind))
    assert len(fields) == len(kinds) + 1 and fields[-1] == "unknown"
    assert {kind: n for n, kind in enumerate(kinds)} == _holding._SLOT
    names = {"contraindication": "contraindications", "requirement": "requirements"}
    assert [names.get(kind, kind) for kind in kinds] == fields[:-1]


def test_the_rank_key_weighs_cautions_then_score_then_invasiveness_then_catalogue() -> None:
    def key(cautions: int, score: int, invasiveness: int, catalogue: int, candidate: bool = True) -> RankKey:
        return RankKey(
            not_candidate=not candidate,
            cautions=cautions,
            minus_score=-score,
            invasiveness=invasiveness,
            catalogue=catalogue,
        )

    best = key(0, 3, 2, 9)
    deeper = key(0, 3, 3, 0)  # as good, more invasive
    later = key(0, 3, 3, 1)  # as good and as invasive, later in the catalogue
    weaker = key(0, 2, 1, 0)  # a lower score loses, however gentle
    cautious = key(1, 9, 1, 0)  # a caution loses to every technique without one
    outsider = key(0, 9, 1, 0, candidate=False)
    assert sorted([outsider, cautious, weaker, later, deeper, best]) == [
        best,
        deeper,
        later,
        weaker,
        cautious,
        outsider,
    ]


def test_the_decision_is_plain_data(protocol: engine.Protocol, baseline: dict[str, Any]) -> None:
    tables = protocol._tables
    outcome = protocol.outcomes(baseline)
    decision = _decide.decide(tables, outcome, _holding.holding(tables, outcome))
    assert decision.status == "ready" and decision.chosen == protocol.evaluate(baseline).technique
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.chosen = None  # type: ignore[misc]
    assert decision.ranking[0].technique == decision.chosen
    assert [row.key for row in decision.ranking] == sorted(row.key for row in decision.ranking)


# ----------------------------------------------------------------------------- choosing as a clinician would


def _choose(
    tmp_path: Path, rules: list[dict[str, Any]], invasive: dict[str, int], **facts: Any
) -> engine.TreatmentPlan:
    from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

    vocabulary = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
    techniques = {t: {**spec, "invasiveness": invasive[t]} for t, spec in TECHNIQUES.items()}
    cause = rule("SUIT-X", "suitability", {"argument": "for", "strength": "moderate"}, {"causes": {"includes": "x"}})
    root = write_protocol(tmp_path / "rules", [cause, *rules], facts=vocabulary, techniques=techniques)
    protocol = engine.load_protocol(root)
    try:
        return protocol.evaluate({"assessment_date": "2026-11-25", "a": False, "b": False, "causes": ["x"], **facts})
    finally:
        protocol.close()


def test_a_technique_is_indicated_only_by_a_cause_argument(tmp_path: Path) -> None:
    from tests.protocols import rule

    adjuster = rule("SUIT-OILY", "suitability", {"argument": "for", "strength": "strong"}, {"a": False})
    adjuster["applies_to"] = ["laser.two"]
    cause_only_peel = rule(
        "SUIT-X-PEEL", "suitability", {"argument": "for", "strength": "weak"}, {"causes": {"includes": "y"}}
    )
    cause_only_peel["applies_to"] = ["peel.one"]
    plan = _choose(tmp_path, [adjuster, cause_only_peel], {"peel.one": 1, "laser.two": 2}, causes=["y"])
    rows = {r.technique: r for r in plan.ranking}
    assert rows["laser.two"].status == "not_indicated" and rows["laser.two"].indicated_by == ()
    assert rows["peel.one"].indicated_by == ("SUIT-X-PEEL",)
    assert plan.technique == "peel.one"


def test_ties_go_to_the_less_invasive_technique(tmp_path: Path) -> None:
    plan = _choose(tmp_path, [], {"peel.one": 3, "laser.two": 1})  # SUIT-X argues equally for both
    assert plan.technique == "laser.two"
    assert plan.choice is not None and "Peel one (equal score, more invasive (3))" in plan.choice


def test_a_caution_ranks_below_a_lower_score_without_one(tmp_path: Path) -> None:
    from tests.protocols import rule

    boost = rule("SUIT-MORE", "suitability", {"argument": "for", "strength": "strong"})
    boost["applies_to"] = ["peel.one"]
    caution = rule("CI-REVIEW", "contraindication", {"level": "relative"}, applies_to=["peel.one"])
    plan = _choose(tmp_path, [boost, caution], {"peel.one": 1, "laser.two": 5})
    assert plan.technique == "laser.two" and plan.status == "ready"
    assert plan.cautions == ()  # the alternative's caution stays with the alternative
    assert next(r for r in plan.ranking if r.technique == "peel.one").cautions == ("CI-REVIEW",)


def test_of_techniques_free_on_the_same_day_the_plan_names_the_one_ranked_first(tmp_path: Path) -> None:
    """Both excluded until the same day: the summary names the better ranked (here the less invasive,
    ``peel.one``), not the first by id (``laser.two``)."""
    from tests.protocols import rule

    barred = rule(
        "CI-A",
        "contraindication",
        {"level": "absolute", "wait": {"after": "last", "period": "6 months"}},
        {"last": {"within": "6 months"}},
    )
    plan = _choose(tmp_path, [barred], {"peel.one": 1, "laser.two": 2}, last="2026-11-01")
    assert plan.status == "not_suitable" and plan.reconsider_from == "2027-05-01"
    assert [e.reconsider_from for e in plan.excluded] == ["2027-05-01", "2027-05-01"]
    assert "first that may be reconsidered is Peel one, from 2027-05-01;" in " ".join(plan.summary.split())


def test_a_technique_to_reconsider_that_carries_a_caution_today_is_said_to_need_review(tmp_path: Path) -> None:
    from tests.protocols import rule

    barred = rule(
        "CI-A",
        "contraindication",
        {"level": "absolute", "wait": {"after": "last", "period": "6 months"}},
        {"last": {"within": "6 months"}},
    )
    review = rule("CI-REVIEW", "contraindication", {"level": "relative"}, applies_to=["peel.one", "laser.two"])
    plan = _choose(tmp_path, [barred, review], {"peel.one": 1, "laser.two": 2}, last="2026-11-01")
    summary = " ".join(plan.summary.split())
    assert "is Peel one, from 2027-05-01 (after a practitioner's review: today it carries CI-REVIEW);" in summary


def test_the_practitioners_choice_is_planned_only_when_safe(tmp_path: Path) -> None:
    from tests.protocols import FACTS, TECHNIQUES, rule, write_protocol

    vocabulary = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
    cause = rule("SUIT-X", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})
    cause["applies_to"] = ["peel.one"]
    other = rule("SUIT-Y", "suitability", {"argument": "for", "strength": "weak"}, {"causes": {"includes": "y"}})
    other["applies_to"] = ["laser.two"]
    barred = rule(
        "CI-A",
        "contraindication",
        {"level": "absolute", "wait": {"after": "last", "period": "6 months"}},
        {"last": {"within": "6 months"}},
        applies_to=["laser.two"],
    )
    asks = rule("CI-B", "contraindication", {"level": "absolute"}, {"b": True}, applies_to=["laser.two"])
    root = write_protocol(tmp_path / "rules", [cause, other, barred, asks], facts=vocabulary, techniques=TECHNIQUES)
    protocol = engine.load_protocol(root)
    client = {"assessment_date": "2026-11-25", "a": False, "b": False, "causes": ["x"], "last": "never"}
    try:
        plan = protocol.evaluate(client, technique="laser.two")  # safe, but nothing indicates it
        assert plan.technique is None and plan.status == "not_suitable"
        assert "practitioner's choice, is not indicated for the pore cause" in plan.summary
        plan = protocol.evaluate({**client, "causes": ["x", "y"]}, technique="laser.two")  # y indicates it
        assert plan.technique == "laser.two" and plan.status == "ready"
        assert plan.choice is not None and "practitioner's choice" in plan.choice and "ranks it 2" in plan.choice
        plan = protocol.evaluate({**client, "causes": ["y"], "last": "2026-11-01"}, technique="laser.two")
        assert plan.status == "not_suitable" and plan.technique is None
        assert plan.reconsider_from == "2027-05-01" and "reconsidered from 2027-05-01" in plan.summary
        plan = protocol.evaluate({**client, "causes": ["y"], "b": None}, technique="laser.two")
        assert plan.status == "needs_information" and [m.fact for m in plan.missing_facts] == ["b"]
        assert protocol.evaluate({**client, "b": None}).technique is None  # b decides laser.two: asked either way
        with pytest.raises(engine.FactsError, match=r"did you mean 'laser\.two'"):
            protocol.evaluate(client, technique="laser.tow")
    finally:
        protocol.close()


def test_questions_that_hold_back_more_techniques_come_first(tmp_path: Path) -> None:
    from tests.protocols import FACTS, rule, write_protocol

    vocabulary = {**FACTS, "causes": {**FACTS["causes"], "indication": True}}
    cause = rule("SUIT-X", "suitability", {"argument": "for", "strength": "strong"}, {"causes": {"includes": "x"}})
    one = rule("CI-ONE", "contraindication", {"level": "absolute"}, {"a": True}, applies_to=["peel.one"])
    both = rule("CI-BOTH", "contraindication", {"level": "absolute"}, {"b": True}, applies_to=["all"])
    protocol = engine.load_protocol(write_protocol(tmp_path / "rules", [cause, one, both], facts=vocabulary))
    try:
        plan = protocol.evaluate({"assessment_date": "2026-11-25", "causes": ["x"]})
        assert [m.fact for m in plan.missing_facts] == ["b", "a"]  # b holds back both techniques, a one
    finally:
        protocol.close()


def test_a_plan_is_the_same_whether_or_not_the_outcome_lists_its_true_rules(protocol: engine.Protocol) -> None:
    """The planner's short cuts that read ``Outcome.true_rules`` (the consultation's steps, the
    agent checks) give the same plan as the walk over the rules that hold, which an outcome
    made without that list (``true_rules`` empty) takes."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from population import population
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    spec, tables = protocol._spec, protocol._tables
    for facts in population(protocol, 150, 7):
        try:
            checked = protocol.check_facts(facts)
        except engine.FactsError:
            continue
        outcome = protocol.outcomes(facts)
        assert outcome.true_rules
        bare = dataclasses.replace(outcome, true_rules=frozenset())
        for technique in (None, next(iter(protocol.techniques))):
            listed = _plan.build_plan(spec, checked, outcome, tables, technique)
            walked = _plan.build_plan(spec, checked, bare, tables, technique)
            assert walked.model_dump_json() == listed.model_dump_json()
