"""Sensor thresholds (table ``alarm_thresholds``, defaults and their sources in migration 0006): read,
change, and judge a value against them with hysteresis."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.catalogue import SEVERITIES
from assets.errors import FieldError, NotFoundError, ValidationError
from assets.models.environment import Sensor

SENSOR_TYPES: tuple[str, ...] = Sensor.spec.choices["sensor_type"]


@dataclass(frozen=True)
class Threshold:
    """A limit on one metric of one sensor type (see :class:`assets.alarms.models.AlarmThreshold`)."""

    sensor_type: str
    metric: str
    above: float | None = None
    below: float | None = None
    hysteresis: float = 0.0
    window_s: int = 0
    severity: str = "warning"
    source: str | None = None

    def check(self) -> None:
        errors = []
        if self.sensor_type not in SENSOR_TYPES:
            errors.append(FieldError("sensor_type", f"{self.sensor_type!r} is not one of {', '.join(SENSOR_TYPES)}"))
        if not self.metric.strip():
            errors.append(FieldError("metric", "missing"))
        if self.above is None and self.below is None:
            errors.append(FieldError("above", "give --above, --below or both"))
        for name in ("above", "below", "hysteresis"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                errors.append(FieldError(name, "must be a finite number"))
        if self.above is not None and self.below is not None and self.below >= self.above:
            errors.append(FieldError("below", f"must be less than above ({self.above:g})"))
        if self.hysteresis < 0:
            errors.append(FieldError("hysteresis", "must be 0 or more"))
        if self.window_s < 0:
            errors.append(FieldError("window_s", "must be 0 (latest value) or more seconds"))
        if self.severity not in SEVERITIES:
            errors.append(FieldError("severity", f"{self.severity!r} is not one of {', '.join(SEVERITIES)}"))
        if errors:
            raise ValidationError(errors)

    def crossed(self, value: float) -> str | None:
        """``above`` / ``below`` when ``value`` is beyond the limit, else None."""
        if self.above is not None and value > self.above:
            return "above"
        if self.below is not None and value < self.below:
            return "below"
        return None

    def back_inside(self, value: float) -> bool:
        """Whether ``value`` is inside the limits by at least the hysteresis (the alarm may clear)."""
        if self.above is not None and value > self.above - self.hysteresis:
            return False
        return not (self.below is not None and value < self.below + self.hysteresis)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = "sensor_type, metric, above, below, hysteresis, window_s, severity, source"


def list_thresholds(session: Session, sensor_type: str | None = None) -> list[Threshold]:
    """Every threshold (of one sensor type), by sensor type and metric."""
    rows = session.execute(
        text(f"SELECT {_COLUMNS} FROM alarm_thresholds WHERE CAST(:t AS text) IS NULL OR sensor_type = :t "
             "ORDER BY sensor_type, metric"),
        {"t": sensor_type},
    )
    return [Threshold(*row) for row in rows]


def set_threshold(session: Session, threshold: Threshold) -> Threshold:
    """Create or replace a threshold (checked first: errors name the field)."""
    threshold.check()
    session.execute(
        text(
            f"""
            INSERT INTO alarm_thresholds ({_COLUMNS}, updated_at)
            VALUES (:sensor_type, :metric, :above, :below, :hysteresis, :window_s, :severity, :source, now())
            ON CONFLICT (sensor_type, metric) DO UPDATE SET
                above = excluded.above, below = excluded.below, hysteresis = excluded.hysteresis,
                window_s = excluded.window_s, severity = excluded.severity, source = excluded.source,
                updated_at = now()
            """
        ),
        threshold.as_dict(),
    )
    return threshold


def remove_threshold(session: Session, sensor_type: str, metric: str) -> None:
    deleted = session.execute(
        text("DELETE FROM alarm_thresholds WHERE sensor_type = :t AND metric = :m"), {"t": sensor_type, "m": metric}
    ).rowcount
    if not deleted:
        raise NotFoundError(f"no threshold on {metric!r} for {sensor_type} sensors (see `citypilot alarms thresholds`)")
