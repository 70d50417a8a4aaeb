"""The generated facts reader against the generic path it stands in for (``engine._reader``).

For any input the reader either declines (``None``: the generic path then checks and
encodes it, and raises the ``FactsError``) or gives exactly what the generic path gives:
the same checked values, in the caller's order, and the same encoded fields for the
matcher. It must decline everything ``check_facts`` refuses.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib.util
import random
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine
from engine._facts import check_facts
from tests.conftest import BASELINE
from tests.strategies import clients, profile, random_client

_POPULATION = Path(__file__).resolve().parents[2] / "benchmarks" / "population.py"


def population(protocol: engine.Protocol, size: int) -> list[dict[str, Any]]:
    """The benchmark population (``benchmarks/population.py``): blanks, returning clients, some invalid."""
    spec = importlib.util.spec_from_file_location("benchmark_population", _POPULATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.population(protocol, size))


def _reader(protocol: engine.Protocol) -> Any:
    protocol._evaluator.read(copy.deepcopy(BASELINE))  # the reader is generated on first use
    return protocol._evaluator._reader


def _generic(protocol: engine.Protocol, data: Any) -> tuple[dict[str, Any], dict[str, str]] | None:
    """What check_facts, the flattener and the encoder make of ``data`` (``None``: check_facts refuses it)."""
    evaluator = protocol._evaluator
    try:
        facts = check_facts(protocol._spec, data)
    except engine.FactsError:
        return None
    return dict(facts.values), evaluator._matcher.encode(evaluator._flatten(facts)).fragments


def _agrees(protocol: engine.Protocol, data: Any) -> bool:
    """Whether the reader took ``data``; asserts it agrees with the generic path either way."""
    fast = _reader(protocol)(copy.deepcopy(data))
    slow = _generic(protocol, copy.deepcopy(data))
    if slow is None:
        assert fast is None, "the reader accepted facts check_facts refuses"
        return False
    if fast is None:
        return False
    values, fragments = fast
    assert values == slow[0]
    assert list(values) == list(slow[0]), "the values are not in the caller's order"
    assert fragments == slow[1]
    return True


def test_the_benchmark_population_is_read_in_one_pass(protocol: engine.Protocol) -> None:
    taken = [_agrees(protocol, facts) for facts in population(protocol, 600)]
    assert sum(taken) >= 0.9 * len(taken)  # the population's invalid clients are the rest


def test_random_clients_agree(protocol: engine.Protocol) -> None:
    rng = random.Random(20261125)
    taken = [_agrees(protocol, random_client(protocol, rng)) for _ in range(400)]
    assert all(taken), "the reader declined a valid client"


@profile(150)
@given(data=st.data())
def test_generated_clients_agree(protocol: engine.Protocol, data: st.DataObject) -> None:
    facts = data.draw(clients(protocol))
    assert _agrees(protocol, facts)


@profile(250)
@given(data=st.data())
def test_any_value_of_any_fact_agrees(protocol: engine.Protocol, data: st.DataObject) -> None:
    """A valid client with a few answers replaced by anything: declined whenever check_facts refuses it."""
    facts = copy.deepcopy(BASELINE)
    values = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=12),
        st.dates().map(dt.date.isoformat),
        st.dates(),
        st.sampled_from(["never", "ongoing", "oily", "excess_sebum", "peel.glycolic", "2026-11-25\n", "2026-1-5"]),
        st.lists(st.sampled_from(["excess_sebum", "congestion", "oily", 3]), max_size=4),
        st.lists(
            st.fixed_dictionaries(
                {"technique": st.sampled_from(["peel.glycolic", "peel.salicylic", "nope"]), "date": st.dates()},
                optional={
                    "reaction": st.sampled_from(["none", "severe", "oily", None]),
                    "response": st.text(max_size=8),
                },
            ),
            max_size=3,
        ),
    )
    names = st.one_of(st.sampled_from(sorted(protocol.facts)), st.sampled_from(["pih_risk", "unknown", "Age"]))
    for name, value in data.draw(st.dictionaries(names, values, max_size=4)).items():
        facts[name] = value.isoformat() if isinstance(value, dt.date) and data.draw(st.booleans()) else value
    _agrees(protocol, facts)


class _Text(str):
    """A subclass of str: the reader leaves it to the generic path."""


class _Number(int):
    """A subclass of int."""


@pytest.mark.parametrize(
    "change",
    [
        {"age": True},
        {"age": _Number(30)},
        {"age": 30.0},
        {"age": 121},
        {"age": -1},
        {"skin_type": _Text("oily")},
        {"skin_type": "Oily"},
        {"pregnant": 0},
        {"pregnant": None},
        {"pore_causes": ["congestion", "congestion"]},
        {"pore_causes": [["congestion"]]},
        {"pore_causes": ("congestion",)},
        {"pore_causes": []},
        {"last_tan_or_sunburn": "2026-11-26"},
        {"last_tan_or_sunburn": "2026-11-25"},
        {"last_tan_or_sunburn": "2026-11-25\n"},
        {"last_tan_or_sunburn": "2026-02-30"},
        {"last_tan_or_sunburn": "\uff12\uff10\uff12\uff16-01-15"},
        {"last_tan_or_sunburn": "1899-12-31"},
        {"last_tan_or_sunburn": dt.date(2020, 1, 1)},
        {"last_tan_or_sunburn": dt.datetime(2020, 1, 1)},
        {"last_tan_or_sunburn": "ongoing"},
        {"photosensitising_drug_last_dose": "ongoing"},
        {"start_date": "2026-11-24"},
        {"start_date": "2026-12-01"},
        {"assessment_date": None},
        {"assessment_date": "never"},
        {"assessment_date": dt.date(2026, 11, 25)},
        {"assessment_date": "3000-01-01"},
        {"pih_risk": "low"},
        {"fitzpatrik": 2},
        {1: 2},
        {"previous_treatments": []},
        {"previous_treatments": [{"technique": "peel.glycolic", "date": "2026-10-01"}]},
        {"previous_treatments": [{"technique": "peel.glycolic", "date": "2026-11-26"}]},
        {"previous_treatments": [{"technique": "peel.glycolic", "date": "2026-10-01", "reaction": "none"}]},
        {"previous_treatments": [{"technique": "peel.glycolic", "date": "2026-10-01", "reaction": "severe"}]},
        {"previous_treatments": [{"technique": "peel.glycolic", "date": "2026-10-01", "colour": "red"}]},
        {
            "previous_treatments": [
                {"technique": "peel.glycolic", "date": "2026-10-01"},
                {"technique": "peel.glycolic", "date": "2026-10-01"},
            ]
        },
    ],
    ids=repr,
)
def test_edge_cases_agree(protocol: engine.Protocol, change: dict[Any, Any]) -> None:
    facts: dict[Any, Any] = {**copy.deepcopy(BASELINE), **change}
    _agrees(protocol, facts)


def test_anything_but_a_plain_dict_takes_the_generic_path(protocol: engine.Protocol) -> None:
    reader = _reader(protocol)
    assert reader(OrderedDict(BASELINE)) is None
    assert reader([("assessment_date", "2026-11-25")]) is None
    assert reader(None) is None
    assert protocol.evaluate(OrderedDict(BASELINE)) == protocol.evaluate(dict(BASELINE))


def test_the_callers_order_is_kept(protocol: engine.Protocol) -> None:
    backwards = dict(reversed(list(BASELINE.items())))
    assert list(protocol._evaluator.read(backwards)[0].values) == [k for k in backwards if backwards[k] is not None]
