"""Check a loaded rules folder as a whole and turn it into a typed :class:`ProtocolSpec`.

Every problem is collected, located (file, line, rule id, path) and reported together in
one :class:`RulesError`, with a did-you-mean hint for misspelt names. Each problem carries
a code from :data:`ISSUE_CODES`, so that tools react to what kind of problem it is and
never to its wording. Conditions are parsed by :mod:`engine._conditions`, against the
declared type of each fact, so that a rule comparing a number with an enum or naming a
fact the vocabulary lacks never reaches the matcher.

:func:`validate_folder` is what loading uses: a spec, or every problem. Tools that analyse
what they can of a broken folder (``pore-protocol lint``) use
:func:`validate_folder_partial`, which also returns the spec made of the rules that are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine._conditions import ConditionParser, check_selector
from engine._errors import Issue, RulesError, suggest
from engine._fhir_mapping import validate_fhir_mapping
from engine._folder import raw_files
from engine._issues import (
    AGENTS_FILE,
    CORE_FILES,
    EVIDENCE_FILE,
    FHIR_MAPPING_FILE,
    MANIFEST_FILE,
    REQUIRED_FILES,
    TECHNIQUES_FILE,
    VOCABULARY_FILE,
    IssueCollector,
)
from engine._load import DocPath, LoadedDocument, YamlProblem, content_sha256, load_yaml_text
from engine._model import (
    AGENT_ID_PATTERN,
    FACT_NAME_PATTERN,
    SOURCE_ID_PATTERN,
    TECHNIQUE_ID_PATTERN,
    AgentSpec,
    AgentUse,
    EvidenceRef,
    EvidenceSource,
    FactSpec,
    Manifest,
    Period,
    Replacement,
    RuleSpec,
    TechniqueSpec,
)
from engine._spec import (
    ASSESSMENT_DATE,
    EFFECT_MODELS,
    PREVIOUS_TREATMENTS,
    AftercareEffect,
    Always,
    ContraindicationEffect,
    DerivedEffect,
    Effect,
    ProtocolSpec,
    RequirementEffect,
    Rule,
    SequencingEffect,
    atoms,
    condition_facts,
    derivation_order,
    is_cause_argument,
    rule_scope,
)

__all__ = ["MAX_RULES", "validate_folder", "validate_folder_partial"]
MAX_RULES = 4000


def _model_fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


# ----------------------------------------------------------------------------- entry points


def validate_folder(root: Path) -> ProtocolSpec:
    """Load and check a rules folder; raise :class:`RulesError` listing every problem."""
    root = Path(root)
    spec, issues = validate_folder_partial(root)
    if issues or spec is None:
        raise RulesError(f"rules folder {root} is invalid", issues)
    return spec


def validate_folder_partial(root: Path) -> tuple[ProtocolSpec | None, tuple[Issue, ...]]:
    """Load and check a rules folder: the protocol made of the rules that are fine, and every problem found.

    With no problem, this is :func:`validate_folder`'s spec. When every problem faults one
    rule (its envelope, condition or effect, a repeated id, a derived cycle through it), the
    spec holds the other rules, exactly as validating the folder without the faulty ones
    would (each rule keeps its own line and position). It is ``None`` when a problem
    concerns anything else (a file, the manifest, vocabulary or catalogue), or when leaving
    the faulty rules out breaks another check (a derived fact no rule derives any more).

    The problems are in the order found (:class:`RulesError` sorts them).
    :raises RulesError: only when ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise RulesError(f"rules folder {str(root)!r} does not exist or is not a folder")
    issues = IssueCollector()
    raw, docs = _documents(root, issues)
    if issues.issues:
        return None, tuple(issues.issues)

    manifest = _manifest(docs[MANIFEST_FILE], issues)
    facts, replaced = _vocabulary(docs[VOCABULARY_FILE], issues)
    agents = _agents(docs.get(AGENTS_FILE), issues)
    techniques = _techniques(docs[TECHNIQUES_FILE], agents, issues)
    sources = _sources(docs.get(EVIDENCE_FILE), issues)
    fhir_mapping = validate_fhir_mapping(docs.get(FHIR_MAPPING_FILE), facts, techniques, issues)
    builder = _RuleBuilder(facts, techniques, sources, agents, issues)
    rules = _unique_rules(builder, [doc for name, doc in sorted(docs.items()) if name not in CORE_FILES], issues)
    if len(rules) > MAX_RULES:
        issues.add("too-many-rules", None, (), f"{len(rules)} rules exceed the engine's limit of {MAX_RULES}")
    strata = _derived_checks(derivation_order(rules), rules, facts, issues, docs)
    found = tuple(issues.issues)
    if manifest is None:
        return None, found
    if found:
        faulty = issues.faulty_rules()
        if faulty is None:
            return None, found
        rules = [rule for rule in rules if (rule.file, rule.order) not in faulty]
        recheck = IssueCollector()
        strata = _derived_checks(derivation_order(rules), rules, facts, recheck, docs)
        if recheck.issues:
            return None, found
    periods, selectors = _history_and_periods(rules)
    spec = ProtocolSpec(
        root=root,
        manifest=manifest,
        facts=facts,
        techniques=techniques,
        sources=sources,
        agents=agents,
        replaced=replaced,
        rules=tuple(rules),
        sha256=content_sha256(raw),
        periods=periods,
        history_selectors=selectors,
        strata=strata,
        fhir_mapping=fhir_mapping,
    )
    return spec, found


