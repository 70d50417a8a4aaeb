"""Every Python example in the README runs as written, from the repository's root.

A reader copies them into a shell; one that fails (a renamed method, a moved example file)
is a broken promise, so each is run here in a fresh namespace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _examples() -> list[tuple[int, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 1, m.group(1)) for m in _BLOCK.finditer(text)]


def test_the_readme_has_python_examples() -> None:
    assert len(_examples()) >= 2


@pytest.mark.parametrize(("line", "code"), _examples(), ids=lambda v: f"line {v}" if isinstance(v, int) else "")
def test_a_readme_example_runs_as_written(line: int, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "readme_example"})
    assert Path(os.getcwd()) == ROOT
