"""CityPilot's public API over ``urllib``: bearer token, JSON in and out, the API's errors as exceptions."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

API = "/api/v1"
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class FieldProblem:
    """One refused field, as the API names it (``field``) and why (``reason``)."""

    field: str
    reason: str


class ApiFailure(Exception):
    """The server answered with an error (``status``, ``error`` slug, ``message``) or could not be reached."""

    def __init__(self, status: int, error: str, message: str, body: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.body: Mapping[str, Any] = body or {}


class Unreachable(ApiFailure):
    """No answer from the server (wrong URL, network down, timeout)."""


class Unauthorized(ApiFailure):
    """401: no token, or a revoked or expired one."""


class Forbidden(ApiFailure):
    """403: the user's role may not do this."""


class NotFound(ApiFailure):
    """404."""


class Invalid(ApiFailure):
    """422: the server's rules refused the input; ``problems`` name the fields and the reasons."""

    @property
    def problems(self) -> list[FieldProblem]:
        return [FieldProblem(str(p.get("field", "")), str(p.get("reason", ""))) for p in self.body.get("fields", [])]


class Conflict(ApiFailure):
    """409: someone else changed the record; ``current`` is the record as it is now."""

    @property
    def current_version(self) -> int | None:
        version = self.body.get("current_version")
        return int(version) if version is not None else None

    @property
    def current(self) -> Mapping[str, Any] | None:
        return self.body.get("current")


_BY_STATUS: dict[int, type[ApiFailure]] = {401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
                                           422: Invalid}


def normalise_base(url: str) -> str:
    """``https://city.example/`` → ``https://city.example``; refuses what is not an http(s) URL."""
    text = url.strip().rstrip("/")
    if text.endswith(API):
        text = text[: -len(API)]
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"server URL: {url!r} is not an http(s) address such as https://citypilot.example.org")
    return text


