"""The import dialog: a survey file (GeoJSON, GeoPackage, Shapefile, CSV) previewed on the map over the inventory,
its columns mapped with the server's suggestions, a dry run and then the import through ``POST /api/v1/imports``
(the same rules as ``citypilot import``), the rejected rows in a table that can be saved as CSV.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, Qt, QThread, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.desktop.api import ApiClient, ApiError
from app.desktop.i18n import tr
from app.desktop.survey import FILTER, Survey, SurveyError, layers_of, mapping_choices, read_survey, upload_path

GEOMETRY = "geometry"
IGNORE = "-"


class _Upload(QObject):
    """The import call, off the interface's thread (a city-size survey takes a while on the server)."""

    done = pyqtSignal(dict)
    failed = pyqtSignal(object)

    def __init__(self, client: ApiClient, path: str, kind: str, options: dict[str, Any]) -> None:
        super().__init__()
        self.client, self.path, self.kind, self.options = client, path, kind, options

    def run(self) -> None:
        try:
            report = self.client.import_file(self.path, self.kind, **self.options)
            if report.get("rejects_url"):
                report["rejects_csv"] = self.client.download(report["rejects_url"]).decode("utf-8-sig", "replace")
            self.done.emit(report)
        except ApiError as exc:
            self.failed.emit(exc)
        except OSError as exc:  # the file went away or cannot be read: said, and the dialog is free again
            self.failed.emit(ApiError(0, str(exc)))


