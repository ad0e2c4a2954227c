"""Broker accounts of the simulated devices: one per vehicle tracker (username = tracker id, limited
by the broker's ACL to its own topics) and one per LoRaWAN network server (``chirpstack``, ``tts``).

Generated passwords are kept in ``$CITYPILOT_HOME/device-accounts.json`` (mode 0600) so the
simulator, and real devices being set up, can find them; ``provision`` creates the accounts on the
private broker in one reload.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from connectors.simulators.fleet_model import Fleet, SimulationError
from connectors.simulators.uplinks import NETWORK_SERVERS

ACCOUNTS_FILE = "device-accounts.json"


def accounts_path(home: Path) -> Path:
    return Path(home) / ACCOUNTS_FILE


def load_accounts(path: Path) -> dict[str, str]:
    """The saved ``{username: password}``; ``{}`` when there is no file yet."""
    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SimulationError(f"cannot read the device accounts in {path}: {exc}") from None
    accounts = data.get("accounts", data) if isinstance(data, dict) else None
    if not isinstance(accounts, dict) or not all(isinstance(v, str) for v in accounts.values()):
        raise SimulationError(f"{path}: expected {{\"accounts\": {{username: password}}}}")
    return dict(accounts)


def save_accounts(path: Path, accounts: dict[str, str]) -> None:
    """Write atomically, readable by the owner only (it holds passwords)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"accounts": dict(sorted(accounts.items()))}, out, indent=1)
        out.write("\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def device_usernames(fleet: Fleet) -> list[str]:
    """The accounts the simulated city needs: the network servers, every tracker, then every signal
    controller and camera (they talk CityPilot's own contract under their asset code)."""
    return [*NETWORK_SERVERS, *(v.tracker_id for v in fleet.vehicles), *(e.code for e in fleet.equipment)]


class AccountBroker(Protocol):
    """What provisioning needs of a broker: app.servers.broker.PrivateBroker has it."""

    def add_clients(self, passwords: Mapping[str, str]) -> None: ...


@dataclass(frozen=True)
class ProvisionResult:
    created: int
    kept: int
    path: Path


def provision(
    broker: AccountBroker, usernames: Iterable[str], path: Path, *, rotate: bool = False
) -> ProvisionResult:
    """Create (or refresh) the accounts on the private broker, reusing saved passwords unless ``rotate``;
    saves the passwords to ``path`` first, so a broker failure never loses them."""
    saved = load_accounts(path)
    accounts: dict[str, str] = {}
    created = kept = 0
    for name in dict.fromkeys(usernames):
        if name in saved and not rotate:
            accounts[name] = saved[name]
            kept += 1
        else:
            accounts[name] = secrets.token_urlsafe(18)
            created += 1
    save_accounts(path, {**saved, **accounts})
    broker.add_clients(accounts)
    return ProvisionResult(created, kept, Path(path))
