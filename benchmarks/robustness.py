"""What hostile or merely large inputs cost: ``python benchmarks/robustness.py [--sections ...]``.

Prints markdown tables (paste them into the README's Performance section):

1. ``lint``: ``pore-protocol lint`` on the shipped rules plus synthetic rules
   (``benchmarks/synthetic.py``: the shipped vocabulary and catalogue, the shipped mix of
   rule kinds) up to the validator's limit of 4,000 rules, each size in a fresh process:
   wall-clock time, peak memory, findings before and after the per-code cap, and where the
   time goes (loading, the shared analysis, each check);
2. ``yaml``: a YAML facts file just under the 5 MB cap, and the same facts as JSON, through
   ``Protocol.evaluate_document`` (the command line's path), each in a fresh process;
3. ``stream``: ``pore-protocol evaluate-batch -`` on a stream with no line break and
   ``pore-protocol evaluate /dev/zero``: time and peak memory (both must stay bounded).

Nothing here asserts a time; the figures are for reading.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (str(ROOT), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from synthetic import write_synthetic  # noqa: E402

SECTIONS = ("lint", "yaml", "stream")
TODAY = dt.date(2026, 12, 15)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


_PEAK = "\nimport resource as _r, json as _j; print(_j.dumps({'peak_kb': _r.getrusage(_r.RUSAGE_SELF).ru_maxrss}))\n"


def _child(code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (it prints one JSON object); add its peak resident memory."""
    done = subprocess.run(
        [sys.executable, "-c", code + _PEAK, *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600
    )
    *_, result_line, peak_line = done.stdout.strip().splitlines()
    result: dict[str, Any] = json.loads(result_line)
    result["peak_mb"] = json.loads(peak_line)["peak_kb"] / 1024
    return result


# -- lint

_LINT = """
import datetime as dt, json, sys, time
from collections import Counter
from pathlib import Path
t0 = time.perf_counter()
from engine._model import Period
from engine.authoring import _lint
from engine.authoring._lint_checks import CHECKS
from engine.authoring._lint_context import LintContext
root = Path(sys.argv[1]); today = dt.date.fromisoformat(sys.argv[2])
t1 = time.perf_counter()
loaded = _lint._load(root)
t2 = time.perf_counter()
context = LintContext.build(loaded.spec, loaded.docs, today, None, Period(12, "months"))
t3 = time.perf_counter()
checks = {}
found = []
for check in CHECKS:
    s = time.perf_counter()
    found.extend(check.function(context))
    checks[check.name] = time.perf_counter() - s
t4 = time.perf_counter()
report = _lint.lint_folder(root, today=today)
t5 = time.perf_counter()
print(json.dumps({
    "rules": len(loaded.spec.rules), "imports": t1 - t0, "load": t2 - t1, "context": t3 - t2,
    "checks": checks, "all_checks": t4 - t3, "lint_folder": t5 - t4,
    "raw_findings": len(set(found)), "by_code": dict(Counter(f.code for f in set(found))),
    "shown": len(report.findings), "summary": report.summary(),
}))
"""


def _lint_folder(target: Path, synthetic: int) -> Path:
    """The shipped rules plus ``synthetic`` generated rules, in one folder."""
    shutil.copytree(ROOT / "rules", target)
    if synthetic:
        generated = target.parent / f"{target.name}-generated"
        write_synthetic(generated, synthetic, ROOT / "rules")
        for path in sorted(generated.glob("synthetic-*.yaml")):
            shutil.copy(path, target / path.name)
        shutil.rmtree(generated)
    return target


def lint_section(sizes: Sequence[int]) -> str:
    rows = []
    slowest: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pp-lint-bench-") as tmp:
        for size in sizes:
            folder = _lint_folder(Path(tmp) / f"rules-{size}", size)
            started = time.perf_counter()
            r = _child(_LINT, str(folder), TODAY.isoformat())
            wall = time.perf_counter() - started
            ranked = sorted(r["checks"].items(), key=lambda kv: -kv[1])[:3]
            rows.append(
                [
                    f"{r['rules']:,}",
                    f"{r['lint_folder']:.1f} s",
                    f"{r['load']:.2f} s",
                    f"{r['context']:.2f} s",
                    ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ranked),
                    f"{r['raw_findings']:,}",
                    f"{r['shown']:,}",
                    f"{r['peak_mb']:.0f} MB" if r["peak_mb"] else "n/a",
                ]
            )
            slowest.append(f"{r['rules']:,} rules: {r['summary']} (this process: {wall:.0f} s in all)")
            shutil.rmtree(folder)
    header = [
        "rules (shipped + synthetic)",
        "lint_folder",
        "load",
        "shared analysis",
        "slowest checks",
        "findings",
        "listed (capped)",
        "peak RSS",
    ]
    return (
        "Lint on the shipped rules plus synthetic ones (each size in a fresh process; the first run of each "
        "measurement includes the shared analysis once, lint_folder repeats everything)\n\n"
        + _table(header, rows)
        + "\n\n"
        + "\n".join(f"- {line}" for line in slowest)
    )


# -- YAML facts at the size cap

