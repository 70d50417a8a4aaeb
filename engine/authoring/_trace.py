"""Traceability: which scenarios prove which rule, and did they pass.

The static half reads ``features/`` with gherkin-official: the parser gives the document,
the pickle compiler gives one *pickle* per executable scenario or example row, each with
every tag it inherits (feature, ``Rule:`` block, scenario, examples). Pickles are counted
from the files themselves, so a scenario that pytest-bdd silently drops (two scenarios
with the same name in one feature) still shows up.

The dynamic half is a results file written by the pytest plugin in ``tests/`` (option
``--trace-results PATH``), one entry per collected scenario test with its outcome. It is
*not* pytest-bdd's cucumber JSON, which omits skipped scenarios, can report a scenario
with an undefined step as passed, and carries no inherited tags.

Joining the two gives the matrix rule -> scenarios -> outcome, and these problems:

``no-scenario``             a rule no scenario is tagged with
``unknown-rule-tag``        a ``@rule:`` tag naming no rule
``duplicate-scenario-name`` two scenarios with the same name in one feature
``count-mismatch``          the pickles and the collected scenario tests differ in number
``no-result``               a pickle no collected test ran (with results only)
``stale-result``            a result for a scenario no longer in the features
``step-in-description``     a description line that reads like a step but is never run

The results file (``format: pore-protocol-trace-results/1``) is a JSON object with
``collected`` (the number of scenario tests collected) and ``results``: a list of
``{nodeid, feature, line, name, example, outcome, message}`` where ``feature`` is relative
to the features folder, ``line`` the line of the scenario, ``example`` the outline row as a
mapping (or null) and ``outcome`` one of passed, failed, error, skipped, xfailed, xpassed,
not run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from engine._load import YamlProblem, read_capped
from engine._spec import ProtocolSpec

__all__ = [
    "RESULTS_FORMAT",
    "FeatureError",
    "FeatureIndex",
    "Matrix",
    "Pickle",
    "Problem",
    "Result",
    "ResultsError",
    "RuleRow",
    "build_matrix",
    "index_features",
    "load_results",
    "render_json",
    "render_markdown",
]

RESULTS_FORMAT = "pore-protocol-trace-results/1"
RULE_TAG = "@rule:"
_STEP_WORDS = re.compile(r"^\s*(Given|When|Then|And|But)\b")
PASSING = ("passed", "xfailed")


class FeatureError(Exception):
    """A feature file cannot be read or parsed; the message names the file and line."""


class ResultsError(Exception):
    """The results file is missing or not in the expected format."""


Example = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Pickle:
    """One executable scenario: a plain scenario, or one row of a scenario outline.

    :param feature: the feature file, relative to the features folder.
    :param line: the line of the ``Scenario:`` (or ``Scenario Outline:``) keyword.
    :param row_line: the line of the example row, for outlines.
    :param example: the example row as (column, value) pairs, for outlines.
    :param tags: every tag the pickle inherits, with their ``@``.
    """

    feature: str
    feature_name: str
    rule_block: str | None
    name: str
    line: int
    row_line: int | None
    example: Example | None
    tags: tuple[str, ...]

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(t.removeprefix(RULE_TAG) for t in self.tags if t.startswith(RULE_TAG))

    @property
    def key(self) -> tuple[str, int, Example | None]:
        return (self.feature, self.line, self.example)

    @property
    def location(self) -> str:
        return f"{self.feature}:{self.row_line or self.line}"


@dataclass(frozen=True)
class _Tag:
    """A ``@rule:`` tag, where it was written."""

    feature: str
    line: int
    name: str


@dataclass(frozen=True)
class _Scenario:
    """A scenario's name, where it was written."""

    feature: str
    line: int
    name: str


@dataclass(frozen=True)
class FeatureIndex:
    """Everything read from the feature files, without running anything."""

    root: Path
    files: tuple[str, ...]
    pickles: tuple[Pickle, ...]
    scenarios: tuple[_Scenario, ...]
    tags: tuple[_Tag, ...]
    step_like_descriptions: tuple[tuple[str, int, str], ...]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _description_lines(node: Mapping[str, Any], feature: str) -> list[tuple[str, int, str]]:
    text = node.get("description") or ""
    out = []
    start = int(node.get("location", {}).get("line", 0))
    for offset, line in enumerate(text.splitlines(), 1):
        if _STEP_WORDS.match(line):
            out.append((feature, start + offset, line.strip()))
    return out


