"""``citypilot serve`` for real: gunicorn over HTTPS with a self-signed certificate; a live stream
stays open while ordinary requests are served, and an event reaches it."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine, text

from app.web.sse import LIVE_CHANNEL
from tests.web.helpers import People

ROOT = Path(__file__).resolve().parents[2]
SERVE = "from app.cli import build_cli, serve_cmd; build_cli(serve_cmd).main(prog_name='citypilot')"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "citypilot.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # our own self-signed certificate
    return context


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[int]:
    """``citypilot serve --cert --key`` on a free port; yields the port."""
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "CITYPILOT_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(port), "--cert", str(cert),
         "--key", str(key), "--workers", "1", "--threads", "4"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=_insecure())
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start: " + (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_https_with_a_live_stream_open(server: int, people: People, engine: Engine) -> None:
    auth = people["operator"].auth
    stream = http.client.HTTPSConnection("127.0.0.1", server, timeout=10, context=_insecure())
    stream.request("GET", "/api/v1/stream", headers=auth)
    events = stream.getresponse()
    assert events.status == 200 and events.getheader("Content-Type").startswith("text/event-stream")
    assert events.readline().startswith(b"retry:")

    other = http.client.HTTPSConnection("127.0.0.1", server, timeout=10, context=_insecure())
    other.request("GET", "/api/v1/me", headers=auth)
    answer = other.getresponse()
    assert answer.status == 200 and json.loads(answer.read())["name"] == "operator"
    cookie_flags = http.client.HTTPSConnection("127.0.0.1", server, timeout=10, context=_insecure())
    cookie_flags.request("GET", "/login")
    login = cookie_flags.getresponse()
    assert "Secure" in login.getheader("Set-Cookie") and "HttpOnly" in login.getheader("Set-Cookie")

    with engine.begin() as conn:
        conn.execute(text("SELECT pg_notify(:c, :p)"),
                     {"c": LIVE_CHANNEL, "p": json.dumps({"type": "state", "asset_id": 1, "state": "fault"})})
    lines = []
    while not lines or not lines[-1].startswith(b"data:"):
        lines.append(events.readline().strip())
    assert b"event: state" in lines and json.loads(lines[-1][len(b"data: "):])["state"] == "fault"
    stream.close()
