"""The report as an XLSX workbook (one sheet per clause, the raw figures) and as CSV files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from app.reports import figures
from app.reports.texts import tr


def sheets(data: dict[str, Any], lang: str) -> dict[str, list[list[Any]]]:
    """Name → rows (a header first) of every table the workbook and the CSV carry."""
    q, i = data["equipment"], data["it"]
    return {
        "clauses": [[tr("clause", lang), tr("figure", lang), tr("target", lang), tr("verdict", lang)],
                    *figures.clause_rows(data, lang)],
        "energy": [["cabinet", "commune", "commune_name", "baseline_kwh", "actual_kwh", "savings", "method"],
                   *[[c["code"], c["commune"], (data.get("commune_names") or {}).get(c["commune"] or ""),
                      c["baseline_kwh"], c["actual_kwh"], c["savings"], c["method"]]
                     for c in data["cabinets"]]],
        "equipment": [["night", "due_lamp_h", "lost_lamp_h", "availability"],
                      *[[n["night"], n["due_lamp_h"], n["lost_lamp_h"], n["availability"]] for n in q["nights"]]],
        "it": [["component", "due_min", "up_min", "down_min", "not_recorded_min", "maintenance_min", "availability"],
               *[[c[k] for k in ("component", "due_min", "up_min", "down_min", "not_recorded_min", "maintenance_min",
                                 "availability")] for c in [*i["components"], {**i, "component": "platform"}]]],
        "delays": [["order_id", "clock", "priority", "due", "late_min", "penalty_eur"], *figures.breach_rows(data)],
        "completeness": [[tr("clause", lang), tr("completeness", lang)], *figures.completeness_lines(data, lang),
                         [tr("method", lang), ""], *figures.method_lines(data, lang)],
    }


def write_xlsx(data: dict[str, Any], lang: str, path: Path) -> None:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets(data, lang).items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.save(path)


def write_csv(data: dict[str, Any], lang: str, folder: Path, stem: str) -> list[Path]:
    out = []
    for name, rows in sheets(data, lang).items():
        path = folder / f"{stem}-{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
        out.append(path)
    return out
