"""Small vectorised helpers shared by the demo generators."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Ref:
    """A reference to another generated asset (kind and index), resolved to an id at load time."""

    kind: str
    index: int


def rng_for(seed: int, step: str) -> np.random.Generator:
    """An independent random stream per generation step, so steps do not disturb each other."""
    return np.random.default_rng([seed, zlib.crc32(step.encode())])


def hilbert_index(x: np.ndarray, y: np.ndarray, order: int = 16) -> np.ndarray:
    """Position of each point along a Hilbert curve over their bounding box (keeps neighbours close)."""
    n = 1 << order
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    xi = np.minimum(((x - x.min()) / span * (n - 1)).astype(np.int64), n - 1)
    yi = np.minimum(((y - y.min()) / span * (n - 1)).astype(np.int64), n - 1)
    d = np.zeros(len(xi), dtype=np.int64)
    s = n >> 1
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        flip = ~ry
        swap_x = np.where(flip & rx, s - 1 - xi, xi)
        swap_y = np.where(flip & rx, s - 1 - yi, yi)
        xi, yi = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        s >>= 1
    return d


def spread_pick(
    xy: np.ndarray, weight: np.ndarray, count: int, min_dist: float, rng: np.random.Generator
) -> np.ndarray:
    """``count`` indices drawn with probability ∝ ``weight``, no two closer than ``min_dist``."""
    keys = np.log(np.maximum(weight, 1e-300)) + rng.gumbel(size=len(weight))
    order = np.argsort(-keys, kind="stable")
    chosen: list[int] = []
    tree_points: list[np.ndarray] = []
    taken = np.zeros((0, 2))
    for i in order:
        if taken.shape[0] and np.min(np.hypot(*(taken - xy[i]).T)) < min_dist:
            continue
        chosen.append(int(i))
        tree_points.append(xy[i])
        taken = np.asarray(tree_points)
        if len(chosen) == count:
            break
    if len(chosen) < count:
        raise ValueError(f"only {len(chosen)} places found for {count} (min distance {min_dist:g} m)")
    return np.asarray(chosen)


def random_dates(rng: np.random.Generator, start: str, end: str, n: int) -> list[dt.date]:
    """``n`` dates uniformly between ``start`` and ``end`` (ISO dates, inclusive)."""
    first = dt.date.fromisoformat(start)
    days = (dt.date.fromisoformat(end) - first).days
    offsets = rng.integers(0, days + 1, n)
    return [first + dt.timedelta(days=int(o)) for o in offsets]


def points(xy: np.ndarray) -> list:
    """Shapely points for an (N, 2) array, as a list (records hold one geometry each)."""
    return list(shapely.points(xy))


def unique_hex(rng: np.random.Generator, prefix: str, n: int, width: int = 16) -> list[str]:
    """``n`` distinct upper-case hex identifiers of ``width`` characters starting with ``prefix``."""
    free = width - len(prefix)
    values: list[str] = []
    seen: set[str] = set()
    while len(values) < n:
        for v in rng.integers(0, 16**free if free < 16 else 2**63 - 1, n - len(values) + 8, dtype=np.int64):
            text = f"{prefix}{int(v):0{free}X}"[:width]
            if text not in seen:
                seen.add(text)
                values.append(text)
                if len(values) == n:
                    break
    return values
