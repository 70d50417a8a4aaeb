"""The durable_rules path against the reference evaluator, rule by rule.

Three layers:

* Kleene truth tables of ``all``/``any``/``not`` with unknown, checked by hand against the
  reference interpreter *and* against the matcher (through a four-rule protocol);
* 10,000 generated clients of the shipped protocol (``CLIENT_CASES``): every rule's
  outcome from ``Protocol.outcomes`` (durable_rules) equals the reference's, and so do the
  derived facts;
* generated *rule sets*: random conditions over the whole vocabulary, with every operator
  the rule language has (the shipped rules use only a few), extra derived facts with tied
  and extreme priorities and a derived fact that reads derived facts, each evaluated on
  generated clients. This is what checks the compiler's De Morgan and DNF expansion.

Hypothesis runs derandomised (``pore-ci`` profile in ``tests/strategies.py``), so CI sees
the same cases on every run; ``scripts/differential.py`` runs any number with any seed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import importlib.util
import itertools
import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, reject
from hypothesis import strategies as st

import engine
from engine._issues import CORE_FILES
from engine._model import Period
from engine._spec import Atom
from tests.conftest import RULES
from tests.reference_evaluator import (
    FALSE,
    TRUE,
    UNKNOWN,
    Reference,
    kleene_and,
    kleene_not,
    kleene_or,
    reference_outcomes,
)
from tests.strategies import EXTRA_DERIVED, clients, profile, rule_sets, to_yaml

CLIENT_CASES = 10_000
RULE_SET_CASES = 64
CLIENTS_PER_RULE_SET = 12

V = (TRUE, FALSE, UNKNOWN)


# ----------------------------------------------------------------------------- truth tables

AND = {
    (TRUE, TRUE): TRUE,
    (TRUE, FALSE): FALSE,
    (TRUE, UNKNOWN): UNKNOWN,
    (FALSE, TRUE): FALSE,
    (FALSE, FALSE): FALSE,
    (FALSE, UNKNOWN): FALSE,
    (UNKNOWN, TRUE): UNKNOWN,
    (UNKNOWN, FALSE): FALSE,
    (UNKNOWN, UNKNOWN): UNKNOWN,
}
OR = {
    (TRUE, TRUE): TRUE,
    (TRUE, FALSE): TRUE,
    (TRUE, UNKNOWN): TRUE,
    (FALSE, TRUE): TRUE,
    (FALSE, FALSE): FALSE,
    (FALSE, UNKNOWN): UNKNOWN,
    (UNKNOWN, TRUE): TRUE,
    (UNKNOWN, FALSE): UNKNOWN,
    (UNKNOWN, UNKNOWN): UNKNOWN,
}
NOT = {TRUE: FALSE, FALSE: TRUE, UNKNOWN: UNKNOWN}


def test_reference_truth_tables() -> None:
    for (a, b), expected in AND.items():
        assert kleene_and([a, b]) == expected, (a, b)
    for (a, b), expected in OR.items():
        assert kleene_or([a, b]) == expected, (a, b)
    for a, expected in NOT.items():
        assert kleene_not(a) == expected
    assert kleene_and([]) == TRUE
    assert kleene_or([]) == FALSE


_EVIDENCE = [{"citation": "Truth-table test", "url": "https://example.org/kleene"}]


def _tiny_rules(folder: Path, rules: list[dict[str, Any]]) -> Path:
    """A minimal protocol with boolean facts ``a`` and ``b`` and the given suitability rules."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "id": "kleene",
        "title": "Truth tables",
        "version": "1.0.0",
        "status": "draft",
        "owner": "Tests",
        "last_review": "2026-01-01",
    }
    facts: dict[str, Any] = {
        "assessment_date": {"type": "date", "required": True, "label": "A", "description": "D", "question": "Q"},
    }
    for name in ("a", "b"):
        facts[name] = {"type": "boolean", "label": name.upper(), "description": "D", "question": "Q?"}
    technique = {
        "family": "peel",
        "title": "Peel",
        "exfoliates": True,
        "downtime": "none",
        "downtime_level": "none",
        "invasiveness": 1,
        "sessions": {"typical": 1, "minimum": 1, "maximum": 1, "interval_min": "1 week", "interval_max": "2 weeks"},
    }
    for name, body in (
        ("protocol.yaml", manifest),
        ("vocabulary.yaml", {"facts": facts}),
        ("techniques.yaml", {"techniques": {"peel.test": technique}}),
        ("rules.yaml", {"rules": rules}),
    ):
        (folder / name).write_text(to_yaml(body), encoding="utf-8")
    return folder


def _rule(rule_id: str, when: Any) -> dict[str, Any]:
    return {
        "id": rule_id,
        "kind": "suitability",
        "title": rule_id.title(),
        "applies_to": ["all"],
        "when": when,
        "then": {"argument": "for", "strength": "weak"},
        "rationale": "Checks one connective of the three-valued logic.",
        "severity": "info",
        "evidence": _EVIDENCE,
    }


