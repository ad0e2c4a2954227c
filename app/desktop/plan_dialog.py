"""The "plan works" dialog: category, priority, a description, one order for the selection or one per asset."""

from __future__ import annotations

from PyQt6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QPlainTextEdit, QWidget

from app.desktop.i18n import STRINGS, tr

AUTOMATIC = ""  # no category sent: the server takes the first asset's family's


class PlanDialog(QDialog):
    """Asks what the orders are; ``values()`` once accepted."""

    def __init__(self, count: int, categories: list[str], priorities: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("plan_title", count=count))
        self.category = QComboBox()
        self.category.addItem(tr("category_auto"), AUTOMATIC)
        for name in categories:
            self.category.addItem(tr(f"category_{name}") if f"category_{name}" in STRINGS else name, name)
        self.priority = QComboBox()
        for name in priorities:
            self.priority.addItem(tr(f"priority_{name}") if f"priority_{name}" in STRINGS else name, name)
        self.priority.setCurrentIndex(max(0, self.priority.findData("normal")))
        self.description = QPlainTextEdit()
        self.one_each = QCheckBox(tr("one_per_asset"))
        self.one_each.setEnabled(count > 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(tr("category"), self.category)
        form.addRow(tr("priority"), self.priority)
        form.addRow(tr("description"), self.description)
        form.addRow(self.one_each)
        form.addRow(buttons)

    def values(self) -> dict[str, object]:
        return {"category": self.category.currentData() or None, "priority": self.priority.currentData(),
                "description": self.description.toPlainText(), "one_per_asset": self.one_each.isChecked()}

