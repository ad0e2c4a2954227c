"""Sunrise and sunset at Dijon, and local (Europe/Paris) time: what the lamp schedules run on.

A simple astronomical approximation (declination and equation of time from the day of the year,
the sun's centre 0.833° below the horizon): within a few minutes of the ephemeris, plenty for a
lighting schedule.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DIJON_LAT, DIJON_LON = 47.3220, 5.0415
_HORIZON = math.radians(-0.833)


@lru_cache(maxsize=64)
def sun_times(day: dt.date, lat: float = DIJON_LAT, lon: float = DIJON_LON) -> tuple[float, float]:
    """Sunrise and sunset of the UTC ``day`` as POSIX timestamps."""
    n = day.timetuple().tm_yday
    b = math.radians(360 / 365 * (n - 81))
    declination = math.radians(23.44) * math.sin(b)
    equation_of_time_min = 9.87 * math.sin(2 * b) - 7.53 * math.cos(b) - 1.5 * math.sin(b)
    noon_h = 12 - lon / 15 - equation_of_time_min / 60
    phi = math.radians(lat)
    cos_h = (math.sin(_HORIZON) - math.sin(phi) * math.sin(declination)) / (math.cos(phi) * math.cos(declination))
    half_day_h = math.degrees(math.acos(max(-1.0, min(1.0, cos_h)))) / 15
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
    return midnight + (noon_h - half_day_h) * 3600, midnight + (noon_h + half_day_h) * 3600


def is_night(t: float) -> bool:
    """Whether the sun is down at Dijon at POSIX time ``t`` (between sunset and sunrise)."""
    sunrise, sunset = sun_times(dt.datetime.fromtimestamp(t, dt.UTC).date())
    return t < sunrise or t >= sunset


def local_time(t: float) -> dt.datetime:
    """POSIX time ``t`` in Europe/Paris."""
    return dt.datetime.fromtimestamp(t, PARIS)


def local_hour(t: float) -> float:
    """The Europe/Paris wall-clock hour of ``t`` as a fraction (23.5 = 23:30)."""
    local = local_time(t)
    return local.hour + local.minute / 60 + local.second / 3600
