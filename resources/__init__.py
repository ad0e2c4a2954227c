"""Data files shipped with CityPilot: migrations, reference data, styles, translations, demo data."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """Absolute path of a shipped resource file."""
    return ROOT.joinpath(*parts)
