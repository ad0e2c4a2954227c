"""Burning hours: lamps burn from sunset to the next sunrise at Dijon (``astral``: the sun's upper limb
on the horizon, refraction included), less the night cut a commune applies (a documented, editable
schedule: ``resources/contract/switching.json``)."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import sunrise, sunset

from assets.errors import FieldError, ValidationError

PARIS = ZoneInfo("Europe/Paris")
DIJON = Observer(latitude=47.3220, longitude=5.0415)  # place de la Libération


@dataclass(frozen=True)
class Cut:
    """Lamps off from ``start`` to ``end`` local time (may wrap midnight)."""

    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Night:
    """One night: lit from ``on`` to ``off``, ``cut_h`` of it switched off by the schedule."""

    on: dt.datetime
    off: dt.datetime
    cut_h: float

    @property
    def hours(self) -> float:
        return (self.off - self.on).total_seconds() / 3600 - self.cut_h


@dataclass(frozen=True)
class Schedule:
    """The night cut of each commune (INSEE code), the default for the others."""

    default: Cut | None
    communes: dict[str, Cut | None]
    source: str

    def cut_of(self, commune: str | None) -> Cut | None:
        return self.communes.get(commune, self.default) if commune else self.default


def _cut(value: Any, where: str) -> Cut | None:
    if value is None:
        return None
    try:
        start, end = (dt.time.fromisoformat(v) for v in value)
    except (TypeError, ValueError):
        raise ValidationError(FieldError(where, f"expected [\"HH:MM\", \"HH:MM\"] or null, got {value!r}")) from None
    return Cut(start, end)


def load_schedule(path: Path | None = None) -> Schedule:
    """The switching schedule (the project's own unless ``path``); ValidationError naming a bad entry."""
    if path is None:
        text = resources.files("resources").joinpath("contract/switching.json").read_text()
        source = "resources/contract/switching.json"
    else:
        text, source = path.read_text(), str(path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationError(FieldError("schedule", f"{source}: not JSON ({exc})")) from None
    communes = {str(code): _cut((entry or {}).get("cut"), f"communes.{code}.cut")
                for code, entry in (data.get("communes") or {}).items()}
    return Schedule(_cut((data.get("default") or {}).get("cut"), "default.cut"), communes, source)


def _overlap_h(a0: dt.datetime, a1: dt.datetime, b0: dt.datetime, b1: dt.datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds() / 3600)


@lru_cache(maxsize=2048)
def _sun(day: dt.date, latitude: float, longitude: float) -> tuple[dt.datetime, dt.datetime]:
    """Sunset of ``day`` and sunrise of the next day (local time)."""
    observer = Observer(latitude=latitude, longitude=longitude)
    return (sunset(observer, day, tzinfo=PARIS), sunrise(observer, day + dt.timedelta(days=1), tzinfo=PARIS))


def night(day: dt.date, cut: Cut | None = None, observer: Observer = DIJON) -> Night:
    """The night that starts on the evening of ``day``."""
    on, off = _sun(day, observer.latitude, observer.longitude)
    cut_h = _overlap_h(on, off, *nightly_window(day, cut.start, cut.end)) if cut is not None else 0.0
    return Night(on, off, cut_h)


def nightly_window(day: dt.date, start: dt.time, end: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """A window of local times (a night cut, a dimming period) in the night that starts on ``day``:
    one that starts before noon is after midnight, on the next calendar day; it may wrap midnight."""
    begin = dt.datetime.combine(day + dt.timedelta(days=start < dt.time(12)), start, PARIS)
    finish = dt.datetime.combine(begin.date(), end, PARIS)
    return begin, finish if finish > begin else finish + dt.timedelta(days=1)


def month_days(month: str) -> list[dt.date]:
    """The days of ``YYYY-MM``; ValidationError naming ``month`` otherwise."""
    try:
        year, number = (int(p) for p in month.split("-"))
        days = calendar.monthrange(year, number)[1]
    except (ValueError, calendar.IllegalMonthError):
        raise ValidationError(FieldError("month", f"{month!r}: expected YYYY-MM, e.g. 2026-11")) from None
    return [dt.date(year, number, d) for d in range(1, days + 1)]


def nights(month: str, cut: Cut | None = None, observer: Observer = DIJON) -> list[Night]:
    """The nights starting in ``month`` (the last one ends on the next month's first morning)."""
    return [night(day, cut, observer) for day in month_days(month)]


def burning_hours(month: str, cut: Cut | None = None, observer: Observer = DIJON) -> float:
    """Hours a lamp burns over the nights of ``month``."""
    return sum(n.hours for n in nights(month, cut, observer))
