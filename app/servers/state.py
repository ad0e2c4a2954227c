"""The private servers' state file (``$CITYPILOT_HOME/servers.json``, mode 0600): ports, passwords,
real folders and URLs, so that the next ``up`` reuses them and every command finds the servers."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE_NAME = "servers.json"


def state_file(home: Path) -> Path:
    return home / STATE_NAME


def read_state(home: Path) -> dict[str, dict[str, Any]]:
    """The saved state, ``{}`` when there is none (or it is unreadable)."""
    try:
        data = json.loads(state_file(home).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(home: Path, state: dict[str, dict[str, Any]]) -> None:
    """Save atomically, readable by the owner only (it holds passwords)."""
    home.mkdir(parents=True, exist_ok=True)
    path = state_file(home)
    tmp = path.with_name(STATE_NAME + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(state, out, indent=2, sort_keys=True)
        out.write("\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