_FACTS = """
import json, sys, time
import engine
protocol = engine.load_protocol()
data = open(sys.argv[1], "rb").read()
best = None
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    try:
        protocol.evaluate_document(data, sys.argv[1])
    except engine.FactsError as exc:
        outcome = exc.summary
    best = min(best or 1e9, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "bytes": len(data), "outcome": outcome}))
"""


def _padding_facts(limit: int) -> dict[str, Any]:
    """Facts whose document is just under ``limit`` bytes: a realistic client plus a long treatment history.

    The history is longer than the engine accepts (500 entries), so the facts are refused after
    parsing, with every entry read: the parse, which is what is measured, is complete.
    """
    history = []
    day = dt.date(2000, 1, 1)
    while True:
        history.append({"technique": "peel.glycolic", "date": day.isoformat()})
        day += dt.timedelta(days=1)
        if len(history) * 52 > limit * 0.96:
            break
    return {"assessment_date": "2026-11-25", "fitzpatrick": 2, "skin_type": "oily", "previous_treatments": history}


def _yaml_text(facts: dict[str, Any]) -> str:
    lines = [f"assessment_date: {facts['assessment_date']}", f"fitzpatrick: {facts['fitzpatrick']}"]
    lines.append(f"skin_type: {facts['skin_type']}")
    lines.append("previous_treatments:")
    for entry in facts["previous_treatments"]:
        lines.append(f"  - technique: {entry['technique']}")
        lines.append(f"    date: {entry['date']}")
    return "\n".join(lines) + "\n"


def yaml_section(rounds: int) -> str:
    from engine._load import MAX_DOCUMENT_BYTES

    facts = _padding_facts(MAX_DOCUMENT_BYTES)
    text = _yaml_text(facts)
    while len(text.encode()) > MAX_DOCUMENT_BYTES - 1000:
        facts["previous_treatments"].pop()
        text = _yaml_text(facts)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pp-yaml-bench-") as tmp:
        yaml_path = Path(tmp) / "facts.yaml"
        json_path = Path(tmp) / "facts.json"
        yaml_path.write_text(text, encoding="utf-8")
        json_path.write_text(json.dumps(facts, separators=(",", ":")), encoding="utf-8")  # smaller than the YAML
        for path in (yaml_path, json_path):
            r = _child(_FACTS, str(path), str(rounds))
            rows.append(
                [
                    path.suffix[1:].upper(),
                    f"{r['bytes']:,} bytes",
                    f"{len(facts['previous_treatments']):,}",
                    f"{r['seconds']:.2f} s",
                    f"{r['peak_mb']:.0f} MB" if r["peak_mb"] else "n/a",
                    r["outcome"],
                ]
            )
    header = ["format", "size", "history entries", "parse + check (best of runs)", "peak RSS", "outcome"]
    return (
        f"Facts just under the {MAX_DOCUMENT_BYTES:,}-byte cap through Protocol.evaluate_document (fresh process "
        f"each, best of {rounds})\n\n" + _table(header, rows)
    )


# -- streams that never end


def _timed_cli(args: Sequence[str], stdin: Path | None) -> tuple[float, float | None, int, str]:
    code = (
        "import resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        "stdin = open(sys.argv[1], 'rb') if sys.argv[1] else subprocess.DEVNULL\n"
        "done = subprocess.run([sys.executable, '-m', 'engine', *sys.argv[2:]], stdin=stdin, capture_output=True)\n"
        "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)\n"
        "print(((done.stdout or done.stderr).decode()[:200].splitlines() or ['(nothing)'])[-1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(stdin or ""), *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    first, message = done.stdout.splitlines()[:2]
    seconds, rss, status = first.split()
    return float(seconds), int(rss) / 1024, int(status), message


def stream_section() -> str:
    rows = []
    with tempfile.TemporaryDirectory(prefix="pp-stream-bench-") as tmp:
        endless = Path(tmp) / "no-line-break.bin"
        with endless.open("wb") as handle:
            handle.truncate(1_000_000_000)  # sparse: a gigabyte of zero bytes without a line break
        cases = [
            ("evaluate-batch - < 1 GB with no line break", ["evaluate-batch", "-"], endless),
            ("evaluate /dev/zero", ["evaluate", "/dev/zero"], None),
            ("evaluate - < 1 GB with no line break", ["evaluate", "-"], endless),
        ]
        for label, args, stdin in cases:
            seconds, rss, status, message = _timed_cli(args, stdin)
            rows.append([f"`{label}`", f"{seconds:.2f} s", f"{rss:.0f} MB", str(status), message.strip()[:100]])
    return "Endless inputs\n\n" + _table(["command", "time", "peak RSS", "exit", "what it says"], rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated, from {','.join(SECTIONS)}")
    parser.add_argument(
        "--lint-sizes", default="0,400,1000,2000,3800", help="synthetic rules added to the shipped ones"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each YAML measurement (best is shown)")
    args = parser.parse_args(argv)
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    if sections - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(sections - set(SECTIONS)))}")
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs\n", flush=True)
    started = time.perf_counter()
    if "lint" in sections:
        print(lint_section([int(s) for s in args.lint_sizes.split(",") if s.strip()]) + "\n", flush=True)
    if "yaml" in sections:
        print(yaml_section(args.rounds) + "\n", flush=True)
    if "stream" in sections:
        print(stream_section() + "\n", flush=True)
    print(f"Total run time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