def index_features(root: str | Path) -> FeatureIndex:
    """Parse every ``*.feature`` under ``root`` and compile its pickles.

    :raises FeatureError: a file cannot be read or is not valid Gherkin.
    """
    try:
        from gherkin.errors import CompositeParserException, ParserException
        from gherkin.parser import Parser
        from gherkin.pickles.compiler import Compiler
    except ImportError:  # pragma: no cover - installed with the test extra
        raise FeatureError(
            "reading feature files needs the gherkin-official package (pip install 'pore-protocol[test]')"
        ) from None

    root = Path(root)
    if not root.is_dir():
        raise FeatureError(f"features folder {str(root)!r} does not exist")
    pickles: list[Pickle] = []
    scenarios: list[_Scenario] = []
    tags: list[_Tag] = []
    described: list[tuple[str, int, str]] = []
    files = sorted(p for p in root.rglob("*.feature") if p.is_file())
    names: list[str] = []
    for path in files:
        name = path.relative_to(root).as_posix()
        names.append(name)
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FeatureError(f"{name}: cannot be read ({exc})") from None
        try:
            document: dict[str, Any] = cast(dict[str, Any], Parser().parse(text))
        except (CompositeParserException, ParserException) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid Gherkin"
            raise FeatureError(f"{name}: {first}") from None
        document["uri"] = name
        feature = document.get("feature")
        if not feature:
            continue
        lines: dict[str, int] = {}
        rule_of: dict[str, str] = {}
        rows: dict[str, tuple[int, Example]] = {}
        described.extend(_description_lines(feature, name))
        for node in _walk(feature):
            if "id" in node and "location" in node:
                lines[str(node["id"])] = int(node["location"]["line"])
        for child in feature.get("children", []):
            blocks = [child]
            if "rule" in child:
                rule = child["rule"]
                described.extend(_description_lines(rule, name))
                blocks = rule.get("children", [])
                for inner in blocks:
                    if "scenario" in inner:
                        rule_of[str(inner["scenario"]["id"])] = rule.get("name", "")
            for block in blocks:
                scenario = block.get("scenario")
                if not scenario:
                    continue
                scenarios.append(_Scenario(name, int(scenario["location"]["line"]), scenario.get("name", "")))
                described.extend(_description_lines(scenario, name))
                for examples in scenario.get("examples", []):
                    header = [c["value"] for c in (examples.get("tableHeader") or {}).get("cells", [])]
                    for row in examples.get("tableBody", []):
                        values = [c["value"] for c in row.get("cells", [])]
                        rows[str(row["id"])] = (int(row["location"]["line"]), tuple(zip(header, values, strict=False)))
        for node in _walk(feature):
            for tag in node.get("tags", []) if isinstance(node.get("tags"), list) else []:
                if isinstance(tag, dict) and "location" in tag:
                    tags.append(_Tag(name, int(tag["location"]["line"]), str(tag["name"])))
        for pickle in Compiler().compile(cast(Any, document)):
            ast_ids = [str(i) for i in pickle["astNodeIds"]]
            scenario_line = lines.get(ast_ids[0], int(pickle["location"]["line"]))
            row = rows.get(ast_ids[1]) if len(ast_ids) > 1 else None
            pickles.append(
                Pickle(
                    feature=name,
                    feature_name=feature.get("name", ""),
                    rule_block=rule_of.get(ast_ids[0]),
                    name=pickle["name"],
                    line=scenario_line,
                    row_line=row[0] if row else None,
                    example=row[1] if row else None,
                    tags=tuple(t["name"] for t in pickle.get("tags", [])),
                )
            )
    return FeatureIndex(root, tuple(names), tuple(pickles), tuple(scenarios), tuple(tags), tuple(described))


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Result:
    """The outcome of one collected scenario test."""

    nodeid: str
    feature: str
    line: int
    name: str
    example: Example | None
    outcome: str
    message: str | None = None

    @property
    def key(self) -> tuple[str, int, Example | None]:
        return (self.feature, self.line, self.example)


@dataclass(frozen=True)
class Results:
    """A results file: the collected scenario tests and their outcomes."""

    source: str
    collected: int
    results: tuple[Result, ...]


MAX_RESULTS_BYTES = 100_000_000
"""A results file larger than this is refused while reading (one of the shipped suite is under 1 MB)."""


