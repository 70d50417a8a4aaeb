"""The FHIR mapping of the intake vocabulary (``fhir-mapping.yaml``), typed and validated with the rules.

Clinic systems hold a client's answers as FHIR resources: a pregnancy status Observation, a
Condition coded in SNOMED CT, a MedicationStatement coded in ATC. Which codes mean which
fact is clinical knowledge, so it lives in the rules folder, beside the vocabulary, where a
clinical lead corrects a code without touching Python. This module only reads that file,
checks it against the vocabulary and the technique catalogue (every problem located, with a
did-you-mean, like the rules), and gives the service wing a typed, frozen table.

Every fact can always be sent as an Observation coded with the project's own CodeSystem
(code = the fact's name); the file adds the standard codes (LOINC, SNOMED CT, ATC ...) a
record may use instead. The project codes follow one convention, so that none has to be
written out: a fact's name; ``<fact>.<value>`` for the value of a choice or set; ``never``,
``ongoing`` and ``none`` (an empty set or history) for the answers every such fact shares;
a technique's id for a previous treatment; ``reaction.<value>`` and ``response.<value>``
for what a treatment did. A folder without the file reads project codes only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from engine._errors import suggest
from engine._issues import FHIR_MAPPING_FILE, IssueCode, IssueCollector
from engine._load import DocPath, LoadedDocument
from engine._model import FactSpec, StrictModel, TechniqueSpec

__all__ = [
    "EMPTY_CODE",
    "NEVER_CODE",
    "ONGOING_CODE",
    "PROJECT_SYSTEM",
    "Coding",
    "FactMap",
    "FhirMapping",
    "default_mapping",
    "validate_fhir_mapping",
]

PROJECT_SYSTEM = "project"
"""The alias of the project's own CodeSystem; reserved (its URL comes from ``canonical_base``)."""
NEVER_CODE = "never"
ONGOING_CODE = "ongoing"
EMPTY_CODE = "none"
"""The project code for an empty set or history ("none identified", "no previous treatment")."""
DEFAULT_BASE = "https://pore-protocol.example.org/fhir"
"""The canonical base of a folder without a mapping file (example.org: replace it before production)."""

Value = str | int | bool


# ----------------------------------------------------------------------------- the document's shape


