"""Fingerprint every plan the engine writes for the benchmark population, to prove a refactor changed none.

    python scripts/plan_fingerprint.py                    # 2,000 clients: prints one sha256
    python scripts/plan_fingerprint.py --dump plans.jsonl # and writes each client's plan, text and outcome
    python scripts/plan_fingerprint.py --compare plans.jsonl   # names the first clients whose output differs

Each client of ``benchmarks/population.py`` (fixed seed) is evaluated; its plan JSON, the
practitioner's text and every rule's three-valued outcome are hashed together. Two engine
versions that print the same digest wrote byte-identical plans for every client. Run it
before and after a change that must not change plans (a restructuring, a speed-up).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "benchmarks")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from population import population  # noqa: E402

import engine  # noqa: E402


def _records(protocol: engine.Protocol, size: int, seed: int) -> list[dict[str, str]]:
    out = []
    for number, facts in enumerate(population(protocol, size, seed), 1):
        try:
            plan = protocol.evaluate(facts)
        except engine.FactsError as exc:
            out.append({"client": str(number), "error": str(exc)})
            continue
        outcome = protocol.outcomes(facts)
        truth = {rule: str(getattr(value, "value", value)) for rule, value in sorted(outcome.truth.items())}
        out.append(
            {
                "client": str(number),
                "json": plan.model_dump_json(),
                "text": engine.render_text(plan),
                "outcomes": json.dumps(truth, sort_keys=True),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=2000, help="population size (default 2,000)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--rules", default=None, help="rules folder (default: the shipped rules)")
    parser.add_argument("--dump", metavar="FILE", help="write every client's outputs as JSON Lines")
    parser.add_argument("--compare", metavar="FILE", help="compare with an earlier --dump and list differences")
    args = parser.parse_args(argv)
    protocol = engine.load_protocol(args.rules)
    records = _records(protocol, args.clients, args.seed)
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True).encode("utf-8") + b"\n")
    print(f"{digest.hexdigest()}  {len(records)} clients, protocol {protocol.version} sha256 {protocol.sha256[:12]}")
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, sort_keys=True) + "\n")
    if args.compare:
        with open(args.compare, encoding="utf-8") as handle:
            earlier = [json.loads(line) for line in handle]
        differing = [
            (old["client"], sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k)))
            for old, new in zip(earlier, records, strict=False)
            if old != new
        ]
        if len(earlier) != len(records):
            print(f"different sizes: {len(earlier)} earlier, {len(records)} now")
        for client, keys in differing[:20]:
            print(f"client {client}: {', '.join(keys)} differ")
        print(f"{len(differing)} of {min(len(earlier), len(records))} clients differ")
        return 1 if differing or len(earlier) != len(records) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
