"""The two-planner conflict: the server's version and the planner's side by side; keep mine or take theirs."""

from __future__ import annotations

from typing import Any

from PyQt6.QtGui import QBrush, QColor
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout

from app.desktop.form import comparable
from app.desktop.i18n import tr

KEEP_MINE = "mine"
TAKE_THEIRS = "theirs"


def _text(value: Any) -> str:
    return "—" if value is None else tr("yes") if value is True else tr("no") if value is False else str(value)


class ConflictDialog(QDialog):
    """``mine``: the planner's changed fields; ``current``: the server's Feature (409 body). ``choice`` after."""

    def __init__(self, mine: dict[str, Any], edited_version: int, current: dict[str, Any], parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("conflict_title"))
        self.current = current
        self.mine = mine
        self.choice: str | None = None
        theirs = current["properties"]
        self.theirs_version = int(theirs["version"])
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("conflict_text", theirs=self.theirs_version, mine=edited_version)))
        self.table = QTableWidget(len(mine), 3)
        self.table.setHorizontalHeaderLabels([tr("field"), tr("mine"), tr("theirs")])
        for row, (name, value) in enumerate(sorted(mine.items())):
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
        buttons.addButton(self.keep_mine, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.take_theirs, QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_mine.clicked.connect(lambda: self._choose(KEEP_MINE))
        self.take_theirs.clicked.connect(lambda: self._choose(TAKE_THEIRS))
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        """The table as text: (field, mine, theirs)."""
        return [tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[misc, union-attr]
                for r in range(self.table.rowCount())]

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept() if choice == KEEP_MINE else self.reject()
