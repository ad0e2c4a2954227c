"""The plugin runs on Qt6 builds of QGIS (QGIS 4, PyQt6) as well as Debian's QGIS 3.22 (PyQt5): Qt is imported
only through ``qgis.PyQt``, enums are reached through their scoped type (``Qt.DockWidgetArea.RightDockWidgetArea``,
PyQt6 has no ``Qt.RightDockWidgetArea``), dialogs run with ``exec()`` (PyQt6 has no ``exec_``), and field types
come from the compatibility module (QGIS 4 takes ``QMetaType.Type``, QGIS 3.22 ``QVariant.Type``).

Checked on the source with the PyQt5 that runs here: every ``Name.attribute`` whose value is an enum member is
found by resolving it, so a new unscoped use fails this test before it fails a QGIS 4 user."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "citypilot_qgis"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "_vendor" not in p.parts)
QT_MODULES = ("qgis.PyQt.", "qgis.core", "qgis.gui")


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name → module, for names imported from Qt or QGIS."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(QT_MODULES):
            for alias in node.names:
                names[alias.asname or alias.name] = node.module
    return names


def _is_enum_member(value: object) -> bool:
    return type(type(value)).__name__ == "enumtype"


def _unscoped_enums(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _imported_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in names:
            owner = getattr(importlib.import_module(names[node.value.id]), node.value.id, None)
            value = getattr(owner, node.attr, None)
            if _is_enum_member(value):
                scope = type(value).__name__
                yield f"{path.name}:{node.lineno}: {node.value.id}.{node.attr} → {node.value.id}.{scope}.{node.attr}"


def test_the_checker_finds_an_unscoped_enum(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from qgis.PyQt.QtCore import Qt\nA = Qt.RightDockWidgetArea\nB = Qt.DockWidgetArea.Left"
                      "DockWidgetArea\n", encoding="utf-8")
    assert list(_unscoped_enums(sample)) == [
        "sample.py:2: Qt.RightDockWidgetArea → Qt.DockWidgetArea.RightDockWidgetArea"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_enums_are_scoped(path: Path) -> None:
    assert list(_unscoped_enums(path)) == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_qt_only_through_qgis_pyqt_and_no_pyqt5_only_calls(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            assert not any(m.split(".")[0] in ("PyQt5", "PyQt6", "sip") for m in modules), (path.name, node.lineno)
        if isinstance(node, ast.Attribute):
            assert node.attr not in ("exec_", "QVariant"), f"{path.name}:{node.lineno}: {node.attr}"
        if isinstance(node, ast.Name) and node.id == "QVariant":
            assert path.name == "qt_compat.py", f"{path.name}:{node.lineno}: field types come from qt_compat"
