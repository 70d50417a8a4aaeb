"""Reloading the rules while threads evaluate: one version per plan, and the old rulesets are freed.

Two copies of the shipped rules differ in their version *and* in the text of every rule
and technique title (``(v1.0.0)`` / ``(v2.0.0)`` prefixes), so a plan that mixed two versions
would show a title that disagrees with its own protocol stamp.
"""

from __future__ import annotations

import gc
import random
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import engine
from engine._adapter import live_rulesets
from tests.conftest import BASELINE, RULES
from tests.strategies import random_client, to_yaml

VERSIONS = ("1.0.0", "2.0.0")
RELOADS = 6
THREADS = 4


def _tag(version: str) -> str:
    return f"(v{version})"


def _versioned_copy(root: Path, version: str) -> Path:
    folder = root / f"rules-{version}"
    shutil.copytree(RULES, folder)
    for path in folder.glob("*.yaml"):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if path.name == "protocol.yaml":
            data["version"] = version
        elif path.name == "techniques.yaml":
            for technique in data["techniques"].values():
                technique["title"] = f"{_tag(version)} {technique['title']}"
        elif isinstance(data, dict) and "rules" in data:  # not the vocabulary, evidence or agents
            for rule in data["rules"]:
                rule["title"] = f"{_tag(version)} {rule['title']}"
        path.write_text(to_yaml(data), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reload")
    return {version: _versioned_copy(root, version) for version in VERSIONS}


def _titles(plan: engine.TreatmentPlan) -> Iterator[str]:
    """Every title in the plan that comes from a rule or a technique of the protocol."""
    for step in plan.steps:
        yield from (j.title for j in step.justifications)
        if step.technique is not None:
            yield step.title
    for exclusion in plan.excluded:
        yield exclusion.title
        yield from (j.title for j in exclusion.reasons)
    for caution in plan.cautions:
        yield caution.title
    for row in plan.ranking:
        yield row.title
    for derived in plan.derived_facts:
        if derived.justification is not None:
            yield derived.justification.title


def _check_one_version(plan: engine.TreatmentPlan, shas: dict[str, str]) -> None:
    version = plan.protocol.version
    assert version in VERSIONS
    assert plan.protocol.sha256 == shas[version], "the stamp's sha256 belongs to another version"
    other = _tag(VERSIONS[1 - VERSIONS.index(version)])
    titles = list(_titles(plan))
    assert titles, "the plan names no rule or technique"
    for title in titles:
        assert other not in title, f"a {version} plan contains {title!r}"
        assert title.startswith(_tag(version)) or _tag(version) in title, f"{title!r} is not from {version}"


def test_versioned_copies_load_and_differ(folders: dict[str, Path]) -> None:
    loaded = {v: engine.load_protocol(folders[v]) for v in VERSIONS}
    try:
        assert {v: p.version for v, p in loaded.items()} == {v: v for v in VERSIONS}
        assert loaded[VERSIONS[0]].sha256 != loaded[VERSIONS[1]].sha256
        for version, protocol in loaded.items():
            _check_one_version(protocol.evaluate(BASELINE), {v: p.sha256 for v, p in loaded.items()})
            assert protocol.version == version
    finally:
        for protocol in loaded.values():
            protocol.close()


def test_mixing_is_detected(folders: dict[str, Path]) -> None:
    """The check itself can fail: a plan whose titles come from the other version is caught."""
    one = engine.load_protocol(folders[VERSIONS[0]])
    two = engine.load_protocol(folders[VERSIONS[1]])
    try:
        shas = {VERSIONS[0]: one.sha256, VERSIONS[1]: two.sha256}
        plan = one.evaluate(BASELINE)
        forged = plan.model_copy(update={"protocol": two.evaluate(BASELINE).protocol})
        with pytest.raises(AssertionError):
            _check_one_version(forged, shas)
    finally:
        one.close()
        two.close()


def _evaluate_while_reloading(
    service: engine.ReloadingProtocol, folders: dict[str, Path], shas: dict[str, str]
) -> None:
    clients = [BASELINE] + [random_client(service.current, random.Random(i)) for i in range(40)]
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: dict[str, int] = dict.fromkeys(VERSIONS, 0)
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while not stop.is_set():
                plan = service.evaluate(rng.choice(clients))
                _check_one_version(plan, shas)
                with lock:
                    seen[plan.protocol.version] += 1
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            stop.set()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        for i in range(RELOADS):
            fresh = service.reload(folders[VERSIONS[(i + 1) % 2]])
            assert service.current is fresh
            del fresh
            # let the workers finish a few plans with this version before swapping again
            target = sum(seen.values()) + THREADS
            while sum(seen.values()) < target and not stop.is_set():
                stop.wait(0.001)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors, errors[0]
    assert all(count > 0 for count in seen.values()), seen


def test_reload_while_threads_evaluate_never_mixes_versions(folders: dict[str, Path]) -> None:
    gc.collect()
    baseline = live_rulesets()
    service = engine.ReloadingProtocol(folders[VERSIONS[0]])
    probe = engine.load_protocol(folders[VERSIONS[1]])
    shas = {service.current.version: service.current.sha256, probe.version: probe.sha256}
    probe.close()
    del probe

    _evaluate_while_reloading(service, folders, shas)

    # Every replaced protocol has been freed: only the current one's rulesets are live.
    gc.collect()
    assert live_rulesets() == baseline + service.current.matcher_rulesets
    service.close()
    del service
    gc.collect()
    assert live_rulesets() == baseline


def test_old_rules_stay_alive_while_an_evaluation_holds_them(folders: dict[str, Path]) -> None:
    gc.collect()
    baseline = live_rulesets()
    service = engine.ReloadingProtocol(folders[VERSIONS[0]])
    held = service.current  # what an evaluation in flight holds
    per_protocol = held.matcher_rulesets
    service.reload(folders[VERSIONS[1]])
    assert live_rulesets() == baseline + 2 * per_protocol
    assert held.evaluate(BASELINE).protocol.version == VERSIONS[0]
    del held
    gc.collect()
    assert live_rulesets() == baseline + per_protocol
    assert service.evaluate(BASELINE).protocol.version == VERSIONS[1]
    service.close()
    del service
    gc.collect()
    assert live_rulesets() == baseline


def test_a_failed_reload_keeps_the_current_rules(folders: dict[str, Path], tmp_path: Path) -> None:
    service = engine.ReloadingProtocol(folders[VERSIONS[0]])
    try:
        broken = tmp_path / "broken"
        shutil.copytree(folders[VERSIONS[1]], broken)
        (broken / "vocabulary.yaml").unlink()
        before = service.current
        with pytest.raises(engine.RulesError, match="vocabulary"):
            service.reload(broken)
        assert service.current is before
        assert service.path == folders[VERSIONS[0]]
        assert service.evaluate(BASELINE).protocol.version == VERSIONS[0]
        service.reload()  # the same folder again: a fresh protocol, same content
        assert service.current is not before
        assert service.current.sha256 == before.sha256
    finally:
        service.close()


def test_default_folder_is_the_shipped_rules() -> None:
    service = engine.ReloadingProtocol()
    try:
        assert service.path == engine.shipped_rules_path()
        plan: Any = service.evaluate(BASELINE)
        assert plan.protocol.sha256 == service.current.sha256
        assert "ReloadingProtocol" in repr(service)
    finally:
        service.close()