@pytest.fixture(scope="module")
def kleene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[engine.Protocol]:
    folder = _tiny_rules(
        tmp_path_factory.mktemp("kleene"),
        [
            _rule("K-AND", {"all": [{"a": True}, {"b": True}]}),
            _rule("K-OR", {"any": [{"a": True}, {"b": True}]}),
            _rule("K-NOT", {"not": {"a": True}}),
            _rule("K-NAND", {"not": {"all": [{"a": True}, {"b": True}]}}),
        ],
    )
    loaded = engine.load_protocol(folder)
    yield loaded
    loaded.close()


@pytest.mark.parametrize(("a", "b"), list(itertools.product(V, V)))
def test_matcher_truth_tables(kleene: engine.Protocol, a: str, b: str) -> None:
    facts: dict[str, Any] = {"assessment_date": "2026-01-15"}
    for name, value in (("a", a), ("b", b)):
        if value != UNKNOWN:
            facts[name] = value == TRUE
    truth = {rule: t.value for rule, t in kleene.outcomes(facts).truth.items()}
    expected = {"K-AND": AND[a, b], "K-OR": OR[a, b], "K-NOT": NOT[a], "K-NAND": NOT[AND[a, b]]}
    assert truth == expected
    assert reference_outcomes(kleene, facts) == expected


# ----------------------------------------------------------------------------- shared arithmetic

# The reference evaluator reuses ``Period.before`` (the calendar arithmetic of 'within'), so a bug
# there would not show as a disagreement; this states what it must compute, independently.


@profile(400)
@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
    amount=st.integers(1, 400),
    unit=st.sampled_from(["days", "weeks", "months", "years"]),
)
def test_period_before_is_calendar_exact(day: dt.date, amount: int, unit: str) -> None:
    cut = Period(amount, unit).before(day)
    if unit in ("days", "weeks"):
        assert (day - cut).days == amount * (7 if unit == "weeks" else 1)
        return
    months = amount * (12 if unit == "years" else 1)
    assert (cut.year * 12 + cut.month) == (day.year * 12 + day.month) - months
    assert cut.day == min(day.day, calendar.monthrange(cut.year, cut.month)[1])


@profile(400)
@given(
    anchor=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)),
    back=st.integers(0, 800),
    amount=st.integers(1, 60),
    unit=st.sampled_from(["days", "weeks", "months", "years"]),
)
def test_within_ends_on_the_day_its_wait_ends(anchor: dt.date, back: int, amount: int, unit: str) -> None:
    """``within P`` of a day holds exactly until a wait of P from that day ends, month ends included
    (31 March + 6 months is 30 September: on 30 September 31 March is no longer within 6 months)."""
    period = Period(amount, unit)
    day = anchor - dt.timedelta(days=back)
    assert (day > period.cut_off(anchor)) == (period.after(day) > anchor)


def test_within_is_exclusive_at_the_cut_off(protocol: engine.Protocol) -> None:
    """A date exactly the period before the assessment is no longer within it (the wait has passed that day),
    one day later is, and never is never within."""
    rule = next(
        r
        for r in protocol._spec.rules
        if isinstance(r.condition, Atom) and r.condition.op == "within" and r.condition.fact != "previous_treatments"
    )
    atom = rule.condition
    assert isinstance(atom, Atom)
    anchor = dt.date(2026, 11, 25)
    cut = atom.value.before(anchor)
    cases = [(cut, FALSE), (cut + dt.timedelta(days=1), TRUE), (anchor, TRUE)]
    for day, expected in cases + ([("never", FALSE)] if protocol.facts[atom.fact].allow_never else []):
        facts = {"assessment_date": anchor.isoformat(), atom.fact: str(day)}
        assert protocol.outcomes(facts).truth[rule.id].value == expected, (rule.id, day)
        assert reference_outcomes(protocol, facts)[rule.id] == expected, (rule.id, day)


# ----------------------------------------------------------------------------- shipped rules