def _documents(root: Path, issues: IssueCollector) -> tuple[list[tuple[str, bytes]], dict[str, LoadedDocument]]:
    """Every YAML file of the folder, raw (for the content hash) and loaded; reports unreadable and missing files.

    A rules folder is self-contained: a file or folder that is a symbolic link leading
    outside it is refused (a link inside it is followed), and so is a file name that is not
    valid text. Each file is read once, and never beyond the size limit.
    """
    raw = raw_files(root, issues)
    docs: dict[str, LoadedDocument] = {}
    for name, data in raw:
        try:
            docs[name] = load_yaml_text(data, name)
        except YamlProblem as problem:
            issues.yaml(name, problem)
    for required in REQUIRED_FILES:
        if required not in {name for name, _ in raw}:
            issues.add("missing-file", None, (), f"the rules folder has no {required}", f"create {root / required}")
    return raw, docs


def _unique_rules(
    builder: _RuleBuilder, rule_docs: Sequence[LoadedDocument], issues: IssueCollector
) -> list[Rule[Effect]]:
    """The rules that build, in file order; a repeated id is reported and only its first definition kept."""
    rules: list[Rule[Effect]] = []
    seen: dict[str, tuple[str, int]] = {}
    for doc in rule_docs:
        for rule in builder.rules_of(doc):
            if rule.id in seen:
                file, line = seen[rule.id]
                issues.add(
                    "duplicate-id",
                    doc,
                    ("rules", rule.order),
                    f"duplicate rule id {rule.id}",
                    f"first defined at {file}:{line}",
                    rule.id,
                )
                continue
            seen[rule.id] = (rule.file, rule.line)
            rules.append(rule)
    return rules


def _history_and_periods(rules: Iterable[Rule[Effect]]) -> tuple[frozenset[Period], frozenset[str]]:
    """The periods the rules' ``within`` tests measure, and the selectors whose latest treatment they read.

    The compiler gives each client one cut-off date per period and one latest-treatment date
    per selector; read off the rules kept, so that a rule left out contributes none.
    """
    periods: set[Period] = set()
    selectors: set[str] = set()
    for rule in rules:
        for atom in atoms(rule.condition):
            if atom.op == "within":
                periods.add(atom.value)
            if atom.selector is not None:
                selectors.add(atom.selector)
        selectors.update(w.spec.after_previous for w in rule.effect.waits() if w.spec.after_previous is not None)
    return frozenset(periods), frozenset(selectors)


def _manifest(doc: LoadedDocument, issues: IssueCollector) -> Manifest | None:
    """``protocol.yaml``, or ``None`` when it is wrong (and reported)."""
    if not isinstance(doc.data, dict):
        issues.add(
            "bad-shape", doc, (), "protocol.yaml must be a mapping of id, title, version, status, owner, last_review"
        )
        return None
    try:
        return Manifest.model_validate(doc.data)
    except ValidationError as exc:
        issues.pydantic(doc, (), exc, known=_model_fields(Manifest))
        return None


