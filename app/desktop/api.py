"""A small client of the CityPilot HTTP API (urllib only): token or session sign-in, JSON in and out.

Signed in with a token, every call sends ``Authorization: Bearer``; signed in with a password, the
client keeps the session cookie of ``POST /login`` and sends the session's CSRF token on unsafe methods.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

API = "/api/v1"
SESSION_COOKIE = "citypilot_session"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_PAGE_ERROR = re.compile(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]+)<')


@dataclass
class ApiError(Exception):
    """A refused or failed call: HTTP status (0: the server could not be reached), message, JSON body."""

    status: int
    message: str
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status}: {self.message}" if self.status else self.message

    @property
    def fields(self) -> dict[str, str]:
        """422: the reason per field named by the server (``properties.power_w`` -> ``power_w``)."""
        return {str(f.get("field", "")).removeprefix("properties."): str(f.get("reason", ""))
                for f in self.body.get("fields") or []}


@dataclass(frozen=True)
class Credentials:
    """How the client proves who it is: an API token, or a session cookie with its CSRF token."""

    server: str
    user: str = ""
    token: str = ""
    session_cookie: str = ""
    csrf: str = ""


class ApiClient:
    """Calls to one server; ``timeout`` in seconds per call."""

    def __init__(self, server: str, timeout: float = 20.0) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout
        self.token = ""
        self.csrf = ""
        self.user = ""
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    # -- signing in ---------------------------------------------------------------------------------

    @classmethod
    def from_credentials(cls, creds: Credentials) -> ApiClient:
        client = cls(creds.server)
        client.user, client.token, client.csrf = creds.user, creds.token, creds.csrf
        if creds.session_cookie:
            client._set_session_cookie(creds.session_cookie)
        return client

    def credentials(self) -> Credentials:
        return Credentials(self.server, self.user, self.token, self.session_cookie(), self.csrf)

    def use_token(self, token: str) -> dict[str, Any]:
        """Sign in with an API token (``citypilot tokens create``); answers ``/me``."""
        self.token = token.strip()
        me = self.me()
        self.user = me["name"]
        return me

    def sign_in(self, user: str, password: str) -> dict[str, Any]:
        """Sign in with the login form (its CSRF token first), as a browser does; answers ``/me``."""
        self.token = ""
        page = self._text("GET", "/login")
        match = _CSRF_FIELD.search(page)
        if not match:
            raise ApiError(0, f"{self.server} does not look like a CityPilot server (no login form)")
        form = urllib.parse.urlencode({"username": user, "password": password, "csrf_token": match.group(1)})
        try:
            self._send("POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        except ApiError as exc:
            raise ApiError(exc.status, _page_error(exc.message) or exc.message) from None
        me = self.me()
        if me.get("via") != "session":
            raise ApiError(401, "the server did not open a session")
        self.user, self.csrf = me["name"], me.get("csrf_token", "")
        return me

    def session_cookie(self) -> str:
        return next((c.value for c in self.cookies if c.name == SESSION_COOKIE), "")

    def _set_session_cookie(self, value: str) -> None:
        host = urllib.parse.urlsplit(self.server).hostname or ""
        cookie = http.cookiejar.Cookie(0, SESSION_COOKIE, value, None, False, host, False, False, "/", True,
                                       False, None, False, None, None, {"HttpOnly": ""})
        self.cookies.set_cookie(cookie)

    def auth_headers(self) -> dict[str, str]:
        """What proves who the client is on a request (also for the map's tiles)."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        cookie = self.session_cookie()
        return {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}

    # -- the API ----------------------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        return self.get(f"{API}/me")

    def kinds(self) -> list[dict[str, Any]]:
        return self.get(f"{API}/kinds")["items"]

    def layers(self) -> dict[str, Any]:
        return self.get("/tiles/layers.json")

    def assets(self, *, bbox: tuple[float, float, float, float] | None = None, kinds: list[str] | None = None,
               text: str = "", limit: int = 100) -> dict[str, Any]:
        """The first page of assets matching the filters (``next``: the following page's URL)."""
        params: dict[str, str] = {"limit": str(limit)}
        if bbox:
            params["bbox"] = ",".join(f"{v:.6f}" for v in bbox)
        if kinds:
            params["kind"] = ",".join(kinds)
        if text.strip():
            params["q"] = text.strip()
        return self.get(f"{API}/assets?{urllib.parse.urlencode(params)}")

    def vehicles(self) -> list[dict[str, Any]] | None:
        """The fleet's last positions; None for a role that may not see staff positions."""
        try:
            return self.get(f"{API}/vehicles")["items"]
        except ApiError as exc:
            if exc.status == 403:
                return None
            raise

    def places(self, text: str, limit: int = 10) -> dict[str, Any]:
        """Streets, communes and asset codes matching ``text`` (accents and case ignored), best first."""
        return self.get(f"{API}/places?{urllib.parse.urlencode({'q': text.strip(), 'limit': str(limit)})}")

    def asset(self, asset_id: int) -> dict[str, Any]:
        """One asset as a GeoJSON Feature."""
        return self.get(f"{API}/assets/{asset_id}")

    def update_asset(self, asset_id: int, properties: dict[str, Any], version: int) -> dict[str, Any]:
        """PATCH with the version edited: 409 (``ApiError.body['current']``) when someone saved since."""
        return self.call("PATCH", f"{API}/assets/{asset_id}", {"version": version, "properties": properties})

    def update_geometry(self, asset_id: int, geometry: dict[str, Any], version: int,
                        properties: dict[str, Any] | None = None) -> dict[str, Any]:
        """PATCH the geometry (GeoJSON, WGS84), and ``properties`` with it, at the version edited."""
        body: dict[str, Any] = {"version": version, "geometry": geometry}
        if properties:
            body["properties"] = properties
        return self.call("PATCH", f"{API}/assets/{asset_id}", body)

    def create_asset(self, kind: str, geometry: dict[str, Any] | None,
                     properties: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a new asset of ``kind``; answers its Feature (422 names a refused field)."""
        body: dict[str, Any] = {"type": "Feature", "properties": {**(properties or {}), "kind": kind}}
        if geometry is not None:
            body["geometry"] = geometry
        return self.call("POST", f"{API}/assets", body)

    def retire_asset(self, asset_id: int, version: int) -> dict[str, Any]:
        """Status ``removed`` (the asset and its history stay); 409 when stale."""
        return self.call("POST", f"{API}/assets/{asset_id}/retire", {"version": version})

    def import_file(self, path: str, kind: str, *, dry_run: bool, mapping: list[str] | None = None,
                    crs: str = "", layer: str = "", timeout: float = 600.0) -> dict[str, Any]:
        """Upload a survey file to ``POST /imports`` (``dry_run``: nothing saved); answers the report."""
        from pathlib import Path

        fields: list[tuple[str, str]] = [("kind", kind), ("dry_run", "true" if dry_run else "false")]
        fields += [("map", m) for m in mapping or []]
        if crs:
            fields.append(("crs", crs))
        if layer:
            fields.append(("layer", layer))
        boundary = "----citypilot-desktop-boundary"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n{v}\r\n'.encode()
                 for n, v in fields]
        name = Path(path).name.replace('"', "")
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + Path(path).read_bytes() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        previous, self.timeout = self.timeout, timeout
        try:
            raw = self._send("POST", f"{API}/imports", b"".join(parts),
                             {"Content-Type": f"multipart/form-data; boundary={boundary}",
                              "Accept": "application/json"})
        finally:
            self.timeout = previous
        return json.loads(raw)

    def download(self, path: str) -> bytes:
        """The bytes of a server file (an import's rejects CSV)."""
        return self._send("GET", path, None, {})

    def stream(self, timeout: float = 60.0) -> Any:
        """The open live stream (``/api/v1/stream``, server-sent events): a file-like answer to read lines of."""
        headers = {"Accept": "text/event-stream", **self.auth_headers()}
        request = urllib.request.Request(self._url(f"{API}/stream"), headers=headers)
        try:
            return self._opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, exc.reason) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ApiError(0, f"cannot reach {self.server}: {getattr(exc, 'reason', exc)}") from None

    def history(self, asset_id: int) -> dict[str, Any]:
        return self.get(f"{API}/assets/{asset_id}/history")

    def tile(self, path: str) -> tuple[int, str, bytes]:
        """A vector tile ``/tiles/...``: status, content type, bytes (204: empty)."""
        request = urllib.request.Request(self._url(path), headers={**self.auth_headers()})
        with self._open(request) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read()

    # -- HTTP -------------------------------------------------------------------------------------------

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """A JSON call; ``path`` may be a full URL of this server (a page's ``next`` link)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        raw = self._send(method, path, data, headers)
        return json.loads(raw) if raw else None

    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.server + path

    def _text(self, method: str, path: str) -> str:
        return self._send(method, path, None, {}).decode("utf-8", "replace")

    def _send(self, method: str, path: str, data: bytes | None, headers: dict[str, str]) -> bytes:
        headers = {**headers, **({"Authorization": f"Bearer {self.token}"} if self.token else {})}
        if method not in ("GET", "HEAD") and not self.token and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        request = urllib.request.Request(self._url(path), data=data, headers=headers, method=method)
        with self._open(request) as answer:
            return answer.read()

    def _open(self, request: urllib.request.Request) -> Any:
        try:
            return self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            message = body.get("message") if isinstance(body, dict) else None
            raise ApiError(exc.code, message or raw.decode("utf-8", "replace")[:2000] or str(exc.reason),
                           body if isinstance(body, dict) else {}) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(0, f"cannot reach {self.server}: {reason}") from None


def _page_error(page: str) -> str:
    """The error message of the login page (``Wrong user name or password.``)."""
    match = _PAGE_ERROR.search(page)
    return html.unescape(match.group(1).strip()) if match else ""
