"""The connect dialog: server URL, then a user name and password (exchanged for an API token) or a token,
checked against the server before it is kept."""

from __future__ import annotations

import datetime as dt
import socket

from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget

from ..logic.client import ApiFailure, Client, normalise_base
from .i18n import language, tr


class ConnectDialog(QDialog):
    """Asks for the server and a sign-in (or a token from ``citypilot tokens create NAME --label qgis-plugin``);
    ``client`` and ``me`` on OK."""

    def __init__(self, url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Connect to CityPilot"))
        self.client: Client | None = None
        self.me: dict = {}
        form = QFormLayout(self)
        self.url = QLineEdit(url)
        self.url.setPlaceholderText("https://citypilot.example.org")
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("cp_…")
        self.error = QLabel()
        self.error.setStyleSheet("color: #d62728")
        self.error.setWordWrap(True)
        form.addRow(tr("Server URL"), self.url)
        form.addRow(tr("User name"), self.username)
        form.addRow(tr("Password"), self.password)
        form.addRow(QLabel(tr("or")))
        form.addRow(tr("API token"), self.token)
        form.addRow(QLabel(tr("The token is kept in QGIS's authentication database, never in the project.")))
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
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
        token = self.token.text().strip()
        name, password = self.username.text().strip(), self.password.text()
        if not token and not (name and password):
            self.error.setText(tr("User name and password, or an API token: required"))
            return False
        client = Client(base, token or None, language())
        try:
            if not token:
                label = f"qgis {socket.gethostname()} {dt.datetime.now():%Y-%m-%d %H:%M:%S}"
                client.sign_in(name, password, label)
            self.me = client.me()
        except ApiFailure as exc:
            if exc.status == 401:
                self.error.setText(tr("API token: refused by the server") if token else exc.message)
            else:
                self.error.setText(exc.message)
            return False
        self.client = client
        self.accept()
        return True
