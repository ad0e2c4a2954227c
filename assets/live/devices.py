"""Which asset a device is: DevEUI, tracker id or asset code → asset id, cached, refreshed on a miss.

Identifiers are matched case-insensitively (ChirpStack writes DevEUIs in lower case, The Things Stack
and the inventory in upper case). An asset code is an identity only when no other kind uses it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from assets.errors import CityPilotError
from assets.kinds import all_specs, passive_kinds, spec_for

#: The columns a device is identified by; then the attributes its codec may depend on (``KindSpec.codec_by``).
_IDENTITY = ("id", "kind", "code", "dev_eui", "tracker_id", "model")


def _codec_fields() -> tuple[str, ...]:
    return tuple(sorted({name for spec in all_specs() for name in spec.codec_by}))


def _select(where: str) -> str:
    """The devices of the inventory (kinds with a transport, see ``KindSpec.transport``) matching ``where``."""
    columns = ", ".join((*_IDENTITY, *_codec_fields()))
    return (f"SELECT {columns} FROM assets WHERE status <> 'removed' AND kind <> ALL(:passive) AND {where}")


@dataclass(frozen=True, slots=True)
class Device:
    """An asset that talks: its id, kind, code and the codec of its binary payloads (if any)."""

    asset_id: int
    kind: str
    code: str
    codec: str | None = None


def _device(row: Mapping[str, Any]) -> Device:
    """The device of an inventory row; its codec as its kind says (:meth:`KindSpec.codec_of`)."""
    return Device(row["id"], row["kind"], row["code"], spec_for(row["kind"]).codec_of(row))


class DirectoryUnavailable(CityPilotError):
    """The inventory could not be asked (database down): not the message's fault, try again later."""


class DeviceDirectory:
    """A cache of device identities: loaded whole, looked up in memory; a miss asks the database
    (once per ``negative_ttl`` seconds per unknown id), and the whole cache is reloaded every
    ``reload_every`` seconds so that re-assigned DevEUIs follow; at most ``max_fetch_per_s`` misses
    a second go to the database (a flood of unknown ids must not slow the ingest down). Safe to share
    between threads."""

    def __init__(
        self, engine: Engine, *, negative_ttl: float = 60.0, reload_every: float = 600.0, max_fetch_per_s: int = 50
    ) -> None:
        self.engine = engine
        self.negative_ttl = negative_ttl
        self.reload_every = reload_every
        self.max_fetch_per_s = max_fetch_per_s
        self._window = (0.0, 0)  # (second, fetches in it)
        self._by_id: dict[str, Device] = {}
        self._misses: dict[str, float] = {}
        self._loaded_at = -1e18
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_id)

    def load(self) -> int:
        """(Re)load every device of the inventory; returns how many identities are known."""
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(text(_select("true")), {"passive": list(passive_kinds())}).mappings().all()
        except Exception as exc:
            raise DirectoryUnavailable(f"device directory load failed: {exc}") from exc
        index = self._index(rows)
        with self._lock:
            self._by_id = index
            self._misses.clear()
            self._loaded_at = time.monotonic()
        return len(index)

    @staticmethod
    def _index(rows: Iterable[Mapping[str, Any]]) -> dict[str, Device]:
        index: dict[str, Device] = {}
        codes: dict[str, Device | None] = {}
        for row in rows:
            device = _device(row)
            code, eui, tracker = row["code"], row["dev_eui"], row["tracker_id"]
            if eui:
                index[eui.upper()] = device
            if tracker:
                index[tracker.upper()] = device
            key = code.upper()
            codes[key] = None if key in codes else device  # ambiguous across kinds: not an identity
        for key, device in codes.items():
            if device is not None:
                index.setdefault(key, device)
        return index

    def lookup(self, device_id: str) -> Device | None:
        """The device called ``device_id`` (DevEUI, tracker id or code), or None when unknown."""
        key = device_id.upper()
        device = self._by_id.get(key)
        if device is not None:
            return device
        now = time.monotonic()
        if now - self._loaded_at > self.reload_every:
            self.load()
            return self._by_id.get(key)
        missed = self._misses.get(key)
        if missed is not None and now - missed < self.negative_ttl:
            return None
        second, count = self._window
        if now - second >= 1.0:
            second, count = now, 0
        if count >= self.max_fetch_per_s:
            return None
        self._window = (second, count + 1)
        return self._fetch(key, now)

    def _fetch(self, key: str, now: float) -> Device | None:
        where = "(upper(dev_eui) = :id OR upper(tracker_id) = :id OR upper(code) = :id)"
        try:
            with self.engine.connect() as conn:
                params = {"id": key, "passive": list(passive_kinds())}
                rows = conn.execute(text(_select(where)), params).mappings().all()
        except Exception as exc:  # the database is down: the caller retries later
            raise DirectoryUnavailable(f"device lookup failed: {exc}") from exc
        found = self._index(rows).get(key)
        with self._lock:
            if found is None:
                self._misses[key] = now
                if len(self._misses) > 100_000:  # a flood of garbage ids must not grow memory forever
                    self._misses.clear()
            else:
                self._by_id[key] = found
        return found
