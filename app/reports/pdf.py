"""The report as PDF (reportlab, offline): the clauses, the charts' figures as tables, method, completeness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.reports import figures
from app.reports.texts import pct, tr

_GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("FONTSIZE", (0, 0), (-1, -1), 8)])


def _table(rows: list[list[Any]]) -> Table:
    table = Table([[str(v) for v in row] for row in rows], repeatRows=1)
    table.setStyle(_GRID)
    return table


def write(data: dict[str, Any], lang: str, path: Path) -> None:
    """Write the PDF of ``data`` in ``lang`` to ``path``."""
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(tr("title", lang, month=data["month"]), styles["Title"]),
                        Paragraph(tr("computed", lang, at=data["computed_at"]), styles["Normal"]), Spacer(1, 8),
                        Paragraph(tr("clauses", lang), styles["Heading2"]),
                        _table([[tr("clause", lang), tr("figure", lang), tr("target", lang), tr("verdict", lang)],
                                *figures.clause_rows(data, lang)]),
                        Paragraph(f"{tr('penalties', lang)}: {data['penalties_eur']} EUR", styles["Normal"]),
                        Paragraph(tr("energy", lang), styles["Heading2"]),
                        _table([[tr("commune", lang), tr("insee", lang), tr("baseline_kwh", lang),
                                 tr("actual_kwh", lang), tr("savings", lang)],
                                *[[n, c, f"{b:,.0f}", f"{a:,.0f}", pct(s)]
                                  for n, c, b, a, s in figures.commune_rows(data)]]),
                        Paragraph(tr("it", lang), styles["Heading2"]),
                        _table([[tr("component", lang), "%", "down (min)", "n/r (min)"],
                                *[[c["component"], pct(c["availability"]), c["down_min"], c["not_recorded_min"]]
                                  for c in data["it"]["components"]]]),
                        Paragraph(tr("delays", lang), styles["Heading2"]),
                        _table([[tr("order", lang), tr("clock", lang), "", tr("due", lang), tr("late_min", lang),
                                 tr("penalty", lang)], *figures.breach_rows(data)[:200]])]
    for heading, lines in (("method", figures.method_lines(data, lang)),
                           ("completeness", figures.completeness_lines(data, lang))):
        story.append(Paragraph(tr(heading, lang), styles["Heading2"]))
        story.extend(Paragraph(f"<b>{k}</b>: {v}", styles["Normal"]) for k, v in lines)
    SimpleDocTemplate(str(path), pagesize=A4, title=tr("title", lang, month=data["month"])).build(story)
