"""A realistic, reproducible client population for benchmarks and before/after plan checks.

Clients are generated from a protocol's own vocabulary and technique catalogue (so the
same generator serves the shipped rules and the synthetic scaling protocols). The mix
aims at what a clinic sees: most clients answer every question and carry no risk
factor, a minority have one or two risk factors, recent retinoid or isotretinoin use,
previous treatments, and about one in six leaves a few answers blank (which exercises
the unknown paths, pending techniques and missing-fact questions).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any

__all__ = ["population"]

_ANCHOR = dt.date(2026, 11, 25)


def _client(rng: random.Random, facts: Mapping[str, Any], techniques: list[str]) -> dict[str, Any]:
    assessment = _ANCHOR - dt.timedelta(days=rng.randrange(0, 730))
    out: dict[str, Any] = {"assessment_date": assessment.isoformat()}
    blanks = rng.random() < 0.17
    risky = rng.random() < 0.35
    for name, spec in facts.items():
        if spec.derived or name == "assessment_date":
            continue
        if spec.planning_only:
            if rng.random() < 0.5:
                out[name] = (assessment + dt.timedelta(days=rng.randrange(0, 60))).isoformat()
            continue
        if blanks and rng.random() < 0.12:
            continue  # an unanswered question: unknown
        kind = spec.type
        if kind == "boolean":
            out[name] = risky and rng.random() < 0.12
        elif kind == "integer":
            if name == "fitzpatrick":
                out[name] = rng.choices(range(1, 7), weights=(10, 30, 25, 15, 12, 8))[0]
            elif name == "age":
                out[name] = rng.randrange(16, 75)
            else:
                out[name] = rng.randint(spec.minimum, spec.maximum)
        elif kind == "enum":
            out[name] = rng.choice(spec.values)
        elif kind == "set":
            k = rng.choices((0, 1, 2, 3), weights=(5, 45, 35, 15))[0]
            out[name] = sorted(rng.sample(list(spec.values), min(k, len(spec.values))))
        elif kind == "date":
            if spec.allow_never and (not risky or rng.random() < 0.6):
                out[name] = "never"
            else:
                out[name] = (assessment - dt.timedelta(days=rng.randrange(1, 900))).isoformat()
        elif kind == "treatment_history":
            n = rng.choices((0, 1, 2, 3), weights=(55, 25, 12, 8))[0]
            drawn = [
                (rng.choice(techniques), (assessment - dt.timedelta(days=rng.randrange(1, 400))).isoformat())
                for _ in range(n)
            ]
            # The same treatment twice on one day is refused as a facts error: keep its first listing
            # (dropped after drawing, so that every other client stays as the seed made it).
            out[name] = [{"technique": technique, "date": date} for technique, date in dict.fromkeys(drawn)]
    return out


def population(protocol: Any, size: int, seed: int = 20261125) -> list[dict[str, Any]]:
    """``size`` clients for ``protocol`` (an :class:`engine.Protocol`), identical for equal seeds."""
    rng = random.Random(seed)
    facts = protocol.facts
    techniques = sorted(protocol.techniques)
    return [_client(rng, facts, techniques) for _ in range(size)]
