"""``pore-protocol schema``: JSON Schemas for the rule files and for client facts.

An editor with yaml-language-server validates and completes a rule file as it is typed
when the file's first line is ``# yaml-language-server: $schema=../schemas/rules.schema.json``.
The schemas are generated from two sources so that they cannot drift from the engine:

* the pydantic models of :mod:`engine._model` give every key, type, allowed value, length
  and pattern (required keys, ``extra="forbid"`` becomes ``additionalProperties: false``);
* the loaded vocabulary and catalogue give the names an editor should offer: fact names
  and, for each fact, the operators and values its type allows; technique ids, families
  and ``all``; date facts for ``wait.after``; derived facts for ``then.fact``.

Eight schemas are written (draft-07, which yaml-language-server supports fully):
``protocol``, ``vocabulary``, ``techniques``, ``evidence`` (the evidence registry),
``agents`` (the agent catalogue), ``rules`` (every other rule file), ``facts`` (a
client's answers, YAML or JSON) and ``plan`` (the plan the engine returns, for
integrators; generated from the plan's models). Because names come from the vocabulary, the
committed schemas must be regenerated when it changes: ``pore-protocol schema --all
--output schemas/`` (a test fails until they are).
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Mapping
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from engine._model import (
    AGENT_ID_PATTERN,
    FACT_NAME_PATTERN,
    SOURCE_ID_PATTERN,
    TECHNIQUE_ID_PATTERN,
    AgentSpec,
    AgentUse,
    Evidence,
    EvidenceRef,
    EvidenceSource,
    FactSpec,
    Manifest,
    Moment,
    Period,
    Replacement,
    RuleSpec,
    SessionSpec,
    StepAlternative,
    TechniqueSpec,
    WaitSpec,
)
from engine._plan_model import TreatmentPlan
from engine._spec import ASSESSMENT_DATE, EFFECT_MODELS, PREVIOUS_TREATMENTS, ProtocolSpec

__all__ = ["SCHEMAS", "build_schemas", "schema_text"]

DRAFT = "http://json-schema.org/draft-07/schema#"
PERIOD_PATTERN = r"^\s*(\d{1,4})\s*(day|days|week|weeks|month|months|year|years)\s*$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MOMENT_PATTERN = (
    r"^\s*((\d{1,4})\s*(day|days|week|weeks|month|months|year|years)\s+(before|after)\s+)?"
    r"(the\s+)?(assessment|first session|each session|last session)\s*$"
)
SCHEMAS = ("protocol", "vocabulary", "techniques", "evidence", "agents", "rules", "facts", "plan")
"""The schemas written by ``--all``, each to ``<name>.schema.json``."""

_OPERATORS = {
    "is": "equal to",
    "is_not": "different from",
    "at_least": "greater than or equal to",
    "at_most": "less than or equal to",
    "above": "greater than",
    "below": "less than",
    "one_of": "equal to one of",
    "none_of": "equal to none of",
    "between": "between [low, high], both included",
    "includes": "the set includes",
    "excludes": "the set does not include",
    "includes_any": "the set includes at least one of",
    "includes_all": "the set includes every one of",
    "within": "a date within this period before the assessment date",
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/definitions/{name}"}


class _Translator:
    """Turn pydantic models into draft-07 schemas, with named references for special types."""

    def __init__(self, special: Mapping[Any, dict[str, Any]]) -> None:
        self.special = special

    def annotation(self, annotation: Any) -> dict[str, Any]:
        if annotation in self.special:
            return dict(self.special[annotation])
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            options = [a for a in args if a is not type(None)]
            schemas = [self.annotation(a) for a in options]
            if type(None) in args:
                schemas.append({"type": "null"})
            return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
        if origin is tuple:
            item = args[0] if args else Any
            return {"type": "array", "items": self.annotation(item)}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.annotation(args[1])}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation)
        simple: dict[Any, dict[str, Any]] = {
            str: {"type": "string"},
            bool: {"type": "boolean"},
            int: {"type": "integer"},
            dt.date: {"type": "string", "format": "date", "pattern": DATE_PATTERN},
            Any: {},
        }
        if annotation in simple:
            return dict(simple[annotation])
        raise TypeError(f"no JSON Schema for {annotation!r}")  # pragma: no cover - a new field type

    def model(
        self,
        model: type[BaseModel],
        overrides: Mapping[str, dict[str, Any]] | None = None,
        descriptions: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field_name, info in model.model_fields.items():
            name = info.alias or field_name  # as written in YAML (e.g. 'from')
            schema = dict(overrides[name]) if overrides and name in overrides else self.annotation(info.annotation)
            for meta in info.metadata:
                _constrain(schema, meta)
            if descriptions and name in descriptions:
                schema["description"] = descriptions[name]
            if info.is_required():
                required.append(name)
            elif info.default not in (None, PydanticUndefined) and not isinstance(info.default, Period | tuple):
                schema.setdefault("default", info.default)
            properties[name] = schema
        out: dict[str, Any] = {"type": "object"}
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ").replace("``", "")
        if doc:
            out["description"] = doc
        out["properties"] = properties
        if required:
            out["required"] = required
        if model.model_config.get("extra") == "forbid":
            out["additionalProperties"] = False
        return out


def _constrain(schema: dict[str, Any], meta: Any) -> None:
    target = schema
    if "anyOf" in schema:
        target = schema["anyOf"][0]
    kind = target.get("type")
    if isinstance(meta, annotated_types.MinLen):
        target["minItems" if kind == "array" else "minLength"] = meta.min_length
    elif isinstance(meta, annotated_types.MaxLen):
        target["maxItems" if kind == "array" else "maxLength"] = meta.max_length
    elif isinstance(meta, annotated_types.Ge):
        target["minimum"] = meta.ge
    elif isinstance(meta, annotated_types.Le):
        target["maximum"] = meta.le
    elif getattr(meta, "pattern", None):
        target["pattern"] = meta.pattern


def _array_of(values: list[str]) -> dict[str, Any]:
    return {"type": "array", "items": {"enum": values}, "minItems": 1}


def _moment() -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": MOMENT_PATTERN,
        "description": "A moment of the course: '[N days/weeks/months before/after] first session, each session, "
        "last session' or 'assessment'.",
        "examples": ["4 weeks before first session", "2 days before each session", "2 weeks after last session"],
    }


def _period() -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": PERIOD_PATTERN,
        "description": "A whole number and days, weeks, months or years, e.g. '2 weeks' or '6 months'.",
        "examples": ["7 days", "2 weeks", "6 months", "1 year"],
    }


def _selectors(spec: ProtocolSpec) -> list[str]:
    families = sorted({f"{t.family}.*" for t in spec.techniques.values()})
    return [*spec.techniques, *families, "all"]


def _fact_tests(name: str, fact: FactSpec) -> dict[str, Any] | None:
    """The schema of ``<fact>: <test>`` inside a condition, for one fact of the vocabulary."""
    description = f"{fact.label}: {fact.description}"
    if fact.type == "boolean":
        plain: dict[str, Any] = {"type": "boolean"}
        ops = {"is": plain, "is_not": plain}
    elif fact.type == "integer":
        plain = {"type": "integer", "minimum": fact.minimum, "maximum": fact.maximum}
        many = {"type": "array", "items": plain, "minItems": 1}
        pair = {"type": "array", "items": plain, "minItems": 2, "maxItems": 2}
        ops = {
            "is": plain,
            "is_not": plain,
            "at_least": plain,
            "at_most": plain,
            "above": plain,
            "below": plain,
            "one_of": many,
            "none_of": many,
            "between": pair,
        }
    elif fact.type == "enum":
        plain = {"enum": list(fact.values)}
        many = {"type": "array", "items": plain, "minItems": 1}
        ops = {"is": plain, "is_not": plain, "one_of": many, "none_of": many}
    elif fact.type == "set":
        member = {"enum": list(fact.values)}
        many = {"type": "array", "items": member, "minItems": 1}
        ops = {"includes": member, "excludes": member, "includes_any": many, "includes_all": many}
        plain = {}
    elif fact.type == "date":
        ops = {"within": _ref("period")}
        plain = {}
    else:
        return None
    test = {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": {op: dict(schema, description=f"{name} is {_OPERATORS[op]}") for op, schema in ops.items()},
    }
    return {"description": description, "anyOf": [plain, test] if plain else [test]}


def _condition(spec: ProtocolSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "all": {"type": "array", "minItems": 1, "items": _ref("condition"), "description": "Every item must hold."},
        "any": {"type": "array", "minItems": 1, "items": _ref("condition"), "description": "One item is enough."},
        "not": dict(_ref("condition"), description="The condition must not hold."),
    }
    if PREVIOUS_TREATMENTS in spec.facts:
        properties["previous_treatment"] = {
            "type": "object",
            "description": "A previous treatment with this technique (or family) within the period.",
            "required": ["technique", "within"],
            "additionalProperties": False,
            "properties": {
                "technique": _ref("selector"),
                "within": _ref("period"),
                "reaction": {
                    "type": "array",
                    "items": {"enum": list(spec.facts[PREVIOUS_TREATMENTS].reactions)},
                    "minItems": 1,
                    "description": "The latest such treatment recorded one of these reactions.",
                },
                "response": {
                    "type": "array",
                    "items": {"enum": list(spec.facts[PREVIOUS_TREATMENTS].responses)},
                    "minItems": 1,
                    "description": "The latest such treatment recorded one of these responses.",
                },
            },
        }
    for name, fact in spec.facts.items():
        if fact.planning_only:
            continue
        test = _fact_tests(name, fact)
        if test is not None:
            properties[name] = test
    return {
        "type": "object",
        "description": "One test of one fact, or all / any / not of other conditions.",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": properties,
    }


def _wait(spec: ProtocolSpec, translator: _Translator) -> dict[str, Any]:
    dates = [n for n, f in spec.facts.items() if f.type == "date" and not f.planning_only and n != ASSESSMENT_DATE]
    schema = translator.model(
        WaitSpec,
        overrides={"after": {"enum": dates}, "after_previous": _ref("selector"), "period": _ref("period")},
        descriptions={
            "after": "A date fact whose date starts the clock.",
            "after_previous": "A technique or family whose most recent previous treatment starts the clock.",
        },
    )
    schema["oneOf"] = [{"required": ["after"]}, {"required": ["after_previous"]}]
    return schema


def rules_schema(spec: ProtocolSpec) -> dict[str, Any]:
    """The schema of a rule file (any YAML file of the folder other than the three core files)."""
    translator = _Translator(
        {
            Period: _ref("period"),
            WaitSpec: _ref("wait"),
            Evidence: _ref("evidence"),
            SessionSpec: _ref("sessions"),
            AgentUse: _ref("agent_use"),
            StepAlternative: _ref("alternative"),
            Moment: _ref("moment"),
        }
    )
    derived = [n for n, f in spec.facts.items() if f.derived]
    groups = sorted({g for agent in spec.agents.values() for g in agent.groups})
    effects: dict[str, Any] = {}
    for kind, model in EFFECT_MODELS.items():
        overrides: dict[str, dict[str, Any]] = {}
        if kind == "derived":
            overrides["fact"] = {"enum": derived}
        if kind == "sequencing":
            overrides["not_same_day"] = {"type": "array", "items": _ref("selector")}
        if kind == "contraindication":
            overrides["agents"] = {"type": "array", "items": {"enum": [*spec.agents, *groups]}}
        effects[f"then.{kind}"] = translator.model(model, overrides=overrides)
    rule = translator.model(
        RuleSpec,
        overrides={
            "applies_to": {"type": "array", "items": _ref("selector")},
            "when": _ref("condition"),
            "then": {"type": "object", "description": "What the rule does; its keys depend on 'kind'."},
            "evidence": {"type": "array", "items": _ref("evidence")},
        },
        descriptions={
            "id": "Stable identifier in CAPITALS-WITH-DASHES, e.g. CI-ISOTRETINOIN-ABLATIVE.",
            "kind": "What the rule does: derived, contraindication, suitability, requirement, sequencing, aftercare.",
            "applies_to": "Technique ids, families such as peel.*, or all.",
            "when": "The condition; leave it out for a rule that always applies.",
            "rationale": "Plain-language reason a reviewer can check against the source.",
            "priority": "Order among derived rules (lower first); 0-65535.",
        },
    )
    branches = []
    for kind in EFFECT_MODELS:
        then: dict[str, Any] = {"properties": {"then": _ref(f"then.{kind}")}}
        if kind == "contraindication":  # techniques in applies_to, or agents in then.agents
            then["anyOf"] = [
                {"required": ["applies_to"], "properties": {"applies_to": {"minItems": 1}}},
                {"properties": {"then": {"required": ["agents"]}}},
            ]
        elif kind in ("suitability", "aftercare"):
            then["required"] = ["applies_to"]
            then["properties"]["applies_to"] = {"minItems": 1}
        if kind == "derived":
            then["properties"]["applies_to"] = {"maxItems": 0}
        branches.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]}, "then": then})
    rule["allOf"] = branches
    return {
        "$schema": DRAFT,
        "title": f"pore-protocol rule file ({spec.manifest.id})",
        "description": "A list of rules under 'rules:'. Generated by 'pore-protocol schema'; do not edit by hand.",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {"rules": {"type": "array", "items": _ref("rule")}},
        "definitions": {
            "rule": rule,
            "condition": _condition(spec),
            "selector": {"enum": _selectors(spec), "description": "A technique id, a family such as peel.*, or all."},
            "period": _period(),
            "wait": _wait(spec, translator),
            "moment": _moment(),
            "agent_use": translator.model(AgentUse, overrides={"agent": {"enum": list(spec.agents)}}),
            "alternative": translator.model(StepAlternative),
            "evidence": {
                "description": "A source of the evidence registry, by id, with the digest facts the rule rests on; "
                "or (discouraged) a citation written out.",
                "anyOf": [
                    {"enum": list(spec.sources)},
                    translator.model(EvidenceRef, overrides={"source": {"enum": list(spec.sources)}}),
                    translator.model(Evidence),
                ],
            },
            **effects,
        },
    }


def facts_schema(spec: ProtocolSpec) -> dict[str, Any]:
    """The schema of one client's facts; an absent answer (or null) means unknown."""
    properties: dict[str, Any] = {}
    for name, fact in spec.facts.items():
        if fact.derived:
            continue
        if fact.type == "boolean":
            schema: dict[str, Any] = {"type": "boolean"}
        elif fact.type == "integer":
            schema = {"type": "integer", "minimum": fact.minimum, "maximum": fact.maximum}
        elif fact.type == "enum":
            schema = {"enum": list(fact.values)}
        elif fact.type == "set":
            schema = {"type": "array", "items": {"enum": list(fact.values)}, "uniqueItems": True}
        elif fact.type == "date":
            schema = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
            words = [w for w, allowed in (("never", fact.allow_never), ("ongoing", fact.allow_ongoing)) if allowed]
            if words:
                schema = {"anyOf": [schema, *({"const": w} for w in words)]}
        else:
            schema = {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["technique", "date"],
                    "additionalProperties": False,
                    "properties": {
                        "technique": {"enum": list(spec.techniques)},
                        "date": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
                        "reaction": {"enum": list(fact.reactions)},
                        "response": {"enum": list(fact.responses)},
                    },
                },
            }
        description = f"{fact.label}. {fact.question}"
        if fact.required:
            properties[name] = dict(schema, description=description)
        else:
            properties[name] = {"description": description, "anyOf": [schema, {"type": "null"}]}
    return {
        "$schema": DRAFT,
        "title": f"Client facts for {spec.manifest.title}",
        "description": "One client's answers. Leave a question out (or write null) when the answer is unknown.",
        "type": "object",
        "required": [n for n, f in spec.facts.items() if f.required and not f.derived],
        "additionalProperties": False,
        "properties": properties,
    }


