"""What a cabinet feeds, and what a fibre failure cuts off in a meshed network."""

from __future__ import annotations

import pytest

from assets.db import unit_of_work
from assets.store import create_asset, retire_asset
from assets.topology import feeds
from tests.assets.helpers import MINIMAL, line, near


@pytest.fixture
def lighting(engine, planner_id) -> dict[str, int]:
    """A cabinet with two circuits, three poles, four luminaires (one pole carries two)."""
    ids: dict[str, int] = {}
    with unit_of_work(engine, planner_id) as s:
        def add(kind: str, code: str, parent: str | None = None, dx: float = 0.0) -> None:
            values = {"code": code, "geom": near(dx), **MINIMAL[kind]}
            if kind == "circuit":
                values.pop("geom")
            if parent:
                values["parent_id"] = ids[parent]
            ids[code] = create_asset(s, kind, values).id

        add("cabinet", "AR-1")
        add("circuit", "AR-1-1", "AR-1")
        add("circuit", "AR-1-2", "AR-1")
        add("pole", "SUP-1", "AR-1-1", 30)
        add("pole", "SUP-2", "AR-1-1", 60)
        add("pole", "SUP-3", "AR-1-2", -30)
        add("luminaire", "L-1", "SUP-1", 30)
        add("luminaire", "L-2", "SUP-2", 60)
        add("luminaire", "L-2b", "SUP-2", 60)
        add("luminaire", "L-3", "SUP-3", -30)
    return ids


def test_cabinet_feeds_everything_below(engine, lighting) -> None:
    with unit_of_work(engine, None) as s:
        fed = feeds(s, lighting["AR-1"])
    assert sorted(a.code for a in fed) == sorted(
        ["AR-1-1", "AR-1-2", "SUP-1", "SUP-2", "SUP-3", "L-1", "L-2", "L-2b", "L-3"]
    )
    assert {a.code: a.depth for a in fed}["L-2b"] == 3


def test_circuit_feeds_its_branch_only_and_removed_assets_are_left_out(engine, planner_id, lighting) -> None:
    with unit_of_work(engine, planner_id) as s:
        retire_asset(s, lighting["L-2b"])
    with unit_of_work(engine, None) as s:
        fed = feeds(s, lighting["AR-1-1"])
    assert sorted(a.code for a in fed) == ["L-1", "L-2", "SUP-1", "SUP-2"]


@pytest.fixture
def fibre(engine, planner_id) -> dict[str, int]:
    r"""PoP P — A, ring A-B-C-A, branch C — D; equipment: controller on B, camera on D, cabinet on A.

        P ── A ── B
             │  ╱
             C ── D
    """
    ids: dict[str, int] = {}
    spots = {"P": (0, 0), "A": (100, 0), "B": (200, 0), "C": (100, -100), "D": (200, -100)}
    with unit_of_work(engine, planner_id) as s:
        for name, (dx, dy) in spots.items():
            node_type = "pop" if name == "P" else "chamber"
            ids[name] = create_asset(
                s, "fibre_node", {"code": f"N-{name}", "node_type": node_type, "geom": near(dx, dy)}
            ).id
        for a, b in ("PA", "AB", "BC", "CA", "CD"):
            ids[a + b] = create_asset(
                s, "fibre_segment",
                {"code": f"S-{a}{b}", "from_node_id": ids[a], "to_node_id": ids[b],
                 "geom": line(near(*spots[a]), near(*spots[b])), "fibre_count": 24},
            ).id
        ids["ctrl"] = create_asset(
            s, "signal_controller", {"code": "CTRL-B", "fibre_node_id": ids["B"], "geom": near(205, 5),
                                     **MINIMAL["signal_controller"]}).id
        ids["cam"] = create_asset(
            s, "camera", {"code": "CAM-D", "fibre_node_id": ids["D"], "geom": near(205, -95), **MINIMAL["camera"]}
        ).id
        ids["cab"] = create_asset(
            s, "cabinet", {"code": "AR-A", "fibre_node_id": ids["A"], "geom": near(105, 5), **MINIMAL["cabinet"]}
        ).id
    return ids


def _cut(engine, asset_id: int) -> list[str]:
    with unit_of_work(engine, None) as s:
        return sorted(a.code for a in feeds(s, asset_id))


def test_segment_on_a_ring_cuts_nothing(engine, fibre) -> None:
    assert _cut(engine, fibre["AB"]) == []
    assert _cut(engine, fibre["CA"]) == []


def test_segment_on_a_branch_cuts_what_hangs_below(engine, fibre) -> None:
    assert _cut(engine, fibre["CD"]) == ["CAM-D", "N-D"]


def test_node_failure_cuts_only_what_has_no_other_path(engine, fibre) -> None:
    assert _cut(engine, fibre["C"]) == ["CAM-D", "N-D"]  # B still reaches P through A
    assert _cut(engine, fibre["B"]) == ["CTRL-B"]  # its own equipment, nothing else
    assert _cut(engine, fibre["A"]) == ["AR-A", "CAM-D", "CTRL-B", "N-B", "N-C", "N-D"]


def test_a_second_pop_keeps_the_network_alive(engine, planner_id, fibre) -> None:
    with unit_of_work(engine, planner_id) as s:
        q = create_asset(s, "fibre_node", {"code": "N-Q", "node_type": "pop", "geom": near(300, -100)}).id
        create_asset(s, "fibre_segment", {"code": "S-QD", "from_node_id": q, "to_node_id": fibre["D"],
                                          "geom": line(near(300, -100), near(200, -100))})
    assert _cut(engine, fibre["A"]) == ["AR-A"]
    assert _cut(engine, fibre["CD"]) == []


def test_retired_segment_no_longer_carries(engine, planner_id, fibre) -> None:
    with unit_of_work(engine, planner_id) as s:
        retire_asset(s, fibre["CA"])
    assert _cut(engine, fibre["AB"]) == ["CAM-D", "CTRL-B", "N-B", "N-C", "N-D"]
