"""The server and sign-in dialog: URL, user, password (or an API token); a clear message on failure."""

from __future__ import annotations

from typing import Any

from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from app.desktop import credentials
from app.desktop.api import ApiClient, ApiError
from app.desktop.i18n import tr


class SignInDialog(QDialog):
    """On success ``client`` is signed in (and its credentials saved, 0600)."""

    def __init__(self, server: str = "", user: str = "", parent: Any = None, *, save: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("sign_in"))
        self.client: ApiClient | None = None
        self.me: dict[str, Any] = {}
        self.save = save
        self.server = QLineEdit(server or "http://127.0.0.1:8000")
        self.user = QLineEdit(user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setObjectName("signin_error")
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("server"), self.server)
        form.addRow(tr("user"), self.user)
        form.addRow(tr("password"), self.password)
        form.addRow(tr("token"), self.token)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setText(tr("sign_in"))
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def try_sign_in(self) -> bool:
        """Sign in with what was typed; on failure the reason shows in the dialog, which stays open."""
        server = self.server.text().strip()
        if not server:
            return self._fail(tr("missing_server"))
        token, user, password = self.token.text().strip(), self.user.text().strip(), self.password.text()
        if not token and not (user and password):
            return self._fail(tr("missing_user"))
        client = ApiClient(server)
        try:
            self.me = client.use_token(token) if token else client.sign_in(user, password)
        except ApiError as exc:
            return self._fail(tr("sign_in_failed", reason=exc.message))
        self.client = client
        if self.save:
            credentials.save(client.credentials())
        self.message.clear()
        self.accept()
        return True

    def _fail(self, text: str) -> bool:
        self.message.setText(text)
        self.password.clear()
        return False
