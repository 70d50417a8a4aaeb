"""The YAML loader: safe, strict, and precise about lines."""

from __future__ import annotations

import pytest

from engine._load import YamlProblem, content_sha256, load_yaml_text


def test_lines_are_recorded_for_nested_values() -> None:
    doc = load_yaml_text("rules:\n  - id: A-B\n    when:\n      pregnant: true\n", "r.yaml")
    assert doc.line_of(("rules", 0, "when", "pregnant")) == 4
    assert doc.line_of(("rules", 0, "id")) == 2
    assert doc.line_of(("rules", 0, "missing", "deeper")) == 2  # nearest known ancestor


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: &x 1\nb: *x\n", "aliases"),
        ("a: 1\na: 2\n", "appears twice"),
        ("a: !!python/object:os.system {}\n", "!!python"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
        ("a: [1, 2\n", "expected"),
        ("a:\n\tb: 1\n", "tab"),
    ],
)
def test_dangerous_or_ambiguous_yaml_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(YamlProblem) as info:
        load_yaml_text(text, "x.yaml")
    assert fragment.lower() in (info.value.message + (info.value.hint or "")).lower()
    assert info.value.line is not None or fragment == "aliases"


def test_billion_laughs_is_refused_before_expansion() -> None:
    text = 'a: &a ["lol","lol"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n'
    with pytest.raises(YamlProblem, match="aliases"):
        load_yaml_text(text, "x.yaml")


def test_invalid_utf8_is_reported() -> None:
    with pytest.raises(YamlProblem, match="UTF-8"):
        load_yaml_text(b"a: \xff\xfe\n", "x.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(YamlProblem, match="nesting"):
        load_yaml_text("a: " + "[" * 100 + "]" * 100, "x.yaml")


def test_empty_document_is_none() -> None:
    assert load_yaml_text("", "x.yaml").data is None


def test_content_hash_ignores_order_but_not_names_or_bytes() -> None:
    one = content_sha256([("a.yaml", b"x"), ("b.yaml", b"y")])
    assert one == content_sha256([("b.yaml", b"y"), ("a.yaml", b"x")])
    assert one != content_sha256([("a.yaml", b"x"), ("c.yaml", b"y")])
    assert one != content_sha256([("a.yaml", b"x"), ("b.yaml", b"y ")])
