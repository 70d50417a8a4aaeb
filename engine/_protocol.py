"""The public entry point: load a rules folder once, evaluate many clients against it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine._compile import CompiledProtocol, compile_protocol
from engine._errors import FactsError, Issue, suggest
from engine._evaluate import Evaluator, Outcome
from engine._facts import ClientFacts, check_facts, parse_facts_text
from engine._model import FactSpec, TechniqueSpec
from engine._plan import PlanTables, build_plan
from engine._plan_model import TreatmentPlan
from engine._spec import ProtocolSpec

if TYPE_CHECKING:  # imported when first used: evaluating needs neither (a faster start for the command line)
    from engine._check import CheckResult, Proposal

__all__ = ["Protocol", "load_protocol", "shipped_rules_path"]


def shipped_rules_path() -> Path:
    """The rules folder installed with the package (or the repository's, in a checkout)."""
    here = Path(__file__).resolve().parent
    installed = here / "rules"
    if (installed / "protocol.yaml").is_file():
        return installed
    return here.parent / "rules"


class Protocol:
    """A loaded, validated and compiled protocol.

    Build one with :func:`load_protocol`; it is safe to share between threads (calls into
    the matcher are serialised) and cheap to keep for the life of a process.

    It holds the per-protocol state every evaluation reuses: the validated rules, the
    matcher's rulesets (through the evaluator, which also keeps the flattener's cut-off
    cache) and the planner's tables. Every public method returns a public type:
    :class:`~engine.TreatmentPlan`, :class:`~engine.ClientFacts`, :class:`~engine.Outcome`,
    :class:`~engine.FactSpec`, :class:`~engine.TechniqueSpec`. ``_spec``, the full validated
    protocol, is for the package's own tools (lint, rulebook, diff) and may change.
    """

    def __init__(self, spec: ProtocolSpec, compiled: CompiledProtocol) -> None:
        self._spec = spec
        self._compiled = compiled
        self._evaluator = Evaluator(spec, compiled)
        self._tables = PlanTables(spec)

    def __repr__(self) -> str:
        return f"<Protocol {self.id} {self.version} sha256={self.sha256[:12]} rules={len(self._spec.rules)}>"

    @property
    def id(self) -> str:
        """The protocol's id (``protocol.yaml``)."""
        return self._spec.manifest.id

    @property
    def title(self) -> str:
        """The protocol's title."""
        return self._spec.manifest.title

    @property
    def version(self) -> str:
        """The protocol's version (x.y.z)."""
        return self._spec.manifest.version

    @property
    def status(self) -> str:
        """``draft``, ``active`` or ``retired``."""
        return self._spec.manifest.status

    @property
    def sha256(self) -> str:
        """SHA-256 of every rule file's name and bytes: two folders with equal content hash equally."""
        return self._spec.sha256

    @property
    def path(self) -> Path:
        """The rules folder the protocol was loaded from."""
        return self._spec.root

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Every rule's id, in the order of the rule files."""
        return tuple(rule.id for rule in self._spec.rules)

    @property
    def facts(self) -> Mapping[str, FactSpec]:
        """The intake vocabulary, by fact name."""
        return self._spec.facts

    @property
    def techniques(self) -> Mapping[str, TechniqueSpec]:
        """The technique catalogue, by technique id."""
        return self._spec.techniques

    @property
    def matcher_rulesets(self) -> int:
        """How many matcher rulesets the rules were split into (see the compiler)."""
        return self._evaluator.chunk_count

    def check_facts(self, facts: Mapping[str, Any], source: str | None = None) -> ClientFacts:
        """Check and normalise facts without evaluating them.

        :raises FactsError: the facts do not fit the intake vocabulary.
        """
        return check_facts(self._spec, facts, source)

    def outcomes(self, facts: Mapping[str, Any]) -> Outcome:
        """Every rule's three-valued outcome for ``facts`` (for tests and audits).

        :raises FactsError: the facts do not fit the intake vocabulary.
        """
        return self._evaluator.evaluate(*self._evaluator.read(facts))

    def evaluate(self, facts: Mapping[str, Any], technique: str | None = None) -> TreatmentPlan:
        """Evaluate one client's facts and return a validated plan.

        :param technique: the practitioner's choice: planned when it is neither excluded nor
            pending for this client; otherwise the plan says why not. It never overrides a
            safety rule.
        :raises FactsError: the facts do not fit the intake vocabulary, or ``technique`` is
            not in the catalogue.
        """
        self._check_technique(technique)
        checked, encoded = self._evaluator.read(facts)
        return build_plan(self._spec, checked, self._evaluator.evaluate(checked, encoded), self._tables, technique)

    def evaluate_document(
        self, text: bytes | str, source: str = "<facts>", technique: str | None = None
    ) -> TreatmentPlan:
        """Parse YAML or JSON facts and evaluate them; errors name the line of each bad answer.

        :raises FactsError: the text is not readable, the facts do not fit the vocabulary, or
            ``technique`` is not in the catalogue.
        """
        self._check_technique(technique)
        data, doc = parse_facts_text(text, source)
        checked = check_facts(self._spec, data, source, doc)
        return build_plan(self._spec, checked, self._evaluator.evaluate(checked), self._tables, technique)

    def check(self, facts: Mapping[str, Any], proposal: Mapping[str, Any] | Proposal) -> CheckResult:
        """Is a practitioner's own plan acceptable? ``proposal`` is ``{technique: T, sessions: [dates]}``.

        One session dated on the assessment day asks whether today's session can go ahead.
        The answer's ``verdict`` is ``acceptable``, ``needs_review``, ``needs_information`` or
        ``unacceptable``, with each violation naming its rule; see :mod:`engine._check`.

        :raises FactsError: the facts or the proposal are invalid (an unknown technique included).
        """
        from engine._check import Proposal, check_proposal, read_proposal

        checked, encoded = self._evaluator.read(facts)
        wanted = proposal if isinstance(proposal, Proposal) else read_proposal(proposal, self._spec)
        return check_proposal(self._spec, self._tables, checked, self._evaluator.evaluate(checked, encoded), wanted)

    def check_document(
        self,
        facts: bytes | str,
        proposal: bytes | str,
        facts_source: str = "<facts>",
        proposal_source: str = "<proposal>",
    ) -> CheckResult:
        """Parse YAML or JSON facts and proposal, then :meth:`check`; errors name the line of each bad answer.

        :raises FactsError: either text is unreadable or invalid.
        """
        from engine._check import check_proposal, read_proposal

        data, doc = parse_facts_text(facts, facts_source)
        checked = check_facts(self._spec, data, facts_source, doc)
        raw, pdoc = parse_facts_text(
            proposal, proposal_source, "proposal", "a technique and its sessions, e.g. 'technique: peel.salicylic'"
        )
        wanted = read_proposal(raw, self._spec, proposal_source, pdoc)
        return check_proposal(self._spec, self._tables, checked, self._evaluator.evaluate(checked), wanted)

    def _check_technique(self, technique: str | None) -> None:
        if technique is not None and technique not in self._spec.techniques:
            hint = suggest(str(technique), self._spec.techniques) or "see the technique catalogue"
            raise FactsError(
                "unknown technique",
                [Issue(None, None, None, "technique", f"{technique!r} is not in the catalogue", hint)],
            )

    def close(self) -> None:
        """Free the matcher's rulesets now rather than at garbage collection."""
        self._evaluator.close()

    def __enter__(self) -> Protocol:
        return self

    def __exit__(self, *exc: object) -> None:
        """``with load_protocol(path) as protocol:`` frees the matcher's rulesets on the way out."""
        self.close()


def load_protocol(path: str | Path | None = None) -> Protocol:
    """Load, validate and compile a rules folder (``None``: the rules shipped with the package).

    :raises RulesError: listing every problem in the folder, each with file and line.
    """
    from engine._validate import validate_folder

    root = Path(path) if path is not None else shipped_rules_path()
    spec = validate_folder(root)
    return Protocol(spec, compile_protocol(spec))
