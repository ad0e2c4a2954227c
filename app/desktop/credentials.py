"""Where the desktop keeps who signed in: one JSON file readable by the user only (0600).

``$CITYPILOT_DESKTOP_CONFIG`` names the file; else ``$XDG_CONFIG_HOME/citypilot/desktop.json``
(``~/.config/citypilot/desktop.json``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from app.desktop.api import Credentials


def config_file() -> Path:
    named = os.environ.get("CITYPILOT_DESKTOP_CONFIG")
    if named:
        return Path(named)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "citypilot" / "desktop.json"


def save(creds: Credentials, path: Path | None = None) -> Path:
    """Write ``creds``, created 0600 (never readable by others, not even for a moment)."""
    path = path or config_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(asdict(creds), out)
    os.chmod(path, 0o600)
    return path


def load(path: Path | None = None) -> Credentials | None:
    """The saved credentials, or None (no file, unreadable, or not ours)."""
    path = path or config_file()
    try:
        data = json.loads(path.read_text())
        return Credentials(**{k: str(v) for k, v in data.items() if k in Credentials.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def forget(path: Path | None = None) -> None:
    (path or config_file()).unlink(missing_ok=True)
