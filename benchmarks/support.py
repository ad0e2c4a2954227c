"""What every benchmark needs: a PostgreSQL server it may create databases on, and figure lines.

Benchmarks print one figure a line: ``bench.NAME.FIGURE: VALUE UNIT``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def figure(name: str, value: float | int, unit: str = "", fmt: str = ".2f") -> None:
    """Print one benchmark figure line."""
    shown = f"{value:{fmt}}" if isinstance(value, float) else str(value)
    print(f"bench.{name}: {shown}{' ' + unit if unit else ''}", flush=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def timed(fn: Callable[[Any], Any], args: list) -> list[float]:
    """Milliseconds of ``fn(a)`` for each ``a``."""
    out = []
    for a in args:
        started = time.perf_counter()
        fn(a)
        out.append((time.perf_counter() - started) * 1000)
    return out


def admin_url_argument(parser: argparse.ArgumentParser) -> None:
    """``--admin-url``: a server where the benchmark may CREATE DATABASE (default: a throwaway one)."""
    parser.add_argument(
        "--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL"),
        help="a superuser URL on a server where the benchmark may CREATE DATABASE; default: a throwaway server",
    )


@contextmanager
def postgres_admin_url(admin_url: str | None = None) -> Iterator[str]:
    """``admin_url`` if given, else a throwaway private PostgreSQL + PostGIS for the benchmark's run."""
    if admin_url:
        yield admin_url
        return
    from app.servers import PrivatePostgres

    folder = Path(tempfile.mkdtemp(prefix="citypilot-bench-pg-"))
    folder.chmod(0o755)
    server = PrivatePostgres(folder / "postgres", durable=False)
    try:
        server.up()
        yield server.admin_url("postgres")
    finally:
        server.purge()
        shutil.rmtree(folder, ignore_errors=True)
