"""The map: a QWebEngineView showing the server's vector tiles with Leaflet (the app's own vendored copy)
and the control room's styles, talking to Qt through QWebChannel.

Every resource comes through the ``citypilot:`` scheme: the page and its scripts from the app's files,
``citypilot://app/server/<path>`` proxied to the server's tiles with the client's credentials (so the page
never holds a secret and needs no CORS). Call :func:`register_scheme` before the QApplication exists.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from pathlib import Path
from typing import Any

from PyQt6 import sip
from PyQt6.QtCore import QBuffer, QByteArray, QCoreApplication, QFile, QIODevice, QObject, QUrl, pyqtSignal, pyqtSlot
from PyQt6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest
from PyQt6.QtWebChannel import QWebChannel
from PyQt6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)
from PyQt6.QtWebEngineWidgets import QWebEngineView

from app.desktop.api import ApiClient

SCHEME = b"citypilot"
PAGE_URL = "citypilot://app/map.html"
SERVER_PREFIX = "/server/"
PROXIED = ("/tiles/", "/api/v1/basemap/")  # what the page may ask the server for
HERE = Path(__file__).parent / "resources"
STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
FILES = {  # page path -> file (the control room's styles: the same map in both clients)
    "/map.html": HERE / "map.html",
    "/map.js": HERE / "map.js",
    "/cr-map.js": STATIC / "control_room" / "map.js",  # the control room's map: the desktop's extends it
    "/canvas.js": STATIC / "control_room" / "canvas.js",
    "/styles.js": STATIC / "control_room" / "styles.js",
    "/i18n.js": STATIC / "control_room" / "i18n.js",
    "/leaflet.js": STATIC / "vendor" / "leaflet" / "leaflet.js",
    "/leaflet.css": STATIC / "vendor" / "leaflet" / "leaflet.css",
    "/vectorgrid.js": STATIC / "vendor" / "leaflet.vectorgrid" / "Leaflet.VectorGrid.bundled.min.js",
}
QWEBCHANNEL_JS = ":/qtwebchannel/qwebchannel.js"
log = logging.getLogger(__name__)


def register_scheme() -> None:
    """Declare ``citypilot:`` to QtWebEngine (once, before the QApplication is made)."""
    if scheme_registered():
        return
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    flags = QWebEngineUrlScheme.Flag
    scheme.setFlags(flags.SecureScheme | flags.LocalAccessAllowed | flags.CorsEnabled | flags.FetchApiAllowed
                    | flags.ContentSecurityPolicyIgnored)
    QWebEngineUrlScheme.registerScheme(scheme)


def scheme_registered() -> bool:
    """Whether ``citypilot:`` was declared (with fetch allowed) before the QApplication was made."""
    return bytes(QWebEngineUrlScheme.schemeByName(SCHEME).name()) == SCHEME


if QCoreApplication.instance() is None:  # importing the map before the application is enough
    register_scheme()


def _reply(job: QWebEngineUrlRequestJob, content_type: bytes, data: bytes) -> None:
    buffer = QBuffer(job)  # lives as long as the job
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    job.reply(content_type, buffer)


class SchemeHandler(QWebEngineUrlSchemeHandler):
    """Serves the page's files and proxies its tile requests to the server (asynchronously)."""

    def __init__(self, client: ApiClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.network = QNetworkAccessManager(self)
        self.tiles_served = 0
        self.page_config = "{}"  # the styles.js configuration embedded in map.html (kinds' styles)

    def requestStarted(self, job: QWebEngineUrlRequestJob | None) -> None:
        assert job is not None
        path = job.requestUrl().path()
        if path.startswith(SERVER_PREFIX):
            self._proxy(job, "/" + path.removeprefix(SERVER_PREFIX) + _query(job.requestUrl()))
        elif path == "/qwebchannel.js":
            source = QFile(QWEBCHANNEL_JS)
            source.open(QIODevice.OpenModeFlag.ReadOnly)
            _reply(job, b"text/javascript", bytes(source.readAll()))
        elif path == "/map.html":
            page = FILES[path].read_text().replace("__CONFIG__", self.page_config.replace("</", "<\\/"))
            _reply(job, b"text/html", page.encode())
        elif path in FILES:
            file = FILES[path]
            kind = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file.name)[0] or "text/plain"
            _reply(job, kind.encode(), file.read_bytes())
        else:
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)

    def _proxy(self, job: QWebEngineUrlRequestJob, path: str) -> None:
        if not path.startswith(PROXIED):
            job.fail(QWebEngineUrlRequestJob.Error.RequestDenied)
            return
        request = QNetworkRequest(QUrl(self.client.server + path))
        for name, value in self.client.auth_headers().items():
            request.setRawHeader(name.encode(), value.encode())
        reply = self.network.get(request)
        assert reply is not None
        job.destroyed.connect(reply.abort)
        reply.finished.connect(lambda: self._answer(job, reply))

    def _answer(self, job: QWebEngineUrlRequestJob, reply: QNetworkReply) -> None:
        reply.deleteLater()
        if sip.isdeleted(job):
            return
        status = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute) or 0
        if status == 200:
            self.tiles_served += 1
            _reply(job, b"application/x-protobuf", bytes(reply.readAll()))
        elif status == 204:
            _reply(job, b"application/x-protobuf", b"")
        else:
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)


