"""Dimming profiles: what a luminaire's ``dimming_profile`` names (``dim50_23h_5h``: 50 % from 23:00 to
05:00 local time; ``dim50_midnight``; ``presence_detection``). The lamp simulators run them; the
contract's modelled energy (``fieldservice.contract``) averages them over the burning hours."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DimmingProfile:
    """``level`` % between ``start_h`` and ``end_h`` local time (may wrap midnight); ``presence``:
    detectors bring the lamp back to 100 % for a while."""

    level: int
    start_h: float
    end_h: float
    presence: bool = False

    def dimmed_at(self, hour: float) -> bool:
        if self.start_h <= self.end_h:
            return self.start_h <= hour < self.end_h
        return hour >= self.start_h or hour < self.end_h


DEFAULT_PROFILE = DimmingProfile(50, 23, 5)


_WINDOW = re.compile(r"^dim(\d{1,3})_(\d{1,2})h_(\d{1,2})h$")
_MIDNIGHT = re.compile(r"^dim(\d{1,3})_midnight$")


def parse_profile(name: str | None) -> DimmingProfile | None:
    """The dimming profile a luminaire's ``dimming_profile`` names (``dim50_23h_5h``, ``dim50_midnight``,
    ``presence_detection``); None when it has none; 50 % from 23:00 to 05:00 for unknown names."""
    if not name:
        return None
    if match := _WINDOW.match(name):
        return DimmingProfile(min(int(match[1]), 100), int(match[2]) % 24, int(match[3]) % 24)
    if match := _MIDNIGHT.match(name):
        return DimmingProfile(min(int(match[1]), 100), 0, 6)
    if name == "presence_detection":
        return DimmingProfile(30, 22, 6, presence=True)
    return DEFAULT_PROFILE