def _vocabulary(doc: LoadedDocument, issues: IssueCollector) -> tuple[dict[str, FactSpec], dict[str, Replacement]]:
    """The facts declared correctly (a broken one is reported and remembered in ``broken_facts``),
    and the facts retired with what replaced them."""
    data = doc.data
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("facts"), dict)
        or not set(data) <= {"facts", "replaced"}
        or not isinstance(data.get("replaced", {}), dict)
    ):
        issues.add(
            "bad-shape",
            doc,
            (),
            "vocabulary.yaml must have a top-level key 'facts' mapping names to facts (and may have 'replaced')",
        )
        return {}, {}
    facts: dict[str, FactSpec] = {}
    for name, body in data["facts"].items():
        if not isinstance(name, str) or not re.match(FACT_NAME_PATTERN, name):
            issues.add("bad-name", doc, ("facts", str(name)), f"fact name {name!r} must be lower_snake_case")
            continue
        if name in ("all", "any", "not", "previous_treatment"):
            issues.add("bad-name", doc, ("facts", name), f"'{name}' is a reserved word of the condition language")
            continue
        if not isinstance(body, dict):
            issues.add(
                "bad-shape", doc, ("facts", name), "a fact must be a mapping with type, label, description, question"
            )
            continue
        try:
            facts[name] = FactSpec.model_validate(body)
        except ValidationError as exc:
            issues.pydantic(doc, ("facts", name), exc, rule_id=name, known=_model_fields(FactSpec))
            issues.broken_facts.add(name)
    anchor = facts.get(ASSESSMENT_DATE)
    if anchor is None or anchor.type != "date" or not anchor.required:
        issues.add(
            "reserved-fact",
            doc,
            ("facts",),
            f"the vocabulary must declare '{ASSESSMENT_DATE}' as a required date",
            "every 'within' condition is measured back from the assessment date",
        )
    replaced = _entries(doc, "replaced", Replacement, FACT_NAME_PATTERN, "a fact name", issues, only_key=False)
    for old, replacement in replaced.items():
        if old in facts:
            issues.add("bad-name", doc, ("replaced", old), f"'{old}' is both a fact and a replaced fact")
        for i, new in enumerate(replacement.by):
            if new not in facts:
                issues.add(
                    "unknown-fact",
                    doc,
                    ("replaced", old, "by", i),
                    f"unknown fact '{new}'",
                    suggest(new, facts),
                )
    history = facts.get(PREVIOUS_TREATMENTS)
    if history is not None and history.type != "treatment_history":
        issues.add(
            "reserved-fact",
            doc,
            ("facts", PREVIOUS_TREATMENTS),
            "previous_treatments must have type treatment_history",
        )
    return facts, replaced


M = TypeVar("M", bound=BaseModel)


def _entries(
    doc: LoadedDocument,
    key: str,
    model: type[M],
    pattern: str,
    form: str,
    issues: IssueCollector,
    only_key: bool = True,
) -> dict[str, M]:
    """The entries of a catalogue file (``key: {id: {...}}``) described correctly; each wrong one is reported.

    ``only_key``: the file holds nothing else (the vocabulary also holds its facts).
    """
    data = doc.data
    if not only_key:
        data = {key: data.get(key) or {}} if isinstance(data, dict) else data
    if not isinstance(data, dict) or not isinstance(data.get(key), dict) or set(data) != {key}:
        issues.add("bad-shape", doc, (), f"{doc.file} must have a single top-level key '{key}'")
        return {}
    out: dict[str, M] = {}
    for entry_id, body in data[key].items():
        path: DocPath = (key, str(entry_id))
        if not isinstance(entry_id, str) or not re.match(pattern, entry_id):
            issues.add(
                "bad-name", doc, path, f"{key[:-1] if key.endswith('s') else key} id {entry_id!r} must look like {form}"
            )
            continue
        if not isinstance(body, dict):
            issues.add("bad-shape", doc, path, f"an entry of {doc.file} must be a mapping")
            continue
        try:
            out[entry_id] = model.model_validate(body)
        except ValidationError as exc:
            issues.pydantic(doc, path, exc, rule_id=entry_id, known=_model_fields(model))
    return out


def _agents(doc: LoadedDocument | None, issues: IssueCollector) -> dict[str, AgentSpec]:
    """The agent catalogue (``agents.yaml``); a folder without one names no agent in its steps."""
    if doc is None:
        return {}
    agents = _entries(doc, "agents", AgentSpec, AGENT_ID_PATTERN, "lower_snake_case, e.g. salicylic_acid", issues)
    for agent_id, agent in agents.items():
        for i, group in enumerate(agent.groups):
            if group in agents:
                issues.add(
                    "bad-name",
                    doc,
                    ("agents", agent_id, "groups", i),
                    f"group '{group}' has the name of an agent",
                    "a rule naming it could not say which is meant; rename the group",
                )
    return agents


