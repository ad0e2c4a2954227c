"""What the plugin tells the user, through qgis-plugin-tools' loggers: the message bar shows it, the "CityPilot"
tab of QGIS's log panel and a rotating file in the profile's ``logs`` folder keep it (with the details), so a
refusal seen once can be read again and sent to support. Levels per target are QGIS settings
(``CityPilot/log_level/bar|file|stream``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from qgis.gui import QgsMessageBar
from qgis_plugin_tools.tools.custom_logging import bar_msg, setup_loggers

LOGGER_NAME = "citypilot_qgis"
LOG = logging.getLogger(LOGGER_NAME)


def start(message_bar: QgsMessageBar | None) -> Callable[[], None]:
    """Attach the handlers (bar, log panel, file); returns the teardown for ``unload``."""
    return setup_loggers(LOGGER_NAME, message_log_name="CityPilot", message_bar=message_bar)


def success(text: str) -> None:
    LOG.info(text, extra=bar_msg(success=True))


def info(text: str) -> None:
    LOG.info(text, extra=bar_msg())


def warning(text: str, details: str = "") -> None:
    LOG.warning(text, extra=bar_msg(details))


def error(text: str, details: str = "") -> None:
    LOG.error(text, extra=bar_msg(details))
