"""Synthetic rules folders of any size, built from the shipped vocabulary and technique catalogue.

The scaling benchmark needs protocols of 100, 1,000 and 10,000 rules that look like the
shipped one: the same fact types and operators, the same mix of rule kinds, conditions of
one to four tests combined with ``all`` / ``any`` / ``not``, a few derived-fact rules
(so that a second stratum exists) and rules that read the derived fact. Everything is
drawn from a seeded generator, so a size always gives the same folder.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import yaml

__all__ = ["write_synthetic"]

_KINDS = (
    ("contraindication", 19),
    ("suitability", 14),
    ("requirement", 10),
    ("aftercare", 5),
    ("sequencing", 5),
    ("derived", 1),
)
_PERIODS = ("1 week", "2 weeks", "4 weeks", "3 months", "6 months", "1 year")
_EVIDENCE = [{"citation": "Synthetic benchmark rule", "url": "https://example.org/benchmark"}]


class _Vocabulary:
    def __init__(self, root: Path) -> None:
        facts = yaml.safe_load((root / "vocabulary.yaml").read_text(encoding="utf-8"))["facts"]
        techniques = yaml.safe_load((root / "techniques.yaml").read_text(encoding="utf-8"))["techniques"]
        self.facts = {
            name: spec
            for name, spec in facts.items()
            if not spec.get("planning_only") and spec["type"] != "treatment_history" and name != "assessment_date"
        }
        self.derived = {name: spec for name, spec in facts.items() if spec.get("derived")}
        self.base = {name: spec for name, spec in self.facts.items() if not spec.get("derived")}
        self.techniques = sorted(techniques)
        self.families = sorted({f"{t.split('.')[0]}.*" for t in techniques})
        self.dates = [n for n, s in self.base.items() if s["type"] == "date"]
        self.history = "previous_treatments" in facts


def _atom(rng: random.Random, vocab: _Vocabulary, pool: dict[str, Any], risk: bool = False) -> dict[str, Any]:
    if risk:
        # contraindications test risk factors, which most clients do not have
        pool = {n: s for n, s in pool.items() if s["type"] in ("boolean", "date")} or pool
    if vocab.history and rng.random() < 0.06:
        selector = rng.choice([*vocab.families, *vocab.techniques])
        return {"previous_treatment": {"technique": selector, "within": rng.choice(_PERIODS[:3])}}
    name = rng.choice(sorted(pool))
    spec = pool[name]
    kind = spec["type"]
    if kind == "boolean":
        return {name: risk or rng.random() < 0.8}
    if kind == "integer":
        low, high = spec["minimum"], spec["maximum"]
        op = rng.choice(("at_least", "at_most", "above", "below", "is", "is_not", "between", "one_of"))
        if op == "between":
            a, b = sorted((rng.randint(low, high), rng.randint(low, high)))
            return {name: {"between": [a, b]}}
        if op == "one_of":
            return {name: {"one_of": sorted(rng.sample(range(low, high + 1), min(2, high - low + 1)))}}
        if op == "above":
            return {name: {op: rng.randint(low, max(low, high - 1))}}
        if op == "below":
            return {name: {op: rng.randint(min(high, low + 1), high)}}
        return {name: {op: rng.randint(low, high)}}
    if kind == "enum":
        values = list(spec["values"])
        op = rng.choice(("is", "is_not", "one_of", "none_of"))
        if op in ("one_of", "none_of"):
            return {name: {op: sorted(rng.sample(values, min(2, len(values))))}}
        return {name: {op: rng.choice(values)}}
    if kind == "set":
        values = list(spec["values"])
        op = rng.choice(("includes", "excludes", "includes_any", "includes_all"))
        if op in ("includes_any", "includes_all"):
            return {name: {op: sorted(rng.sample(values, min(2, len(values))))}}
        return {name: {op: rng.choice(values)}}
    return {name: {"within": rng.choice(_PERIODS[:3] if risk else _PERIODS)}}


def _condition(
    rng: random.Random, vocab: _Vocabulary, pool: dict[str, Any], risk: bool = False
) -> dict[str, Any] | None:
    shape = rng.choices(("always", "one", "all", "any", "mixed"), weights=(0 if risk else 8, 40, 22, 22, 8))[0]
    if shape == "always":
        return None
    if shape == "one":
        atom = _atom(rng, vocab, pool, risk)
        return {"not": atom} if rng.random() < 0.05 and not risk else atom
    if shape in ("all", "any"):
        return {shape: [_atom(rng, vocab, pool, risk) for _ in range(rng.randint(2, 3))]}
    inner = {"any": [_atom(rng, vocab, pool, risk) for _ in range(2)]}
    return {"all": [inner, _atom(rng, vocab, pool)]}


def _applies_to(rng: random.Random, vocab: _Vocabulary) -> list[str]:
    roll = rng.random()
    if roll < 0.25:
        return ["all"]
    if roll < 0.55:
        return [rng.choice(vocab.families)]
    return sorted(rng.sample(vocab.techniques, rng.randint(1, 3)))


def _effect(rng: random.Random, vocab: _Vocabulary, kind: str, n: int) -> dict[str, Any]:
    if kind == "contraindication":
        effect: dict[str, Any] = {"level": "absolute" if rng.random() < 0.7 else "relative", "advice": f"Advice {n}."}
        if vocab.dates and rng.random() < 0.15:
            effect["wait"] = {"after": rng.choice(vocab.dates), "period": rng.choice(_PERIODS)}
        return effect
    if kind == "suitability":
        return {
            "argument": "for" if rng.random() < 0.75 else "against",
            "strength": rng.choice(("weak", "moderate", "strong")),
        }
    if kind == "requirement":
        phase = rng.choice(("consultation", "preparation", "pre_treatment", "exfoliation", "follow_up"))
        effect = {"phase": phase, "step": f"Step {n}", "instructions": f"Do step {n} as described."}
        if phase == "follow_up":
            effect["after_last_session"] = rng.choice(_PERIODS[:4])
        elif phase == "pre_treatment" and rng.random() < 0.3:
            effect["lead_time"] = rng.choice(("2 days", "1 week"))
        return effect
    if kind == "aftercare":
        return {"instruction": f"Aftercare instruction {n}.", "duration": rng.choice(_PERIODS[:3])}
    roll = rng.random()
    if roll < 0.4 and vocab.history:
        return {"not_before": {"after_previous": rng.choice(vocab.families), "period": rng.choice(_PERIODS[:3])}}
    if roll < 0.7:
        return {"skip_phase": "exfoliation", "reason": f"Reason {n} for skipping exfoliation."}
    return {"not_same_day": sorted(rng.sample(vocab.families, 2))}


def _rules(rng: random.Random, vocab: _Vocabulary, count: int) -> list[dict[str, Any]]:
    kinds = [k for k, _ in _KINDS]
    weights = [w for _, w in _KINDS]
    rules: list[dict[str, Any]] = []
    derived_name, derived_spec = next(iter(sorted(vocab.derived.items())))
    derived_values = derived_spec.get("values") or [True, False]
    n_derived = max(1, count // 54)
    with_derived = {**vocab.base, derived_name: derived_spec}
    for n in range(count):
        kind = "derived" if n < n_derived else rng.choices(kinds, weights)[0]
        if kind == "derived":
            condition = _condition(rng, vocab, vocab.base)
            while condition is None:
                condition = _condition(rng, vocab, vocab.base)
            rule: dict[str, Any] = {
                "id": f"SYN-DER-{n:05d}",
                "kind": "derived",
                "title": f"Synthetic derived rule {n}",
                "when": condition,
                "then": {"fact": derived_name, "value": rng.choice(derived_values)},
                "priority": 10 + n,
            }
        else:
            pool = with_derived if rng.random() < 0.08 else vocab.base
            rule = {
                "id": f"SYN-{kind[:4].upper()}-{n:05d}",
                "kind": kind,
                "title": f"Synthetic {kind} rule {n}",
                "applies_to": _applies_to(rng, vocab),
                "then": _effect(rng, vocab, kind, n),
            }
            if kind == "requirement" and rng.random() < 0.5:
                del rule["applies_to"]
            condition = _condition(rng, vocab, pool, risk=kind == "contraindication")
            if condition is not None:
                rule["when"] = condition
        rule["rationale"] = f"Synthetic rule {n}, generated for the scaling benchmark."
        rule["severity"] = rng.choice(("info", "low", "moderate", "high"))
        rule["evidence"] = [dict(e) for e in _EVIDENCE]
        rules.append(rule)
    return rules


def write_synthetic(target: Path, count: int, shipped: Path, seed: int = 54) -> Path:
    """Write a rules folder of ``count`` rules into ``target`` (created) and return it.

    The manifest, vocabulary and catalogue are copied from ``shipped``; rules are spread
    over files of at most 500 rules each.
    """
    target.mkdir(parents=True, exist_ok=True)
    for name in ("protocol.yaml", "vocabulary.yaml", "techniques.yaml", "agents.yaml"):
        if (shipped / name).is_file():  # the catalogue names agents of agents.yaml
            shutil.copyfile(shipped / name, target / name)
    vocab = _Vocabulary(shipped)
    rules = _rules(random.Random(seed * 1_000_003 + count), vocab, count)
    for index in range(0, len(rules), 500):
        text = yaml.safe_dump({"rules": rules[index : index + 500]}, sort_keys=False, width=120)
        (target / f"synthetic-{index // 500:03d}.yaml").write_text(text, encoding="utf-8")
    return target
