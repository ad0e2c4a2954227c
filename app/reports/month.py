"""``citypilot report month``: every file of a month's report written from one computation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.reports import html, pdf, tables


def write_month(data: dict[str, Any], folder: Path, lang: str) -> list[Path]:
    """HTML, PDF, XLSX and CSV of ``data`` in ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"contract-{data['month']}-{lang}"
    page = folder / f"{stem}.html"
    page.write_text(html.render(data, lang), encoding="utf-8")
    document = folder / f"{stem}.pdf"
    pdf.write(data, lang, document)
    book = folder / f"{stem}.xlsx"
    tables.write_xlsx(data, lang, book)
    return [page, document, book, *tables.write_csv(data, lang, folder, stem)]