class ImportDialog(QDialog):
    """``map`` (a :class:`app.desktop.mapview.MapView`, optional) shows the preview; ``report``: the last answer."""

    finished_call = pyqtSignal(dict)

    def __init__(self, client: ApiClient, kinds: list[dict[str, Any]], map_view: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client, self.map_view = client, map_view
        self.kinds = {k["name"]: k for k in kinds}
        self.survey: Survey | None = None
        self.upload: Path | None = None  # what is sent (a shapefile zipped once per file)
        self.suggested: dict[str, str] = {}
        self.report: dict[str, Any] | None = None
        self.rejects_csv = ""
        self.progress: QProgressDialog | None = None
        self._thread: QThread | None = None
        self._worker: _Upload | None = None
        self.setWindowTitle(tr("import_title"))
        self.resize(820, 720)
        self._build()

    # -- layout -------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.path = QLineEdit()
        self.path.setReadOnly(True)
        choose = QPushButton(tr("choose_file"))
        choose.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(choose)
        self.kind = QComboBox()
        for name, spec in sorted(self.kinds.items(), key=lambda item: str(item[1].get("label") or item[0])):
            self.kind.addItem(str(spec.get("label") or name), name)
        self.kind.currentIndexChanged.connect(lambda _i: self.analyse())
        self.layer = QComboBox()
        self.layer.currentIndexChanged.connect(lambda _i: self.analyse())
        self.crs = QLineEdit()
        self.crs.setPlaceholderText(tr("crs_hint"))
        self.crs.editingFinished.connect(self.analyse)
        form = QFormLayout()
        form.addRow(tr("file"), file_row)
        form.addRow(tr("kind"), self.kind)
        form.addRow(tr("layer"), self.layer)
        form.addRow(tr("crs"), self.crs)
        self.summary = QLabel()
        self.summary.setObjectName("import_summary")
        self.summary.setWordWrap(True)
        self.columns = QTableWidget(0, 2)
        self.columns.setHorizontalHeaderLabels([tr("column"), tr("target")])
        self.columns.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # type: ignore[union-attr]
        self.reasons = QTableWidget(0, 2)
        self.reasons.setHorizontalHeaderLabels([tr("reason"), tr("rows")])
        self.reasons.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # type: ignore[union-attr]
        self.rejects = QTableWidget(0, 0)
        self.rejects.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.dry_button = QPushButton(tr("dry_run"))
        self.dry_button.clicked.connect(lambda: self.run(dry_run=True))
        self.import_button = QPushButton(tr("do_import"))
        self.import_button.clicked.connect(lambda: self.run(dry_run=False))
        self.save_button = QPushButton(tr("save_rejects"))
        self.save_button.clicked.connect(lambda: self.save_rejects())
        close = QPushButton(tr("close"))
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        for button in (self.dry_button, self.import_button, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("mapping")))
        layout.addWidget(self.columns, 2)
        layout.addWidget(self.summary)
        layout.addWidget(self.reasons, 1)
        layout.addWidget(QLabel(tr("rejects")))
        layout.addWidget(self.rejects, 2)
        layout.addLayout(buttons)
        self._enable()

    def _enable(self) -> None:
        ready = self.survey is not None and self._thread is None
        self.dry_button.setEnabled(ready)
        self.import_button.setEnabled(ready)
        self.save_button.setEnabled(bool(self.rejects_csv))
        self.layer.setEnabled(self.layer.count() > 0)

    # -- the file -----------------------------------------------------------------------------------

    def choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, tr("choose_file"), "", FILTER)
        if name:
            self.open_file(name)

    def open_file(self, path: str | Path, kind: str | None = None) -> bool:
        """Take ``path`` (and ``kind``): its layers, the preview on the map, the server's column suggestions."""
        self.path.setText(str(path))
        self.layer.blockSignals(True)
        self.layer.clear()
        try:
            for name in layers_of(path):
                self.layer.addItem(name, name)
        except SurveyError as exc:
            self._fail(str(exc))
            return False
        finally:
            self.layer.blockSignals(False)
        if kind is not None:
            self.kind.blockSignals(True)
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
            self.kind.blockSignals(False)
        return self.analyse()

    def analyse(self) -> bool:
        """Read the file, draw it over the inventory, and ask the server (a dry run) how it maps each column."""
        if not self.path.text():
            return False
        self.survey = None
        try:
            self.survey = read_survey(self.path.text(), layer=self.layer.currentData(), crs=self.crs.text().strip())
        except SurveyError as exc:
            self._fail(str(exc))
            return False
        self.upload = upload_path(self.survey.path)
        if self.map_view is not None:
            self.map_view.call("preview", self.survey.preview)
        report = self._call(dry_run=True, mapping=[])
        self.suggested = mapping_choices(report) if report else {}
        self._fill_columns()
        self._enable()
        return report is not None

    def _fill_columns(self) -> None:
        assert self.survey is not None
        spec = self.kinds.get(self.kind.currentData() or "", {})
        fields = [str(a["name"]) for a in spec.get("attributes") or [] if a.get("name") != "attrs"]
        self.columns.setRowCount(len(self.survey.columns))
        for row, column in enumerate(self.survey.columns):
            name = QTableWidgetItem(column)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.columns.setItem(row, 0, name)
            suggested = self.suggested.get(column, f"attrs.{column}")
            box = QComboBox()
            box.setEditable(suggested != GEOMETRY)
            options = [suggested, *fields, f"attrs.{column}", IGNORE] if suggested != GEOMETRY else [GEOMETRY]
            for option in dict.fromkeys(options):
                box.addItem(_target_label(option), option)
            box.setCurrentIndex(0)
            self.columns.setCellWidget(row, 1, box)

    def set_target(self, column: str, target: str) -> None:
        """Map ``column`` to ``target`` (a field, ``attrs.NAME`` or ``-``), as the planner would in the table."""
        assert self.survey is not None
        box = self.columns.cellWidget(self.survey.columns.index(column), 1)
        assert isinstance(box, QComboBox)
        index = box.findData(target)
        if index < 0:
            box.addItem(_target_label(target), target)
            index = box.count() - 1
        box.setCurrentIndex(index)

    def mapping(self) -> list[str]:
        """``SOURCE=TARGET`` for every column mapped otherwise than the server suggested."""
        if self.survey is None:
            return []
        out: list[str] = []
        for row, column in enumerate(self.survey.columns):
            box = self.columns.cellWidget(row, 1)
            if not isinstance(box, QComboBox):
                continue
            data = box.currentData()
            target = str(data if data is not None and box.currentText() == _target_label(str(data))
                         else box.currentText()).strip()
            if target and target != GEOMETRY and target != self.suggested.get(column, f"attrs.{column}"):
                out.append(f"{column}={target}")
        return out

    # -- dry run and import ---------------------------------------------------------------------------

    def _options(self, dry_run: bool, mapping: list[str]) -> dict[str, Any]:
        options: dict[str, Any] = {"dry_run": dry_run, "mapping": mapping, "crs": self.crs.text().strip()}
        if self.layer.currentData():
            options["layer"] = self.layer.currentData()
        return options

    def _call(self, *, dry_run: bool, mapping: list[str]) -> dict[str, Any] | None:
        """One blocking call (the quick dry runs): the report shown, or the refusal."""
        assert self.survey is not None
        try:
            report = self.client.import_file(str(self.upload), self.kind.currentData(),
                                             **self._options(dry_run, mapping))
            if report.get("rejects_url"):
                report["rejects_csv"] = self.client.download(report["rejects_url"]).decode("utf-8-sig", "replace")
        except (ApiError, OSError) as exc:
            self._refused(exc if isinstance(exc, ApiError) else ApiError(0, str(exc)))
            return None
        self._show(report)
        return report

    def run(self, *, dry_run: bool) -> None:
        """A dry run (nothing saved) or the import, with its progress dialog; ``report`` when it answers."""
        if self.survey is None or self._thread is not None:
            return
        self.progress = QProgressDialog(tr("importing" if not dry_run else "checking", name=self.survey.path.name),
                                        "", 0, 0, self)
        self.progress.setCancelButton(None)
        self.progress.setWindowTitle(tr("import_title"))
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.show()
        self._worker = _Upload(self.client, str(self.upload), self.kind.currentData(),
                               self._options(dry_run, self.mapping()))
        self._thread = QThread(self)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.done.connect(self._answered)
        self._worker.failed.connect(self._answered)
        self._thread.start()
        self._enable()

    def _answered(self, answer: Any) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.quit()
            thread.wait()
        self._worker = None
        if self.progress is not None:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress.close()
        if isinstance(answer, ApiError):
            self._refused(answer)
        else:
            self._show(answer)
            if not answer.get("dry_run") and self.map_view is not None:
                self.map_view.call("refreshAll")
            self.finished_call.emit(answer)
        self._enable()

    @property
    def busy(self) -> bool:
        return self._thread is not None

    # -- the answer -----------------------------------------------------------------------------------

    def _show(self, report: dict[str, Any]) -> None:
        self.report = report
        counts = tr("import_report", read=report.get("read", 0), imported=report.get("imported", 0),
                    rejected=report.get("rejected", 0), duplicates=report.get("duplicates", 0))
        lines = [(tr("import_dry") if report.get("dry_run") else "") + counts,
                 tr("import_crs", crs=report.get("crs", ""), source=report.get("crs_source", ""))]
        if self.survey is not None and self.survey.drawn < self.survey.rows:
            lines.append(tr("preview_partial", drawn=self.survey.drawn, rows=self.survey.rows))
        lines += [str(h) for h in report.get("hints") or []]
        self.summary.setText("\n".join(lines))
        self.summary.setStyleSheet("")
        errors = sorted((report.get("errors") or {}).items(), key=lambda item: -item[1])
        self.reasons.setRowCount(len(errors))
        for row, (reason, count) in enumerate(errors):
            self.reasons.setItem(row, 0, QTableWidgetItem(reason))
            self.reasons.setItem(row, 1, QTableWidgetItem(str(count)))
        self._show_rejects(str(report.get("rejects_csv") or ""))

    def _show_rejects(self, text: str) -> None:
        self.rejects_csv = text
        rows = list(csv.reader(io.StringIO(text))) if text else []
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        self.rejects.setColumnCount(len(header))
        self.rejects.setHorizontalHeaderLabels(header)
        self.rejects.setRowCount(len(body))
        for r, values in enumerate(body):
            for c, value in enumerate(values[:len(header)]):
                self.rejects.setItem(r, c, QTableWidgetItem(value))
        self.rejects.resizeColumnsToContents()
        self._enable()

    def rejected_rows(self) -> list[dict[str, str]]:
        """The rejects table's rows, by column name."""
        header = [self.rejects.horizontalHeaderItem(c).text()  # type: ignore[union-attr]
                  for c in range(self.rejects.columnCount())]
        return [{header[c]: (self.rejects.item(r, c).text() if self.rejects.item(r, c) else "")  # type: ignore[union-attr]
                 for c in range(len(header))} for r in range(self.rejects.rowCount())]

    def save_rejects(self, path: str | Path | None = None) -> bool:
        """Write the rejected rows (with their reasons) as CSV, to fix and import again."""
        if not self.rejects_csv:
            return False
        if path is None:
            stem = self.survey.path.stem if self.survey else "import"
            name, _ = QFileDialog.getSaveFileName(self, tr("save_rejects"), f"{stem}.rejects.csv", "CSV (*.csv)")
            if not name:
                return False
            path = name
        Path(path).write_text(self.rejects_csv, encoding="utf-8")
        self.summary.setText(self.summary.text() + "\n" + tr("rejects_saved", path=str(path)))
        return True

    def _refused(self, exc: ApiError) -> None:
        fields = exc.fields
        detail = "; ".join(f"{f}: {r}" for f, r in fields.items()) if fields else exc.message
        self._fail(tr("fix_fields", reason=detail))

    def _fail(self, text: str) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet("color: #b00020;")
        self._enable()

    def done(self, result: int) -> None:
        """Closing takes the preview off the map (after a running import has answered)."""
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        if self.map_view is not None:
            self.map_view.call("preview", None)
        super().done(result)


def _target_label(target: str) -> str:
    if target == IGNORE:
        return tr("ignore_column")
    if target == GEOMETRY:
        return tr("geometry_column")
    return target