def _techniques(
    doc: LoadedDocument, agents: Mapping[str, AgentSpec], issues: IssueCollector
) -> dict[str, TechniqueSpec]:
    """The techniques that are described correctly; each wrong one is reported."""
    found = _entries(
        doc, "techniques", TechniqueSpec, TECHNIQUE_ID_PATTERN, "family.variant, e.g. peel.glycolic", issues
    )
    out: dict[str, TechniqueSpec] = {}
    for tid, spec in found.items():
        if tid.split(".")[0] != spec.family:
            issues.add(
                "bad-value",
                doc,
                ("techniques", tid, "family"),
                f"family '{spec.family}' does not match the id prefix of {tid}",
            )
            continue
        unknown = [i for i, agent in enumerate(spec.agents) if agent not in agents]
        for i in unknown:
            agent = spec.agents[i]
            issues.add(
                "unknown-agent",
                doc,
                ("techniques", tid, "agents", i),
                f"unknown agent '{agent}'",
                suggest(agent, agents) or f"declare it in {AGENTS_FILE}",
                tid,
            )
        if unknown:
            continue
        out[tid] = spec
    if not out and not issues.issues:
        issues.add("bad-shape", doc, ("techniques",), "the catalogue lists no technique")
    return out


def _sources(doc: LoadedDocument | None, issues: IssueCollector) -> dict[str, EvidenceSource]:
    """The evidence registry (``evidence.yaml``); a folder without one has none, and cites inline."""
    if doc is None:
        return {}
    return _entries(doc, "evidence", EvidenceSource, SOURCE_ID_PATTERN, "S23 or NICE-ACNE-2021", issues)


# ----------------------------------------------------------------------------- rules


