"""The attribute form of an asset, built from its kind's field specs: a new kind needs no form code.

text -> line edit; integer / number -> spin box with the unit; choice -> combo box (labels in the
user's language); boolean -> tri-state check box (grey: unknown); date -> date edit. The server
decides what is valid: a refused field shows the server's reason under it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PyQt6.QtCore import QDate, Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.desktop.fields import FieldSpec, field_specs
from app.desktop.i18n import tr

WIDE = 1_000_000_000  # spin boxes do not bound values: the server's range decides (shown as a hint)
EMPTY_DATE = QDate(1800, 1, 1)
ERROR_STYLE = "color: #b00020;"


class FieldEditor:
    """One field's widget, with ``value()`` / ``set_value()`` in JSON terms (None: empty)."""

    def __init__(self, spec: FieldSpec) -> None:
        self.spec = spec
        self.widget = self._make()
        hint = []
        if spec.minimum is not None or spec.maximum is not None:
            hint.append(f"[{_fmt(spec.minimum)} … {_fmt(spec.maximum)}] {spec.unit}".strip())
        self.widget.setToolTip(" ".join(hint) or spec.name)
        self.widget.setObjectName(f"field_{spec.name}")
        self.error = QLabel()
        self.error.setObjectName(f"error_{spec.name}")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()

    def _make(self) -> QWidget:
        spec = self.spec
        suffix = f" {spec.unit}" if spec.unit else ""
        if spec.type == "integer":
            box = QSpinBox()
            box.setRange(-WIDE, WIDE)
            box.setSpecialValueText("—")
            box.setSuffix(suffix)
            return box
        if spec.type == "number":
            dbox = QDoubleSpinBox()
            dbox.setRange(-WIDE, WIDE)
            dbox.setDecimals(2)
            dbox.setSpecialValueText("—")
            dbox.setSuffix(suffix)
            return dbox
        if spec.type == "choice":
            combo = QComboBox()
            combo.addItem("", None)
            for value, label in spec.choices:
                combo.addItem(label, value)
            return combo
        if spec.type == "boolean":
            check = QCheckBox()
            check.setTristate(True)
            return check
        if spec.type == "date":
            date = QDateEdit()
            date.setCalendarPopup(True)
            date.setMinimumDate(EMPTY_DATE)
            date.setSpecialValueText("—")
            date.setDisplayFormat("yyyy-MM-dd")
            return date
        return QLineEdit()

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return None if w.value() == w.minimum() else w.value()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            state = w.checkState()
            return None if state == Qt.CheckState.PartiallyChecked else state == Qt.CheckState.Checked
        if isinstance(w, QDateEdit):
            return None if w.date() == w.minimumDate() else w.date().toString("yyyy-MM-dd")
        assert isinstance(w, QLineEdit)
        return w.text().strip() or None

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QSpinBox):
            w.setValue(w.minimum() if value is None else int(value))
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(w.minimum() if value is None else float(value))
        elif isinstance(w, QComboBox):
            index = w.findData(None if value is None else str(value))
            if index < 0:  # a value the spec does not list: shown as it is
                w.addItem(str(value), str(value))
                index = w.count() - 1
            w.setCurrentIndex(index)
        elif isinstance(w, QCheckBox):
            w.setCheckState(Qt.CheckState.PartiallyChecked if value is None else
                            Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)
        elif isinstance(w, QDateEdit):
            w.setDate(w.minimumDate() if not value else QDate.fromString(str(value)[:10], "yyyy-MM-dd"))
        elif isinstance(w, QLineEdit):
            w.setText("" if value is None else str(value))

    def show_error(self, reason: str | None) -> None:
        self.error.setText(reason or "")
        self.error.setVisible(bool(reason))
        self.widget.setStyleSheet("border: 1px solid #b00020;" if reason else "")


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def comparable(value: Any) -> Any:
    """Values as the form and the server compare them (40 == 40.0; dates as text)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


class AttributeForm(QWidget):
    """The form of one asset (a GeoJSON Feature of the API) and its kind."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(tr("no_selection"))
        self.title.setWordWrap(True)
        self.body = QWidget()
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.body)
        self.layout_.addStretch(1)
        self.editors: dict[str, FieldEditor] = {}
        self.feature: dict[str, Any] | None = None

    @property
    def asset_id(self) -> int | None:
        return int(self.feature["id"]) if self.feature and self.feature.get("id") is not None else None

    @property
    def version(self) -> int | None:
        return int(self.feature["properties"]["version"]) if self.feature else None

    def load(self, feature: dict[str, Any], kind: dict[str, Any]) -> None:
        """Show ``feature`` with the fields of ``kind`` (the widgets are made again when the kind changes)."""
        properties = feature["properties"]
        self.feature = feature
        code = properties.get("code") or feature["id"] or tr("new_asset")
        self.title.setText(f"<b>{code}</b> — {kind.get('label', kind['name'])}"
                           f" · {tr('version')} {properties.get('version')}")
        self.body.deleteLater()
        self.body = QWidget()
        form = QFormLayout(self.body)
        self.editors = {}
        for spec in field_specs(kind, properties):
            editor = FieldEditor(spec)
            editor.set_value(properties.get(spec.name))
            self.editors[spec.name] = editor
            column = QWidget()
            stack = QVBoxLayout(column)
            stack.setContentsMargins(0, 0, 0, 0)
            stack.addWidget(editor.widget)
            stack.addWidget(editor.error)
            form.addRow(_label(spec), column)
        self.layout_.insertWidget(1, self.body)

    def values(self) -> dict[str, Any]:
        return {name: editor.value() for name, editor in self.editors.items()}

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the asset as loaded."""
        loaded = self.feature["properties"] if self.feature else {}
        return {name: value for name, value in self.values().items()
                if comparable(value) != comparable(loaded.get(name))}

    def show_errors(self, reasons: dict[str, str]) -> list[str]:
        """Put each reason under its field; answers the fields the form does not have."""
        for name, editor in self.editors.items():
            editor.show_error(reasons.get(name))
        return [name for name in reasons if name not in self.editors]

    def error_of(self, name: str) -> str:
        editor = self.editors.get(name)
        return editor.error.text() if editor and not editor.error.isHidden() else ""


def _label(spec: FieldSpec) -> QLabel:
    marks = []
    if spec.required:
        marks.append(f"<span style='color:#b00020'>* {tr('required')}</span>")
    elif spec.complete:
        marks.append(f"<span style='color:#b26a00'>◐ {tr('to_complete')}</span>")
    text = spec.label + (f" ({spec.unit})" if spec.unit else "")
    label = QLabel(text + ("<br><small>" + " ".join(marks) + "</small>" if marks else ""))
    label.setToolTip(spec.name)
    return label
