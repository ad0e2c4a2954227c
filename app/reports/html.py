"""The report as one self-contained HTML file: tables, inline SVG charts, the map with Leaflet inlined."""

from __future__ import annotations

from html import escape
from typing import Any

from app.reports import charts, figures
from app.reports.map import savings_map
from app.reports.texts import pct, tr

_STYLE = """
body{font-family:sans-serif;margin:2em auto;max-width:60em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;font-size:.9em}
th{background:#f0f0f0;text-align:left}.met{color:#2e7d32;font-weight:bold}.not{color:#c62828;font-weight:bold}
.chart svg{max-width:100%;height:auto}
"""


def _table(head: list[str], rows: list[list[Any]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    return "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + f"</tr>{cells}</table>"


def render(data: dict[str, Any], lang: str) -> str:
    """The page of ``data`` (a :func:`fieldservice.contract.month.contract_month`) in ``lang``."""
    t = lambda key, **kw: escape(tr(key, lang, **kw))  # noqa: E731
    clauses = figures.clause_rows(data, lang)
    rows = "".join(
        f"<tr><td>{escape(c)}</td><td>{escape(v)}</td><td>{escape(g)}</td>"
        f"<td class=\"{'met' if w == tr('met', lang) else 'not'}\">{escape(w)}</td></tr>" for c, v, g, w in clauses)
    parts = [
        f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{t('title', month=data['month'])}"
        f"</title><style>{_STYLE}</style></head><body>",
        f"<h1>{t('title', month=data['month'])}</h1><p>{t('computed', at=data['computed_at'])}</p>",
        f"<h2>{t('clauses')}</h2><table><tr><th>{t('clause')}</th><th>{t('figure')}</th><th>{t('target')}</th>"
        f"<th>{t('verdict')}</th></tr>{rows}</table>",
        f"<p><b>{t('penalties')}</b>: {escape(data['penalties_eur'])} EUR</p>",
        f"<h2>{t('energy')}</h2><div class=\"chart\">{charts.energy_chart(data, lang)}</div>",
        _table([t("commune"), t("baseline_kwh"), t("actual_kwh"), t("savings")],
               [[c, f"{b:,.0f}", f"{a:,.0f}", pct(s)] for c, b, a, s in figures.commune_rows(data)]),
        f"<h2>{t('map')}</h2>{savings_map(data, lang)}",
        f"<h2>{t('equipment')}</h2><div class=\"chart\">{charts.availability_chart(data, lang)}</div>",
        f"<h2>{t('it')}</h2><div class=\"chart\">{charts.it_chart(data, lang)}</div>",
        _table([t("component"), "%", "down (min)", "n/r (min)"],
               [[c["component"], pct(c["availability"]), c["down_min"], c["not_recorded_min"]]
                for c in data["it"]["components"]]),
        f"<h2>{t('delays')}</h2>",
        _table([t("order"), t("clock"), "", t("due"), t("late_min"), t("penalty")], figures.breach_rows(data)),
        f"<h2>{t('method')}</h2><dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>"
                                              for k, v in figures.method_lines(data, lang)) + "</dl>",
        f"<h2>{t('completeness')}</h2><dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>"
                                                    for k, v in figures.completeness_lines(data, lang)) + "</dl>",
        "</body></html>",
    ]
    return "\n".join(parts)
