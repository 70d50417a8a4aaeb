"""Evaluating from many threads at once, and in worker processes, gives exactly the sequential results.

A ``Protocol`` is shared between threads (the adapter serialises every call into the
matcher and deletes each client's session before releasing its lock). If a session
leaked, a client's plan would carry another client's facts or outcomes; if the lock
were missing, the C core would mix or crash. Eight threads start together on a barrier,
each evaluating every client in its own order, interleaved with invalid clients; every
plan must be byte-identical to the one computed sequentially, and so must every error.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

import engine
from engine._adapter import live_rulesets
from tests.conftest import BASELINE, RULES
from tests.strategies import random_client

THREADS = 8
CLIENTS = 80


@pytest.fixture(scope="module")
def clients(protocol: engine.Protocol) -> list[dict[str, Any]]:
    rng = random.Random(8)
    population = [BASELINE, {"assessment_date": "2026-11-25"}]
    population += [random_client(protocol, rng) for _ in range(CLIENTS - 6)]
    # invalid clients in the mix: their errors must not depend on what other threads do
    population += [
        {**BASELINE, "fitzpatrick": 9},
        {**BASELINE, "pregnnt": True},
        {"fitzpatrick": 2},
        {**BASELINE, "previous_treatments": [{"technique": "peel.nope", "date": "2026-01-01"}]},
    ]
    return population


def _answer(call: Callable[[dict[str, Any]], Any], client: dict[str, Any]) -> str:
    try:
        result = call(client)
    except engine.FactsError as exc:
        return f"FactsError: {exc}"
    if isinstance(result, engine.TreatmentPlan):
        return result.model_dump_json()
    return repr(sorted((rule, truth.value) for rule, truth in result.truth.items())) + repr(
        sorted(result.derived.items())
    )


def _in_threads(call: Callable[[dict[str, Any]], Any], clients: list[dict[str, Any]]) -> list[dict[int, str]]:
    barrier = threading.Barrier(THREADS)
    found: list[dict[int, str]] = [{} for _ in range(THREADS)]
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        order = list(range(len(clients)))
        random.Random(number).shuffle(order)
        try:
            barrier.wait(timeout=60)
            for index in order:
                found[number][index] = _answer(call, clients[index])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    return found


def test_plans_from_eight_threads_equal_the_sequential_plans(
    protocol: engine.Protocol, clients: list[dict[str, Any]]
) -> None:
    sequential = [_answer(protocol.evaluate, client) for client in clients]
    assert sum(answer.startswith("FactsError") for answer in sequential) == 4
    before = live_rulesets()
    for number, answers in enumerate(_in_threads(protocol.evaluate, clients)):
        for index, answer in answers.items():
            assert answer == sequential[index], f"thread {number}, client {index}: plan differs from sequential"
    assert live_rulesets() == before


def test_outcomes_from_eight_threads_equal_the_sequential_outcomes(
    protocol: engine.Protocol, clients: list[dict[str, Any]]
) -> None:
    sequential = [_answer(protocol.outcomes, client) for client in clients]
    for number, answers in enumerate(_in_threads(protocol.outcomes, clients)):
        for index, answer in answers.items():
            assert answer == sequential[index], f"thread {number}, client {index}: outcomes differ from sequential"


def test_no_facts_leak_between_clients_in_threads(protocol: engine.Protocol) -> None:
    """Two clients that differ in one answer, evaluated alternately by 8 threads, never borrow each other's."""
    risky = {**BASELINE, "active_infection": True}
    safe = dict(BASELINE)
    expected = {True: protocol.evaluate(risky).model_dump_json(), False: protocol.evaluate(safe).model_dump_json()}
    assert expected[True] != expected[False]
    barrier = threading.Barrier(THREADS)
    mismatches: list[str] = []

    def worker(number: int) -> None:
        barrier.wait(timeout=60)
        for i in range(30):
            flag = (i + number) % 2 == 0
            if protocol.evaluate(risky if flag else safe).model_dump_json() != expected[flag]:
                mismatches.append(f"thread {number} round {i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not mismatches


def test_process_pool_batch_equals_sequential(protocol: engine.Protocol, clients: list[dict[str, Any]]) -> None:
    sequential = [_answer(protocol.evaluate, client) for client in clients]
    results = list(engine.evaluate_batch(clients, rules=RULES, workers=2, chunk_size=7))
    assert len(results) == len(clients)
    for index, result in enumerate(results):
        if result.ok:
            assert result.plan_json == sequential[index], f"client {index}"
        else:
            assert result.error is not None and result.error.kind != "engine", f"client {index}: {result}"
            assert sequential[index].startswith("FactsError"), f"client {index}: {result}"
