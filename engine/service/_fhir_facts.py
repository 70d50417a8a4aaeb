"""Read a client's intake facts out of FHIR R4 resources, through the protocol's ``fhir-mapping.yaml``.

The mapping says which codes mean which fact (:mod:`engine._fhir_mapping`); this module
only walks resources. What it never does is read absence as "no": a record without a
pregnancy Observation leaves ``pregnant`` unknown, and the plan asks. A fact is "no" only
when the record says so: an Observation with that answer, a refuted Condition or
AllergyIntolerance, a medication marked not taken.

When the record holds several answers to one question, the rule is fail-safe:

* a yes from any source (an active Condition, a medication taken, an allergy) wins over a no;
* otherwise the latest Observation (by its effective date) gives the answer; two latest that
  disagree leave the fact unknown, with a note;
* a date fact takes the latest date any source gives, and ``ongoing`` wins over every date;
  ``never`` only counts when no source gives a date;
* a set is the union of every member recorded; the treatment history is one entry per
  completed Procedure coded with a technique.

Each decision that drops or doubts something is a note (for ``pore-protocol fhir facts``),
never with a patient identifier in it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine._fhir_mapping import EMPTY_CODE, NEVER_CODE, ONGOING_CODE, FactMap, FhirMapping
from engine._model import FactSpec

__all__ = ["Extraction", "FactReader", "resources_of"]

_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_OBSERVATION_DONE = frozenset({"final", "amended", "corrected", "preliminary"})
_ACTIVE_CLINICAL = frozenset({"active", "recurrence", "relapse"})
_TAKING = frozenset({"active", "intended", "on-hold"})
_TAKEN = frozenset({"completed", "stopped"})
MAX_RESOURCES = 10_000
"""Resources read from one record; more is not one client's intake and is refused by the caller."""


