"""Interface language (QGIS's locale: French or English) and the plugin's Qt translations."""

from __future__ import annotations

from typing import Any

from qgis.core import QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

_translator: QTranslator | None = None


def language() -> str:
    """``fr`` when QGIS speaks French, else ``en``."""
    locale = str(QgsSettings().value("locale/userLocale", QLocale().name()) or "en")
    return "fr" if locale.lower().startswith("fr") else "en"


def install_translation(folder: str) -> bool:
    """Load ``folder/fr.qm`` when QGIS speaks French (compiled by `make qgis-plugin`)."""
    global _translator
    if language() != "fr" or _translator is not None:
        return False
    translator = QTranslator()
    if not translator.load("fr", folder):
        return False
    QCoreApplication.installTranslator(translator)
    _translator = translator
    return True


def tr(text: str, *args: Any) -> str:
    """The text in QGIS's language (context ``CityPilot``), ``{}`` filled with ``args``."""
    return QCoreApplication.translate("CityPilot", text).format(*args)
