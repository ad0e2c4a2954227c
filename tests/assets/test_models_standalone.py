"""Each models module works when it is the only one a process imports: every foreign key it declares
finds its table. A web worker that reaches ``fieldservice.models`` through Open311 alone must be able to
flush a work order (this failed once with ``NoReferencedTableError: alarms``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = (
    "assets.alarms.models",
    "assets.commands.models",
    "assets.live.models",
    "assets.models.accounts",
    "assets.models.history",
    "assets.models.people",
    "assets.models.reference",
    "assets.reports.models",
    "assets.tiles.models",
    "fieldservice.models",
)

PROBE = """
import importlib, sys
importlib.import_module(sys.argv[1])
from assets.models.base import Base
from sqlalchemy.orm import configure_mappers
configure_mappers()
for table in Base.metadata.sorted_tables:
    for fk in table.foreign_keys:
        fk.column  # raises NoReferencedTableError when the target table is not mapped
"""


@pytest.mark.parametrize("module", MODULES)
def test_module_alone_resolves_its_foreign_keys(module: str) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
