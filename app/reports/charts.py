"""The report's charts as inline SVG (matplotlib, no display needed)."""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib

matplotlib.use("svg")
from matplotlib import pyplot as plt

from app.reports.texts import tr


def _svg(fig: Any) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = out.getvalue()
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)  # matplotlib's RDF block: no use inline
    return text[text.index("<svg"):]


def energy_chart(data: dict[str, Any], lang: str) -> str:
    """Baseline and actual kWh per commune."""
    communes = data["energy"]["communes"]
    fig, ax = plt.subplots(figsize=(7, 3))
    names = list(communes) or ["—"]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [communes.get(n, {}).get("baseline_kwh", 0) for n in names], 0.4,
           label=tr("baseline_kwh", lang), color="#9aa5b1")
    ax.bar([x + 0.2 for x in xs], [communes.get(n, {}).get("actual_kwh", 0) for n in names], 0.4,
           label=tr("actual_kwh", lang), color="#2f7d32")
    labels = [(data.get("commune_names") or {}).get(n, n) for n in names]
    ax.set_xticks(list(xs), labels, rotation=45, ha="right", fontsize=7)
    ax.set_title(tr("energy", lang))
    ax.legend(fontsize=7)
    return _svg(fig)


def availability_chart(data: dict[str, Any], lang: str) -> str:
    """Equipment availability per night against the target."""
    nights = data["equipment"]["nights"]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.plot([n["night"][8:] for n in nights], [100 * (n["availability"] or 0) for n in nights], marker=".",
            color="#1565c0")
    ax.axhline(100 * data["equipment"]["target"], color="#c62828", linestyle="--", linewidth=1)
    ax.set_ylabel("%")
    ax.set_xlabel(tr("night", lang))
    ax.tick_params(axis="x", labelsize=6)
    ax.set_title(tr("equipment", lang))
    return _svg(fig)


def it_chart(data: dict[str, Any], lang: str) -> str:
    """IT availability per component."""
    rows = data["it"]["components"]
    fig, ax = plt.subplots(figsize=(7, 2.2))
    ax.barh([r["component"] for r in rows], [100 * (r["availability"] or 0) for r in rows], color="#6a1b9a")
    ax.axvline(100 * data["it"]["target"], color="#c62828", linestyle="--", linewidth=1)
    ax.set_xlim(90, 100)
    ax.set_title(tr("it", lang))
    return _svg(fig)