def _disagreements(protocol: engine.Protocol, facts: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    outcome = protocol.outcomes(facts)
    matcher = {rule: t.value for rule, t in outcome.truth.items()}
    ref = Reference.run(protocol, facts)
    reference = ref.truth
    assert set(matcher) == set(reference) == set(protocol.rule_ids)
    out = {rule: (matcher[rule], reference[rule]) for rule in reference if matcher[rule] != reference[rule]}
    for name, fact in protocol.facts.items():
        if fact.derived:
            ref.derived_value(name)
    if dict(outcome.derived) != ref.derived:
        out["<derived>"] = (repr(dict(outcome.derived)), repr(ref.derived))
    return out


def test_shipped_example_agrees(protocol: engine.Protocol) -> None:
    from tests.conftest import BASELINE

    assert _disagreements(protocol, BASELINE) == {}
    assert _disagreements(protocol, {"assessment_date": "2026-11-25"}) == {}


@profile(CLIENT_CASES)
@given(data=st.data())
def test_matcher_agrees_with_reference(protocol: engine.Protocol, data: st.DataObject) -> None:
    client = data.draw(clients(protocol), label="client")
    diff = _disagreements(protocol, client)
    assert not diff, f"matcher vs reference (matcher, reference): {diff}"


# ----------------------------------------------------------------------------- generated rules


_CORE_FILES = CORE_FILES
"""The manifest, vocabulary, catalogue, evidence registry and agent catalogue: every file that is not rules."""


def _generated_folder(root: Path, rules: list[dict[str, Any]]) -> Path:
    """The shipped manifest, vocabulary (plus ``EXTRA_DERIVED``), catalogue and derived rules, and ``rules``.

    The shipped non-derived rules are left out: the client differential covers them, and a
    small folder keeps each example (and its shrinking) fast.
    """
    folder = root / "rules"
    folder.mkdir()
    for name in _CORE_FILES:
        if (RULES / name).is_file():  # the registry and agent catalogue are optional
            shutil.copy(RULES / name, folder / name)
    vocabulary = _read_yaml(folder / "vocabulary.yaml")
    vocabulary["facts"].update(EXTRA_DERIVED)
    (folder / "vocabulary.yaml").write_text(to_yaml(vocabulary), encoding="utf-8")
    derived = [r for r in _shipped_rules() if r.get("kind") == "derived"]  # read-only: to_yaml copies
    (folder / "generated.yaml").write_text(to_yaml({"rules": derived + rules}), encoding="utf-8")
    return folder


def _read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def _shipped_rules() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(RULES.glob("*.yaml")):
        if path.name not in _CORE_FILES:
            out.extend(_read_yaml(path)["rules"])
    return out


def _too_big_for_matcher(error: engine.RulesError) -> bool:
    return bool(error.issues) and all(
        "alternatives" in issue.message or "matcher tests" in issue.message for issue in error.issues
    )


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # a failing rule set is worth printing whole
@profile(RULE_SET_CASES)
@given(data=st.data())
def test_generated_rules_agree_with_reference(protocol: engine.Protocol, data: st.DataObject) -> None:
    rules = data.draw(rule_sets(protocol), label="rules")
    with tempfile.TemporaryDirectory(prefix="pp-gen-") as tmp:
        folder = _generated_folder(Path(tmp), rules)
        try:
            generated = engine.load_protocol(folder)
        except engine.RulesError as exc:
            if _too_big_for_matcher(exc):
                reject()
            raise
    try:
        for _ in range(CLIENTS_PER_RULE_SET):
            client = data.draw(clients(generated), label="client")
            diff = _disagreements(generated, client)
            assert not diff, f"matcher vs reference (matcher, reference): {diff}"
    finally:
        generated.close()


# ----------------------------------------------------------------------------- the nightly script


def _script() -> Any:
    path = RULES.parent / "scripts" / "differential.py"
    spec = importlib.util.spec_from_file_location("pore_differential_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_shrinks_to_a_minimal_failing_client() -> None:
    script = _script()
    client = {"assessment_date": "2026-11-25", "pregnant": True, "age": 40, "melasma": True, "pore_causes": ["a", "b"]}
    small = script.shrink(client, lambda c: c.get("pregnant") is True and "age" in c)
    assert small == {"assessment_date": "2026-11-25", "pregnant": True, "age": 40}


def test_script_finds_reports_and_shrinks_a_disagreement(capsys: pytest.CaptureFixture[str]) -> None:
    """With a reference that gets one fact wrong, the script fails and prints a minimal client."""
    script = _script()

    class Broken(script.Reference):  # type: ignore[name-defined,misc]
        def atom(self, atom: Any) -> str:
            truth = super().atom(atom)
            return kleene_not(truth) if atom.fact == "pregnant" else truth

    script.Reference = Broken
    assert script.main(["--cases", "30", "--seed", "3"]) == 1
    out = capsys.readouterr().out
    assert "DISAGREEMENT on case" in out and "replay: --seed 3 --case" in out
    shown = out.split("minimal failing client:\n", 1)[1].split("\nrules that disagree", 1)[0]
    minimal = set(json.loads(shown))  # pregnancy rules may also read sex at birth (asked before pregnancy)
    assert {"assessment_date", "pregnant"} <= minimal <= {"assessment_date", "pregnant", "sex_at_birth"}
    assert "CI-PREGNANCY" in out


def test_script_passes_on_agreement(capsys: pytest.CaptureFixture[str]) -> None:
    assert _script().main(["--cases", "20", "--seed", "5"]) == 0
    assert "20 cases (seed 5), 0 disagreements" in capsys.readouterr().out
