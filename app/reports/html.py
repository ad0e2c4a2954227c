"""The report as one self-contained HTML file: tables, inline SVG charts, the map with Leaflet inlined."""

from __future__ import annotations

from html import escape
from typing import Any

from app.reports import charts, figures
from app.reports.map import savings_map
from app.reports.texts import pct, tr

_STYLE = """
@page{size:A4;margin:18mm 16mm 20mm}
*{box-sizing:border-box}
body{font:10.5pt/1.5 "DejaVu Sans","Helvetica Neue",Arial,sans-serif;color:#1f2933;margin:0;background:#e9edf1}
.page{max-width:210mm;margin:2em auto;background:#fff;padding:18mm 16mm;box-shadow:0 1px 6px rgba(0,0,0,.15)}
header.doc{border-bottom:3px solid #1f4e79;padding-bottom:.8em;margin-bottom:1.4em;display:flex;
 justify-content:space-between;align-items:flex-end;gap:1em}
header.doc .contract{font-size:9pt;text-transform:uppercase;letter-spacing:.08em;color:#52606d;margin:0}
header.doc h1{font-size:20pt;margin:.15em 0 0;color:#1f4e79;font-weight:600}
header.doc .meta{text-align:right;font-size:8.5pt;color:#52606d}
h2{font-size:13pt;color:#1f4e79;border-bottom:1px solid #cbd2d9;padding-bottom:.2em;margin:1.6em 0 .6em;
 break-after:avoid}
section{break-inside:avoid-page}
table{border-collapse:collapse;width:100%;margin:.4em 0 1.2em;font-size:9pt}
th,td{padding:.35em .6em;border-bottom:1px solid #e4e7eb;text-align:left;vertical-align:top}
th{background:#f0f4f8;color:#334e68;font-weight:600;border-bottom:2px solid #bcccdc}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}
.met{color:#1e7b34;font-weight:600}.not{color:#b3261e;font-weight:600}
.penalties{font-size:11pt;margin:.2em 0 1em}
.chart svg{max-width:100%;height:auto}
.box{border:1px solid #bcccdc;border-left:4px solid #1f4e79;background:#f5f8fb;padding:.6em 1em;margin:.6em 0 1em}
.box dt{font-weight:600;color:#334e68;margin-top:.4em}.box dd{margin:0 0 .2em}
.box.completeness{border-left-color:#c98a00;background:#fffbf0}
.note{font-size:8.5pt;color:#52606d}
footer.doc{margin-top:2em;border-top:1px solid #cbd2d9;padding-top:.5em;font-size:8pt;color:#7b8794}
@media print{body{background:#fff}.page{box-shadow:none;margin:0;padding:0;max-width:none}
 .leaflet-container{break-inside:avoid}a{color:inherit;text-decoration:none}}
"""
_NUMERIC = {"baseline_kwh", "actual_kwh", "savings", "figure", "target", "late_min", "penalty"}


def _table(head: list[str], rows: list[list[Any]], numeric: frozenset[int] | set[int] = frozenset()) -> str:
    """A table; columns in ``numeric`` right-aligned."""
    def cls(i: int) -> str:
        return ' class="num"' if i in numeric else ""
    cells = "".join("<tr>" + "".join(f"<td{cls(i)}>{escape(str(v))}</td>" for i, v in enumerate(row)) + "</tr>"
                    for row in rows)
    return ("<table><thead><tr>" + "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(head))
            + f"</tr></thead><tbody>{cells}</tbody></table>")


def render(data: dict[str, Any], lang: str) -> str:
    """The page of ``data`` (a :func:`fieldservice.contract.month.contract_month`) in ``lang``."""
    t = lambda key, **kw: escape(tr(key, lang, **kw))  # noqa: E731
    clauses = figures.clause_rows(data, lang)
    rows = "".join(
        f"<tr><td>{escape(c)}</td><td class=\"num\">{escape(v)}</td><td class=\"num\">{escape(g)}</td>"
        f"<td class=\"{'met' if w == tr('met', lang) else 'not'}\">{escape(w)}</td></tr>" for c, v, g, w in clauses)
    title = t("title", month=data["month"])
    parts = [
        f"<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><div class=\"page\">",
        f"<header class=\"doc\"><div><p class=\"contract\">{t('contract')}</p><h1>{title}</h1></div>"
        f"<div class=\"meta\">{t('computed', at=data['computed_at'])}</div></header>",
        f"<section><h2>{t('summary')}</h2><table><thead><tr><th>{t('clause')}</th><th class=\"num\">{t('figure')}"
        f"</th><th class=\"num\">{t('target')}</th><th>{t('verdict')}</th></tr></thead><tbody>{rows}</tbody></table>",
        f"<p class=\"penalties\"><b>{t('penalties')}</b>{' :' if lang == 'fr' else ':'} "
        f"{escape(data['penalties_eur'])} EUR</p></section>",
        f"<section><h2>{t('method')}</h2><dl class=\"box method\">" + "".join(
            f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in figures.method_lines(data, lang))
        + f"</dl><p class=\"note\">{t('evidence')}</p></section>",
        f"<section><h2>{t('completeness')}</h2><dl class=\"box completeness\">" + "".join(
            f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in figures.completeness_lines(data, lang))
        + "</dl></section>",
        f"<section><h2>{t('energy')}</h2><div class=\"chart\">{charts.energy_chart(data, lang)}</div>",
        _table([t("commune"), t("insee"), t("baseline_kwh"), t("actual_kwh"), t("savings")],
               [[n, c, f"{b:,.0f}", f"{a:,.0f}", pct(s)] for n, c, b, a, s in figures.commune_rows(data)],
               {2, 3, 4}) + "</section>",
        f"<section><h2>{t('map')}</h2>{savings_map(data, lang)}</section>",
        f"<section><h2>{t('equipment')}</h2><div class=\"chart\">{charts.availability_chart(data, lang)}</div>"
        "</section>",
        f"<section><h2>{t('it')}</h2><div class=\"chart\">{charts.it_chart(data, lang)}</div>",
        _table([t("component"), "%", "down (min)", "n/r (min)"],
               [[c["component"], pct(c["availability"]), c["down_min"], c["not_recorded_min"]]
                for c in data["it"]["components"]], {1, 2, 3}) + "</section>",
        f"<section><h2>{t('delays')}</h2>",
        _table([t("order"), t("clock"), "", t("due"), t("late_min"), t("penalty")], figures.breach_rows(data),
               {4, 5}) + "</section>",
        f"<footer class=\"doc\">{t('contract')} · {t('page_of', month=data['month'])} · CityPilot</footer>",
        "</div></body></html>",
    ]
    return "\n".join(parts)