def _query(url: QUrl) -> str:
    return "?" + url.query() if url.hasQuery() else ""


class MapBridge(QObject):
    """What the page calls (slots) and hears (signals) through QWebChannel."""

    featureClicked = pyqtSignal(int)
    extentChanged = pyqtSignal(float, float, float, float)
    mapClickedAt = pyqtSignal(float, float)
    boxChosen = pyqtSignal(float, float, float, float)
    pointDragged = pyqtSignal(int, float, float)
    overlayPicked = pyqtSignal(str, int)
    vertexAdded = pyqtSignal(float, float)
    drawingDone = pyqtSignal()
    vertexMoved = pyqtSignal(int, int, float, float)
    lassoChosen = pyqtSignal(list)
    ready = pyqtSignal()

    @pyqtSlot(int)
    def clicked(self, asset_id: int) -> None:
        self.featureClicked.emit(asset_id)

    @pyqtSlot(float, float, float, float)
    def moved(self, west: float, south: float, east: float, north: float) -> None:
        self.extentChanged.emit(west, south, east, north)

    @pyqtSlot(float, float)
    def mapClicked(self, lon: float, lat: float) -> None:
        self.mapClickedAt.emit(lon, lat)

    @pyqtSlot(float, float, float, float)
    def boxSelected(self, west: float, south: float, east: float, north: float) -> None:
        self.boxChosen.emit(west, south, east, north)

    @pyqtSlot(int, float, float)
    def dragged(self, asset_id: int, lon: float, lat: float) -> None:
        self.pointDragged.emit(asset_id, lon, lat)

    @pyqtSlot(str, int)
    def overlayClicked(self, layer: str, item_id: int) -> None:
        self.overlayPicked.emit(layer, item_id)

    @pyqtSlot(float, float)
    def vertexClicked(self, lon: float, lat: float) -> None:
        self.vertexAdded.emit(lon, lat)

    @pyqtSlot()
    def drawFinished(self) -> None:
        self.drawingDone.emit()

    @pyqtSlot(int, int, float, float)
    def vertexDragged(self, asset_id: int, index: int, lon: float, lat: float) -> None:
        self.vertexMoved.emit(asset_id, index, lon, lat)

    @pyqtSlot(str)
    def lassoSelected(self, ring: str) -> None:
        self.lassoChosen.emit([tuple(p) for p in json.loads(ring)])

    @pyqtSlot()
    def loaded(self) -> None:
        self.ready.emit()


