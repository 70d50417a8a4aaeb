"""Expected plans of the example clients in examples/, kept as readable golden files.

Each ``examples/<name>.yaml`` has ``examples/expected/<name>.txt`` (what ``pore-protocol
evaluate --format text`` prints) and ``examples/expected/<name>.json`` (``--format json``).
``tests/test_examples.py`` compares them byte for byte. After a deliberate change to the rules
(the plans carry the rules' sha256, so any edit to rules/ changes them), regenerate with::

    python -m tests.golden

and review the diff of examples/expected/ before committing it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXPECTED = EXAMPLES / "expected"
REGENERATE = "python -m tests.golden"

__all__ = ["EXAMPLES", "EXPECTED", "REGENERATE", "examples", "render", "write_all"]


def examples() -> list[Path]:
    """Every example client, by file name."""
    return sorted(EXAMPLES.glob("*.yaml"))


def render(protocol: engine.Protocol, example: Path) -> dict[str, str]:
    """The text and JSON plans of ``example``, exactly as the command line prints them."""
    plan = protocol.evaluate_document(example.read_bytes(), str(example.relative_to(ROOT)))
    return {"txt": engine.render_text(plan), "json": plan.model_dump_json(indent=2) + "\n"}


def write_all(protocol: engine.Protocol) -> list[Path]:
    """Rewrite every golden file (and remove those whose example is gone); returns the files written."""
    EXPECTED.mkdir(exist_ok=True)
    written = []
    names = set()
    for example in examples():
        names.add(example.stem)
        for suffix, text in render(protocol, example).items():
            target = EXPECTED / f"{example.stem}.{suffix}"
            target.write_bytes(text.encode("utf-8"))
            written.append(target)
    for stale in EXPECTED.glob("*.*"):
        if stale.suffix in (".txt", ".json") and stale.stem not in names:
            stale.unlink()
    return written


def main() -> int:
    protocol = engine.load_protocol(ROOT / "rules")
    try:
        for path in write_all(protocol):
            print(path.relative_to(ROOT))
    finally:
        protocol.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
