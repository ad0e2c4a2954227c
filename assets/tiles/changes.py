"""Inventory changes read from the audit trail, so moved or edited assets leave the cached tiles."""


from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from gis.tiles import Bounds

log = logging.getLogger(__name__)

NEWEST_CHANGE = "SELECT coalesce(max(id), 0) FROM asset_history"

# -- inventory changes --------------------------------------------------------------------------

_CHANGES = """
SELECT h.id, k.layer,
       ST_XMin(b.g), ST_YMin(b.g), ST_XMax(b.g), ST_YMax(b.g),
       ST_XMin(a.g), ST_YMin(a.g), ST_XMax(a.g), ST_YMax(a.g)
  FROM asset_history AS h
  LEFT JOIN tile_kinds AS k
         ON k.kind = h.kind AND (h.action <> 'update' OR h.changed && ARRAY['geom', 'code', 'status'])
 CROSS JOIN LATERAL (SELECT CASE WHEN k.layer IS NOT NULL THEN
       ST_Transform(ST_Envelope(ST_GeomFromText(h.before ->> 'geom', 2154)), 3857) END AS g) AS b
 CROSS JOIN LATERAL (SELECT CASE WHEN k.layer IS NOT NULL THEN
       ST_Transform(ST_Envelope(ST_GeomFromText(h.after ->> 'geom', 2154)), 3857) END AS g) AS a
 WHERE h.id > %(after)s OR h.id = ANY(%(gaps)s)
 ORDER BY h.id
 LIMIT %(limit)s
"""


@dataclass
class Changes:
    """What changed in the inventory since the last look: (layer, Web Mercator box) of the old and new
    place of each changed asset, or everything."""

    boxes: list[tuple[str, Bounds]] = field(default_factory=list)
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.boxes)


class ChangeFeed:
    """Reads the audit trail forward. Ids are taken at insert time, not at commit, so an id below the
    newest one seen may still appear (a longer transaction): such gaps are asked again for a while."""

    GAP_TTL_S = 60.0

    def __init__(self, start_after: int, limit: int = 500) -> None:
        self.seen = start_after
        self.limit = limit
        self.gaps: dict[int, float] = {}
        self.lock = threading.Lock()

    def poll(self, raw: Any) -> Changes:
        with self.lock:
            top = raw.execute(NEWEST_CHANGE).fetchone()[0]
            if top < self.seen:  # the history was emptied (demo reset): start again
                self.seen, self.gaps = top, {}
                return Changes(everything=True)
            now = time.monotonic()
            self.gaps = {i: t for i, t in self.gaps.items() if now - t < self.GAP_TTL_S}
            if top == self.seen and not self.gaps:
                return Changes()
            rows = raw.execute(
                _CHANGES, {"after": self.seen, "gaps": list(self.gaps), "limit": self.limit + 1}
            ).fetchall()
            if len(rows) > self.limit:
                self.seen, self.gaps = top, {}
                return Changes(everything=True)
            changes = Changes()
            newest = self.seen
            for row in rows:
                self.gaps.pop(row[0], None)
                newest = max(newest, row[0])
                if row[1] is not None:
                    changes.boxes.extend((row[1], tuple(row[i:i + 4])) for i in (2, 6) if row[i] is not None)
            found = {row[0] for row in rows}
            missing = [i for i in range(self.seen + 1, newest) if i not in found]
            if len(missing) <= self.limit:  # more: ids of a rolled-back bulk write, not worth asking for
                self.gaps.update(dict.fromkeys(missing, now))
            self.seen = newest
            return changes
