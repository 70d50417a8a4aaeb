"""Compare the durable_rules path with the reference evaluator on any number of generated clients.

    python scripts/differential.py --cases 1000000 --seed 7 --jobs 2     # the nightly run
    python scripts/differential.py --seed 7 --case 123456                # replay one case

Client ``i`` of seed ``S`` is ``random_client(protocol, Random(f"{S}:{i}"))`` (see
``tests/strategies.py``), so any case can be replayed alone. For every client, every rule's
outcome (true / false / unknown) from ``Protocol.outcomes`` must equal the reference
evaluator's (``tests/reference_evaluator.py``), and so must the derived facts. On the first
disagreement the client is shrunk (facts removed, lists shortened, answers simplified while
the disagreement persists) and printed as JSON with the rules that disagree; exit status 1.
Otherwise the script prints the number of cases, the outcome totals and the time; exit 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from tests.reference_evaluator import Reference  # noqa: E402
from tests.strategies import random_client  # noqa: E402

Disagreement = dict[str, tuple[str, str]]

_PROTOCOL: engine.Protocol | None = None


def disagreements(protocol: engine.Protocol, client: Mapping[str, Any]) -> Disagreement:
    """Rule id -> (matcher, reference) for every rule on which the two paths differ."""
    outcome = protocol.outcomes(client)
    reference = Reference.run(protocol, client)
    for name, fact in protocol.facts.items():
        if fact.derived:
            reference.derived_value(name)
    found = {
        rule: (truth.value, reference.truth[rule])
        for rule, truth in outcome.truth.items()
        if truth.value != reference.truth[rule]
    }
    if dict(outcome.derived) != reference.derived:
        found["<derived facts>"] = (repr(dict(outcome.derived)), repr(reference.derived))
    return found


def client_for(protocol: engine.Protocol, seed: int, case: int) -> dict[str, Any]:
    return random_client(protocol, random.Random(f"{seed}:{case}"))


def _init(rules: str | None) -> None:
    global _PROTOCOL
    _PROTOCOL = engine.load_protocol(rules)


def _run_range(task: tuple[int, int, int]) -> tuple[int, int | None, dict[str, int]]:
    """Cases ``start..stop`` of ``seed``: (cases run, first failing case or None, outcome totals)."""
    seed, start, stop = task
    assert _PROTOCOL is not None
    totals = {"true": 0, "false": 0, "unknown": 0}
    for case in range(start, stop):
        client = client_for(_PROTOCOL, seed, case)
        found = disagreements(_PROTOCOL, client)
        if found:
            return case - start + 1, case, totals
        for truth in _PROTOCOL.outcomes(client).truth.values() if case % 50 == 0 else ():
            totals[truth.value] += 1
    return stop - start, None, totals


def shrink(client: dict[str, Any], fails: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """A smaller client that still ``fails``: facts dropped, list items dropped, answers simplified.

    Greedy, to a fixed point: the result fails, and removing any one fact or list item,
    or simplifying any one answer, makes it pass (or invalid).
    """
    current = dict(client)
    while True:
        for candidate in _smaller(current):
            if fails(candidate):
                current = candidate
                break
        else:
            return current


def _smaller(client: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in sorted(client):
        if key != "assessment_date":
            yield {k: v for k, v in client.items() if k != key}
    for key, value in sorted(client.items()):
        if isinstance(value, list):
            for j in range(len(value)):
                yield {**client, key: value[:j] + value[j + 1 :]}
        elif value is True:
            yield {**client, key: False}
        elif isinstance(value, str) and value != "never" and key != "assessment_date":
            yield {**client, key: "never"}  # a date answer; for other text the client becomes invalid


def _fails(protocol: engine.Protocol) -> Callable[[dict[str, Any]], bool]:
    def fails(client: dict[str, Any]) -> bool:
        try:
            return bool(disagreements(protocol, client))
        except engine.FactsError:
            return False  # a simplification that makes the client invalid is not a smaller failure

    return fails


def _report(protocol: engine.Protocol, seed: int, case: int) -> None:
    client = client_for(protocol, seed, case)
    small = shrink(client, _fails(protocol))
    print(f"DISAGREEMENT on case {case} of seed {seed} (replay: --seed {seed} --case {case})")
    print("minimal failing client:")
    print(json.dumps(small, indent=2, sort_keys=True))
    print("rules that disagree (matcher, reference):")
    for rule, (matcher, reference) in sorted(disagreements(protocol, small).items()):
        print(f"  {rule}: matcher {matcher}, reference {reference}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000, help="clients to compare (default 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the client population (default 0)")
    parser.add_argument("--case", type=int, default=None, help="replay this one case of --seed and exit")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--rules", default=None, help="rules folder (default: the shipped rules)")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.jobs < 1:
        parser.error("--cases and --jobs must be at least 1")

    protocol = engine.load_protocol(args.rules)
    print(f"{protocol!r}; {len(protocol.rule_ids)} rules")
    if args.case is not None:
        found = disagreements(protocol, client_for(protocol, args.seed, args.case))
        if found:
            _report(protocol, args.seed, args.case)
            return 1
        print(f"case {args.case} of seed {args.seed}: matcher and reference agree on every rule")
        return 0

    chunk = 2_000
    tasks = [(args.seed, start, min(start + chunk, args.cases)) for start in range(0, args.cases, chunk)]
    done = 0
    totals = {"true": 0, "false": 0, "unknown": 0}
    started = time.perf_counter()
    next_report = max(args.cases // 20, chunk)
    failing: int | None = None
    context = multiprocessing.get_context("spawn")
    results: Iterator[tuple[int, int | None, dict[str, int]]]
    if args.jobs == 1:
        _init(args.rules)
        results = map(_run_range, tasks)
        pool = None
    else:
        pool = context.Pool(args.jobs, initializer=_init, initargs=(args.rules,))
        results = pool.imap(_run_range, tasks)
    try:
        for ran, bad, counts in results:
            done += ran
            for key, value in counts.items():
                totals[key] += value
            if bad is not None:
                failing = bad
                break
            if done >= next_report or done == args.cases:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:>10,} cases, 0 disagreements, {rate:,.0f} cases/s", flush=True)
                next_report += max(args.cases // 20, chunk)
    finally:
        if pool is not None:
            pool.terminate()
    elapsed = time.perf_counter() - started
    if failing is not None:
        _report(protocol, args.seed, failing)
        return 1
    sampled = sum(totals.values())
    print(
        f"{done:,} cases (seed {args.seed}), 0 disagreements, in {elapsed:,.1f} s ({done / elapsed:,.0f} cases/s); "
        f"rule outcomes in a 1-in-50 sample: {totals['true']:,} true, {totals['false']:,} false, "
        f"{totals['unknown']:,} unknown of {sampled:,}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
