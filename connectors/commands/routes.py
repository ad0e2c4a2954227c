"""Where each LoRaWAN device's downlinks go, learnt from its last uplink and kept in ``device_routes``.

A fleet mixes network servers: the uplink topic says which one carries a device and under which
application (``application/{app}/device/{eui}/event/up`` → ChirpStack; ``v3/{app}@{tenant}/devices/
{id}/up`` → The Things Stack). The worker hears every uplink (QoS 0), remembers the route per asset,
and writes only the changes; a restarted worker reads them back.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from assets.commands import arrays
from assets.live.devices import DeviceDirectory, DirectoryUnavailable
from connectors.commands.messages import Route, uplink_route


class RouteBook:
    """Routes by asset id; ``learn`` from a topic (any thread), ``flush`` the changes (worker thread)."""

    def __init__(self, devices: DeviceDirectory) -> None:
        self.devices = devices
        self._routes: dict[int, Route] = {}
        self._changed: dict[int, Route] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._routes)

    def load(self, engine: Engine) -> int:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT asset_id, network, application, device_id FROM device_routes")).all()
        with self._lock:
            self._routes.update({r[0]: Route(r[1], r[2], r[3]) for r in rows})
        return len(rows)

    def get(self, asset_id: int) -> Route | None:
        return self._routes.get(asset_id)

    def learn(self, topic: str) -> int | None:
        """Remember the route an uplink topic reveals; the asset id, or None (unknown device)."""
        route = uplink_route(topic)
        if route is None:
            return None
        try:
            device = self.devices.lookup(route.device_id)
        except DirectoryUnavailable:
            return None
        if device is None:
            return None
        with self._lock:
            if self._routes.get(device.asset_id) != route:
                self._routes[device.asset_id] = route
                self._changed[device.asset_id] = route
        return device.asset_id

    def asset_of(self, network: str, device_id: str) -> int | None:
        """The asset a network server's device id is (a DevEUI for ChirpStack, a device id for TTS)."""
        try:
            device = self.devices.lookup(device_id)
        except DirectoryUnavailable:
            return None
        return device.asset_id if device is not None else None

    def flush(self, session: Session) -> int:
        """Write the routes learnt since the last flush; how many."""
        with self._lock:
            changed, self._changed = self._changed, {}
        if not changed:
            return 0
        ids = sorted(changed)
        session.execute(
            text(
                """
                INSERT INTO device_routes (asset_id, network, application, device_id, seen_at)
                SELECT u.a, u.n, u.app, u.d, clock_timestamp()
                FROM unnest(CAST(:ids AS int8[]), CAST(:nets AS text[]), CAST(:apps AS text[]),
                            CAST(:devs AS text[])) AS u(a, n, app, d)
                JOIN assets ON assets.id = u.a
                ON CONFLICT (asset_id) DO UPDATE SET network = excluded.network, application = excluded.application,
                    device_id = excluded.device_id, seen_at = excluded.seen_at
                """
            ),
            {"ids": arrays.ints(ids), "nets": arrays.texts(changed[i].network for i in ids),
             "apps": arrays.texts(changed[i].application for i in ids),
             "devs": arrays.texts(changed[i].device_id for i in ids)},
        )
        return len(ids)
