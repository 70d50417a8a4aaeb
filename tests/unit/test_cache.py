"""The compiled-protocol cache of the command line: never a different answer, safe to delete or corrupt."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import engine
from engine import _cache
from engine._cache import CACHE_DIR_ENV, CACHE_ENV, load_protocol_cached
from tests.conftest import BASELINE, RULES


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(folder))
    monkeypatch.delenv(CACHE_ENV, raising=False)
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def _plan(protocol: engine.Protocol) -> str:
    return protocol.evaluate(BASELINE).model_dump_json()


def test_a_hit_plans_exactly_as_the_rules_folder(cache: Path) -> None:
    with engine.load_protocol(RULES) as fresh:
        expected = _plan(fresh)
        sha256 = fresh.sha256
    with load_protocol_cached(RULES) as first:  # a miss: validated, compiled, stored
        assert _plan(first) == expected
    (entry,) = _entries(cache)
    assert entry.name.startswith(sha256)
    assert not entry.stat().st_mode & 0o077 and not cache.stat().st_mode & 0o077
    with load_protocol_cached(RULES) as second:  # a hit
        assert _plan(second) == expected
        assert second.sha256 == sha256
        assert second.path == RULES


def test_a_hit_names_the_folder_it_was_asked_for(cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "rules-copy"
    shutil.copytree(RULES, copy)
    load_protocol_cached(RULES).close()
    with load_protocol_cached(copy) as protocol:  # same content: the same entry
        assert protocol.path == copy
    assert len(_entries(cache)) == 1


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a pickle at all", b"pore-protocol compiled protocol\n\x80\x05garbage", None],
    ids=["empty", "foreign", "corrupt", "truncated"],
)
def test_a_damaged_entry_is_a_miss_and_is_written_again(cache: Path, damage: bytes | None) -> None:
    with load_protocol_cached(RULES) as protocol:
        expected = _plan(protocol)
    (entry,) = _entries(cache)
    whole = entry.read_bytes()
    entry.write_bytes(whole[: len(whole) // 2] if damage is None else damage)
    with load_protocol_cached(RULES) as protocol:
        assert _plan(protocol) == expected
    assert entry.read_bytes() == whole


def test_deleting_the_cache_at_any_time_is_safe(cache: Path) -> None:
    load_protocol_cached(RULES).close()
    shutil.rmtree(cache)
    with load_protocol_cached(RULES) as protocol:
        assert protocol.evaluate(BASELINE).status
    assert len(_entries(cache)) == 1


def test_an_edited_folder_is_another_entry(cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "rules-edited"
    shutil.copytree(RULES, copy)
    load_protocol_cached(copy).close()
    manifest = copy / "protocol.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with load_protocol_cached(copy) as protocol, engine.load_protocol(copy) as fresh:
        assert protocol.sha256 == fresh.sha256
    assert len(_entries(cache)) == 2


def test_an_invalid_folder_raises_every_time_and_is_never_cached(cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(RULES, broken)
    (broken / "protocol.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(engine.RulesError):
            load_protocol_cached(broken)
    assert _entries(cache) == []


def test_an_entry_others_can_write_is_not_read(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_protocol_cached(RULES).close()
    (entry,) = _entries(cache)
    os.chmod(entry, 0o666)
    reads: list[Path] = []
    monkeypatch.setattr(_cache, "_write", lambda path, *_: reads.append(path))
    load_protocol_cached(RULES).close()
    assert reads == [entry]  # not trusted: a miss, so validated and written again


def test_the_cache_can_be_turned_off(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "0")
    load_protocol_cached(RULES).close()
    assert _entries(cache) == []


def test_an_unwritable_cache_only_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker / "cache"))
    with load_protocol_cached(RULES) as protocol:
        assert protocol.evaluate(BASELINE).status


def test_the_key_covers_the_engines_own_code(tmp_path: Path) -> None:
    code = tmp_path / "engine"
    code.mkdir()
    for module in Path(_cache.__file__).parent.glob("*.py"):
        shutil.copy2(module, code)
    before = _cache.code_digest(code)
    assert before == _cache.code_digest() == _cache.code_digest(code)  # the engine's own, worked out the same way
    compiler = code / "_compile.py"
    stamp = compiler.stat()
    text = compiler.read_bytes()
    compiler.write_bytes(text.replace(b"NODE_BUDGET = STACK_LIMIT - 4", b"NODE_BUDGET = STACK_LIMIT - 5"))
    os.utime(compiler, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size and time, other content
    assert compiler.stat().st_size == stamp.st_size
    assert _cache.code_digest(code) != before
    compiler.write_bytes(text)
    assert _cache.code_digest(code) == before
    (code / "_new_module.py").write_text("", encoding="utf-8")
    assert _cache.code_digest(code) != before


def test_an_entry_another_build_of_the_engine_wrote_is_not_read(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with load_protocol_cached(RULES) as protocol:
        expected = _plan(protocol)
    (old,) = _entries(cache)
    monkeypatch.setattr(_cache, "_own_digest", lambda: "0123456789abcdef")  # the engine's code was edited
    written: list[Path] = []
    real_write = _cache._write
    monkeypatch.setattr(_cache, "_write", lambda path, *rest: (written.append(path), real_write(path, *rest)))
    with load_protocol_cached(RULES) as protocol:  # a miss: validated and compiled by the new code
        assert _plan(protocol) == expected
    (new,) = _entries(cache)  # the old build's entry is removed, so edits do not fill the cache
    assert written == [new] and new != old and "-0123456789abcdef-" in new.name
    with load_protocol_cached(RULES) as protocol:  # and the new entry is a hit
        assert _plan(protocol) == expected
    assert written == [new]