class _RuleBuilder:
    """Turns the rule files of one folder into typed :class:`Rule` objects, checking each against the rest.

    State: the folder's vocabulary and catalogue (effects name facts and techniques), the
    collector every problem goes to, and the :class:`ConditionParser` for ``when:``, built
    once for the folder. Each rule is checked on its own: a broken rule is reported and
    left out, and the others are still built, so one run reports every problem.
    """

    def __init__(
        self,
        facts: Mapping[str, FactSpec],
        techniques: Mapping[str, TechniqueSpec],
        sources: Mapping[str, EvidenceSource],
        agents: Mapping[str, AgentSpec],
        issues: IssueCollector,
    ) -> None:
        self.facts = facts
        self.techniques = techniques
        self.sources = sources
        self.agents = agents
        self.issues = issues
        self.conditions = ConditionParser(facts, techniques, issues)

    # -- documents

    def rules_of(self, doc: LoadedDocument) -> list[Rule[Effect]]:
        """The rules of one file that are correct on their own (repeated ids are the caller's concern)."""
        data = doc.data
        if not isinstance(data, dict) or set(data) != {"rules"} or not isinstance(data["rules"], list):
            self.issues.add("bad-shape", doc, (), "a rule file must have a single top-level key 'rules' holding a list")
            return []
        out = []
        for index, body in enumerate(data["rules"]):
            rule = self._rule(doc, index, body)
            if rule is not None:
                out.append(rule)
        return out

    def _rule(self, doc: LoadedDocument, index: int, body: Any) -> Rule[Effect] | None:
        """Rule ``index`` of ``doc``, or ``None`` when anything about it is wrong (every problem reported)."""
        base: DocPath = ("rules", index)
        if not isinstance(body, dict):
            self.issues.add(
                "bad-shape", doc, base, "each rule must be a mapping with id, title, kind, then, rationale ..."
            )
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
        condition = (
            self.conditions.parse(doc, (*base, "when"), spec.when, spec.id) if spec.when is not None else Always()
        )
        if effect is not None:
            self._check_effect(doc, base, spec, effect)
        self._check_evidence(doc, base, spec)
        if len(self.issues.issues) > before or effect is None or condition is None:
            return None
        return Rule(
            spec=spec,
            condition=condition,
            effect=effect,
            techniques=techniques,
            scope=rule_scope(spec.kind, techniques, not spec.applies_to, self.techniques, effect),
            facts=condition_facts(condition),
            cause_argument=is_cause_argument(effect, condition_facts(condition), self.facts),
            file=doc.file,
            line=doc.line_of(base) or 0,
            order=index,
        )

    def _effect(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec) -> Effect | None:
        """``then:`` as the typed effect of the rule's kind, or ``None`` (reported)."""
        model = EFFECT_MODELS[spec.kind]
        if not isinstance(spec.then, dict):
            self.issues.add(
                "bad-shape", doc, (*base, "then"), f"'then' of a {spec.kind} rule must be a mapping", rule_id=spec.id
            )
            return None
        try:
            return model.model_validate(spec.then)
        except ValidationError as exc:
            self.issues.pydantic(doc, (*base, "then"), exc, rule_id=spec.id, known=_model_fields(model))
            return None

    def _check_evidence(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec) -> None:
        """Every source a rule cites by id is in the evidence registry."""
        for i, cited in enumerate(spec.evidence):
            if isinstance(cited, EvidenceRef) and cited.source not in self.sources:
                where = (
                    "the evidence registry (evidence.yaml)" if self.sources else "an evidence registry: there is none"
                )
                self.issues.add(
                    "unknown-evidence",
                    doc,
                    (*base, "evidence", i, "source"),
                    f"source '{cited.source}' is not in {where}",
                    suggest(cited.source, self.sources) or f"add it to {EVIDENCE_FILE}",
                    spec.id,
                )

    def _applies_to(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec) -> tuple[str, ...]:
        """The techniques ``applies_to`` names (sorted); the kinds that act on techniques must name some."""
        of_agents = spec.kind == "contraindication" and isinstance(spec.then, dict) and bool(spec.then.get("agents"))
        needs = spec.kind in ("contraindication", "suitability", "aftercare") and not of_agents
        if of_agents and spec.applies_to:
            self.issues.add(
                "bad-value",
                doc,
                (*base, "applies_to"),
                "a contraindication of agents does not apply to techniques",
                "remove applies_to: the techniques are ruled out by the steps that would use the agents",
                spec.id,
            )
        if spec.kind == "derived" and spec.applies_to:
            self.issues.add(
                "bad-value", doc, (*base, "applies_to"), "derived rules do not apply to techniques", rule_id=spec.id
            )
        if needs and not spec.applies_to:
            self.issues.add(
                "missing-key",
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
        """The techniques ``selector`` names (none, reported, when it names none)."""
        return check_selector(self.issues, self.techniques, doc, path, selector, rule_id)

    def _check_effect(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec, effect: Effect) -> None:
        """What the effect's own model cannot check: the facts and techniques it names exist and fit."""
        if isinstance(effect, DerivedEffect):
            self._check_derived(doc, base, spec, effect)
        if isinstance(effect, SequencingEffect):
            self._check_sequencing(doc, base, spec, effect)
        self._check_waits(doc, base, spec, effect)
        self._check_agents(doc, base, spec, effect)

    def _check_agents(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec, effect: Effect) -> None:
        """Every agent a step or a contraindication names is in the agent catalogue (or is one of its groups)."""
        then = (*base, "then")
        named: list[tuple[DocPath, str, bool]] = []
        if isinstance(effect, ContraindicationEffect):
            named += [((*then, "agents", i), agent, True) for i, agent in enumerate(effect.agents)]
        if isinstance(effect, RequirementEffect | AftercareEffect):
            named += [((*then, "agents", i, "agent"), use.agent, False) for i, use in enumerate(effect.agents)]
            if effect.alternative is not None:
                named += [
                    ((*then, "alternative", "agents", i, "agent"), use.agent, False)
                    for i, use in enumerate(effect.alternative.agents)
                ]
        if isinstance(effect, RequirementEffect):
            self._check_lead_time(doc, then, spec, effect)
        groups = {group for agent in self.agents.values() for group in agent.groups}
        for path, name, group_allowed in named:
            if name in self.agents or (group_allowed and name in groups):
                continue
            options = [*self.agents, *groups] if group_allowed else list(self.agents)
            self.issues.add(
                "unknown-agent",
                doc,
                path,
                f"unknown agent '{name}'",
                suggest(name, options) or f"declare it in {AGENTS_FILE}",
                spec.id,
            )

    def _check_lead_time(self, doc: LoadedDocument, then: DocPath, spec: RuleSpec, effect: RequirementEffect) -> None:
        """A step that has the client use an agent from "P before first session" moves the sessions by P.

        Instructions never start before the assessment, so without a ``lead_time`` of at least
        P a client assessed a week before her start date would prime for a week, not four.
        """
        uses: list[tuple[DocPath, AgentUse]] = [(("agents", i), u) for i, u in enumerate(effect.agents)]
        if effect.alternative is not None:
            uses += [(("alternative", "agents", i), u) for i, u in enumerate(effect.alternative.agents)]
        lead = effect.lead_time.approx_days() if effect.lead_time is not None else 0
        for where, use in uses:
            start = use.start
            if use.role != "uses" or start is None or start.period is None:
                continue
            if start.anchor == "first_session" and start.direction == "before" and start.period.approx_days() > lead:
                self.issues.add(
                    "bad-value",
                    doc,
                    (*then, *where, "from"),
                    f"the client starts {use.agent} {start}, but the step's lead_time "
                    f"({effect.lead_time or 'none'}) does not keep the first session that far away",
                    f"add lead_time: {start.period} to the step",
                    spec.id,
                )

    def _check_derived(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec, effect: DerivedEffect) -> None:
        """A derived rule sets a fact declared as derived, to a value of that fact."""
        then = (*base, "then")
        fact = self.facts.get(effect.fact)
        if effect.fact in self.issues.broken_facts:
            return
        if fact is None or not fact.derived:
            derived = [n for n, f in self.facts.items() if f.derived]
            self.issues.add(
                "wrong-fact",
                doc,
                (*then, "fact"),
                f"'{effect.fact}' is not a derived fact of the vocabulary",
                suggest(effect.fact, derived) or "declare it with derived: true",
                spec.id,
            )
        elif fact.type == "enum" and effect.value not in fact.values:
            self.issues.add(
                "bad-value",
                doc,
                (*then, "value"),
                f"{effect.value!r} is not a value of {effect.fact}",
                suggest(str(effect.value), fact.values) or f"use one of {list(fact.values)}",
                spec.id,
            )
        elif fact.type == "boolean" and not isinstance(effect.value, bool):
            self.issues.add("bad-value", doc, (*then, "value"), f"{effect.fact} is true or false", rule_id=spec.id)

    def _check_sequencing(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec, effect: SequencingEffect) -> None:
        """``not_same_day`` names techniques; a phase skipped for everyone must say for which techniques."""
        then = (*base, "then")
        for i, sel in enumerate(effect.not_same_day):
            self._selector(doc, (*then, "not_same_day", i), sel, spec.id)
        if effect.skip_phase and spec.when is None and not spec.applies_to:
            self.issues.add(
                "missing-key",
                doc,
                base,
                "an unconditional skip_phase must say which techniques it applies_to",
                rule_id=spec.id,
            )

    def _check_waits(self, doc: LoadedDocument, base: DocPath, spec: RuleSpec, effect: Effect) -> None:
        """Each waiting period counts from a date fact, or from a previous treatment of named techniques."""
        then = (*base, "then")
        for key, wait in ((w.key, w.spec) for w in effect.waits()):
            path = (*then, key)
            if wait.after is not None:
                fact = self.facts.get(wait.after)
                if fact is None or fact.type != "date":
                    dates = [n for n, f in self.facts.items() if f.type == "date"]
                    self.issues.add(
                        "wrong-fact",
                        doc,
                        (*path, "after"),
                        f"'{wait.after}' is not a date fact",
                        suggest(wait.after, dates),
                        spec.id,
                    )
                elif fact.allow_ongoing and key != "wait":
                    self.issues.add(
                        "wrong-fact",
                        doc,
                        (*path, "after"),
                        f"'{wait.after}' may be ongoing, so a wait after it has no end a session could be dated by",
                        "wait after it only in a contraindication (which excludes while it lasts)",
                        spec.id,
                    )
            elif wait.after_previous is not None:
                if PREVIOUS_TREATMENTS not in self.facts:
                    self.issues.add(
                        "reserved-fact", doc, path, "the vocabulary has no previous_treatments fact", rule_id=spec.id
                    )
                else:
                    self._selector(doc, (*path, "after_previous"), wait.after_previous, spec.id)


def _derived_checks(
    deriving: Mapping[str, tuple[Rule[DerivedEffect], ...]],
    rules: list[Rule[Effect]],
    facts: Mapping[str, FactSpec],
    issues: IssueCollector,
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
                "derived-cycle",
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
                "underived-fact",
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