@dataclass
class Extraction:
    """The facts a record gives (absent: unknown) and the notes on what was dropped or doubted."""

    facts: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def resources_of(value: Any) -> Iterator[dict[str, Any]]:
    """Every resource in ``value``: a resource, a Bundle (entries, nested Bundles too), or a list of them."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            if item.get("resourceType") == "Bundle":
                entries = item.get("entry")
                if isinstance(entries, list):
                    stack.extend(reversed([e.get("resource") for e in entries if isinstance(e, dict)]))
            elif isinstance(item.get("resourceType"), str):
                yield item


def _codings(concept: Any) -> list[tuple[str, str]]:
    """The (system, code) pairs of a CodeableConcept (or of a list of them)."""
    concepts = concept if isinstance(concept, list) else [concept]
    out = []
    for one in concepts:
        if isinstance(one, dict) and isinstance(one.get("coding"), list):
            for coding in one["coding"]:
                if (
                    isinstance(coding, dict)
                    and isinstance(coding.get("system"), str)
                    and isinstance(coding.get("code"), str)
                ):
                    out.append((coding["system"], coding["code"]))
    return out


def _status_code(concept: Any) -> str | None:
    """The code of a status CodeableConcept (clinicalStatus, verificationStatus), whatever its system."""
    found = _codings(concept)
    return found[0][1] if found else None


def _date(value: Any) -> dt.date | None:
    """The calendar date of a FHIR date or dateTime as written (its own offset); ``None`` if partial or invalid."""
    if not isinstance(value, str):
        return None
    match = _FULL_DATE.match(value)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _when(resource: Mapping[str, Any], *keys: str) -> dt.date | None:
    """The first full date among ``keys`` of ``resource`` (``effectivePeriod`` and the like: its end, else start)."""
    for key in keys:
        value = resource.get(key)
        found = (_date(value.get("end")) or _date(value.get("start"))) if isinstance(value, dict) else _date(value)
        if found is not None:
            return found
    return None


@dataclass
class _Answers:
    """What the resources said about one fact, before the fail-safe rules pick the answer."""

    observed: list[tuple[dt.date | None, Any]] = field(default_factory=list)
    yes: bool = False
    no: bool = False
    dates: list[dt.date] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    treatments: list[dict[str, Any]] = field(default_factory=list)


class FactReader:
    """Reads facts from resources for one protocol; build it once per protocol (it indexes the mapping).

    State: for each resource kind, which facts each code names. Reading keeps nothing.
    """

    def __init__(self, mapping: FhirMapping, facts: Mapping[str, FactSpec]) -> None:
        self.mapping = mapping
        self.specs = facts
        self.by_observation: dict[tuple[str, str], list[FactMap]] = defaultdict(list)
        self.by_source: dict[str, dict[tuple[str, str], list[FactMap]]] = {
            kind: defaultdict(list) for kind in ("conditions", "medications", "allergies", "procedures", "techniques")
        }
        for fact in mapping.facts.values():
            for key in fact.observation:
                self.by_observation[key].append(fact)
            for kind, table in self.by_source.items():
                for key in getattr(fact, kind):
                    table[key].append(fact)

    def read(self, resources: Iterable[Mapping[str, Any]], assessment_date: dt.date) -> Extraction:
        """The facts the resources give, checked only for shape (the protocol checks the values)."""
        answers: dict[str, _Answers] = defaultdict(_Answers)
        notes: list[str] = []
        for resource in resources:
            kind = resource.get("resourceType")
            if kind == "Patient":
                self._patient(resource, assessment_date, answers, notes)
            elif kind == "Observation":
                self._observation(resource, answers, notes)
            elif kind == "Condition":
                self._condition(resource, answers)
            elif kind in ("MedicationStatement", "MedicationRequest"):
                self._medication(resource, answers)
            elif kind == "AllergyIntolerance":
                self._allergy(resource, answers)
            elif kind == "Procedure":
                self._procedure(resource, answers, notes)
        facts: dict[str, Any] = {}
        for name in sorted(answers):
            value = self._decide(self.mapping.facts[name], answers[name], notes)
            if value is not None:
                facts[name] = value
        return Extraction(facts, notes)

    # -- resources

    def _patient(
        self, patient: Mapping[str, Any], today: dt.date, answers: dict[str, _Answers], notes: list[str]
    ) -> None:
        if "age" not in self.mapping.facts:
            return
        born = patient.get("birthDate")
        if not isinstance(born, str) or not born:
            return
        parts = born.split("-")
        try:
            year = int(parts[0])
            first = dt.date(year, int(parts[1]) if len(parts) > 1 else 1, int(parts[2][:2]) if len(parts) > 2 else 1)
            last_month = int(parts[1]) if len(parts) > 1 else 12
            last_day = int(parts[2][:2]) if len(parts) > 2 else calendar.monthrange(year, last_month)[1]
            last = dt.date(year, last_month, last_day)
        except (ValueError, IndexError):
            notes.append("Patient.birthDate is not a date; the age stays unknown")
            return
        oldest, youngest = _age(first, today), _age(last, today)
        if oldest != youngest:
            notes.append(f"Patient.birthDate {born!r} leaves the age open ({youngest} or {oldest}); it stays unknown")
            return
        answers["age"].observed.append((today, oldest))

    def _observation(self, observation: Mapping[str, Any], answers: dict[str, _Answers], notes: list[str]) -> None:
        facts = {f.fact: f for key in _codings(observation.get("code")) for f in self.by_observation.get(key, ())}
        if not facts:
            return
        if observation.get("status") not in _OBSERVATION_DONE:
            notes.append(
                f"an Observation of {', '.join(sorted(facts))} with status {observation.get('status')!r} is ignored"
            )
            return
        when = _when(observation, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")
        for fact in facts.values():
            value = self._observed_value(fact, observation, notes)
            if value is None:
                continue
            found = answers[fact.fact]
            if fact.type == "set":
                if value == EMPTY_CODE:
                    found.words.add(EMPTY_CODE)
                else:
                    found.members.update(value)
            elif fact.type in ("date", "treatment_history"):
                if isinstance(value, dt.date):
                    found.dates.append(value)
                else:
                    found.words.add(value)
            else:
                found.observed.append((when, value))

    def _observed_value(self, fact: FactMap, observation: Mapping[str, Any], notes: list[str]) -> Any:
        """The answer one Observation gives to ``fact`` (a set: its members, or ``none``); ``None`` if it gives none."""
        coded = _codings(observation.get("valueCodeableConcept"))
        special = [fact.special[c] for c in coded if c in fact.special]
        if fact.type == "boolean" and isinstance(observation.get("valueBoolean"), bool):
            return observation["valueBoolean"]
        if fact.type == "integer":
            number = observation.get("valueInteger")
            quantity = observation.get("valueQuantity")
            if number is None and isinstance(quantity, dict):
                number = quantity.get("value")
            if isinstance(number, int | float) and not isinstance(number, bool) and float(number).is_integer():
                return int(number)
        if fact.type == "date":
            if "valueDateTime" in observation:
                found = _date(observation["valueDateTime"])
                if found is None:
                    notes.append(f"an Observation of {fact.fact} has a partial or invalid date; it is ignored")
                return found
            return special[0] if special else None
        if fact.type == "treatment_history":
            return special[0] if special else None
        values = [fact.values[c] for c in coded if c in fact.values]
        if fact.type == "set":
            return set(values) if values else (EMPTY_CODE if EMPTY_CODE in special else None)
        distinct = set(values)
        if len(distinct) > 1:
            notes.append(f"an Observation of {fact.fact} is coded with conflicting values; it is ignored")
            return None
        return values[0] if values else None

    def _condition(self, condition: Mapping[str, Any], answers: dict[str, _Answers]) -> None:
        verification = _status_code(condition.get("verificationStatus"))
        if verification == "entered-in-error":
            return
        active = _status_code(condition.get("clinicalStatus")) in _ACTIVE_CLINICAL
        for fact in self._named("conditions", condition.get("code")):
            if verification == "refuted":
                answers[fact.fact].no = True
            elif active or not fact.active_only:
                answers[fact.fact].yes = True

    def _allergy(self, allergy: Mapping[str, Any], answers: dict[str, _Answers]) -> None:
        verification = _status_code(allergy.get("verificationStatus"))
        clinical = _status_code(allergy.get("clinicalStatus"))
        for fact in self._named("allergies", allergy.get("code")):
            if verification == "refuted":
                answers[fact.fact].no = True
            elif verification != "entered-in-error" and clinical not in ("inactive", "resolved"):
                answers[fact.fact].yes = True

    def _medication(self, medication: Mapping[str, Any], answers: dict[str, _Answers]) -> None:
        status = medication.get("status")
        request = medication.get("resourceType") == "MedicationRequest"
        taking = status in (("active", "on-hold", "draft") if request else _TAKING)
        for fact in self._named("medications", medication.get("medicationCodeableConcept")):
            found = answers[fact.fact]
            if fact.type == "boolean":
                if taking:
                    found.yes = True
                elif status == "not-taken":
                    found.no = True
                continue
            period = medication.get("effectivePeriod")
            ended = _date(period.get("end")) if isinstance(period, dict) else None
            if taking and ended is None:
                found.words.add(ONGOING_CODE)
            elif not request and status in _TAKEN | _TAKING:
                last = ended or _when(medication, "effectiveDateTime")
                if last is not None:
                    found.dates.append(last)

    def _procedure(self, procedure: Mapping[str, Any], answers: dict[str, _Answers], notes: list[str]) -> None:
        if procedure.get("status") != "completed":
            return
        codes = procedure.get("code")
        when = _when(procedure, "performedDateTime", "performedPeriod")
        for fact in self._named("procedures", codes):
            if when is not None:
                answers[fact.fact].dates.append(when)
        for fact in self._named("techniques", codes):
            techniques = {fact.techniques[c] for c in _codings(codes) if c in fact.techniques}
            if len(techniques) != 1 or when is None:
                notes.append(f"a Procedure of {fact.fact} without one technique or a full date is ignored")
                continue
            entry: dict[str, Any] = {"technique": techniques.pop(), "date": when.isoformat()}
            reactions = {fact.reactions[c] for c in _codings(procedure.get("complication")) if c in fact.reactions}
            responses = {fact.responses[c] for c in _codings(procedure.get("outcome")) if c in fact.responses}
            if len(reactions) == 1:
                entry["reaction"] = reactions.pop()
            if len(responses) == 1:
                entry["response"] = responses.pop()
            answers[fact.fact].treatments.append(entry)

    def _named(self, kind: str, concept: Any) -> list[FactMap]:
        table = self.by_source[kind]
        named = {f.fact: f for key in _codings(concept) for f in table.get(key, ())}
        return [named[name] for name in sorted(named)]

    # -- deciding

    def _decide(self, fact: FactMap, found: _Answers, notes: list[str]) -> Any:
        if fact.type == "set":
            if found.members:
                return sorted(found.members)
            return [] if EMPTY_CODE in found.words else None
        if fact.type == "treatment_history":
            if found.treatments:
                return sorted(found.treatments, key=lambda t: (t["date"], t["technique"]))
            return [] if EMPTY_CODE in found.words else None
        if fact.type == "date":
            if ONGOING_CODE in found.words and self.specs[fact.fact].allow_ongoing:
                return ONGOING_CODE
            if found.dates:
                return max(found.dates).isoformat()
            return NEVER_CODE if NEVER_CODE in found.words else None
        if fact.type == "boolean" and found.yes:
            return True
        latest = _latest(found.observed)
        if len(latest) > 1:
            notes.append(f"the latest answers for {fact.fact} disagree; it stays unknown")
            return None
        if latest:
            return latest.pop()
        if fact.type == "boolean" and found.no:
            return False
        return None


def _latest(observed: list[tuple[dt.date | None, Any]]) -> set[Any]:
    """The distinct values of the latest observations (undated ones count only when none is dated)."""
    dated = [(when, value) for when, value in observed if when is not None]
    pool = dated or observed
    if not pool:
        return set()
    last = max((when for when, _ in pool), default=None, key=lambda d: d or dt.date.min)
    return {value for when, value in pool if when == last}


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
