"""``pore-protocol diff OLD NEW --clients FILE``: what a rule change does to real plans.

Both rules folders are loaded, every client is evaluated under each, and the two plans are
compared: status, chosen technique, exclusions, pending techniques, cautions, missing facts,
steps and the earliest start. A lead sees which clients a change affects before it ships;
the summary counts the transitions and names the rules behind them.

Clients come as JSON Lines (one object per line) or as a YAML or JSON list. Each entry is
either the facts themselves or ``{id: ..., facts: {...}}``. A CSV or Parquet file, a folder or
a glob of such files is read as ``evaluate-batch`` reads it (through :mod:`engine.batch`'s
public readers, streamed). A client whose facts are invalid under one version (say a fact was
renamed) is reported, not fatal. The command always exits 0 once both folders load and the
clients can be read.

Each client is compared on its own (:func:`diff_client`) and the summary is counted from the
comparisons afterwards, so the comparisons can run anywhere: here, or on a Dask cluster
through :class:`engine.batch.DaskCluster`, which sends both rules folders' content to its
workers and hands back the partitions' comparisons in input order (the report is the same).
"""

from __future__ import annotations

import glob
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine._errors import FactsError, Issue
from engine._load import YamlProblem, load_yaml_text, read_capped
from engine._model import FactSpec
from engine._plan_model import TreatmentPlan
from engine._protocol import Protocol
from engine.batch import SUFFIXES, BatchInput, RecordError, chunked, open_input

if TYPE_CHECKING:
    from engine.batch import DaskCluster

__all__ = [
    "DASK_CLIENTS",
    "Client",
    "ClientDiff",
    "DiffReport",
    "diff_client",
    "diff_protocols",
    "open_clients",
    "read_clients",
    "render_json",
    "render_text",
]

DASK_CLIENTS = 100
"""Clients in a partition on Dask: each is evaluated twice, so about the time of a batch partition."""


@dataclass(frozen=True)
class Client:
    """One client to evaluate: a label for the report and the facts."""

    label: str
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    """One difference between the two plans of a client, in words, with the rules behind it."""

    what: str
    text: str
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientDiff:
    """How one client's plan changes."""

    label: str
    old_status: str | None
    new_status: str | None
    old_technique: str | None
    new_technique: str | None
    changes: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class DiffReport:
    """The impact of replacing the OLD rules with the NEW ones on a set of clients."""

    old: str
    new: str
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]
    rules_changed: tuple[str, ...]
    clients: tuple[ClientDiff, ...]
    summary: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> list[ClientDiff]:
        return [c for c in self.clients if c.changed]


# ----------------------------------------------------------------------------- clients


def _client(entry: Any, number: int, where: str, source: str) -> Client:
    if not isinstance(entry, Mapping):
        raise FactsError(
            f"cannot read the clients in {source}",
            [Issue(source, None, None, where, "each client must be a mapping of facts", None)],
        )
    if "facts" in entry and isinstance(entry["facts"], Mapping):
        extra = set(entry) - {"id", "name", "facts"}
        if extra:
            raise FactsError(
                f"cannot read the clients in {source}",
                [Issue(source, None, None, where, f"unexpected keys {sorted(extra)} next to 'facts'", None)],
            )
        label = str(entry.get("id") or entry.get("name") or f"client {number}")
        return Client(label, dict(entry["facts"]))
    return Client(f"client {number} ({where})", dict(entry))


MAX_CLIENTS_BYTES = 200_000_000
"""The largest clients file read (about 100,000 clients): every client is held in memory for the report.
A larger one, or one that is not a regular file (``/dev/zero``), is refused while reading."""


