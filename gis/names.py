"""Matching names as people type them: case, accents, spaces and dashes do not matter."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case, no accents, spaces and dashes as underscores: ' Candélabre-Acier' -> 'candelabre_acier'."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("-", "_").replace(" ", "_")