class MapPage(QWebEnginePage):
    """The map's page: its console messages kept (``console``) and logged, so a script error is never silent."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None) -> None:
        super().__init__(profile, parent)
        self.console: list[str] = []

    def javaScriptConsoleMessage(self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str | None,
                                 line: int, source: str | None) -> None:
        text = f"{source}:{line}: {message}"
        self.console.append(text)
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            log.error("map page: %s", text)
        else:
            log.info("map page: %s", text)


class MapView(QWebEngineView):
    """The map of the server's layers; ``bridge`` carries clicks and the extent to Python."""

    def release(self) -> None:
        """Delete the page now, before its profile (call when the window closes)."""
        page = self.page()
        if page is not None:
            page.deleteLater()

    def __init__(self, client: ApiClient, layers: dict[str, Any], kinds: list[dict[str, Any]] | None = None,
                 parent: Any = None) -> None:
        if not scheme_registered():  # else the page loads but may not fetch a single tile: an empty map
            raise RuntimeError("the citypilot: scheme must be registered before the QApplication is made: "
                               "import app.desktop.mapview (or call register_scheme()) first")
        super().__init__(parent)
        # Off the record (nothing of the city on disk). Not a child of the view: Qt would delete it with the view
        # before the page that uses it, and QtWebEngine crashes when a profile goes with a live page.
        self.profile = QWebEngineProfile()
        self.handler = SchemeHandler(client, self)
        self.handler.page_config = json.dumps(style_config(kinds or [], client, layers))
        self.profile.installUrlSchemeHandler(SCHEME, self.handler)
        self.map_page = MapPage(self.profile, self)
        self.setPage(self.map_page)
        self.bridge = MapBridge(self)
        self.channel = QWebChannel(self)
        self.channel.registerObject("citypilot", self.bridge)
        page = self.page()
        assert page is not None
        page.setWebChannel(self.channel)
        self.extent: tuple[float, float, float, float] | None = None
        self.ready = False
        self.bridge.extentChanged.connect(self._remember_extent)
        self.bridge.ready.connect(self._on_ready)
        self.load(QUrl(PAGE_URL))

    def _remember_extent(self, west: float, south: float, east: float, north: float) -> None:
        self.extent = (west, south, east, north)

    def _on_ready(self) -> None:
        self.ready = True

    def run(self, script: str) -> None:
        page = self.page()
        if page is not None:
            page.runJavaScript(script)

    def set_layer_shown(self, layer: str, shown: bool) -> None:
        self.run(f"window.cityMap && window.cityMap.setFamilyShown({json.dumps(layer)}, {json.dumps(shown)})")

    def select(self, asset_id: int | None, geometry: dict[str, Any] | None = None) -> None:
        """Highlight the asset (its GeoJSON geometry), bring it into view, and let its point be dragged."""
        args = f"{json.dumps(asset_id)}, {json.dumps(geometry)}"
        self.run(f"window.cityMap && (window.cityMap.select({args}), window.cityMap.editHandle({args}))")

    def call(self, method: str, *args: Any) -> None:
        """``window.cityMap.<method>(args)`` in the page (JSON arguments)."""
        self.run(f"window.cityMap && window.cityMap.{method}({', '.join(json.dumps(a) for a in args)})")


def style_config(kinds: list[dict[str, Any]], client: ApiClient | None = None,
                 layers: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the control room's map code (map.js, styles.js, i18n.js) reads from the page: each kind's style, the
    tile layers (their URLs through the proxy) and the base map's URL."""
    config: dict[str, Any] = {
        "styles": {k["name"]: k.get("style") or {} for k in kinds}, "strings": {}, "lang": "en",
        "kinds": {k["name"]: {"label": k.get("label") or k["name"]} for k in kinds}, "families": {}, "states": {}}
    if client is not None and layers is not None:
        setup = page_setup(client, layers)
        tiles = {item["id"]: item["tiles"] for item in setup["layers"]}
        config["tiles"] = {**layers, "bounds": setup["bounds"],
                           "vector_layers": [{**spec, "tiles": tiles[spec["id"]]} for spec in layers["vector_layers"]]}
        config["urls"] = {"basemap": setup["basemap"]}
    return config


def page_setup(client: ApiClient, layers: dict[str, Any]) -> dict[str, Any]:
    """What the page needs: its layers with tile URLs through the proxy, the bounds, the base map."""
    proxy = "citypilot://app/server"
    items = [{"id": spec["id"], "tiles": [url.replace(client.server, proxy) for url in spec.get("tiles", [])]}
             for spec in layers.get("vector_layers", [])]
    return {"layers": items, "bounds": layers.get("bounds") or [4.89, 47.21, 5.21, 47.4],
            "basemap": proxy + "/api/v1/basemap/{z}/{x}/{y}.mvt"}
