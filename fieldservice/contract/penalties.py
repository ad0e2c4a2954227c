"""The editable penalty schedule of the intervention-delay clause (resources/contract/penalties.json):
per breach, fixed + per started hour late, capped, per clock and priority; below the month's on-time
target, a sum per missing percentage point."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from assets.errors import FieldError, ValidationError

DEFAULT = Path(__file__).resolve().parents[2] / "resources" / "contract" / "penalties.json"


@dataclass(frozen=True)
class Schedule:
    """The penalty schedule as loaded."""

    on_time_target: float
    shortfall_per_point: Decimal
    breach: dict[str, dict[str, dict[str, Any]]]

    def breach_penalty(self, clock: str, priority: str, late_min: float) -> Decimal | None:
        """One breach's penalty; None when the schedule sets none for this clock and priority."""
        rule = self.breach.get(clock, {}).get(priority)
        if rule is None:
            return None
        if late_min <= 0:
            return Decimal("0")
        amount = Decimal(str(rule["fixed"])) + Decimal(str(rule["per_started_hour"])) * math.ceil(late_min / 60)
        cap = rule.get("cap")
        return amount if cap is None else min(amount, Decimal(str(cap)))

    def shortfall_penalty(self, rate: float | None) -> Decimal:
        """The month's penalty for an on-time rate under the target (per started missing point)."""
        if rate is None or rate >= self.on_time_target:
            return Decimal("0")
        return self.shortfall_per_point * math.ceil(round((self.on_time_target - rate) * 100, 6))


def load_schedule(path: Path | None = None) -> Schedule:
    """Read a schedule file (default: the project's); a bad one names the field at fault."""
    data = json.loads((path or DEFAULT).read_text(encoding="utf-8"))
    target = data.get("on_time_target")
    if not isinstance(target, int | float) or not 0 <= target <= 1:
        raise ValidationError(FieldError("on_time_target", f"{target!r}: expected a share between 0 and 1"))
    for clock, rules in data.get("breach", {}).items():
        for priority, rule in rules.items():
            for key in ("fixed", "per_started_hour"):
                if not isinstance(rule.get(key), int | float) or rule[key] < 0:
                    raise ValidationError(FieldError(f"breach.{clock}.{priority}.{key}",
                                                     f"{rule.get(key)!r}: expected an amount ≥ 0"))
    return Schedule(float(target), Decimal(str(data.get("shortfall_per_point", 0))), data.get("breach", {}))