def read_clients(path: str | Path) -> list[Client]:
    """Read clients from JSON Lines, or from a YAML or JSON list.

    :raises FactsError: the file cannot be read or is not a list of clients.
    """
    path = Path(path)
    source = str(path)
    try:
        text = read_capped(path, MAX_CLIENTS_BYTES).decode("utf-8")
    except YamlProblem as problem:
        what = problem.message.removeprefix("the file ").removeprefix("file ")
        if what.startswith("cannot read"):
            raise FactsError(f"cannot read clients file {source!r}: {what.partition(': ')[2]}") from None
        raise FactsError(f"clients file {source!r} {what}") from None
    except UnicodeDecodeError as exc:
        raise FactsError(f"cannot read clients file {source!r}: {exc}") from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    jsonl = path.suffix in (".jsonl", ".ndjson") or (
        len(lines) > 1 and all(ln.lstrip().startswith("{") for _, ln in lines)
    )
    if jsonl:
        clients = []
        for count, (number, line) in enumerate(lines, 1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FactsError(
                    f"cannot read the clients in {source}", [Issue(source, number, None, "", exc.msg, None)]
                ) from None
            clients.append(_client(entry, count, f"line {number}", source))
        return clients
    try:
        data = load_yaml_text(text, source).data
    except YamlProblem as problem:
        raise FactsError(
            f"cannot read the clients in {source}", [Issue(source, problem.line, None, "", problem.message, None)]
        ) from None
    if isinstance(data, Mapping) and isinstance(data.get("clients"), list):
        data = data["clients"]
    if not isinstance(data, list):
        raise FactsError(f"{source} must hold a list of clients (YAML or JSON) or one JSON object per line")
    return [_client(entry, n, f"item {n}", source) for n, entry in enumerate(data, 1)]


def open_clients(name: str, facts: Mapping[str, FactSpec]) -> Iterable[Client]:
    """The clients named ``name``: a YAML, JSON or JSON Lines file (:func:`read_clients`, as ever), or a
    CSV or Parquet file, a folder or a glob of batch files (streamed through :mod:`engine.batch`).

    ``facts`` types CSV and Parquet cells. A record that cannot be read raises :class:`FactsError`
    naming its file and line when it is reached (a diff over unreadable clients would mislead).
    """
    path = Path(name)
    batch = path.is_dir() or (not path.exists() and glob.has_magic(name))
    if batch or SUFFIXES.get(path.suffix.lower()) in ("csv", "parquet"):
        return _batch_clients(open_input(name), facts)
    return read_clients(path)


def _batch_clients(source: BatchInput, facts: Mapping[str, FactSpec]) -> Iterator[Client]:
    for record in source.records(facts):
        where = f"line {record.line}" if record.line is not None else f"row {record.number}"
        file = record.file or source.files[0].name
        if isinstance(record.facts, RecordError):
            issue = Issue(file, record.line, None, "", record.facts.message, None)
            raise FactsError(f"cannot read the clients in {file}", [issue])
        if not isinstance(record.facts, Mapping):
            issue = Issue(file, record.line, None, where, "each client must be a mapping of facts", None)
            raise FactsError(f"cannot read the clients in {file}", [issue])
        label = str(record.id) if record.id is not None else f"client {record.number} ({where})"
        yield Client(label if record.file is None else f"{record.file}: {label}", dict(record.facts))


# ----------------------------------------------------------------------------- comparison


def _rule_changes(old: Protocol, new: Protocol) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    before = {r.id: r.spec.model_dump(mode="json") for r in old._spec.rules}
    after = {r.id: r.spec.model_dump(mode="json") for r in new._spec.rules}
    added = tuple(sorted(set(after) - set(before)))
    removed = tuple(sorted(set(before) - set(after)))
    changed = tuple(sorted(rid for rid in set(before) & set(after) if before[rid] != after[rid]))
    return added, removed, changed


def _evaluate(protocol: Protocol, client: Client) -> TreatmentPlan | str:
    try:
        return protocol.evaluate(client.facts)
    except FactsError as exc:
        issue = exc.issues[0] if exc.issues else None
        first = f"{issue.path}: {issue.message}" + (f" ({issue.hint})" if issue.hint else "") if issue else exc.summary
        return f"invalid facts: {first}" + (f" (and {len(exc.issues) - 1} more)" if len(exc.issues) > 1 else "")


def _sets(items: Iterable[tuple[str, Sequence[str]]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(sorted(ids)) for key, ids in items}


def _compare_maps(
    what: str,
    before: Mapping[str, tuple[str, ...]],
    after: Mapping[str, tuple[str, ...]],
    added_word: str,
    removed_word: str,
    still_word: str,
) -> list[Change]:
    out = []
    for key in sorted(set(after) - set(before)):
        out.append(Change(what, f"{added_word} {key} (by {', '.join(after[key]) or 'no rule'})", after[key]))
    for key in sorted(set(before) - set(after)):
        out.append(Change(what, f"{removed_word} {key} (was {', '.join(before[key]) or 'no rule'})", before[key]))
    for key in sorted(set(before) & set(after)):
        if before[key] != after[key]:
            rules = tuple(sorted(set(before[key]) ^ set(after[key])))
            out.append(
                Change(
                    what,
                    f"{still_word} {key}, now because of {', '.join(after[key])} (was {', '.join(before[key])})",
                    rules,
                )
            )
    return out


def _cautions(plan: TreatmentPlan) -> dict[str, tuple[str, ...]]:
    by_technique: dict[str, set[str]] = {}
    for caution in plan.cautions:
        for technique in caution.techniques:
            by_technique.setdefault(technique, set()).add(caution.rule_id)
    return {t: tuple(sorted(ids)) for t, ids in by_technique.items()}


_COMPARED_MAPS: tuple[tuple[str, Callable[[TreatmentPlan], dict[str, tuple[str, ...]]], str, str, str], ...] = (
    (
        "excluded",
        lambda plan: _sets((e.technique, [j.rule_id for j in e.reasons]) for e in plan.excluded),
        "now excluded:",
        "no longer excluded:",
        "still excluded:",
    ),
    (
        "pending",
        lambda plan: _sets((p.technique, p.rules) for p in plan.pending),
        "now pending:",
        "no longer pending:",
        "still pending:",
    ),
    ("cautions", _cautions, "new caution on", "no caution any more on", "still a caution on"),
    (
        "missing facts",
        lambda plan: _sets((m.fact, m.needed_by) for m in plan.missing_facts),
        "now asks for",
        "no longer asks for",
        "still asks for",
    ),
)
"""Each part of a plan compared key by key: (kind, its map of key -> rule ids, words for added, removed, changed)."""


def compare_plans(old: TreatmentPlan, new: TreatmentPlan) -> list[Change]:
    """Every difference that matters to a practitioner, in words."""
    changes: list[Change] = []
    if old.status != new.status:
        changes.append(Change("status", f"status {old.status} -> {new.status}"))
    if old.technique != new.technique:
        changes.append(Change("technique", f"technique {old.technique or 'none'} -> {new.technique or 'none'}"))
    for kind, read, added, removed, still in _COMPARED_MAPS:
        changes += _compare_maps(kind, read(old), read(new), added, removed, still)
    old_steps = {(s.phase, s.title): s for s in old.steps if s.phase != "treatment"}
    new_steps = {(s.phase, s.title): s for s in new.steps if s.phase != "treatment"}
    for key in sorted(set(new_steps) - set(old_steps)):
        rules = tuple(j.rule_id for j in new_steps[key].justifications)
        changes.append(Change("steps", f"new {key[0]} step \u201c{key[1]}\u201d ({', '.join(rules)})", rules))
    for key in sorted(set(old_steps) - set(new_steps)):
        rules = tuple(j.rule_id for j in old_steps[key].justifications)
        changes.append(Change("steps", f"{key[0]} step \u201c{key[1]}\u201d dropped (was {', '.join(rules)})", rules))
    old_sessions = [s for s in old.steps if s.phase == "treatment"]
    new_sessions = [s for s in new.steps if s.phase == "treatment"]
    if old.technique == new.technique and len(old_sessions) != len(new_sessions):
        changes.append(Change("sessions", f"sessions {len(old_sessions)} -> {len(new_sessions)}"))
    if old.earliest_start != new.earliest_start and old.technique == new.technique:
        changes.append(Change("earliest start", f"earliest start {old.earliest_start} -> {new.earliest_start}"))
    return changes


def diff_client(old: Protocol, new: Protocol, client: Client) -> ClientDiff:
    """How one client's plan changes from OLD to NEW (or how the facts stopped or started being valid)."""
    before, after = _evaluate(old, client), _evaluate(new, client)
    if isinstance(before, str) or isinstance(after, str):
        changes = []
        if before != after:
            old_text = before if isinstance(before, str) else f"a {before.status} plan"
            new_text = after if isinstance(after, str) else f"a {after.status} plan"
            changes.append(Change("facts", f"OLD: {old_text}; NEW: {new_text}"))
        return ClientDiff(
            client.label,
            None if isinstance(before, str) else before.status,
            None if isinstance(after, str) else after.status,
            None if isinstance(before, str) else before.technique,
            None if isinstance(after, str) else after.technique,
            tuple(changes),
        )
    changes = compare_plans(before, after)
    return ClientDiff(client.label, before.status, after.status, before.technique, after.technique, tuple(changes))


def _diff_partition(protocols: tuple[Protocol, ...], clients: list[Client]) -> list[ClientDiff]:
    """What a Dask worker runs: each client of a partition under both protocols (OLD, NEW)."""
    old, new = protocols
    return [diff_client(old, new, client) for client in clients]


def diff_protocols(
    old: Protocol,
    new: Protocol,
    clients: Iterable[Client],
    *,
    dask: DaskCluster | None = None,
    progress: Callable[[int], None] | None = None,
) -> DiffReport:
    """Evaluate every client under both protocols and describe what changes.

    :param dask: compare on this Dask cluster instead of here (same report, in input order).
    :param progress: called with the number of clients just compared.
    """
    added, removed, changed = _rule_changes(old, new)
    diffs: list[ClientDiff] = []
    if dask is None:
        for client in clients:
            diffs.append(diff_client(old, new, client))
            if progress is not None:
                progress(1)
    else:
        for _, done in dask.map(_diff_partition, (old, new), chunked(clients, DASK_CLIENTS)):
            diffs += done
            if progress is not None:
                progress(len(done))
    return DiffReport(
        old=f"{old.id} {old.version} ({old.path}, sha256 {old.sha256[:12]})",
        new=f"{new.id} {new.version} ({new.path}, sha256 {new.sha256[:12]})",
        rules_added=added,
        rules_removed=removed,
        rules_changed=changed,
        clients=tuple(diffs),
        summary=_summary(diffs, {*added, *removed, *changed}),
    )


def _summary(diffs: Iterable[ClientDiff], edited: set[str]) -> dict[str, dict[str, int]]:
    """The transitions and the rules behind them, counted over every client's comparison."""
    statuses: Counter[str] = Counter()
    techniques: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for diff in diffs:
        if diff.old_status is None or diff.new_status is None:  # invalid facts under one version (or both)
            if diff.changes:
                kinds["facts"] += 1
            continue
        if diff.old_status != diff.new_status:
            statuses[f"{diff.old_status} -> {diff.new_status}"] += 1
        if diff.old_technique != diff.new_technique:
            techniques[f"{diff.old_technique or 'none'} -> {diff.new_technique or 'none'}"] += 1
        for kind in {c.what for c in diff.changes}:
            kinds[kind] += 1
        for rule_id in {r for c in diff.changes for r in c.rules}:
            rules[rule_id] += 1
    return {
        "status": dict(sorted(statuses.items())),
        "technique": dict(sorted(techniques.items())),
        "kinds of change": dict(sorted(kinds.items())),
        "edited rules behind the changes": _top({k: n for k, n in rules.items() if k in edited}),
        "rules named in the changes": _top(rules),
    }


def _top(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# ----------------------------------------------------------------------------- output


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(ids) if ids else "none"


def render_text(report: DiffReport) -> str:
    """The report for a terminal: rule changes, each changed client, then the summary."""
    changed = report.changed
    out = [
        f"OLD {report.old}",
        f"NEW {report.new}",
        f"Rules added: {_ids(report.rules_added)}",
        f"Rules removed: {_ids(report.rules_removed)}",
        f"Rules changed: {_ids(report.rules_changed)}",
        "",
        f"{len(report.clients)} client{'s' * (len(report.clients) != 1)} evaluated: "
        f"{len(changed)} plan{' changes' if len(changed) == 1 else 's change'}, "
        f"{len(report.clients) - len(changed)} unchanged.",
    ]
    for client in changed:
        out += ["", f"{client.label}:"]
        out += [f"  - {change.text}" for change in client.changes]
    out += ["", "Summary:"]
    for heading, counts in report.summary.items():
        if counts:
            out.append(f"  {heading}: " + "; ".join(f"{key}: {n}" for key, n in counts.items()))
    if not any(report.summary.values()):
        out.append("  no plan changes")
    return "\n".join(out) + "\n"


def render_json(report: DiffReport) -> str:
    payload = {
        "old": report.old,
        "new": report.new,
        "rules": {
            "added": list(report.rules_added),
            "removed": list(report.rules_removed),
            "changed": list(report.rules_changed),
        },
        "clients": [
            {
                "client": c.label,
                "status": [c.old_status, c.new_status],
                "technique": [c.old_technique, c.new_technique],
                "changed": c.changed,
                "changes": [{"kind": ch.what, "text": ch.text, "rules": list(ch.rules)} for ch in c.changes],
            }
            for c in report.clients
        ],
        "summary": {k: dict(v) for k, v in report.summary.items()},
    }
    return json.dumps(payload, indent=2) + "\n"