class _Doc(StrictModel):
    """Lists are read as tuples (strict mode would refuse YAML lists); values stay strictly typed."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, str_strip_whitespace=True)


class _CodingDoc(_Doc):
    system: StrictStr = Field(min_length=1)
    code: StrictStr = Field(min_length=1, pattern=r"^\S+( \S+)*$")
    display: StrictStr = ""


class _ValueDoc(_Doc):
    value: StrictBool | StrictInt | StrictStr
    codes: tuple[_CodingDoc, ...] = Field(min_length=1)


class _SourceDoc(_Doc):
    codes: tuple[_CodingDoc, ...] = Field(min_length=1)
    status: Literal["active", "any"] = "any"
    """For conditions: count only an active one (``active``), or any that is not refuted (``any``)."""


class _FactDoc(_Doc):
    observation: tuple[_CodingDoc, ...] = ()
    values: tuple[_ValueDoc, ...] = ()
    conditions: _SourceDoc | None = None
    medications: _SourceDoc | None = None
    allergies: _SourceDoc | None = None
    procedures: _SourceDoc | None = None
    techniques: dict[str, tuple[_CodingDoc, ...]] = Field(default_factory=dict)
    reactions: dict[str, tuple[_CodingDoc, ...]] = Field(default_factory=dict)
    responses: dict[str, tuple[_CodingDoc, ...]] = Field(default_factory=dict)
    note: str = ""


class _MappingDoc(_Doc):
    canonical_base: str = Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?[^/\s]$")
    systems: dict[str, str]
    facts: dict[str, _FactDoc] = Field(default_factory=dict)


# ----------------------------------------------------------------------------- the typed mapping


@dataclass(frozen=True, order=True)
class Coding:
    """A code in a code system (the system's URI, never its alias), with the display to show."""

    system: str
    code: str
    display: str = field(default="", compare=False)


@dataclass(frozen=True)
class FactMap:
    """How one fact is read from FHIR resources; every table is keyed by ``(system URI, code)``.

    :param observation: the Observation codes that carry the fact (the project code first).
    :param values: an Observation's coded value, as the fact's value (a set fact: one member).
    :param special: codes answering ``never``, ``ongoing`` or ``none`` (an empty set or history).
    :param conditions: Condition codes meaning the fact holds (boolean facts).
    :param active_only: only an active Condition counts (an active infection), not history.
    :param medications: MedicationStatement / MedicationRequest codes (boolean facts: taking it;
        date facts: the last dose).
    :param allergies: AllergyIntolerance codes meaning the fact holds.
    :param procedures: Procedure codes whose latest date is the fact (date facts).
    :param techniques: Procedure codes naming a technique (the treatment history).
    :param reactions: Procedure complication codes, as the treatment's reaction.
    :param responses: Procedure outcome codes, as the course's response.
    """

    fact: str
    type: str
    observation: frozenset[tuple[str, str]]
    values: Mapping[tuple[str, str], Value]
    special: Mapping[tuple[str, str], str]
    conditions: frozenset[tuple[str, str]] = frozenset()
    active_only: bool = False
    medications: frozenset[tuple[str, str]] = frozenset()
    allergies: frozenset[tuple[str, str]] = frozenset()
    procedures: frozenset[tuple[str, str]] = frozenset()
    techniques: Mapping[tuple[str, str], str] = field(default_factory=dict)
    reactions: Mapping[tuple[str, str], str] = field(default_factory=dict)
    responses: Mapping[tuple[str, str], str] = field(default_factory=dict)
    codings: tuple[Coding, ...] = ()
    """Every coding the fact is read from (project ones included), for documentation and the CodeSystem."""


@dataclass(frozen=True)
class FhirMapping:
    """The validated mapping: a :class:`FactMap` for every intake fact, and the project's code systems."""

    canonical_base: str
    systems: Mapping[str, str]
    """Alias -> URI, ``project`` included."""
    facts: Mapping[str, FactMap]
    concepts: tuple[Coding, ...]
    """Every code of the project CodeSystem, with its display, in a stable order."""

    @property
    def codesystem_url(self) -> str:
        """The canonical URL of the project CodeSystem (facts, values, techniques)."""
        return f"{self.canonical_base}/CodeSystem/pore-protocol"

    @property
    def rules_system_url(self) -> str:
        """The canonical URL of the CodeSystem whose codes are the protocol's rule ids."""
        return f"{self.canonical_base}/CodeSystem/pore-protocol-rules"

    def plan_definition_url(self, protocol_id: str) -> str:
        """The canonical URL of the protocol as a PlanDefinition."""
        return f"{self.canonical_base}/PlanDefinition/{protocol_id}"


# ----------------------------------------------------------------------------- building


def default_mapping(facts: Mapping[str, FactSpec], techniques: Mapping[str, TechniqueSpec]) -> FhirMapping:
    """The mapping of a folder without ``fhir-mapping.yaml``: every fact by its project codes only."""
    return _Builder(facts, techniques, DEFAULT_BASE, {}).build({})


def validate_fhir_mapping(
    doc: LoadedDocument | None,
    facts: Mapping[str, FactSpec],
    techniques: Mapping[str, TechniqueSpec],
    issues: IssueCollector,
) -> FhirMapping | None:
    """The mapping ``doc`` describes, checked against the vocabulary and catalogue; ``None`` when wrong (reported).

    Checks: the document's shape; every fact is declared, asked at intake (not derived) and
    mapped only through sources its type can be read from; every value is a value of its
    fact; every technique, reaction and response exists; every code system is declared;
    one code never means two values of the same fact.
    """
    if doc is None:
        return default_mapping(facts, techniques)
    if not isinstance(doc.data, dict):
        issues.add("bad-shape", doc, (), f"{FHIR_MAPPING_FILE} must be a mapping of canonical_base, systems and facts")
        return None
    try:
        parsed = _MappingDoc.model_validate(doc.data)
    except ValidationError as exc:
        issues.pydantic(doc, (), exc, known=[*_MappingDoc.model_fields, *_FactDoc.model_fields])
        return None
    before = len(issues.issues)
    if PROJECT_SYSTEM in parsed.systems:
        issues.add(
            "bad-name",
            doc,
            ("systems", PROJECT_SYSTEM),
            f"'{PROJECT_SYSTEM}' is the project CodeSystem's alias; its URL comes from canonical_base",
        )
    for alias, uri in parsed.systems.items():
        if not re.match(r"^(https?://\S+|urn:\S+)$", uri):
            issues.add("bad-value", doc, ("systems", alias), f"{uri!r} is not a code system URI (http(s):// or urn:)")
    builder = _Builder(facts, techniques, parsed.canonical_base, parsed.systems, doc, issues)
    mapping = builder.build(parsed.facts)
    return mapping if len(issues.issues) == before else None


_SOURCES_BY_TYPE: Mapping[str, frozenset[str]] = {
    "boolean": frozenset({"observation", "values", "conditions", "medications", "allergies"}),
    "integer": frozenset({"observation", "values"}),
    "enum": frozenset({"observation", "values"}),
    "set": frozenset({"observation", "values"}),
    "date": frozenset({"observation", "medications", "procedures"}),
    "treatment_history": frozenset({"observation", "techniques", "reactions", "responses"}),
}
"""What each type of fact can be read from (a date is never a coded value; a set never a Condition)."""


class _Builder:
    """Builds the :class:`FactMap` of every fact, reporting each problem of the document (when there is one).

    State: the vocabulary, the catalogue, the declared code systems, and the document and
    collector problems go to (``None`` for the default mapping, which cannot have any).
    """

    def __init__(
        self,
        facts: Mapping[str, FactSpec],
        techniques: Mapping[str, TechniqueSpec],
        base: str,
        systems: Mapping[str, str],
        doc: LoadedDocument | None = None,
        issues: IssueCollector | None = None,
    ) -> None:
        self.facts = facts
        self.techniques = techniques
        self.base = base
        self.project = f"{base}/CodeSystem/pore-protocol"
        self.systems = {**systems, PROJECT_SYSTEM: self.project}
        self.doc = doc
        self.issues = issues
        self.concepts: dict[str, Coding] = {}

    def report(self, path: DocPath, message: str, hint: str | None = None, code: IssueCode = "bad-value") -> None:
        if self.issues is not None:
            self.issues.add(code, self.doc, path, message, hint)

    def build(self, written: Mapping[str, _FactDoc]) -> FhirMapping:
        for name in written:
            spec = self.facts.get(name)
            if spec is None:
                self.report(("facts", name), f"unknown fact '{name}'", suggest(name, self.facts), "unknown-fact")
            elif spec.derived:
                self.report(
                    ("facts", name),
                    f"'{name}' is derived by the protocol, never read from a record",
                    None,
                    "wrong-fact",
                )
        for word, display in ((NEVER_CODE, "Never"), (ONGOING_CODE, "Ongoing (still taken)"), (EMPTY_CODE, "None")):
            self.concepts[word] = Coding(self.project, word, display)
        out: dict[str, FactMap] = {}
        for name, spec in self.facts.items():
            if spec.derived:
                continue
            out[name] = self.fact(name, spec, written.get(name) or _FactDoc())
        concepts = tuple(sorted(self.concepts.values(), key=lambda c: c.code))
        return FhirMapping(self.base, dict(self.systems), out, concepts)

    def coding(self, path: DocPath, written: _CodingDoc) -> Coding | None:
        uri = self.systems.get(written.system)
        if uri is None:
            self.report(
                (*path, "system"),
                f"unknown code system '{written.system}'",
                suggest(written.system, self.systems) or "declare it under systems:",
            )
            return None
        return Coding(uri, written.code, written.display)

    def codings(self, path: DocPath, written: tuple[_CodingDoc, ...]) -> Iterator[Coding]:
        for i, one in enumerate(written):
            found = self.coding((*path, i), one)
            if found is not None:
                yield found

    def project_code(self, code: str, display: str) -> Coding:
        found = self.concepts.setdefault(code, Coding(self.project, code, display))
        return found

    def fact(self, name: str, spec: FactSpec, written: _FactDoc) -> FactMap:
        base: DocPath = ("facts", name)
        allowed = _SOURCES_BY_TYPE[spec.type]
        for key in ("observation", "values", "conditions", "medications", "allergies", "procedures", "techniques"):
            present = getattr(written, key)
            if present and key not in allowed:
                self.report(
                    (*base, key),
                    f"a {spec.type} fact cannot be read from {key}",
                    f"use one of: {', '.join(sorted(allowed))}",
                    "wrong-fact",
                )
        for key in ("reactions", "responses"):
            if getattr(written, key) and key not in allowed:
                self.report((*base, key), f"only the treatment history has {key}", None, "wrong-fact")
        codings: list[Coding] = [self.project_code(name, spec.label)]
        observation = {codings[0]}
        observation.update(self.codings((*base, "observation"), written.observation))
        values: dict[tuple[str, str], Value] = {}
        special: dict[tuple[str, str], str] = {}
        for value in self.project_values(name, spec):
            values[_key(self.project_code(f"{name}.{value}", f"{spec.label}: {value}"))] = value
        if spec.type in ("date", "set", "treatment_history"):
            words = [EMPTY_CODE] if spec.type != "date" else []
            words += [NEVER_CODE] if spec.allow_never else []
            words += [ONGOING_CODE] if spec.allow_ongoing else []
            special = {_key(self.concepts[w]): w for w in words}
        for i, entry in enumerate(written.values):
            path = (*base, "values", i)
            if not self.valid_value(path, name, spec, entry.value):
                continue
            for coding in self.codings((*path, "codes"), entry.codes):
                previous = values.get(_key(coding))
                if previous is not None and previous != entry.value:
                    self.report(path, f"{coding.system}|{coding.code} already means {previous!r} for {name}")
                values[_key(coding)] = entry.value
                codings.append(coding)
        sources = {}
        for key in ("conditions", "medications", "allergies", "procedures"):
            source: _SourceDoc | None = getattr(written, key)
            found = list(self.codings((*base, key, "codes"), source.codes)) if source is not None else []
            codings.extend(found)
            sources[key] = frozenset(_key(c) for c in found)
        techniques, reactions, responses = self.history(name, spec, written)
        codings.extend(observation - {codings[0]})
        return FactMap(
            fact=name,
            type=spec.type,
            observation=frozenset(_key(c) for c in observation),
            values=values,
            special=special,
            conditions=sources["conditions"],
            active_only=written.conditions is not None and written.conditions.status == "active",
            medications=sources["medications"],
            allergies=sources["allergies"],
            procedures=sources["procedures"],
            techniques=techniques,
            reactions=reactions,
            responses=responses,
            codings=tuple(dict.fromkeys(codings)),
        )

    def project_values(self, name: str, spec: FactSpec) -> tuple[str, ...]:
        return spec.values if spec.type in ("enum", "set") else ()

    def valid_value(self, path: DocPath, name: str, spec: FactSpec, value: Value) -> bool:
        ok = (
            (spec.type == "boolean" and isinstance(value, bool))
            or (
                spec.type == "integer"
                and isinstance(value, int)
                and not isinstance(value, bool)
                and (spec.minimum is None or value >= spec.minimum)
                and (spec.maximum is None or value <= spec.maximum)
            )
            or (spec.type in ("enum", "set") and isinstance(value, str) and value in spec.values)
        )
        if not ok:
            hint = suggest(str(value), spec.values) if spec.values else None
            expected = (
                f"one of {list(spec.values)}"
                if spec.values
                else f"a whole number from {spec.minimum} to {spec.maximum}"
                if spec.type == "integer"
                else "true or false"
            )
            self.report((*path, "value"), f"{value!r} is not a value of {name} ({expected})", hint)
        return ok

    def history(
        self, name: str, spec: FactSpec, written: _FactDoc
    ) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str], dict[tuple[str, str], str]]:
        """The treatment history's tables: project codes for every technique, reaction and response, plus the file's."""
        if spec.type != "treatment_history":
            return {}, {}, {}
        base: DocPath = ("facts", name)
        techniques = {_key(self.project_code(t, s.title)): t for t, s in self.techniques.items()}
        reactions = {_key(self.project_code(f"reaction.{r}", f"Reaction: {r}")): r for r in spec.reactions}
        responses = {_key(self.project_code(f"response.{r}", f"Response: {r}")): r for r in spec.responses}
        for key, table, known in (
            ("techniques", techniques, tuple(self.techniques)),
            ("reactions", reactions, spec.reactions),
            ("responses", responses, spec.responses),
        ):
            for word, codes in getattr(written, key).items():
                if word not in known:
                    kind: IssueCode = "unknown-technique" if key == "techniques" else "bad-value"
                    self.report(
                        (*base, key, word), f"'{word}' is not one of the {key} of {name}", suggest(word, known), kind
                    )
                    continue
                for coding in self.codings((*base, key, word), codes):
                    table[_key(coding)] = word
        return techniques, reactions, responses


def _key(coding: Coding) -> tuple[str, str]:
    return (coding.system, coding.code)
