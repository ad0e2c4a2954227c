"""The crew tablet (``/crew/``): the field crews' mobile pages, usable with no network.

A thin blueprint: one page (the app shell) whose JavaScript (``app/web/static/crew/``) reads and writes
through the platform's API (``/api/v1/work-orders``...), like every other client; the service worker
(``/crew/sw.js``, scope ``/crew/``) keeps the shell and the crew's orders for offline use, and the page
queues every action in IndexedDB with its own ``client_id``, replayed in order when the network returns.
Every rule (who sees what, the moves, the proof of presence, applied once) is in :mod:`fieldservice`.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from app.web.crew import views
from app.web.home import Link, add_link


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    add_link(app, Link(lazy_gettext("Crew tablet"),
                       lazy_gettext("My work orders, on site and offline"), "crew.page"))
