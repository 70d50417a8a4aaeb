"""Check a loaded rules folder as a whole and turn it into a typed :class:`ProtocolSpec`.

Every problem is collected, located (file, line, rule id, path) and reported together in
one :class:`RulesError`, with a did-you-mean hint for misspelt names. Conditions are
parsed here, against the declared type of each fact, so that a rule comparing a number
with an enum or naming a fact the vocabulary lacks never reaches the matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from engine._errors import Issue, RulesError, suggest
from engine._load import DocPath, LoadedDocument, YamlProblem, content_sha256, load_yaml_file
from engine._model import (
    FACT_NAME_PATTERN,
    TECHNIQUE_ID_PATTERN,
    FactSpec,
    Manifest,
    Period,
    RuleSpec,
    TechniqueSpec,
)
from engine._spec import (
    ASSESSMENT_DATE,
    EFFECT_MODELS,
    PREVIOUS_TREATMENTS,
    AllOf,
    Always,
    AnyOf,
    Atom,
    Condition,
    DerivedEffect,
    Effect,
    NotOf,
    Op,
    ProtocolSpec,
    Rule,
    SequencingEffect,
    condition_facts,
    derivation_order,
    rule_scope,
    select_techniques,
)

__all__ = ["MANIFEST_FILE", "MAX_RULES", "TECHNIQUES_FILE", "VOCABULARY_FILE", "validate_folder"]

MANIFEST_FILE = "protocol.yaml"
VOCABULARY_FILE = "vocabulary.yaml"
TECHNIQUES_FILE = "techniques.yaml"
MAX_RULES = 4000


class _Collector:
    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.broken_facts: set[str] = set()
        """Facts whose declaration is invalid: already reported, so rules using them stay quiet."""

    def add(
        self,
        doc: LoadedDocument | None,
        path: DocPath,
        message: str,
        hint: str | None = None,
        rule_id: str | None = None,
    ) -> None:
        file = doc.file if doc else None
        line = doc.line_of(path) if doc else None
        self.issues.append(Issue(file, line, rule_id, _dotted(path), message, hint))

    def pydantic(
        self,
        doc: LoadedDocument,
        base: DocPath,
        error: ValidationError,
        rule_id: str | None = None,
        known: Iterable[str] = (),
    ) -> None:
        errors = error.errors()
        deeper = {tuple(e["loc"][:i]) for e in errors for i in range(len(e["loc"]))}
        for err in errors:
            if err["type"] == "too_short" and tuple(err["loc"]) in deeper:
                continue  # "empty after validation" only restates the item errors below it
            loc = tuple(str(x) if not isinstance(x, int) else x for x in err["loc"])
            path = (*base, *loc)
            msg = err["msg"].removeprefix("Value error, ")
            hint = None
            if err["type"] == "extra_forbidden" and loc:
                msg = f"unknown key '{loc[-1]}'"
                hint = suggest(str(loc[-1]), known)
            elif err["type"] == "missing" and loc:
                msg = f"'{loc[-1]}' is required"
            elif err["type"] == "literal_error":
                msg = f"{msg}, got {err.get('input')!r}"
                bad = err.get("input")
                expected = err.get("ctx", {}).get("expected", "")
                if isinstance(bad, str):
                    hint = suggest(bad, re.findall(r"'([^']+)'", expected))
            elif err["type"] == "string_pattern_mismatch":
                msg = f"{err.get('input')!r} does not have the required form ({err['ctx']['pattern']})"
            self.add(doc, path, msg, hint, rule_id)


def _dotted(path: DocPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


# ----------------------------------------------------------------------------- entry point


def validate_folder(root: Path) -> ProtocolSpec:
    """Load and check a rules folder; raise :class:`RulesError` listing every problem."""
    issues = _Collector()
    root = Path(root)
    if not root.is_dir():
        raise RulesError(f"rules folder {str(root)!r} does not exist or is not a folder")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    raw: list[tuple[str, bytes]] = []
    docs: dict[str, LoadedDocument] = {}
    for path in files:
        name = path.relative_to(root).as_posix()
        raw.append((name, path.read_bytes()))
        try:
            docs[name] = load_yaml_file(path, root)
        except YamlProblem as problem:
            issues.issues.append(Issue(name, problem.line, None, "", problem.message, problem.hint))
    for required in (MANIFEST_FILE, VOCABULARY_FILE, TECHNIQUES_FILE):
        if required not in {name for name, _ in raw}:
            issues.add(None, (), f"the rules folder has no {required}", f"create {root / required}")
    if issues.issues:
        raise RulesError(f"rules folder {root} is invalid", issues.issues)

    manifest = _manifest(docs[MANIFEST_FILE], issues)
    facts = _vocabulary(docs[VOCABULARY_FILE], issues)
    techniques = _techniques(docs[TECHNIQUES_FILE], issues)
    rule_docs = [
        doc for name, doc in sorted(docs.items()) if name not in (MANIFEST_FILE, VOCABULARY_FILE, TECHNIQUES_FILE)
    ]
    builder = _RuleBuilder(facts, techniques, issues)
    rules: list[Rule[Effect]] = []
    seen: dict[str, tuple[str, int]] = {}
    for doc in rule_docs:
        for rule in builder.rules_of(doc):
            if rule.id in seen:
                file, line = seen[rule.id]
                issues.add(
                    doc,
                    ("rules", rule.order),
                    f"duplicate rule id {rule.id}",
                    f"first defined at {file}:{line}",
                    rule.id,
                )
                continue
            seen[rule.id] = (rule.file, rule.line)
            rules.append(rule)
    if len(rules) > MAX_RULES:
        issues.add(None, (), f"{len(rules)} rules exceed the engine's limit of {MAX_RULES}")
    deriving = derivation_order(rules)
    strata = _derived_checks(deriving, rules, facts, issues, docs)
    if issues.issues or manifest is None:
        raise RulesError(f"rules folder {root} is invalid", issues.issues)
    return ProtocolSpec(
        root=root,
        manifest=manifest,
        facts=facts,
        techniques=techniques,
        rules=tuple(rules),
        sha256=content_sha256(raw),
        periods=frozenset(builder.periods),
        history_selectors=frozenset(builder.history_selectors),
        strata=strata,
    )


def _manifest(doc: LoadedDocument, issues: _Collector) -> Manifest | None:
    if not isinstance(doc.data, dict):
        issues.add(doc, (), "protocol.yaml must be a mapping of id, title, version, status, owner, last_review")
        return None
    try:
        return Manifest.model_validate(doc.data)
    except ValidationError as exc:
        issues.pydantic(doc, (), exc, known=_model_fields(Manifest))
        return None


def _vocabulary(doc: LoadedDocument, issues: _Collector) -> dict[str, FactSpec]:
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("facts"), dict) or set(data) != {"facts"}:
        issues.add(doc, (), "vocabulary.yaml must have a single top-level key 'facts' mapping names to facts")
        return {}
    facts: dict[str, FactSpec] = {}
    for name, body in data["facts"].items():
        if not isinstance(name, str) or not re.match(FACT_NAME_PATTERN, name):
            issues.add(doc, ("facts", str(name)), f"fact name {name!r} must be lower_snake_case")
            continue
        if name in ("all", "any", "not", "previous_treatment"):
            issues.add(doc, ("facts", name), f"'{name}' is a reserved word of the condition language")
            continue
        if not isinstance(body, dict):
            issues.add(doc, ("facts", name), "a fact must be a mapping with type, label, description, question")
            continue
        try:
            facts[name] = FactSpec.model_validate(body)
        except ValidationError as exc:
            issues.pydantic(doc, ("facts", name), exc, rule_id=name, known=_model_fields(FactSpec))
            issues.broken_facts.add(name)
    anchor = facts.get(ASSESSMENT_DATE)
    if anchor is None or anchor.type != "date" or not anchor.required:
        issues.add(
            doc,
            ("facts",),
            f"the vocabulary must declare '{ASSESSMENT_DATE}' as a required date",
            "every 'within' condition is measured back from the assessment date",
        )
    history = facts.get(PREVIOUS_TREATMENTS)
    if history is not None and history.type != "treatment_history":
        issues.add(doc, ("facts", PREVIOUS_TREATMENTS), "previous_treatments must have type treatment_history")
    return facts


def _techniques(doc: LoadedDocument, issues: _Collector) -> dict[str, TechniqueSpec]:
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("techniques"), dict) or set(data) != {"techniques"}:
        issues.add(doc, (), "techniques.yaml must have a single top-level key 'techniques'")
        return {}
    out: dict[str, TechniqueSpec] = {}
    for tid, body in data["techniques"].items():
        path: DocPath = ("techniques", str(tid))
        if not isinstance(tid, str) or not re.match(TECHNIQUE_ID_PATTERN, tid):
            issues.add(doc, path, f"technique id {tid!r} must look like family.variant, e.g. peel.glycolic")
            continue
        if not isinstance(body, dict):
            issues.add(doc, path, "a technique must be a mapping")
            continue
        try:
            spec = TechniqueSpec.model_validate(body)
        except ValidationError as exc:
            issues.pydantic(doc, path, exc, rule_id=tid, known=_model_fields(TechniqueSpec))
            continue
        if tid.split(".")[0] != spec.family:
            issues.add(doc, (*path, "family"), f"family '{spec.family}' does not match the id prefix of {tid}")
            continue
        out[tid] = spec
    if not out and not issues.issues:
        issues.add(doc, ("techniques",), "the catalogue lists no technique")
    return out


# ----------------------------------------------------------------------------- rules

_OPS_BY_TYPE = {
    "boolean": {"is", "is_not"},
    "integer": {"is", "is_not", "at_least", "at_most", "above", "below", "one_of", "none_of", "between"},
    "enum": {"is", "is_not", "one_of", "none_of"},
    "set": {"includes", "excludes", "includes_any", "includes_all"},
    "date": {"within"},
    "treatment_history": set(),
}
_ALL_OPS = sorted(set().union(*_OPS_BY_TYPE.values()))
_SIMPLE: dict[str, Op] = {"is": "eq", "is_not": "ne", "at_least": "ge", "at_most": "le", "above": "gt", "below": "lt"}


class _RuleBuilder:
    def __init__(self, facts: Mapping[str, FactSpec], techniques: Mapping[str, TechniqueSpec], issues: _Collector):
        self.facts = facts
        self.techniques = techniques
        self.issues = issues
        self.periods: set[Period] = set()
        self.history_selectors: set[str] = set()

    # -- documents

    def rules_of(self, doc: LoadedDocument) -> list[Rule[Effect]]:
        data = doc.data
        if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], list):
            self.issues.add(doc, (), "a rule file must have a single top-level key 'rules' holding a list")
            return []
        out = []
        for index, body in enumerate(data["rules"]):
            rule = self._rule(doc, index, body)
            if rule is not None:
                out.append(rule)
        return out

    def _rule(self, doc: LoadedDocument, index: int, body: Any) -> Rule[Effect] | None:
        base: DocPath = ("rules", index)
        if not isinstance(body, dict):
            self.issues.add(doc, base, "each rule must be a mapping with id, title, kind, then, rationale ...")
            return None
        rule_id = body.get("id") if isinstance(body.get("id"), str) else None
        before = len(self.issues.issues)
        try:
            spec = RuleSpec.model_validate(body)
        except ValidationError as exc:
            self.issues.pydantic(doc, base, exc, rule_id=rule_id, known=_model_fields(RuleSpec))
            return None
        effect = self._effect(doc, base, spec)
        techniques = self._applies_to(doc, base, spec)
        condition = self._condition(doc, (*base, "when"), spec.when, spec.id) if spec.when is not None else Always()
        if effect is not None:
            self._check_effect(doc, base, spec, effect)
        if len(self.issues.issues) > before or effect is None or condition is None:
            return None
        return Rule(
            spec=spec,
            condition=condition,
            effect=effect,
            techniques=techniques,
            scope=rule_scope(spec.kind, techniques, not spec.applies_to, self.techniques),
            facts=condition_facts(condition),
            file=doc.file,
            line=doc.line_of(base) or 0,
            order=index,
        )

    def _effect(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec) -> Effect | None:
        model = EFFECT_MODELS[spec.kind]
        if not isinstance(spec.then, dict):
            self.issues.add(doc, (*base, "then"), f"'then' of a {spec.kind} rule must be a mapping", rule_id=spec.id)
            return None
        try:
            return model.model_validate(spec.then)
        except ValidationError as exc:
            self.issues.pydantic(doc, (*base, "then"), exc, rule_id=spec.id, known=_model_fields(model))
            return None

    def _applies_to(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec) -> tuple[str, ...]:
        needs = spec.kind in ("contraindication", "suitability", "aftercare")
        if spec.kind == "derived" and spec.applies_to:
            self.issues.add(doc, (*base, "applies_to"), "derived rules do not apply to techniques", rule_id=spec.id)
        if needs and not spec.applies_to:
            self.issues.add(
                doc,
                base,
                f"a {spec.kind} rule must say which techniques it applies_to",
                "list technique ids, families like 'peel.*', or 'all'",
                spec.id,
            )
        chosen: set[str] = set()
        for i, selector in enumerate(spec.applies_to):
            found = self._selector(doc, (*base, "applies_to", i), selector, spec.id)
            chosen.update(found)
        return tuple(sorted(chosen))

    def _selector(self, doc: LoadedDocument, path: DocPath, selector: str, rule_id: str) -> tuple[str, ...]:
        found = select_techniques(selector, self.techniques)
        if not found:
            families = {f"{t.family}.*" for t in self.techniques.values()}
            options = [*self.techniques, *families, "all"]
            self.issues.add(doc, path, f"unknown technique '{selector}'", suggest(selector, options), rule_id)
        return found

    def _check_effect(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec, effect: Effect) -> None:
        then = (*base, "then")
        if isinstance(effect, DerivedEffect):
            fact = self.facts.get(effect.fact)
            if effect.fact in self.issues.broken_facts:
                pass
            elif fact is None or not fact.derived:
                derived = [n for n, f in self.facts.items() if f.derived]
                self.issues.add(
                    doc,
                    (*then, "fact"),
                    f"'{effect.fact}' is not a derived fact of the vocabulary",
                    suggest(effect.fact, derived) or "declare it with derived: true",
                    spec.id,
                )
            elif fact.type == "enum" and effect.value not in fact.values:
                self.issues.add(
                    doc,
                    (*then, "value"),
                    f"{effect.value!r} is not a value of {effect.fact}",
                    suggest(str(effect.value), fact.values) or f"use one of {list(fact.values)}",
                    spec.id,
                )
            elif fact.type == "boolean" and not isinstance(effect.value, bool):
                self.issues.add(doc, (*then, "value"), f"{effect.fact} is true or false", rule_id=spec.id)
        if isinstance(effect, SequencingEffect):
            for i, sel in enumerate(effect.not_same_day):
                self._selector(doc, (*then, "not_same_day", i), sel, spec.id)
            if effect.skip_phase and spec.when is None and not spec.applies_to:
                self.issues.add(
                    doc,
                    base,
                    "an unconditional skip_phase must say which techniques it applies_to",
                    rule_id=spec.id,
                )
        for key, wait in ((w.key, w.spec) for w in effect.waits()):
            path = (*then, key)
            if wait.after is not None:
                fact = self.facts.get(wait.after)
                if fact is None or fact.type != "date":
                    dates = [n for n, f in self.facts.items() if f.type == "date"]
                    self.issues.add(
                        doc,
                        (*path, "after"),
                        f"'{wait.after}' is not a date fact",
                        suggest(wait.after, dates),
                        spec.id,
                    )
            elif wait.after_previous is not None:
                if PREVIOUS_TREATMENTS not in self.facts:
                    self.issues.add(doc, path, "the vocabulary has no previous_treatments fact", rule_id=spec.id)
                elif self._selector(doc, (*path, "after_previous"), wait.after_previous, spec.id):
                    self.history_selectors.add(wait.after_previous)

    # -- conditions

    def _condition(self, doc: LoadedDocument, path: DocPath, node: Any, rule_id: str) -> Condition | None:
        if not isinstance(node, dict) or len(node) != 1:
            if isinstance(node, list):
                hint = "wrap a list of tests in 'all:' (every one must hold) or 'any:' (one is enough)"
            elif isinstance(node, dict) and len(node) > 1:
                hint = "write one test per item and combine them with 'all:' or 'any:'"
            else:
                hint = "write e.g. 'pregnant: true' or 'fitzpatrick: {at_least: 4}'"
            self.issues.add(doc, path, "a condition must be a mapping with exactly one key", hint, rule_id)
            return None
        key, value = next(iter(node.items()))
        sub = (*path, str(key))
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.issues.add(doc, sub, f"'{key}' needs a non-empty list of conditions", rule_id=rule_id)
                return None
            items = [self._condition(doc, (*sub, i), item, rule_id) for i, item in enumerate(value)]
            if any(item is None for item in items):
                return None
            parsed = tuple(item for item in items if item is not None)
            return AllOf(parsed) if key == "all" else AnyOf(parsed)
        if key == "not":
            inner = self._condition(doc, sub, value, rule_id)
            return None if inner is None else NotOf(inner)
        if key == "previous_treatment":
            return self._history(doc, sub, value, rule_id)
        if key in self.issues.broken_facts:
            return None
        if not isinstance(key, str) or key not in self.facts:
            options = [*self.facts, "all", "any", "not", "previous_treatment"]
            self.issues.add(doc, sub, f"unknown fact '{key}'", suggest(str(key), options), rule_id)
            return None
        return self._test(doc, sub, key, value, rule_id)

    def _history(self, doc: LoadedDocument, path: DocPath, value: Any, rule_id: str) -> Condition | None:
        if PREVIOUS_TREATMENTS not in self.facts:
            self.issues.add(doc, path, "the vocabulary has no previous_treatments fact", rule_id=rule_id)
            return None
        if not isinstance(value, dict) or set(value) != {"technique", "within"}:
            self.issues.add(
                doc,
                path,
                "previous_treatment needs exactly 'technique' and 'within'",
                "e.g. previous_treatment: {technique: peel.*, within: 2 weeks}",
                rule_id,
            )
            return None
        selector = value["technique"]
        if not isinstance(selector, str) or not self._selector(doc, (*path, "technique"), selector, rule_id):
            return None
        period = self._period(doc, (*path, "within"), value["within"], rule_id)
        if period is None:
            return None
        self.history_selectors.add(selector)
        return Atom(
            PREVIOUS_TREATMENTS,
            "within",
            period,
            f"a previous {selector} treatment within {period}",
            selector=selector,
        )

    def _period(self, doc: LoadedDocument, path: DocPath, value: Any, rule_id: str) -> Period | None:
        try:
            period = Period.parse(value)
        except ValueError as exc:
            self.issues.add(doc, path, str(exc), rule_id=rule_id)
            return None
        if period.amount == 0:
            self.issues.add(doc, path, "a period of zero can never hold", rule_id=rule_id)
            return None
        self.periods.add(period)
        return period

    def _test(self, doc: LoadedDocument, path: DocPath, name: str, value: Any, rule_id: str) -> Condition | None:
        fact = self.facts[name]
        if fact.planning_only:
            self.issues.add(
                doc,
                path,
                f"'{name}' is used for scheduling only and cannot appear in conditions",
                rule_id=rule_id,
            )
            return None
        if fact.type == "treatment_history":
            self.issues.add(
                doc,
                path,
                f"'{name}' is tested with previous_treatment",
                "e.g. previous_treatment: {technique: laser.*, within: 4 weeks}",
                rule_id,
            )
            return None
        if not isinstance(value, dict):
            if fact.type in ("set", "date"):
                example = "{includes: congestion}" if fact.type == "set" else "{within: 6 months}"
                self.issues.add(
                    doc,
                    path,
                    f"{name} is a {fact.type}; say how to test it",
                    f"e.g. {name}: {example}",
                    rule_id,
                )
                return None
            value = {"is": value}
        if len(value) != 1:
            self.issues.add(doc, path, "one operator per test", "combine several tests with 'all:'", rule_id)
            return None
        op, operand = next(iter(value.items()))
        allowed = _OPS_BY_TYPE[fact.type]
        opath = (*path, str(op))
        if op not in allowed:
            hint = suggest(str(op), allowed) or f"a {fact.type} fact allows: {', '.join(sorted(allowed))}"
            where = "unknown operator" if op not in _ALL_OPS else f"'{op}' does not apply to a {fact.type} fact"
            self.issues.add(doc, opath, f"{where} '{op}' for {name}", hint, rule_id)
            return None
        if fact.type == "date":
            period = self._period(doc, opath, operand, rule_id)
            if period is None:
                return None
            return Atom(name, "within", period, f"{fact.label} within {period} before the assessment")
        if op in ("one_of", "none_of", "includes_any", "includes_all", "between"):
            if not isinstance(operand, list) or not operand:
                self.issues.add(doc, opath, f"'{op}' needs a list of values", rule_id=rule_id)
                return None
            if op == "between" and len(operand) != 2:
                self.issues.add(doc, opath, "'between' needs exactly [low, high]", rule_id=rule_id)
                return None
            values = [self._value(doc, (*opath, i), fact, name, v, rule_id) for i, v in enumerate(operand)]
            if any(v is _BAD for v in values):
                return None
            if op == "between":
                low, high = values
                if low > high:
                    self.issues.add(doc, opath, f"between [{low}, {high}] can never hold", rule_id=rule_id)
                    return None
                return AllOf((self._atom(fact, name, "ge", low), self._atom(fact, name, "le", high)))
            if op in ("one_of", "includes_any"):
                atoms = tuple(self._atom(fact, name, "eq" if op == "one_of" else "has", v) for v in values)
                return atoms[0] if len(atoms) == 1 else AnyOf(atoms)
            atoms = tuple(self._atom(fact, name, "ne" if op == "none_of" else "has", v) for v in values)
            return atoms[0] if len(atoms) == 1 else AllOf(atoms)
        checked = self._value(doc, opath, fact, name, operand, rule_id)
        if checked is _BAD:
            return None
        if fact.type == "set":
            return self._atom(fact, name, "has" if op == "includes" else "lacks", checked)
        return self._atom(fact, name, _SIMPLE[str(op)], checked)

    def _atom(self, fact: FactSpec, name: str, op: Op | Literal["has", "lacks"], value: Any) -> Atom:
        words = {
            "eq": "is",
            "ne": "is not",
            "ge": "is at least",
            "le": "is at most",
            "gt": "is above",
            "lt": "is below",
        }
        if op == "has":
            return Atom(name, "eq", True, f"{fact.label} includes {value}", member=value)
        if op == "lacks":
            return Atom(name, "eq", False, f"{fact.label} does not include {value}", member=value)
        shown = {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value
        return Atom(name, op, value, f"{fact.label} {words[op]} {shown}")

    def _value(self, doc: LoadedDocument, path: DocPath, fact: FactSpec, name: str, value: Any, rule_id: str) -> Any:
        if fact.type == "boolean":
            if not isinstance(value, bool):
                self.issues.add(doc, path, f"{name} is true or false, not {value!r}", rule_id=rule_id)
                return _BAD
            return value
        if fact.type == "integer":
            if isinstance(value, float):
                self.issues.add(
                    doc,
                    path,
                    f"{name} takes whole numbers; {value!r} is not one",
                    "numbers in exponent or decimal form are not accepted",
                    rule_id,
                )
                return _BAD
            if isinstance(value, bool) or not isinstance(value, int):
                self.issues.add(doc, path, f"{name} is a number, not {value!r}", rule_id=rule_id)
                return _BAD
            assert fact.minimum is not None and fact.maximum is not None
            if not fact.minimum <= value <= fact.maximum:
                self.issues.add(
                    doc,
                    path,
                    f"{value} is outside the range of {name} ({fact.minimum}-{fact.maximum})",
                    "such a test could never be decided as written",
                    rule_id,
                )
                return _BAD
            return value
        if not isinstance(value, str) or value not in fact.values:
            self.issues.add(
                doc,
                path,
                f"{value!r} is not a value of {name}",
                suggest(str(value), fact.values) or f"use one of {list(fact.values)}",
                rule_id,
            )
            return _BAD
        return value


_BAD = object()


def _derived_checks(
    deriving: Mapping[str, tuple[Rule[DerivedEffect], ...]],
    rules: list[Rule[Effect]],
    facts: Mapping[str, FactSpec],
    issues: _Collector,
    docs: Mapping[str, LoadedDocument],
) -> dict[str, int]:
    """Reject cycles among derived facts and give each rule its stratum (0 = base facts only)."""
    depends = {name: set().union(*(r.facts for r in rs)) & set(deriving) for name, rs in deriving.items()}
    stratum: dict[str, int] = {}
    visiting: list[str] = []

    def visit(name: str) -> int:
        if name in stratum:
            return stratum[name]
        if name in visiting:
            cycle = [*visiting[visiting.index(name) :], name]
            rule = deriving[name][0]
            issues.add(
                docs.get(rule.file),
                ("rules", rule.order),
                "derived facts depend on each other in a cycle: " + " -> ".join(cycle),
                "break the cycle: a derived fact cannot depend on itself",
                rule.id,
            )
            stratum[name] = 0
            return 0
        visiting.append(name)
        level = max((visit(dep) + 1 for dep in depends[name]), default=0)
        visiting.pop()
        stratum[name] = level
        return level

    for name in sorted(deriving):
        visit(name)
    for name, spec in facts.items():
        if spec.derived and name not in deriving:
            issues.add(
                docs.get(VOCABULARY_FILE),
                ("facts", name),
                f"derived fact '{name}' has no rule deriving it",
                "add a rule of kind derived, or remove derived: true",
            )
    result: dict[str, int] = {}
    for rule in rules:
        level = max((stratum[f] + 1 for f in rule.facts if f in stratum), default=0)
        if isinstance(rule.effect, DerivedEffect):
            level = stratum.get(rule.effect.fact, level)
            needed = max((stratum[f] + 1 for f in rule.facts if f in stratum), default=0)
            level = max(level, needed)
        result[rule.id] = level
    return result
