"""The engine's own version, recorded in every plan next to the protocol's."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
