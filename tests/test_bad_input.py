"""Bad input never crashes the engine: the command line on a corpus, and the loaders under fuzzing.

The corpus lives in ``tests/corpus/facts`` (malformed client facts: exit 2),
``tests/corpus/rules`` (one broken rules folder per load-time error class: exit 3) and
``tests/corpus/batch`` (batch inputs: one result line per record, whatever is wrong with
it), each with an ``EXPECTED.yaml`` naming the patterns stderr (or, for a batch, each output
line) must show; cases too large to store, or that are about paths, devices, links, output
files and limits rather than contents, are built here. Every case runs the real command line
(see ``tests/cli_runner.py``; a sample also runs as a plain ``python -m engine`` subprocess
and must behave identically) and must give the documented exit code, an actionable message,
no ``Traceback``, and nothing on stdout unless the command writes a result there (a batch's
lines, lint's findings). Some cases also check what is left on disk afterwards.

The fuzzers feed arbitrary bytes, YAML-like text and JSON-like structures to the facts
parser and validator, arbitrary text to the YAML loader (whose libyaml and pure-Python
paths must agree), and arbitrary values into a rules folder: only ``FactsError``,
``YamlProblem`` or ``RulesError`` may come out. Crashes they found are corpus cases now
(``date-does-not-exist.yaml``, ``date-invalid-time.yaml``, ``lone-surrogate-key.json``,
``byte-order-mark-invalid.json``, ``comments-only.yaml``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine import _load
from engine._load import YamlProblem, load_yaml_text
from tests.conftest import ROOT
from tests.strategies import profile, to_yaml

CORPUS = Path(__file__).resolve().parent / "corpus"
FACTS = CORPUS / "facts"
RULES_CORPUS = CORPUS / "rules"
BATCH = CORPUS / "batch"
RUNNER = Path(__file__).resolve().parent / "cli_runner.py"
MAX_STDERR = 20_000
"""An error message is for a person: it never echoes a huge input back."""


def _manifest(folder: Path) -> dict[str, dict[str, Any]]:
    loaded = yaml.safe_load((folder / "EXPECTED.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@dataclass(frozen=True)
class Case:
    """One run of the command line and what it must give.

    :param patterns: regular expressions stderr must match (stdout's, for a command whose
        result is a report: see ``stdout``).
    :param lines: for a batch, the number of output lines (one per record); stdout is then
        expected, and stderr must be empty.
    :param line_patterns: (0-based line index, regular expression) pairs for a batch's output.
    :param stdout: ``True`` when the command's report goes to stdout even though it fails (lint).
    :param file_size_limit: the largest file the command may write, as a full disk would allow.
    :param max_rss_mb: the peak resident memory allowed (the runner's shared pages included).
    """

    name: str
    args: tuple[str, ...]
    status: int
    patterns: tuple[str, ...]
    stdin: str | None = None
    module: str = "engine"
    lines: int | None = None
    line_patterns: tuple[tuple[int, str], ...] = ()
    stdout: bool = False
    file_size_limit: int | None = None
    max_rss_mb: int | None = None


def _facts_case(name: str, patterns: list[str]) -> Case:
    """Cases run in a work folder holding a copy of the file, so messages name it as ``name``."""
    resolved = tuple(p.replace("facts.yaml", re.escape(name)).replace("facts.json", re.escape(name)) for p in patterns)
    return Case(f"facts/{name}", ("evaluate", name), 2, resolved)


# Built at run time in the work folder (``work``): too big to store, or about paths.
GENERATED_FACTS: dict[str, tuple[str, ...]] = {
    "huge-string.yaml": (r"skin_type: 'x{20,}\.\.\. is not one of",),
    "huge-key.json": (r"'y{20,}\.\.\.: unknown fact",),
    "over-5mb.yaml": (r"over-5mb\.yaml is larger than 5,000,000 bytes",),
    "over-5mb.json": (r"over-5mb\.json is larger than 5,000,000 bytes",),
    "many-unknown-facts.json": (r"unknown fact", r"\(51 problems\)", r"and 4950 more problems not listed"),
}
PATH_CASES = [
    Case(
        "facts/does-not-exist",
        ("evaluate", "no-such-file.yaml"),
        2,
        (r"facts file 'no-such-file\.yaml' does not exist",),
    ),
    Case("facts/a-folder", ("evaluate", "."), 2, (r"'\.' is a folder; give a YAML or JSON file of facts",)),
    Case(
        "facts/stdin-invalid-utf8",
        ("evaluate", "-"),
        2,
        (r"<stdin> cannot be read.*\n.*not valid UTF-8: byte",),
        stdin="bad-utf8.bin",
    ),
    Case("facts/stdin-empty", ("evaluate", "-"), 2, (r"<stdin> is empty",), stdin="empty.bin"),
    Case("rules/does-not-exist", ("validate", "no-such-folder"), 3, (r"rules folder 'no-such-folder' does not exist",)),
    Case("rules/empty-folder", ("validate", "empty-rules"), 3, (r"the rules folder has no protocol\.yaml",)),
    Case("rules/a-file", ("validate", "bad-utf8.bin"), 3, (r"'bad-utf8\.bin' does not exist or is not a folder",)),
    Case(
        "rules/evaluate-with-broken-rules",
        ("evaluate", "ok.yaml", "--rules", str(RULES_CORPUS / "unknown-fact")),
        3,
        (r"unknown fact 'pregnnt' \(did you mean 'pregnant'\?\)",),
    ),
    Case("usage/no-command", (), 64, (r"usage: pore-protocol", r"required: command")),
    Case("usage/unknown-command", ("frobnicate",), 64, (r"usage: pore-protocol", r"invalid choice: 'frobnicate'")),
    Case("usage/missing-file-argument", ("evaluate",), 64, (r"the following arguments are required: file",)),
    Case("usage/bad-format", ("evaluate", "ok.yaml", "--format", "xml"), 64, (r"invalid choice: 'xml'",)),
]


BAD_NAME = "\udcff\udcfe.yaml"
"""A file name whose bytes (0xFF 0xFE) are not UTF-8, as Python sees it."""
UNDECODABLE = (r"a file name in the rules folder is not valid text: b'\\xff\\xfe\.yaml'",)
BAD_NAME_CASES = [
    Case("rules/undecodable-name/validate", ("validate", "bad-name-rules"), 3, UNDECODABLE),
    Case("rules/undecodable-name/evaluate", ("evaluate", "ok.yaml", "--rules", "bad-name-rules"), 3, UNDECODABLE),
    Case("rules/undecodable-name/docs", ("docs", "bad-name-rules"), 3, UNDECODABLE),
    Case("rules/undecodable-name/trace", ("trace", "bad-name-rules"), 3, UNDECODABLE),
    Case(
        "rules/undecodable-name/lint",
        ("lint", "bad-name-rules", "--today", "2026-11-25"),
        3,
        (r"error \[invalid\] A file name in the rules folder is not valid text: b'\\xff\\xfe\.yaml'",),
        stdout=True,
    ),
]
READ_LIMIT_CASES = [
    Case("facts/dev-zero", ("evaluate", "/dev/zero"), 2, (r"/dev/zero is larger than 5,000,000 bytes",)),
    Case("facts/stdin-dev-zero", ("evaluate", "-"), 2, (r"<stdin> is larger than 5,000,000 bytes",), stdin="/dev/zero"),
    Case("batch/dev-zero", ("evaluate-batch", "/dev/zero"), 2, (r"'/dev/zero' is not a regular file or a pipe",)),
    Case(
        "diff/clients-dev-zero",
        ("diff", "valid-rules", "valid-rules", "--clients", "/dev/zero"),
        2,
        (r"clients file '/dev/zero' is not a regular file",),
    ),
    Case(
        "batch/stream-without-line-break",
        ("evaluate-batch", "-"),
        2,
        (),
        stdin="no-line-break.bin",
        lines=1,
        line_patterns=(
            (0, r'^\{"record":1,"line":1,"error":"input","message":"line 1 is longer than 1,000,000 bytes"'),
        ),
        max_rss_mb=250,
    ),
    Case(
        "rules/sparse-1gb-file", ("validate", "sparse-rules"), 3, (r"huge\.yaml: file is larger than 5,000,000 bytes",)
    ),
    Case(
        "rules/link-outside",
        ("validate", "linked-rules"),
        3,
        (r"evil\.yaml is a link to /etc/passwd, outside the rules folder",),
    ),
]
BATCH_CASES = [
    Case(
        "batch/csv-open-quote-on-row-3-of-1000",
        ("evaluate-batch", "open-quote.csv"),
        2,
        (),
        lines=1000,
        line_patterns=(
            (
                2,
                r'^\{"record":3,"line":4,"error":"input","message":"not valid CSV: a quote is left open at the end '
                r"of line 4",
            ),
            (3, r'^\{"record":4,"line":5,"id":"client-4","plan":\{'),
            (999, r'^\{"record":1000,"line":1001,"id":"client-1000","plan":\{'),
        ),
    ),
    Case(
        "batch/jsonl-bad-byte-on-line-51",
        ("evaluate-batch", "bad-byte.jsonl", "--workers", "2"),
        2,
        (),
        lines=101,
        line_patterns=(
            (49, r'^\{"record":50,"line":50,"id":"client-50","plan":\{'),
            (
                50,
                r'^\{"record":51,"line":51,"error":"input","message":"line 51 is not valid UTF-8: byte '
                r"b'\\\\xe9' at offset \d+ ",
            ),
            (51, r'^\{"record":52,"line":52,"id":"client-52","plan":\{'),
        ),
    ),
]
OUTPUT_CASES = [
    Case(
        "output/existing-folder",
        ("evaluate-batch", "two.jsonl", "--output", "out-folder"),
        64,
        (r"--output 'out-folder' is a folder; give the name of a file",),
    ),
    Case("output/through-a-symlink", ("evaluate-batch", "two.jsonl", "--output", "link.jsonl"), 0, ()),
    Case(
        "output/schema-in-proc",
        ("schema", "--output", "/proc/x.json"),
        64,
        (r"--output '/proc/x\.json' is on the proc file system",),
    ),
    Case(
        "output/docs-in-proc",
        ("docs", "--output", "/proc/x.html", "--format", "html"),
        64,
        (r"--output '/proc/x\.html' is on the proc file system",),
    ),
    Case(
        "output/dev-stdout-by-path",
        ("evaluate-batch", "two.jsonl", "--output", "/dev/stdout"),
        64,
        (r"--output '/dev/stdout' is on the devtmpfs file system|is not a regular file",),
    ),
    Case(
        "output/schema-all-into-a-file",
        ("schema", "--all", "--output", "existing-file.txt"),
        64,
        (r"--all writes one file per schema, so --output must be a folder; 'existing-file\.txt' is not",),
    ),
    Case(
        "output/docs-missing-folder",
        ("docs", "--output", "missing-folder/x.html"),
        64,
        (r"the folder '.*missing-folder' does not exist \(folders are not created",),
    ),
    Case(
        "output/docs-missing-top-level-folder",
        ("docs", "--output", "/nonexistent-pore-protocol/x.html"),
        64,
        (r"the folder '/nonexistent-pore-protocol' does not exist",),
    ),
    Case(
        "output/batch-file-too-large",
        ("evaluate-batch", "two.jsonl", "--output", "too-large.jsonl"),
        74,
        (r"^error: cannot write 'too-large\.jsonl': File too large",),
        file_size_limit=4000,
    ),
    Case(
        "output/docs-file-too-large",
        ("docs", "--output", "too-large.md"),
        74,
        (r"^error: cannot write 'too-large\.md': File too large",),
        file_size_limit=4000,
    ),
    Case(
        "usage/workers-beyond-any-machine",
        ("evaluate-batch", "two.jsonl", "--workers", "99999999999999999999"),
        64,
        (r"argument --workers: at most 256 workers",),
    ),
    Case(
        "usage/trace-results-missing",
        ("trace", "--results", "no-results.json"),
        64,
        (r"--results 'no-results\.json' does not exist.*python -m pytest --trace-results no-results\.json",),
    ),
    Case(
        "usage/docs-results-missing",
        ("docs", "--results", "no-results.json"),
        64,
        (r"--results 'no-results\.json' does not exist",),
    ),
]


def _batch_case(name: str, entry: dict[str, Any]) -> Case:
    return Case(
        f"batch/{name}",
        ("evaluate-batch", name),
        entry["status"],
        tuple(entry.get("stderr", ())),
        lines=entry["lines"],
        line_patterns=tuple((index, pattern) for index, pattern in entry["stdout"]),
    )


def _all_cases() -> list[Case]:
    cases = [_facts_case(name, entry["stderr"]) for name, entry in _manifest(FACTS).items()]
    cases += [_facts_case(name, list(patterns)) for name, patterns in GENERATED_FACTS.items()]
    for name, entry in _manifest(RULES_CORPUS).items():
        cases.append(Case(f"rules/{name}", ("validate", str(RULES_CORPUS / name)), 3, tuple(entry["stderr"])))
    cases += [_batch_case(name, entry) for name, entry in _manifest(BATCH).items()]
    return cases + PATH_CASES + BAD_NAME_CASES + READ_LIMIT_CASES + BATCH_CASES + OUTPUT_CASES


CASES = {case.name: case for case in _all_cases()}
SUBPROCESS_SAMPLE = (
    "facts/billion-laughs.yaml",
    "facts/date-does-not-exist.yaml",
    "facts/stdin-invalid-utf8",
    "rules/derived-cycle",
)
"""Cases also run as a plain ``python -m engine`` subprocess, to prove the runner changes nothing."""


def _valid_rules(target: Path) -> Path:
    """A small valid rules folder (the unknown-fact case, repaired) at ``target``."""
    shutil.copytree(RULES_CORPUS / "unknown-fact", target)
    text = (target / "rules.yaml").read_text(encoding="utf-8")
    (target / "rules.yaml").write_text(text.replace("pregnnt", "pregnant"), encoding="utf-8")
    return target


def _client(number: int) -> dict[str, Any]:
    facts = {
        "assessment_date": "2026-11-25",
        "fitzpatrick": 1 + number % 6,
        "skin_type": ("oily", "dry", "combination", "normal", "sensitive")[number % 5],
        "pore_causes": ["excess_sebum", "congestion"],
        "pregnant": False,
        "age": 20 + number % 50,
    }
    return {"id": f"client-{number}", "facts": facts}


def _build_work(work: Path) -> None:
    """The generated inputs, next to copies of the stored facts (cases run with ``work`` as their folder)."""
    for folder in (FACTS, BATCH):
        for path in folder.iterdir():
            if path.name != "EXPECTED.yaml":
                shutil.copy(path, work / path.name)
    (work / "huge-string.yaml").write_text("assessment_date: 2026-11-25\nskin_type: " + "x" * 1_000_000 + "\n")
    (work / "huge-key.json").write_text('{"assessment_date": "2026-11-25", "' + "y" * 1_000_000 + '": true}')
    (work / "over-5mb.yaml").write_text("assessment_date: 2026-11-25\n" + "# padding\n" * 520_000)
    (work / "over-5mb.json").write_text('{"assessment_date": "2026-11-25", "pad": "' + "z" * 5_100_000 + '"}')
    many = {"assessment_date": "2026-11-25", **{f"unknown_fact_{i}": True for i in range(5000)}}
    (work / "many-unknown-facts.json").write_text(json.dumps(many))
    (work / "ok.yaml").write_text("assessment_date: 2026-11-25\n")
    (work / "bad-utf8.bin").write_bytes(b"assessment_date: 2026-11-25\n\xc3\x28\n")
    (work / "empty.bin").write_bytes(b"")
    (work / "empty-rules").mkdir()
    # rules folders: a valid one; a file name that is not text, a link out of the folder, a sparse gigabyte
    _valid_rules(work / "valid-rules")
    (_valid_rules(work / "bad-name-rules") / BAD_NAME).write_text("rules: []\n", encoding="utf-8")
    (_valid_rules(work / "linked-rules") / "evil.yaml").symlink_to("/etc/passwd")
    with (_valid_rules(work / "sparse-rules") / "huge.yaml").open("wb") as huge:
        huge.truncate(1 << 30)
    # batch inputs
    with (work / "no-line-break.bin").open("wb") as sparse:
        sparse.truncate(300_000_000)  # 300 MB of zero bytes and no line break, at no cost on disk
    rows = ["id,assessment_date,skin_type,fitzpatrick,pregnant"]
    for number in range(1, 1001):
        facts = _client(number)["facts"]
        row = f"client-{number},2026-11-25,{facts['skin_type']},{facts['fitzpatrick']},false"
        rows.append('2026-11-25,"oily,22' if number == 3 else row)
    (work / "open-quote.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    lines = [json.dumps(_client(n)).encode() + b" " * 1000 for n in range(1, 102)]
    lines[50] = lines[50].replace(b'"oily"', b'"caf\xe9"').replace(b'"dry"', b'"caf\xe9"')
    lines[50] = lines[50].replace(b'"combination"', b'"caf\xe9"').replace(b'"normal"', b'"caf\xe9"')
    lines[50] = lines[50].replace(b'"sensitive"', b'"caf\xe9"')
    (work / "bad-byte.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (work / "two.jsonl").write_text("".join(json.dumps(_client(n)) + "\n" for n in (1, 2)), encoding="utf-8")
    (work / "out-folder").mkdir()
    (work / "existing-file.txt").write_text("keep me\n", encoding="utf-8")
    (work / "target.jsonl").write_text("the previous results\n", encoding="utf-8")
    (work / "link.jsonl").symlink_to("target.jsonl")


@dataclass(frozen=True)
class Result:
    status: int
    stdout: bytes
    stderr: bytes
    max_rss_kb: int = field(default=0, compare=False)


def _run_with_runner(cases: list[Case], work: Path, outputs: Path, jobs: int = 2) -> dict[str, Result]:
    """Run ``cases`` through ``tests/cli_runner.py`` in ``jobs`` processes at once."""
    batches: list[list[tuple[int, Case]]] = [[] for _ in range(jobs)]
    for index, case in enumerate(cases):
        batches[index % jobs].append((index, case))
    processes = []
    for number, batch in enumerate(batches):
        spec = outputs / f"cases-{number}.jsonl"
        with spec.open("w", encoding="utf-8") as handle:
            for index, case in batch:
                line = {
                    "module": case.module,
                    "path": [str(work)],
                    "args": list(case.args),
                    "cwd": str(work),
                    "stdin": str(work / case.stdin) if case.stdin else None,
                    "stdout": str(outputs / f"{index}.out"),
                    "stderr": str(outputs / f"{index}.err"),
                    "file_size_limit": case.file_size_limit,
                }
                handle.write(json.dumps(line) + "\n")
        done = outputs / f"results-{number}.jsonl"
        processes.append((batch, done, subprocess.Popen([sys.executable, str(RUNNER), str(spec), str(done)], cwd=ROOT)))
    results: dict[str, Result] = {}
    for batch, done, process in processes:
        assert process.wait(timeout=600) == 0, "the CLI runner itself failed"
        reports = [json.loads(line) for line in done.read_text(encoding="utf-8").splitlines()]
        assert len(reports) == len(batch)
        for (index, case), report in zip(batch, reports, strict=True):
            out = (outputs / f"{index}.out").read_bytes()
            err = (outputs / f"{index}.err").read_bytes()
            results[case.name] = Result(report["status"], out, err, report["max_rss_kb"])
    return results


def _run_subprocess(case: Case, work: Path) -> Result:
    assert case.stdin != "/dev/zero" and case.file_size_limit is None, "not for this runner"
    stdin = (work / case.stdin).read_bytes() if case.stdin else b""
    done = subprocess.run(
        [sys.executable, "-m", "engine", *case.args], cwd=work, input=stdin, capture_output=True, timeout=300
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    _build_work(folder)
    return folder


@pytest.fixture(scope="module")
def results(work: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    cases = list(CASES.values())
    if not hasattr(os, "fork"):  # pragma: no cover - Windows: the slow, plain way
        return {case.name: _run_subprocess(case, work) for case in cases}
    return _run_with_runner(cases, work, tmp_path_factory.mktemp("bad-input-out"))


LEADS = {
    2: "error: invalid facts\n",
    3: "error: invalid rules\n",
    64: "usage: pore-protocol",
    74: "error: cannot write ",
}
"""How stderr starts, by exit status, when the command fails."""


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gets_a_clear_error(results: dict[str, Result], name: str) -> None:
    case = CASES[name]
    result = results[name]
    stderr = result.stderr.decode("utf-8", errors="replace")
    stdout = result.stdout.decode("utf-8", errors="replace")
    assert b"Traceback" not in result.stderr, stderr[-3000:]
    assert result.status == case.status, f"exit {result.status}, expected {case.status}:\n{stderr[:3000]}"
    assert len(result.stderr) < MAX_STDERR, f"{len(result.stderr)} bytes of error output"
    if case.max_rss_mb is not None:
        assert result.max_rss_kb < case.max_rss_mb * 1024, f"peak RSS {result.max_rss_kb} KB"
    if case.lines is not None:  # a batch: one line per record, in order, each naming its record
        assert stderr == "", stderr[:3000]
        lines = stdout.splitlines()
        assert len(lines) == case.lines, f"{len(lines)} output lines, expected {case.lines}"
        assert [json.loads(line)["record"] for line in lines] == list(range(1, case.lines + 1))
        for index, pattern in case.line_patterns:
            assert re.search(pattern, lines[index]), f"{pattern!r} does not match line {index}:\n{lines[index][:500]}"
        return
    if case.stdout:  # a report on stdout (lint), nothing on stderr
        assert stderr == "", stderr[:3000]
        for pattern in case.patterns:
            assert re.search(pattern, stdout), f"{pattern!r} not found in:\n{stdout[:3000]}"
        return
    assert result.stdout == b"", "nothing may be written to stdout when the command fails"
    if case.status == 0:
        assert stderr == "", stderr[:3000]
    else:
        assert stderr.startswith(LEADS[case.status]), stderr[:500]
    for pattern in case.patterns:
        assert re.search(pattern, stderr, re.MULTILINE), f"{pattern!r} not found in:\n{stderr[:3000]}"


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


def test_no_temporary_file_is_left_by_any_case(results: dict[str, Result], work: Path) -> None:
    assert _partials(work) == []
    assert list((work / "out-folder").iterdir()) == []
    assert not (work / "too-large.jsonl").exists() and not (work / "too-large.md").exists()


def test_an_output_through_a_symlink_replaces_its_target_and_keeps_the_link(
    results: dict[str, Result], work: Path
) -> None:
    link = work / "link.jsonl"
    assert link.is_symlink() and os.readlink(link) == "target.jsonl"
    lines = (work / "target.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["client-1", "client-2"]
    assert all("plan" in json.loads(line) for line in lines)


def test_missing_output_folders_are_not_created(results: dict[str, Result], work: Path) -> None:
    assert not (work / "missing-folder").exists()
    assert not Path("/nonexistent-pore-protocol").exists()
    assert (work / "existing-file.txt").read_text(encoding="utf-8") == "keep me\n"


def test_the_bad_byte_is_located_by_its_offset_in_the_file(results: dict[str, Result], work: Path) -> None:
    data = (work / "bad-byte.jsonl").read_bytes()
    offset = data.index(b"\xe9")
    assert data.count(b"\n", 0, offset) + 1 == 51
    line = results["batch/jsonl-bad-byte-on-line-51"].stdout.decode("utf-8").splitlines()[50]
    assert f"at offset {offset} " in json.loads(line)["message"], line


def test_every_corpus_file_has_an_expectation() -> None:
    for folder in (FACTS, BATCH):
        stored = {p.name for p in folder.iterdir() if p.name != "EXPECTED.yaml"}
        assert stored == set(_manifest(folder)), stored ^ set(_manifest(folder))
    folders = {p.name for p in RULES_CORPUS.iterdir() if p.is_dir()}
    assert folders == set(_manifest(RULES_CORPUS)), folders ^ set(_manifest(RULES_CORPUS))


def test_the_runner_behaves_like_python_dash_m(results: dict[str, Result], work: Path) -> None:
    for name in SUBPROCESS_SAMPLE:
        assert _run_subprocess(CASES[name], work) == results[name], name


def test_the_runner_reports_what_it_sees(work: Path, tmp_path: Path) -> None:
    """The runner can fail: a valid client exits 0 with the plan on stdout, and a crash is a Traceback."""
    good = Case("ok", ("evaluate", "ok.yaml"), 0, ())
    crash = Case("crash", (), 1, (), module="crashing_module")
    (work / "crashing_module.py").write_text("raise RuntimeError('boom')\n")
    found = _run_with_runner([good, crash], work, tmp_path, jobs=1)
    assert found["ok"].status == 0 and json.loads(found["ok"].stdout)["status"] == "needs_information"
    assert found["crash"].status == 1 and b"Traceback" in found["crash"].stderr


def test_corpus_base_folder_is_valid_apart_from_its_defect(tmp_path: Path) -> None:
    """Each rules case is one defect away from a valid folder: repairing the unknown-fact case loads."""
    folder = tmp_path / "repaired"
    shutil.copytree(RULES_CORPUS / "unknown-fact", folder)
    text = (folder / "rules.yaml").read_text(encoding="utf-8")
    (folder / "rules.yaml").write_text(text.replace("pregnnt", "pregnant"), encoding="utf-8")
    engine.load_protocol(folder).close()


# ----------------------------------------------------------------------------- fuzzing: facts

_FRAGMENTS = [
    "assessment_date: 2026-11-25\n",
    "assessment_date: ",
    "pregnant: ",
    "fitzpatrick: ",
    "pore_causes: ",
    "previous_treatments:\n  - ",
    "{technique: peel.glycolic, date: 2026-10-01}",
    "isotretinoin_last_dose: ",
    "skin_type: ",
    "true",
    "no",
    "never",
    "oily",
    "7",
    "-1",
    "1e3",
    "0x1F",
    ".nan",
    "~",
    "null",
    "2026-02-30",
    "2026-11-25 10:00:00",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "? ",
    "\n",
    "  ",
    "\t",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object:os.system ",
    "!!binary ",
    "!!set ",
    "'",
    '"',
    "\\ud800",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "\ufeff",
    "\x00",
    "é",
    '"assessment_date": "2026-11-25"',
    "NaN",
    "Infinity",
]
_yamlish = st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map("".join)
_documents = st.one_of(_yamlish, _yamlish.map(lambda text: "{" + text), st.text(max_size=200), st.binary(max_size=200))


@profile(600)
@given(document=_documents, name=st.sampled_from(["fuzz.yaml", "fuzz.json", "<stdin>"]))
def test_fuzz_facts_documents(protocol: engine.Protocol, document: str | bytes, name: str) -> None:
    try:
        plan = protocol.evaluate_document(document, name)
    except engine.FactsError as exc:
        assert str(exc)
        for issue in exc.issues:
            issue.format().encode("utf-8")  # printable as UTF-8 (no lone surrogates)
    else:
        assert isinstance(plan, engine.TreatmentPlan)


def _values(protocol: engine.Protocol) -> st.SearchStrategy[Any]:
    """JSON-like values (what a caller or a YAML file could send), biased towards this vocabulary."""
    names = tuple(sorted(protocol.facts))
    if names not in _VALUES:
        _VALUES[names] = _build_values(names)
    return _VALUES[names]


_VALUES: dict[tuple[str, ...], st.SearchStrategy[Any]] = {}


def _build_values(names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["never", "2026-11-25", "2026-02-30", "2099-01-01", "oily", "peel.glycolic", "yes", ""]),
        st.text(max_size=20),
    )
    keys = st.one_of(st.sampled_from(names), st.sampled_from(["technique", "date"]), st.text(max_size=8))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
        max_leaves=12,
    )


@profile(300)
@given(data=st.data())
def test_fuzz_facts_structures(protocol: engine.Protocol, data: st.DataObject) -> None:
    names = sorted(protocol.facts)
    facts = data.draw(st.dictionaries(st.sampled_from([*names, "unknown_fact"]), _values(protocol), max_size=8))
    if data.draw(st.booleans()):
        facts["assessment_date"] = "2026-11-25"
    try:
        plan = protocol.evaluate(facts)
    except engine.FactsError as exc:
        assert exc.issues
    else:
        assert plan.protocol.sha256 == protocol.sha256


# ----------------------------------------------------------------------------- fuzzing: YAML loader


def _load_both(text: str) -> tuple[Any, Any]:
    """The libyaml and the pure-Python loading of ``text``: ("ok", data, lines) or ("error",)."""
    outcomes = []
    saved = _load._CSafeLoader
    for parser in (saved, None):
        _load._CSafeLoader = parser
        try:
            doc = load_yaml_text(text, "fuzz.yaml")
            outcomes.append(("ok", doc.data, doc.lines))
        except YamlProblem as problem:
            assert problem.message
            assert problem.line is None or problem.line >= 1
            outcomes.append(("error",))
        finally:
            _load._CSafeLoader = saved
    return outcomes[0], outcomes[1]


@profile(600)
@given(text=st.one_of(_yamlish, st.text(max_size=120)))
def test_fuzz_yaml_loader_libyaml_and_python_agree(text: str) -> None:
    """Only YamlProblem escapes, and when both parsers accept a text they read the same data on the same lines.

    They may disagree on *whether* to accept: libyaml allows a tab between a key and its
    value (``a:\t1``, as YAML does), the pure-Python fallback refuses it. A refusal is safe;
    reading different data would not be.
    """
    fast, slow = _load_both(text)
    if fast[0] == "ok" and slow[0] == "ok":
        assert repr(fast[1]) == repr(slow[1])  # repr: NaN != NaN, but prints alike
        for path in fast[2].keys() | slow[2].keys():
            if _at(fast[1], path) is not None:  # an empty value has no text, so no agreed line
                assert fast[2].get(path) == slow[2].get(path), path


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = next((v for k, v in data.items() if str(k) == part), None)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def test_yaml_loader_refuses_every_alias_and_tag() -> None:
    for text in ("a: &x 1\nb: *x\n", "a: !!python/object:os.system {}\n", "a: !!python/name:os.system\n"):
        for parser in (_load._CSafeLoader, None):
            saved = _load._CSafeLoader
            _load._CSafeLoader = parser
            try:
                with pytest.raises(YamlProblem):
                    load_yaml_text(text, "x.yaml")
            finally:
                _load._CSafeLoader = saved


# ----------------------------------------------------------------------------- fuzzing: rules folders

_BASE_FOLDER = RULES_CORPUS / "unknown-fact"


def _base_rules() -> dict[str, Any]:
    rules = yaml.safe_load((_BASE_FOLDER / "rules.yaml").read_text(encoding="utf-8").replace("pregnnt", "pregnant"))
    assert isinstance(rules, dict)
    return rules


@pytest.fixture(scope="module")
def base_rules() -> dict[str, Any]:
    return _base_rules()


_RULE_KEYS = ["id", "kind", "title", "applies_to", "when", "then", "rationale", "severity", "evidence", "priority", "x"]


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@profile(100)
@given(data=st.data())
def test_fuzz_rules_folder(protocol: engine.Protocol, base_rules: dict[str, Any], data: st.DataObject) -> None:
    rules = json.loads(json.dumps(base_rules))
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        index = data.draw(st.integers(0, len(rules["rules"]) - 1), label="rule")
        key = data.draw(st.sampled_from(_RULE_KEYS), label="key")
        value = data.draw(_values(protocol), label="value")
        if value is None:
            rules["rules"][index].pop(key, None)
        else:
            rules["rules"][index][key] = value
    with tempfile.TemporaryDirectory(prefix="pp-fuzz-") as tmp:
        folder = Path(tmp) / "rules"
        shutil.copytree(_BASE_FOLDER, folder)
        (folder / "rules.yaml").write_text(to_yaml(rules), encoding="utf-8")
        try:
            loaded = engine.load_protocol(folder)
        except engine.RulesError as exc:
            assert exc.issues or exc.summary
            return
    try:
        loaded.evaluate({"assessment_date": "2026-11-25"})
    finally:
        loaded.close()


# ----------------------------------------------------------------------------- the library: only FactsError

_DATES = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.sampled_from([dt.date(1, 1, 1), dt.date(1, 2, 25), dt.date(26, 11, 25), dt.date(9999, 12, 31)]),
)
_HUGE_INTEGERS = st.one_of(
    st.integers(),
    st.integers(min_value=10**4290, max_value=10**4310),  # either side of Python's 4,300-digit printing limit
    st.builds(lambda digits, sign: sign * 10**digits, st.integers(0, 6000), st.sampled_from([1, -1])),
)


def _json_like(protocol: engine.Protocol) -> st.SearchStrategy[Any]:
    """Any JSON-like value, and dates (as YAML gives them): nested, of any size, biased towards the vocabulary."""
    names = st.sampled_from(sorted(protocol.facts))
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        _HUGE_INTEGERS,
        st.floats(),
        st.text(max_size=30),
        st.builds(str.__mul__, st.sampled_from(["x", "\ud800", "\x00", "é"]), st.integers(1_000, 100_000)),
        _DATES,
        _DATES.map(dt.date.isoformat),
        st.sampled_from(["never", "oily", "peel.glycolic", "excess_sebum", ""]),
    )
    keys = st.one_of(names, st.sampled_from(["technique", "date", "id", "facts"]), st.text(max_size=10))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5),
            st.dictionaries(keys, inner, max_size=6),
        ),
        max_leaves=20,
    )


@profile(250)
@given(data=st.data())
def test_evaluate_raises_only_facts_error_on_any_json_like_value(
    protocol: engine.Protocol, data: st.DataObject
) -> None:
    """``Protocol.evaluate`` on any value a caller could send: a plan, or ``FactsError``, never another exception.

    Facts are drawn as a mapping of fact names (mostly the vocabulary's) to arbitrary values
    (nested lists and mappings; text up to 100,000 characters, lone surrogates and NUL
    included; whole numbers up to 6,001 digits, either side of the 4,300 digits beyond which
    Python refuses to print one; any float; dates from year 1 to 9999, as dates and as text),
    with and without a valid assessment date, and as arbitrary values at the top level. (Should
    it ever fail on a number that long, hypothesis itself cannot print the example; the cases
    below pin those sizes and depths by name.)
    """
    values = _json_like(protocol)
    names = st.one_of(st.sampled_from(sorted(protocol.facts)), st.text(max_size=10))
    facts: Any = data.draw(
        st.one_of(
            st.dictionaries(names, values, max_size=8),
            st.dictionaries(names, values, max_size=8).map(lambda d: {**d, "assessment_date": "2026-11-25"}),
            values,
        ),
        label="facts",
    )
    try:
        plan = protocol.evaluate(facts)
    except engine.FactsError as exc:
        assert str(exc)
        for issue in exc.issues:
            issue.format().encode("utf-8")  # printable as UTF-8 (no lone surrogates)
    else:
        assert plan.protocol.sha256 == protocol.sha256


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "facts",
    [
        {"assessment_date": "2026-11-25", "age": 10**4300},
        {"assessment_date": "2026-11-25", "skin_type": -(10**5000)},
        {"assessment_date": "2026-11-25", 10**5000: True},
        {"assessment_date": "2026-11-25", "age": _deep(100_000)},
    ],
    ids=["age-4301-digits", "choice-5001-digits", "key-5001-digits", "list-nested-100000-deep"],
)
def test_evaluate_refuses_values_too_large_to_quote(protocol: engine.Protocol, facts: dict[Any, Any]) -> None:
    with pytest.raises(engine.FactsError):
        protocol.evaluate(facts)
