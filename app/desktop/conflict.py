"""The two-planner conflict: the server's version and the planner's side by side; keep mine, take theirs,
or merge field by field (a choice per row)."""

from __future__ import annotations

from typing import Any

from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.desktop.form import comparable
from app.desktop.i18n import tr

KEEP_MINE = "mine"
TAKE_THEIRS = "theirs"
MERGE = "merge"


def _text(value: Any) -> str:
    if isinstance(value, dict) and "coordinates" in value:
        return f"{value.get('type')} {_short(value['coordinates'])}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 48.0 from the server and 48 typed by the planner read the same
    return "—" if value is None else tr("yes") if value is True else tr("no") if value is False else str(value)


class ConflictDialog(QDialog):
    """``mine``: the planner's changed fields; ``current``: the server's Feature (409 body). ``choice`` after."""

    def __init__(self, mine: dict[str, Any], edited_version: int, current: dict[str, Any], parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("conflict_title"))
        self.current = current
        self.mine = mine
        self.choice: str | None = None
        theirs = {**current["properties"], "geometry": current.get("geometry")}
        self.theirs_version = int(theirs["version"])
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("conflict_text", theirs=self.theirs_version, mine=edited_version)))
        self.table = QTableWidget(len(mine), 4)
        self.table.setHorizontalHeaderLabels([tr("field"), tr("mine"), tr("theirs"), tr("keep")])
        self.keep: dict[str, QComboBox] = {}
        for row, (name, value) in enumerate(sorted(mine.items())):
            keep = QComboBox()
            keep.addItem(tr("mine"), KEEP_MINE)
            keep.addItem(tr("theirs"), TAKE_THEIRS)
            keep.setObjectName(f"keep_{name}")
            self.table.setCellWidget(row, 3, keep)
            self.keep[name] = keep
            cells = (name, _text(value), _text(theirs.get(name)))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if comparable(value) != comparable(theirs.get(name)):
                    item.setBackground(QBrush(QColor("#fff3cd")))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table)
        buttons = QDialogButtonBox()
        self.keep_mine = QPushButton(tr("keep_mine"))
        self.take_theirs = QPushButton(tr("take_theirs"))
        self.merge = QPushButton(tr("merge"))
        buttons.addButton(self.keep_mine, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.merge, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.take_theirs, QDialogButtonBox.ButtonRole.RejectRole)
        self.merge.clicked.connect(lambda: self._choose(MERGE))
        self.keep_mine.clicked.connect(lambda: self._choose(KEEP_MINE))
        self.take_theirs.clicked.connect(lambda: self._choose(TAKE_THEIRS))
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        """The table as text: (field, mine, theirs)."""
        return [tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[misc, union-attr]
                for r in range(self.table.rowCount())]

    def resolved(self) -> dict[str, Any]:
        """What to save over the server's version: every field of mine (keep mine), none (take theirs), or
        the fields whose row says "mine" (merge)."""
        if self.choice == KEEP_MINE:
            return dict(self.mine)
        if self.choice == MERGE:
            return {name: value for name, value in self.mine.items() if self.keep[name].currentData() == KEEP_MINE}
        return {}

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.reject() if choice == TAKE_THEIRS else self.accept()


def _short(coordinates: Any) -> str:
    flat: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, (int, float)):
            flat.append(float(value))
        else:
            for item in value:
                walk(item)

    walk(coordinates)
    points = [f"{flat[i]:.5f} {flat[i + 1]:.5f}" for i in range(0, min(len(flat), 4), 2)]
    return "(" + ", ".join(points) + (", …" if len(flat) > 4 else "") + ")"
