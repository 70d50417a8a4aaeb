"""A cache of validated, compiled protocols, so that a command line starts without reading YAML.

``pore-protocol evaluate`` spends most of a cold start loading the rules: parsing and
validating the YAML and compiling it took about 100 ms of some 600 ms. The validated spec
and the compiled rulesets are pure data, so they are kept in the user's cache directory
(``$PORE_PROTOCOL_CACHE_DIR``, else ``$XDG_CACHE_HOME/pore-protocol``, else
``~/.cache/pore-protocol``), one file per protocol, named by the sha256 of the rules folder's
content, the engine version, a digest of the engine's own source files and the versions of
Python and pydantic that wrote it.

The cache can never change an answer:

* the key is the content hash of the rule files, worked out from their bytes each time
  (:func:`engine._folder.folder_sha256`), so an edited folder is a different key and an
  entry is never stale; the spec read back must carry the same hash and engine version;
* the key also covers the engine's own code (:func:`code_digest`, a hash of the bytes of the
  core modules, ``engine/*.py``, about 0.6 ms), so a developer who changes the validator or
  the compiler without bumping the version gets a fresh entry, not one the old code wrote.
  Writing an entry removes those an older build of the engine wrote for the same rules, so
  that editing the engine does not fill the cache;
* anything wrong with an entry (missing, truncated, corrupt, from another version, not a
  spec) is a miss: the folder is validated and compiled as without a cache, and the entry
  written again. Deleting the directory at any time is safe;
* entries are written to a temporary file and renamed, so a reader never sees half of one;
* an entry is a pickle, which runs code when read, so it is read only from a directory and
  file owned by the user and writable by nobody else (the directory is made with mode 0700);
  an invalid folder is never cached (it raises as usual);
* ``PORE_PROTOCOL_CACHE=0`` turns the cache off.

The matcher's rulesets are created afresh in each process from the compiled definitions,
exactly as :func:`engine.load_protocol` does; every rule outcome is still decided by it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import glob
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from engine._compile import CompiledProtocol, compile_protocol
from engine._folder import folder_sha256
from engine._protocol import Protocol, shipped_rules_path
from engine._spec import ProtocolSpec
from engine._version import __version__

__all__ = ["CACHE_DIR_ENV", "CACHE_ENV", "cache_dir", "code_digest", "load_protocol_cached"]

CACHE_ENV = "PORE_PROTOCOL_CACHE"
"""Set to 0 to load every protocol from its YAML."""
CACHE_DIR_ENV = "PORE_PROTOCOL_CACHE_DIR"
"""Where the cache lives, when not in the user's cache directory."""
_MAGIC = b"pore-protocol compiled protocol\n"


def cache_dir() -> Path:
    """The directory holding compiled protocols (it may not exist yet)."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pore-protocol"


def code_digest(folder: Path | None = None) -> str:
    """A short hash of the engine's core modules (``engine/*.py``, names and bytes): part of each entry's key.

    What validates and compiles a protocol lives there (the wings, ``engine/cli`` and the
    like, never do), so any edit to it, even without a new version number, is a new key.
    Reading the files costs about 0.6 ms; their sizes and times would cost less but
    can repeat for different content (a copy that keeps times, a reproducible build).
    ``folder`` is for tests; the engine's own digest is worked out once per process.
    """
    if folder is None:
        return _own_digest()
    digest = hashlib.sha256()
    for name in sorted(name for name in os.listdir(folder) if name.endswith(".py")):
        with open(os.path.join(folder, name), "rb", buffering=0) as stream:  # plain reads: half pathlib's cost
            data = stream.readall()
        digest.update(b"%s\0%d\0" % (os.fsencode(name), len(data)))
        digest.update(data)
    return digest.hexdigest()[:16]


@functools.cache
def _own_digest() -> str:
    return code_digest(Path(__file__).resolve().parent)


def _entry_name(sha256: str, code: str | None = None) -> str:
    """The entry's file name; ``code="*"`` makes the pattern of every build's entry for the same rules."""
    import pydantic

    python = f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}"
    return f"{sha256}-{__version__}-{code or code_digest()}-{python}-pydantic{pydantic.VERSION}.pickle"


def load_protocol_cached(path: str | Path | None = None) -> Protocol:
    """:func:`engine.load_protocol`, reading the validated, compiled protocol from the cache when it has it.

    :raises RulesError: the folder is invalid (never cached, so this is reported every time).
    """
    with _collector_paused():
        return _load_cached(path)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a protocol is built, then put it back as it was.

    Reading an entry makes some 20,000 objects that all live as long as the protocol, and
    no garbage: the collector's passes over them cost about 2% of a cold ``pore-protocol
    evaluate`` and find nothing.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _load_cached(path: str | Path | None) -> Protocol:
    root = Path(path) if path is not None else shipped_rules_path()
    if os.environ.get(CACHE_ENV, "1") in ("0", ""):
        return _load(root, None)
    sha256 = folder_sha256(root) if root.is_dir() else None
    if sha256 is None:
        return _load(root, None)  # the folder cannot be read: validating it says why
    entry = cache_dir() / _entry_name(sha256)
    found = _read(entry, sha256)
    if found is not None:
        spec, compiled = found
        object.__setattr__(spec, "root", root)  # the same content may live in another folder
        return Protocol(spec, compiled)
    return _load(root, entry)


def _load(root: Path, entry: Path | None) -> Protocol:
    from engine._validate import validate_folder  # only on a miss: a hit never reads the YAML

    spec = validate_folder(root)
    compiled = compile_protocol(spec)
    if entry is not None:
        _write(entry, spec, compiled)
    return Protocol(spec, compiled)


def _private(path: Path) -> bool:
    """Whether ``path`` is owned by this user and writable by nobody else (so its content is the user's own)."""
    try:
        info = path.stat()
    except OSError:
        return False
    owner = os.getuid() if hasattr(os, "getuid") else info.st_uid
    return info.st_uid == owner and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(entry: Path, sha256: str) -> tuple[ProtocolSpec, CompiledProtocol] | None:
    if not entry.is_file() or not _private(entry.parent) or not _private(entry):
        return None
    try:
        data = entry.read_bytes()
        if not data.startswith(_MAGIC):
            return None
        version, code, spec, compiled = pickle.loads(data[len(_MAGIC) :])
    except Exception:  # a corrupt or foreign entry is a miss, whatever it raises
        return None
    if (
        version != __version__
        or code != code_digest()
        or not isinstance(spec, ProtocolSpec)
        or not isinstance(compiled, CompiledProtocol)
        or spec.sha256 != sha256
    ):
        return None
    return spec, compiled


def _write(entry: Path, spec: ProtocolSpec, compiled: CompiledProtocol) -> None:
    """Store a protocol; any failure (a read-only home, a full disk) only means no cache next time."""
    with contextlib.suppress(Exception):
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(entry.parent):
            return
        data = _MAGIC + pickle.dumps((__version__, code_digest(), spec, compiled), protocol=pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, entry)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _prune(entry, spec.sha256)


def _prune(entry: Path, sha256: str) -> None:
    """Remove the entries for the same rules that another build of the engine wrote (same version, other code)."""
    for other in entry.parent.glob(glob.escape(_entry_name(sha256, "*")).replace("[*]", "*")):
        if other.name != entry.name:
            with contextlib.suppress(OSError):
                other.unlink()
