"""The connect dialog: server URL and API token, checked against the server before it is kept."""

from __future__ import annotations

from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from ..logic.client import ApiFailure, Client, normalise_base
from .i18n import language, tr


class ConnectDialog(QDialog):
    """Asks for the server and a token (``citypilot tokens create NAME --label qgis-plugin``); ``client`` on OK."""

    def __init__(self, url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Connect to CityPilot"))
        self.client: Client | None = None
        self.me: dict = {}
        form = QFormLayout(self)
        self.url = QLineEdit(url)
        self.url.setPlaceholderText("https://citypilot.example.org")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.Password)
        self.token.setPlaceholderText("cp_…")
        self.error = QLabel()
        self.error.setStyleSheet("color: #d62728")
        self.error.setWordWrap(True)
        form.addRow(tr("Server URL"), self.url)
        form.addRow(tr("API token"), self.token)
        form.addRow(QLabel(tr("The token is kept in QGIS's authentication database, never in the project.")))
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def check(self) -> bool:
        """Accept when the server knows the token; otherwise say which field is wrong and why."""
        try:
            base = normalise_base(self.url.text())
        except ValueError as exc:
            self.error.setText(str(exc))
            return False
        if not self.token.text().strip():
            self.error.setText(tr("API token: required"))
            return False
        client = Client(base, self.token.text().strip(), language())
        try:
            self.me = client.me()
        except ApiFailure as exc:
            self.error.setText(tr("API token: refused by the server") if exc.status == 401 else exc.message)
            return False
        self.client = client
        self.accept()
        return True
