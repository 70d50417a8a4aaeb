"""Client facts are checked strictly against the vocabulary; every problem is reported at once."""

from __future__ import annotations

from typing import Any

import pytest

import engine


def problems(protocol: engine.Protocol, facts: Any) -> list[engine.Issue]:
    with pytest.raises(engine.FactsError) as info:
        protocol.evaluate(facts)
    return list(info.value.issues)


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        ({"fitzpatrick": 7}, "fitzpatrick", "outside 1-6"),
        ({"fitzpatrick": "5"}, "fitzpatrick", "whole number"),
        ({"fitzpatrick": 5.0}, "fitzpatrick", "whole number"),
        ({"fitzpatrick": True}, "fitzpatrick", "whole number"),
        ({"pregnant": "yes"}, "pregnant", "true or false"),
        ({"pregnant": 1}, "pregnant", "true or false"),
        ({"skin_type": "oilly"}, "skin_type", "not one of"),
        ({"pore_causes": "congestion"}, "pore_causes", "must be a list"),
        ({"pore_causes": ["congestion", "congestion"]}, "pore_causes", "twice"),
        ({"pore_causes": ["pores"]}, "pore_causes[0]", "not one of"),
        ({"isotretinoin_last_dose": "last year"}, "isotretinoin_last_dose", "YYYY-MM-DD"),
        ({"isotretinoin_last_dose": "2026-02-30"}, "isotretinoin_last_dose", "YYYY-MM-DD"),
        ({"isotretinoin_last_dose": "2027-01-01"}, "isotretinoin_last_dose", "after the assessment date"),
        ({"start_date": "2026-01-01"}, "start_date", "before the assessment date"),
        ({"pregnat": True}, "pregnat", "unknown fact"),
        ({"pih_risk": "high"}, "pih_risk", "worked out by the protocol"),
        (
            {"previous_treatments": [{"technique": "peel.glycolc", "date": "2026-01-01"}]},
            "previous_treatments[0].technique",
            "unknown technique",
        ),
        (
            {"previous_treatments": [{"technique": "peel.glycolic"}]},
            "previous_treatments[0]",
            "needs 'technique' and 'date'",
        ),
        (
            {"previous_treatments": [{"technique": "peel.glycolic", "date": "2027-01-01"}]},
            "previous_treatments[0].date",
            "after the assessment date",
        ),
    ],
)
def test_each_bad_answer_is_named(
    protocol: engine.Protocol, baseline: dict[str, Any], change: dict[str, Any], path: str, fragment: str
) -> None:
    baseline.update(change)
    (issue,) = problems(protocol, baseline)
    assert issue.path == path
    assert fragment in issue.message, issue.format()


def test_suggestions_for_misspelt_names_and_values(protocol: engine.Protocol, baseline: dict[str, Any]) -> None:
    baseline["pregnat"] = True
    baseline["skin_type"] = "oilly"
    hints = {i.path: i.hint for i in problems(protocol, baseline)}
    assert hints == {"pregnat": "did you mean 'pregnant'?", "skin_type": "did you mean 'oily'?"}


def test_the_assessment_date_is_required(protocol: engine.Protocol) -> None:
    (issue,) = problems(protocol, {"fitzpatrick": 2})
    assert issue.path == "assessment_date" and "required" in issue.message


def test_null_means_unknown(protocol: engine.Protocol, baseline: dict[str, Any]) -> None:
    baseline["pregnant"] = None
    plan = protocol.evaluate(baseline)
    assert plan.status == "needs_information"
    assert "pregnant" in {m.fact for m in plan.missing_facts}


def test_not_a_mapping(protocol: engine.Protocol) -> None:
    with pytest.raises(engine.FactsError, match="mapping"):
        protocol.evaluate(["assessment_date"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "UTF-8"),
        (b'{"a": 1,}', "not valid JSON"),
        (b'{"a": NaN}', "not valid JSON"),
        (b'{"assessment_date": "2026-01-01", "assessment_date": "2026-01-02"}', "not valid JSON"),
        (b"a: &x 1\nb: *x\n", "not valid YAML"),
        (b"a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        (b"- just\n- a list\n", "mapping"),
    ],
)
def test_unreadable_documents(protocol: engine.Protocol, text: bytes, fragment: str) -> None:
    source = "client.json" if "JSON" in fragment else "client.yaml"
    with pytest.raises(engine.FactsError) as info:
        protocol.evaluate_document(text, source)
    assert fragment in str(info.value)


@pytest.mark.parametrize("source", ["client.yaml", "<stdin>"])
def test_a_yaml_flow_mapping_is_yaml(protocol: engine.Protocol, source: str) -> None:
    """A YAML file that starts with '{' is still YAML; standard input falls back to YAML when it is not JSON."""
    with pytest.raises(engine.FactsError) as info:
        protocol.evaluate_document(b"{assessment_date: 2026-11-25, fitzpatrik: 2}", source)
    assert "not valid JSON" not in str(info.value)
    assert "fitzpatrik: unknown fact (did you mean 'fitzpatrick'?)" in str(info.value)


def test_a_json_error_names_its_line_and_column(protocol: engine.Protocol) -> None:
    with pytest.raises(engine.FactsError) as info:
        protocol.evaluate_document(b'{"assessment_date": "2026-11-25", ', "<stdin>")
    assert "(line 1, column 35)" in str(info.value)


def test_errors_in_a_yaml_document_carry_line_numbers(protocol: engine.Protocol) -> None:
    text = b"assessment_date: 2026-11-25\nfitzpatrick: 9\nskin_type: oily\n"
    with pytest.raises(engine.FactsError) as info:
        protocol.evaluate_document(text, "client.yaml")
    (issue,) = info.value.issues
    assert (issue.file, issue.line, issue.path) == ("client.yaml", 2, "fitzpatrick")
