"""The report's tables, in the report's language: the clauses, their method and the data's completeness."""

from __future__ import annotations

from typing import Any

from app.reports.texts import pct, tr


def verdict(met: bool | None, lang: str) -> str:
    return tr({True: "met", False: "not_met", None: "no_data"}[met], lang)


def clause_rows(data: dict[str, Any], lang: str) -> list[list[str]]:
    """One row per clause: name, figure, target, verdict."""
    e, q, i, d = data["energy"], data["equipment"], data["it"], data["delays"]
    return [
        [tr("energy", lang), pct(e["savings"]), pct(e["target"]), verdict(e["met"], lang)],
        [tr("equipment", lang), pct(q["availability"]), pct(q["target"]), verdict(q["met"], lang)],
        [tr("it", lang), pct(i["availability"]), pct(i["target"]), verdict(i["met"], lang)],
        [tr("delays", lang), pct(d["rate"]), pct(d["target"]), verdict(d["met"], lang)],
    ]


def method_lines(data: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    return [(tr("energy", lang), tr("method_energy", lang)),
            (tr("equipment", lang), tr("method_equipment", lang, tol=data["equipment"]["tolerance_h"])),
            (tr("it", lang), tr("method_it", lang)),
            (tr("delays", lang), tr("method_delays", lang))]


def completeness_lines(data: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    e, q, i = data["energy"], data["equipment"], data["it"]
    return [(tr("energy", lang), tr("complete_energy", lang, measured=pct(e["measured_share"]),
                                    modelled=e["modelled_cabinets"], cabinets=e["cabinets"],
                                    estimated=e["lamps_estimated"], left_out=e["lamps_left_out"],
                                    resets=e["meter_resets"], gaps=e["meter_gaps"])),
            (tr("equipment", lang), tr("complete_equipment", lang, lamps=q["lamps"], outages=q["outages"],
                                       counted=q["outages_counted"])),
            (tr("it", lang), tr("complete_it", lang, missing=i["not_recorded_min"],
                                maintenance=i["maintenance_min"]))]


def commune_name(data: dict[str, Any], code: str | None) -> str:
    """A commune's name from its INSEE code (the code itself when the inventory does not know it)."""
    return (data.get("commune_names") or {}).get(code or "", code or "?")


def commune_rows(data: dict[str, Any]) -> list[list[Any]]:
    """Per commune, by name: name, INSEE code, baseline, actual, savings."""
    rows = [[commune_name(data, code), code, f["baseline_kwh"], f["actual_kwh"], f["savings"]]
            for code, f in data["energy"]["communes"].items()]
    return sorted(rows, key=lambda r: str(r[0]))


def breach_rows(data: dict[str, Any]) -> list[list[Any]]:
    return [[b["order_id"], b["clock"], b["priority"], b["due"], b["late_min"], b["penalty"] or ""]
            for b in data["delays"]["rows"]]
