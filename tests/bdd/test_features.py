"""Bind every scenario in features/ to pytest; see tests/bdd/conftest.py for the steps."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios(".")