@dataclass
class Client:
    """A connection to one CityPilot server as one user (``token``); ``language`` is ``en`` or ``fr``."""

    base: str
    token: str | None = None
    language: str = "en"
    timeout: float = DEFAULT_TIMEOUT_S
    user_agent: str = "CityPilot-QGIS"
    _opener: urllib.request.OpenerDirector = field(default_factory=urllib.request.build_opener, repr=False)

    def __post_init__(self) -> None:
        self.base = normalise_base(self.base)

    # -- transport ------------------------------------------------------------------------------
    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """The absolute URL of ``path`` (under /api/v1 unless it starts with another root) with ``params``."""
        if path.startswith(("http://", "https://")):
            full = path
        else:
            full = self.base + (path if path.startswith(("/api/", "/ogc", "/tiles")) else API + path)
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None and v != ""}
        if query:
            full += ("&" if "?" in full else "?") + urllib.parse.urlencode(query)
        return full

    def request(self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None, raw: bytes | None = None,
                content_type: str | None = None) -> Any:
        """Send one request; the decoded JSON answer (None when empty), or an :class:`ApiFailure`."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url(path, params), data=data, method=method)
        request.add_header("Accept", "application/json, application/geo+json")
        request.add_header("Accept-Language", self.language)
        request.add_header("User-Agent", self.user_agent)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", content_type or "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                payload = answer.read()
        except urllib.error.HTTPError as exc:
            raise _failure(exc.code, exc.read()) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise Unreachable(0, "unreachable", f"cannot reach {self.base}: {reason}") from None
        return json.loads(payload) if payload else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return self.request("POST", path, body=body if body is not None else {}, params=params)

    def pages(self, path: str, limit: int = 500, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following the ``next`` links."""
        answer = self.get(path, limit=limit, **params)
        while True:
            yield from answer.get("items") or answer.get("features") or []
            following = _next_link(answer)
            if not following:
                return
            answer = self.get(following)

    # -- the API ----------------------------------------------------------------------------------
    def sign_in(self, username: str, password: str, label: str) -> dict[str, Any]:
        """Exchange a user name and password for an API token (``POST /tokens``); this client then uses it."""
        issued = self.request("POST", "/tokens", {"username": username, "password": password, "label": label})
        self.token = issued["token"]
        return issued

    def me(self) -> dict[str, Any]:
        return self.get("/me")

    def kinds(self) -> list[dict[str, Any]]:
        return self.get("/kinds")["items"]

    def ogc_collections(self) -> list[dict[str, Any]]:
        return self.get("/ogc/collections", f="json")["collections"]

    def asset(self, asset_id: int) -> dict[str, Any]:
        return self.get(f"/assets/{asset_id}")

    def create_asset(self, kind: str, properties: Mapping[str, Any], geometry: Mapping[str, Any] | None) -> dict:
        feature: dict[str, Any] = {"type": "Feature", "properties": {"kind": kind, **properties}}
        if geometry is not None:
            feature["geometry"] = geometry
        return self.request("POST", "/assets", feature)

    def update_asset(self, asset_id: int, version: int, properties: Mapping[str, Any] | None = None,
                     geometry: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"version": version}
        if properties:
            body["properties"] = dict(properties)
        if geometry is not None:
            body["geometry"] = geometry
        return self.request("PATCH", f"/assets/{asset_id}", body)

    def retire_asset(self, asset_id: int, version: int | None) -> dict[str, Any]:
        return self.request("POST", f"/assets/{asset_id}/retire", {"version": version} if version else {})

    def history(self, asset_id: int) -> list[dict[str, Any]]:
        return list(self.pages(f"/assets/{asset_id}/history"))

    def feeds(self, asset_id: int) -> dict[str, Any]:
        return self.get(f"/assets/{asset_id}/feeds")

    def alarms(self, **filters: Any) -> dict[str, Any]:
        return self.get("/alarms", **filters)

    def acknowledge_alarm(self, alarm_id: int, note: str = "") -> dict[str, Any]:
        return self.post(f"/alarms/{alarm_id}/acknowledge", {"comment": note} if note else {})

    def work_orders(self, **filters: Any) -> dict[str, Any]:
        return self.get("/work-orders", **filters)

    def create_work_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/work-orders", dict(body))

    def move_work_order(self, order_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/work-orders/{order_id}/transition", dict(body))

    def import_file(self, path: str, kind: str, *, dry_run: bool, crs: str | None = None,
                    layer: str | None = None) -> dict[str, Any]:
        """``POST /imports`` (multipart): the server's import report; ``dry_run`` writes nothing."""
        fields = {"kind": kind, **({"crs": crs} if crs else {}), **({"layer": layer} if layer else {})}
        with open(path, "rb") as handle:
            body, content_type = multipart(fields, "file", os.path.basename(path), handle.read())
        return self.request("POST", "/imports", raw=body, content_type=content_type,
                            params={"dry_run": "true" if dry_run else None})

    def text(self, path: str) -> str:
        """A non-JSON resource (the rejects CSV), as text."""
        request = urllib.request.Request(self.url(path), method="GET")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return answer.read().decode("utf-8-sig")
        except urllib.error.HTTPError as exc:
            raise _failure(exc.code, exc.read()) from None

    def crews(self) -> list[dict[str, Any]]:
        return list(self.pages("/crews"))


def multipart(fields: Mapping[str, str], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type."""
    boundary = "citypilot-" + uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _param(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _next_link(answer: Mapping[str, Any]) -> str | None:
    if answer.get("next"):
        return str(answer["next"])
    for link in answer.get("links") or []:
        if link.get("rel") == "next":
            return str(link["href"])
    return None


def _failure(status: int, payload: bytes) -> ApiFailure:
    try:
        body = json.loads(payload) if payload else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    error = str(body.get("error") or f"http-{status}")
    message = str(body.get("message") or payload[:200].decode(errors="replace") or f"HTTP {status}")
    return _BY_STATUS.get(status, ApiFailure)(status, error, message, body)


def ids_for_codes(client: Client, kind: str, codes: Iterable[str],
                  bbox: tuple[float, float, float, float] | None = None) -> dict[str, int]:
    """Asset ids of ``codes`` (the OGC layers show codes, the API edits ids), looked up in ``bbox`` (WGS84)."""
    wanted = {str(c) for c in codes if c}
    if not wanted:
        return {}
    found: dict[str, int] = {}
    params: dict[str, Any] = {"kind": kind, "status": "planned,in_service,out_of_service,removed"}
    if bbox is not None:
        params["bbox"] = ",".join(f"{v:.7f}" for v in bbox)
    elif len(wanted) == 1:
        params["q"] = next(iter(wanted))
    for asset in client.pages("/assets", **params):
        if asset.get("code") in wanted:
            found[str(asset["code"])] = int(asset["id"])
            if len(found) == len(wanted):
                break
    return found