def load_results(path: str | Path) -> Results:
    """Read a results file written by the pytest plugin (``--trace-results``).

    :raises ResultsError: the file is missing or not a results file.
    """
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"results file {str(path)!r} does not exist")
    try:
        data = json.loads(read_capped(path, MAX_RESULTS_BYTES).decode("utf-8"))
    except YamlProblem as problem:
        raise ResultsError(f"results file {str(path)!r} cannot be read: {problem.message}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"results file {str(path)!r} cannot be read: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        raise ResultsError(
            f"{path} is not a pore-protocol results file (expected format {RESULTS_FORMAT!r}); "
            "write one with: python -m pytest --trace-results PATH"
        )
    out = []
    try:
        for entry in data["results"]:
            example = entry.get("example")
            out.append(
                Result(
                    nodeid=str(entry["nodeid"]),
                    feature=str(entry["feature"]),
                    line=int(entry["line"]),
                    name=str(entry["name"]),
                    example=tuple((str(k), str(v)) for k, v in example.items()) if example else None,
                    outcome=str(entry["outcome"]),
                    message=entry.get("message"),
                )
            )
        collected = int(data["collected"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ResultsError(f"{path} has a malformed entry: {exc!r}") from None
    return Results(str(path), collected, tuple(out))


# ----------------------------------------------------------------------------- matrix


@dataclass(frozen=True)
class Problem:
    """A traceability problem, located in a feature file or a rule file."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    rule_id: str | None = None

    def format(self) -> str:
        where = self.file or "<features>"
        if self.line:
            where += f":{self.line}"
        rule = f" {self.rule_id}:" if self.rule_id else ""
        return f"{where}: [{self.code}]{rule} {self.message}"


@dataclass(frozen=True)
class Proof:
    """One scenario for a rule, with the outcome of its last run (``None``: no result)."""

    pickle: Pickle
    outcome: str | None
    message: str | None = None


@dataclass(frozen=True)
class RuleRow:
    """One rule of the matrix."""

    rule_id: str
    title: str
    kind: str
    file: str
    line: int
    proofs: tuple[Proof, ...]

    @property
    def status(self) -> str:
        """untested, failed, passed, incomplete (skipped or not run) or not run (no results)."""
        if not self.proofs:
            return "untested"
        outcomes = [p.outcome for p in self.proofs]
        if any(o in ("failed", "error", "xpassed") for o in outcomes):
            return "failed"
        if all(o is None for o in outcomes):
            return "not run"
        if all(o in PASSING for o in outcomes):
            return "passed"
        return "incomplete"


@dataclass(frozen=True)
class Matrix:
    """Rule -> scenarios -> outcome, and every traceability problem."""

    protocol: str
    rows: tuple[RuleRow, ...]
    problems: tuple[Problem, ...]
    pickles: int
    collected: int | None
    features: tuple[str, ...]
    results_source: str | None = None
    untagged: tuple[Pickle, ...] = field(default=())

    def row(self, rule_id: str) -> RuleRow:
        for row in self.rows:
            if row.rule_id == rule_id:
                return row
        raise KeyError(rule_id)

    def by_status(self, status: str) -> list[RuleRow]:
        return [r for r in self.rows if r.status == status]


def build_matrix(spec: ProtocolSpec, index: FeatureIndex, results: Results | None = None) -> Matrix:
    """Join the rules, the pickles and (optionally) the results; list every problem."""
    problems: list[Problem] = []
    known = {rule.id for rule in spec.rules}
    for tag in index.tags:
        if tag.name.startswith(RULE_TAG) and tag.name.removeprefix(RULE_TAG) not in known:
            rule_id = tag.name.removeprefix(RULE_TAG)
            from engine._errors import suggest

            hint = suggest(rule_id, known)
            problems.append(
                Problem(
                    "unknown-rule-tag",
                    f"the tag {tag.name} names no rule" + (f" ({hint})" if hint else ""),
                    tag.feature,
                    tag.line,
                    rule_id,
                )
            )
    seen: dict[tuple[str, str], _Scenario] = {}
    for scenario in index.scenarios:
        key = (scenario.feature, scenario.name)
        if key in seen:
            first = seen[key]
            problems.append(
                Problem(
                    "duplicate-scenario-name",
                    f"the scenario name {scenario.name!r} is already used at line {first.line}; pytest-bdd keeps "
                    "only one of them, so the other never runs",
                    scenario.feature,
                    scenario.line,
                )
            )
        else:
            seen[key] = scenario
    for feature, line, text in index.step_like_descriptions:
        problems.append(
            Problem(
                "step-in-description",
                f"{text!r} is description text, not a step: it is never run; move it under a scenario",
                feature,
                line,
            )
        )

    outcome: dict[tuple[str, int, Example | None], Result] = {}
    if results is not None:
        pickle_keys = {p.key for p in index.pickles}
        for result in results.results:
            matched = _match_key(result, pickle_keys)
            if matched is None:
                problems.append(
                    Problem(
                        "stale-result",
                        f"the result of {result.nodeid} matches no scenario in the feature files",
                        result.feature,
                        result.line,
                    )
                )
            else:
                outcome[matched] = result
        if results.collected != len(index.pickles):
            problems.append(
                Problem(
                    "count-mismatch",
                    f"the feature files hold {len(index.pickles)} scenarios (pickles) but pytest collected "
                    f"{results.collected} scenario tests; a scenario is dropped or bound twice",
                )
            )
        for pickle in index.pickles:
            if pickle.key not in outcome:
                problems.append(
                    Problem(
                        "no-result",
                        f"no collected test ran the scenario {pickle.name!r}",
                        pickle.feature,
                        pickle.row_line or pickle.line,
                    )
                )

    rows = []
    for rule in spec.rules:
        proofs = []
        for pickle in index.pickles:
            if rule.id in pickle.rule_ids:
                found = outcome.get(pickle.key)
                proofs.append(Proof(pickle, found.outcome if found else None, found.message if found else None))
        rows.append(RuleRow(rule.id, rule.spec.title, rule.kind, rule.file, rule.line, tuple(proofs)))
        if not proofs:
            problems.append(
                Problem(
                    "no-scenario",
                    f"no scenario is tagged @rule:{rule.id}",
                    rule.file,
                    rule.line,
                    rule.id,
                )
            )
    return Matrix(
        protocol=f"{spec.manifest.title} {spec.manifest.version}",
        rows=tuple(rows),
        problems=tuple(problems),
        pickles=len(index.pickles),
        collected=results.collected if results is not None else None,
        features=index.files,
        results_source=results.source if results is not None else None,
        untagged=tuple(p for p in index.pickles if not p.rule_ids),
    )


def _match_key(result: Result, keys: set[tuple[str, int, Example | None]]) -> tuple[str, int, Example | None] | None:
    if result.key in keys:
        return result.key
    if result.example is not None:
        wanted = dict(result.example)
        for key in keys:
            if key[0] == result.feature and key[1] == result.line and key[2] is not None and dict(key[2]) == wanted:
                return key
    return None


# ----------------------------------------------------------------------------- rendering


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _proof_text(proof: Proof) -> str:
    name = proof.pickle.name
    outcome = proof.outcome or "not run"
    return f"{proof.pickle.location} {name} — {outcome}"


def summary_lines(matrix: Matrix) -> list[str]:
    """Two sentences summarising the matrix."""
    total = len(matrix.rows)
    passed = len(matrix.by_status("passed"))
    failed = len(matrix.by_status("failed"))
    untested = len(matrix.by_status("untested"))
    proven = total - untested
    first = f"{total} rules: {proven} with scenarios, {untested} without"
    if matrix.results_source:
        first += f"; {passed} passed, {failed} failed, {len(matrix.by_status('incomplete'))} incomplete"
    second = f"{matrix.pickles} scenarios in {len(matrix.features)} feature files"
    if matrix.collected is not None:
        second += f", {matrix.collected} collected by pytest (results: {matrix.results_source})"
    else:
        second += " (no results given: outcomes not shown)"
    return [first + ".", second + "."]


def render_markdown(matrix: Matrix) -> str:
    """The matrix as a Markdown table, followed by the problems."""
    out = [f"# Traceability: {matrix.protocol}", "", *summary_lines(matrix), ""]
    out += ["| Rule | Title | Status | Scenarios |", "|---|---|---|---|"]
    for row in matrix.rows:
        proofs = "<br>".join(_cell(_proof_text(p)) for p in row.proofs) or "—"
        out.append(f"| {row.rule_id} | {_cell(row.title)} | {row.status} | {proofs} |")
    if matrix.untagged:
        out += ["", "Scenarios tagged with no rule:", ""]
        out += [f"- {p.location} {p.name}" for p in matrix.untagged]
    out += ["", f"## Problems ({len(matrix.problems)})", ""]
    out += [f"- {p.format()}" for p in matrix.problems] or ["None."]
    return "\n".join(out) + "\n"


def render_json(matrix: Matrix) -> str:
    """The matrix as JSON, for tools."""
    payload = {
        "protocol": matrix.protocol,
        "summary": {
            "rules": len(matrix.rows),
            "untested": len(matrix.by_status("untested")),
            "passed": len(matrix.by_status("passed")),
            "failed": len(matrix.by_status("failed")),
            "pickles": matrix.pickles,
            "collected": matrix.collected,
        },
        "rules": [
            {
                "id": row.rule_id,
                "title": row.title,
                "kind": row.kind,
                "file": row.file,
                "line": row.line,
                "status": row.status,
                "scenarios": [
                    {
                        "feature": p.pickle.feature,
                        "line": p.pickle.row_line or p.pickle.line,
                        "name": p.pickle.name,
                        "outcome": p.outcome,
                    }
                    for p in row.proofs
                ],
            }
            for row in matrix.rows
        ],
        "problems": [
            {"code": p.code, "file": p.file, "line": p.line, "rule_id": p.rule_id, "message": p.message}
            for p in matrix.problems
        ],
    }
    return json.dumps(payload, indent=2) + "\n"


def proofs_by_rule(matrix: Matrix) -> Mapping[str, Sequence[Proof]]:
    """Scenarios for each rule id (for the rulebook)."""
    return {row.rule_id: row.proofs for row in matrix.rows}
