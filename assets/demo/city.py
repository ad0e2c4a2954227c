"""Generate the whole demo city in memory: streets and every asset, references as :class:`Ref`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Connection, text

from assets.demo.density import CommuneShape, Density, dijon_centre, urban_centres
from assets.demo.equipment import build_buildings, build_cameras, build_sensors, build_vehicles
from assets.demo.fibre import Terminal, build_fibre
from assets.demo.lighting import build_lighting
from assets.demo.spatial import Ref, rng_for
from assets.demo.streets import StreetNetwork, build_streets
from assets.demo.traffic import build_traffic
from assets.errors import CityPilotError

DEFAULT_SEED = 21
# insertion order: what a record references is inserted before it
KIND_ORDER = (
    "energy_meter", "fibre_node", "fibre_segment", "cabinet", "circuit", "pole", "luminaire",
    "signal_controller", "signal_head", "camera", "vehicle", "sensor", "building",
)
MODBUS_HOST = "127.0.0.1"
MODBUS_PORTS = tuple(range(15020, 15030))  # the simulated Modbus gateways


@dataclass
class DemoCity:
    """The generated city: its street network and its asset records per kind."""

    seed: int
    streets: StreetNetwork
    assets: dict[str, list[dict]]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.assets[kind]) for kind in KIND_ORDER}

    def fingerprint(self, every: int = 97) -> str:
        """A hash of a sample of codes, coordinates and references (same seed, same fingerprint)."""
        digest = hashlib.sha256()
        for kind in KIND_ORDER:
            for record in self.assets[kind][::every]:
                geom = record.get("geom")
                coords = "" if geom is None else np.round(shapely.get_coordinates(geom), 2).tobytes().hex()
                parent = record.get("parent_id")
                digest.update(f"{kind}|{record['code']}|{coords}|{parent}\n".encode())
        for name in self.streets.names[::every]:
            digest.update(name.encode())
        return digest.hexdigest()


def communes_from_db(conn: Connection) -> list[CommuneShape]:
    """Today's communes, in Lambert-93, ordered by INSEE code."""
    rows = conn.execute(
        text("SELECT insee, name, ST_AsBinary(geom) FROM communes WHERE valid_to IS NULL ORDER BY insee")
    )
    return [CommuneShape(insee, name, shapely.from_wkb(bytes(wkb))) for insee, name, wkb in rows]


def generate_city(communes: list[CommuneShape], seed: int = DEFAULT_SEED) -> DemoCity:
    """The whole city for ``communes``; the same seed always gives the same city."""
    if not communes:
        raise CityPilotError("no communes: migrate the database first (`citypilot db upgrade`)")
    centres = urban_centres(communes)
    density = Density(centres)
    net = build_streets(communes, density, rng_for(seed, "streets"), rng_for(seed, "street-names"))
    lighting = build_lighting(net, communes, density, rng_for(seed, "lighting"))
    traffic = build_traffic(net, density, rng_for(seed, "traffic"))
    cameras, camera_xy = build_cameras(net, density, rng_for(seed, "cameras"))
    sensors = build_sensors(lighting.pole_xy, density, rng_for(seed, "sensors"))
    vehicles = build_vehicles(centres, net, rng_for(seed, "vehicles"))
    buildings, building_meters = build_buildings(communes, centres, net, density, rng_for(seed, "buildings"))

    cabinet_meters = lighting.records["cabinet_meter"]
    meters = cabinet_meters + building_meters
    for i, meter in enumerate(meters):
        meter["modbus_host"] = MODBUS_HOST
        meter["modbus_port"] = MODBUS_PORTS[i % len(MODBUS_PORTS)]
        meter["unit_id"] = i // len(MODBUS_PORTS) + 1
    for i, building in enumerate(buildings):
        building["energy_meter_id"] = Ref("energy_meter", len(cabinet_meters) + i)

    records: dict[str, list[dict]] = {
        **{k: v for k, v in lighting.records.items() if k != "cabinet_meter"},
        **traffic.records,
        "camera": cameras, "vehicle": vehicles, "sensor": sensors, "building": buildings, "energy_meter": meters,
    }
    fibre = _fibre(net, records, traffic.node, camera_xy, lighting.cabinet_xy, seed)
    records.update(fibre.records)
    for (kind, index), switch in fibre.switch_of.items():
        records[kind][index]["fibre_node_id"] = Ref("fibre_node", switch)
    return DemoCity(seed=seed, streets=net, assets={kind: records[kind] for kind in KIND_ORDER})


def _fibre(net, records, controller_nodes, camera_xy, cabinet_xy, seed):
    rng = rng_for(seed, "fibre")
    required = [
        Terminal("signal_controller", i, r["code"], tuple(r["geom"].coords[0]), int(controller_nodes[i]))
        for i, r in enumerate(records["signal_controller"])
    ] + [Terminal("camera", i, r["code"], tuple(camera_xy[i])) for i, r in enumerate(records["camera"])]
    buildings = records["building"]
    town_halls = [i for i, b in enumerate(buildings) if b["building_use"] == "town_hall"]
    others = [i for i, b in enumerate(buildings) if b["building_use"] != "town_hall"]
    candidates = [("building", i, rng.random() * 0.5) for i in others]
    candidates += [("cabinet", i, rng.random()) for i in range(len(records["cabinet"]))]
    candidates.sort(key=lambda c: c[2])
    optional = [("building", i) for i in town_halls] + [(k, i) for k, i, _ in candidates]

    def terminal(kind: str, i: int) -> Terminal:
        r = records[kind][i]
        xy = tuple(cabinet_xy[i]) if kind == "cabinet" else tuple(r["geom"].representative_point().coords[0])
        return Terminal(kind, i, r["code"], xy)

    return build_fibre(net, dijon_centre(), required, [terminal(k, i) for k, i in optional], rng)
