"""``citypilot serve``: the web app on gunicorn (gthread workers, which also carry the long-lived
server-sent event streams), over HTTPS when given a certificate and its key."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import click


def gunicorn_options(
    host: str, port: int, workers: int, threads: int, cert: Path | None, key: Path | None
) -> dict[str, Any]:
    """gunicorn settings: gthread workers, HTTPS when ``cert`` and ``key`` are given."""
    options: dict[str, Any] = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,  # gthread: the worker's heartbeat, not a per-request limit (streams stay open)
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "citypilot-web",
        "control_socket_disable": True,  # gunicorn's runtime control socket: one per machine, not per server
    }
    if cert is not None:
        options.update(certfile=str(cert), keyfile=str(key))
    options["post_worker_init"] = end_streams_on_term
    return options


def end_streams_on_term(worker: Any) -> None:
    """gunicorn hook: on SIGTERM, end the worker's live streams first, so a graceful stop does not
    wait the whole graceful timeout for streams that never end by themselves."""
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        from app.web.sse import close_streams

        if callable(previous):
            previous(signum, frame)
        close_streams()

    signal.signal(signal.SIGTERM, on_term)


def run_gunicorn(options: dict[str, Any]) -> None:
    """Run the app under gunicorn until stopped (each worker builds its own app after the fork)."""
    from gunicorn.app.base import BaseApplication

    class CityPilotServer(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            from app.web import create_app

            return create_app()

    CityPilotServer().run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS certificate (PEM): serve HTTPS (needs --key).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS private key (PEM).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1, 1000),
              help="Threads per worker: each open live stream holds one.")
def serve_cmd(host: str, port: int, cert: Path | None, key: Path | None, workers: int, threads: int) -> None:
    """Serve the web app and the API (gunicorn, gthread workers)."""
    if (cert is None) != (key is None):
        raise click.UsageError("--cert and --key go together")
    from app.settings import Settings

    Settings.load().require_database_url()
    if cert is not None:
        os.environ["CITYPILOT_SECURE_COOKIES"] = "1"  # read by every worker's create_app
    scheme = "https" if cert else "http"
    click.echo(f"serving CityPilot on {scheme}://{host}:{port}/ ({workers} workers x {threads} threads)", err=True)
    run_gunicorn(gunicorn_options(host, port, workers, threads, cert, key))


def register(cli: click.Group) -> None:
    cli.add_command(serve_cmd)
