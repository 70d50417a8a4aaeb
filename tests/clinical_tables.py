"""Tables of the README's "Clinical content" section, generated from the rules.

``fitzpatrick_table`` evaluates a risk-free client (``tests.conftest.BASELINE``) once per
Fitzpatrick type and, for each technique, adds up the true suitability arguments that read the
Fitzpatrick type (directly or through the derived pigmentation risk), and notes exclusions and
cautions that read it. ``course_table`` lists sessions, intervals and maintenance from the
catalogue. ``tests/test_clinical_tables.py`` checks that the README shows exactly these tables;
after a rule change, rewrite them with::

    python -m tests.clinical_tables
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import engine
from engine._spec import ContraindicationEffect, DerivedEffect, SuitabilityEffect
from tests.conftest import BASELINE

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REGENERATE = "python -m tests.clinical_tables"
ROMAN = ("I", "II", "III", "IV", "V", "VI")

__all__ = ["README", "REGENERATE", "course_table", "fitzpatrick_cells", "fitzpatrick_table", "readme_with_tables"]


def _fitzpatrick_facts(protocol: engine.Protocol) -> set[str]:
    """``fitzpatrick`` and every derived fact worked out from it (e.g. ``pih_risk``)."""
    names = {"fitzpatrick"}
    changed = True
    while changed:
        changed = False
        for rule in protocol._spec.rules:
            if isinstance(rule.effect, DerivedEffect) and rule.facts & names and rule.effect.fact not in names:
                names.add(rule.effect.fact)
                changed = True
    return names


def fitzpatrick_cells(protocol: engine.Protocol) -> dict[str, list[tuple[str, set[str]]]]:
    """For each technique, six cells (types I-VI): the verdict text and the rules behind it."""
    reads = _fitzpatrick_facts(protocol)
    cells: dict[str, list[tuple[str, set[str]]]] = {t: [] for t in protocol.techniques}
    for fst in range(1, 7):
        facts = copy.deepcopy(BASELINE)
        facts["fitzpatrick"] = fst
        truth = protocol.outcomes(facts).truth
        for technique in protocol.techniques:
            score, excluded, caution, rules = 0, False, False, set()
            for rule in protocol._spec.rules:
                if technique not in rule.techniques or not rule.facts & reads or truth[rule.id] != "true":
                    continue
                if isinstance(rule.effect, SuitabilityEffect):
                    score += rule.effect.points
                    rules.add(rule.id)
                elif isinstance(rule.effect, ContraindicationEffect):
                    excluded |= rule.effect.level == "absolute"
                    caution |= rule.effect.level == "relative"
                    rules.add(rule.id)
            if excluded:
                text = "excluded"
            elif rules:
                text = f"{score:+d}".replace("-", "−") + (", review" if caution else "")
            else:
                text = ""
            cells[technique].append((text, rules))
    return cells


def fitzpatrick_table(protocol: engine.Protocol) -> str:
    """The technique x Fitzpatrick type table in Markdown."""
    lines = [
        "| Technique | " + " | ".join(ROMAN) + " | Rules |",
        "|---|" + "---|" * len(ROMAN) + "---|",
    ]
    for technique, row in fitzpatrick_cells(protocol).items():
        title = protocol.techniques[technique].title.split(" (")[0]
        rules = sorted(set().union(*(r for _, r in row)))
        lines.append(f"| {title} | " + " | ".join(text for text, _ in row) + f" | {', '.join(rules)} |")
    return "\n".join(lines)


def course_table(protocol: engine.Protocol) -> str:
    """Sessions, intervals, downtime and maintenance of every technique, from techniques.yaml."""
    lines = [
        "| Technique | Sessions (range) | Interval | Downtime | Maintenance |",
        "|---|---|---|---|---|",
    ]
    for spec in protocol.techniques.values():
        s = spec.sessions
        every = f"every {spec.maintenance_every}" if spec.maintenance_every else "none"
        lines.append(
            f"| {spec.title} | {s.typical} ({s.minimum}-{s.maximum}) | {s.interval_min} to {s.interval_max} "
            f"| {spec.downtime} | {every} |"
        )
    return "\n".join(lines)


def _replace(text: str, name: str, table: str) -> str:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"README.md has no {begin} ... {end} block")
    return pattern.sub(lambda _: f"{begin}\n{table}\n{end}", text, count=1)


def readme_with_tables(protocol: engine.Protocol, text: str) -> str:
    """``text`` (the README) with its generated tables brought up to date."""
    text = _replace(text, "fitzpatrick-table", fitzpatrick_table(protocol))
    return _replace(text, "course-table", course_table(protocol))


def main() -> int:
    protocol = engine.load_protocol(ROOT / "rules")
    try:
        text = README.read_text("utf-8")
        updated = readme_with_tables(protocol, text)
    finally:
        protocol.close()
    if updated != text:
        README.write_text(updated, "utf-8")
        print("README.md: tables updated")
    else:
        print("README.md: tables already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
