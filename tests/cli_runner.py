"""Run the real command line many times without paying the interpreter's start-up each time.

``python -m engine ARGS`` costs about half a second, most of it importing pydantic and
building the models; a corpus of a hundred bad inputs would spend a minute on imports.
This runner imports the engine once, then for each case forks a child process that runs
``engine/__main__.py`` exactly as ``python -m engine`` does (``runpy``, ``sys.argv``, the
case's working directory, standard input and output redirected to files) and reports the
child's exit status. An exception escaping the CLI is printed by the child as the
interpreter would print it (a ``Traceback``) with status 1, and a crash in C shows as a
negative status (the signal), so nothing the real command could do goes unseen.

``tests/test_bad_input.py`` also runs a sample of cases through a plain
``subprocess.run([sys.executable, "-m", "engine", ...])`` and requires identical results.

Used as ``python tests/cli_runner.py CASES.jsonl RESULTS.jsonl``; each case line is
``{"args": [...], "cwd": DIR, "stdin": FILE or null, "stdout": FILE, "stderr": FILE}`` (and, for
the runner's own test, ``"module"`` to run instead of ``engine`` and ``"path"`` to find it on;
``"file_size_limit"``: the largest file the child may write, in bytes, as a full disk would
refuse more) and each result line ``{"status": N, "max_rss_kb": K}`` (the child's peak
resident memory, which includes the pages it shares with this runner), in the same order.
"""

from __future__ import annotations

import json
import os
import resource
import runpy
import signal
import sys
import traceback
from typing import Any

import engine.cli  # imported once here, inherited by every child


def _child(case: dict[str, Any]) -> int:
    limit = case.get("file_size_limit")
    if limit is not None:  # writing past it fails with EFBIG (File too large) instead of killing the child
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    os.chdir(case["cwd"])
    stdin = os.open(case["stdin"] or os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - a fresh reader: the parent's may hold buffered input
    for fd, key in ((1, "stdout"), (2, "stderr")):
        target = os.open(case[key], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
    sys.argv = [os.path.join(os.path.dirname(engine.cli.__file__), "__main__.py"), *case["args"]]
    sys.path[:0] = case.get("path", [])
    try:
        runpy.run_module(case.get("module", "engine"), run_name="__main__", alter_sys=True)
        status = 0
    except SystemExit as exc:
        if exc.code is None:
            status = 0
        elif isinstance(exc.code, int):
            status = exc.code
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # the interpreter would report a failing flush with status 120
        status = 120
    return status


def run(case: dict[str, Any]) -> tuple[int, int]:
    """Run one case in a forked child; its exit status (negative: killed by that signal) and peak RSS in KB."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 1
        try:
            status = _child(case)
        finally:
            os._exit(status)
    _, wait_status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(wait_status), usage.ru_maxrss


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as cases, open(argv[1], "w", encoding="utf-8") as results:
        for line in cases:
            if line.strip():
                status, rss = run(json.loads(line))
                results.write(json.dumps({"status": status, "max_rss_kb": rss}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
