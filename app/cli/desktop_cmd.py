"""``citypilot desktop``: the planners' desktop (PyQt6, the ``desktop`` extra) against a CityPilot server."""

from __future__ import annotations

import os

import click


def register(cli: click.Group) -> None:
    @cli.command("desktop")
    @click.option("--server", default="", help="the server's URL (default: the last one signed in to)")
    @click.option("--lang", type=click.Choice(["en", "fr"]), default=None, help="the interface's language")
    def desktop(server: str, lang: str | None) -> None:
        """Open the planners' desktop: sign in, then the map, layers, table and forms."""
        os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox" if os.geteuid() == 0 else "")
        try:
            from PyQt6.QtWidgets import QApplication, QDialog
        except ImportError as exc:
            raise click.ClickException(f"the desktop needs PyQt6: pip install 'citypilot[desktop]' ({exc})") from None
        from app.desktop import credentials
        from app.desktop.api import ApiClient, ApiError
        from app.desktop.i18n import set_language
        from app.desktop.mapview import register_scheme
        from app.desktop.signin import SignInDialog
        from app.desktop.window import MainWindow

        set_language(lang)
        register_scheme()
        app = QApplication([])
        saved = credentials.load()
        client, me = None, {}
        if saved and (not server or saved.server == server.rstrip("/")):
            try:
                client = ApiClient.from_credentials(saved)
                me = client.me()
            except ApiError:
                client = None
        if client is None:
            dialog = SignInDialog(server or (saved.server if saved else ""), saved.user if saved else "")
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.client is None:
                return
            client, me = dialog.client, dialog.me
        window = MainWindow(client, me)
        window.show()
        app.exec()
