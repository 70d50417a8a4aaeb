"""The files of a rules folder, read without parsing them: what the content hash covers.

Kept apart from validation so that the compiled-protocol cache (``engine._cache``) can work
out a folder's hash, its key, without importing the validator.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine._issues import IssueCollector
from engine._load import YamlProblem, content_sha256, read_capped

__all__ = ["folder_sha256", "raw_files"]


def folder_sha256(root: Path) -> str | None:
    """The sha256 a valid folder's protocol would have (``ProtocolSpec.sha256``), without loading any YAML.

    ``None`` when a file cannot be read or is refused (validating the folder reports why).
    For the compiled-protocol cache, which is keyed by it.
    """
    issues = IssueCollector()
    raw = raw_files(Path(root), issues)
    return None if issues.issues else content_sha256(raw)


def raw_files(root: Path, issues: IssueCollector) -> list[tuple[str, bytes]]:
    """The name and bytes of every YAML file of the folder, in name order (what the validator reads).

    A rules folder is self-contained: a file or folder that is a symbolic link leading
    outside it is refused (a link inside it is followed), and so is a file name that is not
    valid text. Each file is read once, and never beyond the size limit.
    """
    raw: list[tuple[str, bytes]] = []
    real_root = root.resolve()
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if not _printable_name(name):
            issues.add(
                "bad-name",
                None,
                (),
                f"a file name in the rules folder is not valid text: {name.encode('utf-8', 'surrogateescape')!r}",
                "rename or remove it",
            )
            continue
        if path.is_symlink() and not path.resolve().is_relative_to(real_root):
            issues.add(
                "bad-shape",
                None,
                (),
                f"{name} is a link to {os.readlink(path)}, outside the rules folder",
                "a rules folder is self-contained: copy the file in, or remove the link",
            )
            continue
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        try:
            data = read_capped(path)
        except YamlProblem as problem:
            issues.yaml(name, problem)
            continue
        raw.append((name, data))
    return raw


def _printable_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return name.isprintable()