def _core_schema(title: str, body: dict[str, Any], definitions: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out = {"$schema": DRAFT, "title": title, **body}
    if definitions:
        out["definitions"] = dict(definitions)
    return out


def build_schemas(spec: ProtocolSpec) -> dict[str, dict[str, Any]]:
    """Every schema, by name (see :data:`SCHEMAS`)."""
    translator = _Translator({Period: _ref("period"), SessionSpec: _ref("sessions")})
    manifest = translator.model(Manifest)
    manifest["properties"]["phases"] = {
        "type": "array",
        "items": {"enum": list(typing.get_args(Manifest.model_fields["phases"].annotation)[0].__args__)},
        "uniqueItems": True,
    }
    fact = translator.model(FactSpec)
    vocabulary: dict[str, Any] = {
        "type": "object",
        "required": ["facts"],
        "additionalProperties": False,
        "properties": {
            "facts": {
                "type": "object",
                "propertyNames": {"pattern": FACT_NAME_PATTERN, "not": {"enum": ["all", "any", "not"]}},
                "additionalProperties": fact,
            }
        },
    }
    techniques: dict[str, Any] = {
        "type": "object",
        "required": ["techniques"],
        "additionalProperties": False,
        "properties": {
            "techniques": {
                "type": "object",
                "propertyNames": {"pattern": TECHNIQUE_ID_PATTERN},
                "additionalProperties": translator.model(TechniqueSpec),
            }
        },
    }
    vocabulary["properties"]["replaced"] = {
        "type": "object",
        "description": "Facts the vocabulary retired, with the facts that replaced them.",
        "propertyNames": {"pattern": FACT_NAME_PATTERN},
        "additionalProperties": translator.model(
            Replacement, overrides={"by": {"type": "array", "items": {"enum": list(spec.facts)}, "minItems": 1}}
        ),
    }
    techniques["properties"]["techniques"]["additionalProperties"]["properties"]["agents"] = {
        "type": "array",
        "items": {"enum": list(spec.agents)},
    }
    sessions = {"sessions": translator.model(SessionSpec), "period": _period()}
    evidence = {
        "type": "object",
        "required": ["evidence"],
        "additionalProperties": False,
        "properties": {
            "evidence": {
                "type": "object",
                "propertyNames": {"pattern": SOURCE_ID_PATTERN},
                "additionalProperties": translator.model(EvidenceSource),
            }
        },
    }
    agents = {
        "type": "object",
        "required": ["agents"],
        "additionalProperties": False,
        "properties": {
            "agents": {
                "type": "object",
                "propertyNames": {"pattern": AGENT_ID_PATTERN},
                "additionalProperties": translator.model(AgentSpec),
            }
        },
    }
    plan = dict(TreatmentPlan.model_json_schema(), title=f"A treatment plan of {spec.manifest.title}")
    return {
        "protocol": _core_schema("pore-protocol manifest (protocol.yaml)", manifest),
        "vocabulary": _core_schema("pore-protocol intake vocabulary (vocabulary.yaml)", vocabulary),
        "techniques": _core_schema("pore-protocol technique catalogue (techniques.yaml)", techniques, sessions),
        "evidence": _core_schema("pore-protocol evidence registry (evidence.yaml)", evidence),
        "agents": _core_schema("pore-protocol agent catalogue (agents.yaml)", agents),
        "rules": rules_schema(spec),
        "facts": facts_schema(spec),
        "plan": {"$schema": "https://json-schema.org/draft/2020-12/schema", **plan},
    }


def schema_text(schema: Mapping[str, Any]) -> str:
    """The exact text written to a schema file (stable, so the committed copy can be compared)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
