"""Fixtures of the service tests: one snapshot of the shipped rules per test module, and its protocol."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from tests.conftest import RULES


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the shipped rules: the server, the CLI and the library compared with it all read this one,
    so that rules edited while the suite runs cannot make them disagree."""
    folder = tmp_path_factory.mktemp("service-rules") / "rules"
    shutil.copytree(RULES, folder)
    return folder


@pytest.fixture(scope="module")
def protocol(rules: Path) -> Iterator[engine.Protocol]:
    loaded = engine.load_protocol(rules)
    yield loaded
    loaded.close()
