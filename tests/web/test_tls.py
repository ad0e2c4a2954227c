"""``citypilot tls``: a local authority made once and a server certificate for the tablets' addresses, which
``citypilot serve`` uses for real; a client trusting only that authority reaches the crew tablet over HTTPS with
the address checked."""

from __future__ import annotations

import http.client
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from cryptography import x509

from app.cli import build_cli, tls_cmd
from tests.web.test_serve import ROOT, SERVE, free_port


def _tls(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(tls_cmd), ["tls", *args])
    return result.exit_code, result.output


def test_the_authority_is_kept_and_the_certificate_follows_the_addresses(tmp_path: Path) -> None:
    out = str(tmp_path / "tls")
    code, text = _tls("--out", out, "--host", "192.168.1.20", "--host", "depot.citypilot.test")
    assert code == 0, text
    assert "made:" in text and "https://192.168.1.20:8443/crew/" in text
    ca = (tmp_path / "tls" / "ca.pem").read_bytes()
    cert = x509.load_pem_x509_certificate((tmp_path / "tls" / "server.pem").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n.value) for n in names} == {"192.168.1.20", "depot.citypilot.test"}
    assert os.stat(tmp_path / "tls" / "server-key.pem").st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "tls" / "ca-key.pem").st_mode & 0o777 == 0o600

    code, text = _tls("--out", out, "--host", "depot.citypilot.test", "--host", "192.168.1.20")
    assert code == 0 and text.startswith("kept:")
    code, text = _tls("--out", out, "--host", "192.168.1.21")
    assert code == 0 and text.startswith("made:")
    assert (tmp_path / "tls" / "ca.pem").read_bytes() == ca  # the tablets trust it once

    code, text = _tls("--out", out, "--host", "not a host!")
    assert code == 2 and "--host" in text and "neither an IP address nor a DNS name" in text


def test_serve_with_it_and_a_tablet_trusting_the_authority_reaches_the_crew_pages(db_url: str, tmp_path: Path) -> None:
    code, text = _tls("--out", str(tmp_path / "tls"), "--host", "127.0.0.1")
    assert code == 0, text
    cert, key, ca = (tmp_path / "tls" / n for n in ("server.pem", "server-key.pem", "ca.pem"))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "CITYPILOT_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    with (tmp_path / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(port), "--cert", str(cert),
             "--key", str(key), "--workers", "1", "--threads", "4"], env=env, cwd=ROOT, stdout=log,
            stderr=subprocess.STDOUT)
    trusting = ssl.create_default_context(cafile=str(ca))  # the address is checked against the certificate
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=trusting)
                conn.request("GET", "/crew/sw.js")
                answer = conn.getresponse()
                break
            except ssl.SSLError:
                raise
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        assert answer.status == 200 and answer.getheader("Service-Worker-Allowed") == "/crew/"
        assert b"self.addEventListener('fetch'" in answer.read()
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=5, context=trusting)
        conn.request("GET", "/crew/")
        assert conn.getresponse().status == 302  # sign in first
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
